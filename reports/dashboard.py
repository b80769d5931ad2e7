"""The leadership dashboard (数据看板): figures for any subtree of the tree, read from rollups.

Definitions (the page repeats them as footnotes):

- **Total** (承诺总数): pledges submitted for review and not withdrawn — statuses submitted,
  returned, approved, published, fulfilled and evaluated. A draft is not yet a pledge and a
  withdrawn pledge was cancelled, so neither counts for or against anyone.
- **Fulfilled** (已兑现): the pledge app's rule (``pledges.selectors._subtree_counts``, the public
  boards): status fulfilled, or evaluated after having been fulfilled. A pledge graded straight
  from "published" has not been fulfilled.
- **Fulfilment rate** = fulfilled / total, overall, for member and organisation pledges, by kind
  and by term.
- **Overdue** (逾期): published and past the deadline (``Pledge.objects.overdue``), as of the
  last refresh; **overdue rate** = overdue / total.
- **Review backlog** (待审核): pledges awaiting review; their age is counted in whole days from
  the day of submission to today (oldest, median).
- **Returned** (退回修改): pledges currently returned for revision.
- **Monthly reports on time** (月报按时报送): reports first submitted on or before their due
  date, over the reports already due (due date passed) or already submitted; "—" when this
  checkout has no monthly reports.
- **Public satisfaction** (群众满意率): ratings 满意 + 基本满意 over all counted ratings of the
  subtree's pledges (every rating except those whose comment a moderator rejected, as in
  ``pledges.selectors.public_satisfaction``).

How it stays fast: :func:`refresh_rollups` rebuilds :class:`~reports.models.dashboard.DashboardRollup`
and :class:`~reports.models.dashboard.DashboardSeries` in one transaction, every few minutes
(beat: ``reports.refresh_dashboard_rollups``): one ``INSERT … SELECT … GROUP BY`` counts each
organisation's OWN pledges (``own`` rows), a second sums the own rows under every ancestor's path
prefix (``subtree`` rows: ``GROUP BY substr(path, 1, 4·d)`` for each depth d). A subtree's
figures are then one row, its children one row each, its trend and backlog ages a handful of
rows. The page makes a fixed number of queries whatever the size of the subtree (see
:func:`dashboard_page`) and says when the figures were computed.

The selectors here take an organisation the caller has already checked (``access_*``): the
view checks the user's scope; the quarterly PDF, rendered by the worker, has no user.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Count, F, PositiveIntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from campaigns import scope
from campaigns.models import Campaign, Organization, Phase
from pledges.models import Feedback, Pledge
from reports.models.dashboard import DashboardRefresh, DashboardRollup, DashboardSeries, Scope

Status = Pledge.Status

#: Statuses that count towards the total (submitted and not withdrawn).
COUNTED_STATUSES = (
    Status.SUBMITTED,
    Status.RETURNED,
    Status.APPROVED,
    Status.PUBLISHED,
    Status.FULFILLED,
    Status.EVALUATED,
)

#: The summed columns of a rollup row, in model order.
COUNT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in DashboardRollup._meta.concrete_fields if isinstance(f, PositiveIntegerField)
)


_COLUMN_SET = frozenset(COUNT_COLUMNS)


def _done_q(prefix: str = "") -> Q:
    """Fulfilled: status fulfilled, or evaluated after fulfilment (the pledge app's rule)."""
    return Q(**{f"{prefix}status": Status.FULFILLED}) | Q(
        **{f"{prefix}status": Status.EVALUATED, f"{prefix}fulfilled_at__isnull": False}
    )


# ---------------------------------------------------------------------------------------------
# Refreshing the rollups
# ---------------------------------------------------------------------------------------------


def monthly_report_model():
    """The monthly report model (reports/models/monthly.py) if this checkout has it with the
    fields the dashboard needs, else None (the page then shows "—")."""
    from reports.models import monthly

    model = getattr(monthly, "MonthlyReport", None)
    if model is None:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if not {"campaign", "organization", "due_date", "submitted_at"} <= names:
        return None
    return model


def _zeros(except_: Iterable[str]) -> dict[str, Value]:
    skip = set(except_)
    return {name: Value(0) for name in COUNT_COLUMNS if name not in skip}


def _ordered(annotations: dict) -> dict:
    """The annotations in COUNT_COLUMNS order: the members of the UNION must line up."""
    return {name: annotations[name] for name in COUNT_COLUMNS}


def _pledge_counts(campaign_ids: list[int] | None, today: datetime.date) -> QuerySet:
    counted = Q(status__in=COUNTED_STATUSES)
    done = _done_q()
    member = Q(owner_member__isnull=False)
    org = Q(owner_member__isnull=True)

    def n(q: Q) -> Count:
        return Count("pk", filter=q)

    counts = {f"n_{status}": n(Q(status=status)) for status in Status.values}
    counts |= {
        "total": n(counted),
        "done": n(done),
        "member_total": n(counted & member),
        "member_done": n(done & member),
        "org_total": n(counted & org),
        "org_done": n(done & org),
        "n_overdue": n(Q(status=Status.PUBLISHED, deadline__lt=today)),
    }
    for kind in Pledge.Kind.values:
        counts[f"{kind}_total"] = n(counted & Q(kind=kind))
        counts[f"{kind}_done"] = n(done & Q(kind=kind))
    for term in Pledge.Term.values:
        counts[f"{term}_total"] = n(counted & Q(term=term))
        counts[f"{term}_done"] = n(done & Q(term=term))
    qs = Pledge.objects.all()
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    return (
        qs.values("campaign_id", "organization_id")
        .annotate(**_ordered(counts | _zeros(counts)))
        .order_by()
    )


def _feedback_counts(campaign_ids: list[int] | None) -> QuerySet:
    counts = {
        "feedback_total": Count("pk"),
        "feedback_satisfied": Count("pk", filter=Q(rating__in=Feedback.SATISFIED_RATINGS)),
    }
    qs = Feedback.objects.counted()
    if campaign_ids is not None:
        qs = qs.filter(pledge__campaign_id__in=campaign_ids)
    return (
        qs.values(campaign=F("pledge__campaign_id"), org=F("pledge__organization_id"))
        .annotate(**_ordered(counts | _zeros(counts)))
        .order_by()
    )


def _report_counts(model, campaign_ids: list[int] | None, today: datetime.date) -> QuerySet:
    # The first submission decides lateness (``MonthlyReport.is_late``): a report that reached
    # the superior on time and was returned for revision is not late because of the return.
    names = {f.name for f in model._meta.get_fields()}
    stamp = "first_submitted_at" if "first_submitted_at" in names else "submitted_at"
    submitted = Q(**{f"{stamp}__isnull": False})
    counts = {
        # Due: the due date has passed, or the report is in (early reports count too).
        "reports_due": Count("pk", filter=Q(due_date__lt=today) | submitted),
        "reports_on_time": Count(
            "pk", filter=submitted & Q(**{f"{stamp}__date__lte": F("due_date")})
        ),
    }
    qs = model.objects.all()
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    return (
        qs.values("campaign_id", "organization_id")
        .annotate(**_ordered(counts | _zeros(counts)))
        .order_by()
    )


def _series_fulfilled(campaign_ids: list[int] | None) -> QuerySet:
    # A fulfilled pledge always carries its fulfilment time when the workflow made it; rows
    # written otherwise (imports, old data) fall back to their last change.
    qs = Pledge.objects.filter(_done_q())
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    return (
        qs.annotate(
            day_=TruncMonth(Coalesce("fulfilled_at", "updated_at"), output_field=_date_field())
        )
        .values("campaign_id", "organization_id", "day_")
        .annotate(series_=Value(DashboardSeries.Series.FULFILLED), n_=Count("pk"))
        .order_by()
    )


def _series_waiting(campaign_ids: list[int] | None) -> QuerySet:
    qs = Pledge.objects.filter(status=Status.SUBMITTED)
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    return (
        qs.annotate(day_=TruncDate(Coalesce("submitted_at", "updated_at")))
        .values("campaign_id", "organization_id", "day_")
        .annotate(series_=Value(DashboardSeries.Series.WAITING), n_=Count("pk"))
        .order_by()
    )


def _date_field():
    from django.db.models import DateField

    return DateField()


def _sql(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_rollups(campaign_ids: list[int] | None, today: datetime.date) -> int:
    """One INSERT … SELECT: the UNION ALL of the per-source counts, summed per (campaign,
    organisation) and joined to the organisation for its path."""
    parts = [_sql(_pledge_counts(campaign_ids, today)), _sql(_feedback_counts(campaign_ids))]
    model = monthly_report_model()
    if model is not None:
        parts.append(_sql(_report_counts(model, campaign_ids, today)))
    # The first member names the columns: campaign_id, organization_id, then COUNT_COLUMNS.
    union = " UNION ALL ".join(sql for sql, _ in parts)
    params = tuple(p for _, ps in parts for p in ps)
    table = _quote(DashboardRollup._meta.db_table)
    orgs = _quote(Organization._meta.db_table)
    columns = ", ".join(_quote(c) for c in COUNT_COLUMNS)
    sums = ", ".join(f"SUM(u.{_quote(c)})" for c in COUNT_COLUMNS)
    sql = (
        f'INSERT INTO {table} ("campaign_id", "organization_id", "path", "depth", "scope", '
        f"{columns}) "
        f'SELECT u."campaign_id", u."organization_id", o."path", o."depth", %s, {sums} '
        f"FROM ({union}) u "
        f'JOIN {orgs} o ON o."id" = u."organization_id" '
        f'GROUP BY u."campaign_id", u."organization_id", o."path", o."depth"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (Scope.OWN, *params))
        return cursor.rowcount


def _insert_subtrees(
    model, keys: tuple[str, ...], sums: tuple[str, ...], campaign_ids: list[int] | None
) -> int:
    """Sum the ``own`` rows of ``model`` into one ``subtree`` row per ancestor (and the
    organisation itself): for each depth d, every own row at depth ≥ d is grouped under the
    first d steps of its path — one UNION ALL member per level of the tree, one INSERT."""
    table = _quote(model._meta.db_table)
    orgs = _quote(Organization._meta.db_table)
    max_depth = model.objects.filter(scope=Scope.OWN).aggregate(m=models.Max("depth"))["m"] or 0
    if not max_depth:
        return 0
    key_cols = "".join(f", r.{_quote(k)}" for k in keys)
    sum_cols = "".join(f", r.{_quote(c)}" for c in sums)
    members, params = [], []
    for depth in range(1, max_depth + 1):
        where = 'r."scope" = %s AND r."depth" >= %s'
        params += [Scope.OWN, depth]
        if campaign_ids is not None:
            where += f' AND r."campaign_id" IN ({", ".join(["%s"] * len(campaign_ids))})'
            params += campaign_ids
        members.append(
            f'SELECT r."campaign_id", SUBSTR(r."path", 1, {depth * Organization.steplen}) '
            f'AS "anc"{key_cols}{sum_cols} FROM {table} r WHERE {where}'
        )
    out_keys = "".join(f", {_quote(k)}" for k in keys)
    out_sums = "".join(f", {_quote(c)}" for c in sums)
    group_keys = "".join(f", u.{_quote(k)}" for k in keys)
    summed = "".join(f", SUM(u.{_quote(c)})" for c in sums)
    sql = (
        f'INSERT INTO {table} ("campaign_id", "organization_id", "path", "depth", "scope"'
        f"{out_keys}{out_sums}) "
        f'SELECT u."campaign_id", o."id", o."path", o."depth", %s{group_keys}{summed} '
        f"FROM ({' UNION ALL '.join(members)}) u "
        f'JOIN {orgs} o ON o."path" = u."anc" '
        f'GROUP BY u."campaign_id", o."id", o."path", o."depth"{group_keys}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (Scope.SUBTREE, *params))
        return cursor.rowcount


def _insert_series(campaign_ids: list[int] | None) -> int:
    parts = [_sql(_series_fulfilled(campaign_ids)), _sql(_series_waiting(campaign_ids))]
    union = " UNION ALL ".join(sql for sql, _ in parts)
    params = tuple(p for _, ps in parts for p in ps)
    table = _quote(DashboardSeries._meta.db_table)
    orgs = _quote(Organization._meta.db_table)
    sql = (
        f'INSERT INTO {table} ("campaign_id", "organization_id", "path", "depth", "scope", '
        '"day", "series", "n") '
        f'SELECT u."campaign_id", u."organization_id", o."path", o."depth", %s, u."day_", '
        f'u."series_", u."n_" FROM ({union}) u '
        f'JOIN {orgs} o ON o."id" = u."organization_id"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (Scope.OWN, *params))
        return cursor.rowcount


@dataclass(frozen=True)
class RefreshResult:
    campaigns: int
    rows: int
    series_rows: int
    seconds: float


def refresh_rollups(
    campaign: Campaign | None = None, *, today: datetime.date | None = None
) -> RefreshResult:
    """Rebuild the dashboard rows of ``campaign`` (every campaign if None), atomically.

    The old rows are deleted and the new ones inserted in one transaction, so a reader sees
    either the old figures or the new, never a mixture. The campaign's
    :class:`DashboardRefresh` row is locked first: a second refresh of the same campaign waits
    and then rebuilds again (safe to run twice, or at the same time).
    """
    today = today or timezone.localdate()
    started = time.perf_counter()
    campaign_ids = [campaign.pk] if campaign is not None else None
    with transaction.atomic():
        ids = campaign_ids or list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
        DashboardRefresh.objects.bulk_create(
            [DashboardRefresh(campaign_id=pk) for pk in ids], ignore_conflicts=True
        )
        list(
            DashboardRefresh.objects.select_for_update()
            .filter(campaign_id__in=ids)
            .order_by("campaign_id")
            .values_list("pk", flat=True)
        )
        rollups = DashboardRollup.objects.all()
        series = DashboardSeries.objects.all()
        if campaign_ids is not None:
            rollups = rollups.filter(campaign_id__in=campaign_ids)
            series = series.filter(campaign_id__in=campaign_ids)
        rollups.delete()
        series.delete()
        rows = _insert_rollups(campaign_ids, today)
        rows += _insert_subtrees(DashboardRollup, (), COUNT_COLUMNS, campaign_ids)
        series_rows = _insert_series(campaign_ids)
        series_rows += _insert_subtrees(DashboardSeries, ("series", "day"), ("n",), campaign_ids)
        seconds = time.perf_counter() - started
        DashboardRefresh.objects.filter(campaign_id__in=ids).update(
            refreshed_at=timezone.now(), seconds=round(seconds, 3), rows=rows
        )
    if connection.vendor == "postgresql":
        # Half the rows were just replaced: fresh statistics keep the planner on the indexes.
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {_quote(DashboardRollup._meta.db_table)}, "
                f"{_quote(DashboardSeries._meta.db_table)}"
            )
    return RefreshResult(campaigns=len(ids), rows=rows, series_rows=series_rows, seconds=seconds)


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``; ``percent`` is None when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        if not self.whole:
            return None
        return round(self.part * 100 / self.whole, 1)

    @property
    def display(self) -> str:
        """ "56.1%", or "—" when there is nothing to divide by."""
        percent = self.percent
        return "—" if percent is None else f"{number_format(percent, 1)}%"


@dataclass(frozen=True)
class Counts:
    """The summed rollup columns of a set of organisations (a subtree, or a child's subtree)."""

    values: dict[str, int]

    def __getitem__(self, name: str) -> int:
        # Only the rollup columns: templates try ``counts["fulfilment"]`` before the attribute,
        # and must get a KeyError to fall back to it.
        if name not in _COLUMN_SET:
            raise KeyError(name)
        return self.values.get(name, 0)

    @property
    def total(self) -> int:
        return self["total"]

    @property
    def fulfilled(self) -> int:
        return self["done"]

    @property
    def fulfilment(self) -> Share:
        return Share(self["done"], self["total"])

    @property
    def overdue(self) -> Share:
        return Share(self["n_overdue"], self["total"])

    @property
    def backlog(self) -> int:
        return self["n_submitted"]

    @property
    def returned(self) -> int:
        return self["n_returned"]

    @property
    def satisfaction(self) -> Share:
        return Share(self["feedback_satisfied"], self["feedback_total"])

    @property
    def reports(self) -> Share:
        return Share(self["reports_on_time"], self["reports_due"])


def flag_for(counts: Counts, campaign: Campaign) -> str:
    """Traffic light of a subtree: ``red`` when its fulfilment rate is below the campaign's red
    threshold or its overdue rate above the overdue threshold, ``amber`` below the amber
    threshold, ``green`` otherwise; ``none`` without any pledge to judge."""
    rate = counts.fulfilment.percent
    if rate is None:
        return "none"
    overdue = counts.overdue.percent or 0
    if rate < campaign.flag_fulfilment_red_below or overdue > campaign.flag_overdue_red_above:
        return "red"
    if rate < campaign.flag_fulfilment_amber_below:
        return "amber"
    return "green"


FLAG_LABELS = {
    "red": _("Lagging"),
    "amber": _("Watch"),
    "green": _("On track"),
    "none": _("No pledges"),
}


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    share: Share  # fulfilled of total


@dataclass(frozen=True)
class TrendPoint:
    month: datetime.date
    fulfilled: int
    cumulative: int
    cumulative_rate: float | None  # cumulative fulfilled / today's total, in %


@dataclass(frozen=True)
class PhasePoint:
    name: str
    kind: str
    start_date: datetime.date
    end_date: datetime.date
    state: str  # past, current, upcoming


@dataclass
class DashboardFigures:
    """Everything the dashboard (and the quarterly PDF) shows about one subtree."""

    organization: Organization
    campaign: Campaign
    today: datetime.date
    refreshed_at: datetime.datetime | None
    counts: Counts
    by_status: list[tuple[str, str, int]]  # (status, label, count) for every status
    by_owner: list[Breakdown]
    by_kind: list[Breakdown]
    by_term: list[Breakdown]
    backlog_oldest_days: int | None
    backlog_median_days: float | None
    trend: list[TrendPoint]
    phases: list[PhasePoint]
    reports_available: bool
    flag: str = "none"
    extra: dict = field(default_factory=dict)

    @property
    def is_fresh(self) -> bool:
        return self.refreshed_at is not None

    @property
    def refreshed_today(self) -> bool:
        return self.refreshed_at is not None and timezone.localdate(self.refreshed_at) == self.today


def _subtree_counts(organization: Organization, campaign: Campaign) -> Counts:
    row = (
        DashboardRollup.objects.filter(
            campaign=campaign, organization=organization, scope=Scope.SUBTREE
        )
        .values(*COUNT_COLUMNS)
        .first()
    )
    return Counts({name: (row or {}).get(name, 0) for name in COUNT_COLUMNS})


def _median_from_counts(points: list[tuple[int, int]]) -> float | None:
    """Median of a multiset given as sorted ``(value, count)`` pairs (statistics.median rule:
    the mean of the two middle values when the count is even)."""
    total = sum(n for _, n in points)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value, n in points:
        while len(found) < 2 and wanted[len(found)] < seen + n:
            found.append(value)
        seen += n
        if len(found) == 2:
            break
    return statistics.mean(found)


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def _series(
    organization: Organization, campaign: Campaign, today: datetime.date, total: int
) -> tuple[list[TrendPoint], int | None, float | None]:
    rows = (
        DashboardSeries.objects.filter(
            campaign=campaign, organization=organization, scope=Scope.SUBTREE
        )
        .values("series", "day", "n")
        .order_by("series", "day")
    )
    fulfilled: dict[datetime.date, int] = {}
    waiting: dict[datetime.date, int] = {}
    for row in rows:
        target = fulfilled if row["series"] == DashboardSeries.Series.FULFILLED else waiting
        day = row["day"]
        target[day] = target.get(day, 0) + row["n"]
    # Months from the campaign's start to today (or its end), plus any month with data.
    last = min(today, campaign.end_date) if campaign.end_date >= campaign.start_date else today
    months = sorted(
        set(_months(campaign.start_date, max(last, campaign.start_date))) | set(fulfilled)
    )
    trend, cumulative = [], 0
    for month in months:
        n = fulfilled.get(month, 0)
        cumulative += n
        rate = round(cumulative * 100 / total, 1) if total else None
        trend.append(TrendPoint(month, n, cumulative, rate))
    ages = sorted(((today - day).days, n) for day, n in waiting.items())
    oldest = ages[-1][0] if ages else None
    return trend, oldest, _median_from_counts(ages)


def _phases(campaign: Campaign, today: datetime.date) -> list[PhasePoint]:
    phases = sorted(Phase.objects.filter(campaign=campaign), key=lambda p: (p.order, p.start_date))
    return [PhasePoint(p.name, p.kind, p.start_date, p.end_date, p.state_on(today)) for p in phases]


def _refreshed_at(campaign: Campaign) -> datetime.datetime | None:
    return (
        DashboardRefresh.objects.filter(campaign=campaign)
        .values_list("refreshed_at", flat=True)
        .first()
    )


def dashboard_figures(
    *, organization: Organization, campaign: Campaign, today: datetime.date | None = None
) -> DashboardFigures:
    """The figures of ``organization``'s subtree in ``campaign``, from the rollups.

    Four queries: the refresh time, the subtree's rollup row, its series (trend and backlog
    ages), the phases. The caller has checked that the organisation may be shown.
    """
    today = today or timezone.localdate()
    refreshed_at = _refreshed_at(campaign)
    counts = _subtree_counts(organization, campaign)
    trend, oldest, median = _series(organization, campaign, today, counts.total)
    by_status = [(value, str(label), counts[f"n_{value}"]) for value, label in Status.choices]
    by_owner = [
        Breakdown(
            "member", str(_("Member pledges")), Share(counts["member_done"], counts["member_total"])
        ),
        Breakdown(
            "organization",
            str(_("Organisation pledges")),
            Share(counts["org_done"], counts["org_total"]),
        ),
    ]
    by_kind = [
        Breakdown(value, str(label), Share(counts[f"{value}_done"], counts[f"{value}_total"]))
        for value, label in Pledge.Kind.choices
    ]
    by_term = [
        Breakdown(value, str(label), Share(counts[f"{value}_done"], counts[f"{value}_total"]))
        for value, label in Pledge.Term.choices
    ]
    return DashboardFigures(
        organization=organization,
        campaign=campaign,
        today=today,
        refreshed_at=refreshed_at,
        counts=counts,
        by_status=by_status,
        by_owner=by_owner,
        by_kind=by_kind,
        by_term=by_term,
        backlog_oldest_days=oldest,
        backlog_median_days=median,
        trend=trend,
        phases=_phases(campaign, today),
        reports_available=monthly_report_model() is not None,
        flag=flag_for(counts, campaign),
    )


# ---------------------------------------------------------------------------------------------
# Children table
# ---------------------------------------------------------------------------------------------


@dataclass
class ChildRow:
    organization: Organization | None  # None for the organisation's own pledges (本级)
    counts: Counts
    flag: str

    @property
    def flag_label(self) -> str:
        return str(FLAG_LABELS[self.flag])


#: ``?sort=`` keys of the children table → the value sorted on.
SORT_KEYS = {
    "name": lambda row: row.organization.path,
    "total": lambda row: row.counts.total,
    "fulfilled": lambda row: row.counts.fulfilled,
    "rate": lambda row: row.counts.fulfilment.percent,
    "overdue": lambda row: row.counts["n_overdue"],
    "overdue_rate": lambda row: row.counts.overdue.percent,
    "backlog": lambda row: row.counts.backlog,
    "returned": lambda row: row.counts.returned,
    "satisfaction": lambda row: row.counts.satisfaction.percent,
    "reports": lambda row: row.counts.reports.percent,
    "flag": lambda row: {"red": 0, "amber": 1, "green": 2, "none": 3}[row.flag],
}


def normalize_sort(sort: str | None) -> str:
    """A known sort key, optionally prefixed with ``-`` (descending); else "name"."""
    sort = (sort or "").strip()
    return sort if sort.lstrip("-") in SORT_KEYS else "name"


@dataclass
class ChildrenTable:
    rows: list[ChildRow]
    own: ChildRow | None  # the organisation's own pledges, when it has any
    sort: str


def children_table(
    *, organization: Organization, campaign: Campaign, sort: str | None = None
) -> ChildrenTable:
    """The organisation's children with their subtrees' figures and traffic lights.

    Two queries: the children, and their ``subtree`` rollup rows with the organisation's own
    row (the 本级 row: its own pledges and those of the members directly in it). Rows without a
    value to sort on (no pledges, say) go last whichever the direction.
    """
    children = list(
        Organization.objects.filter(
            depth=organization.depth + 1, path__startswith=organization.path
        ).order_by("path")
    )
    found = DashboardRollup.objects.filter(campaign=campaign).filter(
        Q(scope=Scope.SUBTREE, depth=organization.depth + 1, path__startswith=organization.path)
        | Q(scope=Scope.OWN, organization=organization)
    )
    by_key = {
        (row["scope"], row["organization_id"]): Counts({name: row[name] for name in COUNT_COLUMNS})
        for row in found.values("scope", "organization_id", *COUNT_COLUMNS)
    }
    empty = Counts({})
    rows = []
    for child in children:
        counts = by_key.get((Scope.SUBTREE, child.pk), empty)
        rows.append(ChildRow(child, counts, flag_for(counts, campaign)))
    own_counts = by_key.get((Scope.OWN, organization.pk))
    own = (
        ChildRow(None, own_counts, flag_for(own_counts, campaign))
        if own_counts is not None and any(own_counts.values.values())
        else None
    )
    sort = normalize_sort(sort)
    key = SORT_KEYS[sort.lstrip("-")]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]
    known.sort(key=key, reverse=sort.startswith("-"))
    return ChildrenTable(rows=known + unknown, own=own, sort=sort)


# ---------------------------------------------------------------------------------------------
# Worst overdue pledges (live: a list of pledges, read through the index on status and deadline)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    pledge: Pledge
    days_overdue: int


def worst_overdue(
    *,
    organization: Organization,
    campaign: Campaign,
    limit: int = 20,
    today: datetime.date | None = None,
) -> list[OverdueItem]:
    """The ``limit`` pledges of the subtree furthest past their deadline (one query). Read live,
    not from the rollups: a pledge fulfilled a minute ago leaves the list at once."""
    today = today or timezone.localdate()
    pledges = (
        Pledge.objects.overdue(today)
        .filter(campaign=campaign, organization__path__startswith=organization.path)
        .select_related("organization", "owner_member", "owner_organization")
        .order_by("deadline", "id")[:limit]
    )
    return [OverdueItem(p, (today - p.deadline).days) for p in pledges]


# ---------------------------------------------------------------------------------------------
# Scope: which organisation and campaign, breadcrumbs
# ---------------------------------------------------------------------------------------------


def dashboard_roots(*, user) -> list[Organization]:
    """The top organisations of the user's scope (the city for the leadership group)."""
    if user.is_superuser:
        return list(Organization.objects.filter(depth=1).order_by("path")[:20])
    return list(Organization.objects.filter(path__in=scope.scope_paths(user)).order_by("path"))


def access_dashboard_organization(*, user, code: str | None) -> Organization:
    """The organisation whose dashboard the user asked for (``code``), or the first top
    organisation of their scope; 404 when it is missing or outside their scope."""
    if code is None:
        roots = dashboard_roots(user=user)
        if not roots:
            raise Http404
        return roots[0]
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if org is None:
        raise Http404
    return org


def dashboard_breadcrumbs(*, user, organization: Organization) -> list[Organization]:
    """The organisation's ancestors from the top of the user's scope down (excluding itself):
    the ones the user may open, in one query."""
    paths = organization.ancestor_paths()
    if not user.is_superuser:
        roots = scope.scope_paths(user)
        paths = [p for p in paths if any(p.startswith(root) for root in roots)]
    if not paths:
        return []
    return list(Organization.objects.filter(path__in=paths).order_by("depth"))


def dashboard_campaigns(*, user, organization: Organization) -> list[Campaign]:
    """Campaigns the user sees that cover the organisation (rooted at it or above it) or run
    inside its subtree; newest first."""
    ancestors = organization.ancestor_paths(include_self=True)
    return list(
        Campaign.objects.visible_to(user)
        .filter(
            Q(root_organization__path__in=ancestors)
            | Q(root_organization__path__startswith=organization.path)
        )
        .select_related("root_organization")
        .order_by("-start_date", "-id")
    )


def pick_campaign(campaigns: list[Campaign], campaign_id: str | int | None) -> Campaign | None:
    """The campaign asked for, else the active one, else the newest."""
    try:
        wanted = int(campaign_id) if campaign_id not in (None, "") else None
    except (TypeError, ValueError):
        wanted = None
    for campaign in campaigns:
        if campaign.pk == wanted:
            return campaign
    for campaign in campaigns:
        if campaign.status == Campaign.Status.ACTIVE:
            return campaign
    return campaigns[0] if campaigns else None


# ---------------------------------------------------------------------------------------------
# Chart data (labels translated here, in the page's language)
# ---------------------------------------------------------------------------------------------


def chart_data(figures: DashboardFigures) -> dict[str, dict]:
    """The numbers behind each chart, as JSON-ready dicts for ``json_script``."""
    shares = [*figures.by_owner, *figures.by_kind, *figures.by_term]
    return {
        "status": {
            "labels": [label for _, label, _n in figures.by_status],
            "keys": [key for key, _l, _n in figures.by_status],
            "values": [n for _k, _l, n in figures.by_status],
            "seriesName": str(_("Pledges")),
        },
        "rates": {
            "labels": [b.label for b in shares],
            "values": [b.share.percent for b in shares],
            "totals": [b.share.whole for b in shares],
            "fulfilled": [b.share.part for b in shares],
            "seriesName": str(_("Fulfilment rate (%)")),
        },
        "trend": {
            "labels": [f"{p.month:%Y-%m}" for p in figures.trend],
            "fulfilled": [p.fulfilled for p in figures.trend],
            "rate": [p.cumulative_rate for p in figures.trend],
            "barName": str(_("Fulfilled in the month")),
            "lineName": str(_("Cumulative fulfilment rate (%)")),
        },
        "timeline": {
            "phases": [
                {
                    "name": p.name,
                    "start": p.start_date.isoformat(),
                    "end": p.end_date.isoformat(),
                    "state": p.state,
                }
                for p in figures.phases
            ],
            "today": figures.today.isoformat(),
            "todayLabel": str(_("Today")),
        },
    }


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------

#: Columns of the children table: (sort key, label, first click sorts descending?). Rates sort
#: ascending first (laggards on top), counts of trouble descending.
TABLE_COLUMNS = (
    ("name", _("Organisation"), False),
    ("flag", _("Flag"), False),
    ("total", _("Pledges"), True),
    ("rate", _("Fulfilment rate"), False),
    ("overdue", _("Overdue"), True),
    ("overdue_rate", _("Overdue rate"), True),
    ("backlog", _("Awaiting review"), True),
    ("returned", _("Returned"), True),
    ("reports", _("Monthly reports on time"), False),
    ("satisfaction", _("Satisfaction"), False),
)


@dataclass(frozen=True)
class SortHeader:
    key: str
    label: str
    sort: str  # the ?sort= value of the header's link
    active: str  # "", "ascending" or "descending" (for aria-sort)


def sort_headers(current: str) -> list[SortHeader]:
    headers = []
    for key, label, desc_first in TABLE_COLUMNS:
        active = ""
        if current.lstrip("-") == key:
            active = "descending" if current.startswith("-") else "ascending"
            link = key if active == "descending" else f"-{key}"
        else:
            link = f"-{key}" if desc_first else key
        headers.append(SortHeader(key, str(label), link, active))
    return headers


def dashboard_page(
    *, user, code: str | None, campaign_id: str | None = None, sort: str | None = None
) -> dict:
    """Everything the dashboard page shows, for the organisation ``code`` (the top of the
    user's scope if None) — 404 outside the user's scope.

    A fixed number of queries whatever the subtree: the user's roles (1), the organisation
    (1), the campaigns (1, +1 for the member record of the user), the breadcrumbs (1), then
    with a campaign the figures (4), the children table (2) and the worst overdue pledges (1).
    """
    organization = access_dashboard_organization(user=user, code=code)
    campaigns = dashboard_campaigns(user=user, organization=organization)
    campaign = pick_campaign(campaigns, campaign_id)
    context: dict = {
        "organization": organization,
        "campaigns": campaigns,
        "campaign": campaign,
        "breadcrumbs": dashboard_breadcrumbs(user=user, organization=organization),
        "roots": dashboard_roots(user=user) if code is None else [],
    }
    if campaign is None:
        return context
    figures = dashboard_figures(organization=organization, campaign=campaign)
    table = children_table(organization=organization, campaign=campaign, sort=sort)
    context.update(
        figures=figures,
        table=table,
        headers=sort_headers(table.sort),
        overdue=worst_overdue(organization=organization, campaign=campaign),
        charts=chart_data(figures),
        flag_label=str(FLAG_LABELS[figures.flag]),
    )
    return context
