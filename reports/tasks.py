"""Celery tasks of the reports app: thin, they take ids and call a service. Each area keeps its
tasks under its own header comment."""

from __future__ import annotations

from celery import shared_task

from reports import services

# =============================================================================================
# -- bulletins
# =============================================================================================


@shared_task(name="reports.render_bulletin", time_limit=600, soft_time_limit=540)
def render_bulletin(bulletin_id: int) -> str:
    """Compute and render one bulletin. Failures are recorded on the row ("failed" and the
    error), not raised; a bulletin already generated since it was requested is left alone, so
    running twice is harmless."""
    bulletin = services.bulletin_render(bulletin_id=bulletin_id)
    return bulletin.status if bulletin is not None else "missing"


@shared_task(name="reports.issue_monthly_bulletins", time_limit=600, soft_time_limit=540)
def issue_monthly_bulletins() -> int:
    """Daily (beat): on each campaign's bulletin day, queue last month's bulletin of every
    committee. Does nothing on other days; a second run the same day queues nothing new."""
    services.bulletins_fail_stuck()
    return services.bulletins_issue()


# =============================================================================================
# -- ledgers: exports
# =============================================================================================


@shared_task(name="reports.run_export", time_limit=1800, soft_time_limit=1740)
def run_export(job_id: int) -> str | None:
    """Write the ledger of one export job (reports/export_jobs.py). Safe to run twice: a job
    already claimed or finished is left alone; a failure is recorded on the job."""
    from reports import export_jobs

    job = export_jobs.export_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="reports.purge_expired_exports", time_limit=600, soft_time_limit=540)
def purge_expired_exports() -> int:
    """Hourly (beat): fail jobs whose worker died, then delete export files past their
    expiry; the jobs stay, shown as failed or expired."""
    from reports import export_jobs

    export_jobs.fail_stuck_exports()
    return export_jobs.purge_expired_exports()


# =============================================================================================
# -- leadership dashboard: rebuild the precomputed figures (reports/dashboard.py)
# =============================================================================================


@shared_task(name="reports.refresh_dashboard_rollups", time_limit=600, soft_time_limit=540)
def refresh_dashboard_rollups(campaign_id: int | None = None) -> dict[str, float]:
    """Rebuild the dashboard rollups of one campaign (every campaign if None), atomically.
    Beat runs it every five minutes; running it twice, or twice at once, is harmless."""
    from campaigns.models import Campaign
    from reports.dashboard import refresh_rollups

    campaign = None
    if campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            return {"campaigns": 0, "rows": 0, "seconds": 0.0}
    result = refresh_rollups(campaign)
    return {"campaigns": result.campaigns, "rows": result.rows, "seconds": round(result.seconds, 3)}


@shared_task(name="reports.fail_stuck_jobs", time_limit=120, soft_time_limit=100)
def fail_stuck_jobs() -> int:
    """Every 10 minutes (beat): bulletins and exports whose worker died are marked failed, so
    their pages stop waiting and offer to start again."""
    from reports import export_jobs

    return services.bulletins_fail_stuck() + export_jobs.fail_stuck_exports()
