from django.urls import path  # noqa: F401

app_name = "reports"

# Each area adds its own section below (views in reports/views/<area>.py).
urlpatterns = [
    # -- monthly reports (月报) and bulletins (通报): reports/views/monthly.py
    # -- ledgers: import (reports/views/imports.py)
    # -- ledgers: export and "my exports" (reports/views/exports.py)
    # -- leadership dashboard (reports/views/dashboard.py)
]
