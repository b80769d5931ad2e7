"""Reads for the pledges app. Lists are scoped to a user through ``Pledge.objects.visible_to``;
``access_pledge_by_id`` answers 404 whether a pledge is missing or out of scope."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from campaigns import scope
from campaigns.models import Campaign, Member, Organization, Phase, RoleAssignment
from campaigns.selectors import organization_names
from pledges import workflow
from pledges.models import (
    Attachment,
    Evaluation,
    EvaluationPolicy,
    Feedback,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)

# ---------------------------------------------------------------------------------------------
# Access and lists
# ---------------------------------------------------------------------------------------------


def access_pledge_by_id(*, user, pledge_id: int) -> Pledge:
    pledge = (
        Pledge.objects.visible_to(user)
        .select_related("campaign", "organization", "owner_member", "owner_organization", "author")
        .filter(pk=pledge_id)
        .first()
    )
    if pledge is None:
        raise Http404
    return pledge


def pledge_history(*, pledge: Pledge) -> QuerySet[PledgeHistory]:
    return (
        PledgeHistory.objects.filter(pledge=pledge)
        .select_related("actor", "adjustment")
        .prefetch_related("reasons")
        .order_by("created_at", "id")
    )


def pledges_awaiting_review(*, user) -> QuerySet[Pledge]:
    """Submitted pledges the user may approve or return, by the same rule as the workflow's
    REVIEWER party: member pledges under the user's committee roles; organisation pledges of
    organisations strictly below them, or under the user's office role; never the user's own
    pledges or pledges they wrote."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Pledge.objects.none()
    reviewable = _reviewer_q(user)
    return (
        Pledge.objects.filter(reviewable, status=Pledge.Status.SUBMITTED)
        .exclude(author=user)
        .exclude(owner_member__user=user)
        .select_related("organization", "owner_member", "owner_organization", "campaign")
        .order_by("submitted_at", "id")
    )


# ---------------------------------------------------------------------------------------------
# The reviewer's diff
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


def pledge_changes_since_return(*, pledge: Pledge) -> list[FieldChange]:
    """What the author changed since the pledge was last returned for revision: the snapshot
    taken at the return against the content now. Empty if it was never returned."""
    returned = (
        PledgeHistory.objects.filter(pledge=pledge, action=PledgeHistory.Action.RETURN)
        .order_by("-created_at", "-id")
        .first()
    )
    if returned is None:
        return []
    current = pledge.content_snapshot()
    changes = []
    for name in Pledge.CONTENT_FIELDS:
        before, after = returned.snapshot.get(name, ""), current.get(name, "")
        if before != after:
            label = str(Pledge._meta.get_field(name).verbose_name)
            changes.append(FieldChange(field=name, label=label, before=before, after=after))
    return changes


# ---------------------------------------------------------------------------------------------
# Guidance counts (warn, never block)
# ---------------------------------------------------------------------------------------------


@dataclass
class GuidanceStatus:
    counts: dict[str, int]  # by Pledge.Kind value, withdrawn pledges excluded
    ranges: dict[str, tuple[int, int]]  # the campaign's guidance for the kinds it covers
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.warnings


def guidance_status(
    *,
    campaign: Campaign,
    owner_member: Member | None = None,
    owner_organization: Organization | None = None,
) -> GuidanceStatus:
    """The owner's pledge counts against the campaign's guidance: a member makes 2–3 practical
    deeds and 1–2 rectifications, an organisation 3–5 practical deeds (configurable per campaign).
    Outside a range gives a warning."""
    if (owner_member is None) == (owner_organization is None):
        raise ValueError("pass exactly one of owner_member and owner_organization")
    qs = Pledge.objects.filter(campaign=campaign).exclude(status=Pledge.Status.WITHDRAWN)
    if owner_member is not None:
        qs = qs.filter(owner_member=owner_member)
    else:
        qs = qs.filter(owner_organization=owner_organization)
    counts = {row["kind"]: row["n"] for row in qs.values("kind").annotate(n=Count("id"))}
    return guidance_from_counts(
        campaign=campaign, counts=counts, for_member=owner_member is not None
    )


# ---------------------------------------------------------------------------------------------
# Evaluation inputs and the suggested grade
# ---------------------------------------------------------------------------------------------

# Points per appraisal grade (好 100, 较好 80, 一般 60, 差 30).
APPRAISAL_POINTS = {
    "votes_good": 100,
    "votes_fairly_good": 80,
    "votes_average": 60,
    "votes_poor": 30,
}
_ONE_DECIMAL = Decimal("0.1")


def public_satisfaction(*, pledge: Pledge) -> Decimal | None:
    """Share of 满意 + 基本满意 among public feedback, 0–100 (one decimal); None without any.

    "Moderated" is read as "not rejected by moderation": a rating counts from the moment it is
    given, with or without a comment, because a rating alone carries nothing to moderate and
    holding every rating until a secretary acts would leave the figure empty exactly when
    evaluation needs it. Moderation is about comments; rejecting a comment (spam, abuse)
    discards that submission's rating as well, so the moderator can remove a fake vote.
    """
    row = (
        Feedback.objects.filter(pledge=pledge)
        .counted()
        .aggregate(
            total=Count("id"),
            satisfied=Count("id", filter=Q(rating__in=Feedback.SATISFIED_RATINGS)),
        )
    )
    if not row["total"]:
        return None
    share = Decimal(row["satisfied"] * 100) / Decimal(row["total"])
    return share.quantize(_ONE_DECIMAL, ROUND_HALF_UP)


def evaluation_policy(*, campaign: Campaign) -> EvaluationPolicy:
    """The campaign's policy, or the default (30/40/30; 90/75/60) unsaved when it has none."""
    policy = EvaluationPolicy.objects.filter(campaign=campaign).first()
    return policy if policy is not None else EvaluationPolicy(campaign=campaign)


@dataclass(frozen=True)
class GradeSuggestion:
    self_report_score: Decimal  # 100 with a self-report, 0 without
    appraisal_score: Decimal | None  # None without votes
    satisfaction_score: Decimal | None  # None without feedback
    weights: dict[str, Decimal]  # the weights actually used, renormalised to 100
    score: Decimal | None  # None when no input has both data and a weight
    grade: str  # a Pledge.Grade value, or "" without a score
    votes: int


def suggest_grade(*, pledge: Pledge, policy: EvaluationPolicy | None = None) -> GradeSuggestion:
    """The grade the campaign's weights suggest.

    Self-report: present = 100, absent = 0 (its content is judged by people, its presence is
    what the score can see). Democratic appraisal: the vote-weighted mean of 好 100, 较好 80,
    一般 60, 差 30. Public satisfaction: share of 满意 + 基本满意. An input without data (no
    votes, no feedback) drops out and the remaining weights are scaled back up to 100. The score
    (one decimal) is compared with the thresholds: ≥ good → 好, ≥ fairly good → 较好,
    ≥ average → 一般, else 差.
    """
    policy = policy or evaluation_policy(campaign=pledge.campaign)
    evaluation = Evaluation.objects.filter(pledge=pledge).first()
    self_score = Decimal(100 if evaluation is not None and evaluation.has_self_report else 0)
    votes = evaluation.total_votes if evaluation is not None else 0
    appraisal: Decimal | None = None
    if votes:
        points = sum(getattr(evaluation, name) * value for name, value in APPRAISAL_POINTS.items())
        appraisal = Decimal(points) / Decimal(votes)
    satisfaction = public_satisfaction(pledge=pledge)
    inputs = {
        "self_report": (Decimal(policy.weight_self_report), self_score),
        "appraisal": (Decimal(policy.weight_appraisal), appraisal),
        "satisfaction": (Decimal(policy.weight_satisfaction), satisfaction),
    }
    used = {name: (w, s) for name, (w, s) in inputs.items() if s is not None and w > 0}
    total_weight = sum((w for w, _s in used.values()), Decimal(0))
    score: Decimal | None = None
    grade = ""
    weights: dict[str, Decimal] = {}
    if total_weight:
        weights = {
            name: (w * 100 / total_weight).quantize(_ONE_DECIMAL, ROUND_HALF_UP)
            for name, (w, _s) in used.items()
        }
        raw = sum((w * s for w, s in used.values()), Decimal(0)) / total_weight
        score = raw.quantize(_ONE_DECIMAL, ROUND_HALF_UP)
        if score >= policy.threshold_good:
            grade = Pledge.Grade.GOOD
        elif score >= policy.threshold_fairly_good:
            grade = Pledge.Grade.FAIRLY_GOOD
        elif score >= policy.threshold_average:
            grade = Pledge.Grade.AVERAGE
        else:
            grade = Pledge.Grade.POOR
    return GradeSuggestion(
        self_report_score=self_score,
        appraisal_score=appraisal.quantize(_ONE_DECIMAL, ROUND_HALF_UP)
        if appraisal is not None
        else None,
        satisfaction_score=satisfaction,
        weights=weights,
        score=score,
        grade=str(grade),
        votes=votes,
    )


# ---------------------------------------------------------------------------------------------
# Authoring and fulfilment (定诺, 践诺): the pledge list, the pledge page, the branch page and
# the home page's "what is due" panel
# ---------------------------------------------------------------------------------------------

# "Due soon" on the home page and in the list's ``due`` filter: published, deadline within this
# many days from today (today included), so not yet overdue.
DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class PledgeListFilters:
    """The pledge list's filters, already parsed and access-checked by the view's form.

    ``phase``: the pledge falls in a phase when its deadline lies within the phase's dates; a
    pledge without a deadline yet (an early draft) falls in the phase during which it was
    created. The phase also implies its campaign.
    """

    q: str = ""
    org: Organization | None = None
    campaign: Campaign | None = None
    phase: Phase | None = None
    kind: str = ""
    term: str = ""
    status: str = ""
    overdue: str = ""  # "yes", "no" or "" (either)
    due: str = ""  # "soon": published and due within DUE_SOON_DAYS
    owner: str = ""  # "member", "organization", "mine" or "" (any)
    sort: str = ""  # "" newest first, "deadline" soonest deadline first


# Above this many organisations in a user's scope a literal list of ids stops helping the
# planner; the office and leadership at the city root are served by the plain scope filter.
SCOPE_HINT_MAX_ORGS = 2000


def _scope_hint(user, roles: Iterable[str] | None = None) -> Q:
    """The user's pledge scope again, as plain indexed columns: ``organization_id`` in the
    organisations of the user's subtrees, or ``owner_member_id`` the user's own member record.

    Only ever ANDed onto a query already limited by ``visible_to`` (which stays the rule), so
    it cannot widen anything. ``visible_to`` joins every pledge to its organisation and member
    to test ``path LIKE …`` OR ``member.user``, which makes PostgreSQL scan all 560,000 pledges
    of the city (~350 ms for a branch secretary); with this hint it starts from the two
    foreign-key indexes (~3 ms). No hint (``Q()``) for superusers and very large scopes."""
    if user.is_superuser:
        return Q()
    org_ids = list(
        Organization.objects.filter(scope.subtree_q(user, "path", roles)).values_list(
            "pk", flat=True
        )[: SCOPE_HINT_MAX_ORGS + 1]
    )
    if len(org_ids) > SCOPE_HINT_MAX_ORGS:
        return Q()
    member_ids = list(Member.objects.filter(user=user).values_list("pk", flat=True))
    return Q(organization_id__in=org_ids) | Q(owner_member_id__in=member_ids)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def pledge_list_queryset(*, user, filters: PledgeListFilters) -> QuerySet[Pledge]:
    """Pledges visible to the user, narrowed by ``filters``, with everything a row shows joined
    in (no per-row query). Overdue is derived here exactly as ``PledgeQuerySet.overdue``."""
    today = timezone.localdate()
    qs = Pledge.objects.visible_to(user).filter(_scope_hint(user))
    if filters.org is not None:
        qs = qs.filter(organization__path__startswith=filters.org.path)
    if filters.campaign is not None:
        qs = qs.filter(campaign=filters.campaign)
    if filters.phase is not None:
        phase = filters.phase
        created_in_phase = Q(
            deadline__isnull=True,
            created_at__gte=_day_start(phase.start_date),
            created_at__lt=_day_start(phase.end_date + datetime.timedelta(days=1)),
        )
        qs = qs.filter(campaign_id=phase.campaign_id).filter(
            Q(deadline__gte=phase.start_date, deadline__lte=phase.end_date) | created_in_phase
        )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.term:
        qs = qs.filter(term=filters.term)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.overdue == "yes":
        qs = qs.overdue(today)
    elif filters.overdue == "no":
        qs = qs.exclude(status=Pledge.Status.PUBLISHED, deadline__lt=today)
    if filters.due == "soon":
        qs = qs.filter(
            status=Pledge.Status.PUBLISHED,
            deadline__gte=today,
            deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
        )
    if filters.owner == "member":
        qs = qs.filter(owner_member__isnull=False)
    elif filters.owner == "organization":
        qs = qs.filter(owner_organization__isnull=False)
    elif filters.owner == "mine":
        qs = qs.filter(owner_member__user=user)
    term = filters.q.strip()
    if term:
        qs = qs.filter(
            Q(content__icontains=term)
            | Q(owner_member__name__icontains=term)
            | Q(owner_organization__name__icontains=term)
            | Q(owner_organization__short_name__icontains=term)
        )
    qs = qs.select_related("campaign", "organization", "owner_member", "owner_organization")
    if filters.sort == "deadline":
        return qs.order_by(F("deadline").asc(nulls_last=True), "id")
    return qs.order_by("-id")


def pledge_decorate(*, pledges: Iterable[Pledge]) -> list[Pledge]:
    """Attach ``org_trail`` (the organisation's short path) and ``progress`` (the highest
    progress recorded in the journal, None without entries) to a page of pledges: two queries
    for the whole page."""
    pledges = list(pledges)
    names = organization_names(
        path for pledge in pledges for path in pledge.organization.ancestor_paths()
    )
    progress = dict(
        FulfilmentEntry.objects.filter(pledge_id__in=[p.pk for p in pledges])
        .values("pledge_id")
        .annotate(top=Max("progress"))
        .values_list("pledge_id", "top")
    )
    for pledge in pledges:
        pledge.org_trail = _org_trail(pledge.organization, names)
        pledge.progress = progress.get(pledge.pk)
    return pledges


def _org_trail(org: Organization, names: dict[str, str], keep: int = 2) -> str:
    """The organisation with its nearest ancestors below the root: ``A › B › C``."""
    ancestors = [names[p] for p in org.ancestor_paths() if p in names]
    return " › ".join([*ancestors[1:][-keep:], org.display_name])


def pledge_phase_choices(*, user) -> QuerySet[Phase]:
    """Phases of the campaigns the user takes part in, for the list's phase filter."""
    return (
        Phase.objects.filter(campaign__in=Campaign.objects.visible_to(user))
        .select_related("campaign")
        .order_by("-campaign__start_date", "campaign_id", "order")
    )


def access_attachment_by_id(*, user, attachment_id: int) -> Attachment:
    """A journal attachment of a pledge the user may see, or 404 (missing or out of scope)."""
    attachment = (
        Attachment.objects.select_related("entry__pledge")
        .filter(pk=attachment_id, entry__pledge__in=Pledge.objects.visible_to(user))
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def pledge_last_return(*, pledge: Pledge) -> PledgeHistory | None:
    """The latest return for revision (reasons prefetched), shown to the author while the
    pledge is returned."""
    return (
        PledgeHistory.objects.filter(pledge=pledge, action=PledgeHistory.Action.RETURN)
        .select_related("actor")
        .prefetch_related("reasons")
        .order_by("-created_at", "-id")
        .first()
    )


def pledge_detail_context(*, user, pledge: Pledge) -> dict:
    """Everything the pledge page shows besides the pledge (already access-checked): the
    organisation's full path, the history, the journal with attachments, adjustments (the
    pending one apart), the evaluation, the latest return, and the actions the user may take."""
    names = organization_names(pledge.organization.ancestor_paths())
    org_path = [names[p] for p in pledge.organization.ancestor_paths() if p in names]
    entries = list(
        pledge.entries.select_related("author")
        .prefetch_related("attachments")
        .order_by("-date", "-id")
    )
    adjustments = list(
        pledge.adjustments.select_related("requested_by", "decided_by").order_by(
            "-requested_at", "-id"
        )
    )
    pending = next((a for a in adjustments if a.status == PledgeAdjustment.Status.PENDING), None)
    return {
        "org_path": org_path,
        "history": list(pledge_history(pledge=pledge)),
        "entries": entries,
        "progress": max((e.progress for e in entries), default=None),
        "adjustments": [a for a in adjustments if a is not pending],
        "pending_adjustment": pending,
        "evaluation": Evaluation.objects.filter(pledge=pledge).first(),
        "last_return": (
            pledge_last_return(pledge=pledge) if pledge.status == Pledge.Status.RETURNED else None
        ),
        "actions": set(workflow.allowed_actions(user, pledge)),
    }


def can_create_pledge(
    *, user, owner_member: Member | None = None, owner_organization: Organization | None = None
) -> bool:
    """Whether the user may draft a pledge for this owner (the ``create`` row of the workflow
    table: the member themself or the committee of the owner's organisation). The service
    checks it again, with the campaign's dates."""
    org = owner_member.branch if owner_member is not None else owner_organization
    if org is None:
        return False
    probe = Pledge(
        owner_member=owner_member,
        owner_organization=owner_organization,
        organization=org,
        author_id=getattr(user, "pk", None),
    )
    parties = workflow.parties_of(user, probe)
    return workflow.TRANSITIONS[workflow.Action.CREATE].allows(parties)


def pledge_campaign_choices(*, user, org: Organization) -> QuerySet[Campaign]:
    """Campaigns not closed that the user takes part in and whose tree holds ``org``."""
    prefixes = [org.path[:pos] for pos in range(org.steplen, len(org.path) + 1, org.steplen)]
    return (
        Campaign.objects.visible_to(user)
        .exclude(status=Campaign.Status.CLOSED)
        .filter(root_organization__path__in=prefixes)
        .select_related("root_organization")
        .order_by("-start_date", "id")
    )


def default_campaign(*, user, org: Organization) -> Campaign | None:
    """The campaign a page about ``org`` starts on: the newest one under way, else the newest
    one not closed."""
    choices = list(pledge_campaign_choices(user=user, org=org))
    active = [c for c in choices if c.status == Campaign.Status.ACTIVE]
    return (active or choices or [None])[0]


def pledge_owner_search(*, user, query: str, limit: int = 20) -> dict:
    """Owners the user may draft pledges for, matching a name fragment (or an organisation's
    code): active members and organisations under the user's committee roles, plus the user's
    own member record."""
    term = (query or "").strip()
    committee = RoleAssignment.COMMITTEE_ROLES
    own = Member.objects.filter(user=user, is_active=True).select_related("branch").first()
    members: list[Member] = []
    orgs: list[Organization] = []
    if term:
        members = list(
            Member.objects.filter(
                scope.subtree_q(user, "branch__path", committee),
                is_active=True,
                name__icontains=term,
            )
            .select_related("branch")
            .order_by("branch__path", "name", "id")[:limit]
        )
        orgs = list(
            Organization.objects.filter(scope.subtree_q(user, "path", committee), is_active=True)
            .filter(Q(name__icontains=term) | Q(short_name__icontains=term) | Q(code__iexact=term))
            .order_by("path")[:limit]
        )
    return {
        "own": own,
        "members": members,
        "organizations": orgs,
        "roots": list(
            Organization.objects.filter(
                path__in=scope.scope_paths(user, committee), is_active=True
            ).order_by("path")[:limit]
        ),
    }


# --- the branch page ---------------------------------------------------------------------------


def guidance_from_counts(
    *, campaign: Campaign, counts: dict[str, int], for_member: bool
) -> GuidanceStatus:
    """The guidance verdict from counts already at hand (the branch page counts every member's
    pledges in one query); :func:`guidance_status` counts one owner's and comes here."""
    if for_member:
        ranges = {
            Pledge.Kind.DEED.value: (campaign.member_deed_min, campaign.member_deed_max),
            Pledge.Kind.RECTIFY.value: (campaign.member_rectify_min, campaign.member_rectify_max),
        }
    else:
        ranges = {Pledge.Kind.DEED.value: (campaign.org_deed_min, campaign.org_deed_max)}
    full = dict.fromkeys(Pledge.Kind.values, 0)
    full.update(counts)
    warnings = []
    for kind, (low, high) in ranges.items():
        if not low <= full[kind] <= high:
            warnings.append(
                _("%(kind)s: %(count)d, the campaign asks for %(min)d to %(max)d.")
                % {"kind": Pledge.Kind(kind).label, "count": full[kind], "min": low, "max": high}
            )
    return GuidanceStatus(counts=full, ranges=ranges, warnings=warnings)


@dataclass
class BranchRow:
    """One owner on the branch page: a member, or (``member`` None) the organisation itself."""

    key: str  # "m<id>" or "org": the HTML ids of the row's parts
    member: Member | None
    pledges: list[Pledge]
    guidance: GuidanceStatus

    @property
    def drafts(self) -> int:
        return sum(1 for p in self.pledges if p.status == Pledge.Status.DRAFT)

    @property
    def guidance_items(self) -> list[tuple[str, int, tuple[int, int] | None, bool]]:
        """(kind label, count, range or None, within range) per kind, for the badges."""
        items = []
        for kind in Pledge.Kind:
            count = self.guidance.counts.get(kind.value, 0)
            bounds = self.guidance.ranges.get(kind.value)
            ok = bounds is None or bounds[0] <= count <= bounds[1]
            items.append((kind.label, count, bounds, ok))
        return items


def _branch_pledges(*, user, campaign: Campaign, org: Organization, member_ids: list[int]):
    return (
        Pledge.objects.visible_to(user)
        .filter(campaign=campaign)
        .filter(Q(owner_member_id__in=member_ids) | Q(owner_organization=org))
        .exclude(status=Pledge.Status.WITHDRAWN)
        .only(
            "id",
            "campaign_id",
            "owner_member_id",
            "owner_organization_id",
            "organization_id",
            "kind",
            "term",
            "content",
            "deadline",
            "status",
            "grade",
        )
        .order_by("id")
    )


def _branch_members_qs(*, user, org: Organization):
    if not org.accepts_members:
        return Member.objects.none()
    return (
        Member.objects.visible_to(user)
        .filter(is_active=True, branch__path__startswith=org.path)
        .select_related("branch")
        .order_by("branch__path", "name", "id")
    )


def branch_members(*, user, org: Organization) -> list[Member]:
    """Active members of a branch (and of its party groups), in tree then name order; none for
    committees and general branches, whose members are counted on their branches' pages."""
    return list(_branch_members_qs(user=user, org=org))


def branch_member(*, user, org: Organization, member_id: str) -> Member:
    """One member of the branch page (``member_id`` as posted), or 404."""
    if not member_id.isdigit():
        raise Http404
    member = _branch_members_qs(user=user, org=org).filter(pk=int(member_id)).first()
    if member is None:
        raise Http404
    return member


def branch_overview(*, user, org: Organization, campaign: Campaign) -> dict:
    """The branch page: a row per active member with their pledges in ``campaign`` and their
    counts against the member guidance, and a row for the organisation's own pledges against
    the organisation guidance. One query for the members, one for every pledge of the page
    (counted here, withdrawn pledges left out as in ``guidance_status``)."""
    members = branch_members(user=user, org=org)
    by_owner: dict[int | None, list[Pledge]] = {m.pk: [] for m in members}
    by_owner[None] = []
    for pledge in _branch_pledges(
        user=user, campaign=campaign, org=org, member_ids=list(by_owner)[:-1]
    ):
        by_owner[pledge.owner_member_id].append(pledge)

    def row(key: str, member: Member | None, pledges: list[Pledge]) -> BranchRow:
        counts: dict[str, int] = {}
        for pledge in pledges:
            counts[pledge.kind] = counts.get(pledge.kind, 0) + 1
        guidance = guidance_from_counts(
            campaign=campaign, counts=counts, for_member=member is not None
        )
        return BranchRow(key=key, member=member, pledges=pledges, guidance=guidance)

    rows = [row(f"m{m.pk}", m, by_owner[m.pk]) for m in members]
    org_row = row("org", None, by_owner[None])
    return {
        "org_row": org_row,
        "rows": rows,
        "member_count": len(rows),
        "outside_guidance": sum(1 for r in rows if not r.guidance.ok),
        "drafts": org_row.drafts + sum(r.drafts for r in rows),
    }


def branch_row(*, user, org: Organization, campaign: Campaign, member: Member | None) -> BranchRow:
    """One row of the branch page again (after a quick entry or a submission)."""
    member_ids = [member.pk] if member is not None else []
    pledges = [
        p
        for p in _branch_pledges(user=user, campaign=campaign, org=org, member_ids=member_ids)
        if (p.owner_member_id == member.pk if member is not None else p.owner_member_id is None)
    ]
    counts: dict[str, int] = {}
    for pledge in pledges:
        counts[pledge.kind] = counts.get(pledge.kind, 0) + 1
    return BranchRow(
        key=f"m{member.pk}" if member is not None else "org",
        member=member,
        pledges=pledges,
        guidance=guidance_from_counts(
            campaign=campaign, counts=counts, for_member=member is not None
        ),
    )


def branch_drafts(
    *,
    user,
    org: Organization,
    campaign: Campaign,
    member: Member | None = None,
    org_only: bool = False,
) -> list[Pledge]:
    """Drafts to submit in one action: one member's (``member``), the organisation's own
    (``org_only``), or the whole page's (every listed member's and the organisation's)."""
    if member is not None:
        owners = Q(owner_member_id=member.pk)
    elif org_only:
        owners = Q(owner_organization=org)
    else:
        member_ids = _branch_members_qs(user=user, org=org).values("pk")
        owners = Q(owner_member_id__in=member_ids) | Q(owner_organization=org)
    return list(
        Pledge.objects.visible_to(user)
        .filter(owners, campaign=campaign, status=Pledge.Status.DRAFT)
        .select_related("organization", "owner_member", "owner_organization")
        .order_by("id")
    )


# --- the home page's "what is due" panel ---------------------------------------------------------


def pledges_due_summary(*, user) -> dict | None:
    """Counts for the home page: pledges due within ``DUE_SOON_DAYS``, overdue, returned for
    revision and drafts not yet submitted, among the pledges of the user's committee roles and
    the user's own member pledges. None for users with neither (office, leadership, inspectors
    have their own pages). One aggregate query."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    committee_paths = scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES)
    is_member = scope.member_branch_path(user) is not None
    if not (committee_paths or is_member or user.is_superuser):
        return None
    mine = Q(owner_member__user=user)
    if user.is_superuser:
        wanted = Q()
    elif committee_paths:
        wanted = scope.subtree_q(user, "organization__path", RoleAssignment.COMMITTEE_ROLES) | mine
    else:
        wanted = mine
    today = timezone.localdate()
    published = Q(status=Pledge.Status.PUBLISHED)
    if not user.is_superuser:
        wanted &= _scope_hint(user, RoleAssignment.COMMITTEE_ROLES if committee_paths else ())
    counts = Pledge.objects.filter(wanted).aggregate(
        due_soon=Count(
            "pk",
            filter=published
            & Q(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)),
        ),
        overdue=Count("pk", filter=published & Q(deadline__lt=today)),
        returned=Count("pk", filter=Q(status=Pledge.Status.RETURNED)),
        drafts=Count("pk", filter=Q(status=Pledge.Status.DRAFT)),
    )
    counts["days"] = DUE_SOON_DAYS
    counts["member_only"] = not committee_paths and not user.is_superuser
    return counts


# ---------------------------------------------------------------------------------------------
# Review, publication and evaluation pages (审诺, 亮诺, 评诺)
# ---------------------------------------------------------------------------------------------

import difflib  # noqa: E402
import re  # noqa: E402

from django.db.models import FilteredRelation, Min, Window  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402

# Roles that review (committee roles review member pledges below them and organisation pledges
# of the organisations below them; the office reviews organisation pledges) and roles that take
# part in the evaluation (those, plus the leadership group, which confirms grades).
REVIEW_ROLES = (*RoleAssignment.COMMITTEE_ROLES, RoleAssignment.Role.OFFICE)
EVALUATION_ROLES = (*REVIEW_ROLES, RoleAssignment.Role.LEADERSHIP)
PUBLISH_ROLES = (RoleAssignment.Role.SECRETARY, RoleAssignment.Role.OFFICE)
GRADE_ROLES = (RoleAssignment.Role.LEADERSHIP, RoleAssignment.Role.OFFICE)


def _holds_any_role(user, roles) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(scope.roles_of(user) & set(roles))


def is_reviewer(user) -> bool:
    """Whether the user holds a reviewing role somewhere (the review pages and the navbar)."""
    return _holds_any_role(user, REVIEW_ROLES)


def takes_part_in_evaluation(user) -> bool:
    """Committee roles and the office enter appraisal tallies; leadership and office grade."""
    return _holds_any_role(user, EVALUATION_ROLES)


def _reviewer_q(user) -> Q:
    """Pledges for which the user is the reviewing level — the workflow's REVIEWER party as a
    filter: member pledges under the user's committee roles; organisation pledges of
    organisations strictly below them, or under the user's office role. The review queue and
    ``pledges_awaiting_review`` both filter with it (a test keeps it in step with the workflow)."""
    if user.is_superuser:
        return Q()
    committee_roles = RoleAssignment.COMMITTEE_ROLES
    below = Q(pk__in=[])
    for path in scope.scope_paths(user, committee_roles):
        below |= Q(organization__path__startswith=path) & ~Q(organization__path=path)
    office = scope.subtree_q(user, "organization__path", (RoleAssignment.Role.OFFICE,))
    member_pledges = Q(owner_member__isnull=False) & scope.subtree_q(
        user, "organization__path", committee_roles
    )
    return member_pledges | (Q(owner_member__isnull=True) & (below | office))


def _review_queue_base(user) -> QuerySet[Pledge]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Pledge.objects.none()
    # Pledges with a pending adjustment the user did not ask for themself (the requester may not
    # decide it). Pending adjustments are few, and the one-pending-per-pledge constraint indexes
    # them: an IN over them keeps the navbar's count off the (many) published pledges.
    pending_by_other = (
        PledgeAdjustment.objects.filter(status=PledgeAdjustment.Status.PENDING)
        .exclude(requested_by=user)
        .values("pledge_id")
    )
    waiting = Q(status=Pledge.Status.SUBMITTED) | Q(
        status=Pledge.Status.PUBLISHED, pk__in=pending_by_other
    )
    return (
        Pledge.objects.filter(_reviewer_q(user))
        .filter(waiting)
        .exclude(author=user)
        # A subquery on the user's own member record, not a join on every member.
        .exclude(owner_member__in=Member.objects.filter(user=user).values("pk"))
    )


def review_queue_count(*, user) -> int:
    """How many items wait for the user's review: one COUNT query (the navbar badge)."""
    return _review_queue_base(user).count()


def review_queue(
    *,
    user,
    organization: Organization | None = None,
    kind: str = "",
    campaign: Campaign | None = None,
) -> QuerySet[Pledge]:
    """What waits for the user's decision: submitted pledges (as ``pledges_awaiting_review``)
    and published pledges with an adjustment awaiting review that someone else asked for.

    Optionally narrowed to an organisation's subtree (already access-checked), a kind and a
    campaign. Each row carries ``waiting_since`` (submission, or the adjustment's request).
    Ordered so that rows of one organisation, and within it of one owner, are adjacent, the
    organisation and the owner that have waited longest first, then oldest item first.
    Per-item details (the pending adjustment, whether it was returned before) are read for a
    page at a time: see ``review_items_decorate``.
    """
    qs = _review_queue_base(user)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if kind:
        qs = qs.filter(kind=kind)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    # A join on the pending adjustment (at most one per pledge, by constraint), not a subquery:
    # the window functions below read ``waiting_since`` for every row of the queue. A submitted
    # pledge has no pending adjustment (only published ones do) and a published pledge in the
    # queue always has one, so the first non-null of the two is the right time.
    qs = qs.annotate(
        pending=FilteredRelation(
            "adjustments", condition=Q(adjustments__status=PledgeAdjustment.Status.PENDING)
        ),
        waiting_since=Coalesce(F("pending__requested_at"), F("submitted_at")),
    )
    owner = [F("organization_id"), F("owner_member_id"), F("owner_organization_id")]
    qs = qs.annotate(
        org_waiting_since=Window(Min("waiting_since"), partition_by=[F("organization_id")]),
        owner_waiting_since=Window(Min("waiting_since"), partition_by=owner),
    )
    return qs.select_related(
        "organization", "owner_member", "owner_organization", "campaign", "author"
    ).order_by(
        "org_waiting_since",
        "organization_id",
        "owner_waiting_since",
        "owner_member_id",
        "owner_organization_id",
        "waiting_since",
        "id",
    )


def review_queue_organizations(
    *, user, current: Organization | None = None, limit: int = 300
) -> list[tuple[str, str]]:
    """Choices for the queue's organisation filter: the organisations with items waiting and
    their ancestors within the user's scope, in tree order, as ``(code, label)`` with the label
    indented by depth; ``current`` (the filter in use) is always among them."""
    paths = set(
        _review_queue_base(user)
        .order_by()
        .values_list("organization__path", flat=True)
        .distinct()[:limit]
    )
    step = Organization.steplen
    wanted = {path[:end] for path in paths for end in range(step, len(path) + 1, step)}
    rows = list(
        Organization.objects.visible_to(user)
        .filter(path__in=wanted)
        .order_by("path")
        .values_list("code", "name", "short_name", "depth")
    )
    top = min((depth for *_rest, depth in rows), default=1)
    # A full-width space per level: <option> elements take no padding.
    choices = [
        (code, "\u3000" * (depth - top) + (short or name)) for code, name, short, depth in rows
    ]
    if current is not None and current.code not in {code for code, _label in choices}:
        choices.insert(0, (current.code, current.display_name))
    return choices


def returned_before(*, pledges) -> set[int]:
    """Which of these pledges were returned for revision at least once, in one query."""
    ids = [p.pk for p in pledges]
    if not ids:
        return set()
    return set(
        PledgeHistory.objects.filter(pledge_id__in=ids, action=PledgeHistory.Action.RETURN)
        .values_list("pledge_id", flat=True)
        .distinct()
    )


def pending_adjustments_by_pledge(*, pledges) -> dict[int, PledgeAdjustment]:
    """The pending adjustment of each pledge that has one, in one query."""
    ids = [p.pk for p in pledges if p.status == Pledge.Status.PUBLISHED]
    if not ids:
        return {}
    return {
        adj.pledge_id: adj
        for adj in PledgeAdjustment.objects.filter(
            pledge_id__in=ids, status=PledgeAdjustment.Status.PENDING
        ).select_related("requested_by")
    }


def access_adjustment_by_id(*, user, adjustment_id: int) -> PledgeAdjustment:
    """An adjustment of a pledge the user may see, or 404 (missing or out of scope alike)."""
    adjustment = (
        PledgeAdjustment.objects.filter(
            pk=adjustment_id, pledge__in=Pledge.objects.visible_to(user)
        )
        .select_related(
            "pledge",
            "pledge__campaign",
            "pledge__organization",
            "pledge__owner_member",
            "pledge__owner_organization",
            "pledge__author",
            "requested_by",
            "decided_by",
        )
        .first()
    )
    if adjustment is None:
        raise Http404
    return adjustment


def adjustment_changes(*, adjustment: PledgeAdjustment) -> list[FieldChange]:
    """What the adjustment changes: the pledge's content when it was asked for (the snapshot of
    the request's history row; the current content if that row is missing) against the
    adjustment's proposal."""
    request_row = (
        PledgeHistory.objects.filter(
            adjustment=adjustment, action=PledgeHistory.Action.REQUEST_ADJUSTMENT
        )
        .order_by("id")
        .first()
    )
    before = request_row.snapshot if request_row is not None else {}
    if not before:
        before = adjustment.pledge.content_snapshot()
    after = adjustment.content_snapshot()
    changes = []
    for name in ("content", "deadline", "expected_effect", "measures"):
        old, new = before.get(name, ""), after.get(name, "")
        if old != new:
            label = str(Pledge._meta.get_field(name).verbose_name)
            changes.append(FieldChange(field=name, label=label, before=old, after=new))
    return changes


# Latin words and numbers stay whole; every other character (Chinese, punctuation) is its own
# token, since Chinese is written without spaces between words.
_DIFF_TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.DOTALL)
_TEXT_FIELDS = ("content", "expected_effect", "measures")


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """A word-level diff as ``(op, text)`` segments, op one of "equal", "delete", "insert"."""
    old, new = _DIFF_TOKEN.findall(before or ""), _DIFF_TOKEN.findall(after or "")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", "".join(old[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(("insert", "".join(new[j1:j2])))
    return segments


@dataclass(frozen=True)
class DisplayedChange:
    """A :class:`FieldChange` ready for a template: readable values, and for long text the
    word-level segments."""

    field: str
    label: str
    before: str
    after: str
    segments: list[tuple[str, str]]


def _review_display_value(name: str, value: str) -> str:
    if not value:
        return ""
    if name == "kind" and value in Pledge.Kind.values:
        return str(Pledge.Kind(value).label)
    if name == "term" and value in Pledge.Term.values:
        return str(Pledge.Term(value).label)
    if name == "deadline":
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return value


def changes_for_display(changes: list[FieldChange]) -> list[DisplayedChange]:
    return [
        DisplayedChange(
            field=change.field,
            label=change.label,
            before=_review_display_value(change.field, change.before),
            after=_review_display_value(change.field, change.after),
            segments=text_diff(change.before, change.after) if change.field in _TEXT_FIELDS else [],
        )
        for change in changes
    ]


def _in_role_scope(qs: QuerySet[Pledge], user) -> QuerySet[Pledge]:
    """Narrow pledges already ``visible_to`` the user to the organisations of their roles.

    The staff pages of this section are for role holders, so nothing they should see is lost;
    and ``visible_to``'s "or the user's own member pledges" joins every member, which keeps
    PostgreSQL from starting at the few organisations of a branch's scope (measured on the
    city-scale demo: 0.3–1 s → a few ms for a branch secretary)."""
    return qs.filter(organization__in=Organization.objects.visible_to(user).values("pk"))


def publishing_organizations(*, user) -> list[Organization]:
    """The top organisations where the user publishes (secretary or office roles): where the
    queue offers "publish the approved pledges"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return list(Organization.objects.filter(depth=1).order_by("path"))
    return list(
        Organization.objects.filter(
            path__in=scope.scope_paths(user, PUBLISH_ROLES), is_active=True
        ).order_by("path")
    )


def publishable_pledges(
    *, user, organization: Organization, include_subtree: bool = False
) -> QuerySet[Pledge]:
    """Approved pledges of an organisation (already access-checked) — its own and its members'
    — or of its whole subtree, that the user can see, oldest approval first."""
    qs = _in_role_scope(Pledge.objects.visible_to(user), user).filter(status=Pledge.Status.APPROVED)
    if include_subtree:
        qs = qs.filter(organization__path__startswith=organization.path)
    else:
        qs = qs.filter(organization=organization)
    return qs.select_related(
        "organization", "owner_member", "owner_organization", "campaign"
    ).order_by("organization__path", "approved_at", "id")


def appraisal_pledges(
    *, user, organization: Organization, campaign: Campaign | None = None
) -> QuerySet[Pledge]:
    """The branch's member pledges that can take appraisal tallies (published or fulfilled),
    with their evaluation, by member."""
    qs = Pledge.objects.visible_to(user).filter(
        organization=organization,
        owner_member__isnull=False,
        status__in=(Pledge.Status.PUBLISHED, Pledge.Status.FULFILLED),
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.select_related(
        "owner_member", "owner_member__user", "evaluation", "campaign"
    ).order_by("owner_member__name", "owner_member_id", "id")


EVALUATION_STATES = ("ready", "missing", "graded")


def evaluation_list(
    *,
    user,
    state: str = "ready",
    organization: Organization | None = None,
    campaign: Campaign | None = None,
    kind: str = "",
) -> QuerySet[Pledge]:
    """Pledges of the user's scope at the evaluation step: ``ready`` (published or fulfilled
    with the self-report recorded), ``missing`` (no self-report yet) or ``graded``."""
    qs = _in_role_scope(Pledge.objects.visible_to(user), user)
    has_report = Q(evaluation__self_report__gt="")
    if state == "graded":
        qs = qs.filter(status=Pledge.Status.EVALUATED)
    else:
        qs = qs.filter(status__in=(Pledge.Status.PUBLISHED, Pledge.Status.FULFILLED))
        qs = qs.filter(has_report) if state == "ready" else qs.exclude(has_report)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related(
        "organization", "owner_member", "owner_organization", "campaign", "evaluation"
    ).order_by("organization__path", "owner_member__name", "owner_organization_id", "id")


def may_grade(user, pledge: Pledge) -> bool:
    """Leadership or office on the pledge's organisation, and not the owner (for buttons; the
    workflow decides)."""
    if pledge.owner_member_id is not None and pledge.owner_member.user_id == user.pk:
        return False
    return scope.has_role_on(user, pledge.organization, GRADE_ROLES)


@dataclass(frozen=True)
class EvaluationInput:
    """One line of the suggested grade's computation."""

    name: str
    label: str
    score: Decimal | None  # None: no data, the input drops out
    policy_weight: int
    weight_used: Decimal | None
    contribution: Decimal | None


def evaluation_breakdown(*, pledge: Pledge) -> dict:
    """Everything the grading page shows: the evaluation (or None), the policy, public
    satisfaction, the suggestion and its computation line by line."""
    policy = evaluation_policy(campaign=pledge.campaign)
    suggestion = suggest_grade(pledge=pledge, policy=policy)
    evaluation = Evaluation.objects.filter(pledge=pledge).select_related("confirmed_by").first()
    rows = []
    for name, label, score, weight in (
        ("self_report", _("Self-report"), suggestion.self_report_score, policy.weight_self_report),
        (
            "appraisal",
            _("Democratic appraisal"),
            suggestion.appraisal_score,
            policy.weight_appraisal,
        ),
        (
            "satisfaction",
            _("Public satisfaction"),
            suggestion.satisfaction_score,
            policy.weight_satisfaction,
        ),
    ):
        used = suggestion.weights.get(name)
        contribution = (
            (score * used / 100).quantize(_ONE_DECIMAL, ROUND_HALF_UP)
            if used is not None and score is not None
            else None
        )
        rows.append(
            EvaluationInput(
                name=name,
                label=label,
                score=score,
                policy_weight=weight,
                weight_used=used,
                contribution=contribution,
            )
        )
    return {
        "evaluation": evaluation,
        "policy": policy,
        "suggestion": suggestion,
        "suggested_label": Pledge.Grade(suggestion.grade).label if suggestion.grade else "",
        "satisfaction": suggestion.satisfaction_score,
        "inputs": rows,
    }


# ---------------------------------------------------------------------------------------------
# Public pages (公示栏): published pledges and public fields only
# ---------------------------------------------------------------------------------------------
#
# Nothing here takes a user: the public sees the same thing whoever asks. Templates of the public
# pages receive the plain dataclasses below, never a Member or a Pledge, so that a private field
# (phone, ID number, birth date) or unpublished content cannot reach a public page by a template
# slip: what is not copied into a dataclass does not exist for the template.

# Public pages paginate by these.
PUBLIC_MEMBERS_PER_PAGE = 20
PUBLIC_CHILDREN_PER_PAGE = 30
PUBLIC_OWN_PLEDGES_PER_PAGE = 30
# Boards over subtrees with at least this many organisations cache their per-child counts
# (a city committee's board would otherwise count ~560,000 pledges on every view).
PUBLIC_COUNTS_CACHE_MIN_ORGS = 100
PUBLIC_COUNTS_CACHE_SECONDS = 300


class PublicStatus:
    """What the public board calls a pledge's state (overdue is derived from the deadline)."""

    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    FULFILLED = "fulfilled"
    EVALUATED = "evaluated"
    WITHDRAWN = "withdrawn"

    LABELS = {
        IN_PROGRESS: pgettext_lazy("public pledge status", "Being fulfilled"),
        OVERDUE: pgettext_lazy("public pledge status", "Overdue"),
        FULFILLED: pgettext_lazy("public pledge status", "Fulfilled"),
        EVALUATED: pgettext_lazy("public pledge status", "Evaluated"),
        WITHDRAWN: pgettext_lazy("public pledge status", "Withdrawn"),
    }


def public_status(pledge: Pledge, today: datetime.date | None = None) -> str:
    """The :class:`PublicStatus` of a public pledge."""
    if pledge.status == Pledge.Status.WITHDRAWN:
        return PublicStatus.WITHDRAWN
    if pledge.status == Pledge.Status.EVALUATED:
        return PublicStatus.EVALUATED
    if pledge.status == Pledge.Status.FULFILLED:
        return PublicStatus.FULFILLED
    today = today or timezone.localdate()
    if pledge.deadline is not None and pledge.deadline < today:
        return PublicStatus.OVERDUE
    return PublicStatus.IN_PROGRESS


def public_grade(pledge: Pledge, today: datetime.date | None = None) -> str:
    """The grade's label once it may be shown, else "".

    A confirmed grade is publicised (公示) from its publicity start; before that day it stays
    internal. A grade confirmed without a publicity start is public from its confirmation.
    """
    if pledge.status != Pledge.Status.EVALUATED or not pledge.grade:
        return ""
    evaluation = getattr(pledge, "evaluation", None) if _evaluation_loaded(pledge) else None
    if evaluation is None:
        evaluation = Evaluation.objects.filter(pledge=pledge).only("publicity_start").first()
    start = evaluation.publicity_start if evaluation is not None else None
    if start is not None and start > (today or timezone.localdate()):
        return ""
    return str(Pledge.Grade(pledge.grade).label)


def _evaluation_loaded(pledge: Pledge) -> bool:
    # A reverse one-to-one fetched by select_related sits in the field cache (possibly None).
    return Pledge._meta.get_field("evaluation").is_cached(pledge)


@dataclass(frozen=True)
class PublicPledge:
    """The public face of a pledge: only what the 公示栏 may show."""

    id: int
    kind: str
    kind_label: str
    term_label: str
    content: str
    deadline: datetime.date | None
    expected_effect: str
    measures: str
    status: str  # a PublicStatus value
    status_label: str
    grade_label: str
    progress: int | None  # latest journal progress, None without a journal entry
    owner_name: str
    owner_post: str  # the member's job or post, as on a 先锋岗 card; "" for organisations
    is_member_pledge: bool
    organization_name: str
    organization_code: str
    published_at: datetime.datetime | None


# A member's fields that never reach a public page or paper (see DESIGN.md, "Members").
MEMBER_PRIVATE_FIELDS = ("phone", "id_number", "birth_date")


def _public_pledges() -> QuerySet[Pledge]:
    """Published pledges (withdrawn-after-publication included) of active organisations, with
    what :func:`_to_public` reads: the latest journal entry's progress among it."""
    # Local: another section of this module imports these names at module level too.
    from django.db.models import OuterRef, Subquery

    latest_progress = Subquery(
        FulfilmentEntry.objects.filter(pledge=OuterRef("pk"))
        .order_by("-date", "-id")
        .values("progress")[:1]
    )
    return (
        Pledge.objects.published()
        .filter(organization__is_active=True)
        .select_related("owner_member", "owner_organization", "organization", "evaluation")
        # The owner's private fields are not even read: what is not loaded cannot leak.
        .defer(*(f"owner_member__{name}" for name in MEMBER_PRIVATE_FIELDS))
        .annotate(latest_progress=latest_progress)
    )


def _to_public(pledge: Pledge, today: datetime.date) -> PublicPledge:
    status = public_status(pledge, today)
    member = pledge.owner_member
    return PublicPledge(
        id=pledge.pk,
        kind=pledge.kind,
        kind_label=str(pledge.get_kind_display()),
        term_label=str(pledge.get_term_display()),
        content=pledge.content,
        deadline=pledge.deadline,
        expected_effect=pledge.expected_effect,
        measures=pledge.measures,
        status=status,
        status_label=str(PublicStatus.LABELS[status]),
        grade_label=public_grade(pledge, today),
        progress=getattr(pledge, "latest_progress", None),
        owner_name=member.name if member is not None else pledge.owner_organization.name,
        owner_post=(member.post if member is not None else "") or "",
        is_member_pledge=member is not None,
        organization_name=pledge.organization.name,
        organization_code=pledge.organization.code,
        published_at=pledge.published_at,
    )


@dataclass(frozen=True)
class PublicOrg:
    name: str
    code: str
    level_label: str
    unit_kind_label: str


def _to_public_org(org: Organization) -> PublicOrg:
    return PublicOrg(
        name=org.name,
        code=org.code,
        level_label=str(org.get_level_display()),
        unit_kind_label=str(org.get_unit_kind_display()),
    )


@dataclass(frozen=True)
class PublicCampaign:
    id: int
    name: str
    theme: str
    sub_theme: str


@dataclass(frozen=True)
class MemberPledges:
    """One member's published pledges on a board."""

    name: str
    post: str
    pledges: list[PublicPledge]
    id: int = 0  # the anchor ``member-<id>`` on the board
    # The member's public page (``public:member``), or "" when it does not exist (a member who
    # has left, or whose branch is closed, keeps their pledges on the board but has no page).
    page_url: str = ""


@dataclass(frozen=True)
class ChildBoard:
    org: PublicOrg
    pledges: int  # published pledges in the child's whole subtree (the selected campaign)
    fulfilled: int


@dataclass
class PublicBoard:
    org: PublicOrg
    ancestors: list[PublicOrg]  # active ancestors, root first
    campaigns: list[PublicCampaign]
    campaign: PublicCampaign | None
    own_pledges: Page  # of PublicPledge: the organisation's own pledges
    members: Page  # of MemberPledges
    children: Page  # of ChildBoard
    total: int  # published pledges in the subtree
    fulfilled: int


def public_organization(*, code: str) -> Organization:
    """The active organisation with this code (any case), else 404."""
    org = Organization.objects.filter(code__iexact=(code or "").strip(), is_active=True).first()
    if org is None:
        raise Http404
    return org


def public_campaigns(*, org: Organization) -> list[Campaign]:
    """Campaigns run over the organisation (rooted at it or above), newest first; a campaign
    still being prepared has nothing public yet."""
    return list(
        Campaign.objects.filter(root_organization__path__in=org.ancestor_paths(include_self=True))
        .exclude(status=Campaign.Status.PREPARING)
        .order_by("-start_date", "-id")
    )


def _pick_campaign(campaigns: list[Campaign], campaign_id: int | None) -> Campaign | None:
    for campaign in campaigns:
        if campaign.pk == campaign_id:
            return campaign
    for campaign in campaigns:
        if campaign.status == Campaign.Status.ACTIVE:
            return campaign
    return campaigns[0] if campaigns else None


def _subtree_counts(org: Organization, campaign: Campaign | None) -> dict[str, tuple[int, int]]:
    """Published and fulfilled pledge counts per child path prefix of ``org``'s subtree, plus
    ``org.path`` itself for the whole subtree: one grouped query, cached for big subtrees."""
    big = (
        Organization.objects.filter(path__startswith=org.path).count()
        >= PUBLIC_COUNTS_CACHE_MIN_ORGS
    )
    key = f"public-board-counts:{org.path}:{campaign.pk if campaign else 0}"
    if big:
        cached = cache.get(key)
        if cached is not None:
            return cached
    qs = Pledge.objects.published().filter(organization__path__startswith=org.path)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    # Fulfilled, or evaluated after being fulfilled (an evaluated pledge may never have been).
    fulfilled_q = Q(status=Pledge.Status.FULFILLED) | Q(
        status=Pledge.Status.EVALUATED, fulfilled_at__isnull=False
    )
    rows = (
        qs.annotate(prefix=Substr("organization__path", 1, len(org.path) + org.steplen))
        .values("prefix")
        .annotate(n=Count("id"), done=Count("id", filter=fulfilled_q))
        .order_by()
    )
    counts: dict[str, tuple[int, int]] = {}
    total = done = 0
    for row in rows:
        counts[row["prefix"]] = (row["n"], row["done"])
        total += row["n"]
        done += row["done"]
    counts[org.path] = (total, done)
    if big:
        cache.set(key, counts, PUBLIC_COUNTS_CACHE_SECONDS)
    return counts


def _page(items, number, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(number)


def public_board(
    *,
    org: Organization,
    campaign_id: int | None = None,
    page: int | str | None = 1,
    orgs_page: int | str | None = 1,
    own_page: int | str | None = 1,
) -> PublicBoard:
    """The 公示栏 of an organisation for one campaign (the one asked for, else the active one).

    Shows the organisation's own published pledges; for a branch or group, its members'
    published pledges grouped by member (members of its groups included); and its active child
    organisations with their counts, each linking to its own board. A committee's board never
    lists its subtree's pledges, so it stays small at city scale.
    """
    today = timezone.localdate()
    campaigns = public_campaigns(org=org)
    campaign = _pick_campaign(campaigns, campaign_id)
    pledges = _public_pledges()
    # Every pledge belongs to a campaign: without one there is nothing to show.
    pledges = pledges.filter(campaign=campaign) if campaign is not None else pledges.none()

    own_qs = pledges.filter(owner_organization=org).order_by("kind", "published_at", "id")
    own = _page(own_qs, own_page, PUBLIC_OWN_PLEDGES_PER_PAGE)
    own.object_list = [_to_public(p, today) for p in own.object_list]

    if org.accepts_members:
        member_pledges = pledges.filter(
            owner_member__isnull=False, organization__path__startswith=org.path
        )
    else:
        member_pledges = pledges.filter(owner_member__isnull=False, organization=org)
    member_ids = member_pledges.values("owner_member_id")
    # Only the public fields of a member are read from the database at all.
    members_qs = (
        Member.objects.filter(pk__in=member_ids)
        .select_related("branch")
        .order_by("name", "id")
        .only("id", "name", "post", "is_active", "branch__code", "branch__is_active")
    )
    members = _page(members_qs, page, PUBLIC_MEMBERS_PER_PAGE)
    page_members = list(members.object_list)
    by_member: dict[int, list[PublicPledge]] = {m.pk: [] for m in page_members}
    for pledge in member_pledges.filter(owner_member__in=[m.pk for m in page_members]).order_by(
        "kind", "published_at", "id"
    ):
        by_member[pledge.owner_member_id].append(_to_public(pledge, today))
    members.object_list = [
        MemberPledges(
            name=m.name,
            post=m.post or "",
            pledges=by_member[m.pk],
            id=m.pk,
            # Listed here means a public pledge: the page exists if the member and branch do.
            page_url=_member_path(m) if m.is_active and m.branch.is_active else "",
        )
        for m in page_members
    ]

    counts = _subtree_counts(org, campaign)
    children_qs = Organization.objects.filter(
        path__startswith=org.path, depth=org.depth + 1, is_active=True
    ).order_by("path")
    children = _page(children_qs, orgs_page, PUBLIC_CHILDREN_PER_PAGE)
    children.object_list = [
        ChildBoard(
            org=_to_public_org(child),
            pledges=counts.get(child.path, (0, 0))[0],
            fulfilled=counts.get(child.path, (0, 0))[1],
        )
        for child in children.object_list
    ]
    total, fulfilled = counts[org.path]
    return PublicBoard(
        org=_to_public_org(org),
        ancestors=[_to_public_org(a) for a in org.ancestors() if a.is_active],
        campaigns=[_to_public_campaign(c) for c in campaigns],
        campaign=_to_public_campaign(campaign) if campaign is not None else None,
        own_pledges=own,
        members=members,
        children=children,
        total=total,
        fulfilled=fulfilled,
    )


def _to_public_campaign(campaign: Campaign) -> PublicCampaign:
    return PublicCampaign(
        id=campaign.pk, name=campaign.name, theme=campaign.theme, sub_theme=campaign.sub_theme
    )


# The public member page (the QR code on a pledge card and a desk sign) ------------------------


@dataclass(frozen=True)
class PublicMemberCampaign:
    """A member's public pledges in one campaign."""

    campaign: PublicCampaign
    pledges: list[PublicPledge]


@dataclass
class PublicMemberPage:
    id: int
    name: str
    post: str
    branch: PublicOrg
    ancestors: list[PublicOrg]  # the branch's active ancestors, root first
    campaigns: list[PublicMemberCampaign]  # newest campaign first
    total: int
    fulfilled: int
    path: str  # the page's own address, site-relative


def _member_path(member: Member) -> str:
    """``public:member`` of a member loaded with at least ``branch__code``."""
    return reverse("public:member", kwargs={"code": member.branch.code, "member_id": member.pk})


def _member_public_pledges(member_id: int) -> QuerySet[Pledge]:
    """What a member's public page lists: the member's pledges that a public board shows
    (published, fulfilled, evaluated, or withdrawn after publication; active organisations;
    campaigns past preparation), newest campaign first, then in the board's order."""
    return (
        _public_pledges()
        .filter(owner_member_id=member_id)
        .exclude(campaign__status=Campaign.Status.PREPARING)
        .select_related("campaign")
        .order_by("-campaign__start_date", "-campaign_id", "kind", "published_at", "id")
    )


def member_has_public_page(*, member: Member) -> bool:
    """Whether ``public:member`` answers for this member (one EXISTS query at most): an active
    member of an active branch with at least one pledge a public board shows."""
    if not member.is_active or not member.branch.is_active:
        return False
    return _member_public_pledges(member.pk).exists()


def public_member_page(*, org: Organization, member_id: int) -> PublicMemberPage:
    """A member's public page under their branch ``org`` (from :func:`public_organization`):
    name, post, branch and public pledges, by campaign. 404 — the same answer for each — for a
    missing member, a member of another organisation, an inactive member, or one without a
    public pledge, so the address reveals nothing about people without published pledges."""
    # Only the public fields of the member are read from the database at all.
    member = (
        Member.objects.filter(pk=member_id, branch=org, is_active=True)
        .only("id", "name", "post", "branch_id")
        .first()
    )
    if member is None:
        raise Http404
    today = timezone.localdate()
    pledges = list(_member_public_pledges(member.pk))
    if not pledges:
        raise Http404
    campaigns: list[PublicMemberCampaign] = []
    for pledge in pledges:
        if not campaigns or campaigns[-1].campaign.id != pledge.campaign_id:
            campaigns.append(
                PublicMemberCampaign(campaign=_to_public_campaign(pledge.campaign), pledges=[])
            )
        campaigns[-1].pledges.append(_to_public(pledge, today))
    fulfilled = sum(
        1
        for p in pledges
        if p.status == Pledge.Status.FULFILLED
        or (p.status == Pledge.Status.EVALUATED and p.fulfilled_at is not None)
    )
    return PublicMemberPage(
        id=member.pk,
        name=member.name,
        post=member.post or "",
        branch=_to_public_org(org),
        ancestors=[_to_public_org(a) for a in org.ancestors() if a.is_active],
        campaigns=campaigns,
        total=len(pledges),
        fulfilled=fulfilled,
        path=reverse("public:member", kwargs={"code": org.code, "member_id": member.pk}),
    )


# The public pledge page ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPhoto:
    id: int
    name: str


@dataclass(frozen=True)
class PublicEntry:
    date: datetime.date
    text: str
    progress: int
    photos: list[PublicPhoto]


@dataclass(frozen=True)
class PublicAdjustment:
    """An approved adjustment (调诺): what changed, and why."""

    decided_at: datetime.datetime | None
    reason: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class PublicComment:
    rating_label: str
    comment: str
    created_at: datetime.datetime


@dataclass
class PublicPledgeDetail:
    pledge: PublicPledge
    campaign: PublicCampaign
    organization: PublicOrg
    ancestors: list[PublicOrg]
    entries: list[PublicEntry]
    adjustments: list[PublicAdjustment]
    satisfaction: Decimal | None
    ratings: list[tuple[str, str, int]]  # (Feedback.Rating value, label, count), rejected excluded
    ratings_total: int
    comments: list[PublicComment]
    accepts_feedback: bool


def public_pledge_by_id(*, pledge_id: int) -> Pledge:
    """A published pledge of an active organisation, else 404 (same answer for a draft, a
    returned pledge or a missing id)."""
    pledge = _public_pledges().select_related("campaign").filter(pk=pledge_id).first()
    if pledge is None:
        raise Http404
    return pledge


_ADJUSTABLE_FIELDS = ("content", "deadline", "expected_effect", "measures")


def _display_value(name: str, value: str) -> str:
    """Snapshots keep dates as ISO strings; show them as the reader's language writes dates."""
    if name == "deadline" and value:
        try:
            return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return value


def _public_adjustments(pledge: Pledge) -> list[PublicAdjustment]:
    """Approved adjustments, oldest first. "Before" is the snapshot in the history row of the
    request (the published text then, which cannot change while an adjustment is pending)."""
    adjustments = list(
        PledgeAdjustment.objects.filter(pledge=pledge, status=PledgeAdjustment.Status.APPROVED)
        .order_by("decided_at", "id")
        .prefetch_related("history")
    )
    result = []
    for adjustment in adjustments:
        requests = [
            h
            for h in adjustment.history.all()
            if h.action == PledgeHistory.Action.REQUEST_ADJUSTMENT
        ]
        before = requests[0].snapshot if requests else {}
        after = adjustment.content_snapshot()
        changes = [
            FieldChange(
                field=name,
                label=str(Pledge._meta.get_field(name).verbose_name),
                before=_display_value(name, before.get(name, "")),
                after=_display_value(name, after.get(name, "")),
            )
            for name in _ADJUSTABLE_FIELDS
            if before.get(name, "") != after.get(name, "")
        ]
        result.append(
            PublicAdjustment(
                decided_at=adjustment.decided_at, reason=adjustment.reason, changes=changes
            )
        )
    return result


def public_pledge_detail(*, pledge: Pledge) -> PublicPledgeDetail:
    """Everything the public pledge page shows, for a pledge from :func:`public_pledge_by_id`:
    the pledge, its journal with photos (documents are evidence for the committee, not shown),
    approved adjustments, satisfaction and approved comments."""
    today = timezone.localdate()
    entries = [
        PublicEntry(
            date=entry.date,
            text=entry.text,
            progress=entry.progress,
            photos=[
                PublicPhoto(id=a.pk, name=a.original_name)
                for a in entry.attachments.all()
                if a.is_image
            ],
        )
        for entry in FulfilmentEntry.objects.filter(pledge=pledge)
        .order_by("date", "id")
        .prefetch_related("attachments")
    ]
    feedback = Feedback.objects.filter(pledge=pledge).counted()
    counts = dict.fromkeys(Feedback.Rating.values, 0)
    for row in feedback.values("rating").annotate(n=Count("id")).order_by():
        counts[row["rating"]] = row["n"]
    ratings = [(value, str(label), counts[value]) for value, label in Feedback.Rating.choices]
    comments = [
        PublicComment(
            rating_label=str(f.get_rating_display()), comment=f.comment, created_at=f.created_at
        )
        for f in Feedback.objects.filter(pledge=pledge, status=Feedback.Status.APPROVED).order_by(
            "-created_at", "-id"
        )[:50]
    ]
    org = pledge.organization
    return PublicPledgeDetail(
        pledge=_to_public(pledge, today),
        campaign=_to_public_campaign(pledge.campaign),
        organization=_to_public_org(org),
        ancestors=[_to_public_org(a) for a in org.ancestors() if a.is_active],
        entries=entries,
        adjustments=_public_adjustments(pledge),
        satisfaction=public_satisfaction(pledge=pledge),
        ratings=ratings,
        ratings_total=sum(counts.values()),
        comments=comments,
        accepts_feedback=pledge.status in Pledge.PUBLIC_STATUSES,
    )


def public_attachment_by_id(*, attachment_id: int) -> Attachment:
    """A photo of a journal entry of a public pledge of an active organisation, else 404."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            entry__pledge__in=Pledge.objects.published().filter(organization__is_active=True),
        )
        .select_related("entry")
        .first()
    )
    if attachment is None or not attachment.is_image:
        raise Http404
    return attachment


# Absolute public addresses (QR codes on printed cards and boards) ------------------------------


def _public_absolute(request, path: str) -> str:
    base = (settings.PUBLIC_BASE_URL or "").rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    raise ImproperlyConfigured("PUBLIC_BASE_URL is empty and there is no request to build from")


def public_pledge_url(request_or_none, pledge: Pledge) -> str:
    """The absolute address of a pledge's public page (for QR codes): built on
    ``settings.PUBLIC_BASE_URL``, or on the request's host when that setting is empty."""
    return _public_absolute(request_or_none, reverse("public:pledge", kwargs={"pk": pledge.pk}))


def public_board_url(org: Organization, request_or_none=None) -> str:
    """The absolute address of an organisation's public board (stable: built from its code)."""
    return _public_absolute(request_or_none, reverse("public:board", kwargs={"code": org.code}))


def public_absolute_url(request_or_none, path: str) -> str:
    """A site-relative public ``path`` as an absolute address (on ``PUBLIC_BASE_URL``)."""
    return _public_absolute(request_or_none, path)


def public_member_url(member: Member, request_or_none=None) -> str:
    """The absolute address of a member's public page (built from the branch's code and the
    member's id; ``member`` with its branch loaded)."""
    return _public_absolute(request_or_none, _member_path(member))


# Feedback moderation (staff) -----------------------------------------------------------------


def feedback_for_moderation(*, user, status: str = Feedback.Status.PENDING) -> QuerySet[Feedback]:
    """Comments on pledges in the user's committee scope, with the given moderation status."""
    return (
        Feedback.objects.moderatable_by(user)
        .filter(status=status)
        .select_related("pledge", "pledge__organization", "pledge__owner_member", "moderated_by")
        .select_related("pledge__owner_organization")
        .order_by("created_at", "id")
    )


def feedback_moderation_counts(*, user) -> dict[str, int]:
    """Comments in the user's scope per moderation status (pending, approved, rejected)."""
    counts = dict.fromkeys(
        (Feedback.Status.PENDING, Feedback.Status.APPROVED, Feedback.Status.REJECTED), 0
    )
    rows = (
        Feedback.objects.moderatable_by(user)
        .with_comment()
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def access_feedback_by_id(*, user, feedback_id: int) -> Feedback:
    """A comment the user may moderate, else 404 (missing or out of scope alike)."""
    feedback = (
        Feedback.objects.moderatable_by(user)
        .with_comment()
        .select_related("pledge", "pledge__organization")
        .filter(pk=feedback_id)
        .first()
    )
    if feedback is None:
        raise Http404
    return feedback


# ---------------------------------------------------------------------------------------------
# Printing (pledge cards, desk signs, pledge boards as PDF)
# ---------------------------------------------------------------------------------------------
#
# A printed document goes on a wall or a desk: it shows what the public board shows and nothing
# more. Like the public pages, the renderer receives plain dataclasses (PublicPledge for the
# pledges, PrintedMember for the person), so a private field (phone, ID number, birth date)
# cannot reach paper by a template slip. Who may *print* is decided on the member or the
# organisation (``visible_to``) by the view; the content itself is public.

# A batch or a board renders within the request (about 0.1 s per card); a branch has tens of
# members. This only stops a request that would hold a web worker for minutes.
PRINT_MAX_MEMBERS = 300


@dataclass(frozen=True)
class PrintedMember:
    """A member on a card or a desk sign: public fields and published pledges only."""

    id: int
    name: str
    post: str
    branch_name: str
    status_label: str  # full or probationary member (正式党员 / 预备党员)
    pledges: list[PublicPledge]
    public_url: str  # what the QR code opens


@dataclass(frozen=True)
class PrintedBoard:
    """An organisation's printed board: its own pledges, then its members' by member."""

    org: PublicOrg
    campaign: PublicCampaign | None
    own_pledges: list[PublicPledge]
    members: list[PrintedMember]
    public_url: str


class TooManyToPrint(Exception):
    """More members than one request should render (``PRINT_MAX_MEMBERS``)."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def printable_pledges(campaign: Campaign) -> QuerySet[Pledge]:
    """What paper may show: the campaign's published, fulfilled and evaluated pledges — never
    a draft, a pledge under review or a withdrawn one (a printed card outlives a withdrawal, so
    it is not printed at all) — in the public board's order."""
    return (
        _public_pledges()
        .filter(campaign=campaign, status__in=Pledge.PUBLIC_STATUSES)
        .order_by("kind", "published_at", "id")
    )


def print_member_url(member: Member, request=None, *, has_public_page: bool | None = None) -> str:
    """Where a member's QR code points: the member's public pledge page (``public:member``).
    While that page does not exist (nothing published yet, or the member has left) the code
    points to the branch's public board instead, so that a printed code never leads to "not
    found". ``has_public_page`` saves the EXISTS query when the caller already knows."""
    if has_public_page is None:
        has_public_page = member_has_public_page(member=member)
    if has_public_page:
        return public_member_url(member, request)
    return public_board_url(member.branch, request)


def _printed_member(member: Member, pledges: list[PublicPledge], request) -> PrintedMember:
    # A printed pledge is one the member page lists, so with one the page exists if the member
    # and the branch are active; without one, ask.
    has_page = member.is_active and member.branch.is_active if pledges else None
    return PrintedMember(
        id=member.pk,
        name=member.name,
        post=member.post or "",
        branch_name=member.branch.name,
        status_label=str(member.get_status_display()),
        pledges=pledges,
        public_url=print_member_url(member, request, has_public_page=has_page),
    )


def _print_campaign(org: Organization, campaign_id: int | None) -> Campaign | None:
    """The campaign asked for, else the one the public board shows (the active one)."""
    return _pick_campaign(public_campaigns(org=org), campaign_id)


def _members_pledges(org: Organization, campaign: Campaign) -> QuerySet[Pledge]:
    """Member pledges that the organisation's board shows (the same rule as ``public_board``:
    a branch's or group's members, its groups' included; a committee's own members only)."""
    pledges = printable_pledges(campaign).filter(owner_member__isnull=False)
    if org.accepts_members:
        return pledges.filter(organization__path__startswith=org.path)
    return pledges.filter(organization=org)


def _group_by_member(
    members: list[Member], pledges: QuerySet[Pledge], request
) -> list[PrintedMember]:
    today = timezone.localdate()
    by_member: dict[int, list[PublicPledge]] = {m.pk: [] for m in members}
    for pledge in pledges.filter(owner_member__in=list(by_member)):
        by_member[pledge.owner_member_id].append(_to_public(pledge, today))
    return [_printed_member(m, by_member[m.pk], request) for m in members]


def print_member(
    *, member: Member, campaign_id: int | None = None, request=None
) -> tuple[PublicCampaign | None, PrintedMember]:
    """One member's card or sign (``member`` already looked up with ``visible_to``)."""
    campaign = _print_campaign(member.branch, campaign_id)
    pledges: list[PublicPledge] = []
    if campaign is not None:
        today = timezone.localdate()
        pledges = [
            _to_public(p, today) for p in printable_pledges(campaign).filter(owner_member=member)
        ]
    return (
        _to_public_campaign(campaign) if campaign is not None else None,
        _printed_member(member, pledges, request),
    )


def print_branch_members(
    *, user, org: Organization, campaign_id: int | None = None, request=None
) -> tuple[PublicCampaign | None, list[PrintedMember]]:
    """Cards or signs for an organisation's members (``org`` already looked up with
    ``visible_to``): every active member in the user's scope with a published pledge in the
    campaign, by party group and name. Raises ``TooManyToPrint`` past ``PRINT_MAX_MEMBERS``."""
    campaign = _print_campaign(org, campaign_id)
    if campaign is None:
        return None, []
    pledges = _members_pledges(org, campaign)
    members = list(
        Member.objects.visible_to(user)
        .filter(pk__in=pledges.values("owner_member_id"), is_active=True)
        .select_related("branch")
        .order_by("branch__path", "name", "id")[: PRINT_MAX_MEMBERS + 1]
    )
    if len(members) > PRINT_MAX_MEMBERS:
        raise TooManyToPrint(len(members))
    return _to_public_campaign(campaign), _group_by_member(members, pledges, request)


def print_board(*, org: Organization, campaign_id: int | None = None, request=None) -> PrintedBoard:
    """The printed 公示栏 of an organisation (``org`` already looked up with ``visible_to``):
    what its online board lists, unpaginated — its own published pledges, then its members'
    grouped by member in name order. Raises ``TooManyToPrint`` past ``PRINT_MAX_MEMBERS``."""
    campaign = _print_campaign(org, campaign_id)
    own: list[PublicPledge] = []
    members: list[PrintedMember] = []
    if campaign is not None:
        today = timezone.localdate()
        own = [
            _to_public(p, today) for p in printable_pledges(campaign).filter(owner_organization=org)
        ]
        pledges = _members_pledges(org, campaign)
        member_list = list(
            Member.objects.filter(pk__in=pledges.values("owner_member_id"))
            .select_related("branch")
            .order_by("name", "id")[: PRINT_MAX_MEMBERS + 1]
        )
        if len(member_list) > PRINT_MAX_MEMBERS:
            raise TooManyToPrint(len(member_list))
        members = _group_by_member(member_list, pledges, request)
    return PrintedBoard(
        org=_to_public_org(org),
        campaign=_to_public_campaign(campaign) if campaign is not None else None,
        own_pledges=own,
        members=members,
        public_url=public_board_url(org, request),
    )
