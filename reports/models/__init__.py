"""Models of the reports app, one module per area:

- ``monthly``: monthly reports (月报) and monthly bulletins (通报);
- ``ledgers``: export jobs (台账 exports run by the worker);
- ``dashboard``: the precomputed figures behind the leadership dashboard.
"""

from reports.models import dashboard, ledgers, monthly  # noqa: F401
