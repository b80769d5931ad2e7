"""Demo data of the reports app (see campaigns/demo.py for the seeding framework).

Steps run after the campaigns and pledges steps; each area appends its own ``SeedStep``.
"""

from __future__ import annotations

from campaigns.demo import SCALE_CITY, SeedContext, SeedStep
from campaigns.models import Organization

# -- leadership dashboard: compute the figures once everything else is in (beat keeps them
# fresh). Keep these steps LAST in STEPS: data seeded after them waits for the next refresh.


def step_dashboard_rollups(ctx: SeedContext) -> None:
    from reports.dashboard import refresh_rollups

    result = refresh_rollups()
    ctx.log(f"  dashboard figures: {result.rows:,} rows in {result.seconds:.1f} s")


def reset_dashboard_rollups(root: Organization) -> None:
    from reports.models.dashboard import DashboardRefresh, DashboardRollup, DashboardSeries

    for model in (DashboardRollup, DashboardSeries):
        model.objects.filter(organization__path__startswith=root.path).delete()
    DashboardRefresh.objects.filter(
        campaign__root_organization__path__startswith=root.path
    ).delete()


# -- monthly reports (月报) and one bulletin (通报): reports/demo_monthly.py


def step_monthly_reports(ctx: SeedContext) -> None:
    from reports.demo_monthly import step_monthly_reports as run

    run(ctx)


def reset_monthly_reports(root: Organization) -> None:
    from reports.demo_monthly import reset_monthly_reports as reset

    reset(root)


STEPS = [
    SeedStep("monthly-reports", step_monthly_reports, reset_monthly_reports),
    SeedStep("dashboard-rollups", step_dashboard_rollups, reset_dashboard_rollups),
    SeedStep("dashboard-rollups-city", step_dashboard_rollups, scale=SCALE_CITY),
]
