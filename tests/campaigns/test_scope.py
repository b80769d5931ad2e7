"""Scope: who sees which organisations, members and campaigns (campaigns.scope + visible_to)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns import scope
from campaigns.models import Campaign, Member, Organization, RoleAssignment
from tests.conftest import World
from tests.factories import CampaignFactory, RoleAssignmentFactory, UserFactory

ALL_ORGS = {"CITY", "TWN-A", "BR-A", "GRP-A", "BR-B", "TWN-C", "BR-C"}

# The organisations each person of the cast sees: exactly the subtree of their role.
EXPECTED_ORGS: dict[str, set[str]] = {
    "secretary_a": {"BR-A", "GRP-A"},
    "secretary_b": {"BR-B"},
    "superior": {"TWN-A", "BR-A", "GRP-A", "BR-B"},
    "office": ALL_ORGS,
    "leader": ALL_ORGS,
    "inspector": ALL_ORGS,
    "superuser": ALL_ORGS,
    # A member's login gives no organisation scope; the inactive secretary's role counts for nothing.
    "member_user": set(),
    "inactive": set(),
    "anonymous": set(),
}

ALL_MEMBERS = {
    "member_a1",
    "member_a2",
    "member_group_a",
    "member_b1",
    "member_c1",
    "mobile_member",
    "member_self",
}
BRANCH_A_MEMBERS = {"member_a1", "member_a2", "member_group_a", "member_self"}

EXPECTED_MEMBERS: dict[str, set[str]] = {
    # The mobile member's outflow organisation is branch A: its secretary assists in managing them.
    "secretary_a": BRANCH_A_MEMBERS | {"mobile_member"},
    "secretary_b": {"member_b1"},
    "superior": BRANCH_A_MEMBERS | {"member_b1", "mobile_member"},
    "office": ALL_MEMBERS,
    "leader": ALL_MEMBERS,
    "inspector": ALL_MEMBERS,
    "superuser": ALL_MEMBERS,
    "member_user": {"member_self"},
    "inactive": set(),
    "anonymous": set(),
}


def _member_names(world: World, members) -> set[str]:
    by_pk = {getattr(world, attr).pk: attr for attr in ALL_MEMBERS}
    return {by_pk[m.pk] for m in members}


@pytest.mark.parametrize("who", sorted(EXPECTED_ORGS))
def test_organizations_visible_to_is_exactly_the_subtree(world: World, who: str) -> None:
    user = world.users[who]
    codes = set(Organization.objects.visible_to(user).values_list("code", flat=True))
    assert codes == EXPECTED_ORGS[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_MEMBERS))
def test_members_visible_to_is_exactly_the_subtree(world: World, who: str) -> None:
    user = world.users[who]
    assert _member_names(world, Member.objects.visible_to(user)) == EXPECTED_MEMBERS[who]


def test_mobile_member_is_visible_to_inflow_and_outflow_secretaries(world: World) -> None:
    inflow_secretary = UserFactory(username="secretary_c")
    RoleAssignmentFactory(user=inflow_secretary, organization=world.branch_c)
    member = world.mobile_member
    assert member.branch == world.branch_c and member.outflow_organization == world.branch_a
    assert Member.objects.visible_to(inflow_secretary).filter(pk=member.pk).exists()
    assert Member.objects.visible_to(world.users["secretary_a"]).filter(pk=member.pk).exists()
    # Managing is shared too: the outflow organisation assists.
    assert scope.can_manage_member(inflow_secretary, member)
    assert scope.can_manage_member(world.users["secretary_a"], member)
    assert not scope.can_manage_member(world.users["secretary_b"], member)


def test_inactive_user_sees_nothing_even_with_a_role(world: World) -> None:
    inactive = world.users["inactive"]
    assert RoleAssignment.objects.filter(user=inactive).exists()
    assert not Organization.objects.visible_to(inactive).exists()
    assert not Member.objects.visible_to(inactive).exists()
    assert not Campaign.objects.visible_to(inactive).exists()
    assert not scope.is_staff_user(inactive)
    assert not scope.can_manage_org(inactive, world.branch_a)
    assert not scope.can_view_private(inactive, world.member_a1)


def test_role_on_inactive_organization_gives_no_scope(world: World) -> None:
    world.branch_b.is_active = False
    world.branch_b.save()
    secretary_b = world.users["secretary_b"]
    scope.forget(secretary_b)
    assert not Organization.objects.visible_to(secretary_b).exists()
    assert not scope.is_staff_user(secretary_b)


def test_member_user_sees_only_themself(world: World) -> None:
    member_user = world.users["member_user"]
    assert list(Member.objects.visible_to(member_user)) == [world.member_self]
    assert not scope.is_staff_user(member_user)


@pytest.mark.parametrize(
    ("who", "member_attr", "expected"),
    [
        ("member_user", "member_self", True),  # the member themself
        ("secretary_a", "member_a1", True),  # their own branch's secretary
        ("secretary_a", "member_group_a", True),  # a group under the secretary's branch
        ("superior", "member_a1", True),  # the superior committee
        ("office", "member_a1", True),
        ("superuser", "member_a1", True),
        ("leader", "member_a1", False),
        ("inspector", "member_a1", False),
        ("secretary_b", "member_a1", False),  # the sibling secretary
        ("member_user", "member_a1", False),  # another member of the same branch
        ("inactive", "member_a1", False),
        ("anonymous", "member_a1", False),
    ],
)
def test_can_view_private_matrix(world: World, who: str, member_attr: str, expected: bool) -> None:
    assert scope.can_view_private(world.users[who], getattr(world, member_attr)) is expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("secretary_a", True),
        ("superior", True),
        ("office", True),
        ("superuser", True),
        ("secretary_b", False),
        ("leader", False),
        ("inspector", False),
        ("member_user", False),
        ("inactive", False),
        ("anonymous", False),
    ],
)
def test_can_manage_branch_a(world: World, who: str, expected: bool) -> None:
    assert scope.can_manage_org(world.users[who], world.branch_a) is expected
    assert scope.can_manage_member(world.users[who], world.member_a1) is expected


def test_is_office(world: World) -> None:
    assert {who for who, user in world.users.items() if scope.is_office(user)} == {
        "office",
        "superuser",
    }


def test_is_staff_user(world: World) -> None:
    assert {who for who, user in world.users.items() if scope.is_staff_user(user)} == {
        "secretary_a",
        "secretary_b",
        "superior",
        "office",
        "leader",
        "inspector",
        "superuser",
    }


def test_branch_secretary_sees_the_city_campaign(world: World) -> None:
    # A campaign organised above the secretary's branch is one they take part in.
    for who in ("secretary_a", "secretary_b", "superior", "office", "leader", "member_user"):
        assert list(Campaign.objects.visible_to(world.users[who])) == [world.campaign], who
    assert not Campaign.objects.visible_to(world.users["anonymous"]).exists()
    assert not Campaign.objects.visible_to(world.users["inactive"]).exists()


def test_campaign_of_another_township_is_not_visible(world: World) -> None:
    township_c_campaign = CampaignFactory(name="丙镇活动", root_organization=world.committee_c)
    branch_a_campaign = CampaignFactory(name="甲村活动", root_organization=world.branch_a)

    def visible(who: str) -> set[str]:
        return set(Campaign.objects.visible_to(world.users[who]).values_list("name", flat=True))

    city = world.campaign.name
    assert visible("secretary_a") == {city, branch_a_campaign.name}
    assert visible("secretary_b") == {city}
    assert visible("superior") == {city, branch_a_campaign.name}
    assert visible("office") == {city, township_c_campaign.name, branch_a_campaign.name}
    assert visible("superuser") == {city, township_c_campaign.name, branch_a_campaign.name}


# Through the web pages: an outsider gets the same 404 as for a missing object, and no data.


def test_sibling_secretary_gets_404_for_organization_outside_subtree(
    world: World, client_as
) -> None:
    client = client_as("secretary_b")
    for name in ("campaigns:organization_detail", "campaigns:organization_edit"):
        response = client.get(reverse(name, kwargs={"code": world.branch_a.code}))
        assert response.status_code == 404, name
        assert world.branch_a.name not in response.content.decode()
    missing = client.get(reverse("campaigns:organization_detail", kwargs={"code": "NO-SUCH"}))
    assert missing.status_code == 404


def test_sibling_secretary_gets_404_for_member_outside_subtree(world: World, client_as) -> None:
    client = client_as("secretary_b")
    for name in ("campaigns:member_detail", "campaigns:member_edit"):
        response = client.get(reverse(name, kwargs={"pk": world.member_a1.pk}))
        assert response.status_code == 404, name
        body = response.content.decode()
        assert world.member_a1.name not in body
        assert world.member_a1.phone not in body
    missing = client.get(reverse("campaigns:member_detail", kwargs={"pk": 999_999}))
    assert missing.status_code == 404


def test_branch_secretary_gets_404_for_superior_organization(world: World, client_as) -> None:
    response = client_as("secretary_a").get(
        reverse("campaigns:organization_detail", kwargs={"code": world.committee_a.code})
    )
    assert response.status_code == 404
    assert world.committee_a.name not in response.content.decode()


def test_member_list_of_sibling_secretary_does_not_list_branch_a(world: World, client_as) -> None:
    response = client_as("secretary_b").get(reverse("campaigns:member_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.member_b1.name in body
    for member in (world.member_a1, world.member_a2, world.member_self, world.member_c1):
        assert member.name not in body
