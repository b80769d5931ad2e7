"""Celery tasks of the campaigns app: the outbox sweep and the daily e-mail digest.

Tasks are thin: they take ids and call a service (:mod:`campaigns.outbox`,
:mod:`campaigns.inbox`).
"""

from __future__ import annotations

import smtplib

from celery import shared_task

from campaigns import inbox, outbox


@shared_task(name="campaigns.flush_outbox", time_limit=120, soft_time_limit=100)
def flush_outbox() -> int:
    """Publish work that was recorded while the broker was down."""
    return outbox.flush()


@shared_task(name="campaigns.send_email_digests", time_limit=300, soft_time_limit=280)
def send_email_digests() -> int:
    """Fan out one digest task per user with unsent notifications."""
    recipients = inbox.digest_recipients()
    for user_id in recipients:
        send_email_digest.delay(user_id)
    return len(recipients)


@shared_task(
    name="campaigns.send_email_digest",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
)
def send_email_digest(user_id: int) -> int:
    """E-mail one user's digest. Retried with backoff when the mail server fails; the inbox
    entries are never touched by a failure, and a sent digest is not sent again (the entries
    are marked e-mailed), so a retry after success sends nothing."""
    return inbox.send_digest(user_id=user_id)


@shared_task(name="campaigns.run_reminder_sweeps", time_limit=1800, soft_time_limit=1700)
def run_reminder_sweeps() -> dict[str, int]:
    """Every registered reminder sweep (see ``notices.py`` in each app). Idempotent: a second
    run, or two at once, delivers nothing new."""
    return inbox.run_sweeps()
