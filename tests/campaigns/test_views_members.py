"""Member pages: list (filters, search, masking), detail, create, edit, deactivate/reactivate,
transfer. Each endpoint: the happy path, an illegal action, the outsider's 404, the history row."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from campaigns import services
from campaigns.models import Member, MemberTransfer, Organization
from tests.conftest import World, cast_id

LIST = reverse("campaigns:member_list")
CREATE = reverse("campaigns:member_create")


def url(name: str, member: Member) -> str:
    return reverse(f"campaigns:{name}", kwargs={"pk": member.pk})


def listed(response) -> set[str]:
    """Names of the members on a list page."""
    assert response.status_code == 200
    return {m.name for m in response.context["members"]}


def history(member: Member) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk)
        ).order_by("id")
    )


def new_member_data(world: World, **overrides) -> dict:
    birth = datetime.date(1993, 4, 5)
    data = {
        "name": "新党员",
        "gender": Member.Gender.FEMALE,
        "id_number": cast_id(birth, 902),
        "birth_date": birth.isoformat(),
        "phone": "13800009999",
        "branch": world.branch_a.pk,
        "status": Member.Status.PROBATIONARY,
        "joined_on": "2020-07-01",
        "post": "村文书",
    }
    data.update(overrides)
    return data


def edit_data(member: Member, **overrides) -> dict:
    data = {
        "name": member.name,
        "gender": member.gender,
        "id_number": member.id_number,
        "birth_date": member.birth_date.isoformat(),
        "phone": member.phone,
        "branch": member.branch_id,
        "status": member.status,
        "joined_on": member.joined_on.isoformat(),
        "post": member.post,
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_the_secretarys_members_and_the_mobile_member(world: World, client_as) -> None:
    names = listed(client_as("secretary_a").get(LIST))
    assert names == {"张明华", "李建国", "王晓红", "周自己", "钱流动"}


def test_list_filters(world: World, client_as) -> None:
    client = client_as("superior")
    assert listed(client.get(LIST, {"status": Member.Status.PROBATIONARY})) == {"李建国"}
    assert listed(client.get(LIST, {"mobile": "yes"})) == {"钱流动"}
    assert listed(client.get(LIST, {"level": Organization.Level.GROUP})) == {"王晓红"}
    assert listed(client.get(LIST, {"org": world.group_a.code})) == {"王晓红"}
    assert listed(client.get(LIST, {"org": world.branch_b.code})) == {"赵乙宝"}


def test_list_org_filter_outside_scope_is_404(world: World, client_as) -> None:
    response = client_as("secretary_a").get(LIST, {"org": world.branch_b.code})
    assert response.status_code == 404
    assert "赵乙宝" not in response.content.decode()


def test_list_search_by_name(world: World, client_as) -> None:
    assert listed(client_as("secretary_a").get(LIST, {"q": "明华"})) == {"张明华"}
    # A name outside the scope finds nothing.
    assert listed(client_as("secretary_a").get(LIST, {"q": "赵乙宝"})) == set()


def test_list_search_by_private_fields_only_where_they_are_visible(world: World, client_as) -> None:
    a1 = world.member_a1
    secretary = client_as("secretary_a")
    assert listed(secretary.get(LIST, {"q": a1.id_number})) == {a1.name}
    assert listed(secretary.get(LIST, {"q": a1.id_number.lower()})) == {a1.name}
    assert listed(secretary.get(LIST, {"q": a1.phone})) == {a1.name}
    # The leadership sees the member masked, so cannot confirm a guessed number by searching.
    leader = client_as("leader")
    assert listed(leader.get(LIST, {"q": a1.id_number})) == set()
    assert listed(leader.get(LIST, {"q": a1.phone})) == set()


def test_list_shows_full_id_number_to_secretary_and_masked_to_leader(
    world: World, client_as
) -> None:
    a1 = world.member_a1
    body = client_as("secretary_a").get(LIST).content.decode()
    assert a1.id_number in body

    body = client_as("leader").get(LIST).content.decode()
    assert a1.name in body
    assert a1.id_number not in body
    assert a1.phone not in body
    for member in Member.objects.all():
        assert member.id_number not in body
        assert member.phone not in body


def test_detail_shows_private_fields_to_secretary_and_masks_them_for_leader(
    world: World, client_as
) -> None:
    a1 = world.member_a1
    body = client_as("secretary_a").get(url("member_detail", a1)).content.decode()
    assert a1.id_number in body
    assert a1.phone in body

    response = client_as("leader", language="en").get(url("member_detail", a1))
    assert response.status_code == 200
    body = response.content.decode()
    assert a1.name in body
    assert a1.id_number not in body
    assert a1.masked_id_number in body
    assert a1.phone not in body
    assert "138****0001" in body
    assert a1.birth_date.isoformat() not in body
    assert "May 17, 1980" not in body
    assert str(a1.birth_date.year) in body


def test_detail_outsider_is_404(world: World, client_as) -> None:
    response = client_as("secretary_b").get(url("member_detail", world.member_a1))
    assert response.status_code == 404
    assert world.member_a1.name not in response.content.decode()


def test_outflow_secretary_sees_the_mobile_member(world: World, client_as) -> None:
    response = client_as("secretary_a").get(url("member_detail", world.mobile_member))
    assert response.status_code == 200
    assert world.mobile_member.name in response.content.decode()


def test_org_lookup_finds_organisations_citywide_but_no_members(world: World, client_as) -> None:
    # A mobile member's outflow organisation lies elsewhere by nature: the picker searches the
    # whole city, and shows organisation names and codes only.
    response = client_as("secretary_a").get(reverse("campaigns:member_org_lookup"), {"q": "丙社区"})
    assert response.status_code == 200
    body = response.content.decode()
    assert world.branch_c.code in body
    assert world.member_c1.name not in body
    assert world.mobile_member.name not in body


# --- create -------------------------------------------------------------------------------------


def test_create_member(world: World, client_as) -> None:
    data = new_member_data(world)
    response = client_as("secretary_a").post(CREATE, data)
    member = Member.objects.get(id_number=data["id_number"])
    assert response.status_code == 302
    assert response["Location"] == url("member_detail", member)
    assert member.branch == world.branch_a
    assert member.is_active
    assert [(e.action_flag, e.user.username) for e in history(member)] == [
        (ADDITION, "secretary_a")
    ]


def test_create_takes_the_birth_date_from_the_id_number(world: World, client_as) -> None:
    data = new_member_data(world, birth_date="")
    assert client_as("secretary_a").post(CREATE, data).status_code == 302
    assert Member.objects.get(id_number=data["id_number"]).birth_date == datetime.date(1993, 4, 5)


def test_create_normalises_a_lower_case_x(world: World, client_as) -> None:
    birth = datetime.date(1985, 6, 15)
    id_number = next(n for n in (cast_id(birth, s) for s in range(100, 1000)) if n.endswith("X"))
    data = new_member_data(world, id_number=id_number.lower(), birth_date=birth.isoformat())
    assert client_as("secretary_a").post(CREATE, data).status_code == 302
    assert Member.objects.filter(id_number=id_number).exists()


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("11010519930405123", "An ID number has 18 characters"),
        ("110101199302301234", "not a real date"),
        (None, "check digit is wrong"),
    ],
)
def test_create_with_bad_id_number_shows_the_message_and_writes_nothing(
    world: World, client_as, id_number: str | None, message: str
) -> None:
    data = new_member_data(world)
    if id_number is None:  # a mistyped check character
        good = data["id_number"]
        id_number = good[:17] + ("0" if good[17] != "0" else "1")
    data["id_number"] = id_number
    count = Member.objects.count()
    response = client_as("secretary_a", language="en").post(CREATE, data)
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
    assert message in response.content.decode()
    assert Member.objects.count() == count
    assert not LogEntry.objects.filter(action_flag=ADDITION).exists()


def test_create_with_a_taken_id_number_does_not_reveal_whose(world: World, client_as) -> None:
    other = world.member_b1  # outside secretary_a's scope
    data = new_member_data(
        world, id_number=other.id_number, birth_date=other.birth_date.isoformat()
    )
    count = Member.objects.count()
    response = client_as("secretary_a", language="en").post(CREATE, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "already registered" in body
    assert other.name not in body
    assert world.branch_b.name not in body
    assert Member.objects.count() == count


def test_create_with_birth_date_not_matching_the_id_number(world: World, client_as) -> None:
    data = new_member_data(world, birth_date="1993-04-06")
    response = client_as("secretary_a", language="en").post(CREATE, data)
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    assert not Member.objects.filter(id_number=data["id_number"]).exists()


def test_create_with_gender_not_matching_the_id_number(world: World, client_as) -> None:
    # cast_id(…, 902): the 17th digit is even, so the ID number belongs to a woman.
    data = new_member_data(world, gender=Member.Gender.MALE)
    response = client_as("secretary_a", language="en").post(CREATE, data)
    assert response.status_code == 200
    assert "gender" in response.context["form"].errors
    assert "differs from the one in the ID number (Female)" in response.content.decode()
    assert not Member.objects.filter(id_number=data["id_number"]).exists()


def test_edit_with_gender_not_matching_the_id_number_changes_nothing(
    world: World, client_as
) -> None:
    member = world.member_a1
    wrong = Member.Gender.FEMALE if member.gender == Member.Gender.MALE else Member.Gender.MALE
    response = client_as("secretary_a", language="en").post(
        url("member_edit", member), edit_data(member, gender=wrong)
    )
    assert response.status_code == 200
    assert "gender" in response.context["form"].errors
    member.refresh_from_db()
    assert member.gender != wrong


def test_create_attached_to_a_committee_is_refused(world: World, client_as) -> None:
    data = new_member_data(world, branch=world.committee_a.pk)
    response = client_as("superior", language="en").post(CREATE, data)
    assert response.status_code == 200
    assert "branch" in response.context["form"].errors
    assert not Member.objects.filter(id_number=data["id_number"]).exists()


def test_service_refuses_a_committee_as_branch_with_a_clear_message(world: World) -> None:
    birth = datetime.date(1993, 4, 5)
    with pytest.raises(ValidationError) as excinfo:
        services.member_create(
            actor=world.users["superior"],
            name="新党员",
            gender=Member.Gender.FEMALE,
            id_number=cast_id(birth, 903),
            birth_date=birth,
            phone="",
            branch=world.committee_a,
            status=Member.Status.FULL,
            joined_on=datetime.date(2020, 7, 1),
            post="",
        )
    assert "branch" in excinfo.value.message_dict


def test_create_in_a_branch_outside_scope_is_refused(world: World, client_as) -> None:
    data = new_member_data(world, branch=world.branch_a.pk)
    response = client_as("secretary_b", language="en").post(CREATE, data)
    assert response.status_code == 200
    assert "branch" in response.context["form"].errors
    assert not Member.objects.filter(id_number=data["id_number"]).exists()
    with pytest.raises(PermissionDenied):
        services.member_create(
            actor=world.users["secretary_b"],
            **{
                **new_member_data(world),
                "branch": world.branch_a,
                "birth_date": datetime.date(1993, 4, 5),
                "joined_on": datetime.date(2020, 7, 1),
            },
        )


def test_create_page_is_refused_to_the_leadership(world: World, client_as) -> None:
    assert client_as("leader").get(CREATE).status_code == 403
    assert client_as("leader").post(CREATE, new_member_data(world)).status_code == 403
    assert not Member.objects.filter(name="新党员").exists()


# --- edit ---------------------------------------------------------------------------------------


def test_edit_member(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a").post(
        url("member_edit", a1), edit_data(a1, post="村委会主任", phone="13811112222")
    )
    assert response.status_code == 302
    a1.refresh_from_db()
    assert (a1.post, a1.phone) == ("村委会主任", "13811112222")
    entries = history(a1)
    assert [(e.action_flag, e.user.username) for e in entries] == [(CHANGE, "secretary_a")]
    # The history says which fields changed, never their private values.
    assert "13811112222" not in entries[0].change_message


def test_edit_with_bad_phone_changes_nothing(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a", language="en").post(
        url("member_edit", a1), edit_data(a1, phone="12345")
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    a1.refresh_from_db()
    assert a1.phone == "13800000001"
    assert history(a1) == []


def test_edit_refused_to_leadership_and_404_for_outsider(world: World, client_as) -> None:
    a1 = world.member_a1
    assert (
        client_as("leader").post(url("member_edit", a1), edit_data(a1, post="X")).status_code == 403
    )
    assert (
        client_as("secretary_b").post(url("member_edit", a1), edit_data(a1, post="X")).status_code
        == 404
    )
    a1.refresh_from_db()
    assert a1.post == ""


def test_editing_the_branch_records_a_transfer(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("superior").post(
        url("member_edit", a1), edit_data(a1, branch=world.branch_b.pk)
    )
    assert response.status_code == 302
    a1.refresh_from_db()
    assert a1.branch == world.branch_b
    transfer = MemberTransfer.objects.get(member=a1)
    assert (transfer.from_branch, transfer.to_branch) == (world.branch_a, world.branch_b)


# --- deactivate / reactivate --------------------------------------------------------------------


def test_deactivate_with_reason_hides_from_default_list(world: World, client_as) -> None:
    a1 = world.member_a1
    client = client_as("secretary_a")
    assert client.get(url("member_deactivate", a1)).status_code == 200
    response = client.post(url("member_deactivate", a1), {"reason": "迁往外地，未办转接"})
    assert response.status_code == 302
    a1.refresh_from_db()
    assert not a1.is_active
    assert a1.deactivated_reason == "迁往外地，未办转接"
    assert a1.name not in listed(client.get(LIST))
    assert a1.name in listed(client.get(LIST, {"active": "no"}))
    assert a1.name in listed(client.get(LIST, {"active": "all"}))
    assert [e.action_flag for e in history(a1)] == [CHANGE]


def test_deactivate_without_reason_is_refused(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a", language="en").post(
        url("member_deactivate", a1), {"reason": "  "}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    a1.refresh_from_db()
    assert a1.is_active
    assert history(a1) == []


def test_deactivate_outsider_404_and_leader_403(world: World, client_as) -> None:
    a1 = world.member_a1
    assert (
        client_as("secretary_b").post(url("member_deactivate", a1), {"reason": "x"}).status_code
        == 404
    )
    assert (
        client_as("leader").post(url("member_deactivate", a1), {"reason": "x"}).status_code == 403
    )
    a1.refresh_from_db()
    assert a1.is_active


def test_reactivate(world: World, client_as) -> None:
    a1 = world.member_a1
    services.member_deactivate(member=a1, actor=world.users["secretary_a"], reason="外出")
    response = client_as("secretary_a").post(url("member_reactivate", a1))
    assert response.status_code == 302
    a1.refresh_from_db()
    assert a1.is_active
    assert a1.deactivated_reason == ""
    assert [e.action_flag for e in history(a1)] == [CHANGE, CHANGE]


def test_reactivate_an_active_member_changes_nothing(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a").post(url("member_reactivate", a1))
    assert response.status_code == 302
    assert history(a1) == []


def test_reactivate_outsider_404_and_leader_403(world: World, client_as) -> None:
    a1 = world.member_a1
    services.member_deactivate(member=a1, actor=world.users["secretary_a"], reason="外出")
    assert client_as("secretary_b").post(url("member_reactivate", a1)).status_code == 404
    assert client_as("leader").post(url("member_reactivate", a1)).status_code == 403
    a1.refresh_from_db()
    assert not a1.is_active


# --- transfer -----------------------------------------------------------------------------------


def test_transfer_moves_the_member_and_writes_a_transfer_row(world: World, client_as) -> None:
    a1 = world.member_a1
    client = client_as("secretary_a")
    assert client.get(url("member_transfer", a1)).status_code == 200
    response = client.post(
        url("member_transfer", a1), {"to_branch": world.branch_c.code, "reason": "工作调动"}
    )
    assert response.status_code == 302
    a1.refresh_from_db()
    assert a1.branch == world.branch_c
    transfer = MemberTransfer.objects.get(member=a1)
    assert transfer.from_branch == world.branch_a
    assert transfer.to_branch == world.branch_c
    assert transfer.actor == world.users["secretary_a"]
    assert transfer.reason == "工作调动"
    assert [e.action_flag for e in history(a1)] == [CHANGE]
    # The member left secretary A's scope: the page says so instead of a 404.
    assert response["Location"] == LIST
    assert client.get(url("member_detail", a1)).status_code == 404


def test_transfer_as_mobile_member_keeps_the_outflow_branch_in_charge(
    world: World, client_as
) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a").post(
        url("member_transfer", a1),
        {"to_branch": world.branch_c.code, "reason": "外出务工", "mark_mobile": "on"},
    )
    assert response.status_code == 302
    a1.refresh_from_db()
    assert (a1.branch, a1.outflow_organization) == (world.branch_c, world.branch_a)
    assert client_as("secretary_a").get(url("member_detail", a1)).status_code == 200


@pytest.mark.parametrize("target", ["committee_c", "branch_a"])
def test_transfer_to_a_committee_or_the_same_branch_is_refused(
    world: World, client_as, target: str
) -> None:
    a1 = world.member_a1
    response = client_as("superior", language="en").post(
        url("member_transfer", a1), {"to_branch": getattr(world, target).code, "reason": "调整"}
    )
    assert response.status_code == 200
    assert "to_branch" in response.context["form"].errors
    a1.refresh_from_db()
    assert a1.branch == world.branch_a
    assert not MemberTransfer.objects.exists()


def test_transfer_without_reason_is_refused(world: World, client_as) -> None:
    a1 = world.member_a1
    response = client_as("secretary_a", language="en").post(
        url("member_transfer", a1), {"to_branch": world.branch_b.code, "reason": ""}
    )
    assert response.status_code == 200
    assert not MemberTransfer.objects.exists()


def test_transfer_outsider_404_outflow_secretary_403(world: World, client_as) -> None:
    payload = {"to_branch": world.branch_b.code, "reason": "调整"}
    assert (
        client_as("secretary_b").post(url("member_transfer", world.member_a1), payload).status_code
        == 404
    )
    # The outflow branch assists with a mobile member but does not move them.
    assert (
        client_as("secretary_a")
        .post(url("member_transfer", world.mobile_member), payload)
        .status_code
        == 403
    )
    assert not MemberTransfer.objects.exists()
