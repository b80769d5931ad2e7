"""Reads for the pledges app. Lists are scoped to a user through ``Pledge.objects.visible_to``;
``access_pledge_by_id`` answers 404 whether a pledge is missing or out of scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from campaigns import scope
from campaigns.models import Campaign, Member, Organization, RoleAssignment
from pledges.models import Evaluation, EvaluationPolicy, Pledge, PledgeHistory

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
    committee_roles = RoleAssignment.COMMITTEE_ROLES
    if user.is_superuser:
        reviewable = Q()
    else:
        below = Q(pk__in=[])
        for path in scope.scope_paths(user, committee_roles):
            below |= Q(organization__path__startswith=path) & ~Q(organization__path=path)
        office = scope.subtree_q(user, "organization__path", (RoleAssignment.Role.OFFICE,))
        member_pledges = Q(owner_member__isnull=False) & scope.subtree_q(
            user, "organization__path", committee_roles
        )
        reviewable = member_pledges | (Q(owner_member__isnull=True) & (below | office))
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
        ranges = {
            Pledge.Kind.DEED.value: (campaign.member_deed_min, campaign.member_deed_max),
            Pledge.Kind.RECTIFY.value: (campaign.member_rectify_min, campaign.member_rectify_max),
        }
    else:
        qs = qs.filter(owner_organization=owner_organization)
        ranges = {Pledge.Kind.DEED.value: (campaign.org_deed_min, campaign.org_deed_max)}
    counts = dict.fromkeys(Pledge.Kind.values, 0)
    for row in qs.values("kind").annotate(n=Count("id")):
        counts[row["kind"]] = row["n"]
    warnings = []
    for kind, (low, high) in ranges.items():
        if not low <= counts[kind] <= high:
            warnings.append(
                _("%(kind)s: %(count)d, the campaign asks for %(min)d to %(max)d.")
                % {"kind": Pledge.Kind(kind).label, "count": counts[kind], "min": low, "max": high}
            )
    return GuidanceStatus(counts=counts, ranges=ranges, warnings=warnings)


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
    """Share of 满意 + 基本满意 among moderated public feedback, 0–100; None without feedback.

    Hook for the feedback issue: there is no feedback model yet, so there is never data.
    """
    return None


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
