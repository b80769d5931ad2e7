"""Organisation pages: tree, search, detail, children, create, edit, role grant and revoke."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from campaigns import services
from campaigns.models import Organization, RoleAssignment
from tests.conftest import World
from tests.factories import OrganizationFactory, UserFactory

Level = Organization.Level
Role = RoleAssignment.Role
TREE = reverse("campaigns:organization_tree")
SEARCH = reverse("campaigns:organization_search")
CREATE = reverse("campaigns:organization_create")


def org_url(name: str, org: Organization, **kwargs) -> str:
    return reverse(f"campaigns:{name}", kwargs={"code": org.code, **kwargs})


def org_history(org: Organization) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Organization), object_id=str(org.pk)
        ).order_by("id")
    )


def org_data(org: Organization, **overrides) -> dict:
    data = {
        "name": org.name,
        "short_name": org.short_name,
        "code": org.code,
        "level": org.level,
        "unit_kind": org.unit_kind,
        "is_active": "on" if org.is_active else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def new_group_data(world: World, **overrides) -> dict:
    data = {
        "parent": world.branch_a.code,
        "name": "甲村第二党小组",
        "code": "GRP-A2",
        "level": Level.GROUP,
        "unit_kind": Organization.UnitKind.VILLAGE,
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- tree and search ----------------------------------------------------------------------------


def test_tree_starts_at_the_roots_of_the_users_scope(world: World, client_as) -> None:
    def roots(who: str) -> list[str]:
        response = client_as(who).get(TREE)
        assert response.status_code == 200
        return [org.code for org in response.context["roots"]]

    assert roots("secretary_a") == ["BR-A"]
    assert roots("superior") == ["TWN-A"]
    assert roots("office") == ["CITY"]
    assert roots("superuser") == ["CITY"]


def test_tree_search_stays_in_scope(world: World, client_as) -> None:
    response = client_as("superior").get(TREE, {"q": "村"})
    assert {org.code for org in response.context["page"]} == {"BR-A", "GRP-A", "BR-B"}

    response = client_as("secretary_a").get(TREE, {"q": "乙村"})
    assert list(response.context["page"]) == []
    assert world.branch_b.name not in response.content.decode()

    response = client_as("office").get(TREE, {"level": Level.COMMITTEE})
    assert {org.code for org in response.context["page"]} == {"CITY", "TWN-A", "TWN-C"}


def test_tree_search_by_code(world: World, client_as) -> None:
    response = client_as("office").get(TREE, {"q": "br-c"})
    assert [org.code for org in response.context["page"]] == ["BR-C"]


def test_picker_search_only_active_in_scope_and_levels(world: World, client_as) -> None:
    OrganizationFactory(
        name="甲村旧党小组",
        code="GRP-OLD",
        level=Level.GROUP,
        parent=world.branch_a,
        is_active=False,
    )
    response = client_as("secretary_a").get(SEARCH, {"q": "甲村"})
    assert response.status_code == 200
    assert {org.code for org in response.context["results"]} == {"BR-A", "GRP-A"}

    response = client_as("superior").get(SEARCH, {"q": "村", "levels": "group"})
    assert [org.code for org in response.context["results"]] == ["GRP-A"]

    response = client_as("secretary_b").get(SEARCH, {"q": "甲村"})
    assert list(response.context["results"]) == []


# --- detail and children ------------------------------------------------------------------------


def test_detail_shows_children_members_and_roles(world: World, client_as) -> None:
    response = client_as("secretary_a").get(org_url("organization_detail", world.branch_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.branch_a.name in body
    assert world.group_a.name in body
    assert world.member_a1.name in body
    assert response.context["member_count"] == 4
    assert {a.user.username for a in response.context["assignments"]} == {
        "secretary_a",
        "inactive",
        "spare_committee_member",
    }
    assert response.context["can_manage"] is True


def test_detail_outsider_is_404(world: World, client_as) -> None:
    response = client_as("secretary_b").get(org_url("organization_detail", world.branch_a))
    assert response.status_code == 404
    body = response.content.decode()
    assert world.branch_a.name not in body
    assert world.member_a1.name not in body


def test_detail_for_leader_reads_but_cannot_manage(world: World, client_as) -> None:
    response = client_as("leader").get(org_url("organization_detail", world.branch_a))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert response.context["grantable_roles"] == []


def test_children_fragment(world: World, client_as) -> None:
    client = client_as("superior")
    response = client.get(
        org_url("organization_children", world.committee_a), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [org.code for org in response.context["page"]] == ["BR-A", "BR-B"]
    # A plain request goes to the organisation's page.
    response = client.get(org_url("organization_children", world.committee_a))
    assert response.status_code == 302
    assert response["Location"] == org_url("organization_detail", world.committee_a)


# --- create -------------------------------------------------------------------------------------


def test_create_child(world: World, client_as) -> None:
    client = client_as("secretary_a")
    assert client.get(CREATE, {"parent": world.branch_a.code}).status_code == 200
    response = client.post(CREATE, new_group_data(world))
    assert response.status_code == 302
    org = Organization.objects.get(code="GRP-A2")
    assert response["Location"] == org_url("organization_detail", org)
    assert org.path.startswith(world.branch_a.path) and org.depth == world.branch_a.depth + 1
    assert [(e.action_flag, e.user.username) for e in org_history(org)] == [
        (ADDITION, "secretary_a")
    ]
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_create_child_with_a_level_above_its_parent_is_refused(world: World, client_as) -> None:
    count = Organization.objects.count()
    response = client_as("superior", language="en").post(
        CREATE, new_group_data(world, level=Level.COMMITTEE)
    )
    assert response.status_code == 200
    assert "level" in response.context["form"].errors
    assert Organization.objects.count() == count
    # The service says why, in words.
    with pytest.raises(ValidationError) as excinfo:
        services.organization_create(
            parent=world.branch_a,
            actor=world.users["superior"],
            name="X",
            code="X-1",
            level=Level.GENERAL_BRANCH,
            unit_kind=Organization.UnitKind.OTHER,
            is_active=True,
        )
    assert "level" in excinfo.value.message_dict
    assert Organization.objects.count() == count


def test_create_with_a_taken_code_is_refused(world: World, client_as) -> None:
    count = Organization.objects.count()
    response = client_as("secretary_a", language="en").post(
        CREATE, new_group_data(world, code="br-b")
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Organization.objects.count() == count


def test_create_refused_to_leader_outsider_and_without_parent(world: World, client_as) -> None:
    count = Organization.objects.count()
    assert client_as("leader").post(CREATE, new_group_data(world)).status_code == 403
    assert client_as("secretary_b").post(CREATE, new_group_data(world)).status_code == 404
    # Only a superuser creates a root.
    no_parent = new_group_data(world, parent="", level=Level.COMMITTEE, code="ROOT-2")
    assert client_as("office").post(CREATE, no_parent).status_code == 403
    assert Organization.objects.count() == count
    assert client_as("superuser").post(CREATE, no_parent).status_code == 302
    assert Organization.objects.get(code="ROOT-2").depth == 1


# --- edit ---------------------------------------------------------------------------------------


def test_edit_name(world: World, client_as) -> None:
    branch = world.branch_a
    response = client_as("secretary_a").post(
        org_url("organization_edit", branch),
        org_data(branch, name="甲村党总支部", short_name="甲村"),
    )
    assert response.status_code == 302
    branch.refresh_from_db()
    assert (branch.name, branch.short_name) == ("甲村党总支部", "甲村")
    assert [e.action_flag for e in org_history(branch)] == [CHANGE]


def test_code_cannot_be_changed(world: World, client_as) -> None:
    branch = world.branch_a
    client_as("superior").post(org_url("organization_edit", branch), org_data(branch, code="NEW-A"))
    branch.refresh_from_db()
    assert branch.code == "BR-A"


def test_secretary_cannot_deactivate_own_branch(world: World, client_as) -> None:
    # The status belongs to the superior: the field is locked on the secretary's form.
    branch = world.branch_b
    client_as("secretary_b").post(
        org_url("organization_edit", branch), org_data(branch, is_active="")
    )
    branch.refresh_from_db()
    assert branch.is_active
    with pytest.raises(PermissionDenied):
        services.organization_update(org=branch, actor=world.users["secretary_b"], is_active=False)


def test_superior_cannot_deactivate_a_branch_with_active_members(world: World, client_as) -> None:
    branch = world.branch_b
    response = client_as("superior", language="en").post(
        org_url("organization_edit", branch), org_data(branch, is_active="")
    )
    assert response.status_code == 200
    assert "active member" in response.content.decode()
    branch.refresh_from_db()
    assert branch.is_active


def test_superior_deactivates_an_empty_branch(world: World, client_as) -> None:
    empty = OrganizationFactory(
        name="丁村党支部", code="BR-D", level=Level.BRANCH, parent=world.committee_a
    )
    response = client_as("superior").post(
        org_url("organization_edit", empty), org_data(empty, is_active="")
    )
    assert response.status_code == 302
    empty.refresh_from_db()
    assert not empty.is_active


def test_edit_refused_to_leader_and_outsider(world: World, client_as) -> None:
    branch = world.branch_a
    data = org_data(branch, name="改名")
    assert client_as("leader").post(org_url("organization_edit", branch), data).status_code == 403
    assert (
        client_as("secretary_b").post(org_url("organization_edit", branch), data).status_code == 404
    )
    branch.refresh_from_db()
    assert branch.name == "甲村党支部"
    assert org_history(branch) == []


# --- roles --------------------------------------------------------------------------------------


def test_secretary_grants_and_revokes_a_committee_role(world: World, client_as) -> None:
    newcomer = UserFactory(username="newcomer")
    client = client_as("secretary_a")
    response = client.post(
        org_url("organization_role_add", world.branch_a),
        {"username": "newcomer", "role": Role.DEPUTY_SECRETARY},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert (assignment.organization, assignment.role) == (world.branch_a, Role.DEPUTY_SECRETARY)
    assert [e.action_flag for e in org_history(world.branch_a)] == [CHANGE]

    response = client.post(org_url("organization_role_remove", world.branch_a, pk=assignment.pk))
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert len(org_history(world.branch_a)) == 2


def test_secretary_cannot_grant_office_roles(world: World, client_as) -> None:
    UserFactory(username="newcomer")
    for role in (Role.OFFICE, Role.LEADERSHIP, Role.INSPECTOR):
        client_as("secretary_a").post(
            org_url("organization_role_add", world.branch_a), {"username": "newcomer", "role": role}
        )
    assert not RoleAssignment.objects.filter(user__username="newcomer").exists()


def test_office_grants_an_inspector_role(world: World, client_as) -> None:
    newcomer = UserFactory(username="newcomer")
    client_as("office").post(
        org_url("organization_role_add", world.committee_a),
        {"username": "newcomer", "role": Role.INSPECTOR},
    )
    assert RoleAssignment.objects.filter(
        user=newcomer, organization=world.committee_a, role=Role.INSPECTOR
    ).exists()


def test_nobody_changes_their_own_roles(world: World, client_as) -> None:
    client = client_as("secretary_a")
    client.post(
        org_url("organization_role_add", world.group_a),
        {"username": "secretary_a", "role": Role.SECRETARY},
    )
    assert not RoleAssignment.objects.filter(
        user__username="secretary_a", organization=world.group_a
    ).exists()
    own = RoleAssignment.objects.get(user__username="secretary_a", organization=world.branch_a)
    client.post(org_url("organization_role_remove", world.branch_a, pk=own.pk))
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_superior_revokes_the_branch_secretary(world: World, client_as) -> None:
    own = RoleAssignment.objects.get(user__username="secretary_a", organization=world.branch_a)
    response = client_as("superior").post(
        org_url("organization_role_remove", world.branch_a, pk=own.pk)
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=own.pk).exists()


def test_grant_to_an_unknown_login_is_refused(world: World, client_as) -> None:
    count = RoleAssignment.objects.count()
    client_as("secretary_a").post(
        org_url("organization_role_add", world.branch_a),
        {"username": "nobody", "role": Role.SECRETARY},
    )
    assert RoleAssignment.objects.count() == count


def test_role_endpoints_refused_to_leader_and_outsider(world: World, client_as) -> None:
    UserFactory(username="newcomer")
    spare = world.spare_role
    grant = {"username": "newcomer", "role": Role.COMMITTEE_MEMBER}
    for who, status in (("leader", 403), ("inspector", 403), ("secretary_b", 404)):
        client = client_as(who)
        assert (
            client.post(org_url("organization_role_add", world.branch_a), grant).status_code
            == status
        )
        assert (
            client.post(
                org_url("organization_role_remove", world.branch_a, pk=spare.pk)
            ).status_code
            == status
        )
    assert RoleAssignment.objects.filter(pk=spare.pk).exists()
    assert not RoleAssignment.objects.filter(user__username="newcomer").exists()


def test_role_removal_through_another_organisations_url_is_404(world: World, client_as) -> None:
    # The assignment belongs to branch A: reaching it through group A's address finds nothing.
    response = client_as("superior").post(
        org_url("organization_role_remove", world.group_a, pk=world.spare_role.pk)
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=world.spare_role.pk).exists()
