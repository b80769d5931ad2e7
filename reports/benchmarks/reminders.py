"""``manage.py bench --only reminder_sweep``: the pledge reminder sweeps over the whole city.

The day is chosen so that every kind is due at once (see :func:`busy_day`). Statement logging
is off (``DEBUG=False``), as in the worker: with it, Django keeps the text of every INSERT.

Three passes over the same day:

1. fresh — every notice is new: wall time, pledges scanned, notices generated, new
   notifications written, SQL statements;
2. again — the same sweep right after: everything is already delivered, 0 new (what the hourly
   beat job costs on an ordinary hour);
3. memory — the same sweep once more under ``tracemalloc`` (which slows Python down, so its
   time is not reported): the peak of Python memory. It streams, generates and batches
   exactly what the fresh pass did; only the database discards the rows.

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
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from campaigns import inbox
from campaigns.management.commands.bench import BenchContext, Figure, benchmark
from campaigns.models import Notification
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
    """Two weeks after the data was made (the last pledge created), whenever the benchmark
    runs: a fixed point of the data, so runs months apart measure the same day. By then the
    pledges due in its third week get their 7-day and 1-day reminders, those due in the first
    two weeks are overdue (the earlier ones escalated) and most reviews waiting are late."""
    last = Pledge.objects.aggregate(last=Max("created_at"))["last"]
    made = timezone.localdate(last) if last else timezone.localdate()
    return made + datetime.timedelta(days=14)


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
        with override_settings(DEBUG=False):
            fresh = one_pass(today)
            again = one_pass(today)
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
        f"tracemalloc, {memory.generated:,} notices",
    )
    yield Figure("reminder sweep again: wall time", round(again.seconds, 1), "s", "same day")
    yield Figure("reminder sweep again: new notifications", again.new, "", "must be 0")
    yield Figure("reminder sweep again: SQL statements", again.statements)
    ctx.log(f"# removed the {removed:,} notifications the benchmark created")
