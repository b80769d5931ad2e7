"""The permission truth table of the pledge workflow, generated from ``TRANSITIONS``.

Two things are declared by hand, and both are small:

* ``EXPECTED_PARTIES``: how each person of the cast stands towards each kind of pledge (owner,
  committee, reviewer…). ``test_parties_of`` checks ``parties_of`` against it.
* ``ACTIONS``: for each action, how to satisfy its data guards and which service to call.

Everything else is generated: for every row of the table, every state and every person, the
service is called; it must succeed exactly when the state is one of the row's sources and the
person's parties pass the row's ``who``/``never``, and otherwise raise ``TransitionRefused`` and
leave the pledge, its history and its related rows exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from pledges import selectors, services
from pledges.models import (
    Evaluation,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)
from pledges.workflow import TRANSITIONS, Action, Party, TransitionRefused, parties_of
from tests.conftest import World
from tests.pledges.factories import (
    EvaluationFactory,
    FulfilmentEntryFactory,
    PledgeAdjustmentFactory,
    in_days,
)

P = Party
ALL_ROLES = frozenset({P.COMMITTEE, P.SECRETARY, P.REVIEWER, P.OFFICE, P.LEADERSHIP})

# Who everyone of the cast is for a pledge owned by…, not counting AUTHOR (added for the
# setup's author) and REQUESTER (added for whoever asked for the pending adjustment).
EXPECTED_PARTIES: dict[str, dict[str, frozenset[Party]]] = {
    # …member 周自己 of branch A (login member_user).
    "member": {
        "anonymous": frozenset(),
        "member_user": frozenset({P.OWNER}),
        "secretary_a": frozenset({P.COMMITTEE, P.SECRETARY, P.REVIEWER}),
        "spare": frozenset({P.COMMITTEE, P.REVIEWER}),
        "secretary_b": frozenset(),
        "superior": frozenset({P.COMMITTEE, P.SECRETARY, P.REVIEWER}),
        "office": frozenset({P.OFFICE}),
        "leader": frozenset({P.LEADERSHIP}),
        "inspector": frozenset(),
        "inactive": frozenset(),
        "superuser": ALL_ROLES,
    },
    # …branch A: its own committee edits, the superior committee or the office reviews.
    "branch": {
        "anonymous": frozenset(),
        "member_user": frozenset(),
        "secretary_a": frozenset({P.COMMITTEE, P.SECRETARY}),
        "spare": frozenset({P.COMMITTEE}),
        "secretary_b": frozenset(),
        "superior": frozenset({P.COMMITTEE, P.SECRETARY, P.REVIEWER}),
        "office": frozenset({P.OFFICE, P.REVIEWER}),
        "leader": frozenset({P.LEADERSHIP}),
        "inspector": frozenset(),
        "inactive": frozenset(),
        "superuser": ALL_ROLES,
    },
    # …township committee A: ``superior`` is its own committee, so NOT its reviewer.
    "committee": {
        "anonymous": frozenset(),
        "member_user": frozenset(),
        "secretary_a": frozenset(),
        "spare": frozenset(),
        "secretary_b": frozenset(),
        "superior": frozenset({P.COMMITTEE, P.SECRETARY}),
        "office": frozenset({P.OFFICE, P.REVIEWER}),
        "leader": frozenset({P.LEADERSHIP}),
        "inspector": frozenset(),
        "inactive": frozenset(),
        "superuser": ALL_ROLES,
    },
}
CAST = tuple(EXPECTED_PARTIES["member"])


@dataclass(frozen=True)
class Setup:
    owner: str  # a key of EXPECTED_PARTIES
    author: str  # who wrote the pledge
    requester: str  # who asks for adjustments (an editor of the pledge)


SETUPS = {
    "member, self-written": Setup("member", author="member_user", requester="spare"),
    "member, written by the secretary": Setup(
        "member", author="secretary_a", requester="member_user"
    ),
    "branch A": Setup("branch", author="secretary_a", requester="spare"),
    "committee A": Setup("committee", author="superior", requester="superior"),
}


def user_of(world: World, name: str):
    return world.spare_role.user if name == "spare" else world.users[name]


def expected_parties(setup: Setup, who: str, *, adjustment_pending: bool) -> frozenset[Party]:
    parties = set(EXPECTED_PARTIES[setup.owner][who])
    if who == setup.author and who not in ("anonymous", "inactive"):
        parties.add(P.AUTHOR)
    if adjustment_pending and who == setup.requester:
        parties.add(P.REQUESTER)
    return frozenset(parties)


# ---------------------------------------------------------------------------------------------
# How to perform each action with valid data (the only hand-written part per action)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionCall:
    prepare: Callable[[Pledge, Any], None]  # (pledge, requester user)
    call: Callable[[Pledge, Any], Any]  # (pledge, actor)
    needs_pending_adjustment: bool = False


def _nothing(pledge: Pledge, requester) -> None:
    pass


def _pending_adjustment(pledge: Pledge, requester) -> None:
    PledgeAdjustmentFactory(pledge=pledge, requested_by=requester)


def _journal_entry(pledge: Pledge, requester) -> None:
    FulfilmentEntryFactory(pledge=pledge)


def _self_report(pledge: Pledge, requester) -> None:
    EvaluationFactory(pledge=pledge)


def _pending(pledge: Pledge) -> PledgeAdjustment:
    return pledge.adjustments.get(status=PledgeAdjustment.Status.PENDING)


ACTIONS: dict[Action, ActionCall] = {
    Action.EDIT: ActionCall(
        _nothing, lambda p, a: services.pledge_update(pledge=p, actor=a, content="修改后的承诺内容")
    ),
    Action.SUBMIT: ActionCall(_nothing, lambda p, a: services.pledge_submit(pledge=p, actor=a)),
    Action.RECALL: ActionCall(_nothing, lambda p, a: services.pledge_recall(pledge=p, actor=a)),
    Action.APPROVE: ActionCall(
        _nothing, lambda p, a: services.pledge_approve(pledge=p, actor=a, comment="同意")
    ),
    Action.RETURN: ActionCall(
        _nothing,
        lambda p, a: services.pledge_return(
            pledge=p,
            actor=a,
            reasons=services.ensure_default_return_reasons(p.campaign)[:1],
            comment="请写明具体户数",
        ),
    ),
    Action.RESUBMIT: ActionCall(_nothing, lambda p, a: services.pledge_resubmit(pledge=p, actor=a)),
    Action.PUBLISH: ActionCall(_nothing, lambda p, a: services.pledge_publish(pledge=p, actor=a)),
    Action.ADD_ENTRY: ActionCall(
        _nothing,
        lambda p, a: services.fulfilment_entry_add(
            pledge=p, actor=a, date=in_days(-1), text="完成了第一户", progress=30
        ),
    ),
    Action.REQUEST_ADJUSTMENT: ActionCall(
        _nothing,
        lambda p, a: services.adjustment_request(
            pledge=p,
            actor=a,
            content="新内容",
            deadline=in_days(100),
            expected_effect="新效果",
            reason="情况变化",
        ),
    ),
    Action.APPROVE_ADJUSTMENT: ActionCall(
        _pending_adjustment,
        lambda p, a: services.adjustment_approve(adjustment=_pending(p), actor=a),
        needs_pending_adjustment=True,
    ),
    Action.RETURN_ADJUSTMENT: ActionCall(
        _pending_adjustment,
        lambda p, a: services.adjustment_return(
            adjustment=_pending(p), actor=a, comment="理由不充分"
        ),
        needs_pending_adjustment=True,
    ),
    Action.MARK_FULFILLED: ActionCall(
        _journal_entry, lambda p, a: services.pledge_mark_fulfilled(pledge=p, actor=a)
    ),
    Action.RECORD_SELF_REPORT: ActionCall(
        _nothing,
        lambda p, a: services.evaluation_record_self_report(pledge=p, actor=a, text="认真履诺"),
    ),
    Action.RECORD_APPRAISAL: ActionCall(
        _nothing,
        lambda p, a: services.evaluation_record_appraisal(
            pledge=p, actor=a, good=10, fairly_good=3, average=1, poor=0
        ),
    ),
    Action.EVALUATE: ActionCall(
        _self_report,
        lambda p, a: services.pledge_confirm_grade(
            pledge=p, actor=a, grade=selectors.suggest_grade(pledge=p).grade
        ),
    ),
    Action.WITHDRAW: ActionCall(
        _nothing, lambda p, a: services.pledge_withdraw(pledge=p, actor=a, reason="该党员已调离")
    ),
}


def test_every_action_of_the_table_is_exercised() -> None:
    assert set(ACTIONS) == set(TRANSITIONS) - {Action.CREATE}
    assert set(TRANSITIONS) == set(Action)


# ---------------------------------------------------------------------------------------------
# The truth table of parties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setup_name", SETUPS)
def test_parties_of(world: World, make_pledge, setup_name: str) -> None:
    setup = SETUPS[setup_name]
    pledge = make_pledge(setup.owner, author=user_of(world, setup.author))
    for who in CAST:
        assert parties_of(user_of(world, who), pledge) == expected_parties(
            setup, who, adjustment_pending=False
        ), who


# ---------------------------------------------------------------------------------------------
# Every (state, action, person)
# ---------------------------------------------------------------------------------------------


def db_state(pledge_id: int) -> dict[str, Any]:
    """Everything an action may touch, for comparing before and after a refusal."""
    return {
        "pledge": Pledge.objects.filter(pk=pledge_id).values().get(),
        "history": list(PledgeHistory.objects.filter(pledge_id=pledge_id).values()),
        "entries": list(FulfilmentEntry.objects.filter(pledge_id=pledge_id).values()),
        "adjustments": list(PledgeAdjustment.objects.filter(pledge_id=pledge_id).values()),
        "evaluation": list(Evaluation.objects.filter(pledge_id=pledge_id).values()),
    }


@pytest.mark.parametrize("setup_name", SETUPS)
@pytest.mark.parametrize("action", sorted(ACTIONS), ids=str)
def test_every_state_and_person(world: World, make_pledge, setup_name: str, action: Action) -> None:
    setup = SETUPS[setup_name]
    row = TRANSITIONS[action]
    how = ACTIONS[action]
    author = user_of(world, setup.author)
    requester = user_of(world, setup.requester)
    problems: list[str] = []
    tried = succeeded = 0
    for state in Pledge.Status:
        pledge = make_pledge(setup.owner, author=author, status=state)
        how.prepare(pledge, requester)
        pending = how.needs_pending_adjustment and state == Pledge.Status.PUBLISHED
        # Every attempt below is rolled back, so this is the “before” of each of them.
        before = db_state(pledge.pk)
        for who in CAST:
            expected = state in row.sources and row.allows(
                expected_parties(setup, who, adjustment_pending=pending)
            )
            actor = user_of(world, who)
            label = f"{state} · {who}"
            tried += 1
            # Each attempt runs in a savepoint that is rolled back, so every person starts
            # from the same pledge.
            with transaction.atomic():
                fresh = Pledge.objects.get(pk=pledge.pk)
                try:
                    how.call(fresh, actor)
                except TransitionRefused:
                    if expected:
                        problems.append(f"{label}: refused, expected to succeed")
                    elif db_state(pledge.pk) != before:
                        problems.append(f"{label}: refused but something changed")
                except Exception as exc:  # anything else is a bug in the service
                    problems.append(f"{label}: {type(exc).__name__}: {exc}")
                else:
                    if not expected:
                        problems.append(f"{label}: succeeded, expected a refusal")
                    else:
                        succeeded += 1
                        after = Pledge.objects.get(pk=pledge.pk)
                        history = PledgeHistory.objects.filter(pledge=pledge).order_by("-id")
                        last = history.first()
                        if after.status != row.target_from(state):
                            problems.append(f"{label}: ended {after.status}")
                        if history.count() != len(before["history"]) + 1 or (
                            last.action,
                            last.from_status,
                            last.to_status,
                            last.actor_id,
                        ) != (action, state, row.target_from(state), actor.pk):
                            problems.append(f"{label}: wrong history row")
                transaction.set_rollback(True)
    assert tried == len(Pledge.Status) * len(CAST)
    # Every action is possible for someone on every kind of pledge: a table row nobody can use,
    # or set-up data that fails a guard, would show here.
    assert succeeded > 0
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("owner", EXPECTED_PARTIES)
def test_create_allowed_exactly_for_the_create_row(world: World, owner: str) -> None:
    row = TRANSITIONS[Action.CREATE]
    owner_kw = {
        "member": {"owner_member": world.member_self},
        "branch": {"owner_organization": world.branch_a},
        "committee": {"owner_organization": world.committee_a},
    }[owner]
    setup = Setup(owner, author="", requester="")
    for who in CAST:
        expected = row.allows(expected_parties(setup, who, adjustment_pending=False))
        before = Pledge.objects.count(), PledgeHistory.objects.count()
        try:
            pledge = services.pledge_create(
                campaign=world.campaign,
                actor=user_of(world, who),
                kind=Pledge.Kind.DEED,
                term=Pledge.Term.ANNUAL,
                content="帮助困难户",
                **owner_kw,
            )
        except TransitionRefused:
            assert not expected, who
            assert (Pledge.objects.count(), PledgeHistory.objects.count()) == before, who
        else:
            assert expected, who
            assert pledge.status == Pledge.Status.DRAFT
            assert pledge.history.get().action == Action.CREATE
