"""What the quarterly inspection report (季度督导检查报告) of a committee says, read from the
database. The worker renders it (:mod:`assessments.pdf`); there is no user: the caller chose a
committee and a quarter the requester may read (:func:`assessments.services.
quarterly_report_request`).

The summary figures and the children table are the leadership dashboard's
(:func:`reports.dashboard.dashboard_figures`, :func:`reports.dashboard.children_table`), so the
report and the dashboard never disagree; their rollups are refreshed first when older than
:data:`ROLLUP_MAX_AGE`. Every list is bounded (the city-level report must stay a readable
document and render in seconds): long lists print their first rows and the count of the rest.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, F, Prefetch, Q
from django.db.models.functions import Substr
from django.utils import timezone

from assessments.models import (
    Inspection,
    InspectionScore,
    Rectification,
    ScoreItem,
    quarter_bounds,
)
from campaigns.models import Campaign, InspectionGroup, Organization
from pledges.models import FulfilmentEntry, Pledge
from reports import dashboard

# Bounds of the lists printed.
MAX_INSPECTIONS = 60
MAX_NOT_INSPECTED = 40
MAX_OVERDUE = 30
MAX_RETURNED = 30
MAX_EXAMPLES = 8
MAX_CHART_BARS = 24
ROLLUP_MAX_AGE = datetime.timedelta(minutes=15)


@dataclass
class InspectionRow:
    inspection: Inspection
    scores: dict[int, Decimal]  # item id → score
    rectifications: list[Rectification]


@dataclass
class MonthPunctuality:
    month: datetime.date
    filed: int
    on_time: int
    late: int
    not_filed: int  # due and not yet submitted

    @property
    def rate(self) -> float | None:
        due = self.filed + self.not_filed
        return round(self.on_time * 100 / due, 1) if due else None


@dataclass
class Example:
    organization: str
    title: str
    text: str
    source: str  # "monthly" or "pledge"
    date: datetime.date | None = None


@dataclass
class ReportData:
    campaign: Campaign
    organization: Organization
    year: int
    quarter: int
    start: datetime.date
    end: datetime.date
    as_of: datetime.date
    figures: dashboard.DashboardFigures
    children: dashboard.ChildrenTable
    child_scores: dict[int, tuple[Decimal, int]]  # child id → (average total, inspections)
    items: list[ScoreItem]
    item_averages: list[tuple[ScoreItem, Decimal | None]]
    inspections: list[InspectionRow]
    inspections_total: int
    average_total: Decimal | None
    open_rectifications: int
    overdue_rectifications: int
    covered_total: int
    not_inspected: list[tuple[Organization, str]]
    not_inspected_total: int
    overdue: list[dashboard.OverdueItem]
    overdue_total: int
    returned: list[Pledge]
    returned_total: int
    punctuality: list[MonthPunctuality] | None  # None: no monthly reports in this checkout
    examples: list[Example] = field(default_factory=list)


def _months(start: datetime.date) -> list[datetime.date]:
    return [datetime.date(start.year, start.month + offset, 1) for offset in range(3)]


def _fresh_figures(
    organization: Organization, campaign: Campaign, today: datetime.date
) -> dashboard.DashboardFigures:
    figures = dashboard.dashboard_figures(organization=organization, campaign=campaign, today=today)
    stale = figures.refreshed_at is None or figures.refreshed_at < timezone.now() - ROLLUP_MAX_AGE
    if stale:
        dashboard.refresh_rollups(campaign, today=today)  # today: the generation day
        figures = dashboard.dashboard_figures(
            organization=organization, campaign=campaign, today=today
        )
    return figures


def _inspection_part(
    campaign: Campaign, organization: Organization, year: int, quarter: int, as_of: datetime.date
) -> dict:
    submitted = Inspection.objects.filter(
        campaign=campaign,
        year=year,
        quarter=quarter,
        status=Inspection.Status.SUBMITTED,
        organization__path__startswith=organization.path,
    )
    summary = submitted.aggregate(n=Count("pk"), avg=Avg("total_score"))
    rows = list(
        submitted.select_related("organization", "group")
        .prefetch_related(
            Prefetch(
                "scores", queryset=InspectionScore.objects.only("inspection_id", "item_id", "score")
            ),
            Prefetch("rectifications", queryset=Rectification.objects.order_by("deadline", "pk")),
        )
        .order_by("organization__path")[:MAX_INSPECTIONS]
    )
    inspections = [
        InspectionRow(
            inspection=i,
            scores={s.item_id: s.score for s in i.scores.all()},
            rectifications=list(i.rectifications.all()),
        )
        for i in rows
    ]
    items = list(campaign.score_items.order_by("order", "pk"))
    averages = dict(
        InspectionScore.objects.filter(inspection__in=submitted)
        .values("item_id")
        .annotate(avg=Avg("score"))
        .values_list("item_id", "avg")
    )
    rect = Rectification.objects.filter(inspection__in=submitted, done_at__isnull=True).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=as_of))
    )
    # Average inspection score per child subtree (children table column).
    prefix_len = len(organization.path) + organization.steplen
    by_prefix = {
        row["prefix"]: (row["avg"], row["n"])
        for row in submitted.annotate(prefix=Substr("organization__path", 1, prefix_len))
        .values("prefix")
        .annotate(avg=Avg("total_score"), n=Count("pk"))
        .order_by()
    }
    # Organisations the campaign's groups cover in this subtree without a submitted inspection.
    through = InspectionGroup.organizations.through
    covered = through.objects.filter(
        inspectiongroup__campaign=campaign,
        organization__path__startswith=organization.path,
        organization__is_active=True,
    )
    pending = covered.exclude(organization_id__in=submitted.values("organization_id"))
    pending_rows = list(
        pending.select_related("organization", "inspectiongroup").order_by("organization__path")[
            :MAX_NOT_INSPECTED
        ]
    )
    return {
        "items": items,
        "item_averages": [(item, averages.get(item.pk)) for item in items],
        "inspections": inspections,
        "inspections_total": summary["n"] or 0,
        "average_total": summary["avg"],
        "open_rectifications": rect["open"] or 0,
        "overdue_rectifications": rect["overdue"] or 0,
        "covered_total": covered.values("organization_id").distinct().count(),
        "not_inspected": [(r.organization, r.inspectiongroup.name) for r in pending_rows],
        "not_inspected_total": pending.values("organization_id").distinct().count(),
        "by_prefix": by_prefix,
    }


def _punctuality(
    campaign: Campaign, organization: Organization, start: datetime.date, as_of: datetime.date
) -> list[MonthPunctuality] | None:
    model = dashboard.monthly_report_model()
    if model is None:
        return None
    months = _months(start)
    rows = (
        model.objects.filter(
            campaign=campaign,
            organization__path__startswith=organization.path,
            month__in=months,
        )
        .values("month")
        .annotate(
            filed=Count("pk", filter=Q(first_submitted_at__isnull=False)),
            on_time=Count(
                "pk",
                filter=Q(first_submitted_at__isnull=False)
                & Q(first_submitted_at__date__lte=F("due_date")),
            ),
            not_filed=Count("pk", filter=Q(first_submitted_at__isnull=True, due_date__lt=as_of)),
        )
        .order_by("month")
    )
    found = {row["month"]: row for row in rows}
    result = []
    for month in months:
        row = found.get(month, {"filed": 0, "on_time": 0, "not_filed": 0})
        result.append(
            MonthPunctuality(
                month=month,
                filed=row["filed"],
                on_time=row["on_time"],
                late=row["filed"] - row["on_time"],
                not_filed=row["not_filed"],
            )
        )
    return result


def _examples(
    campaign: Campaign, organization: Organization, start: datetime.date, end: datetime.date
) -> list[Example]:
    """Typical examples: what monthly reports of the quarter name as such, then fulfilled
    pledges of the quarter with their latest journal entry."""
    examples: list[Example] = []
    model = dashboard.monthly_report_model()
    if model is not None and "typical_examples" in {f.name for f in model._meta.get_fields()}:
        reports = (
            model.objects.filter(
                campaign=campaign,
                organization__path__startswith=organization.path,
                month__in=_months(start),
                first_submitted_at__isnull=False,
            )
            .exclude(typical_examples="")
            .select_related("organization")
            .order_by("organization__depth", "-month", "organization__path")[:MAX_EXAMPLES]
        )
        for report in reports:
            examples.append(
                Example(
                    organization=report.organization.name,
                    title=f"{report.month:%Y-%m}",
                    text=report.typical_examples.strip(),
                    source="monthly",
                    date=report.month,
                )
            )
    room = MAX_EXAMPLES - len(examples)
    if room > 0:
        tz = timezone.get_current_timezone()
        since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
        until = datetime.datetime.combine(end, datetime.time.max, tzinfo=tz)
        pledges = list(
            Pledge.objects.filter(
                campaign=campaign,
                organization__path__startswith=organization.path,
                status__in=(Pledge.Status.FULFILLED, Pledge.Status.EVALUATED),
                fulfilled_at__range=(since, until),
            )
            .select_related("organization", "owner_member", "owner_organization")
            .order_by("-fulfilled_at", "-pk")[: room * 3]
        )
        entries: dict[int, FulfilmentEntry] = {}
        for entry in FulfilmentEntry.objects.filter(pledge__in=[p.pk for p in pledges]).order_by(
            "pledge_id", "-date", "-pk"
        ):
            entries.setdefault(entry.pledge_id, entry)
        for pledge in pledges:
            entry = entries.get(pledge.pk)
            if entry is None:
                continue
            examples.append(
                Example(
                    organization=f"{pledge.organization.name} · {pledge.owner_name}",
                    title=pledge.content,
                    text=entry.text,
                    source="pledge",
                    date=entry.date,
                )
            )
            if len(examples) >= MAX_EXAMPLES:
                break
    return examples


def quarterly_report_data(
    *,
    campaign: Campaign,
    organization: Organization,
    year: int,
    quarter: int,
    today: datetime.date | None = None,
) -> ReportData:
    """Everything the report prints. Inspections are the quarter's; pledge and monthly-report
    figures are the state on ``as_of``, the day the report is generated (the dashboard's figures
    hold the current state of each pledge, not its state on an earlier day), and the report
    says so on its cover."""
    today = today or timezone.localdate()
    start, end = quarter_bounds(year, quarter)
    as_of = today
    figures = _fresh_figures(organization, campaign, as_of)
    children = dashboard.children_table(organization=organization, campaign=campaign)
    part = _inspection_part(campaign, organization, year, quarter, as_of)
    child_scores = {
        row.organization.pk: part["by_prefix"][row.organization.path]
        for row in children.rows
        if row.organization is not None and row.organization.path in part["by_prefix"]
    }
    overdue = dashboard.worst_overdue(
        organization=organization, campaign=campaign, limit=MAX_OVERDUE, today=as_of
    )
    overdue_total = (
        Pledge.objects.overdue(as_of)
        .filter(campaign=campaign, organization__path__startswith=organization.path)
        .count()
    )
    returned_qs = Pledge.objects.filter(
        campaign=campaign,
        organization__path__startswith=organization.path,
        status=Pledge.Status.RETURNED,
    )
    returned = list(
        returned_qs.select_related("organization", "owner_member", "owner_organization").order_by(
            "-updated_at", "-pk"
        )[:MAX_RETURNED]
    )
    return ReportData(
        campaign=campaign,
        organization=organization,
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        as_of=as_of,
        figures=figures,
        children=children,
        child_scores=child_scores,
        items=part["items"],
        item_averages=part["item_averages"],
        inspections=part["inspections"],
        inspections_total=part["inspections_total"],
        average_total=part["average_total"],
        open_rectifications=part["open_rectifications"],
        overdue_rectifications=part["overdue_rectifications"],
        covered_total=part["covered_total"],
        not_inspected=part["not_inspected"],
        not_inspected_total=part["not_inspected_total"],
        overdue=overdue,
        overdue_total=overdue_total,
        returned=returned,
        returned_total=figures.counts.returned if figures else returned_qs.count(),
        punctuality=_punctuality(campaign, organization, start, as_of),
        examples=_examples(campaign, organization, start, end),
    )
