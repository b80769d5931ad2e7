"""``manage.py bench --only quarterly_report``: the city-level quarterly inspection report.

Renders the root committee's report of the last quarter the way the worker does (data, HTML,
WeasyPrint), without storing a row or a file, and prints the time (target: under 30 s), the
pages and the size. The dashboard rollups the report reads are refreshed first when stale, and
that refresh is timed on its own line (beat keeps them fresh in production).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.utils import timezone

from assessments import pdf, selectors
from assessments.models import previous_quarter, quarter_label, quarter_of
from assessments.report_data import ROLLUP_MAX_AGE
from campaigns.management.commands.bench import BenchContext, Figure, benchmark, not_measured

TARGET_SECONDS = 30


@benchmark("quarterly_report")
def bench_quarterly_report(ctx: BenchContext) -> Iterator[Figure]:
    name = "quarterly report PDF (root)"
    if ctx.root is None:
        yield not_measured(name, "no demo city in this database")
        return
    campaign = selectors.report_campaign_for(organization=ctx.root)
    if campaign is None:
        yield not_measured(name, "the root takes part in no campaign")
        return
    year, quarter = previous_quarter(*quarter_of(timezone.localdate()))
    from reports import dashboard

    refreshed = dashboard.dashboard_figures(organization=ctx.root, campaign=campaign).refreshed_at
    if refreshed is None or refreshed < timezone.now() - ROLLUP_MAX_AGE:
        started = time.perf_counter()
        dashboard.refresh_rollups(campaign)
        yield Figure(
            "quarterly report: dashboard rollups refreshed first",
            round(time.perf_counter() - started, 1),
            "s",
            "stale rollups; beat refreshes them every 5 minutes in production",
        )
    timings = []
    pages = size = 0
    for _ in range(max(1, ctx.runs)):
        started = time.perf_counter()
        html = pdf.quarterly_report_html(
            campaign=campaign, organization=ctx.root, year=year, quarter=quarter
        )
        data_seconds = time.perf_counter() - started
        content, pages = pdf._render(html)
        total = time.perf_counter() - started
        size = len(content)
        timings.append((total, data_seconds))
    best_total, best_data = min(timings)
    yield Figure(
        name,
        round(best_total, 1),
        "s",
        f"target < {TARGET_SECONDS} s; {quarter_label(year, quarter)} of {ctx.root.name}; "
        f"queries and HTML {best_data:.1f} s, WeasyPrint {best_total - best_data:.1f} s"
        + (f"; best of {len(timings)}" if len(timings) > 1 else ""),
    )
    yield Figure("quarterly report pages", pages, "pages", f"{size / 1024:.0f} KB")
