"""Celery tasks of the assessments app: thin, they take ids and call a service.

The report render runs with a soft and a hard time limit; the service marks the row failed on
any exception (the soft limit's included), and ``cleanup_quarterly_reports`` (beat) marks rows
failed that were left running by a killed worker. A report is never left spinning.
"""

from __future__ import annotations

from celery import shared_task

from assessments import services


@shared_task(
    name="assessments.render_quarterly_report",
    soft_time_limit=services.REPORT_SOFT_LIMIT,
    time_limit=services.REPORT_HARD_LIMIT,
)
def render_quarterly_report(report_id: int) -> str:
    report = services.quarterly_report_render(report_id=report_id)
    return report.status if report is not None else "skipped"


@shared_task(name="assessments.generate_quarterly_reports", time_limit=600, soft_time_limit=550)
def generate_quarterly_reports() -> int:
    """Daily: on the first days after a quarter ends, queue the reports every committee lacks."""
    return services.quarterly_reports_generate_due()


@shared_task(name="assessments.cleanup_quarterly_reports", time_limit=120, soft_time_limit=100)
def cleanup_quarterly_reports() -> int:
    """Mark failed the reports left running past the hard limit or never picked up."""
    return services.quarterly_reports_fail_stuck()
