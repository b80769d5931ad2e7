"""Database constraints: the invariants hold even for code that skips the services."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from pledges.models import EvaluationPolicy, Pledge, PledgeAdjustment
from tests.conftest import World
from tests.pledges.factories import EvaluationFactory, PledgeAdjustmentFactory


def _fails(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_pledge_has_exactly_one_owner(world: World, make_pledge) -> None:
    _fails(lambda: make_pledge("member", owner_organization=world.branch_a))
    _fails(lambda: make_pledge("member", owner_member=None, organization=world.branch_a))
    assert make_pledge("branch").owner == world.branch_a


def test_evaluated_pledge_has_a_grade(make_pledge) -> None:
    _fails(lambda: make_pledge("member", status=Pledge.Status.EVALUATED, grade=""))


def test_poor_grade_needs_improvement_deadline(make_pledge) -> None:
    pledge = make_pledge("member", status=Pledge.Status.FULFILLED)
    _fails(lambda: EvaluationFactory(pledge=pledge, final_grade="poor"))


def test_one_pending_adjustment_per_pledge(make_pledge) -> None:
    pledge = make_pledge("member", status=Pledge.Status.PUBLISHED)
    PledgeAdjustmentFactory(pledge=pledge)
    _fails(lambda: PledgeAdjustmentFactory(pledge=pledge))
    PledgeAdjustmentFactory(pledge=pledge, status=PledgeAdjustment.Status.RETURNED)


def test_evaluation_policy_weights_and_thresholds(world: World) -> None:
    policy = EvaluationPolicy(campaign=world.campaign)
    assert (policy.weight_self_report, policy.weight_appraisal, policy.weight_satisfaction) == (
        30,
        40,
        30,
    )
    _fails(lambda: EvaluationPolicy.objects.create(campaign=world.campaign, weight_appraisal=50))
    _fails(lambda: EvaluationPolicy.objects.create(campaign=world.campaign, threshold_average=80))
    policy.save()


def test_overdue_property_and_snapshot(make_pledge) -> None:
    import datetime

    pledge = make_pledge(
        "member", deadline=datetime.date(2020, 1, 1), status=Pledge.Status.PUBLISHED
    )
    assert pledge.is_overdue and pledge.is_public
    assert pledge.content_snapshot()["deadline"] == "2020-01-01"
    assert set(pledge.content_snapshot()) == set(Pledge.CONTENT_FIELDS)
