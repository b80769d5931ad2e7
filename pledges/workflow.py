"""The pledge workflow: one table of transitions and one entry point.

Every change to a pledge — a state change, or an action on a published pledge that keeps its
state (a journal entry, an adjustment, evaluation inputs) — is a row of ``TRANSITIONS`` and goes
through :func:`transition`, which, in one transaction:

1. locks the pledge row (``select_for_update``) and any pending adjustment;
2. checks the actor against the row's parties (``who``, minus ``never``);
3. re-checks the state *after* the lock, so of two reviewers acting at once exactly one wins and
   the other is told who got there first;
4. runs the row's guards (rules on data: a reason, a journal entry, a self-report…);
5. applies the service's change, sets the new state and its timestamp;
6. writes the :class:`~pledges.models.PledgeHistory` row with a snapshot of the content;
7. queues side effects with ``transaction.on_commit``.

Anything refused raises :class:`TransitionRefused` and leaves the database as it was.

Who may act is expressed as *parties*: relations between a user and one pledge, computed from
role assignments through :mod:`campaigns.scope`. See :class:`Party`.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import scope
from campaigns.models import RoleAssignment
from campaigns.people import person_name
from pledges.models import Pledge, PledgeAdjustment, PledgeHistory, ReturnReason

Status = Pledge.Status
Action = PledgeHistory.Action
Role = RoleAssignment.Role


class TransitionRefused(PermissionDenied):
    """A transition that may not happen, with a message for the user.

    A ``PermissionDenied`` so that an uncaught refusal is a 403, never a 500. ``field`` names the
    form field the message belongs to, when the refusal is about one input.
    """

    def __init__(self, message: str, *, code: str = "refused", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class Party(enum.StrEnum):
    """How a user stands towards one pledge. A user can be several at once."""

    # The member's own login (member pledges only; an organisation has no login of its own).
    OWNER = "owner"
    # Whoever created the pledge (the member, or a secretary on the member's behalf).
    AUTHOR = "author"
    # Committee roles on the pledge's organisation or an ancestor: for a member pledge the
    # branch committee and above; for an organisation pledge its own committee and above.
    COMMITTEE = "committee"
    # The secretary role on the pledge's organisation or an ancestor (publishing).
    SECRETARY = "secretary"
    # The reviewing level. Member pledge: COMMITTEE. Organisation pledge: committee roles on an
    # ancestor of the owning organisation (the superior organisation, NOT the organisation
    # itself), or the office.
    REVIEWER = "reviewer"
    # Campaign office / leadership group roles on the pledge's organisation or an ancestor.
    OFFICE = "office"
    LEADERSHIP = "leadership"
    # Whoever asked for the pending adjustment (may not decide it).
    REQUESTER = "requester"


@dataclass
class Context:
    """What one call of :func:`transition` carries to the guards and the service's change."""

    actor: Any
    comment: str = ""
    reasons: Sequence[ReturnReason] = ()
    # The pending adjustment of a published pledge, locked with it (None otherwise); a service
    # that creates one (request_adjustment) sets it so that the history row links to it.
    adjustment: PledgeAdjustment | None = None
    # Service-specific inputs (a grade, a deadline…), read by guards and by ``apply``.
    params: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[Pledge, Context], None]


# ---------------------------------------------------------------------------------------------
# Guards: rules on data, run after the state and the actor have been checked
# ---------------------------------------------------------------------------------------------


def content_complete(pledge: Pledge, ctx: Context) -> None:
    """Submitting needs what will be done, a deadline not in the past, the expected effect, and
    for a rectification its measures."""
    missing = []
    if not (pledge.content or "").strip():
        missing.append(Pledge._meta.get_field("content").verbose_name)
    if pledge.deadline is None:
        missing.append(Pledge._meta.get_field("deadline").verbose_name)
    if not (pledge.expected_effect or "").strip():
        missing.append(Pledge._meta.get_field("expected_effect").verbose_name)
    if pledge.kind == Pledge.Kind.RECTIFY and not (pledge.measures or "").strip():
        missing.append(Pledge._meta.get_field("measures").verbose_name)
    if missing:
        raise TransitionRefused(
            _("Complete the pledge before submitting it. Missing: %(fields)s.")
            % {"fields": ", ".join(str(name) for name in missing)},
            code="incomplete",
        )
    if pledge.deadline < timezone.localdate():
        raise TransitionRefused(
            _("The deadline has already passed; choose a later date."),
            code="deadline_past",
            field="deadline",
        )


def reasons_and_comment(pledge: Pledge, ctx: Context) -> None:
    """Returning a pledge needs at least one of the campaign's reasons and a comment."""
    if not ctx.reasons:
        raise TransitionRefused(
            _("Choose at least one reason for returning the pledge."),
            code="no_reason",
            field="reasons",
        )
    if any(reason.campaign_id != pledge.campaign_id for reason in ctx.reasons):
        raise TransitionRefused(
            _("A reason does not belong to this pledge's campaign."),
            code="bad_reason",
            field="reasons",
        )
    comment_required(pledge, ctx)


def comment_required(pledge: Pledge, ctx: Context) -> None:
    if not ctx.comment:
        raise TransitionRefused(
            _("Write a comment explaining the decision."), code="no_comment", field="comment"
        )


def has_journal_entry(pledge: Pledge, ctx: Context) -> None:
    if not pledge.entries.exists():
        raise TransitionRefused(
            _("Add at least one fulfilment record before marking the pledge fulfilled."),
            code="no_entry",
        )


def no_pending_adjustment(pledge: Pledge, ctx: Context) -> None:
    if ctx.adjustment is not None:
        raise TransitionRefused(
            _("An adjustment of this pledge is awaiting review; decide it first."),
            code="adjustment_pending",
        )


def pending_adjustment(pledge: Pledge, ctx: Context) -> None:
    if ctx.adjustment is not None:
        return
    last = (
        pledge.adjustments.exclude(status=PledgeAdjustment.Status.PENDING)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    if last is not None and last.decided_by is not None:
        raise TransitionRefused(
            _("This adjustment has already been decided by %(name)s.")
            % {"name": display_name(last.decided_by)},
            code="already_decided",
        )
    raise TransitionRefused(_("There is no adjustment awaiting review."), code="no_adjustment")


def self_report_present(pledge: Pledge, ctx: Context) -> None:
    evaluation = getattr(pledge, "evaluation", None)
    if evaluation is None or not evaluation.has_self_report:
        raise TransitionRefused(
            _("The self-report is missing; it must be recorded before the grade."),
            code="no_self_report",
        )


def grade_rules(pledge: Pledge, ctx: Context) -> None:
    """A valid grade; a grade other than the suggested one needs a justification; “poor” needs
    an improvement deadline after today; publicity dates in order."""
    grade = ctx.params.get("grade")
    if grade not in Pledge.Grade.values:
        raise TransitionRefused(_("Choose a grade."), code="no_grade", field="grade")
    suggested = ctx.params.get("suggested_grade")
    if grade != suggested and not (ctx.params.get("justification") or "").strip():
        raise TransitionRefused(
            _("The grade differs from the suggested one (%(suggested)s); explain why.")
            % {"suggested": Pledge.Grade(suggested).label if suggested else "—"},
            code="no_justification",
            field="justification",
        )
    deadline: datetime.date | None = ctx.params.get("improvement_deadline")
    if grade == Pledge.Grade.POOR:
        if deadline is None:
            raise TransitionRefused(
                _("A “poor” grade needs a deadline for improvement."),
                code="no_improvement_deadline",
                field="improvement_deadline",
            )
        if deadline <= timezone.localdate():
            raise TransitionRefused(
                _("The improvement deadline must be after today."),
                code="improvement_deadline_past",
                field="improvement_deadline",
            )
    start, end = ctx.params.get("publicity_start"), ctx.params.get("publicity_end")
    if start and end and end < start:
        raise TransitionRefused(
            _("The publicity period cannot end before it starts."),
            code="publicity_dates",
            field="publicity_end",
        )


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]  # empty for ``create``: there is no pledge yet
    target: Status | None  # None: the action keeps the pledge's state
    who: frozenset[Party]
    never: frozenset[Party] = frozenset()
    guards: tuple[Guard, ...] = ()

    def target_from(self, source: Status | str) -> Status:
        return self.target or Status(source)

    def allows(self, parties: Iterable[Party]) -> bool:
        parties = set(parties)
        return bool(parties & self.who) and not (parties & self.never)


def _row(
    action: Action,
    sources: Iterable[Status],
    target: Status | None,
    who: Iterable[Party],
    never: Iterable[Party] = (),
    guards: tuple[Guard, ...] = (),
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(who), frozenset(never), guards)


S = Status
P = Party
# Whoever may edit a pledge: the member themself, or the committee of its organisation.
EDITORS = (P.OWNER, P.COMMITTEE)
# Nobody reviews their own pledge or a pledge they wrote.
NOT_OWN = (P.OWNER, P.AUTHOR)

# fmt: off
TRANSITIONS: dict[Action, Transition] = {row.action: row for row in (
    #    action                     from                        to            who                      never                      guards
    _row(Action.CREATE,             (),                         S.DRAFT,      EDITORS),
    _row(Action.EDIT,               (S.DRAFT, S.RETURNED),      None,         EDITORS),
    _row(Action.SUBMIT,             (S.DRAFT,),                 S.SUBMITTED,  EDITORS,                 (),                        (content_complete,)),
    # Only the author, and only before a review (a review moves it out of SUBMITTED).
    _row(Action.RECALL,             (S.SUBMITTED,),             S.DRAFT,      (P.AUTHOR,)),
    _row(Action.APPROVE,            (S.SUBMITTED,),             S.APPROVED,   (P.REVIEWER,),           NOT_OWN),
    _row(Action.RETURN,             (S.SUBMITTED,),             S.RETURNED,   (P.REVIEWER,),           NOT_OWN,                   (reasons_and_comment,)),
    _row(Action.RESUBMIT,           (S.RETURNED,),              S.SUBMITTED,  EDITORS,                 (),                        (content_complete,)),
    _row(Action.PUBLISH,            (S.APPROVED,),              S.PUBLISHED,  (P.SECRETARY, P.OFFICE)),
    _row(Action.ADD_ENTRY,          (S.PUBLISHED,),             None,         EDITORS),
    _row(Action.REQUEST_ADJUSTMENT, (S.PUBLISHED,),             None,         EDITORS,                 (),                        (no_pending_adjustment,)),
    _row(Action.APPROVE_ADJUSTMENT, (S.PUBLISHED,),             None,         (P.REVIEWER,),           (*NOT_OWN, P.REQUESTER),   (pending_adjustment,)),
    _row(Action.RETURN_ADJUSTMENT,  (S.PUBLISHED,),             None,         (P.REVIEWER,),           (*NOT_OWN, P.REQUESTER),   (pending_adjustment, comment_required)),
    # The owner may ask; the committee decides (a secretary's own pledge: another member).
    _row(Action.MARK_FULFILLED,     (S.PUBLISHED,),             S.FULFILLED,  (P.COMMITTEE,),          (P.OWNER,),                (has_journal_entry, no_pending_adjustment)),
    _row(Action.RECORD_SELF_REPORT, (S.PUBLISHED, S.FULFILLED), None,         EDITORS),
    _row(Action.RECORD_APPRAISAL,   (S.PUBLISHED, S.FULFILLED), None,         (P.COMMITTEE, P.OFFICE), (P.OWNER,)),
    _row(Action.EVALUATE,           (S.PUBLISHED, S.FULFILLED), S.EVALUATED,  (P.LEADERSHIP, P.OFFICE), (P.OWNER,),               (self_report_present, no_pending_adjustment, grade_rules)),
    _row(Action.WITHDRAW,           set(S) - {S.EVALUATED, S.WITHDRAWN},
                                                                S.WITHDRAWN,  (P.REVIEWER, P.OFFICE),  (P.OWNER,),                (comment_required,)),
)}
# fmt: on
del S, P

# The timestamp each state sets on the pledge when it is entered.
_STATE_TIMESTAMPS: dict[Status, str] = {
    Status.SUBMITTED: "submitted_at",
    Status.APPROVED: "approved_at",
    Status.PUBLISHED: "published_at",
    Status.FULFILLED: "fulfilled_at",
    Status.EVALUATED: "evaluated_at",
    Status.WITHDRAWN: "withdrawn_at",
}

# Actions whose refusal after a race should name whoever reviewed first.
_REVIEW_ACTIONS = (Action.APPROVE, Action.RETURN)


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------


def display_name(user) -> str:
    return person_name(user)


def _has_role_above(user, org, roles: Iterable[str]) -> bool:
    """A role on a strict ancestor of ``org`` (not on ``org`` itself)."""
    if user.is_superuser:
        return True
    return any(
        org.path.startswith(path) and len(path) < len(org.path)
        for path in scope.scope_paths(user, roles)
    )


def parties_of(
    user, pledge: Pledge, *, adjustment: PledgeAdjustment | None = None
) -> frozenset[Party]:
    """Every :class:`Party` the user is for this pledge (none for anonymous or inactive users)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    org = pledge.organization
    parties: set[Party] = set()
    if pledge.owner_member_id is not None and pledge.owner_member.user_id == user.pk:
        parties.add(Party.OWNER)
    if pledge.author_id == user.pk:
        parties.add(Party.AUTHOR)
    if scope.has_role_on(user, org, RoleAssignment.COMMITTEE_ROLES):
        parties.add(Party.COMMITTEE)
    if scope.has_role_on(user, org, (Role.SECRETARY,)):
        parties.add(Party.SECRETARY)
    if scope.has_role_on(user, org, (Role.OFFICE,)):
        parties.add(Party.OFFICE)
    if scope.has_role_on(user, org, (Role.LEADERSHIP,)):
        parties.add(Party.LEADERSHIP)
    if pledge.owner_member_id is not None:
        reviewer = Party.COMMITTEE in parties
    else:
        reviewer = Party.OFFICE in parties or _has_role_above(
            user, org, RoleAssignment.COMMITTEE_ROLES
        )
    if reviewer:
        parties.add(Party.REVIEWER)
    if adjustment is not None and adjustment.requested_by_id == user.pk:
        parties.add(Party.REQUESTER)
    return frozenset(parties)


def _pending_adjustment(pledge: Pledge, *, lock: bool) -> PledgeAdjustment | None:
    if pledge.pk is None or pledge.status != Status.PUBLISHED:
        return None
    qs = PledgeAdjustment.objects.filter(pledge=pledge, status=PledgeAdjustment.Status.PENDING)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def allowed_actions(user, pledge: Pledge) -> list[Action]:
    """Actions the user may attempt on the pledge in its current state (for showing buttons;
    the data guards are checked only when the action is attempted)."""
    parties = parties_of(user, pledge, adjustment=_pending_adjustment(pledge, lock=False))
    return [
        row.action
        for row in TRANSITIONS.values()
        if pledge.status in row.sources and row.allows(parties)
    ]


def can(user, pledge: Pledge, action: Action) -> bool:
    return action in allowed_actions(user, pledge)


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------

# Callables run after a transition commits, with the history row's id. Notifications (the
# supervision issue) register here and queue a task; passing the id, never the object.
after_commit_handlers: list[Callable[[int], None]] = []


def _after_commit(history_id: int) -> None:
    for handler in after_commit_handlers:
        handler(history_id)


def _not_allowed(action: Action) -> TransitionRefused:
    return TransitionRefused(
        _("You are not allowed to “%(action)s” this pledge.") % {"action": action.label},
        code="not_allowed",
    )


def require_active_user(actor, action: Action) -> None:
    """Anonymous and deactivated users can do nothing (refused before anything is built)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise _not_allowed(action)


def _check_actor(row: Transition, parties: frozenset[Party]) -> None:
    if row.allows(parties):
        return
    if parties & row.who and parties & row.never & {Party.OWNER, Party.AUTHOR}:
        raise TransitionRefused(
            _(
                "You cannot do this for a pledge that is your own or that you wrote; "
                "another member of the committee or the superior organisation must."
            ),
            code="own_pledge",
        )
    if parties & row.who and Party.REQUESTER in parties:
        raise TransitionRefused(
            _("You asked for this adjustment, so someone else must decide it."), code="own_request"
        )
    raise _not_allowed(row.action)


def _state_refusal(pledge: Pledge, row: Transition) -> TransitionRefused:
    if row.action in (*_REVIEW_ACTIONS, Action.RECALL) and pledge.status != Status.SUBMITTED:
        review = (
            pledge.history.filter(action__in=_REVIEW_ACTIONS)
            .select_related("actor")
            .order_by("-created_at", "-id")
            .first()
        )
        if review is not None:
            return TransitionRefused(
                _("This pledge has already been reviewed by %(name)s (%(decision)s).")
                % {"name": display_name(review.actor), "decision": review.get_action_display()},
                code="already_reviewed",
            )
    return TransitionRefused(
        _("“%(action)s” is not possible while the pledge is “%(status)s”.")
        % {"action": row.action.label, "status": pledge.get_status_display()},
        code="wrong_state",
    )


def _copy_fields(source: Pledge, target: Pledge) -> None:
    for f in Pledge._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def transition(
    *,
    pledge: Pledge,
    action: Action,
    actor,
    comment: str = "",
    reasons: Iterable[ReturnReason] = (),
    params: dict[str, Any] | None = None,
    apply: Callable[[Pledge, Context], None] | None = None,
) -> Pledge:
    """Perform ``action`` on ``pledge`` as ``actor`` — the only way a pledge changes.

    ``apply(pledge, ctx)`` is the service's own change (content, related rows); it runs on the
    locked row after every check and must not touch ``status``. For ``create`` pass an unsaved
    pledge; it is saved here. Returns the pledge as saved; the instance passed in is updated too.
    """
    row = TRANSITIONS[action]
    require_active_user(actor, action)
    ctx = Context(
        actor=actor,
        comment=(comment or "").strip(),
        reasons=list(reasons),
        params=dict(params or {}),
    )
    with transaction.atomic():
        if action == Action.CREATE:
            if pledge.pk is not None:
                raise ValueError("create takes an unsaved pledge")
            locked, from_status = pledge, ""
        else:
            locked = Pledge.objects.select_for_update().filter(pk=pledge.pk).first()
            if locked is None:
                raise TransitionRefused(_("This pledge no longer exists."), code="missing")
            from_status = locked.status
            ctx.adjustment = _pending_adjustment(locked, lock=True)
        # The actor first: someone out of scope learns nothing about the pledge's state.
        _check_actor(row, parties_of(actor, locked, adjustment=ctx.adjustment))
        if action != Action.CREATE and locked.status not in row.sources:
            raise _state_refusal(locked, row)
        for guard in row.guards:
            guard(locked, ctx)
        if apply is not None:
            apply(locked, ctx)
        now = timezone.now()
        if row.target is not None:
            locked.status = row.target
            if row.target in _STATE_TIMESTAMPS:
                setattr(locked, _STATE_TIMESTAMPS[row.target], now)
        locked.save()
        history = PledgeHistory.objects.create(
            pledge=locked,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            actor=actor,
            created_at=now,
            comment=ctx.comment,
            snapshot=locked.content_snapshot(),
            adjustment=ctx.adjustment,
        )
        if ctx.reasons:
            history.reasons.set(ctx.reasons)
        transaction.on_commit(partial(_after_commit, history.pk))
    if locked is not pledge:
        _copy_fields(locked, pledge)
    return locked
