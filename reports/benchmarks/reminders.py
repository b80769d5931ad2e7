"""``manage.py bench --only reminder_sweep``: the pledge reminder sweeps over the whole city.

The day is chosen so that much is due at once: seven days before the deadline most published
pledges share (the annual pledges' 31 December), when that date's 7-day reminders, every
overdue pledge, the escalations and the reviews waiting all fall together.

Three passes over the same day:

1. fresh — every notice is new: wall time, pledges scanned, notices generated, new
   notifications written, SQL statements;
2. again — the same sweep right after: everything is already delivered, 0 new (what the hourly
   beat job costs on an ordinary hour);
3. memory — fresh again (after removing pass 1's rows) under ``tracemalloc``, which slows
   Python down, so its time is not reported: the peak of Python memory of a fresh sweep.

The benchmark deletes the notifications it created (its kinds, created since it started), so
repeated runs measure the same thing and the database is left as it was.
"""

from __future__ import annotations

import datetime
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from campaigns import inbox
from campaigns.management.commands.bench import BenchContext, Figure, benchmark
from campaigns.models import Campaign, Notification
from pledges import notices
from pledges.models import Pledge

SWEEPS = (
    "pledges_due_soon",
    "pledges_overdue",
    "pledges_overdue_escalated",
    "pledges_review_waiting",
)
KINDS = [
    notices.DUE_SOON.code,
    notices.OVERDUE.code,
    notices.ESCALATED.code,
    notices.REVIEW_WAITING.code,
]


@dataclass
class Pass:
    seconds: float = 0.0
    scanned: int = 0
    generated: int = 0
    new: int = 0
    statements: int = 0
    peak_mb: float = 0.0


def busy_day() -> datetime.date:
    """Seven days before the deadline most published pledges of active campaigns share."""
    top = (
        Pledge.objects.filter(
            status=Pledge.Status.PUBLISHED,
            campaign__status=Campaign.Status.ACTIVE,
            deadline__isnull=False,
        )
        .values("deadline")
        .annotate(n=Count("id"))
        .order_by("-n", "deadline")
        .first()
    )
    deadline = top["deadline"] if top else timezone.localdate()
    return deadline - datetime.timedelta(days=7)


@contextmanager
def counting() -> Iterator[Pass]:
    """Counts SQL statements and the pledges the sweeps stream, for one pass."""
    result = Pass()
    original = notices._batches

    def batches(queryset):
        for batch in original(queryset):
            result.scanned += len(batch)
            yield batch

    def count_statement(execute, sql, params, many, context):
        result.statements += 1
        return execute(sql, params, many, context)

    notices._batches = batches
    try:
        with connection.execute_wrapper(count_statement):
            yield result
    finally:
        notices._batches = original


def one_pass(today: datetime.date, *, memory: bool = False) -> Pass:
    with counting() as result:
        if memory:
            tracemalloc.start()
        started = time.perf_counter()
        for name in SWEEPS:

            def generated(name: str = name) -> Iterator[inbox.Notice]:
                for notice in inbox.SWEEPS[name](today=today):
                    result.generated += 1
                    yield notice

            result.new += inbox.deliver(generated())
        result.seconds = time.perf_counter() - started
        if memory:
            result.peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
    return result


def clean_up(since: datetime.datetime) -> int:
    deleted, _ = Notification.objects.filter(kind__in=KINDS, created_at__gte=since).delete()
    return deleted


@benchmark("reminder_sweep")
def bench_reminder_sweep(ctx: BenchContext) -> Iterator[Figure]:
    today = busy_day()
    since = timezone.now()
    before = Notification.objects.filter(kind__in=KINDS).count()
    ctx.log(
        f"# reminder sweep for {today.isoformat()} over "
        f"{Pledge.objects.count():,} pledges; {before:,} such notifications existed before"
    )
    try:
        fresh = one_pass(today)
        again = one_pass(today)
        clean_up(since)
        memory = one_pass(today, memory=True)
    finally:
        removed = clean_up(since)
    per_sweep = f"{len(SWEEPS)} sweeps, day {today.isoformat()}"
    yield Figure("reminder sweep: wall time", round(fresh.seconds, 1), "s", per_sweep)
    yield Figure("reminder sweep: pledges scanned", fresh.scanned, "", "streamed in batches")
    yield Figure("reminder sweep: notices generated", fresh.generated)
    yield Figure("reminder sweep: new notifications", fresh.new, "", "first run")
    yield Figure("reminder sweep: SQL statements", fresh.statements, "", "first run")
    yield Figure(
        "reminder sweep: peak Python memory",
        round(memory.peak_mb, 1),
        "MB",
        f"tracemalloc, fresh run ({memory.new:,} new)",
    )
    yield Figure("reminder sweep again: wall time", round(again.seconds, 1), "s", "same day")
    yield Figure("reminder sweep again: new notifications", again.new, "", "must be 0")
    yield Figure("reminder sweep again: SQL statements", again.statements)
    ctx.log(f"# removed the {removed:,} notifications the benchmark created")
