"""Reads of the reports app, always scoped to a user.

``access_*`` functions return one object the user may see, or raise ``Http404`` — the same
answer whether the object is missing or outside the user's scope.

Each area keeps its functions under its own header comment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.utils import timezone

from campaigns import scope
from campaigns.models import Campaign, Organization, RoleAssignment
from pledges.models import Pledge, PledgeHistory
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory

Role = RoleAssignment.Role
Level = Organization.Level

# =============================================================================================
# -- monthly reports
# =============================================================================================

# Who files a monthly report: every active branch, general branch and committee of the
# campaign's subtree (党小组 report through their branch).
FILING_LEVELS = (Level.COMMITTEE, Level.GENERAL_BRANCH, Level.BRANCH)
# Who writes it: the organisation's own committee (roles held on the organisation itself, not
# on an ancestor: the superior reads and acknowledges, it does not write its branches' reports).
EDITOR_ROLES = RoleAssignment.COMMITTEE_ROLES
# Who is reminded about it: the organisation's secretary and deputy secretaries.
REMINDED_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    return next_month(month) - datetime.timedelta(days=1)


def due_date_for(campaign: Campaign, month: datetime.date) -> datetime.date:
    """A month's report is due on ``campaign.monthly_report_day`` of the following month."""
    return next_month(month) + datetime.timedelta(days=campaign.monthly_report_day - 1)


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def campaign_months(campaign: Campaign, today: datetime.date | None = None) -> list[datetime.date]:
    """The months a report is filed for: from the campaign's start month up to the current
    month, and no later than its end month."""
    today = today or timezone.localdate()
    first = month_start(campaign.start_date)
    last = min(month_start(today), month_start(campaign.end_date))
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def filing_organizations(campaign: Campaign) -> QuerySet[Organization]:
    """The organisations that file monthly reports in ``campaign``."""
    return Organization.objects.filter(
        path__startswith=campaign.root_organization.path,
        is_active=True,
        level__in=FILING_LEVELS,
    )


def is_filing_organization(campaign: Campaign, org: Organization) -> bool:
    return (
        org.is_active
        and org.level in FILING_LEVELS
        and org.path.startswith(campaign.root_organization.path)
    )


def reference_day(month: datetime.date, today: datetime.date | None = None) -> datetime.date:
    """The day a month's figures are taken on: its last day, or today while it runs."""
    return min(month_end(month), today or timezone.localdate())


def _left_published_at():
    # When a pledge left the published state: fulfilled, evaluated or withdrawn, whichever came
    # first (the workflow allows only these three ways out).
    return Coalesce("fulfilled_at", "evaluated_at", "withdrawn_at")


def overdue_q(day: datetime.date) -> Q:
    """Pledges overdue on ``day``: published before the end of the day, still published then
    (not yet fulfilled, evaluated or withdrawn) and past their deadline. For today this is
    exactly ``Pledge.objects.overdue(today)``; for a past day it is what that said then.
    Needs ``.alias(left_published_at=…)`` (see :func:`pledges_with_history_fields`)."""
    cutoff = day_start(day + datetime.timedelta(days=1))
    still_published = Q(status=Pledge.Status.PUBLISHED) | Q(left_published_at__gte=cutoff)
    return Q(published_at__lt=cutoff, deadline__lt=day) & still_published


def fulfilled_by_q(cutoff: datetime.datetime) -> Q:
    return Q(status__in=(Pledge.Status.FULFILLED, Pledge.Status.EVALUATED), fulfilled_at__lt=cutoff)


def counted_by_q(cutoff: datetime.datetime) -> Q:
    """Pledges that count in a fulfilment rate on a day: published by then and not withdrawn
    by then."""
    return Q(published_at__lt=cutoff) & ~Q(status=Pledge.Status.WITHDRAWN, withdrawn_at__lt=cutoff)


def pledges_with_history_fields(campaign: Campaign, path: str) -> QuerySet[Pledge]:
    """The campaign's pledges of the subtree at ``path``, ready for :func:`overdue_q`."""
    return Pledge.objects.filter(campaign=campaign, organization__path__startswith=path).alias(
        left_published_at=_left_published_at()
    )


@dataclass(frozen=True)
class ReportFigures:
    new_count: int
    fulfilled_count: int
    overdue_count: int
    returned_count: int

    def as_dict(self) -> dict[str, int]:
        return {
            "new_count": self.new_count,
            "fulfilled_count": self.fulfilled_count,
            "overdue_count": self.overdue_count,
            "returned_count": self.returned_count,
        }


def report_figures(
    *,
    campaign: Campaign,
    organization: Organization,
    month: datetime.date,
    today: datetime.date | None = None,
) -> ReportFigures:
    """The figures of a monthly report, from the campaign's pledges of the organisation's
    whole subtree (``organization.path`` prefix): for a branch its own pledges and those of
    its members and 党小组s; for a general branch or a committee everything below it.

    - new: pledges created in the month;
    - fulfilled: pledges fulfilled in the month (still fulfilled or since evaluated);
    - overdue: pledges overdue on the month's last day (today while the month runs);
    - returned: pledges returned for revision in the month (each pledge once).

    Two aggregate queries, whatever the size of the subtree.
    """
    day = reference_day(month, today)
    start, cutoff = day_start(month), day_start(day + datetime.timedelta(days=1))
    in_month = Q(created_at__gte=start, created_at__lt=cutoff)
    counts = pledges_with_history_fields(campaign, organization.path).aggregate(
        new=Count("pk", filter=in_month),
        fulfilled=Count(
            "pk",
            filter=fulfilled_by_q(cutoff) & Q(fulfilled_at__gte=start),
        ),
        overdue=Count("pk", filter=overdue_q(day)),
    )
    returned = (
        PledgeHistory.objects.filter(
            action=PledgeHistory.Action.RETURN,
            created_at__gte=start,
            created_at__lt=cutoff,
            pledge__campaign=campaign,
            pledge__organization__path__startswith=organization.path,
        )
        .values("pledge_id")
        .distinct()
        .count()
    )
    return ReportFigures(
        new_count=counts["new"],
        fulfilled_count=counts["fulfilled"],
        overdue_count=counts["overdue"],
        returned_count=returned,
    )


def can_edit_report(user, organization: Organization) -> bool:
    """The organisation's own committee (secretary, deputy, committee member) writes and submits
    its monthly reports; superusers may too."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(
        user=user, organization=organization, role__in=EDITOR_ROLES
    ).exists()


def can_review_report(user, report: MonthlyReport) -> bool:
    """The superior organisation's committee (committee roles on a strict ancestor) or the
    campaign office acknowledges or returns a report — never whoever submitted it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if report.submitted_by_id == user.pk:
        return False
    if user.is_superuser:
        return True
    org = report.organization
    if scope.has_role_on(user, org, (Role.OFFICE,)):
        return True
    return any(
        org.path.startswith(path) and len(path) < len(org.path)
        for path in scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES)
    )


def access_monthly_report_by_id(*, user, report_id: int) -> MonthlyReport:
    report = (
        MonthlyReport.objects.filter(scope.subtree_q(user, "organization__path"))
        .select_related("campaign", "organization", "submitted_by", "reviewed_by")
        .filter(pk=report_id)
        .first()
    )
    if report is None or not scope.is_staff_user(user):
        raise Http404
    return report


def monthly_report_history(*, report: MonthlyReport) -> QuerySet[MonthlyReportHistory]:
    return report.history.select_related("actor").order_by("created_at", "id")


def report_slot(
    *, user, campaign_id: int, code: str, month: datetime.date
) -> tuple[Campaign, Organization, MonthlyReport | None]:
    """The (campaign, organisation, month) a report is filed for, if the user can see the
    organisation, it files in the campaign and the month is one of the campaign's months so far;
    otherwise 404. The report itself may not exist yet."""
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("root_organization")
        .filter(pk=campaign_id)
        .first()
    )
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if (
        campaign is None
        or org is None
        or not is_filing_organization(campaign, org)
        or month not in campaign_months(campaign)
    ):
        raise Http404
    report = MonthlyReport.objects.filter(campaign=campaign, organization=org, month=month).first()
    return campaign, org, report


@dataclass
class ReportRow:
    """A line of the monthly report list: a report, or the place of one not yet started."""

    campaign: Campaign
    organization: Organization
    month: datetime.date
    due_date: datetime.date
    report: MonthlyReport | None
    can_edit: bool = False
    late: bool = False

    @property
    def status(self) -> str:
        return self.report.status if self.report else "missing"


def filing_organizations_of(*, user) -> list[Organization]:
    """The organisations whose monthly reports the user writes (committee roles on them)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(
        Organization.objects.filter(
            role_assignments__user=user,
            role_assignments__role__in=EDITOR_ROLES,
            is_active=True,
            level__in=FILING_LEVELS,
        )
        .distinct()
        .order_by("path")
    )


def active_campaigns_for(*, user) -> list[Campaign]:
    return list(
        Campaign.objects.visible_to(user)
        .filter(status=Campaign.Status.ACTIVE)
        .select_related("root_organization")
        .order_by("-start_date", "id")
    )


def my_report_rows(
    *,
    user,
    month: datetime.date | None = None,
    status: str = "",
    today: datetime.date | None = None,
) -> list[ReportRow]:
    """One row per (active campaign, organisation the user files for, campaign month), newest
    month first: the report if it exists, else its empty place (status "missing")."""
    today = today or timezone.localdate()
    orgs = filing_organizations_of(user=user)
    if not orgs:
        return []
    campaigns = [
        c
        for c in active_campaigns_for(user=user)
        if any(is_filing_organization(c, org) for org in orgs)
    ]
    reports = {
        (r.campaign_id, r.organization_id, r.month): r
        for r in MonthlyReport.objects.filter(
            campaign__in=campaigns, organization__in=orgs
        ).select_related("submitted_by", "reviewed_by")
    }
    rows = []
    for campaign in campaigns:
        for m in reversed(campaign_months(campaign, today)):
            if month and m != month:
                continue
            for org in orgs:
                if not is_filing_organization(campaign, org):
                    continue
                report = reports.get((campaign.pk, org.pk, m))
                row = ReportRow(
                    campaign=campaign,
                    organization=org,
                    month=m,
                    due_date=report.due_date if report else due_date_for(campaign, m),
                    report=report,
                    can_edit=True,
                )
                row.late = report.is_late(today) if report else today > row.due_date
                if status and row.status != status:
                    continue
                rows.append(row)
    return rows


def parse_month(value: str | None) -> datetime.date | None:
    """``2024-09`` → the first day of that month; anything else → None (no filter)."""
    try:
        year, month = (value or "").split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, OverflowError):
        return None


def monthly_reports_in_scope(
    *, user, month: datetime.date | None = None, status: str = ""
) -> QuerySet[MonthlyReport]:
    """Every monthly report of the organisations in the user's scope (the ledger's rows),
    optionally of one month and one status."""
    if not scope.is_staff_user(user):
        return MonthlyReport.objects.none()
    qs = MonthlyReport.objects.filter(scope.subtree_q(user, "organization__path"))
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    return qs


def scope_reports(
    *,
    user,
    month: datetime.date | None = None,
    status: str = "",
) -> QuerySet[MonthlyReport]:
    """Reports of organisations in the user's scope, other than those the user writes,
    awaiting acknowledgement first, then newest month first."""
    qs = monthly_reports_in_scope(user=user, month=month, status=status).exclude(
        organization__in=[o.pk for o in filing_organizations_of(user=user)]
    )
    return qs.select_related("campaign", "organization", "submitted_by").order_by(
        # Submitted reports (waiting for the superior) come first.
        F("submitted_at").desc(nulls_last=True) if status == "submitted" else "-month",
        "organization__path",
    )


def report_month_choices(*, user, today: datetime.date | None = None) -> list[datetime.date]:
    """The months of the user's active campaigns, newest first (the list's month filter)."""
    months: set[datetime.date] = set()
    for campaign in active_campaigns_for(user=user):
        months.update(campaign_months(campaign, today))
    return sorted(months, reverse=True)


def awaiting_acknowledgement_count(*, user) -> int:
    """Submitted reports the user may acknowledge (for the navigation badge)."""
    if not scope.is_staff_user(user):
        return 0
    if user.is_superuser:
        return MonthlyReport.objects.filter(status=MonthlyReport.Status.SUBMITTED).count()
    q = Q(pk__in=[])
    for path in scope.scope_paths(user, (Role.OFFICE,)):
        q |= Q(organization__path__startswith=path)
    for path in scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES):
        q |= Q(organization__path__startswith=path) & ~Q(organization__path=path)
    return (
        MonthlyReport.objects.filter(q, status=MonthlyReport.Status.SUBMITTED)
        .exclude(submitted_by=user)
        .count()
    )


# =============================================================================================
# -- bulletins
# =============================================================================================

# The bulletin lists at most this many overdue pledges (the most overdue first) and this many
# late or missing organisations; the totals always count them all.
BULLETIN_OVERDUE_LIMIT = 200
BULLETIN_ORG_LIST_LIMIT = 300


def is_bulletin_committee(campaign: Campaign, org: Organization) -> bool:
    return (
        org.is_active
        and org.level == Level.COMMITTEE
        and org.path.startswith(campaign.root_organization.path)
    )


def bulletin_committees(campaign: Campaign) -> QuerySet[Organization]:
    """The committees that get a monthly bulletin: every active committee of the campaign."""
    return Organization.objects.filter(
        path__startswith=campaign.root_organization.path,
        is_active=True,
        level=Level.COMMITTEE,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def bulletin_figures(
    *,
    campaign: Campaign,
    committee: Organization,
    month: datetime.date,
    today: datetime.date | None = None,
) -> dict:
    """Everything a committee's bulletin shows for a month, as JSON-ready data.

    - Filing: the descendant filing organisations (not the committee itself: it reports to its
      own superior) that filed their report on time, late (first submitted after the due date)
      or not at all, per direct child subtree and in total, with the late and missing ones
      listed.
    - Pledges: per direct child (its whole subtree) and for the committee's own pledges, how
      many count (published by the month's last day), how many were fulfilled and how many
      were overdue on that day; fulfilment rate = fulfilled / counted, overdue rate = overdue /
      counted.
    - Ranking of the children by fulfilment rate (then by lowest overdue rate).
    - The most overdue pledges (at most ``BULLETIN_OVERDUE_LIMIT``).

    Aggregate queries grouped on the path prefix of the direct children: the number of queries
    does not depend on the number of organisations.
    """
    today = today or timezone.localdate()
    day = reference_day(month, today)
    cutoff = day_start(day + datetime.timedelta(days=1))
    due = due_date_for(campaign, month)
    late_from = day_start(due + datetime.timedelta(days=1))
    child_len = len(committee.path) + committee.steplen

    children = list(
        Organization.objects.filter(path__startswith=committee.path, depth=committee.depth + 1)
        .values("id", "name", "code", "path", "level", "is_active")
        .order_by("path")
    )

    # 1. Who filed: descendant filing organisations LEFT JOIN their report for the month.
    filing = (
        Organization.objects.filter(
            path__startswith=committee.path,
            depth__gt=committee.depth,
            is_active=True,
            level__in=FILING_LEVELS,
        )
        .annotate(
            report=FilteredRelation(
                "monthly_reports",
                condition=Q(monthly_reports__campaign=campaign, monthly_reports__month=month),
            )
        )
        .order_by()
    )
    on_time_q = Q(report__first_submitted_at__lt=late_from)
    late_q = Q(report__first_submitted_at__gte=late_from)
    missing_q = Q(report__first_submitted_at__isnull=True)
    filing_by_prefix = {
        row["prefix"]: row
        for row in filing.annotate(prefix=Substr("path", 1, child_len))
        .values("prefix")
        .annotate(
            filing=Count("pk"),
            on_time=Count("pk", filter=on_time_q),
            late=Count("pk", filter=late_q),
            missing=Count("pk", filter=missing_q),
        )
    }

    def org_list(q: Q) -> list[dict]:
        return [
            {
                "name": row["name"],
                "code": row["code"],
                "level": row["level"],
                "submitted_at": (
                    timezone.localtime(row["report__first_submitted_at"]).isoformat()
                    if row["report__first_submitted_at"]
                    else None
                ),
                "status": row["report__status"] or "missing",
            }
            for row in filing.filter(q)
            .values("name", "code", "level", "path", "report__first_submitted_at", "report__status")
            .order_by("path")[:BULLETIN_ORG_LIST_LIMIT]
        ]

    # 2. Pledges per direct child subtree (and the committee's own, whose prefix is shorter).
    pledges_by_prefix = {
        row["prefix"]: row
        for row in pledges_with_history_fields(campaign, committee.path)
        .annotate(prefix=Substr("organization__path", 1, child_len))
        .values("prefix")
        .annotate(
            counted=Count("pk", filter=counted_by_q(cutoff)),
            fulfilled=Count("pk", filter=fulfilled_by_q(cutoff)),
            overdue=Count("pk", filter=overdue_q(day)),
        )
        .order_by()
    }

    def pledge_figures(row: dict | None) -> dict:
        counted = row["counted"] if row else 0
        fulfilled = row["fulfilled"] if row else 0
        overdue = row["overdue"] if row else 0
        return {
            "counted": counted,
            "fulfilled": fulfilled,
            "overdue": overdue,
            "fulfilment_rate": _rate(fulfilled, counted),
            "overdue_rate": _rate(overdue, counted),
        }

    rows = []
    for child in children:
        f = filing_by_prefix.get(child["path"])
        if not child["is_active"] and f is None and child["path"] not in pledges_by_prefix:
            continue
        rows.append(
            {
                "name": child["name"],
                "code": child["code"],
                "level": child["level"],
                "filing": f["filing"] if f else 0,
                "on_time": f["on_time"] if f else 0,
                "late": f["late"] if f else 0,
                "missing": f["missing"] if f else 0,
                **pledge_figures(pledges_by_prefix.get(child["path"])),
            }
        )
    own = pledge_figures(pledges_by_prefix.get(committee.path))

    ranked = sorted(
        (r for r in rows if r["counted"]),
        key=lambda r: (-r["fulfilment_rate"], r["overdue_rate"], r["code"]),
    )
    ranking = []
    for position, r in enumerate(ranked, start=1):
        ranking.append(
            {
                "rank": position,
                "name": r["name"],
                "fulfilment_rate": r["fulfilment_rate"],
                "overdue_rate": r["overdue_rate"],
                "counted": r["counted"],
            }
        )

    totals_filing = {
        key: sum(r[key] for r in filing_by_prefix.values())
        for key in ("filing", "on_time", "late", "missing")
    }
    totals_pledges = {
        key: sum(r[key] for r in pledges_by_prefix.values())
        for key in ("counted", "fulfilled", "overdue")
    }
    totals = {
        **totals_filing,
        **totals_pledges,
        "fulfilment_rate": _rate(totals_pledges["fulfilled"], totals_pledges["counted"]),
        "overdue_rate": _rate(totals_pledges["overdue"], totals_pledges["counted"]),
    }

    # 3. The most overdue pledges.
    overdue = [
        {
            "id": p["pk"],
            "organization": p["organization__name"],
            "owner": p["owner_member__name"] or p["owner_organization__name"] or "",
            "content": p["content"],
            "deadline": p["deadline"].isoformat(),
            "days_overdue": (day - p["deadline"]).days,
        }
        for p in pledges_with_history_fields(campaign, committee.path)
        .filter(overdue_q(day))
        .values(
            "pk",
            "organization__name",
            "owner_member__name",
            "owner_organization__name",
            "content",
            "deadline",
        )
        .order_by("deadline", "pk")[:BULLETIN_OVERDUE_LIMIT]
    ]

    return {
        "campaign": campaign.name,
        "committee": committee.name,
        "committee_code": committee.code,
        "month": month.isoformat(),
        "reference_day": day.isoformat(),
        "due_date": due.isoformat(),
        "past_due": today > due,
        "totals": totals,
        "own": own,
        "children": rows,
        "ranking": ranking,
        "late_organizations": org_list(late_q),
        "missing_organizations": org_list(missing_q),
        "overdue_pledges": overdue,
        "overdue_limit": BULLETIN_OVERDUE_LIMIT,
        "org_list_limit": BULLETIN_ORG_LIST_LIMIT,
    }


def can_view_bulletins_of(user, committee: Organization) -> bool:
    """Anyone with a role on the committee or above reads its bulletins."""
    return scope.is_staff_user(user) and scope.has_role_on(user, committee)


def can_generate_bulletin(user, committee: Organization) -> bool:
    """The committee's own committee roles and those above it, and the office."""
    return scope.can_manage_org(user, committee)


def bulletin_slot(
    *, user, campaign_id: int, code: str, month: datetime.date
) -> tuple[Campaign, Organization, Bulletin | None]:
    """The (campaign, committee, month) of a bulletin the user may read, and the bulletin if
    one was made; 404 when the committee is out of scope, not a committee of the campaign, or
    the month is not one of the campaign's months so far."""
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("root_organization")
        .filter(pk=campaign_id)
        .first()
    )
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if (
        campaign is None
        or org is None
        or not scope.is_staff_user(user)
        or not is_bulletin_committee(campaign, org)
        or month not in campaign_months(campaign)
    ):
        raise Http404
    bulletin = Bulletin.objects.filter(campaign=campaign, organization=org, month=month).first()
    return campaign, org, bulletin


@dataclass
class BulletinRow:
    campaign: Campaign
    committee: Organization
    month: datetime.date
    bulletin: Bulletin | None = None
    can_generate: bool = False
    extra: dict = field(default_factory=dict)


def bulletin_rows(
    *, user, month: datetime.date | None = None, today: datetime.date | None = None
) -> list[BulletinRow]:
    """The committees in the user's scope, for each month of their active campaigns (or the
    one asked for), with the bulletin if one was made. Committees above the user's scope are
    not listed."""
    if not scope.is_staff_user(user):
        return []
    today = today or timezone.localdate()
    rows: list[BulletinRow] = []
    for campaign in active_campaigns_for(user=user):
        months = campaign_months(campaign, today)
        if month is not None:
            months = [m for m in months if m == month]
        elif months:
            # By default: the last month with a due bulletin, and the current one.
            months = months[-2:]
        if not months:
            continue
        committees = list(
            bulletin_committees(campaign).filter(scope.subtree_q(user, "path")).order_by("path")
        )
        bulletins = {
            (b.organization_id, b.month): b
            for b in Bulletin.objects.filter(
                campaign=campaign, month__in=months, organization__in=committees
            )
        }
        for m in reversed(months):
            for committee in committees:
                rows.append(
                    BulletinRow(
                        campaign=campaign,
                        committee=committee,
                        month=m,
                        bulletin=bulletins.get((committee.pk, m)),
                        can_generate=can_generate_bulletin(user, committee),
                    )
                )
    return rows


def access_bulletin_pdf(*, user, campaign_id: int, code: str, month: datetime.date) -> Bulletin:
    _campaign, _org, bulletin = bulletin_slot(
        user=user, campaign_id=campaign_id, code=code, month=month
    )
    if bulletin is None or bulletin.status != Bulletin.Status.DONE or not bulletin.pdf:
        raise Http404
    return bulletin
