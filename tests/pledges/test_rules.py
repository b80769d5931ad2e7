"""The rules each transition enforces beyond who may act: data guards, and the refusals that
must leave everything as it was."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from campaigns.models import Campaign
from campaigns.people import person_name
from pledges import selectors, services
from pledges.models import (
    Evaluation,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
    ReturnReason,
)
from pledges.workflow import Action, TransitionRefused, allowed_actions
from tests.conftest import World
from tests.factories import CampaignFactory, PhaseFactory
from tests.pledges.factories import (
    EvaluationFactory,
    FulfilmentEntryFactory,
    PledgeAdjustmentFactory,
    ReturnReasonFactory,
    in_days,
)

S = Pledge.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def unchanged(pledge: Pledge):
    """A snapshot of the row and its history count, to compare after a refusal."""
    return (
        Pledge.objects.filter(pk=pledge.pk).values().get(),
        PledgeHistory.objects.filter(pledge=pledge).count(),
    )


# ---------------------------------------------------------------------------------------------
# Create
# ---------------------------------------------------------------------------------------------


def _create(world: World, **kw) -> Pledge:
    args = {
        "campaign": world.campaign,
        "actor": world.users["member_user"],
        "owner_member": world.member_self,
        "kind": Pledge.Kind.DEED,
        "term": Pledge.Term.ANNUAL,
        "content": "帮助困难户",
    }
    return services.pledge_create(**{**args, **kw})


def test_create_refused_before_the_pledge_phase(world: World, time_machine) -> None:
    time_machine.move_to(datetime.datetime(2024, 7, 15, 12, tzinfo=datetime.UTC), tick=False)
    with pytest.raises(TransitionRefused) as refused:
        _create(world)
    assert refused.value.code == "too_early"
    assert not Pledge.objects.exists() and not PledgeHistory.objects.exists()


def test_create_allowed_during_and_after_the_pledge_phase(world: World, time_machine) -> None:
    time_machine.move_to(datetime.datetime(2024, 8, 1, 12, tzinfo=datetime.UTC), tick=False)
    _create(world)
    time_machine.move_to(datetime.datetime(2024, 11, 1, 12, tzinfo=datetime.UTC), tick=False)
    _create(world)  # in the fulfilment phase: still allowed (“pledge phase or later”)


def test_create_refused_without_a_pledge_phase_or_when_closed(world: World) -> None:
    bare = CampaignFactory(root_organization=world.city)
    PhaseFactory(campaign=bare, kind="mobilise")
    with pytest.raises(TransitionRefused, match="pledge phase"):
        _create(world, campaign=bare)
    Campaign.objects.filter(pk=world.campaign.pk).update(status=Campaign.Status.CLOSED)
    world.campaign.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        _create(world)
    assert refused.value.code == "campaign_closed"


def test_create_refused_outside_the_campaign_tree(world: World) -> None:
    other = CampaignFactory(root_organization=world.committee_c)
    PhaseFactory(campaign=other, kind="pledge", start_date=datetime.date(2024, 1, 1))
    with pytest.raises(TransitionRefused) as refused:
        _create(world, campaign=other)
    assert refused.value.code == "outside_campaign"


def test_create_refused_for_an_inactive_member(world: World) -> None:
    world.member_a1.is_active = False
    world.member_a1.save()
    with pytest.raises(TransitionRefused) as refused:
        _create(world, actor=world.users["secretary_a"], owner_member=world.member_a1)
    assert refused.value.code == "inactive_owner"


def test_create_needs_kind_term_content(world: World) -> None:
    with pytest.raises(TransitionRefused) as refused:
        _create(world, content="   ")
    assert refused.value.field == "content"
    with pytest.raises(TransitionRefused) as refused:
        _create(world, kind="bogus")
    assert refused.value.field == "kind"
    with pytest.raises(TypeError):
        _create(world, status=S.PUBLISHED)  # not a content field: never settable by a caller
    with pytest.raises(ValueError):
        services.pledge_create(
            campaign=world.campaign,
            actor=world.users["secretary_a"],
            owner_member=world.member_a1,
            owner_organization=world.branch_a,
        )


def test_outsider_learns_nothing_from_create(world: World) -> None:
    """An outsider gets the same refusal whatever is wrong with the data."""
    with pytest.raises(TransitionRefused) as refused:
        _create(world, actor=world.users["secretary_b"], content="")
    assert refused.value.code == "not_allowed"


# ---------------------------------------------------------------------------------------------
# Guidance counts warn, never block
# ---------------------------------------------------------------------------------------------


def test_guidance_status_for_a_member(world: World, make_pledge) -> None:
    status = selectors.guidance_status(campaign=world.campaign, owner_member=world.member_self)
    assert status.counts[Pledge.Kind.DEED] == 0 and len(status.warnings) == 2
    make_pledge("member", kind=Pledge.Kind.DEED)
    make_pledge("member", kind=Pledge.Kind.DEED)
    make_pledge("member", kind=Pledge.Kind.RECTIFY, measures="改")
    make_pledge("member", kind=Pledge.Kind.DEED, status=S.WITHDRAWN)  # not counted
    status = selectors.guidance_status(campaign=world.campaign, owner_member=world.member_self)
    assert status.ok and status.counts == {"work": 0, "deed": 2, "rectify": 1}
    for _ in range(2):
        make_pledge("member", kind=Pledge.Kind.DEED)
    # A fourth practical deed: allowed, with a warning.
    _create(world)
    status = selectors.guidance_status(campaign=world.campaign, owner_member=world.member_self)
    assert status.counts["deed"] == 5
    assert len(status.warnings) == 1 and "5" in status.warnings[0]


def test_guidance_status_for_an_organisation(world: World, make_pledge) -> None:
    for _ in range(3):
        make_pledge("branch", kind=Pledge.Kind.DEED)
    status = selectors.guidance_status(campaign=world.campaign, owner_organization=world.branch_a)
    assert status.ok and status.ranges == {"deed": (3, 5)}
    Campaign.objects.filter(pk=world.campaign.pk).update(org_deed_min=4)
    world.campaign.refresh_from_db()
    assert not selectors.guidance_status(
        campaign=world.campaign, owner_organization=world.branch_a
    ).ok


# ---------------------------------------------------------------------------------------------
# Submit, recall, review
# ---------------------------------------------------------------------------------------------


def test_submit_needs_complete_content(world: World, make_pledge) -> None:
    member = world.users["member_user"]
    pledge = make_pledge("member", deadline=None, expected_effect="")
    before = unchanged(pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_submit(pledge=pledge, actor=member)
    assert refused.value.code == "incomplete"
    assert "deadline" in refused.value.message and "expected effect" in refused.value.message
    assert unchanged(pledge) == before
    services.pledge_update(pledge=pledge, actor=member, deadline=in_days(-1), expected_effect="好")
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_submit(pledge=pledge, actor=member)
    assert refused.value.code == "deadline_past"


def test_refusals_are_translated(world: World, make_pledge) -> None:
    pledge = make_pledge("member", deadline=None)
    messages = {}
    for language in ("en", "zh-hans"):
        with translation.override(language), pytest.raises(TransitionRefused) as refused:
            services.pledge_submit(pledge=pledge, actor=world.users["member_user"])
        messages[language] = refused.value.message
    assert messages["en"].startswith("Complete the pledge before submitting it.")
    assert messages["zh-hans"] != messages["en"]


def test_recall_only_by_the_author_before_review(world: World, make_pledge, spare) -> None:
    pledge = make_pledge("member", status=S.SUBMITTED)  # written by member_user
    with pytest.raises(TransitionRefused):
        services.pledge_recall(pledge=pledge, actor=world.users["secretary_a"])
    services.pledge_recall(pledge=pledge, actor=world.users["member_user"])
    assert pledge.status == S.DRAFT
    services.pledge_submit(pledge=pledge, actor=world.users["member_user"])
    services.pledge_approve(pledge=pledge, actor=spare)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_recall(pledge=pledge, actor=world.users["member_user"])
    assert refused.value.code == "already_reviewed"
    assert person_name(spare) in refused.value.message


def test_return_needs_a_reason_and_a_comment(world: World, make_pledge, reasons) -> None:
    secretary = world.users["secretary_a"]
    pledge = make_pledge("member", status=S.SUBMITTED)
    before = unchanged(pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_return(pledge=pledge, actor=secretary, reasons=[], comment="请修改")
    assert refused.value.field == "reasons"
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_return(pledge=pledge, actor=secretary, reasons=reasons[:1], comment="  ")
    assert refused.value.field == "comment"
    foreign = ReturnReasonFactory()  # another campaign's reason
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_return(pledge=pledge, actor=secretary, reasons=[foreign], comment="改")
    assert refused.value.code == "bad_reason"
    assert unchanged(pledge) == before
    services.pledge_return(pledge=pledge, actor=secretary, reasons=reasons[:1], comment="请修改")
    assert pledge.status == S.RETURNED


def test_second_reviewer_is_told_who_reviewed_first(
    world: World, make_pledge, spare, reasons
) -> None:
    pledge = make_pledge("member", status=S.SUBMITTED)
    services.pledge_approve(pledge=pledge, actor=spare)
    stale = Pledge.objects.get(pk=pledge.pk)
    stale.status = S.SUBMITTED  # what the second reviewer's page still shows
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_return(
            pledge=stale, actor=world.users["secretary_a"], reasons=reasons[:1], comment="改"
        )
    assert refused.value.code == "already_reviewed"
    assert person_name(spare) in refused.value.message
    assert pledge.history.filter(action__in=[Action.APPROVE, Action.RETURN]).count() == 1


def test_diff_snapshot_since_the_return(world: World, make_pledge, reasons) -> None:
    member, secretary = world.users["member_user"], world.users["secretary_a"]
    pledge = make_pledge("member", status=S.SUBMITTED, content="旧内容", deadline=in_days(10))
    assert selectors.pledge_changes_since_return(pledge=pledge) == []
    services.pledge_return(pledge=pledge, actor=secretary, reasons=reasons[:1], comment="改")
    snapshot = pledge.history.get(action=Action.RETURN).snapshot
    assert snapshot["content"] == "旧内容" and snapshot["deadline"] == in_days(10).isoformat()
    services.pledge_update(pledge=pledge, actor=member, content="新内容", deadline=in_days(20))
    services.pledge_resubmit(pledge=pledge, actor=member)
    changes = {
        c.field: (c.before, c.after) for c in selectors.pledge_changes_since_return(pledge=pledge)
    }
    assert changes == {
        "content": ("旧内容", "新内容"),
        "deadline": (in_days(10).isoformat(), in_days(20).isoformat()),
    }
    assert pledge.history.get(action=Action.RESUBMIT).snapshot["content"] == "新内容"


# ---------------------------------------------------------------------------------------------
# Fulfilment
# ---------------------------------------------------------------------------------------------


def test_mark_fulfilled_needs_a_journal_entry(world: World, make_pledge) -> None:
    secretary = world.users["secretary_a"]
    pledge = make_pledge("member", status=S.PUBLISHED)
    before = unchanged(pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_mark_fulfilled(pledge=pledge, actor=secretary)
    assert refused.value.code == "no_entry"
    assert unchanged(pledge) == before
    FulfilmentEntryFactory(pledge=pledge)
    services.pledge_mark_fulfilled(pledge=pledge, actor=secretary)
    assert pledge.status == S.FULFILLED


def test_owner_may_not_mark_own_pledge_fulfilled(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    FulfilmentEntryFactory(pledge=pledge)
    with pytest.raises(TransitionRefused):
        services.pledge_mark_fulfilled(pledge=pledge, actor=world.users["member_user"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date": in_days(1)}, "date"),
        ({"text": " "}, "text"),
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
    ],
)
def test_journal_entry_inputs(world: World, make_pledge, kwargs, field) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    args = {"date": in_days(0), "text": "做了", "progress": 10, **kwargs}
    with pytest.raises(TransitionRefused) as refused:
        services.fulfilment_entry_add(pledge=pledge, actor=world.users["member_user"], **args)
    assert refused.value.field == field
    assert not FulfilmentEntry.objects.exists() and pledge.history.count() == 0


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.7\n" + b"0" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
DOCX = b"PK\x03\x04" + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.png", PNG),
        ("b.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 8),
        ("c.pdf", PDF),
        ("d.webp", WEBP),
        ("e.docx", DOCX),
        ("f.xlsx", DOCX),
    ],
)
def test_accepted_attachments(world: World, make_pledge, name, data) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    entry = services.fulfilment_entry_add(
        pledge=pledge,
        actor=world.users["member_user"],
        date=in_days(0),
        text="照片",
        progress=5,
        files=[SimpleUploadedFile(name, data)],
    )
    attachment = entry.attachments.get()
    with attachment.file.open("rb") as stored:
        assert stored.read() == data


@pytest.mark.parametrize(
    ("name", "data", "code_word"),
    [
        ("virus.exe", b"MZ" + b"\x00" * 16, "not an accepted file type"),
        ("photo.jpg", b"MZ" + b"\x00" * 16, "does not contain what its name says"),
        ("fake.webp", b"RIFF\x10\x00\x00\x00AVI " + b"\x00" * 8, "does not contain"),
    ],
)
def test_rejected_attachments(world: World, make_pledge, name, data, code_word) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    with pytest.raises(TransitionRefused, match=code_word) as refused:
        services.fulfilment_entry_add(
            pledge=pledge,
            actor=world.users["member_user"],
            date=in_days(0),
            text="照片",
            progress=5,
            files=[SimpleUploadedFile(name, data)],
        )
    assert refused.value.field == "files"
    assert not FulfilmentEntry.objects.exists()


def test_attachment_over_10_mb_rejected(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(TransitionRefused, match="at most") as refused:
        services.fulfilment_entry_add(
            pledge=pledge,
            actor=world.users["member_user"],
            date=in_days(0),
            text="文件",
            progress=5,
            files=[big],
        )
    assert refused.value.code == "attachment_size"


def test_attachment_message_is_translated(world: World, make_pledge) -> None:
    from pledges.models import validate_attachment

    messages = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(ValidationError) as raised:
                validate_attachment(SimpleUploadedFile("x.exe", b"MZ"))
            # The message is lazy: rendered in the language active when it is read.
            messages[language] = raised.value.messages[0]
    assert messages["en"].startswith("“x.exe” is not an accepted file type.")
    assert messages["zh-hans"] != messages["en"] and "x.exe" in messages["zh-hans"]


# ---------------------------------------------------------------------------------------------
# Adjustments
# ---------------------------------------------------------------------------------------------


def test_adjustment_keeps_the_published_text_until_approved(
    world: World, make_pledge, spare
) -> None:
    member = world.users["member_user"]
    pledge = make_pledge("member", status=S.PUBLISHED, content="原承诺", deadline=in_days(30))
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=member,
        content="调整后承诺",
        deadline=in_days(60),
        expected_effect="新效果",
        reason="原计划无法实施",
    )
    pledge.refresh_from_db()
    assert (pledge.content, pledge.deadline, pledge.status) == ("原承诺", in_days(30), S.PUBLISHED)
    assert Pledge.objects.published().get(pk=pledge.pk).content == "原承诺"
    # One pending adjustment at a time; nor can the pledge be fulfilled or graded meanwhile.
    with pytest.raises(TransitionRefused) as refused:
        services.adjustment_request(
            pledge=pledge,
            actor=member,
            content="再改",
            deadline=in_days(60),
            expected_effect="x",
            reason="y",
        )
    assert refused.value.code == "adjustment_pending"
    FulfilmentEntryFactory(pledge=pledge)
    with pytest.raises(TransitionRefused):
        services.pledge_mark_fulfilled(pledge=pledge, actor=world.users["secretary_a"])
    services.adjustment_approve(adjustment=adjustment, actor=spare, comment="同意调整")
    pledge.refresh_from_db()
    adjustment.refresh_from_db()
    assert (pledge.content, pledge.deadline) == ("调整后承诺", in_days(60))
    assert adjustment.status == PledgeAdjustment.Status.APPROVED and adjustment.decided_by == spare
    approved = pledge.history.get(action=Action.APPROVE_ADJUSTMENT)
    assert approved.adjustment == adjustment and approved.snapshot["content"] == "调整后承诺"
    assert pledge.history.get(action=Action.REQUEST_ADJUSTMENT).snapshot["content"] == "原承诺"


def test_requester_cannot_decide_own_adjustment(world: World, make_pledge, spare) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=spare,
        content="调整",
        deadline=in_days(60),
        expected_effect="x",
        reason="y",
    )
    with pytest.raises(TransitionRefused) as refused:
        services.adjustment_approve(adjustment=adjustment, actor=spare)
    assert refused.value.code == "own_request"
    services.adjustment_approve(adjustment=adjustment, actor=world.users["secretary_a"])


def test_rectification_adjustment_needs_measures(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED, kind=Pledge.Kind.RECTIFY, measures="原措施")
    with pytest.raises(TransitionRefused) as refused:
        services.adjustment_request(
            pledge=pledge,
            actor=world.users["member_user"],
            content="调整",
            deadline=in_days(9),
            expected_effect="x",
            reason="y",
        )
    assert refused.value.field == "measures"
    assert not PledgeAdjustment.objects.exists()


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def test_grade_needs_a_self_report(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.FULFILLED)
    before = unchanged(pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_confirm_grade(
            pledge=pledge, actor=world.users["leader"], grade="good", justification="x"
        )
    assert refused.value.code == "no_self_report"
    assert unchanged(pledge) == before


def test_override_needs_a_justification(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.FULFILLED)
    EvaluationFactory(pledge=pledge)  # self-report only → suggested 好
    before = unchanged(pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_confirm_grade(pledge=pledge, actor=world.users["office"], grade="average")
    assert refused.value.field == "justification"
    assert unchanged(pledge) == before
    services.pledge_confirm_grade(
        pledge=pledge, actor=world.users["office"], grade="average", justification="群众有意见"
    )
    assert pledge.grade == "average"


def test_poor_needs_an_improvement_deadline(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    EvaluationFactory(pledge=pledge, votes_poor=10)
    # self 100×30 + appraisal 30×40 → 4200/70 = 60 → 一般; grade 差 differs: justification too.
    assert selectors.suggest_grade(pledge=pledge).grade == Pledge.Grade.AVERAGE
    leader = world.users["leader"]
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_confirm_grade(
            pledge=pledge, actor=leader, grade="poor", justification="未兑现"
        )
    assert refused.value.field == "improvement_deadline"
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_confirm_grade(
            pledge=pledge,
            actor=leader,
            grade="poor",
            justification="未兑现",
            improvement_deadline=in_days(0),
        )
    assert refused.value.code == "improvement_deadline_past"
    assert Pledge.objects.get(pk=pledge.pk).status == S.PUBLISHED
    services.pledge_confirm_grade(
        pledge=pledge,
        actor=leader,
        grade="poor",
        justification="未兑现",
        improvement_deadline=in_days(30),
    )
    evaluation = Evaluation.objects.get(pledge=pledge)
    assert (evaluation.final_grade, evaluation.improvement_deadline) == ("poor", in_days(30))
    assert pledge.status == S.EVALUATED


def test_owner_never_grades_own_pledge(world: World, make_pledge) -> None:
    """The office's own member pledge: another officer or the leadership grades it."""
    office = world.users["office"]
    world.member_b1.user = office
    world.member_b1.save()
    pledge = make_pledge("member", owner_member=world.member_b1, author=office, status=S.FULFILLED)
    EvaluationFactory(pledge=pledge)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_confirm_grade(pledge=pledge, actor=office, grade="good")
    assert refused.value.code == "own_pledge"
    services.pledge_confirm_grade(pledge=pledge, actor=world.users["leader"], grade="good")


def test_appraisal_inputs(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.FULFILLED)
    secretary = world.users["secretary_a"]
    with pytest.raises(TransitionRefused):
        services.evaluation_record_appraisal(
            pledge=pledge, actor=secretary, good=0, fairly_good=0, average=0, poor=0
        )
    with pytest.raises(TransitionRefused):
        services.evaluation_record_appraisal(
            pledge=pledge, actor=secretary, good=-1, fairly_good=0, average=0, poor=5
        )
    evaluation = services.evaluation_record_appraisal(
        pledge=pledge, actor=secretary, good=5, fairly_good=3, average=1, poor=1
    )
    assert evaluation.total_votes == 10


def test_suggest_grade_weights_and_renormalisation(world: World, make_pledge, monkeypatch) -> None:
    from decimal import Decimal

    pledge = make_pledge("member", status=S.FULFILLED)
    # Nothing yet: self-report absent scores 0, the only input with data → 差.
    nothing = selectors.suggest_grade(pledge=pledge)
    assert (nothing.score, nothing.grade, nothing.weights) == (0, "poor", {"self_report": 100})
    EvaluationFactory(pledge=pledge, votes_good=5, votes_fairly_good=5)  # appraisal 90
    suggestion = selectors.suggest_grade(pledge=pledge)
    assert suggestion.appraisal_score == Decimal("90.0")
    assert suggestion.weights == {"self_report": Decimal("42.9"), "appraisal": Decimal("57.1")}
    assert suggestion.score == Decimal("94.3") and suggestion.grade == "good"
    # With public satisfaction (the feedback hook), all three weights count: 30/40/30.
    monkeypatch.setattr(selectors, "public_satisfaction", lambda *, pledge: Decimal(50))
    suggestion = selectors.suggest_grade(pledge=pledge)
    assert suggestion.score == Decimal("81.0") and suggestion.grade == "fairly_good"
    # The campaign's own policy: heavier satisfaction, stricter thresholds.
    policy = services.evaluation_policy_for(world.campaign)
    policy.weight_self_report, policy.weight_appraisal, policy.weight_satisfaction = 10, 30, 60
    policy.threshold_good, policy.threshold_fairly_good, policy.threshold_average = 95, 85, 65
    policy.save()
    suggestion = selectors.suggest_grade(pledge=pledge)
    # 10×100 + 30×90 + 60×50 = 6700 / 100 = 67
    assert suggestion.score == Decimal("67.0") and suggestion.grade == "average"
    stored = services.evaluation_suggest_grade(pledge=pledge)
    assert Evaluation.objects.get(pledge=pledge).suggested_grade == stored.grade == "average"


# ---------------------------------------------------------------------------------------------
# Withdraw, public board, overdue
# ---------------------------------------------------------------------------------------------


def test_withdraw_needs_a_reason_and_closes_a_pending_adjustment(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    adjustment = PledgeAdjustmentFactory(pledge=pledge)
    secretary = world.users["secretary_a"]
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_withdraw(pledge=pledge, actor=secretary, reason="")
    assert refused.value.field == "comment"
    services.pledge_withdraw(pledge=pledge, actor=secretary, reason="该党员已调离")
    adjustment.refresh_from_db()
    assert adjustment.status == PledgeAdjustment.Status.RETURNED
    assert pledge.withdrawal_reason == "该党员已调离" and pledge.withdrawn_at is not None
    # Withdrawn after publication: still on the public board, shown as withdrawn.
    assert Pledge.objects.published().filter(pk=pledge.pk).exists()


def test_withdrawn_draft_is_not_public_and_evaluated_cannot_be_withdrawn(
    world: World, make_pledge
) -> None:
    draft = make_pledge("member")
    services.pledge_withdraw(pledge=draft, actor=world.users["office"], reason="不再适用")
    assert not Pledge.objects.published().filter(pk=draft.pk).exists()
    evaluated = make_pledge("member", status=S.EVALUATED)
    with pytest.raises(TransitionRefused) as refused:
        services.pledge_withdraw(pledge=evaluated, actor=world.users["office"], reason="x")
    assert refused.value.code == "wrong_state"


def test_published_queryset(world: World, make_pledge) -> None:
    public = {make_pledge("member", status=s).pk for s in (S.PUBLISHED, S.FULFILLED, S.EVALUATED)}
    for s in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.WITHDRAWN):
        make_pledge("member", status=s)
    assert set(Pledge.objects.published().values_list("pk", flat=True)) == public


def test_overdue_is_derived(world: World, make_pledge, time_machine) -> None:
    late = make_pledge("member", status=S.PUBLISHED, deadline=in_days(-1))
    make_pledge("member", status=S.PUBLISHED, deadline=in_days(0))  # due today: not yet
    make_pledge("member", status=S.FULFILLED, deadline=in_days(-5))  # done: never overdue
    make_pledge("member", status=S.APPROVED, deadline=in_days(-5))  # not yet public
    assert list(Pledge.objects.overdue()) == [late]
    assert late.is_overdue
    # Tomorrow the one due today is overdue too, without anything stored.
    tomorrow = in_days(1)
    assert Pledge.objects.overdue(tomorrow).count() == 2
    time_machine.move_to(datetime.datetime.combine(in_days(2), datetime.time(12)), tick=False)
    assert Pledge.objects.overdue().count() == 2


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def test_visible_to(world: World, make_pledge, spare) -> None:
    mine = make_pledge("member")
    branch = make_pledge("branch")
    committee = make_pledge("committee")
    other = make_pledge("member", owner_member=world.member_c1)
    u = world.users

    def seen(user) -> set[int]:
        return set(Pledge.objects.visible_to(user).values_list("pk", flat=True))

    everything = {mine.pk, branch.pk, committee.pk, other.pk}
    assert seen(u["anonymous"]) == set()
    assert seen(u["inactive"]) == set()
    assert seen(u["member_user"]) == {mine.pk}
    assert seen(u["secretary_a"]) == seen(spare) == {mine.pk, branch.pk}
    assert seen(u["secretary_b"]) == set()
    assert seen(u["superior"]) == {mine.pk, branch.pk, committee.pk}
    for name in ("office", "leader", "inspector", "superuser"):
        assert seen(u[name]) == everything, name
    with pytest.raises(Exception) as raised:
        selectors.access_pledge_by_id(user=u["secretary_b"], pledge_id=mine.pk)
    assert raised.type.__name__ == "Http404"
    assert selectors.access_pledge_by_id(user=u["member_user"], pledge_id=mine.pk) == mine


def test_pledges_awaiting_review(world: World, make_pledge, spare) -> None:
    u = world.users
    by_member = make_pledge("member", status=S.SUBMITTED)
    by_secretary = make_pledge(
        "member", owner_member=world.member_a1, status=S.SUBMITTED, author=u["secretary_a"]
    )
    branch = make_pledge("branch", status=S.SUBMITTED)
    committee = make_pledge("committee", status=S.SUBMITTED)
    make_pledge("member", status=S.DRAFT)

    def queue(user) -> set[int]:
        return set(selectors.pledges_awaiting_review(user=user).values_list("pk", flat=True))

    assert queue(u["secretary_a"]) == {by_member.pk}
    assert queue(spare) == {by_member.pk, by_secretary.pk}
    assert queue(u["superior"]) == {by_member.pk, by_secretary.pk, branch.pk}
    assert queue(u["office"]) == {branch.pk, committee.pk}
    assert queue(u["member_user"]) == queue(u["secretary_b"]) == queue(u["leader"]) == set()
    # The queue agrees with the workflow: everyone may approve exactly what is in their queue.
    for name in ("secretary_a", "superior", "office", "member_user", "leader"):
        for pledge in (by_member, by_secretary, branch, committee):
            in_queue = pledge.pk in queue(u[name])
            assert (Action.APPROVE in allowed_actions(u[name], pledge)) == in_queue, (name, pledge)


def test_allowed_actions(world: World, make_pledge) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    assert set(allowed_actions(world.users["member_user"], pledge)) == {
        Action.ADD_ENTRY,
        Action.REQUEST_ADJUSTMENT,
        Action.RECORD_SELF_REPORT,
    }
    assert allowed_actions(world.users["secretary_b"], pledge) == []


# ---------------------------------------------------------------------------------------------
# Side effects after commit, return reasons
# ---------------------------------------------------------------------------------------------


def test_side_effects_queued_after_commit_only(
    world: World, make_pledge, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from pledges import workflow

    seen: list[int] = []
    monkeypatch.setattr(workflow, "after_commit_handlers", [seen.append])
    pledge = make_pledge("member", status=S.SUBMITTED)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionRefused),
    ):
        services.pledge_approve(pledge=pledge, actor=world.users["member_user"])
    assert callbacks == [] and seen == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.pledge_approve(pledge=pledge, actor=world.users["secretary_a"])
    assert len(callbacks) == 1
    assert seen == [pledge.history.get(action=Action.APPROVE).pk]


def test_default_return_reasons_seeded_once(world: World) -> None:
    campaign = world.campaign
    first = services.ensure_default_return_reasons(campaign)
    assert [r.text for r in first] == list(services.DEFAULT_RETURN_REASONS)
    assert services.ensure_default_return_reasons(campaign) == first
    other = CampaignFactory(root_organization=world.city)
    own = ReturnReason.objects.create(campaign=other, text="自定义理由", is_active=False)
    assert services.ensure_default_return_reasons(other) == []  # its own (retired) list stands
    assert list(ReturnReason.objects.filter(campaign=other)) == [own]
