"""Every periodic job of the portal, in one place.

``install_schedule`` (run after every ``migrate``) creates a django-celery-beat
``PeriodicTask`` row for each entry that does not exist yet; it never overwrites one, so times
changed or jobs switched off by the office in the admin (定时任务) survive deploys. Beat runs
with the database scheduler and picks changes up without a restart. Exactly one beat runs.
"""

from __future__ import annotations

# name → task, and either {"every": seconds} or a crontab {"minute", "hour", "day_of_month"}.
# Times are in settings.TIME_ZONE (Asia/Shanghai).
SCHEDULE: dict[str, dict] = {
    "Publish queued work (outbox)": {
        "task": "campaigns.flush_outbox",
        "every": 60,
    },
    "Reminder sweeps (due, overdue, reviews, reports, phases)": {
        "task": "campaigns.run_reminder_sweeps",
        "crontab": {"minute": "5", "hour": "*"},
    },
    # The task checks each campaign's bulletin day itself (Campaign.bulletin_day).
    "Monthly bulletins (on each campaign's bulletin day)": {
        "task": "reports.issue_monthly_bulletins",
        "crontab": {"minute": "30", "hour": "6"},
    },
    "Daily e-mail digest": {
        "task": "campaigns.send_email_digests",
        "crontab": {"minute": "30", "hour": "7"},
    },
    "Delete expired ledger exports": {
        "task": "reports.purge_expired_exports",
        "crontab": {"minute": "17", "hour": "*"},
    },
    "Dashboard figures (rebuild the rollups)": {
        "task": "reports.refresh_dashboard_rollups",
        "every": 300,
    },
    # Quarterly inspection reports (assessments): made on the first days after a quarter ends;
    # renders left running past the worker's hard limit are marked failed.
    "Quarterly inspection reports (after each quarter)": {
        "task": "assessments.generate_quarterly_reports",
        "crontab": {"minute": "40", "hour": "2"},
    },
    "Quarterly inspection reports: mark stuck renders failed": {
        "task": "assessments.cleanup_quarterly_reports",
        "every": 600,
    },
    "Bulletins and exports: mark jobs whose worker died failed": {
        "task": "reports.fail_stuck_jobs",
        "every": 600,
    },
}


def install_schedule(**kwargs) -> int:
    """Create the missing periodic tasks; returns how many were created."""
    from django.conf import settings
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        PeriodicTasks,
    )

    created = 0
    existing = set(PeriodicTask.objects.values_list("name", flat=True))
    for name, entry in SCHEDULE.items():
        if name in existing:
            continue
        defaults = {"task": entry["task"], "description": entry.get("description", "")}
        if "every" in entry:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=entry["every"], period=IntervalSchedule.SECONDS
            )
            defaults["interval"] = interval
        else:
            cron = {"minute": "0", "hour": "*", "day_of_month": "*", **entry["crontab"]}
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=cron["minute"],
                hour=cron["hour"],
                day_of_month=cron["day_of_month"],
                day_of_week="*",
                month_of_year="*",
                timezone=settings.TIME_ZONE,
            )
            defaults["crontab"] = crontab
        PeriodicTask.objects.create(name=name, **defaults)
        created += 1
    if created:
        PeriodicTasks.update_changed()
    return created
