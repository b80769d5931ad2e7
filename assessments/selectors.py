"""Reads of the assessments app, always scoped to a user.

Who sees an inspection:
- the inspectors of its group, whatever its status (drafts are the group's working papers);
- once submitted: the committee of the inspected organisation and of every organisation above
  it (secretary, deputy, committee member), the campaign office and the leadership group in
  whose subtree it lies; superusers.
Everyone else gets a 404, exactly as for a missing inspection. An inspector of another group is
"everyone else": the inspector role on the city does not open other groups' inspections.

Quarterly reports: the committee roles, the office and the leadership group on the report's
committee or above.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import (
    Inspection,
    InspectionPhoto,
    QuarterlyReport,
    Rectification,
    ScoreItem,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from campaigns import scope
from campaigns.models import Campaign, InspectionGroup, Organization, RoleAssignment

User = get_user_model()
Role = RoleAssignment.Role

# Roles that read submitted inspections and quarterly reports of their subtree.
READ_ROLES = (*RoleAssignment.COMMITTEE_ROLES, Role.OFFICE, Role.LEADERSHIP)
# Roles that see every inspection group's progress (read only).
OVERSIGHT_ROLES = (Role.OFFICE, Role.LEADERSHIP)


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


# ---------------------------------------------------------------------------------------------
# Score sheets
# ---------------------------------------------------------------------------------------------


def score_items(*, campaign: Campaign) -> list[ScoreItem]:
    return list(campaign.score_items.order_by("order", "id"))


# ---------------------------------------------------------------------------------------------
# Inspection groups
# ---------------------------------------------------------------------------------------------


def is_group_inspector(user, group: InspectionGroup) -> bool:
    """Whether the user records inspections for this group (superusers may too)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return group.inspectors.filter(pk=user.pk).exists()


def my_group_ids(user) -> QuerySet:
    return InspectionGroup.objects.filter(inspectors=user).values("pk")


def access_group_for_recording(*, user, group_id: int) -> InspectionGroup:
    """A group the user is an inspector of (any group for superusers); 404 otherwise."""
    if not _active(user):
        raise Http404
    qs = InspectionGroup.objects.select_related("campaign", "campaign__root_organization")
    if not user.is_superuser:
        qs = qs.filter(inspectors=user)
    group = qs.filter(pk=group_id).first()
    if group is None:
        raise Http404
    return group


def access_covered_organization(*, group: InspectionGroup, code: str) -> Organization:
    """An organisation the group covers, by code; 404 otherwise."""
    org = group.organizations.filter(code=code).first()
    if org is None:
        raise Http404
    return org


def groups_for(*, user) -> tuple[list[InspectionGroup], list[InspectionGroup]]:
    """``(mine, overseen)``: the groups the user inspects for, and (office, leadership,
    superusers) the other groups of campaigns in their scope, read only."""
    if not _active(user):
        return [], []
    base = InspectionGroup.objects.select_related("campaign").order_by(
        "-campaign__start_date", "campaign_id", "name"
    )
    mine = list(base.filter(inspectors=user)) if not user.is_superuser else []
    overseen: list[InspectionGroup] = []
    if user.is_superuser or scope.scope_paths(user, OVERSIGHT_ROLES):
        overseen = list(
            base.filter(
                scope.subtree_q(user, "campaign__root_organization__path", OVERSIGHT_ROLES)
            ).exclude(pk__in=[g.pk for g in mine])
        )
    return mine, overseen


@dataclass
class CoveredRow:
    organization: Organization
    status: str  # "none", "draft", "submitted"
    inspection: Inspection | None
    can_open: bool


@dataclass
class GroupQuarter:
    group: InspectionGroup
    year: int
    quarter: int
    rows: list[CoveredRow] = field(default_factory=list)
    can_record: bool = False

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def not_inspected(self) -> list[CoveredRow]:
        return [r for r in self.rows if r.status != Inspection.Status.SUBMITTED]

    @property
    def counts(self) -> dict[str, int]:
        result = {"none": 0, "draft": 0, "submitted": 0}
        for row in self.rows:
            result[row.status] += 1
        return result


def group_quarter(*, user, group: InspectionGroup, year: int, quarter: int) -> GroupQuarter:
    """The organisations a group covers with their inspection status for one quarter (not yet
    inspected / draft / submitted), in two queries."""
    orgs = list(group.organizations.order_by("path"))
    inspections = {
        i.organization_id: i
        for i in Inspection.objects.filter(
            campaign_id=group.campaign_id,
            organization__in=[o.pk for o in orgs],
            year=year,
            quarter=quarter,
        )
    }
    mine = is_group_inspector(user, group)
    result = GroupQuarter(group=group, year=year, quarter=quarter, can_record=mine)
    for org in orgs:
        inspection = inspections.get(org.pk)
        status = inspection.status if inspection else "none"
        can_open = inspection is not None and (
            (mine and inspection.group_id == group.pk)
            or (status == Inspection.Status.SUBMITTED and scope.has_role_on(user, org, READ_ROLES))
        )
        result.rows.append(
            CoveredRow(organization=org, status=status, inspection=inspection, can_open=can_open)
        )
    return result


def not_yet_inspected(*, group: InspectionGroup, year: int, quarter: int) -> list[Organization]:
    """Organisations the group covers without a submitted inspection in the quarter."""
    done = Inspection.objects.filter(
        campaign_id=group.campaign_id,
        year=year,
        quarter=quarter,
        status=Inspection.Status.SUBMITTED,
    ).values("organization_id")
    return list(group.organizations.exclude(pk__in=done).order_by("path"))


def quarter_choices(
    *, campaign: Campaign | None = None, today: datetime.date | None = None, count: int = 6
) -> list[tuple[int, int]]:
    """The current quarter and the ones before it (within the campaign's dates if given),
    newest first."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    result = []
    for _ in range(count):
        start, end = quarter_bounds(year, quarter)
        if campaign is not None and end < campaign.start_date:
            break
        result.append((year, quarter))
        year, quarter = previous_quarter(year, quarter)
    return result or [quarter_of(today)]


def parse_quarter(value: str | None) -> tuple[int, int] | None:
    """``"2024-3"`` → ``(2024, 3)``; None when malformed."""
    if not value:
        return None
    try:
        year_text, quarter_text = value.split("-", 1)
        year, quarter = int(year_text), int(quarter_text)
    except ValueError:
        return None
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        return None
    return year, quarter


# ---------------------------------------------------------------------------------------------
# Inspections
# ---------------------------------------------------------------------------------------------


def inspections_visible_to(user) -> QuerySet[Inspection]:
    """Every inspection the user may open (see the module docstring)."""
    if not _active(user):
        return Inspection.objects.none()
    if user.is_superuser:
        return Inspection.objects.all()
    q = Q(group_id__in=my_group_ids(user))
    if scope.scope_paths(user, READ_ROLES):
        q |= Q(status=Inspection.Status.SUBMITTED) & scope.subtree_q(
            user, "organization__path", READ_ROLES
        )
    return Inspection.objects.filter(q)


def access_inspection(*, user, inspection_id: int) -> Inspection:
    inspection = (
        inspections_visible_to(user)
        .select_related("campaign", "group", "organization", "created_by")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise Http404
    return inspection


def can_edit_inspection(user, inspection: Inspection) -> bool:
    return inspection.is_draft and is_group_inspector(user, inspection.group)


def inspection_detail(*, inspection: Inspection) -> dict:
    """Scores (with the sheet's items, including items not scored yet), rectifications, photos
    and history of one inspection."""
    items = score_items(campaign=inspection.campaign)
    scores = {s.item_id: s for s in inspection.scores.all()}
    rows = [{"item": item, "score": scores.get(item.pk)} for item in items]
    return {
        "score_rows": rows,
        "max_total": sum(item.weight for item in items),
        "rectifications": list(inspection.rectifications.select_related("done_by")),
        "photos": list(inspection.photos.all()),
        "history": list(inspection.history.select_related("actor")),
        "inspectors": list(inspection.inspectors.order_by("username")),
    }


def inspection_list(
    *, user, year: int | None = None, quarter: int | None = None, limit: int = 200
) -> list[Inspection]:
    """Inspections the user may open, newest quarter first (the organisation side: a
    secretary sees the submitted inspections of their organisation and below)."""
    qs = inspections_visible_to(user).select_related("organization", "group", "campaign")
    if year and quarter:
        qs = qs.filter(year=year, quarter=quarter)
    return list(qs.order_by("-year", "-quarter", "organization__path")[:limit])


def access_photo(*, user, photo_id: int) -> InspectionPhoto:
    photo = (
        InspectionPhoto.objects.filter(
            pk=photo_id, inspection_id__in=inspections_visible_to(user).values("pk")
        )
        .select_related("inspection")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


def access_rectification(*, user, rectification_id: int) -> Rectification:
    rectification = (
        Rectification.objects.filter(
            pk=rectification_id, inspection_id__in=inspections_visible_to(user).values("pk")
        )
        .select_related("inspection", "inspection__organization", "inspection__group")
        .first()
    )
    if rectification is None:
        raise Http404
    return rectification


def can_check_off_rectification(user, rectification: Rectification) -> bool:
    """The inspected organisation's committee (or above) and the group's inspectors check a
    rectification off, once the inspection is submitted."""
    inspection = rectification.inspection
    if inspection.status != Inspection.Status.SUBMITTED or rectification.done_at is not None:
        return False
    return is_group_inspector(user, inspection.group) or scope.has_role_on(
        user, inspection.organization, RoleAssignment.COMMITTEE_ROLES
    )


# ---------------------------------------------------------------------------------------------
# Quarterly reports
# ---------------------------------------------------------------------------------------------


def reports_visible_to(user) -> QuerySet[QuarterlyReport]:
    if not _active(user):
        return QuarterlyReport.objects.none()
    return QuarterlyReport.objects.filter(scope.subtree_q(user, "organization__path", READ_ROLES))


def report_list(*, user, limit: int = 200) -> list[QuarterlyReport]:
    return list(
        reports_visible_to(user)
        .select_related("organization", "campaign", "requested_by")
        .order_by("-year", "-quarter", "organization__path")[:limit]
    )


def access_report(*, user, report_id: int) -> QuarterlyReport:
    report = (
        reports_visible_to(user)
        .select_related("organization", "campaign")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    return report


def can_request_reports(user) -> bool:
    return _active(user) and (user.is_superuser or bool(scope.scope_paths(user, READ_ROLES)))


def report_committee_choices(*, user, limit: int = 300) -> list[Organization]:
    """Committees a report may be asked for: active party committees in the user's reading
    scope, top of the tree first."""
    return list(
        Organization.objects.filter(scope.subtree_q(user, "path", READ_ROLES))
        .filter(level=Organization.Level.COMMITTEE, is_active=True)
        .order_by("depth", "path")[:limit]
    )


def report_campaign_for(*, organization: Organization) -> Campaign | None:
    """The campaign a committee's report is about: the newest active (else any) campaign whose
    root is the committee or one of its ancestors."""
    paths = organization.ancestor_paths(include_self=True)
    qs = Campaign.objects.filter(root_organization__path__in=paths)
    return (
        qs.filter(status=Campaign.Status.ACTIVE).order_by("-start_date", "pk").first()
        or qs.order_by("-start_date", "pk").first()
    )


def leadership_recipients(*, organization: Organization) -> list[int]:
    """Users of the leadership group of this committee: the leadership role held on the
    committee itself (the city's leaders get the city's report, a county's its own)."""
    return list(
        RoleAssignment.objects.filter(
            organization=organization, role=Role.LEADERSHIP, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
