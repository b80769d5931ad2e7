"""The organisation tree: adding and moving organisations keeps scope and ancestry right."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from treebeard.exceptions import InvalidMoveToDescendant

from campaigns import scope
from campaigns.models import Member, Organization
from tests.conftest import World
from tests.factories import MemberFactory, OrganizationFactory, RoleAssignmentFactory, UserFactory

Level = Organization.Level


def assert_tree_is_sound() -> None:
    problems = Organization.objects.find_problems()
    assert problems == ([], [], [], [], []), f"treebeard find_problems: {problems}"


def visible_codes(user) -> set[str]:
    scope.forget(user)  # roles are cached on the user object; paths changed under them
    return set(Organization.objects.visible_to(user).values_list("code", flat=True))


def subtree_codes(org: Organization) -> set[str]:
    org.refresh_from_db()
    return set(
        Organization.objects.filter(path__startswith=org.path).values_list("code", flat=True)
    )


def ancestor_codes(org: Organization) -> list[str]:
    org.refresh_from_db()
    return [a.code for a in org.ancestors()]


def test_fixture_tree_is_sound(world: World) -> None:
    assert_tree_is_sound()
    assert ancestor_codes(world.group_a) == ["CITY", "TWN-A", "BR-A"]
    assert ancestor_codes(world.city) == []
    assert [a.code for a in world.group_a.ancestors(include_self=True)] == [
        "CITY",
        "TWN-A",
        "BR-A",
        "GRP-A",
    ]
    assert subtree_codes(world.committee_a) == {"TWN-A", "BR-A", "GRP-A", "BR-B"}
    assert world.group_a.is_in_subtree_of(world.committee_a)
    assert not world.branch_b.is_in_subtree_of(world.branch_a)


def test_ancestors_agree_with_treebeard(world: World) -> None:
    for org in Organization.objects.all():
        assert list(org.ancestors()) == list(Organization.objects.get_ancestors(org)), org.code


def test_added_child_falls_in_scope_of_its_ancestors(world: World) -> None:
    new_group = OrganizationFactory(
        name="甲村第二党小组", code="GRP-A2", level=Level.GROUP, parent=world.branch_a
    )
    assert new_group.depth == world.branch_a.depth + 1
    assert "GRP-A2" in visible_codes(world.users["secretary_a"])
    assert "GRP-A2" in visible_codes(world.users["superior"])
    assert "GRP-A2" in visible_codes(world.users["office"])
    assert "GRP-A2" not in visible_codes(world.users["secretary_b"])
    assert ancestor_codes(new_group) == ["CITY", "TWN-A", "BR-A"]
    assert subtree_codes(world.branch_a) == {"BR-A", "GRP-A", "GRP-A2"}
    assert_tree_is_sound()


def test_moving_a_branch_to_another_committee_moves_its_scope(world: World) -> None:
    secretary_c_committee = UserFactory(username="secretary_twn_c")
    RoleAssignmentFactory(user=secretary_c_committee, organization=world.committee_c)

    Organization.objects.move(world.branch_b, world.committee_c, "last-child")
    world.refresh()

    assert ancestor_codes(world.branch_b) == ["CITY", "TWN-C"]
    assert subtree_codes(world.committee_a) == {"TWN-A", "BR-A", "GRP-A"}
    assert subtree_codes(world.committee_c) == {"TWN-C", "BR-C", "BR-B"}
    # The superior of committee A lost branch B; committee C's secretary gained it.
    assert visible_codes(world.users["superior"]) == {"TWN-A", "BR-A", "GRP-A"}
    assert visible_codes(secretary_c_committee) == {"TWN-C", "BR-C", "BR-B"}
    # The branch's own secretary keeps their branch: the role follows the organisation.
    assert visible_codes(world.users["secretary_b"]) == {"BR-B"}
    # Members follow their branch.
    assert (
        not Member.objects.visible_to(world.users["superior"])
        .filter(pk=world.member_b1.pk)
        .exists()
    )
    assert Member.objects.visible_to(secretary_c_committee).filter(pk=world.member_b1.pk).exists()
    assert_tree_is_sound()


def test_moving_a_subtree_carries_its_descendants(world: World) -> None:
    Organization.objects.move(world.branch_a, world.committee_c, "first-child")
    world.refresh()

    assert ancestor_codes(world.group_a) == ["CITY", "TWN-C", "BR-A"]
    assert world.group_a.depth == 4
    assert subtree_codes(world.committee_c) == {"TWN-C", "BR-A", "GRP-A", "BR-C"}
    assert visible_codes(world.users["secretary_a"]) == {"BR-A", "GRP-A"}
    assert visible_codes(world.users["superior"]) == {"TWN-A", "BR-B"}
    superior = world.users["superior"]
    assert not scope.can_manage_org(superior, world.group_a)
    assert not Member.objects.visible_to(superior).filter(pk=world.member_group_a.pk).exists()
    # The mobile member's outflow organisation (branch A) moved too.
    assert not Member.objects.visible_to(superior).filter(pk=world.mobile_member.pk).exists()
    assert_tree_is_sound()


def test_moving_a_node_as_sibling_keeps_the_tree_sound(world: World) -> None:
    # Promote group A to a sibling of branch A (a re-organisation), then back under branch B.
    Organization.objects.move(world.group_a, world.branch_a, "right")
    world.refresh()
    assert ancestor_codes(world.group_a) == ["CITY", "TWN-A"]
    assert "GRP-A" not in visible_codes(world.users["secretary_a"])
    assert_tree_is_sound()

    Organization.objects.move(world.group_a, world.branch_b, "last-child")
    world.refresh()
    assert ancestor_codes(world.group_a) == ["CITY", "TWN-A", "BR-B"]
    assert visible_codes(world.users["secretary_b"]) == {"BR-B", "GRP-A"}
    assert_tree_is_sound()


def test_cannot_move_an_organization_under_its_own_descendant(world: World) -> None:
    with pytest.raises(InvalidMoveToDescendant):
        Organization.objects.move(world.committee_a, world.group_a, "last-child")
    assert_tree_is_sound()


def test_member_cannot_belong_to_a_committee(world: World) -> None:
    member = MemberFactory.build(branch=world.committee_a)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        member.full_clean()
    errors = excinfo.value.message_dict
    assert "branch" in errors
    assert world.committee_a.name in errors["branch"][0]
    assert "party branch or party group" in errors["branch"][0]


@pytest.mark.parametrize("org_attr", ["branch_a", "group_a"])
def test_member_can_belong_to_a_branch_or_group(world: World, org_attr: str) -> None:
    member = MemberFactory.build(branch=getattr(world, org_attr))
    member.full_clean()


def test_outflow_organization_must_differ_from_branch(world: World) -> None:
    member = MemberFactory.build(branch=world.branch_c, outflow_organization=world.branch_c)
    with pytest.raises(ValidationError) as excinfo:
        member.full_clean()
    assert "outflow_organization" in excinfo.value.message_dict
