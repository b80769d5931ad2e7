"""Writes of the pledge cycle. Each service states its rule and goes through
:func:`pledges.workflow.transition` — one transaction, the row locked, the actor checked against
the ``TRANSITIONS`` table, a history row written. A refusal raises
:class:`~pledges.workflow.TransitionRefused` and changes nothing."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Member, Organization, Phase
from pledges import selectors
from pledges.models import (
    Attachment,
    Evaluation,
    EvaluationPolicy,
    Feedback,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    ReturnReason,
    validate_attachment,
)
from pledges.workflow import Action, Context, TransitionRefused, require_active_user, transition

# ---------------------------------------------------------------------------------------------
# Campaign settings
# ---------------------------------------------------------------------------------------------

# Seeded when a campaign first needs its list; the campaign office edits them afterwards. They
# are data in the campaign's language, not interface strings.
DEFAULT_RETURN_REASONS = (
    "目标不具体",
    "时限不合理",
    "不切实际",
    "内容与岗位职责不符",
    "表述不清",
)


def ensure_default_return_reasons(campaign: Campaign) -> list[ReturnReason]:
    """The campaign's active return reasons, seeding the five defaults if it has none at all
    (a campaign whose office deleted or retired them keeps its own choice)."""
    with transaction.atomic():
        # Lock the campaign so two first requests do not both seed.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        if not ReturnReason.objects.filter(campaign=campaign).exists():
            ReturnReason.objects.bulk_create(
                ReturnReason(campaign=campaign, text=text, order=order)
                for order, text in enumerate(DEFAULT_RETURN_REASONS, start=1)
            )
    return list(ReturnReason.objects.filter(campaign=campaign, is_active=True))


def evaluation_policy_for(campaign: Campaign) -> EvaluationPolicy:
    """The campaign's evaluation policy, created with the defaults (30/40/30) if missing."""
    policy, _created = EvaluationPolicy.objects.get_or_create(campaign=campaign)
    return policy


# ---------------------------------------------------------------------------------------------
# Define (定诺)
# ---------------------------------------------------------------------------------------------

_CONTENT_FIELDS = frozenset(Pledge.CONTENT_FIELDS)


def _reject_unknown_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - _CONTENT_FIELDS
    if unknown:
        raise TypeError(f"not pledge content fields: {', '.join(sorted(unknown))}")
    if (
        "deadline" in fields
        and fields["deadline"] is not None
        and not isinstance(fields["deadline"], datetime.date)
    ):
        raise TypeError("deadline must be a date")


def _validate_content(fields: dict[str, Any]) -> None:
    """Rules on the values an author gives (run after the actor has been checked)."""
    if "kind" in fields and fields["kind"] not in Pledge.Kind.values:
        raise TransitionRefused(_("Choose the kind of pledge."), code="bad_kind", field="kind")
    if "term" in fields and fields["term"] not in Pledge.Term.values:
        raise TransitionRefused(_("Choose the term of the pledge."), code="bad_term", field="term")
    if "content" in fields and not (fields["content"] or "").strip():
        raise TransitionRefused(_("Say what will be done."), code="no_content", field="content")


def _pledge_phase_started(campaign: Campaign, today: datetime.date) -> bool:
    return campaign.phases.filter(kind=Phase.Kind.PLEDGE, start_date__lte=today).exists()


def pledge_create(
    *,
    campaign: Campaign,
    actor,
    owner_member: Member | None = None,
    owner_organization: Organization | None = None,
    **fields: Any,
) -> Pledge:
    """Create a draft pledge for a member or an organisation.

    Allowed for the member themself and their branch committee (or above); for an organisation
    pledge, the organisation's committee (or above). The campaign must have reached its pledge
    phase and not be closed, and the owner must be active and inside the campaign's tree.
    ``fields`` are the content fields (kind, term, content, deadline, expected_effect,
    measures); kind, term and content are needed now, the rest before submitting. Guidance
    counts are only warnings: see ``selectors.guidance_status``.
    """
    if (owner_member is None) == (owner_organization is None):
        raise ValueError("pass exactly one of owner_member and owner_organization")
    _reject_unknown_fields(fields)
    require_active_user(actor, Action.CREATE)
    org = owner_member.branch if owner_member is not None else owner_organization
    pledge = Pledge(
        campaign=campaign,
        owner_member=owner_member,
        owner_organization=owner_organization,
        organization=org,
        author=actor,
        **fields,
    )

    def check(pledge: Pledge, ctx: Context) -> None:
        # Checked after the actor, so an outsider learns nothing about the campaign.
        if campaign.status == Campaign.Status.CLOSED:
            raise TransitionRefused(_("This campaign is closed."), code="campaign_closed")
        if not _pledge_phase_started(campaign, timezone.localdate()):
            raise TransitionRefused(
                _("Pledges can be made once the campaign's pledge phase has started."),
                code="too_early",
            )
        if not org.is_in_subtree_of(campaign.root_organization):
            raise TransitionRefused(
                _("%(owner)s is not part of this campaign.") % {"owner": pledge.owner_name},
                code="outside_campaign",
            )
        if owner_member is not None and not owner_member.is_active:
            raise TransitionRefused(
                _("%(owner)s is no longer an active member.") % {"owner": owner_member},
                code="inactive_owner",
            )
        if not org.is_active:
            raise TransitionRefused(
                _("%(org)s is no longer active.") % {"org": org}, code="inactive_owner"
            )
        for name in ("kind", "term", "content"):
            if name not in fields:
                raise TransitionRefused(
                    _("“%(field)s” is required.")
                    % {"field": Pledge._meta.get_field(name).verbose_name},
                    code="required",
                    field=name,
                )
        _validate_content(fields)

    return transition(pledge=pledge, action=Action.CREATE, actor=actor, apply=check)


def pledge_update(*, pledge: Pledge, actor, **fields: Any) -> Pledge:
    """Change a draft or returned pledge's content (whoever may edit it)."""
    _reject_unknown_fields(fields)

    def apply(locked: Pledge, ctx: Context) -> None:
        _validate_content(fields)
        for name, value in fields.items():
            setattr(locked, name, value)

    return transition(pledge=pledge, action=Action.EDIT, actor=actor, apply=apply)


def pledge_submit(*, pledge: Pledge, actor) -> Pledge:
    """Draft → submitted, once the content is complete."""
    return transition(pledge=pledge, action=Action.SUBMIT, actor=actor)


def pledge_recall(*, pledge: Pledge, actor) -> Pledge:
    """Submitted → draft, by the author, as long as nobody has reviewed it."""
    return transition(pledge=pledge, action=Action.RECALL, actor=actor)


# ---------------------------------------------------------------------------------------------
# Review (审诺)
# ---------------------------------------------------------------------------------------------


def pledge_approve(*, pledge: Pledge, actor, comment: str = "") -> Pledge:
    """Submitted → approved (filed). Member pledges: the branch committee; organisation pledges:
    the superior organisation's committee or the office; never the owner or the author."""
    return transition(pledge=pledge, action=Action.APPROVE, actor=actor, comment=comment)


def pledge_return(
    *, pledge: Pledge, actor, reasons: Iterable[ReturnReason], comment: str
) -> Pledge:
    """Submitted → returned for revision, with at least one of the campaign's reasons and a
    comment. Same reviewers as approval."""
    return transition(
        pledge=pledge, action=Action.RETURN, actor=actor, reasons=reasons, comment=comment
    )


def pledge_resubmit(*, pledge: Pledge, actor) -> Pledge:
    """Returned → submitted; the reviewer then sees the changes since the return."""
    return transition(pledge=pledge, action=Action.RESUBMIT, actor=actor)


# ---------------------------------------------------------------------------------------------
# Publish (亮诺)
# ---------------------------------------------------------------------------------------------


def pledge_publish(*, pledge: Pledge, actor) -> Pledge:
    """Approved → published on the public board: the branch secretary (or above) or the office."""
    return transition(pledge=pledge, action=Action.PUBLISH, actor=actor)


@dataclass
class BulkResult:
    done: list[Pledge] = field(default_factory=list)
    refused: list[tuple[Pledge, str]] = field(default_factory=list)


def pledges_publish_bulk(*, pledges: Iterable[Pledge], actor) -> BulkResult:
    """Publish many approved pledges (the office's bulk action). Each pledge is its own
    transaction, so one refusal does not hold back the others; refusals are reported."""
    result = BulkResult()
    for pledge in pledges:
        try:
            result.done.append(pledge_publish(pledge=pledge, actor=actor))
        except TransitionRefused as exc:
            result.refused.append((pledge, exc.message))
    return result


# ---------------------------------------------------------------------------------------------
# Fulfil (践诺)
# ---------------------------------------------------------------------------------------------


def fulfilment_entry_add(
    *,
    pledge: Pledge,
    actor,
    date: datetime.date,
    text: str,
    progress: int,
    files: Sequence[UploadedFile] = (),
) -> FulfilmentEntry:
    """Add a record to a published pledge's journal (the owner or the committee): a date not in
    the future, what was done, progress 0–100, and photos or documents (jpg, png, webp, pdf,
    docx, xlsx; 10 MB each)."""
    created: list[FulfilmentEntry] = []

    def apply(locked: Pledge, ctx: Context) -> None:
        # Inputs are checked here, after the actor and the state: an outsider learns nothing.
        if date > timezone.localdate():
            raise TransitionRefused(
                _("The date cannot be in the future."), code="future_date", field="date"
            )
        if not (text or "").strip():
            raise TransitionRefused(_("Describe what was done."), code="no_text", field="text")
        if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
            raise TransitionRefused(
                _("Progress is a whole number from 0 to 100."),
                code="bad_progress",
                field="progress",
            )
        for upload in files:
            try:
                validate_attachment(upload)
            except ValidationError as exc:
                raise TransitionRefused(
                    " ".join(exc.messages), code=exc.code or "bad_file", field="files"
                ) from None
        entry = FulfilmentEntry.objects.create(
            pledge=locked, date=date, text=text.strip(), progress=progress, author=actor
        )
        for upload in files:
            attachment = Attachment(
                entry=entry, original_name=os.path.basename(upload.name), size=upload.size
            )
            # Through the storage API: local disk in the embedded set-up, anything in production.
            attachment.file.save(os.path.basename(upload.name), upload, save=False)
            attachment.save()
        created.append(entry)

    transition(pledge=pledge, action=Action.ADD_ENTRY, actor=actor, apply=apply)
    return created[0]


def pledge_mark_fulfilled(*, pledge: Pledge, actor, comment: str = "") -> Pledge:
    """Published → fulfilled, by the committee (not the owner), with at least one journal entry
    and no adjustment awaiting review."""
    return transition(pledge=pledge, action=Action.MARK_FULFILLED, actor=actor, comment=comment)


# ---------------------------------------------------------------------------------------------
# Adjust (调诺)
# ---------------------------------------------------------------------------------------------


def adjustment_request(
    *,
    pledge: Pledge,
    actor,
    content: str,
    deadline: datetime.date,
    expected_effect: str,
    reason: str,
    measures: str = "",
) -> PledgeAdjustment:
    """Ask to change a published pledge. The published text stays until the adjustment is
    approved; one adjustment may be pending at a time."""
    created: list[PledgeAdjustment] = []

    def apply(locked: Pledge, ctx: Context) -> None:
        if not (content or "").strip():
            raise TransitionRefused(_("Say what will be done."), code="no_content", field="content")
        if not (expected_effect or "").strip():
            raise TransitionRefused(
                _("Describe the expected effect."), code="no_effect", field="expected_effect"
            )
        if deadline is None:
            raise TransitionRefused(_("Set a deadline."), code="no_deadline", field="deadline")
        if deadline < timezone.localdate():
            raise TransitionRefused(
                _("The deadline has already passed; choose a later date."),
                code="deadline_past",
                field="deadline",
            )
        if not (reason or "").strip():
            raise TransitionRefused(
                _("Give the reason for the change."), code="no_reason", field="reason"
            )
        if locked.kind == Pledge.Kind.RECTIFY and not (measures or "").strip():
            raise TransitionRefused(
                _("A rectification pledge needs its measures."),
                code="no_measures",
                field="measures",
            )
        ctx.adjustment = PledgeAdjustment.objects.create(
            pledge=locked,
            content=content.strip(),
            deadline=deadline,
            expected_effect=expected_effect.strip(),
            measures=(measures or "").strip(),
            reason=reason.strip(),
            requested_by=actor,
        )
        created.append(ctx.adjustment)

    transition(
        pledge=pledge, action=Action.REQUEST_ADJUSTMENT, actor=actor, comment=reason, apply=apply
    )
    return created[0]


def _decide_adjustment(
    adjustment: PledgeAdjustment, action: Action, actor, comment: str, approve: bool
) -> PledgeAdjustment:
    def apply(locked: Pledge, ctx: Context) -> None:
        pending = ctx.adjustment
        if pending is None or pending.pk != adjustment.pk:
            # Another adjustment is pending (this one was decided and a new one asked for).
            raise TransitionRefused(
                _("This adjustment is no longer awaiting review."), code="already_decided"
            )
        pending.status = (
            PledgeAdjustment.Status.APPROVED if approve else PledgeAdjustment.Status.RETURNED
        )
        pending.decided_by = actor
        pending.decided_at = timezone.now()
        pending.comment = ctx.comment
        pending.save()
        if approve:
            for name in ("content", "deadline", "expected_effect", "measures"):
                setattr(locked, name, getattr(pending, name))

    transition(pledge=adjustment.pledge, action=action, actor=actor, comment=comment, apply=apply)
    adjustment.refresh_from_db()
    return adjustment


def adjustment_approve(
    *, adjustment: PledgeAdjustment, actor, comment: str = ""
) -> PledgeAdjustment:
    """Approve a pending adjustment: its text replaces the published one (same reviewers as the
    pledge, and never the person who asked for it)."""
    return _decide_adjustment(adjustment, Action.APPROVE_ADJUSTMENT, actor, comment, approve=True)


def adjustment_return(*, adjustment: PledgeAdjustment, actor, comment: str) -> PledgeAdjustment:
    """Return a pending adjustment with a comment; the published text is unchanged."""
    return _decide_adjustment(adjustment, Action.RETURN_ADJUSTMENT, actor, comment, approve=False)


# ---------------------------------------------------------------------------------------------
# Evaluate (评诺)
# ---------------------------------------------------------------------------------------------


def _evaluation(pledge: Pledge) -> Evaluation:
    evaluation, _created = Evaluation.objects.get_or_create(pledge=pledge)
    return evaluation


def evaluation_record_self_report(*, pledge: Pledge, actor, text: str) -> Evaluation:
    """The owner's self-report (述职), written by the member or by the committee for them."""
    result: list[Evaluation] = []

    def apply(locked: Pledge, ctx: Context) -> None:
        if not (text or "").strip():
            raise TransitionRefused(_("Write the self-report."), code="no_text", field="text")
        evaluation = _evaluation(locked)
        evaluation.self_report = text.strip()
        evaluation.self_report_at = timezone.now()
        evaluation.save()
        result.append(evaluation)

    transition(pledge=pledge, action=Action.RECORD_SELF_REPORT, actor=actor, apply=apply)
    return result[0]


def evaluation_record_appraisal(
    *, pledge: Pledge, actor, good: int, fairly_good: int, average: int, poor: int
) -> Evaluation:
    """The democratic appraisal's tallies per grade, entered by the committee or the office
    (never for one's own pledge)."""
    tallies = (good, fairly_good, average, poor)
    result: list[Evaluation] = []

    def apply(locked: Pledge, ctx: Context) -> None:
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in tallies):
            raise TransitionRefused(
                _("Vote counts are whole numbers, zero or more."), code="bad_votes", field="votes"
            )
        if not sum(tallies):
            raise TransitionRefused(_("Enter at least one vote."), code="no_votes", field="votes")
        evaluation = _evaluation(locked)
        (
            evaluation.votes_good,
            evaluation.votes_fairly_good,
            evaluation.votes_average,
            evaluation.votes_poor,
        ) = tallies
        evaluation.save()
        result.append(evaluation)

    transition(pledge=pledge, action=Action.RECORD_APPRAISAL, actor=actor, apply=apply)
    return result[0]


def evaluation_suggest_grade(*, pledge: Pledge) -> selectors.GradeSuggestion:
    """Compute the suggested grade from the campaign's policy (see ``selectors.suggest_grade``)
    and store it on the evaluation, so lists can show it without recomputing."""
    suggestion = selectors.suggest_grade(pledge=pledge)
    Evaluation.objects.update_or_create(
        pledge=pledge, defaults={"suggested_grade": suggestion.grade}
    )
    return suggestion


def pledge_confirm_grade(
    *,
    pledge: Pledge,
    actor,
    grade: str,
    justification: str = "",
    improvement_deadline: datetime.date | None = None,
    publicity_start: datetime.date | None = None,
    publicity_end: datetime.date | None = None,
) -> Pledge:
    """Published/fulfilled → evaluated: the leadership group or the office confirms the grade.
    The self-report must be present; a grade other than the suggested one needs a
    justification; “poor” needs an improvement deadline."""
    suggestion = selectors.suggest_grade(pledge=pledge)
    params = {
        "grade": grade,
        "suggested_grade": suggestion.grade,
        "justification": justification,
        "improvement_deadline": improvement_deadline,
        "publicity_start": publicity_start,
        "publicity_end": publicity_end,
    }

    def apply(locked: Pledge, ctx: Context) -> None:
        evaluation = _evaluation(locked)
        evaluation.suggested_grade = suggestion.grade
        evaluation.final_grade = grade
        evaluation.override_justification = (justification or "").strip()
        evaluation.improvement_deadline = (
            improvement_deadline if grade == Pledge.Grade.POOR else None
        )
        evaluation.publicity_start = publicity_start
        evaluation.publicity_end = publicity_end
        evaluation.confirmed_by = actor
        evaluation.confirmed_at = timezone.now()
        evaluation.save()
        locked.grade = grade

    return transition(
        pledge=pledge,
        action=Action.EVALUATE,
        actor=actor,
        comment=justification,
        params=params,
        apply=apply,
    )


# ---------------------------------------------------------------------------------------------
# Withdraw
# ---------------------------------------------------------------------------------------------


def pledge_withdraw(*, pledge: Pledge, actor, reason: str) -> Pledge:
    """Any state but evaluated → withdrawn, by the reviewing level or the office, with a reason
    (the member left, no longer applicable). A pending adjustment is closed with it. A pledge
    withdrawn after publication stays on the public board, marked withdrawn."""

    def apply(locked: Pledge, ctx: Context) -> None:
        locked.withdrawal_reason = ctx.comment[:200]
        if ctx.adjustment is not None:
            ctx.adjustment.status = PledgeAdjustment.Status.RETURNED
            ctx.adjustment.decided_by = actor
            ctx.adjustment.decided_at = timezone.now()
            ctx.adjustment.comment = _("Closed: the pledge was withdrawn.")
            ctx.adjustment.save()

    return transition(
        pledge=pledge, action=Action.WITHDRAW, actor=actor, comment=reason, apply=apply
    )


# ---------------------------------------------------------------------------------------------
# Authoring: submitting many drafts at once (the branch page)
# ---------------------------------------------------------------------------------------------


def pledges_submit_bulk(*, pledges: Iterable[Pledge], actor) -> BulkResult:
    """Submit many drafts (a member's, or a whole branch's) for review. Each pledge is its own
    transaction through :func:`pledge_submit`, so an incomplete draft is refused and reported
    without holding back the others."""
    result = BulkResult()
    for pledge in pledges:
        try:
            result.done.append(pledge_submit(pledge=pledge, actor=actor))
        except TransitionRefused as exc:
            result.refused.append((pledge, exc.message))
    return result


# ---------------------------------------------------------------------------------------------
# Public feedback (群众满意度) and its moderation
# ---------------------------------------------------------------------------------------------

# At most this many ratings per client per hour, and one per pledge per client per day. The
# counters live in the cache (Redis in production, shared by every web process).
FEEDBACK_PER_CLIENT_PER_HOUR = 5
FEEDBACK_PER_PLEDGE_SECONDS = 24 * 3600


class FeedbackLimited(Exception):
    """A rating refused by the rate limit; ``message`` says why, in the visitor's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def client_fingerprint(*, ip: str, user_agent: str) -> str:
    """A salted hash of the client's address and browser: enough to rate-limit a client, never
    the address itself (the salt is the site's secret key, so the hash cannot be reversed by
    trying every IPv4 address without it)."""
    return salted_hmac(
        "pledges.feedback.client", f"{ip}\n{user_agent[:300]}", algorithm="sha256"
    ).hexdigest()


def feedback_submit(*, pledge: Pledge, rating: str, comment: str, fingerprint: str) -> Feedback:
    """Record a visitor's rating of a public pledge, with an optional comment (≤ 500
    characters) that waits for moderation. Refused with :class:`FeedbackLimited` after
    ``FEEDBACK_PER_CLIENT_PER_HOUR`` ratings from the client in the hour, or a second rating of
    the same pledge by the client within a day. Withdrawn pledges take no feedback."""
    if pledge.status not in Pledge.PUBLIC_STATUSES:
        raise ValueError("feedback is only taken on published, fulfilled or evaluated pledges")
    if rating not in Feedback.Rating.values:
        raise ValueError(f"unknown rating {rating!r}")
    comment = (comment or "").strip()
    if len(comment) > Feedback.COMMENT_MAX_LENGTH:
        raise ValueError("comment too long")
    hour_key = f"feedback:client:{fingerprint}"
    # add() then incr(): atomic in Redis and in the memory cache, so parallel requests of one
    # client cannot all slip under the limit.
    cache.add(hour_key, 0, 3600)
    try:
        attempts = cache.incr(hour_key)
    except ValueError:  # expired between add() and incr()
        cache.set(hour_key, 1, 3600)
        attempts = 1
    if attempts > FEEDBACK_PER_CLIENT_PER_HOUR:
        raise FeedbackLimited(
            _(
                "You have sent several ratings in the last hour. Please try again later; "
                "thank you for taking part."
            )
        )
    if not cache.add(f"feedback:pledge:{pledge.pk}:{fingerprint}", 1, FEEDBACK_PER_PLEDGE_SECONDS):
        raise FeedbackLimited(
            _(
                "You have already rated this pledge today. Thank you; you may rate it again tomorrow."
            )
        )
    return Feedback.objects.create(
        pledge=pledge,
        rating=rating,
        comment=comment,
        status=Feedback.Status.PENDING if comment else Feedback.Status.NO_COMMENT,
        fingerprint=fingerprint,
    )


def feedback_moderate(*, feedback: Feedback, actor, approve: bool) -> Feedback:
    """Approve (shown on the public page) or reject (hidden, and its rating no longer counts)
    a comment. Only committee roles on the pledge's organisation or above; a decision may be
    changed later. The row records who decided and when."""
    with transaction.atomic():
        locked = (
            Feedback.objects.moderatable_by(actor)
            .select_for_update()
            .filter(pk=feedback.pk)
            .first()
        )
        if locked is None:
            raise PermissionDenied(_("You may not moderate this comment."))
        if locked.status == Feedback.Status.NO_COMMENT:
            raise ValueError("a rating without a comment has nothing to moderate")
        locked.status = Feedback.Status.APPROVED if approve else Feedback.Status.REJECTED
        locked.moderated_by = actor
        locked.moderated_at = timezone.now()
        locked.save(update_fields=["status", "moderated_by", "moderated_at"])
    return locked
