"""``manage.py bench [--runs 20] [--seed] [--only NAME]``: timings on the configured database.

Meant for the city-scale database on PostgreSQL (``seed_demo --scale city``). Prints one line per
figure — ``name  value  unit  comparison`` — where the comparison (e.g. the bare SQL count) is
measured in the same run. It never asserts: it measures and prints.

Figures come from a registry: a function decorated with ``@benchmark("name")`` takes the
:class:`BenchContext` and yields :class:`Figure` objects; later issues add their own functions
below. They run in the order they are registered.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Substr

from campaigns import demo, scope, selectors
from campaigns.management.commands.seed_demo import pad
from campaigns.models import Member, Organization


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | str
    unit: str = ""
    comparison: str = ""


@dataclass
class BenchContext:
    runs: int
    seed: bool
    log: Callable[[str], None]
    user: object | None = None  # whose scope the list queries run in
    root: Organization | None = None
    committee: Organization | None = None  # the depth-2 organisation with most members
    cache: dict = field(default_factory=dict)  # for benchmarks that share prepared objects


BenchFunction = Callable[[BenchContext], Iterable[Figure]]
BENCHMARKS: list[tuple[str, BenchFunction]] = []


def benchmark(name: str) -> Callable[[BenchFunction], BenchFunction]:
    def register(func: BenchFunction) -> BenchFunction:
        BENCHMARKS.append((name, func))
        return func

    return register


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def compare(
    ctx: BenchContext, subject: Callable[[], object], baseline: Callable[[], object]
) -> tuple[list[float], list[float]]:
    """Milliseconds of ``subject`` and ``baseline`` over ``ctx.runs`` interleaved runs, after one
    warm-up run of each (the first query after connecting pays for catalogue look-ups)."""
    subject()
    baseline()
    subject_ms, baseline_ms = [], []
    for _ in range(ctx.runs):
        subject_ms.append(timed(subject))
        baseline_ms.append(timed(baseline))
    return subject_ms, baseline_ms


def median_and_p95(
    name: str, subject_ms: list[float], baseline_ms: list[float], baseline_label: str
) -> Iterator[Figure]:
    yield Figure(
        f"{name} median",
        round(statistics.median(subject_ms), 1),
        "ms",
        f"{baseline_label}: median {statistics.median(baseline_ms):.1f} ms",
    )
    yield Figure(
        f"{name} p95",
        round(p95(subject_ms), 1),
        "ms",
        f"{baseline_label}: p95 {p95(baseline_ms):.1f} ms",
    )


def bare_count(sql: str, params: list) -> Callable[[], int]:
    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    return run


def like_prefix(path: str) -> str:
    # Paths hold only 0-9 and A-Z, so there is nothing to escape for LIKE.
    return path + "%"


def subtrees(ctx: BenchContext) -> list[tuple[str, Organization]]:
    result = []
    if ctx.root is not None:
        result.append(("root", ctx.root))
    if ctx.committee is not None:
        result.append(("committee", ctx.committee))
    return result


def not_measured(name: str, why: str) -> Figure:
    return Figure(name, "not measured", "", why)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@benchmark("seed_city")
def bench_seed_city(ctx: BenchContext) -> Iterator[Figure]:
    """``seed_demo --scale city`` from scratch (with --seed), else the last recorded time."""
    name = "seed_demo --scale city"
    if ctx.seed:
        started = time.perf_counter()
        deleted = demo.reset_demo()
        if deleted:
            yield Figure(
                "seed_demo --reset (delete)",
                round(time.perf_counter() - started, 1),
                "s",
                "deleting the previous demo city",
            )
        result = demo.seed(scale=demo.SCALE_CITY)
        demo.record_seed_timing(scale=demo.SCALE_CITY, seconds=result.seconds)
        counts = demo.summary_counts()
        yield Figure(
            name,
            round(result.seconds, 1),
            "s",
            f"{counts['organisations']:,} organisations, {counts['members']:,} members; "
            "tree check not included",
        )
        return
    record = demo.last_seed_timing(demo.SCALE_CITY)
    if record is None:
        yield not_measured(name, "no seeding recorded for this database; run bench --seed")
        return
    now = demo.summary_counts()
    if now.get("organisations") != record.get("organisations") or now.get("members") != record.get(
        "members"
    ):
        # The database was re-created or changed since: the old time would mislead.
        yield not_measured(
            name,
            f"the record of {record['at']} ({record['seconds']:.1f} s) is for another state of "
            "this database; run bench --seed",
        )
        return
    yield Figure(
        name,
        round(record["seconds"], 1),
        "s",
        f"recorded {record['at']}: {record.get('organisations', 0):,} organisations, "
        f"{record.get('members', 0):,} members",
    )


def _member_list_page(user, org: Organization) -> Callable[[], object]:
    """What the member list page does for ``org``: the scoped queryset, page 1 of 50 with its
    count, and the per-row decoration (private fields, branch trail)."""
    queryset_for = getattr(selectors, "member_list_queryset", None)
    decorate = getattr(selectors, "member_decorate", None)

    def run() -> object:
        scope.forget(user)  # as on a new request: the role look-up is part of the cost
        if queryset_for is not None:
            queryset = queryset_for(user=user, org=org)
        else:  # the equivalent queryset, should the selector be renamed
            queryset = (
                Member.objects.visible_to(user)
                .filter(branch__path__startswith=org.path)
                .select_related("branch")
                .prefetch_related("categories")
                .order_by("branch__path", "name", "id")
            )
        page = Paginator(queryset, settings.PORTAL_PAGE_SIZE).page(1)
        rows = decorate(user=user, members=page.object_list) if decorate else list(page.object_list)
        return page.paginator.count, rows

    return run


@benchmark("member_list")
def bench_member_list(ctx: BenchContext) -> Iterator[Figure]:
    """First page (50 rows) plus the count of a big subtree's members, beside the bare count."""
    if ctx.user is None or ctx.root is None:
        yield not_measured("member list", "no demo city or no office login; run seed_demo")
        return
    sql = (
        f'SELECT count(*) FROM "{Member._meta.db_table}" m '
        f'JOIN "{Organization._meta.db_table}" o ON o.id = m.branch_id WHERE o.path LIKE %s'
    )
    for label, org in subtrees(ctx):
        members = bare_count(sql, [like_prefix(org.path)])()
        subject_ms, baseline_ms = compare(
            ctx, _member_list_page(ctx.user, org), bare_count(sql, [like_prefix(org.path)])
        )
        ctx.log(f"# member_list.{label} = {org.code} ({members:,} members)")
        yield from median_and_p95(
            f"member_list.{label} page1+count",
            subject_ms,
            baseline_ms,
            "bare SELECT count(*) ... path LIKE",
        )


@benchmark("org_subtree")
def bench_org_subtree(ctx: BenchContext) -> Iterator[Figure]:
    """Count and first page of an organisation's subtree through visible_to(), beside the bare
    count."""
    if ctx.user is None or ctx.root is None:
        yield not_measured("org subtree", "no demo city or no office login; run seed_demo")
        return
    sql = f'SELECT count(*) FROM "{Organization._meta.db_table}" WHERE path LIKE %s'
    for label, org in subtrees(ctx):

        def page(org: Organization = org) -> object:
            scope.forget(ctx.user)
            queryset = Organization.objects.visible_to(ctx.user).subtree_of(org).order_by("path")
            paged = Paginator(queryset, settings.PORTAL_PAGE_SIZE).page(1)
            return paged.paginator.count, list(paged.object_list)

        size = bare_count(sql, [like_prefix(org.path)])()
        subject_ms, baseline_ms = compare(ctx, page, bare_count(sql, [like_prefix(org.path)]))
        ctx.log(f"# org_subtree.{label} = {org.code} ({size:,} organisations)")
        yield from median_and_p95(
            f"org_subtree.{label} page1+count",
            subject_ms,
            baseline_ms,
            "bare SELECT count(*) ... path LIKE",
        )


# ---------------------------------------------------------------------------------------------
# Pledges (pledges/demo.py seeds ~559,000 of them at city scale)
# ---------------------------------------------------------------------------------------------


@benchmark("pledge_lists")
def bench_pledge_lists(ctx: BenchContext) -> Iterator[Figure]:
    """The office's review queue and a big subtree's overdue pledges, each as page 1 (50 rows)
    plus the count, beside the bare count."""
    from django.utils import timezone

    from pledges import selectors as pledge_selectors
    from pledges.models import Pledge

    if ctx.user is None or ctx.root is None or not Pledge.objects.exists():
        yield not_measured("pledge lists", "no demo pledges; run seed_demo")
        return
    pledges, orgs = Pledge._meta.db_table, Organization._meta.db_table

    def page_and_count(queryset) -> object:
        page = Paginator(queryset, settings.PORTAL_PAGE_SIZE).page(1)
        return page.paginator.count, list(page.object_list)

    def queue() -> object:
        scope.forget(ctx.user)
        return page_and_count(pledge_selectors.pledges_awaiting_review(user=ctx.user))

    # The office reviews organisation pledges (member pledges are the branch committees').
    sql = (
        f'SELECT count(*) FROM "{pledges}" p JOIN "{orgs}" o ON o.id = p.organization_id '
        "WHERE p.status = %s AND p.owner_member_id IS NULL AND o.path LIKE %s"
    )
    params = [Pledge.Status.SUBMITTED, like_prefix(ctx.root.path)]
    subject_ms, baseline_ms = compare(ctx, queue, bare_count(sql, params))
    ctx.log(f"# pledge_queue.office = {bare_count(sql, params)():,} pledges awaiting review")
    yield from median_and_p95(
        "pledge_queue.office page1+count", subject_ms, baseline_ms, "bare SELECT count(*)"
    )

    today = timezone.localdate()
    sql = (
        f'SELECT count(*) FROM "{pledges}" p JOIN "{orgs}" o ON o.id = p.organization_id '
        "WHERE p.status = %s AND p.deadline < %s AND o.path LIKE %s"
    )
    for label, org in subtrees(ctx):

        def overdue(org: Organization = org) -> object:
            scope.forget(ctx.user)
            return page_and_count(
                Pledge.objects.visible_to(ctx.user)
                .overdue(today)
                .filter(organization__path__startswith=org.path)
                .select_related("organization", "owner_member", "owner_organization")
                .order_by("deadline", "id")
            )

        params = [Pledge.Status.PUBLISHED, today, like_prefix(org.path)]
        subject_ms, baseline_ms = compare(ctx, overdue, bare_count(sql, params))
        ctx.log(f"# pledge_overdue.{label} = {org.code} ({bare_count(sql, params)():,} overdue)")
        yield from median_and_p95(
            f"pledge_overdue.{label} page1+count",
            subject_ms,
            baseline_ms,
            "bare SELECT count(*) ... path LIKE",
        )


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def biggest_committee(root: Organization) -> Organization | None:
    """The child of the root with the most members in its subtree (one grouped query)."""
    step = len(root.path) + Organization.steplen
    top = (
        Member.objects.filter(branch__path__startswith=root.path)
        .annotate(prefix=Substr("branch__path", 1, step))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return Organization.objects.filter(path=top["prefix"]).first() if top else None


def bench_user(root: Organization | None):
    """The office login (a role on the city, as the people who run big lists have), else any
    active superuser."""
    User = get_user_model()
    user = User.objects.filter(username="office", is_active=True).first()
    if user is not None and root is not None and scope.has_role_on(user, root):
        return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


# Benchmarks of later features live beside them, in these modules (each registers with
# @benchmark when imported); a module that does not exist in this checkout is skipped.
BENCH_MODULES = (
    "reports.benchmarks.reminders",
    "reports.benchmarks.imports",
    "reports.benchmarks.exports",
    "reports.benchmarks.dashboard",
    "assessments.benchmarks",
)


def load_bench_modules() -> None:
    for module in BENCH_MODULES:
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise


load_bench_modules()


class Command(BaseCommand):
    help = "Print timings (median and p95) of big queries on the configured database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=20, help="Runs per figure (default 20).")
        parser.add_argument(
            "--seed",
            action="store_true",
            help="Delete the demo city and time seed_demo --scale city into this database first.",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            help="Run only the named benchmarks (repeatable): "
            + ", ".join(name for name, _ in BENCHMARKS),
        )

    def handle(self, *args, runs: int, seed: bool, only: list[str], **options) -> None:
        ctx = BenchContext(runs=max(1, runs), seed=seed, log=self.stdout.write)
        db = connection.settings_dict
        self.stdout.write(
            f"# database: {connection.vendor} {db['NAME']}"
            + (f" at {db['HOST']}" if db.get("HOST") else "")
            + f"; {ctx.runs} runs per figure after one warm-up"
        )
        for name, func in BENCHMARKS:
            if only and name not in only:
                continue
            if name != "seed_city" and ctx.root is None:
                self._prepare(ctx)
            for figure in func(ctx):
                value = (
                    f"{figure.value:,}" if isinstance(figure.value, int | float) else figure.value
                )
                self.stdout.write(
                    f"{pad(figure.name, 40)}  {value:>12}  {pad(figure.unit, 3)}  {figure.comparison}".rstrip()
                )

    def _prepare(self, ctx: BenchContext) -> None:
        ctx.root = demo.find_root()
        ctx.user = bench_user(ctx.root)
        ctx.committee = biggest_committee(ctx.root) if ctx.root else None
        if ctx.root is not None:
            counts = demo.summary_counts()
            ctx.log(
                f"# demo city: {counts['organisations']:,} organisations, "
                f"{counts['members']:,} members; queries as user "
                f"{getattr(ctx.user, 'username', None)!r}"
            )
        source = (
            "campaigns.selectors.member_list_queryset + member_decorate"
            if getattr(selectors, "member_list_queryset", None)
            else "Member.objects.visible_to(user) subtree, select_related/prefetch (fallback)"
        )
        ctx.log(f"# member list measured through {source}")
