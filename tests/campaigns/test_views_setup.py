"""Campaign set-up pages (the office): campaigns, phases, leadership, contact points and
inspection groups. Each endpoint: the happy path, an illegal action, the outsider, the history."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Phase,
    RoleAssignment,
)
from tests.conftest import World
from tests.factories import (
    CampaignFactory,
    LeadershipPositionFactory,
    RoleAssignmentFactory,
    UserFactory,
)

CREATE = reverse("campaigns:campaign_create")


def c_url(name: str, campaign: Campaign, **kwargs: Any) -> str:
    return reverse(f"campaigns:{name}", kwargs={"pk": campaign.pk, **kwargs})


def campaign_history(campaign: Campaign) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Campaign), object_id=str(campaign.pk)
        ).order_by("id")
    )


def campaign_data(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "2025年创先争优活动",
        "theme": "履职尽责促发展、推动跨越做贡献",
        "sub_theme": "我的岗位我负责、我的岗位请放心",
        "root_organization": world.city.pk,
        "start_date": "2025-07-01",
        "end_date": "2025-12-31",
        "status": Campaign.Status.PREPARING,
        "member_deed_min": 2,
        "member_deed_max": 3,
        "member_rectify_min": 1,
        "member_rectify_max": 2,
        "org_deed_min": 3,
        "org_deed_max": 5,
        "reminder_days_before": "7,1",
        "overdue_escalation_days": 7,
        "review_waiting_days": 5,
        "monthly_report_day": 5,
        "bulletin_day": 10,
        "flag_fulfilment_red_below": 40,
        "flag_fulfilment_amber_below": 60,
        "flag_overdue_red_above": 15,
    }
    data.update(overrides)
    return data


def phases_data(rows: list[dict[str, Any]], initial: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "phases-TOTAL_FORMS": len(rows),
        "phases-INITIAL_FORMS": initial,
        "phases-MIN_NUM_FORMS": 0,
        "phases-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"phases-{i}-{key}"] = value
    return data


def phase_row(phase: Phase, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": phase.pk,
        "order": phase.order,
        "name": phase.name,
        "kind": phase.kind,
        "start_date": phase.start_date.isoformat(),
        "end_date": phase.end_date.isoformat(),
        "description": phase.description,
    }
    row.update(overrides)
    return row


def positions_data(rows: list[dict[str, Any]], initial: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "positions-TOTAL_FORMS": len(rows),
        "positions-INITIAL_FORMS": initial,
        "positions-MIN_NUM_FORMS": 0,
        "positions-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"positions-{i}-{key}"] = value
    return data


def position_row(position: LeadershipPosition, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": position.pk,
        "body": position.body,
        "person_name": position.person_name,
        "title": position.title,
        "position": position.position,
        "username": position.user.username if position.user else "",
        "order": position.order,
    }
    row.update(overrides)
    return row


# --- campaigns ----------------------------------------------------------------------------------


def test_office_creates_a_campaign(world: World, client_as) -> None:
    client = client_as("office")
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, campaign_data(world))
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="2025年创先争优活动")
    assert response["Location"] == c_url("campaign_detail", campaign)
    assert campaign.root_organization == world.city
    assert [(e.action_flag, e.user.username) for e in campaign_history(campaign)] == [
        (ADDITION, "office")
    ]


def test_campaign_with_end_before_start_is_refused(world: World, client_as) -> None:
    response = client_as("office", language="en").post(
        CREATE, campaign_data(world, start_date="2025-07-01", end_date="2025-06-30")
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Campaign.objects.filter(name="2025年创先争优活动").exists()


def test_campaign_guidance_bounds_are_checked(world: World, client_as) -> None:
    response = client_as("office", language="en").post(
        CREATE, campaign_data(world, member_deed_min=4, member_deed_max=3)
    )
    assert response.status_code == 200
    assert "member_deed_max" in response.context["form"].errors
    assert not Campaign.objects.filter(name="2025年创先争优活动").exists()


def test_campaign_root_must_be_a_committee(world: World, client_as) -> None:
    response = client_as("office", language="en").post(
        CREATE, campaign_data(world, root_organization=world.branch_a.pk)
    )
    assert response.status_code == 200
    assert "root_organization" in response.context["form"].errors
    assert not Campaign.objects.filter(name="2025年创先争优活动").exists()


def test_campaign_set_up_is_office_only(world: World, client_as) -> None:
    for who in ("secretary_a", "superior", "leader", "inspector"):
        client = client_as(who)
        assert client.get(CREATE).status_code == 403, who
        assert client.post(CREATE, campaign_data(world)).status_code == 403, who
        assert client.get(c_url("campaign_edit", world.campaign)).status_code == 403, who
    assert not Campaign.objects.filter(name="2025年创先争优活动").exists()


def test_secretary_reads_the_city_campaign(world: World, client_as) -> None:
    response = client_as("secretary_a").get(c_url("campaign_detail", world.campaign))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.campaign.name in body
    assert "公开承诺" in body
    assert response.context["can_manage"] is False
    assert client_as("office").get(c_url("campaign_detail", world.campaign)).context["can_manage"]


def test_campaign_list_shows_visible_campaigns_only(world: World, client_as) -> None:
    other = CampaignFactory(name="丙镇专项活动", root_organization=world.committee_c)
    response = client_as("secretary_a").get(reverse("campaigns:campaign_list"))
    assert [c.name for c in response.context["campaigns"]] == [world.campaign.name]
    assert other.name not in response.content.decode()
    response = client_as("office").get(reverse("campaigns:campaign_list"))
    assert {c.name for c in response.context["campaigns"]} == {world.campaign.name, other.name}


def test_campaign_outside_scope_is_404(world: World, client_as) -> None:
    other = CampaignFactory(name="丙镇专项活动", root_organization=world.committee_c)
    for name in ("campaign_detail", "campaign_edit", "campaign_phases", "contact_point_list"):
        response = client_as("secretary_a").get(c_url(name, other))
        assert response.status_code == 404, name
        assert other.name not in response.content.decode()


def test_township_office_sees_the_city_campaign_but_cannot_change_it(
    world: World, client_as
) -> None:
    township_office = UserFactory(username="office_twn_a")
    RoleAssignmentFactory(
        user=township_office, organization=world.committee_a, role=RoleAssignment.Role.OFFICE
    )
    client = client_as("anonymous")
    client.force_login(township_office)
    assert client.get(c_url("campaign_detail", world.campaign)).status_code == 200
    assert client.get(c_url("campaign_edit", world.campaign)).status_code == 403
    # …and organises its own campaigns for its township.
    response = client.post(CREATE, campaign_data(world, root_organization=world.committee_a.pk))
    assert response.status_code == 302
    assert Campaign.objects.get(name="2025年创先争优活动").root_organization == world.committee_a


def test_office_edits_a_campaign(world: World, client_as) -> None:
    campaign = world.campaign
    data = campaign_data(
        world,
        name="2024年创先争优活动（修订）",
        start_date="2024-07-01",
        end_date="2024-12-31",
        status=Campaign.Status.ACTIVE,
    )
    response = client_as("office").post(c_url("campaign_edit", campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "2024年创先争优活动（修订）"
    assert [e.action_flag for e in campaign_history(campaign)] == [CHANGE]


def test_campaign_dates_must_still_hold_the_phases(world: World, client_as) -> None:
    campaign = world.campaign
    data = campaign_data(world, start_date="2024-08-01", end_date="2024-12-31")
    response = client_as("office", language="en").post(c_url("campaign_edit", campaign), data)
    assert response.status_code == 200
    assert "广泛发动" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.start_date == datetime.date(2024, 7, 1)
    assert campaign_history(campaign) == []


# --- phases -------------------------------------------------------------------------------------


def test_office_renames_one_phase_and_keeps_the_others(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [phase_row(p) for p in world.phases]
    rows[1]["name"] = "公开承诺（定诺审诺）"
    response = client_as("office").post(c_url("campaign_phases", campaign), phases_data(rows, 4))
    assert response.status_code == 302
    assert list(campaign.phases.order_by("order").values_list("name", flat=True)) == [
        "广泛发动",
        "公开承诺（定诺审诺）",
        "履行承诺",
        "考核评价",
    ]
    assert [e.action_flag for e in campaign_history(campaign)] == [CHANGE]


def test_office_adds_a_phase(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [phase_row(p) for p in world.phases]
    rows.append(
        {
            "id": "",
            "order": 5,
            "name": "总结表彰",
            "kind": Phase.Kind.SUMMARISE,
            "start_date": "2024-12-15",
            "end_date": "2024-12-31",
            "description": "",
        }
    )
    response = client_as("office").post(c_url("campaign_phases", campaign), phases_data(rows, 4))
    assert response.status_code == 302
    assert campaign.phases.count() == 5


def test_overlapping_phases_are_refused(world: World, client_as) -> None:
    campaign = world.campaign
    before = list(campaign.phases.order_by("order").values())
    rows = [phase_row(p) for p in world.phases]
    rows[2]["start_date"] = "2024-09-01"  # 履行承诺 now starts inside 公开承诺 (Aug 1 – Sep 15)
    response = client_as("office", language="en").post(
        c_url("campaign_phases", campaign), phases_data(rows, 4)
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
    assert list(campaign.phases.order_by("order").values()) == before
    assert campaign_history(campaign) == []


def test_phase_outside_the_campaign_is_refused(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [phase_row(p) for p in world.phases]
    rows[3]["end_date"] = "2025-01-15"
    response = client_as("office", language="en").post(
        c_url("campaign_phases", campaign), phases_data(rows, 4)
    )
    assert response.status_code == 200
    assert "after the campaign ends" in response.content.decode()
    assert campaign.phases.get(order=4).end_date == datetime.date(2024, 12, 10)


def test_phases_refused_to_secretary(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [phase_row(p, name="改") for p in world.phases]
    response = client_as("secretary_a").post(
        c_url("campaign_phases", campaign), phases_data(rows, 4)
    )
    assert response.status_code == 403
    assert not campaign.phases.filter(name="改").exists()


# --- leadership ---------------------------------------------------------------------------------


def test_office_adds_an_office_director(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [
        position_row(world.leadership_position),
        {
            "id": "",
            "body": LeadershipPosition.Body.OFFICE,
            "person_name": "吴主任",
            "title": "组织部副部长",
            "position": LeadershipPosition.Position.OFFICE_DIRECTOR,
            "username": "office",
            "order": 0,
        },
    ]
    response = client_as("office").post(
        c_url("campaign_leadership", campaign), positions_data(rows, 1)
    )
    assert response.status_code == 302
    assert set(campaign.positions.values_list("person_name", flat=True)) == {"陈领导", "吴主任"}
    assert campaign.positions.get(person_name="吴主任").user == world.users["office"]


def test_two_group_leaders_are_refused(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [
        position_row(world.leadership_position),
        {
            "id": "",
            "body": LeadershipPosition.Body.LEADERSHIP_GROUP,
            "person_name": "第二组长",
            "title": "",
            "position": LeadershipPosition.Position.LEADER,
            "username": "",
            "order": 1,
        },
    ]
    response = client_as("office", language="en").post(
        c_url("campaign_leadership", campaign), positions_data(rows, 1)
    )
    assert response.status_code == 200
    assert "one group leader" in response.content.decode()
    assert campaign.positions.count() == 1


def test_leader_of_a_contact_point_cannot_be_removed(world: World, client_as) -> None:
    campaign = world.campaign
    rows = [position_row(world.leadership_position, DELETE="on")]
    response = client_as("office", language="en").post(
        c_url("campaign_leadership", campaign), positions_data(rows, 1)
    )
    assert response.status_code == 200
    assert campaign.positions.filter(pk=world.leadership_position.pk).exists()
    assert ContactPoint.objects.filter(pk=world.contact_point.pk).exists()


# --- contact points -----------------------------------------------------------------------------


def test_office_adds_a_contact_point(world: World, client_as) -> None:
    campaign = world.campaign
    deputy = LeadershipPositionFactory(
        campaign=campaign,
        person_name="刘副组长",
        position=LeadershipPosition.Position.DEPUTY_LEADER,
    )
    response = client_as("office").post(
        c_url("contact_point_create", campaign),
        {"leader": deputy.pk, "organizations": "BR-B, BR-C", "note": "每季度走访"},
    )
    assert response.status_code == 302
    point = ContactPoint.objects.get(leader=deputy)
    assert {o.code for o in point.organizations.all()} == {"BR-B", "BR-C"}
    assert [e.action_flag for e in campaign_history(campaign)] == [CHANGE]


def test_contact_point_with_unknown_or_outside_codes_is_refused(world: World, client_as) -> None:
    campaign = CampaignFactory(name="甲镇活动", root_organization=world.committee_a)
    leader = LeadershipPositionFactory(campaign=campaign)
    response = client_as("office", language="en").post(
        c_url("contact_point_create", campaign),
        {"leader": leader.pk, "organizations": "BR-A\nBR-C\nNO-SUCH"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "BR-C" in body and "NO-SUCH" in body
    assert not ContactPoint.objects.filter(campaign=campaign).exists()


def test_a_leader_has_one_contact_point(world: World, client_as) -> None:
    campaign = world.campaign
    response = client_as("office", language="en").post(
        c_url("contact_point_create", campaign),
        {"leader": world.leadership_position.pk, "organizations": "BR-B"},
    )
    assert response.status_code == 200
    assert "already has a contact point" in response.content.decode()
    assert campaign.contact_points.count() == 1


def test_office_edits_and_deletes_a_contact_point(world: World, client_as) -> None:
    campaign, point = world.campaign, world.contact_point
    client = client_as("office")
    response = client.post(
        c_url("contact_point_edit", campaign, item=point.pk),
        {"leader": world.leadership_position.pk, "organizations": "BR-A BR-B", "note": "改"},
    )
    assert response.status_code == 302
    assert {o.code for o in point.organizations.all()} == {"BR-A", "BR-B"}
    assert client.get(c_url("contact_point_delete", campaign, item=point.pk)).status_code == 200
    response = client.post(c_url("contact_point_delete", campaign, item=point.pk))
    assert response.status_code == 302
    assert not ContactPoint.objects.filter(pk=point.pk).exists()
    assert LeadershipPosition.objects.filter(pk=world.leadership_position.pk).exists()


def test_contact_point_of_another_campaign_is_404(world: World, client_as) -> None:
    other = CampaignFactory(name="另一活动", root_organization=world.city)
    response = client_as("office").post(
        c_url("contact_point_delete", other, item=world.contact_point.pk)
    )
    assert response.status_code == 404
    assert ContactPoint.objects.filter(pk=world.contact_point.pk).exists()


def test_contact_points_read_by_all_staff_changed_by_office_only(world: World, client_as) -> None:
    campaign, point = world.campaign, world.contact_point
    response = client_as("secretary_b").get(c_url("contact_point_list", campaign))
    assert response.status_code == 200
    assert "陈领导" in response.content.decode()
    assert (
        client_as("leader").post(c_url("contact_point_delete", campaign, item=point.pk)).status_code
        == 403
    )
    assert ContactPoint.objects.filter(pk=point.pk).exists()


# --- inspection groups --------------------------------------------------------------------------


def inspection_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "第二督导检查组",
        "leader_name": "郑组长",
        "inspectors": "inspector",
        "organizations": "TWN-C",
    }
    data.update(overrides)
    return data


def test_office_creates_an_inspection_group(world: World, client_as) -> None:
    campaign = world.campaign
    response = client_as("office").post(
        c_url("inspection_group_create", campaign), inspection_data()
    )
    assert response.status_code == 302
    group = InspectionGroup.objects.get(campaign=campaign, name="第二督导检查组")
    assert [u.username for u in group.inspectors.all()] == ["inspector"]
    assert [o.code for o in group.organizations.all()] == ["TWN-C"]
    assert [e.action_flag for e in campaign_history(campaign)] == [CHANGE]


def test_inspection_group_name_is_unique_in_the_campaign(world: World, client_as) -> None:
    campaign = world.campaign
    response = client_as("office", language="en").post(
        c_url("inspection_group_create", campaign), inspection_data(name=" 第一督导检查组 ")
    )
    assert response.status_code == 200
    assert "already has an inspection group" in response.content.decode()
    assert campaign.inspection_groups.count() == 1
    # The same name in another campaign is fine.
    other = CampaignFactory(name="另一活动", root_organization=world.city)
    response = client_as("office").post(
        c_url("inspection_group_create", other), inspection_data(name="第一督导检查组")
    )
    assert response.status_code == 302


def test_inspection_group_rename_to_a_taken_name_is_refused(world: World, client_as) -> None:
    campaign = world.campaign
    second = InspectionGroup.objects.create(campaign=campaign, name="第二督导检查组")
    second.organizations.set([world.committee_c])
    response = client_as("office", language="en").post(
        c_url("inspection_group_edit", campaign, item=second.pk),
        inspection_data(name="第一督导检查组"),
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.name == "第二督导检查组"


def test_inspection_group_with_unknown_inspector_or_disabled_login_is_refused(
    world: World, client_as
) -> None:
    campaign = world.campaign
    client = client_as("office", language="en")
    response = client.post(
        c_url("inspection_group_create", campaign), inspection_data(inspectors="ghost")
    )
    assert response.status_code == 200
    assert "ghost" in response.content.decode()
    response = client.post(
        c_url("inspection_group_create", campaign), inspection_data(inspectors="inactive")
    )
    assert response.status_code == 200
    assert not campaign.inspection_groups.filter(name="第二督导检查组").exists()


def test_office_edits_and_deletes_an_inspection_group(world: World, client_as) -> None:
    campaign, group = world.campaign, world.inspection_group
    client = client_as("office")
    response = client.post(
        c_url("inspection_group_edit", campaign, item=group.pk),
        inspection_data(name="第一督导检查组", organizations="TWN-A TWN-C"),
    )
    assert response.status_code == 302
    assert {o.code for o in group.organizations.all()} == {"TWN-A", "TWN-C"}
    response = client.post(c_url("inspection_group_delete", campaign, item=group.pk))
    assert response.status_code == 302
    assert not InspectionGroup.objects.filter(pk=group.pk).exists()


def test_inspection_groups_changed_by_office_only(world: World, client_as) -> None:
    campaign, group = world.campaign, world.inspection_group
    for who in ("secretary_a", "superior", "leader", "inspector"):
        client = client_as(who)
        assert (
            client.post(c_url("inspection_group_create", campaign), inspection_data()).status_code
            == 403
        )
        assert (
            client.post(c_url("inspection_group_delete", campaign, item=group.pk)).status_code
            == 403
        )
    assert list(campaign.inspection_groups.values_list("name", flat=True)) == ["第一督导检查组"]
    response = client_as("inspector").get(c_url("inspection_group_list", campaign))
    assert response.status_code == 200
    assert "第一督导检查组" in response.content.decode()


def test_office_sets_the_supervision_settings(world: World, client_as) -> None:
    campaign = world.campaign
    data = campaign_data(
        world,
        name=campaign.name,
        start_date=campaign.start_date.isoformat(),
        end_date=campaign.end_date.isoformat(),
        reminder_days_before="10, 3,1",
        overdue_escalation_days=14,
    )
    response = client_as("office").post(
        reverse("campaigns:campaign_edit", args=[campaign.pk]), data
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.reminder_days() == [10, 3, 1]
    assert campaign.overdue_escalation_days == 14


def test_bad_supervision_settings_are_refused(world: World, client_as) -> None:
    campaign = world.campaign
    before = Campaign.objects.filter(pk=campaign.pk).values().get()
    data = campaign_data(
        world,
        name=campaign.name,
        reminder_days_before="七天",
        flag_fulfilment_red_below=70,
        flag_fulfilment_amber_below=60,
    )
    response = client_as("office", language="en").post(
        reverse("campaigns:campaign_edit", args=[campaign.pk]), data
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "reminder_days_before" in form.errors
    assert "flag_fulfilment_amber_below" in form.errors
    assert Campaign.objects.filter(pk=campaign.pk).values().get() == before
