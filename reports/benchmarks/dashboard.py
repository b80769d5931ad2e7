"""``manage.py bench --only dashboard``: the leadership dashboard at city scale.

Measures everything the dashboard page needs, through the very function the view calls
(:func:`reports.dashboard.dashboard_page`: access check, campaigns, breadcrumbs, figures,
children table, worst overdue pledges; plus the chart data), for the city root, the biggest
committee and one of its branches — beside the bare SQL aggregate the figures rest on (a
``GROUP BY status`` over the campaign's pledges joined to the tree, filtered by path prefix),
measured in the same run. Also times one full rollup refresh (what beat runs every 5 minutes).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from campaigns import scope
from campaigns.management.commands.bench import (
    BenchContext,
    Figure,
    benchmark,
    compare,
    like_prefix,
    median_and_p95,
    not_measured,
)
from campaigns.models import Campaign, Organization
from pledges.models import Pledge
from reports import dashboard


def _bare_aggregate(org: Organization, campaign: Campaign):
    sql = (
        f'SELECT p."status", count(*) FROM "{Pledge._meta.db_table}" p '
        f'JOIN "{Organization._meta.db_table}" o ON o."id" = p."organization_id" '
        'WHERE p."campaign_id" = %s AND o."path" LIKE %s GROUP BY p."status"'
    )
    params = [campaign.pk, like_prefix(org.path)]

    def run() -> list:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


@benchmark("dashboard")
def bench_dashboard(ctx: BenchContext) -> Iterator[Figure]:
    if ctx.user is None or ctx.root is None or ctx.committee is None:
        yield not_measured("dashboard", "no demo city or no office login; run seed_demo")
        return
    campaign = dashboard.pick_campaign(
        dashboard.dashboard_campaigns(user=ctx.user, organization=ctx.root), None
    )
    if campaign is None or not Pledge.objects.filter(campaign=campaign).exists():
        yield not_measured("dashboard", "no campaign with pledges; run seed_demo")
        return

    started = time.perf_counter()
    result = dashboard.refresh_rollups()
    yield Figure(
        "dashboard.refresh_rollups (all)",
        round((time.perf_counter() - started) * 1000, 1),
        "ms",
        f"{result.rows:,} rollup rows + {result.series_rows:,} series rows, one transaction",
    )

    branch = (
        Organization.objects.filter(
            path__startswith=ctx.committee.path, level=Organization.Level.BRANCH
        )
        .order_by("path")
        .first()
    )
    targets = [("root", ctx.root), ("committee", ctx.committee)]
    if branch is not None:
        targets.append(("branch", branch))
    for label, org in targets:

        def page(org: Organization = org) -> object:
            scope.forget(ctx.user)  # as on a new request
            context = dashboard.dashboard_page(
                user=ctx.user, code=org.code, campaign_id=str(campaign.pk), sort="-rate"
            )
            return context["charts"], context["table"], context["overdue"]

        pledges = sum(n for _status, n in _bare_aggregate(org, campaign)())
        subject_ms, baseline_ms = compare(ctx, page, _bare_aggregate(org, campaign))
        ctx.log(f"# dashboard.{label} = {org.code} ({pledges:,} pledges in the campaign)")
        yield from median_and_p95(
            f"dashboard.{label} page data",
            subject_ms,
            baseline_ms,
            "bare GROUP BY status ... path LIKE",
        )
