"""``manage.py bench --only pledge_export``: the full pledge ledger at city scale, beside the
plain django-import-export export and a bare XlsxWriter loop, over the same rows in one run.

Each variant runs in its own ``multiprocessing`` *spawn* child, so that its peak memory is its
own: the child reports its peak resident set size (``VmHWM``, what "peak memory" means in issue
5; ``ru_maxrss`` where /proc is missing) and the peak it had before exporting (Python, Django and
the database driver, loaded in every variant alike). CPU seconds are the child's own (the
database's work is not in them): on a busy machine they compare better than wall time.

Variants, all over ``Pledge.objects.visible_to(office)`` newest first (the pledge list's rows):

1. ``ledger``: :class:`reports.exporters.PledgeLedgerExporter`, every column (organisation
   path, owner, review history summary, latest fulfilment record, …);
2. ``ledger_8col``: the same exporter machinery (the pledge list's selector, chunked stream,
   typed cells, title and header rows) with the 8 simple columns of the other two;
3. ``bare``: a bare XlsxWriter ``constant_memory`` loop, ``write_row`` over
   ``values_list(8 columns).iterator()`` — the floor for writing xlsx from Python;
4. ``plain``: django-import-export's default path, a ``ModelResource`` of the 8 columns,
   ``resource.export(queryset)`` then ``dataset.export("xlsx")`` (≈80 s and 2 GB at city scale:
   it always runs once).
"""

from __future__ import annotations

from django.apps import apps

# In a spawned child (see _measure) Django is not set up yet: set it up, and import only what an
# export needs (not the bench command and its registry, whose modules would count in the peak).
IN_CHILD = not apps.ready
if IN_CHILD:
    import django

    django.setup()

import multiprocessing  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from django.utils.translation import gettext_lazy  # noqa: E402

from pledges.models import Pledge  # noqa: E402
from reports.exporters import (  # noqa: E402
    CHUNK_SIZE,
    DATE,
    NUMBER,
    TEXT,
    LedgerColumn,
    PledgeLedgerExporter,
    choice_labels,
)

SIMPLE_FIELDS = ("id", "kind", "term", "status", "grade", "content", "expected_effect", "deadline")
# Fast variants run this many times at most (the median is printed); the plain path runs once.
MAX_FAST_RUNS = 3


class SimplePledgeLedger(PledgeLedgerExporter):
    """The pledge ledger's machinery with only the 8 simple columns (for the comparison)."""

    def columns(self) -> list[LedgerColumn]:
        return [
            LedgerColumn("ID", NUMBER, 10),
            LedgerColumn(gettext_lazy("Kind"), TEXT, 12),
            LedgerColumn(gettext_lazy("Term"), TEXT, 10),
            LedgerColumn(gettext_lazy("Status"), TEXT, 12),
            LedgerColumn(gettext_lazy("Grade"), TEXT, 8),
            LedgerColumn(gettext_lazy("What will be done"), TEXT, 40),
            LedgerColumn(gettext_lazy("Expected effect"), TEXT, 30),
            LedgerColumn(gettext_lazy("Deadline"), DATE, 12),
        ]

    def rows(self) -> Iterator[tuple]:
        kinds = choice_labels(Pledge.Kind.choices)
        terms = choice_labels(Pledge.Term.choices)
        statuses = choice_labels(Pledge.Status.choices)
        grades = choice_labels(Pledge.Grade.choices)
        stream = self.queryset().values_list(*SIMPLE_FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for pk, kind, term, status, grade, content, effect, deadline in stream:
            yield (
                pk,
                kinds.get(kind, kind),
                terms.get(term, term),
                statuses.get(status, status),
                grades.get(grade, grade),
                content,
                effect,
                deadline,
            )


def _same_rows(user):
    return Pledge.objects.visible_to(user).order_by("-id")


def _variant_ledger(user, path: str) -> int:
    return PledgeLedgerExporter(user=user).write(path, progress=lambda done: None)


def _variant_ledger_8col(user, path: str) -> int:
    return SimplePledgeLedger(user=user).write(path, progress=lambda done: None)


def _variant_bare(user, path: str) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    rows = 0
    for rows, values in enumerate(  # noqa: B007 - the count is the last index + 1
        _same_rows(user).values_list(*SIMPLE_FIELDS).iterator(chunk_size=CHUNK_SIZE), 1
    ):
        sheet.write_row(rows, 0, values)
    workbook.close()
    return rows


def _variant_plain(user, path: str) -> int:
    from import_export import resources

    class PledgeResource(resources.ModelResource):
        class Meta:
            model = Pledge
            fields = SIMPLE_FIELDS
            export_order = SIMPLE_FIELDS

    dataset = PledgeResource().export(queryset=_same_rows(user))
    data = dataset.export("xlsx")
    with open(path, "wb") as handle:
        handle.write(data)
    return len(dataset)


VARIANTS = {
    "ledger": _variant_ledger,
    "ledger_8col": _variant_ledger_8col,
    "bare": _variant_bare,
    "plain": _variant_plain,
}


def _peak_rss_kb() -> int:
    """The process's peak resident set size so far, in kB: ``VmHWM`` on Linux, which belongs to
    this process image (``ru_maxrss`` also keeps the parent's size from before the spawn's
    exec), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(variant: str, user_id: int, path: str, conn) -> None:
    """Runs in a fresh spawned process: one export, then (rows, seconds, baseline, peak)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    user = get_user_model().objects.get(pk=user_id)
    baseline = _peak_rss_kb()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rows = VARIANTS[variant](user, path)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    connection.close()
    conn.send((rows, seconds, cpu, baseline, _peak_rss_kb(), os.path.getsize(path)))
    conn.close()


@dataclass
class Run:
    rows: int
    seconds: float
    cpu_seconds: float  # the child's own CPU time (the database's work is not in it)
    baseline_mb: float
    peak_mb: float
    size_mb: float


def _measure(variant: str, user_id: int, folder: str) -> Run:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    path = os.path.join(folder, f"{variant}.xlsx")
    process = context.Process(target=_child, args=(variant, user_id, path, send))
    process.start()
    send.close()
    try:
        rows, seconds, cpu, baseline, peak, size = receive.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"the {variant} export died (exit code {process.exitcode})") from None
    process.join()
    os.unlink(path)
    return Run(rows, seconds, cpu, baseline / 1024, peak / 1024, size / 1024 / 1024)


def _summary(runs: list[Run]) -> Run:
    return Run(
        rows=runs[0].rows,
        seconds=statistics.median(r.seconds for r in runs),
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        baseline_mb=max(r.baseline_mb for r in runs),
        peak_mb=max(r.peak_mb for r in runs),
        size_mb=runs[0].size_mb,
    )


def _describe(run: Run, runs: int) -> str:
    return (
        f"{run.rows:,} rows in {run.seconds:.1f} s (median of {runs}; CPU {run.cpu_seconds:.1f} s); peak RSS "
        f"{run.peak_mb:.0f} MB (before exporting {run.baseline_mb:.0f} MB); file {run.size_mb:.0f} MB"
    )


if not IN_CHILD:
    from campaigns.management.commands.bench import BenchContext, Figure, benchmark, not_measured

    @benchmark("pledge_export")
    def bench_pledge_export(ctx: BenchContext) -> Iterator[Figure]:
        if ctx.user is None or not Pledge.objects.exists():
            yield not_measured("pledge_export", "no demo pledges; run seed_demo --scale city")
            return
        user_id = ctx.user.pk
        ctx.log(f"# pledge_export: {_same_rows(ctx.user).count():,} pledges visible to {ctx.user}")
        fast_runs = max(1, min(ctx.runs, MAX_FAST_RUNS))
        folder = tempfile.mkdtemp(prefix="bench-export-")
        results: dict[str, Run] = {}
        try:
            measured: dict[str, list[Run]] = {
                name: [] for name in ("ledger", "ledger_8col", "bare")
            }
            for _ in range(fast_runs):  # interleaved, so that a busy moment hits every variant
                for name in measured:
                    measured[name].append(_measure(name, user_id, folder))
            results = {name: _summary(runs) for name, runs in measured.items()}
            results["plain"] = _measure("plain", user_id, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

        def rate(run: Run) -> float:
            return run.rows / run.seconds if run.seconds else 0.0

        ledger, simple, bare, plain = (
            results[k] for k in ("ledger", "ledger_8col", "bare", "plain")
        )
        yield Figure(
            "pledge_export.ledger (all columns)",
            round(rate(ledger)),
            "rows/s",
            f"{_describe(ledger, fast_runs)}; {ledger.seconds / bare.seconds:.2f}× the bare loop's "
            f"time; {rate(ledger) / rate(plain):.1f}× the plain path's rows/s",
        )
        yield Figure(
            "pledge_export.ledger (8 simple columns)",
            round(rate(simple)),
            "rows/s",
            f"{_describe(simple, fast_runs)}; {simple.seconds / bare.seconds:.2f}× the bare loop's "
            f"time (target ≤ 1.3×; CPU {simple.cpu_seconds / bare.cpu_seconds:.2f}×); "
            f"{rate(simple) / rate(plain):.1f}× the plain path's rows/s (target ≥ 3×)",
        )
        yield Figure(
            "pledge_export.bare XlsxWriter loop (8 columns)",
            round(rate(bare)),
            "rows/s",
            _describe(bare, fast_runs),
        )
        yield Figure(
            "pledge_export.django-import-export (8 columns)",
            round(rate(plain)),
            "rows/s",
            _describe(plain, 1),
        )
        yield Figure(
            "pledge_export.ledger peak memory",
            round(ledger.peak_mb),
            "MB",
            f"target < 150 MB; 8 columns {simple.peak_mb:.0f} MB, bare loop {bare.peak_mb:.0f} MB, "
            f"plain path {plain.peak_mb:.0f} MB",
        )
