"""factory_boy factories for the pledges app.

They write rows directly, bypassing the workflow, so that a test can start from any state; the
services themselves are what the tests exercise.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from pledges.models import (
    Evaluation,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    ReturnReason,
)
from tests.factories import CampaignFactory, MemberFactory, UserFactory


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class PledgeFactory(DjangoModelFactory[Pledge]):
    """A member pledge by default; pass ``owner_member=None, owner_organization=org`` for an
    organisation pledge. ``organization`` follows the owner, as ``pledge_create`` sets it."""

    class Meta:
        model = Pledge

    campaign = factory.SubFactory(CampaignFactory)
    owner_member = factory.SubFactory(MemberFactory)
    owner_organization = None
    organization = factory.LazyAttribute(
        lambda o: o.owner_member.branch if o.owner_member is not None else o.owner_organization
    )
    author = factory.SubFactory(UserFactory)
    kind = Pledge.Kind.DEED
    term = Pledge.Term.ANNUAL
    content = factory.Sequence(lambda n: f"为村里孤寡老人办实事第{n}件")
    deadline = factory.LazyFunction(lambda: in_days(60))
    expected_effect = "老人生活条件明显改善"
    measures = ""
    status = Pledge.Status.DRAFT
    # A pledge that reached publication carries its publication time, as the workflow sets it.
    published_at = factory.LazyAttribute(
        lambda o: (
            timezone.now()
            if o.status
            in (Pledge.Status.PUBLISHED, Pledge.Status.FULFILLED, Pledge.Status.EVALUATED)
            else None
        )
    )
    grade = factory.LazyAttribute(
        lambda o: Pledge.Grade.GOOD if o.status == Pledge.Status.EVALUATED else ""
    )


class FulfilmentEntryFactory(DjangoModelFactory[FulfilmentEntry]):
    class Meta:
        model = FulfilmentEntry

    pledge = factory.SubFactory(PledgeFactory, status=Pledge.Status.PUBLISHED)
    date = factory.LazyFunction(timezone.localdate)
    text = "走访了三户老人，帮助修缮房屋"
    progress = 50
    author = factory.SelfAttribute("pledge.author")


class PledgeAdjustmentFactory(DjangoModelFactory[PledgeAdjustment]):
    class Meta:
        model = PledgeAdjustment

    pledge = factory.SubFactory(PledgeFactory, status=Pledge.Status.PUBLISHED)
    content = "调整后的承诺内容"
    deadline = factory.LazyFunction(lambda: in_days(90))
    expected_effect = "调整后的预期效果"
    measures = ""
    reason = "上级部署调整"
    requested_by = factory.SelfAttribute("pledge.author")


class EvaluationFactory(DjangoModelFactory[Evaluation]):
    class Meta:
        model = Evaluation

    pledge = factory.SubFactory(PledgeFactory, status=Pledge.Status.FULFILLED)
    self_report = "一年来认真履行承诺，按期完成。"


class ReturnReasonFactory(DjangoModelFactory[ReturnReason]):
    class Meta:
        model = ReturnReason

    campaign = factory.SubFactory(CampaignFactory)
    text = factory.Sequence(lambda n: f"退回理由{n}")
    order = factory.Sequence(lambda n: n)
