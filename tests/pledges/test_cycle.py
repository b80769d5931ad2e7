"""The whole pledge cycle at service level, for a member pledge and for an organisation pledge:
定诺 → 审诺 (with a return and a resubmission) → 亮诺 → 践诺 (journal, adjustment) → 评诺."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.people import person_name
from pledges import selectors, services
from pledges.models import Pledge, PledgeAdjustment, PledgeHistory
from pledges.workflow import Action, TransitionRefused
from tests.conftest import World
from tests.pledges.factories import in_days

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

S = Pledge.Status


def actions_of(pledge: Pledge) -> list[tuple[str, str, str, str]]:
    return [
        (h.action, h.from_status, h.to_status, h.actor.username)
        for h in PledgeHistory.objects.filter(pledge=pledge).select_related("actor").order_by("id")
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_member_pledge_whole_cycle(world: World, spare, reasons) -> None:
    member, secretary, leader = (
        world.users["member_user"],
        world.users["secretary_a"],
        world.users["leader"],
    )

    # 定诺: the member drafts, completes and submits their own pledge.
    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=member,
        owner_member=world.member_self,
        kind=Pledge.Kind.DEED,
        term=Pledge.Term.ANNUAL,
        content="帮助困难户",
    )
    assert (pledge.status, pledge.organization, pledge.author) == (S.DRAFT, world.branch_a, member)
    services.pledge_update(
        pledge=pledge, actor=member, deadline=in_days(60), expected_effect="户户受益"
    )
    services.pledge_submit(pledge=pledge, actor=member)
    assert pledge.status == S.SUBMITTED and pledge.submitted_at is not None

    # 审诺: the secretary returns it with a reason; the member revises and resubmits.
    services.pledge_return(
        pledge=pledge, actor=secretary, reasons=reasons[:2], comment="请写明帮助几户"
    )
    assert pledge.status == S.RETURNED
    services.pledge_update(pledge=pledge, actor=member, content="帮助5户困难户")
    services.pledge_resubmit(pledge=pledge, actor=member)
    changes = selectors.pledge_changes_since_return(pledge=pledge)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("content", "帮助困难户", "帮助5户困难户")
    ]
    services.pledge_approve(pledge=pledge, actor=spare, comment="同意")
    assert pledge.status == S.APPROVED and pledge.approved_at is not None

    # 亮诺.
    services.pledge_publish(pledge=pledge, actor=secretary)
    assert pledge.status == S.PUBLISHED
    assert Pledge.objects.published().filter(pk=pledge.pk).exists()

    # 践诺: a journal entry with a photo, an adjustment, then fulfilled.
    entry = services.fulfilment_entry_add(
        pledge=pledge,
        actor=member,
        date=in_days(-2),
        text="走访3户",
        progress=60,
        files=[SimpleUploadedFile("走访.png", PNG, content_type="image/png")],
    )
    attachment = entry.attachments.get()
    assert attachment.original_name == "走访.png" and attachment.size == len(PNG)
    assert attachment.file.storage.exists(attachment.file.name)
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=member,
        content="帮助8户困难户",
        deadline=in_days(90),
        expected_effect="户户受益",
        reason="又摸排出3户",
    )
    pledge.refresh_from_db()
    assert pledge.content == "帮助5户困难户"  # the published text stays until approved
    services.adjustment_approve(adjustment=adjustment, actor=secretary)
    pledge.refresh_from_db()
    assert (pledge.content, pledge.deadline) == ("帮助8户困难户", in_days(90))
    services.pledge_mark_fulfilled(pledge=pledge, actor=secretary)
    assert pledge.status == S.FULFILLED and pledge.fulfilled_at is not None

    # 评诺: self-report, appraisal, suggested grade, confirmed by the leadership group.
    services.evaluation_record_self_report(pledge=pledge, actor=member, text="按期完成")
    services.evaluation_record_appraisal(
        pledge=pledge, actor=secretary, good=8, fairly_good=2, average=0, poor=0
    )
    suggestion = services.evaluation_suggest_grade(pledge=pledge)
    # self 100 × 30, appraisal (8×100 + 2×80)/10 = 96 × 40, no feedback: (3000 + 3840) / 70
    assert suggestion.score == Decimal("97.7")
    assert suggestion.grade == Pledge.Grade.GOOD
    services.pledge_confirm_grade(
        pledge=pledge,
        actor=leader,
        grade=Pledge.Grade.GOOD,
        publicity_start=in_days(1),
        publicity_end=in_days(7),
    )
    pledge.refresh_from_db()
    assert (pledge.status, pledge.grade) == (S.EVALUATED, Pledge.Grade.GOOD)
    assert pledge.evaluation.confirmed_by == leader

    A = Action
    assert actions_of(pledge) == [
        (A.CREATE, "", S.DRAFT, "member_user"),
        (A.EDIT, S.DRAFT, S.DRAFT, "member_user"),
        (A.SUBMIT, S.DRAFT, S.SUBMITTED, "member_user"),
        (A.RETURN, S.SUBMITTED, S.RETURNED, "secretary_a"),
        (A.EDIT, S.RETURNED, S.RETURNED, "member_user"),
        (A.RESUBMIT, S.RETURNED, S.SUBMITTED, "member_user"),
        (A.APPROVE, S.SUBMITTED, S.APPROVED, "spare_committee_member"),
        (A.PUBLISH, S.APPROVED, S.PUBLISHED, "secretary_a"),
        (A.ADD_ENTRY, S.PUBLISHED, S.PUBLISHED, "member_user"),
        (A.REQUEST_ADJUSTMENT, S.PUBLISHED, S.PUBLISHED, "member_user"),
        (A.APPROVE_ADJUSTMENT, S.PUBLISHED, S.PUBLISHED, "secretary_a"),
        (A.MARK_FULFILLED, S.PUBLISHED, S.FULFILLED, "secretary_a"),
        (A.RECORD_SELF_REPORT, S.FULFILLED, S.FULFILLED, "member_user"),
        (A.RECORD_APPRAISAL, S.FULFILLED, S.FULFILLED, "secretary_a"),
        (A.EVALUATE, S.FULFILLED, S.EVALUATED, "leader"),
    ]
    returned = pledge.history.get(action=A.RETURN)
    assert set(returned.reasons.all()) == set(reasons[:2])
    assert returned.comment == "请写明帮助几户"


def test_organisation_pledge_whole_cycle(world: World, spare, reasons) -> None:
    secretary, superior, office = (
        world.users["secretary_a"],
        world.users["superior"],
        world.users["office"],
    )

    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=secretary,
        owner_organization=world.branch_a,
        kind=Pledge.Kind.RECTIFY,
        term=Pledge.Term.IMMEDIATE,
        content="村务公开不及时",
        deadline=in_days(30),
        expected_effect="每月公开一次",
    )
    assert pledge.organization == world.branch_a and pledge.owner == world.branch_a
    # A rectification cannot be submitted without its measures.
    with pytest.raises(TransitionRefused, match="measures"):
        services.pledge_submit(pledge=pledge, actor=secretary)
    services.pledge_update(pledge=pledge, actor=secretary, measures="设立公开栏，每月5日更新")
    services.pledge_submit(pledge=pledge, actor=secretary)

    # The branch's own committee never reviews its own pledge; the superior committee does.
    for own in (secretary, spare):
        with pytest.raises(TransitionRefused):
            services.pledge_approve(pledge=pledge, actor=own)
    services.pledge_return(pledge=pledge, actor=superior, reasons=reasons[:1], comment="措施要具体")
    services.pledge_update(pledge=pledge, actor=spare, measures="村口设立公开栏，每月5日更新")
    services.pledge_resubmit(pledge=pledge, actor=spare)
    assert [c.field for c in selectors.pledge_changes_since_return(pledge=pledge)] == ["measures"]
    services.pledge_approve(pledge=pledge, actor=office)

    result = services.pledges_publish_bulk(pledges=[pledge], actor=office)
    assert result.done == [pledge] and not result.refused
    pledge.refresh_from_db()
    assert pledge.status == S.PUBLISHED

    services.fulfilment_entry_add(
        pledge=pledge, actor=spare, date=in_days(0), text="公开栏已设立", progress=100
    )
    services.pledge_mark_fulfilled(pledge=pledge, actor=spare)
    services.evaluation_record_self_report(pledge=pledge, actor=secretary, text="已整改到位")
    # No votes, no feedback: the self-report alone scores 100 → 好. The office grades 较好.
    assert selectors.suggest_grade(pledge=pledge).grade == Pledge.Grade.GOOD
    services.pledge_confirm_grade(
        pledge=pledge,
        actor=office,
        grade=Pledge.Grade.FAIRLY_GOOD,
        justification="群众反映公开内容仍不够细",
    )
    pledge.refresh_from_db()
    assert pledge.grade == Pledge.Grade.FAIRLY_GOOD
    assert pledge.evaluation.suggested_grade == Pledge.Grade.GOOD
    assert pledge.evaluation.override_justification == "群众反映公开内容仍不够细"
    assert [h[0] for h in actions_of(pledge)] == [
        "create",
        "edit",
        "submit",
        "return",
        "edit",
        "resubmit",
        "approve",
        "publish",
        "add_entry",
        "mark_fulfilled",
        "record_self_report",
        "evaluate",
    ]


def test_secretary_drafts_for_a_member_and_another_committee_member_reviews(
    world: World, spare
) -> None:
    secretary = world.users["secretary_a"]
    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=secretary,
        owner_member=world.member_a1,
        kind=Pledge.Kind.WORK,
        term=Pledge.Term.LONG,
        content="带头学习",
        deadline=in_days(20),
        expected_effect="学习笔记一万字",
    )
    services.pledge_submit(pledge=pledge, actor=secretary)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_approve(pledge=pledge, actor=secretary)
    assert refused.value.code == "own_pledge"
    services.pledge_approve(pledge=pledge, actor=spare)
    assert pledge.status == S.APPROVED


def test_member_group_pledge_reviewed_by_branch_committee(world: World, spare) -> None:
    """A member of a 党小组 under branch A: the pledge's organisation is the group, and the
    branch committee above it reviews."""
    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=world.users["secretary_a"],
        owner_member=world.member_group_a,
        kind=Pledge.Kind.DEED,
        term=Pledge.Term.ANNUAL,
        content="义务理发",
        deadline=in_days(9),
        expected_effect="每月一次",
    )
    assert pledge.organization == world.group_a
    services.pledge_submit(pledge=pledge, actor=world.users["secretary_a"])
    services.pledge_approve(pledge=pledge, actor=spare)
    with pytest.raises(TransitionRefused):
        services.pledge_withdraw(pledge=pledge, actor=world.users["secretary_b"], reason="x")


def test_history_row_dates_follow_the_clock(world: World, time_machine) -> None:
    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    pledge = services.pledge_create(
        campaign=world.campaign,
        actor=world.users["member_user"],
        owner_member=world.member_self,
        kind=Pledge.Kind.DEED,
        term=Pledge.Term.ANNUAL,
        content="帮助困难户",
    )
    assert pledge.history.get().created_at == datetime.datetime(
        2026, 3, 1, 9, 0, tzinfo=datetime.UTC
    )


def test_adjustment_returned_keeps_published_text(world: World, make_pledge, spare) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=world.users["member_user"],
        content="新内容",
        deadline=in_days(40),
        expected_effect="新效果",
        reason="情况变化",
    )
    with pytest.raises(TransitionRefused):
        services.adjustment_return(adjustment=adjustment, actor=spare, comment="")  # no comment
    services.adjustment_return(adjustment=adjustment, actor=spare, comment="理由不充分")
    adjustment.refresh_from_db()
    pledge.refresh_from_db()
    assert adjustment.status == PledgeAdjustment.Status.RETURNED
    assert adjustment.decided_by == spare and adjustment.comment == "理由不充分"
    assert pledge.content != "新内容"
    # Decided: a second decision is refused, naming who decided.
    with pytest.raises(TransitionRefused, match=person_name(spare)):
        services.adjustment_approve(adjustment=adjustment, actor=world.users["secretary_a"])
    assert pledge.history.filter(adjustment=adjustment).count() == 2  # request and return
