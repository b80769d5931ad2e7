"""Reminder sweeps (督办) for crafted dates: who hears of what, once.

The world's campaign (tests/conftest.py) reminds 7 and 1 days before a deadline, escalates an
overdue pledge after 7 days and reminds reviewers after 5 days of waiting. Branch A's
secretaries are ``secretary_a`` (and ``inactive``, whose login is switched off); its committee
also has a committee member (``spare``); township committee A above it has ``superior``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import inbox
from campaigns.models import Campaign, Notification, RoleAssignment
from pledges import notices as pledge_notices
from pledges import services
from pledges.models import Pledge, ReturnReason
from pledges.services import ensure_default_return_reasons
from tests.conftest import World
from tests.factories import (
    MemberFactory,
    OrganizationFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory

TODAY = datetime.date(2024, 10, 10)
PLEDGE_SWEEPS = (
    "pledges_due_soon",
    "pledges_overdue",
    "pledges_overdue_escalated",
    "pledges_review_waiting",
)
# Other apps register sweeps of their own (monthly reports, rectifications): tested there.
MY_SWEEPS = (*PLEDGE_SWEEPS, "campaign_phases")
S = Pledge.Status


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def received(kind: inbox.Kind | None = None) -> set[tuple[str, str]]:
    """(username, key) of every notification delivered (of ``kind``)."""
    qs = Notification.objects.all()
    if kind is not None:
        qs = qs.filter(kind=kind.code)
    return set(qs.values_list("recipient__username", "key"))


def recipients(kind: inbox.Kind) -> set[str]:
    return {username for username, _key in received(kind)}


def sweep(today: datetime.date, *names: str) -> dict[str, int]:
    return inbox.run_sweeps(today=today, only=names or PLEDGE_SWEEPS)


@pytest.fixture
def spare(world: World) -> User:
    """A committee member (not the secretary) of branch A."""
    return world.spare_role.user


@pytest.fixture
def reasons(campaign: Campaign) -> list[ReturnReason]:
    return ensure_default_return_reasons(campaign)


@pytest.fixture
def published(world: World) -> Callable[..., Pledge]:
    """A published pledge of ``member_self`` (login ``member_user``, branch A) by default."""

    def make(**kwargs) -> Pledge:
        owner = kwargs.pop("owner_member", world.member_self)
        defaults = {
            "campaign": world.campaign,
            "owner_member": owner,
            "author": world.users["member_user"]
            if owner == world.member_self
            else world.users["secretary_a"],
            "status": S.PUBLISHED,
            "deadline": TODAY,
        }
        if kwargs.get("owner_organization") is not None:
            defaults["owner_member"] = None
        return PledgeFactory(**{**defaults, **kwargs})

    return make


# ---------------------------------------------------------------------------------------------
# Due soon
# ---------------------------------------------------------------------------------------------


def test_due_soon_reaches_owner_and_branch_secretary_once_per_offset(world, published) -> None:
    deadline = TODAY + days(10)
    pledge = published(
        deadline=deadline,
        content="帮助村里三户困难户发展黑山羊养殖，提供技术指导和销售信息，带动增收",
    )

    # Every day from ten days before the deadline to the deadline itself, hourly sweeps.
    for offset in range(10, -1, -1):
        sweep(deadline - days(offset))
        sweep(deadline - days(offset))

    assert received(pledge_notices.DUE_SOON) == {
        ("member_user", f"pledge:{pledge.pk}:due:7:{deadline.isoformat()}"),
        ("secretary_a", f"pledge:{pledge.pk}:due:7:{deadline.isoformat()}"),
        ("member_user", f"pledge:{pledge.pk}:due:1:{deadline.isoformat()}"),
        ("secretary_a", f"pledge:{pledge.pk}:due:1:{deadline.isoformat()}"),
    }
    # Not the committee member (not a secretary), not the switched-off login, nobody else.
    note = Notification.objects.get(recipient=world.users["member_user"], key__contains=":due:7:")
    assert note.params == {
        "title": "帮助村里三户困难户发展黑山羊养殖，提供技术指导和销售信息，带…",
        "owner": "周自己",
        "organization": "甲村党支部",
        "deadline": "2024-10-20",
        "days": 7,
    }
    assert note.url == reverse("pledges:pledge_detail", args=[pledge.pk])
    assert "2024-10-20" in inbox.render(note) and "周自己" in inbox.render(note)


def test_a_late_sweep_still_reminds_and_tells_the_days_left(world, published) -> None:
    pledge = published(deadline=TODAY + days(4))  # nobody swept 7, 6 or 5 days before
    sweep(TODAY)
    note = Notification.objects.get(recipient=world.users["secretary_a"])
    assert note.key == f"pledge:{pledge.pk}:due:7:{pledge.deadline.isoformat()}"
    assert note.params["days"] == 4


def test_due_soon_stays_in_scope(world, published) -> None:
    published(deadline=TODAY + days(7))  # branch A, member with a login
    b = published(deadline=TODAY + days(7), owner_member=world.member_b1)  # no login
    group = published(deadline=TODAY + days(7), owner_member=world.member_group_a)
    org = published(deadline=TODAY + days(7), owner_organization=world.branch_a)

    sweep(TODAY)

    by_user: dict[str, set[int]] = {}
    for username, key in received(pledge_notices.DUE_SOON):
        by_user.setdefault(username, set()).add(int(key.split(":")[1]))
    assert set(by_user) == {"member_user", "secretary_a", "secretary_b"}
    assert by_user["secretary_b"] == {b.pk}
    # The 党小组 has no secretary of its own: its branch's secretary hears of it.
    assert {group.pk, org.pk} <= by_user["secretary_a"]
    assert b.pk not in by_user["secretary_a"] and b.pk not in by_user["member_user"]


def test_only_published_pledges_of_active_campaigns(world, published) -> None:
    published(deadline=TODAY + days(7), status=S.FULFILLED)
    published(deadline=TODAY + days(7), status=S.APPROVED)
    other = Campaign.objects.create(
        name="已结束的活动",
        theme="x",
        root_organization=world.city,
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2024, 12, 31),
        status=Campaign.Status.CLOSED,
    )
    published(deadline=TODAY + days(7), campaign=other)
    published(deadline=TODAY - days(20), campaign=other)
    assert sweep(TODAY) == dict.fromkeys(PLEDGE_SWEEPS, 0)


def test_a_changed_deadline_reminds_again(world, published) -> None:
    pledge = published(deadline=TODAY + days(7))
    sweep(TODAY)
    Pledge.objects.filter(pk=pledge.pk).update(deadline=TODAY + days(14))  # adjustment approved
    sweep(TODAY + days(7))
    assert {key for user, key in received() if user == "member_user"} == {
        f"pledge:{pledge.pk}:due:7:2024-10-17",
        f"pledge:{pledge.pk}:due:7:2024-10-24",
    }


# ---------------------------------------------------------------------------------------------
# Overdue and escalation
# ---------------------------------------------------------------------------------------------


def test_overdue_reaches_owner_and_secretary_once(world, published) -> None:
    pledge = published(deadline=TODAY)
    sweep(TODAY)
    assert received(pledge_notices.OVERDUE) == set()  # the deadline day is not overdue yet
    for day in range(1, 5):
        sweep(TODAY + days(day))
    key = f"pledge:{pledge.pk}:overdue:{TODAY.isoformat()}"
    assert received(pledge_notices.OVERDUE) == {("member_user", key), ("secretary_a", key)}


def test_a_pledge_fulfilled_before_the_deadline_is_not_overdue(world, published, spare) -> None:
    pledge = published(deadline=TODAY)
    FulfilmentEntryFactory(pledge=pledge, progress=100)
    with time_machine.travel(at(TODAY - days(2)), tick=False):
        services.pledge_mark_fulfilled(pledge=pledge, actor=spare)
    for day in range(0, 20):
        sweep(TODAY + days(day))
    assert received() == set()


def test_escalation_only_after_n_days_and_only_to_the_superior(world, published) -> None:
    member_pledge = published(deadline=TODAY)
    org_pledge = published(deadline=TODAY, owner_organization=world.branch_a)
    # A 党小组 has no secretary: its branch's was told it is overdue, the committee above hears.
    group_pledge = published(deadline=TODAY, owner_member=world.member_group_a)
    # Township committee A's own pledge escalates to the city's secretary, not to ``superior``.
    city_secretary = UserFactory(username="city_secretary")
    RoleAssignmentFactory(
        user=city_secretary, organization=world.city, role=RoleAssignment.Role.SECRETARY
    )
    committee_pledge = published(
        deadline=TODAY, owner_organization=world.committee_a, author=world.users["superior"]
    )

    for day in range(1, 8):  # overdue for up to 7 days: not escalated
        sweep(TODAY + days(day))
    assert received(pledge_notices.ESCALATED) == set()

    sweep(TODAY + days(8))
    sweep(TODAY + days(9))
    assert received(pledge_notices.ESCALATED) == {
        ("superior", f"pledge:{member_pledge.pk}:escalated:{TODAY.isoformat()}"),
        ("superior", f"pledge:{org_pledge.pk}:escalated:{TODAY.isoformat()}"),
        ("superior", f"pledge:{group_pledge.pk}:escalated:{TODAY.isoformat()}"),
        ("city_secretary", f"pledge:{committee_pledge.pk}:escalated:{TODAY.isoformat()}"),
    }
    note = Notification.objects.get(
        recipient__username="superior", key__contains=str(member_pledge.pk) + ":escalated"
    )
    assert note.params["days"] == 8


def test_escalation_follows_the_campaign_setting(world, published) -> None:
    Campaign.objects.filter(pk=world.campaign.pk).update(overdue_escalation_days=2)
    published(deadline=TODAY)
    sweep(TODAY + days(2))
    assert recipients(pledge_notices.ESCALATED) == set()
    sweep(TODAY + days(3))
    assert recipients(pledge_notices.ESCALATED) == {"superior"}


# ---------------------------------------------------------------------------------------------
# Reviews waiting
# ---------------------------------------------------------------------------------------------


def submitted(world: World, *, on: datetime.date, **kwargs) -> Pledge:
    defaults = {
        "campaign": world.campaign,
        "owner_member": world.member_self,
        "author": world.users["member_user"],
        "status": S.SUBMITTED,
        "submitted_at": at(on),
        "deadline": on + days(60),
    }
    if kwargs.get("owner_organization") is not None:
        defaults["owner_member"] = None
    return PledgeFactory(**{**defaults, **kwargs})


def test_review_waiting_goes_to_the_reviewing_committee(world, spare) -> None:
    member_pledge = submitted(world, on=TODAY - days(6))
    written_by_secretary = submitted(
        world, on=TODAY - days(6), owner_member=world.member_a1, author=world.users["secretary_a"]
    )
    org_pledge = submitted(
        world,
        on=TODAY - days(6),
        owner_organization=world.branch_a,
        author=world.users["secretary_a"],
    )
    fresh = submitted(world, on=TODAY - days(5))  # waiting 5 days: not longer than 5

    sweep(TODAY)

    got = received(pledge_notices.REVIEW_WAITING)
    by_pledge: dict[int, set[str]] = {}
    for username, key in got:
        by_pledge.setdefault(int(key.split(":")[1]), set()).add(username)
    assert by_pledge == {
        # Member pledges: branch A's committee (secretary and committee member)…
        member_pledge.pk: {"secretary_a", "spare_committee_member"},
        # …but never the one who wrote it.
        written_by_secretary.pk: {"spare_committee_member"},
        # Organisation pledges: the committee above.
        org_pledge.pk: {"superior"},
    }
    assert fresh.pk not in by_pledge
    note = Notification.objects.get(recipient=spare, key__startswith=f"pledge:{member_pledge.pk}:")
    assert note.url == reverse("pledges:review_pledge", args=[member_pledge.pk])
    assert note.params["days"] == 6


def test_a_resubmission_reminds_the_reviewers_again(world) -> None:
    pledge = submitted(world, on=TODAY - days(6))
    sweep(TODAY)
    Pledge.objects.filter(pk=pledge.pk).update(submitted_at=at(TODAY + days(1), 15))
    sweep(TODAY + days(3))
    assert Notification.objects.filter(recipient=world.users["secretary_a"]).count() == 1
    sweep(TODAY + days(7))
    assert Notification.objects.filter(recipient=world.users["secretary_a"]).count() == 2


# ---------------------------------------------------------------------------------------------
# Phases
# ---------------------------------------------------------------------------------------------


def test_phase_start_and_end_reach_every_secretary_of_the_campaign(world) -> None:
    pledge_phase = world.phases[1]  # 公开承诺, 2024-08-01 – 2024-09-15
    # A secretary outside the campaign's tree and a deputy inside it.
    outsider = UserFactory(username="other_city_secretary")

    RoleAssignmentFactory(
        user=outsider,
        organization=OrganizationFactory(code="OTHER", name="外市委"),
        role=RoleAssignment.Role.SECRETARY,
    )
    RoleAssignmentFactory(
        user=UserFactory(username="deputy_c"),
        organization=world.branch_c,
        role=RoleAssignment.Role.DEPUTY_SECRETARY,
    )

    # Four secretaries, each told of the start and of the end of the phase before.
    assert inbox.run_sweeps(today=pledge_phase.start_date, only=["campaign_phases"]) == {
        "campaign_phases": 8
    }
    # The mobilisation phase ended the day before: within the catch-up window, so it goes too.
    key = f"phase:{pledge_phase.pk}:start:2024-08-01"
    secretaries = {"secretary_a", "secretary_b", "superior", "deputy_c"}
    assert {u for u, k in received() if k == key} == secretaries
    ended = {u for u, k in received() if k == f"phase:{world.phases[0].pk}:end:2024-07-31"}
    assert ended == secretaries

    # A sweep three days late sends nothing about the start; the end goes out on its day.
    Notification.objects.all().delete()
    assert inbox.run_sweeps(today=datetime.date(2024, 8, 4), only=["campaign_phases"]) == {
        "campaign_phases": 0
    }
    inbox.run_sweeps(today=pledge_phase.end_date, only=["campaign_phases"])
    assert {u for u, _k in received()} == secretaries
    note = Notification.objects.filter(recipient=world.users["superior"]).get()
    assert note.key == f"phase:{pledge_phase.pk}:end:2024-09-15"
    assert note.url == reverse("campaigns:campaign_detail", args=[world.campaign.pk])
    assert "公开承诺" in inbox.render(note)


# ---------------------------------------------------------------------------------------------
# Once, whatever happens
# ---------------------------------------------------------------------------------------------


def test_a_second_run_delivers_nothing_new(world, published) -> None:
    published(deadline=TODAY + days(7))
    published(deadline=TODAY - days(10))
    submitted(world, on=TODAY - days(9))
    first = inbox.run_sweeps(today=TODAY, only=MY_SWEEPS)
    assert first["pledges_due_soon"] == 2
    assert first["pledges_overdue"] == 2
    assert first["pledges_overdue_escalated"] == 1
    assert first["pledges_review_waiting"] == 2
    total = Notification.objects.count()
    second = inbox.run_sweeps(today=TODAY, only=MY_SWEEPS)
    assert set(second.values()) == {0}
    assert Notification.objects.count() == total


def test_interleaved_sweeps_deliver_each_occasion_once(world, published) -> None:
    for index in range(5):
        published(deadline=TODAY + days(7), content=f"承诺{index}")
    first = pledge_notices.due_soon(today=TODAY)
    second = pledge_notices.due_soon(today=TODAY)
    # Two workers: the sweeps' generators advance in turn, each delivering what it has.
    new = 0
    for a, b in zip(first, second, strict=True):
        new += inbox.deliver([a])
        new += inbox.deliver([b])
    assert new == 10
    assert Notification.objects.count() == 10
    notices = list(pledge_notices.due_soon(today=TODAY))
    assert inbox.deliver(notices) == 0
    assert inbox.deliver(notices) == 0
    assert Notification.objects.count() == 10


def test_workflow_events_tell_the_owner(
    world, spare, reasons, django_capture_on_commit_callbacks
) -> None:
    member = world.users["member_user"]
    pledge = submitted(world, on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_return(
            pledge=pledge, actor=spare, reasons=reasons[:1], comment="时限写得不具体"
        )
    returned = Notification.objects.get(kind=pledge_notices.RETURNED.code)
    assert returned.recipient == member
    assert returned.url == reverse("pledges:pledge_detail", args=[pledge.pk])

    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_resubmit(pledge=pledge, actor=member)
    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_approve(pledge=pledge, actor=world.users["secretary_a"])
    approved = Notification.objects.get(kind=pledge_notices.APPROVED.code)
    assert approved.recipient == member
    assert Notification.objects.count() == 2  # nothing for the resubmission, nothing to actors

    # A secretary's pledge on a member's behalf, returned: the member and the author hear.
    other = submitted(
        world,
        on=timezone.localdate(),
        owner_member=world.member_a1,
        author=world.users["secretary_a"],
    )
    member_a1_user = UserFactory(username="member_a1")
    world.member_a1.user = member_a1_user
    world.member_a1.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_return(pledge=other, actor=spare, reasons=reasons[:1], comment="请细化")
    assert recipients(pledge_notices.RETURNED) == {"member_user", "member_a1", "secretary_a"}
    # The handler is idempotent: the same history row delivers nothing again.
    history_id = other.history.latest("id").pk
    pledge_notices.notify_transition(history_id)
    assert Notification.objects.count() == 4


# ---------------------------------------------------------------------------------------------
# Scale
# ---------------------------------------------------------------------------------------------


def _queries_of_sweeps(world: World, count: int) -> list[str]:
    Pledge.objects.all().delete()
    owners = [world.member_self, world.member_a1, world.member_b1, world.member_group_a]
    for index in range(count):
        owner = owners[index % len(owners)]
        PledgeFactory(
            campaign=world.campaign,
            owner_member=owner,
            author=world.users["secretary_a"],
            status=S.PUBLISHED,
            deadline=TODAY + days((-12, -1, 1, 7)[index % 4]),
        )
        PledgeFactory(
            campaign=world.campaign,
            owner_member=owner,
            author=world.users["secretary_a"],
            status=S.SUBMITTED,
            submitted_at=at(TODAY - days(8)),
        )
    with CaptureQueriesContext(connection) as queries:
        delivered = sweep(TODAY)
    assert all(delivered.values())
    return [q["sql"][:120] for q in queries.captured_queries]


def test_sweep_queries_do_not_grow_with_the_number_of_pledges(world) -> None:
    assert len(_queries_of_sweeps(world, 10)) == len(_queries_of_sweeps(world, 60))


def test_a_batch_adds_at_most_one_query(world, monkeypatch) -> None:
    """Batches of 7: the 120 pledges take 22 batches over the four sweeps, yet the role holders
    are read at most once per organisation met (three organisations, four sweeps) and nothing
    else is queried per batch: the same statements as with everything in one batch."""

    def split(queries: list[str]) -> tuple[int, list[str]]:
        roles = [q for q in queries if "campaigns_roleassignment" in q]
        # Statements by their start (a server-side cursor's name differs from run to run).
        return len(roles), [q.split('"')[0] for q in queries if q not in roles]

    one_batch_roles, one_batch_rest = split(_queries_of_sweeps(world, 60))
    monkeypatch.setattr(pledge_notices, "BATCH", 7)
    roles, rest = split(_queries_of_sweeps(world, 60))
    assert one_batch_roles == 4
    assert 4 <= roles <= 4 * 3
    assert rest == one_batch_rest


@pytest.mark.parametrize("member_login", [True, False])
def test_no_notice_for_inactive_logins(world, published, member_login) -> None:
    user = UserFactory(username="gone", is_active=False)
    member = MemberFactory(branch=world.branch_b, user=user if member_login else None)
    published(deadline=TODAY + days(1), owner_member=member)
    sweep(TODAY)
    assert "gone" not in recipients(pledge_notices.DUE_SOON)
    assert recipients(pledge_notices.DUE_SOON) == {"secretary_b"}
