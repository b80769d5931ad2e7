"""Authoring and fulfilment pages (定诺, 践诺): the pledge list, the pledge page, create and edit,
submit/recall/resubmit/withdraw, the journal with attachments, mark fulfilled, the self-report,
adjustment requests, the branch page with quick entry and "submit all drafts", and the home
page's "what is due" panel.

Each endpoint: the happy path, an illegal action (refused, nothing changed), the outsider's
404, and the history row written. Messages are read in English (``language="en"``).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Member
from pledges import services
from pledges.models import (
    Attachment,
    Evaluation,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)
from tests.conftest import World
from tests.factories import MemberFactory
from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory, in_days

S = Pledge.Status
A = PledgeHistory.Action
LIST = reverse("pledges:pledge_list")
CREATE = reverse("pledges:pledge_create")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def url(name: str, pledge: Pledge) -> str:
    return reverse(f"pledges:{name}", kwargs={"pk": pledge.pk})


def branch_url(name: str, world: World, code: str | None = None) -> str:
    return reverse(f"pledges:{name}", kwargs={"code": code or world.branch_a.code})


def snapshot(pledge: Pledge) -> tuple:
    """The row, its history, journal and adjustments: to prove a refusal changed nothing."""
    return (
        Pledge.objects.filter(pk=pledge.pk).values().get(),
        list(PledgeHistory.objects.filter(pledge=pledge).values_list("pk", flat=True)),
        FulfilmentEntry.objects.filter(pledge=pledge).count(),
        PledgeAdjustment.objects.filter(pledge=pledge).count(),
    )


def actions(pledge: Pledge) -> list[str]:
    return list(
        PledgeHistory.objects.filter(pledge=pledge).order_by("id").values_list("action", flat=True)
    )


def a1_pledge(world: World, **kwargs) -> Pledge:
    """A member pledge of 张明华 (branch A, no login), written by secretary_a."""
    return PledgeFactory(
        campaign=world.campaign,
        owner_member=world.member_a1,
        author=world.users["secretary_a"],
        **kwargs,
    )


def member_in(branch) -> Member:
    # A fixed joining date: the factory's "birth date + 25 years" fails on 29 February.
    return MemberFactory(branch=branch, joined_on=datetime.date(2010, 7, 1))


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {p.content for p in response.context["pledges"]}


def followed_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_the_scope_and_not_the_sibling_branch(world: World, client_as) -> None:
    a1_pledge(world, content="甲村的承诺")
    PledgeFactory(campaign=world.campaign, owner_member=world.member_b1, content="乙村的承诺")
    assert listed(client_as("secretary_a").get(LIST)) == {"甲村的承诺"}
    assert listed(client_as("secretary_b").get(LIST)) == {"乙村的承诺"}
    assert listed(client_as("superior").get(LIST)) == {"甲村的承诺", "乙村的承诺"}


def test_member_without_role_sees_only_own_pledges(world: World, client_as, make_pledge) -> None:
    make_pledge("member", content="我自己的承诺")
    a1_pledge(world, content="别人的承诺")
    response = client_as("member_user", language="en").get(LIST)
    assert listed(response) == {"我自己的承诺"}
    assert "My pledges" in response.content.decode()


def test_list_needs_a_role_or_a_member_record(world: World, client_as) -> None:
    from tests.factories import UserFactory

    client = client_as("anonymous")
    client.force_login(UserFactory(username="nobody"))
    assert client.get(LIST).status_code == 403
    assert client_as("anonymous").get(LIST).status_code == 302


def test_list_filters(world: World, client_as, make_pledge) -> None:
    today = timezone.localdate()
    a1_pledge(world, content="草稿实事")
    a1_pledge(world, content="整改已公示", kind=Pledge.Kind.RECTIFY, status=S.PUBLISHED)
    a1_pledge(
        world, content="逾期的", status=S.PUBLISHED, deadline=today - datetime.timedelta(days=3)
    )
    a1_pledge(
        world, content="快到期", status=S.PUBLISHED, deadline=today + datetime.timedelta(days=5)
    )
    make_pledge("branch", content="支部的承诺", term=Pledge.Term.LONG)
    PledgeFactory(campaign=world.campaign, owner_member=world.member_group_a, content="小组的承诺")
    client = client_as("superior")
    assert listed(client.get(LIST, {"kind": "rectify"})) == {"整改已公示"}
    assert listed(client.get(LIST, {"term": "long"})) == {"支部的承诺"}
    assert listed(client.get(LIST, {"overdue": "yes"})) == {"逾期的"}
    assert "逾期的" not in listed(client.get(LIST, {"overdue": "no"}))
    assert listed(client.get(LIST, {"due": "soon"})) == {"快到期"}
    assert listed(client.get(LIST, {"status": "published", "overdue": "no"})) == {
        "整改已公示",
        "快到期",
    }
    assert listed(client.get(LIST, {"owner": "organization"})) == {"支部的承诺"}
    assert "支部的承诺" not in listed(client.get(LIST, {"owner": "member"}))
    assert listed(client.get(LIST, {"org": world.group_a.code})) == {"小组的承诺"}
    assert listed(client.get(LIST, {"q": "张明华", "kind": "rectify"})) == {"整改已公示"}
    assert listed(client.get(LIST, {"q": "快到"})) == {"快到期"}
    assert listed(client.get(LIST, {"q": "甲村党支部"})) == {"支部的承诺"}
    # An invalid value drops that filter only.
    assert listed(client.get(LIST, {"kind": "nonsense", "q": "快到"})) == {"快到期"}


def test_list_campaign_and_phase_filters(world: World, client_as) -> None:
    # Phase 履行承诺 runs 2024-09-16 → 2024-11-15: a pledge falls in it by its deadline.
    fulfil_phase = world.phases[2]
    a1_pledge(world, content="期内", deadline=datetime.date(2024, 10, 1))
    a1_pledge(world, content="期外", deadline=datetime.date(2025, 3, 1))
    other = Campaign.objects.create(
        name="另一个活动",
        theme="主题",
        root_organization=world.city,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
        status=Campaign.Status.ACTIVE,
    )
    PledgeFactory(campaign=other, owner_member=world.member_a1, content="另一个活动的")
    client = client_as("secretary_a")
    assert listed(client.get(LIST, {"phase": fulfil_phase.pk})) == {"期内"}
    assert listed(client.get(LIST, {"campaign": other.pk})) == {"另一个活动的"}


def test_list_phase_takes_drafts_without_deadline_by_creation(world: World, client_as) -> None:
    pledge = a1_pledge(world, content="无期限草稿", deadline=None)
    Pledge.objects.filter(pk=pledge.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2024, 8, 10, 9, 0))
    )
    client = client_as("secretary_a")
    assert listed(client.get(LIST, {"phase": world.phases[1].pk})) == {"无期限草稿"}
    assert listed(client.get(LIST, {"phase": world.phases[2].pk})) == set()


def test_list_org_outside_scope_is_404(world: World, client_as) -> None:
    PledgeFactory(campaign=world.campaign, owner_member=world.member_b1, content="乙村的承诺")
    response = client_as("secretary_a").get(LIST, {"org": world.branch_b.code})
    assert response.status_code == 404
    assert "乙村的承诺" not in response.content.decode()


def test_list_flags_overdue_everywhere(world: World, client_as) -> None:
    a1_pledge(world, status=S.PUBLISHED, deadline=timezone.localdate() - datetime.timedelta(days=1))
    body = client_as("secretary_a", language="en").get(LIST).content.decode()
    # Once in the table, once in the phone cards.
    assert body.count("pledge-overdue") == 2


def test_list_queries_do_not_grow_with_the_page(world: World, client_as) -> None:
    def count() -> int:
        client = client_as("superior")
        client.get(LIST)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    a1_pledge(world)
    few = count()
    for i in range(15):
        member = member_in(world.branch_b if i % 2 else world.group_a)
        pledge = PledgeFactory(campaign=world.campaign, owner_member=member, status=S.PUBLISHED)
        FulfilmentEntryFactory(pledge=pledge, progress=i)
    assert count() == few


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_content_history_and_journal(world: World, client_as, reasons) -> None:
    secretary = world.users["secretary_a"]
    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=secretary,
        owner_member=world.member_a1,
        kind=Pledge.Kind.RECTIFY,
        term=Pledge.Term.ANNUAL,
        content="改正开会迟到",
        deadline=in_days(30),
        expected_effect="准时参会",
        measures="提前十分钟到场",
    )
    services.pledge_submit(pledge=pledge, actor=secretary)
    services.pledge_return(
        pledge=pledge, actor=world.users["superior"], reasons=reasons[:1], comment="写具体些"
    )
    response = client_as("secretary_a", language="en").get(url("pledge_detail", pledge))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("改正开会迟到", "准时参会", "提前十分钟到场", "写具体些", reasons[0].text):
        assert text in body
    assert [row.action for row in response.context["history"]] == [A.CREATE, A.SUBMIT, A.RETURN]
    assert "Returned for revision by" in body
    # The author may revise and resubmit; buttons of other areas are not offered to her.
    assert reverse("pledges:pledge_edit", args=[pledge.pk]) in body
    assert reverse("pledges:pledge_resubmit", args=[pledge.pk]) in body


def test_detail_journal_with_attachments(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    services.fulfilment_entry_add(
        pledge=pledge,
        actor=world.users["secretary_a"],
        date=timezone.localdate(),
        text="走访三户",
        progress=30,
        files=[SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("记录.pdf", b"%PDF-1.4 x")],
    )
    body = client_as("leader", language="en").get(url("pledge_detail", pledge)).content.decode()
    photo, document = Attachment.objects.order_by("id")
    assert "走访三户" in body
    assert reverse("pledges:attachment", args=[photo.pk]) in body
    assert reverse("pledges:attachment", args=[document.pk]) in body
    assert "/media/" not in body  # never the storage's own URL


def test_detail_outsiders_get_404(world: World, client_as) -> None:
    pledge = a1_pledge(world, content="甲村的秘密承诺")
    for who in ("secretary_b", "member_user"):
        response = client_as(who).get(url("pledge_detail", pledge))
        assert response.status_code == 404
        assert "甲村的秘密承诺" not in response.content.decode()


def test_detail_buttons_follow_allowed_actions(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    FulfilmentEntryFactory(pledge=pledge)
    owner = client_as("member_user", language="en").get(url("pledge_detail", pledge))
    body = owner.content.decode()
    assert reverse("pledges:entry_add", args=[pledge.pk]) in body
    # The owner may ask, not mark fulfilled; nor withdraw.
    assert reverse("pledges:pledge_mark_fulfilled", args=[pledge.pk]) not in body
    assert reverse("pledges:pledge_withdraw", args=[pledge.pk]) not in body
    assert "ask your branch committee" in body
    secretary = client_as("secretary_a").get(url("pledge_detail", pledge)).content.decode()
    assert reverse("pledges:pledge_mark_fulfilled", args=[pledge.pk]) in secretary
    assert reverse("pledges:pledge_withdraw", args=[pledge.pk]) in secretary
    leader = client_as("leader").get(url("pledge_detail", pledge)).content.decode()
    assert reverse("pledges:entry_add", args=[pledge.pk]) not in leader


# --- attachments --------------------------------------------------------------------------------


def _entry_with_files(world: World, pledge: Pledge) -> tuple[Attachment, Attachment]:
    services.fulfilment_entry_add(
        pledge=pledge,
        actor=world.users["secretary_a"],
        date=timezone.localdate(),
        text="记录",
        progress=10,
        files=[SimpleUploadedFile("照片.png", PNG), SimpleUploadedFile("台账.pdf", b"%PDF-1.4 x")],
    )
    photo, document = Attachment.objects.filter(entry__pledge=pledge).order_by("id")
    return photo, document


def test_attachment_streams_the_file_to_people_in_scope(world: World, client_as) -> None:
    photo, document = _entry_with_files(world, a1_pledge(world, status=S.PUBLISHED))
    response = client_as("secretary_a").get(reverse("pledges:attachment", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG
    response = client_as("inspector").get(reverse("pledges:attachment", args=[document.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")


def test_attachment_outside_scope_is_404(world: World, client_as) -> None:
    photo, _document = _entry_with_files(world, a1_pledge(world, status=S.PUBLISHED))
    for who in ("secretary_b", "member_user"):
        assert client_as(who).get(reverse("pledges:attachment", args=[photo.pk])).status_code == 404
    assert (
        client_as("anonymous").get(reverse("pledges:attachment", args=[photo.pk])).status_code
        == 302
    )


# --- create -------------------------------------------------------------------------------------


def _content(**overrides) -> dict:
    data = {
        "kind": "deed",
        "term": "annual",
        "content": "为孤寡老人送温暖",
        "deadline": in_days(30).isoformat(),
        "expected_effect": "老人过上好年",
        "measures": "",
    }
    data.update(overrides)
    return data


def test_member_drafts_own_pledge(world: World, client_as) -> None:
    client = client_as("member_user")
    page = client.get(CREATE)
    assert page.status_code == 200
    assert page.context["owner_member"] == world.member_self
    response = client.post(CREATE, {"campaign": world.campaign.pk, **_content()})
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("pledge_detail", pledge)
    assert (pledge.owner_member, pledge.author, pledge.status) == (
        world.member_self,
        world.users["member_user"],
        S.DRAFT,
    )
    assert actions(pledge) == [A.CREATE]


def test_secretary_creates_and_submits_for_a_member(world: World, client_as) -> None:
    client = client_as("secretary_a", language="en")
    response = client.post(
        f"{CREATE}?member={world.member_a1.pk}",
        {"campaign": world.campaign.pk, "submit": "1", **_content()},
        follow=True,
    )
    pledge = Pledge.objects.get()
    assert pledge.status == S.SUBMITTED
    assert actions(pledge) == [A.CREATE, A.SUBMIT]
    assert "The pledge has been submitted for review." in followed_messages(response)


def test_create_for_the_organisation(world: World, client_as) -> None:
    client = client_as("secretary_a")
    client.post(
        f"{CREATE}?org={world.branch_a.code}", {"campaign": world.campaign.pk, **_content()}
    )
    pledge = Pledge.objects.get()
    assert (pledge.owner_organization, pledge.owner_member) == (world.branch_a, None)


def test_incomplete_draft_is_saved_but_not_submitted(world: World, client_as) -> None:
    response = client_as("secretary_a", language="en").post(
        f"{CREATE}?member={world.member_a1.pk}",
        {"campaign": world.campaign.pk, "submit": "1", **_content(deadline="", expected_effect="")},
        follow=True,
    )
    pledge = Pledge.objects.get()
    assert pledge.status == S.DRAFT
    assert any("saved but not submitted" in m for m in followed_messages(response))


def test_create_rectification_needs_measures(world: World, client_as) -> None:
    response = client_as("secretary_a", language="en").post(
        f"{CREATE}?member={world.member_a1.pk}",
        {"campaign": world.campaign.pk, **_content(kind="rectify")},
    )
    assert response.status_code == 200
    assert "measures" in response.context["form"].errors
    assert not Pledge.objects.exists()


def test_create_refused_by_the_service_shows_the_reason(world: World, client_as) -> None:
    Campaign.objects.filter(pk=world.campaign.pk).update(status=Campaign.Status.PREPARING)
    world.phases[1].start_date = in_days(10)
    world.phases[1].save()
    response = client_as("secretary_a", language="en").post(
        f"{CREATE}?member={world.member_a1.pk}", {"campaign": world.campaign.pk, **_content()}
    )
    assert response.status_code == 200
    assert "pledge phase has started" in str(response.context["form"].non_field_errors())
    assert not Pledge.objects.exists()


def test_create_outsiders_and_readers_are_refused(world: World, client_as) -> None:
    target = f"{CREATE}?member={world.member_a1.pk}"
    data = {"campaign": world.campaign.pk, **_content()}
    assert client_as("secretary_b").post(target, data).status_code == 404
    assert client_as("member_user").post(target, data).status_code == 404
    assert client_as("leader").post(target, data).status_code == 403
    assert client_as("office").get(target).status_code == 403
    assert not Pledge.objects.exists()


def test_owner_chooser_searches_the_committee_scope(world: World, client_as) -> None:
    response = client_as("secretary_a").get(CREATE, {"q": "张"})
    assert response.status_code == 200
    assert [m.name for m in response.context["members"]] == ["张明华"]
    assert client_as("secretary_a").get(CREATE, {"q": "赵乙宝"}).context["members"] == []


# --- edit, submit, resubmit, recall ---------------------------------------------------------------


def test_edit_a_draft(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    response = client_as("secretary_a").post(
        url("pledge_edit", pledge), _content(content="改过的内容")
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.content == "改过的内容"
    assert actions(pledge) == [A.EDIT]


def test_edit_unchanged_writes_no_history(world: World, client_as) -> None:
    pledge = a1_pledge(world, deadline=in_days(30), expected_effect="老人过上好年")
    client_as("secretary_a").post(url("pledge_edit", pledge), _content(content=pledge.content))
    assert actions(pledge) == []


def test_returned_pledge_shows_the_reasons_and_resubmits(world: World, client_as, reasons) -> None:
    pledge = a1_pledge(world, status=S.SUBMITTED)
    services.pledge_return(
        pledge=pledge, actor=world.users["superior"], reasons=reasons[1:3], comment="时限太长"
    )
    client = client_as("secretary_a", language="en")
    page = client.get(url("pledge_edit", pledge)).content.decode()
    assert "时限太长" in page and reasons[1].text in page and reasons[2].text in page
    assert "Save and resubmit" in page
    client.post(
        url("pledge_edit", pledge), {**_content(deadline=in_days(10).isoformat()), "submit": "1"}
    )
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    assert actions(pledge)[-2:] == [A.EDIT, A.RESUBMIT]


def test_edit_of_a_published_pledge_is_refused(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    before = snapshot(pledge)
    client = client_as("secretary_a", language="en")
    response = client.get(url("pledge_edit", pledge), follow=True)
    assert response.redirect_chain[-1][0] == url("pledge_detail", pledge)
    assert any("is not possible while" in m for m in followed_messages(response))
    client.post(url("pledge_edit", pledge), _content(content="偷偷改"))
    assert snapshot(pledge) == before


def test_edit_outsider_404_and_reader_403(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    before = snapshot(pledge)
    assert client_as("secretary_b").post(url("pledge_edit", pledge), _content()).status_code == 404
    assert client_as("leader").post(url("pledge_edit", pledge), _content()).status_code == 403
    assert snapshot(pledge) == before


def test_submit_recall_resubmit(world: World, client_as, reasons) -> None:
    pledge = a1_pledge(world)
    client = client_as("secretary_a")
    assert client.post(url("pledge_submit", pledge)).status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    client.post(url("pledge_recall", pledge))
    pledge.refresh_from_db()
    assert pledge.status == S.DRAFT
    client.post(url("pledge_submit", pledge))
    services.pledge_return(
        pledge=pledge, actor=world.users["superior"], reasons=reasons[:1], comment="再想想"
    )
    client.post(url("pledge_resubmit", pledge))
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    assert actions(pledge) == [A.SUBMIT, A.RECALL, A.SUBMIT, A.RETURN, A.RESUBMIT]


def test_submit_incomplete_is_refused_with_the_reason(world: World, client_as) -> None:
    pledge = a1_pledge(world, deadline=None)
    before = snapshot(pledge)
    response = client_as("secretary_a", language="en").post(
        url("pledge_submit", pledge), follow=True
    )
    assert any(m.startswith("Complete the pledge") for m in followed_messages(response))
    assert snapshot(pledge) == before


def test_recall_only_by_the_author(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.SUBMITTED)
    before = snapshot(pledge)
    assert client_as("superior").post(url("pledge_recall", pledge)).status_code == 403
    assert client_as("secretary_b").post(url("pledge_recall", pledge)).status_code == 404
    assert snapshot(pledge) == before


def test_submit_needs_post(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    assert client_as("secretary_a").get(url("pledge_submit", pledge)).status_code == 405


# --- withdraw -----------------------------------------------------------------------------------


def test_withdraw_with_a_reason(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    client = client_as("superior", language="en")
    assert client.get(url("pledge_withdraw", pledge)).status_code == 200
    empty = client.post(url("pledge_withdraw", pledge), {"reason": ""})
    assert empty.status_code == 200 and "reason" in empty.context["form"].errors
    client.post(url("pledge_withdraw", pledge), {"reason": "该党员已调离"})
    pledge.refresh_from_db()
    assert (pledge.status, pledge.withdrawal_reason) == (S.WITHDRAWN, "该党员已调离")
    history = PledgeHistory.objects.filter(pledge=pledge).get()
    assert (history.action, history.comment, history.actor) == (
        A.WITHDRAW,
        "该党员已调离",
        world.users["superior"],
    )


def test_withdraw_refused_for_owner_and_readers(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    before = snapshot(pledge)
    assert client_as("member_user").get(url("pledge_withdraw", pledge)).status_code == 403
    assert (
        client_as("member_user").post(url("pledge_withdraw", pledge), {"reason": "x"}).status_code
        == 403
    )
    assert (
        client_as("leader").post(url("pledge_withdraw", pledge), {"reason": "x"}).status_code == 403
    )
    assert (
        client_as("secretary_b").post(url("pledge_withdraw", pledge), {"reason": "x"}).status_code
        == 404
    )
    assert snapshot(pledge) == before


# --- the journal ----------------------------------------------------------------------------------


def test_member_adds_a_journal_entry_with_photos(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    client = client_as("member_user")
    page = client.get(url("entry_add", pledge))
    assert page.status_code == 200
    response = client.post(
        url("entry_add", pledge),
        {
            "date": timezone.localdate().isoformat(),
            "text": "给三户老人送米面油",
            "progress": 40,
            "files": [SimpleUploadedFile("一.png", PNG), SimpleUploadedFile("二.png", PNG)],
        },
    )
    assert response.status_code == 302
    entry = FulfilmentEntry.objects.get(pledge=pledge)
    assert (entry.text, entry.progress, entry.author) == (
        "给三户老人送米面油",
        40,
        world.users["member_user"],
    )
    assert sorted(a.original_name for a in entry.attachments.all()) == ["一.png", "二.png"]
    assert actions(pledge) == [A.ADD_ENTRY]


def test_journal_entry_rejects_future_dates_and_bad_files(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    before = snapshot(pledge)
    client = client_as("secretary_a", language="en")
    future = client.post(
        url("entry_add", pledge),
        {"date": in_days(2).isoformat(), "text": "还没发生", "progress": 10},
    )
    assert "date" in future.context["form"].errors
    renamed = client.post(
        url("entry_add", pledge),
        {
            "date": timezone.localdate().isoformat(),
            "text": "附件是假的",
            "progress": 10,
            "files": [SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a photo")],
        },
    )
    errors = " ".join(renamed.context["form"].errors["files"])
    assert "does not contain what its name says" in errors
    wrong_type = client.post(
        url("entry_add", pledge),
        {
            "date": timezone.localdate().isoformat(),
            "text": "附件类型不对",
            "progress": 10,
            "files": [SimpleUploadedFile("run.exe", b"MZ")],
        },
    )
    assert "is not an accepted file type" in " ".join(wrong_type.context["form"].errors["files"])
    assert snapshot(pledge) == before
    assert not Attachment.objects.exists()


def test_journal_entry_on_a_draft_is_refused(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    before = snapshot(pledge)
    client = client_as("secretary_a")
    assert client.get(url("entry_add", pledge)).status_code == 302
    client.post(
        url("entry_add", pledge),
        {"date": timezone.localdate().isoformat(), "text": "x", "progress": 1},
    )
    assert snapshot(pledge) == before
    assert client_as("secretary_b").get(url("entry_add", pledge)).status_code == 404


# --- mark fulfilled -------------------------------------------------------------------------------


def test_mark_fulfilled_needs_a_journal_entry(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    before = snapshot(pledge)
    client = client_as("secretary_a", language="en")
    response = client.post(url("pledge_mark_fulfilled", pledge), follow=True)
    assert any("at least one fulfilment record" in m for m in followed_messages(response))
    assert snapshot(pledge) == before
    FulfilmentEntryFactory(pledge=pledge)
    client.post(url("pledge_mark_fulfilled", pledge))
    pledge.refresh_from_db()
    assert pledge.status == S.FULFILLED
    assert actions(pledge) == [A.MARK_FULFILLED]


def test_owner_cannot_mark_own_pledge_fulfilled(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    FulfilmentEntryFactory(pledge=pledge)
    before = snapshot(pledge)
    assert client_as("member_user").post(url("pledge_mark_fulfilled", pledge)).status_code == 403
    assert client_as("secretary_b").post(url("pledge_mark_fulfilled", pledge)).status_code == 404
    assert snapshot(pledge) == before


# --- self-report ----------------------------------------------------------------------------------


def test_owner_writes_the_self_report(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.FULFILLED)
    client = client_as("member_user")
    assert client.get(url("self_report", pledge)).status_code == 200
    client.post(url("self_report", pledge), {"text": "一年来按期兑现了承诺"})
    assert Evaluation.objects.get(pledge=pledge).self_report == "一年来按期兑现了承诺"
    assert actions(pledge) == [A.RECORD_SELF_REPORT]
    # Editing shows the stored text.
    assert "一年来按期兑现了承诺" in client.get(url("self_report", pledge)).content.decode()


def test_self_report_refused_for_drafts_readers_and_outsiders(world: World, client_as) -> None:
    draft = a1_pledge(world)
    assert client_as("secretary_a").get(url("self_report", draft)).status_code == 302
    published = a1_pledge(world, status=S.PUBLISHED)
    before = snapshot(published)
    assert client_as("leader").post(url("self_report", published), {"text": "x"}).status_code == 403
    assert (
        client_as("secretary_b").post(url("self_report", published), {"text": "x"}).status_code
        == 404
    )
    assert snapshot(published) == before
    assert not Evaluation.objects.exists()


# --- adjustment requests --------------------------------------------------------------------------


def _adjustment(**overrides) -> dict:
    data = {
        "content": "调整后的承诺",
        "deadline": in_days(90).isoformat(),
        "expected_effect": "调整后的效果",
        "reason": "上级部署调整",
    }
    data.update(overrides)
    return data


def test_request_an_adjustment(world: World, client_as, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    client = client_as("member_user", language="en")
    page = client.get(url("adjustment_request", pledge))
    assert page.context["form"].initial["content"] == pledge.content
    client.post(url("adjustment_request", pledge), _adjustment())
    adjustment = PledgeAdjustment.objects.get(pledge=pledge)
    assert (adjustment.status, adjustment.content) == (
        PledgeAdjustment.Status.PENDING,
        "调整后的承诺",
    )
    pledge.refresh_from_db()
    assert pledge.content != "调整后的承诺"  # the published text stays until approved
    assert actions(pledge) == [A.REQUEST_ADJUSTMENT]
    # A second request while one is pending is refused on the form.
    again = client.post(url("adjustment_request", pledge), _adjustment(content="再改"))
    assert "awaiting review" in str(again.context["form"].non_field_errors())
    assert PledgeAdjustment.objects.filter(pledge=pledge).count() == 1
    # The pledge page shows the pending adjustment.
    assert "调整后的承诺" in client.get(url("pledge_detail", pledge)).content.decode()


def test_adjustment_of_a_rectification_needs_measures(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED, kind=Pledge.Kind.RECTIFY, measures="原措施")
    response = client_as("secretary_a").post(url("adjustment_request", pledge), _adjustment())
    assert "measures" in response.context["form"].errors
    assert not PledgeAdjustment.objects.exists()


def test_adjustment_refused_for_outsiders_and_readers(world: World, client_as) -> None:
    pledge = a1_pledge(world, status=S.PUBLISHED)
    before = snapshot(pledge)
    assert (
        client_as("secretary_b").post(url("adjustment_request", pledge), _adjustment()).status_code
        == 404
    )
    assert (
        client_as("office").post(url("adjustment_request", pledge), _adjustment()).status_code
        == 403
    )
    assert snapshot(pledge) == before


# --- the branch page ------------------------------------------------------------------------------


def test_branch_page_counts_against_the_guidance(world: World, client_as, make_pledge) -> None:
    for _ in range(2):
        a1_pledge(world, kind=Pledge.Kind.DEED)
    a1_pledge(world, kind=Pledge.Kind.RECTIFY, measures="措施")
    a1_pledge(world, kind=Pledge.Kind.DEED, status=S.WITHDRAWN)  # not counted
    make_pledge("branch")
    response = client_as("secretary_a", language="en").get(branch_url("branch_pledges", world))
    assert response.status_code == 200
    rows = {row.member.name: row for row in response.context["rows"]}
    # Branch A and its party group: every active member of the subtree.
    assert set(rows) == {"张明华", "李建国", "王晓红", "周自己"}
    a1 = rows["张明华"]
    assert (a1.guidance.counts["deed"], a1.guidance.counts["rectify"], a1.guidance.ok) == (
        2,
        1,
        True,
    )
    assert not rows["李建国"].guidance.ok
    assert response.context["org_row"].guidance.counts["deed"] == 1
    assert not response.context["org_row"].guidance.ok  # 1 of 3–5: a warning, never a block
    body = response.content.decode()
    assert "guidance-warn" in body and "guidance-ok" in body
    assert response.context["campaign"] == world.campaign


def test_branch_page_queries_do_not_grow_with_members(world: World, client_as) -> None:
    def count() -> int:
        client = client_as("secretary_a")
        client.get(branch_url("branch_pledges", world))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(branch_url("branch_pledges", world)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(20):
        member = member_in(world.branch_a)
        PledgeFactory(campaign=world.campaign, owner_member=member)
        PledgeFactory(campaign=world.campaign, owner_member=member, status=S.PUBLISHED)
    assert count() == few


def test_branch_page_readers_have_no_forms_and_outsiders_404(world: World, client_as) -> None:
    leader = client_as("leader").get(branch_url("branch_pledges", world))
    assert leader.status_code == 200 and not leader.context["can_enter"]
    assert "quick-form" not in leader.content.decode()
    assert client_as("secretary_b").get(branch_url("branch_pledges", world)).status_code == 404
    assert client_as("member_user").get(branch_url("branch_pledges", world)).status_code == 403


def test_branch_page_can_show_only_rows_needing_attention(world: World, client_as) -> None:
    for _ in range(2):
        a1_pledge(world, kind=Pledge.Kind.DEED)
    a1_pledge(world, kind=Pledge.Kind.RECTIFY, measures="措施", status=S.SUBMITTED)
    PledgeFactory(campaign=world.campaign, owner_member=world.member_a2)
    client = client_as("secretary_a")
    warn = client.get(branch_url("branch_pledges", world), {"show": "warn"})
    assert "张明华" not in {r.member.name for r in warn.context["rows"]}
    drafts = client.get(branch_url("branch_pledges", world), {"show": "drafts"})
    assert {r.member.name for r in drafts.context["rows"]} == {"张明华", "李建国"}


def _quick(world: World, member=None, **fields) -> dict:
    key = f"m{member.pk}" if member is not None else "org"
    data = {
        "owner": member.pk if member is not None else "org",
        "campaign": world.campaign.pk,
        f"{key}-kind": "deed",
        f"{key}-term": "annual",
        f"{key}-content": "帮邻居修屋顶",
        f"{key}-deadline": in_days(20).isoformat(),
        f"{key}-expected_effect": "屋顶不漏雨",
        f"{key}-measures": "",
    }
    data.update({f"{key}-{name}": value for name, value in fields.items()})
    return data


def test_quick_entry_appends_the_pledge_and_resets_the_form(world: World, client_as) -> None:
    member = world.member_a1
    client = client_as("secretary_a", language="en")
    response = client.post(
        branch_url("branch_quick_add", world), _quick(world, member), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    pledge = Pledge.objects.get()
    assert (pledge.owner_member, pledge.status, pledge.content) == (member, S.DRAFT, "帮邻居修屋顶")
    assert actions(pledge) == [A.CREATE]
    body = response.content.decode()
    assert f'hx-swap-oob="beforeend:#pledges-m{member.pk}"' in body
    assert f'id="pledge-{pledge.pk}"' in body
    assert f'id="guidance-m{member.pk}" hx-swap-oob="true"' in body
    # A fresh form: the content is empty again, kind and term kept for the next one.
    assert response.context["form"].is_bound is False
    assert response.context["form"].initial == {"kind": "deed", "term": "annual"}
    # The second pledge in a row.
    client.post(
        branch_url("branch_quick_add", world),
        _quick(world, member, kind="rectify", content="改掉拖拉", measures="列清单"),
        HTTP_HX_REQUEST="true",
    )
    assert Pledge.objects.filter(owner_member=member).count() == 2


def test_quick_entry_shows_errors_inline_and_creates_nothing(world: World, client_as) -> None:
    client = client_as("secretary_a", language="en")
    response = client.post(
        branch_url("branch_quick_add", world),
        _quick(world, world.member_a1, content="", kind="rectify"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"content", "measures"}
    assert "hx-swap-oob" not in response.content.decode()
    assert not Pledge.objects.exists()


def test_quick_entry_for_the_organisation(world: World, client_as) -> None:
    client_as("secretary_a").post(
        branch_url("branch_quick_add", world), _quick(world), HTTP_HX_REQUEST="true"
    )
    assert Pledge.objects.get().owner_organization == world.branch_a


def test_quick_entry_refusals(world: World, client_as) -> None:
    # A member of another branch is not a row of this page.
    assert (
        client_as("secretary_a")
        .post(branch_url("branch_quick_add", world), _quick(world, world.member_b1))
        .status_code
        == 404
    )
    assert (
        client_as("secretary_b")
        .post(branch_url("branch_quick_add", world), _quick(world, world.member_a1))
        .status_code
        == 404
    )
    assert (
        client_as("leader")
        .post(branch_url("branch_quick_add", world), _quick(world, world.member_a1))
        .status_code
        == 403
    )
    assert not Pledge.objects.exists()


def test_submit_in_place_from_the_branch_page(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    incomplete = a1_pledge(world, deadline=None)
    client = client_as("secretary_a", language="en")
    response = client.post(url("pledge_submit", pledge), {"chip": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="pledge-{pledge.pk}"' in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED
    refused = client.post(url("pledge_submit", incomplete), {"chip": "1"}, HTTP_HX_REQUEST="true")
    assert "Complete the pledge" in refused.content.decode()
    incomplete.refresh_from_db()
    assert incomplete.status == S.DRAFT


def test_submit_all_drafts_reports_the_refused(world: World, client_as, make_pledge) -> None:
    complete = a1_pledge(world)
    incomplete = a1_pledge(world, deadline=None, content="缺期限的草稿")
    own = make_pledge("branch", author=world.users["secretary_a"])
    other_branch = PledgeFactory(campaign=world.campaign, owner_member=world.member_b1)
    response = client_as("secretary_a", language="en").post(
        branch_url("branch_submit_drafts", world), {"campaign": world.campaign.pk}, follow=True
    )
    texts_ = followed_messages(response)
    assert "2 pledges have been submitted for review." in texts_
    assert any("缺期限的草稿" in t and "Complete the pledge" in t for t in texts_)
    statuses = dict(Pledge.objects.values_list("pk", "status"))
    assert statuses[complete.pk] == statuses[own.pk] == S.SUBMITTED
    assert statuses[incomplete.pk] == S.DRAFT
    assert statuses[other_branch.pk] == S.DRAFT
    assert actions(complete) == [A.SUBMIT]


def test_submit_drafts_of_one_member(world: World, client_as) -> None:
    a1 = a1_pledge(world)
    a2 = PledgeFactory(campaign=world.campaign, owner_member=world.member_a2)
    client_as("secretary_a").post(
        branch_url("branch_submit_drafts", world),
        {"campaign": world.campaign.pk, "owner": world.member_a1.pk},
    )
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.status, a2.status) == (S.SUBMITTED, S.DRAFT)


def test_submit_drafts_refused_for_readers(world: World, client_as) -> None:
    pledge = a1_pledge(world)
    before = snapshot(pledge)
    data = {"campaign": world.campaign.pk}
    assert (
        client_as("leader").post(branch_url("branch_submit_drafts", world), data).status_code == 403
    )
    assert (
        client_as("secretary_b").post(branch_url("branch_submit_drafts", world), data).status_code
        == 404
    )
    assert snapshot(pledge) == before


# --- home and navigation ----------------------------------------------------------------------------


def test_home_shows_what_is_due(world: World, client_as, make_pledge) -> None:
    today = timezone.localdate()
    a1_pledge(world, status=S.PUBLISHED, deadline=today + datetime.timedelta(days=3))
    a1_pledge(world, status=S.PUBLISHED, deadline=today - datetime.timedelta(days=3))
    a1_pledge(world, status=S.RETURNED)
    a1_pledge(world)
    make_pledge("member")  # the member's own draft
    PledgeFactory(campaign=world.campaign, owner_member=world.member_b1)  # another branch
    due = client_as("secretary_a").get(reverse("home")).context["due"]
    assert (due["due_soon"], due["overdue"], due["returned"], due["drafts"]) == (1, 1, 1, 2)
    mine = client_as("member_user", language="en").get(reverse("home"))
    assert (mine.context["due"]["drafts"], mine.context["due"]["overdue"]) == (1, 0)
    assert "My pledges: what is due" in mine.content.decode()
    assert f"{LIST}?status=draft" in mine.content.decode()
    assert client_as("leader").get(reverse("home")).context["due"] is None


def test_navbar_links_the_pledges(world: World, client_as) -> None:
    assert LIST in client_as("member_user").get(reverse("home")).content.decode()
    assert LIST in client_as("secretary_a").get(reverse("home")).content.decode()


def test_quick_form_is_loaded_per_row(world: World, client_as) -> None:
    query = {"owner": world.member_a1.pk, "campaign": world.campaign.pk}
    page = client_as("secretary_a").get(branch_url("branch_pledges", world)).content.decode()
    assert 'hx-trigger="toggle once"' in page
    assert "quick-form" not in page  # no form is rendered up front
    response = client_as("secretary_a").get(branch_url("branch_quick_add", world), query)
    assert response.status_code == 200
    assert f'id="quick-m{world.member_a1.pk}"' in response.content.decode()
    assert client_as("leader").get(branch_url("branch_quick_add", world), query).status_code == 403
    assert (
        client_as("secretary_a")
        .get(branch_url("branch_quick_add", world), {**query, "owner": world.member_b1.pk})
        .status_code
        == 404
    )
