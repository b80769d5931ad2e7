"""Queue Celery tasks so that the web never depends on the broker being up.

``enqueue("reports.tasks.render_bulletin", bulletin.pk)`` writes an :class:`OutboxTask` row in
the caller's transaction and publishes it once that transaction commits. Publishing is bounded
(no retries, the broker connection times out after ``CELERY_BROKER_CONNECTION_TIMEOUT``); when it
fails the row stays unsent and ``campaigns.tasks.flush_outbox`` (beat, every minute) publishes it
once the broker is back. A request therefore never hangs or fails because of the broker, and no
work is lost.

Tasks queued this way must tolerate running twice (a publish may succeed just before the process
dies, and the row then goes out again): they take ids and re-check the state they act on.
"""

from __future__ import annotations

import datetime
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from campaigns.models import OutboxTask

logger = logging.getLogger(__name__)

# Rows younger than this are left to their own on_commit publish, not to the sweep.
FLUSH_GRACE = datetime.timedelta(seconds=20)
BROKER_DOWN_KEY = "outbox:broker-down"
BROKER_DOWN_PAUSE = 30  # seconds


def enqueue(task_name: str, *args: int | str) -> OutboxTask:
    """Record ``task_name(*args)`` and publish it after the current transaction commits."""
    row = OutboxTask.objects.create(task_name=task_name, args=list(args))
    transaction.on_commit(lambda: publish(row.pk))
    return row


def publish(pk: int, *, force: bool = False) -> bool:
    """Send one outbox row to the broker. True if it was sent (now or before).

    After a failure, requests stop trying for ``BROKER_DOWN_PAUSE`` (a failed connection costs
    about two seconds) and leave their rows to the flush, which always tries (``force``).
    """
    from config.celery import app

    row = OutboxTask.objects.filter(pk=pk, sent_at__isnull=True).first()
    if row is None:
        return True
    if not force and cache.get(BROKER_DOWN_KEY):
        return False
    try:
        app.send_task(row.task_name, args=row.args, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row for the sweep
        logger.warning("Broker unavailable, %s stays in the outbox: %s", row, exc)
        cache.set(BROKER_DOWN_KEY, True, BROKER_DOWN_PAUSE)
        OutboxTask.objects.filter(pk=pk).update(attempts=row.attempts + 1, last_error=str(exc))
        return False
    cache.delete(BROKER_DOWN_KEY)
    OutboxTask.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=row.attempts + 1)
    return True


def flush(*, limit: int = 500) -> int:
    """Publish unsent rows older than the grace period; returns how many went out.

    Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) so that two flushes
    at once never publish the same row twice.
    """
    cutoff = timezone.now() - FLUSH_GRACE
    sent = 0
    with transaction.atomic():
        rows = list(
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=cutoff)
            .order_by("created_at", "id")[:limit]
            .values_list("pk", flat=True)
        )
        for pk in rows:
            if not publish(pk, force=True):
                break  # the broker is still down: try again on the next flush
            sent += 1
    return sent


def pending_count() -> int:
    return OutboxTask.objects.filter(sent_at__isnull=True).count()
