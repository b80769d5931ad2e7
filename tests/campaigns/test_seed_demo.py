"""``manage.py seed_demo``: the demo city, its logins, idempotence, a sound tree."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

from campaigns import scope
from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberTransfer,
    Organization,
    Phase,
    RoleAssignment,
)
from campaigns.validators import validate_id_number

Role = RoleAssignment.Role
MODELS = (
    Organization,
    Member,
    MemberTransfer,
    RoleAssignment,
    Campaign,
    Phase,
    LeadershipPosition,
    ContactPoint,
    InspectionGroup,
    get_user_model(),
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def roles(username: str) -> set[tuple[str, str]]:
    return set(
        RoleAssignment.objects.filter(user__username=username).values_list(
            "organization__level", "role"
        )
    )


@pytest.fixture
def seeded(db) -> str:
    return seed()


def test_seed_demo_builds_the_city(seeded: str) -> None:
    root = Organization.objects.get(depth=1)
    assert root.code == "SF"
    assert 100 <= Organization.objects.count() <= 400
    assert 1_800 <= Member.objects.count() <= 2_500
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    assert Campaign.objects.filter(root_organization=root).exists()
    assert Phase.objects.count() >= 4
    assert "demo12345" in seeded


def test_seeded_members_are_valid(seeded: str) -> None:
    member_levels = set(Organization.MEMBER_LEVELS)
    problems = []
    for member in Member.objects.select_related("branch").iterator():
        try:
            validate_id_number(member.id_number)
        except ValidationError as error:
            problems.append(f"{member.pk}: {error}")
        if member.id_number[6:14] != f"{member.birth_date:%Y%m%d}":
            problems.append(f"{member.pk}: birth date differs from the ID number")
        if member.branch.level not in member_levels:
            problems.append(f"{member.pk}: attached to a {member.branch.level}")
    assert not problems, problems[:10]


def test_seeded_logins_and_their_roles(seeded: str) -> None:
    users = {u.username: u for u in get_user_model().objects.all()}
    for username in (
        "admin",
        "office",
        "leader",
        "inspector",
        "secretary",
        "secretary2",
        "committee",
        "member",
    ):
        assert username in users, username
        assert users[username].is_active
        assert users[username].check_password("demo12345"), username
    assert users["admin"].is_superuser
    assert roles("office") == {(Organization.Level.COMMITTEE, Role.OFFICE)}
    assert roles("leader") == {(Organization.Level.COMMITTEE, Role.LEADERSHIP)}
    assert roles("inspector") == {(Organization.Level.COMMITTEE, Role.INSPECTOR)}
    assert roles("secretary") == {(Organization.Level.BRANCH, Role.SECRETARY)}
    assert roles("secretary2") == {(Organization.Level.BRANCH, Role.SECRETARY)}
    assert roles("member") == set()
    assert Member.objects.filter(user=users["member"]).exists()

    # The cast mirrors the tests': two sibling branches under the committee login's organisation.
    branch = RoleAssignment.objects.get(user=users["secretary"]).organization
    sibling = RoleAssignment.objects.get(user=users["secretary2"]).organization
    committee = RoleAssignment.objects.get(user=users["committee"]).organization
    assert branch != sibling
    assert branch.path[: -branch.steplen] == sibling.path[: -sibling.steplen]
    assert branch.is_in_subtree_of(committee) and sibling.is_in_subtree_of(committee)

    # Office, leadership and inspector hold the root; the secretary sees the city campaign.
    root = Organization.objects.get(depth=1)
    for username in ("office", "leader", "inspector"):
        assert RoleAssignment.objects.get(user=users[username]).organization == root
    assert Campaign.objects.visible_to(users["secretary"]).exists()
    secretary_members = Member.objects.visible_to(users["secretary"])
    assert secretary_members.exists()
    assert all(
        scope.has_role_on(users["secretary"], m.branch)
        or m.user_id == users["secretary"].pk
        or m.outflow_organization_id is not None
        for m in secretary_members.select_related("branch")
    )


def test_seed_demo_twice_changes_nothing(seeded: str) -> None:
    before = counts()
    output = seed()
    assert counts() == before
    assert "nothing to do" in output
    assert Organization.objects.find_problems() == ([], [], [], [], [])
