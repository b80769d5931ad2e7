"""Several reviewers acting on one pledge at the same moment: exactly one wins.

Real threads, each with its own database connection, released together by a barrier. The
workflow is slowed down *after* it has locked the row, so without the lock every thread would
read “submitted” before any of them commits and all would succeed.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from campaigns.people import person_name
from pledges import services, workflow
from pledges.models import Pledge, PledgeHistory
from pledges.workflow import Action, TransitionRefused
from tests.conftest import World

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite has no row locks (select_for_update is a no-op there) and one writer at a "
        "time; this race needs PostgreSQL, where CI runs it",
    ),
    pytest.mark.django_db(transaction=True),
]


def _race(pledge: Pledge, attempts: list, monkeypatch) -> dict[str, object]:
    """Run ``attempts`` — (user, callable(pledge, user)) — at once; return each user's outcome."""
    original = workflow.parties_of

    def slow_parties_of(*args, **kwargs):
        time.sleep(0.2)  # inside the transaction, after select_for_update
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "parties_of", slow_parties_of)
    barrier = threading.Barrier(len(attempts))
    outcomes: dict[str, object] = {}

    def run(user, action) -> None:
        try:
            mine = Pledge.objects.get(pk=pledge.pk)  # each thread: its own connection and copy
            barrier.wait(timeout=10)
            action(mine, user)
            outcomes[user.username] = "ok"
        except TransitionRefused as exc:
            outcomes[user.username] = exc
        except Exception as exc:  # surfaced by the assertions below
            outcomes[user.username] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_concurrent_approvals_exactly_one_succeeds(
    world: World, make_pledge, spare, monkeypatch
) -> None:
    pledge = make_pledge("member", status=Pledge.Status.SUBMITTED)
    reviewers = [
        world.users["secretary_a"],
        spare,
        world.users["superior"],
        world.users["superuser"],
    ]
    outcomes = _race(
        pledge,
        [(user, lambda p, u: services.pledge_approve(pledge=p, actor=u)) for user in reviewers],
        monkeypatch,
    )
    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert len(outcomes) == len(reviewers)
    assert len(winners) == 1, outcomes
    winner = next(u for u in reviewers if u.username == winners[0])
    for name, outcome in outcomes.items():
        if name != winners[0]:
            assert isinstance(outcome, TransitionRefused), outcome
            assert outcome.code == "already_reviewed"
            assert person_name(winner) in outcome.message
    assert PledgeHistory.objects.filter(pledge=pledge, action=Action.APPROVE).count() == 1
    assert PledgeHistory.objects.filter(pledge=pledge).count() == 1
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.APPROVED


def test_concurrent_approve_and_return(
    world: World, make_pledge, spare, reasons, monkeypatch
) -> None:
    pledge = make_pledge("member", status=Pledge.Status.SUBMITTED)

    def approve(p: Pledge, u) -> None:
        services.pledge_approve(pledge=p, actor=u)

    def give_back(p: Pledge, u) -> None:
        services.pledge_return(pledge=p, actor=u, reasons=reasons[:1], comment="请修改")

    outcomes = _race(
        pledge,
        [
            (world.users["secretary_a"], give_back),
            (spare, approve),
            (world.users["superior"], approve),
        ],
        monkeypatch,
    )
    assert sum(outcome == "ok" for outcome in outcomes.values()) == 1, outcomes
    reviews = PledgeHistory.objects.filter(
        pledge=pledge, action__in=[Action.APPROVE, Action.RETURN]
    )
    assert reviews.count() == 1
    pledge.refresh_from_db()
    assert pledge.status == reviews.get().to_status
