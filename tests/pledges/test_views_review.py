"""Review, publication and evaluation pages (审诺, 亮诺, 评诺): the review queue (inline and bulk
approval), the review of one pledge with its diff, publication singly and per organisation,
adjustments, democratic appraisal tallies and grading.

Each endpoint: the happy path, an illegal action (refused, nothing changed), the outsider's 404,
and the history row written."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import scope
from campaigns.models import RoleAssignment
from pledges import selectors, services
from pledges.models import (
    Evaluation,
    Feedback,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)
from tests.conftest import ROLES, World
from tests.factories import CampaignFactory, PhaseFactory, RoleAssignmentFactory, UserFactory
from tests.pledges.factories import EvaluationFactory, PledgeAdjustmentFactory, in_days

S = Pledge.Status
A = PledgeHistory.Action
QUEUE = reverse("pledges:review_queue")
BULK = reverse("pledges:review_bulk_approve")
EVALUATION = reverse("pledges:review_evaluation_list")
HTMX = {"HTTP_HX_REQUEST": "true"}

MakePledge = Callable[..., Pledge]


def url(name: str, *args) -> str:
    return reverse(f"pledges:{name}", args=args)


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def history(pledge: Pledge) -> list[tuple[str, str, str]]:
    return [
        (h.action, h.to_status, h.actor.username)
        for h in PledgeHistory.objects.filter(pledge=pledge).select_related("actor").order_by("id")
    ]


def snapshot(pledge: Pledge) -> tuple:
    """Everything a review action could change about a pledge."""
    pledge.refresh_from_db()
    return (
        pledge.status,
        pledge.content,
        pledge.deadline,
        pledge.grade,
        PledgeHistory.objects.filter(pledge=pledge).count(),
        list(PledgeAdjustment.objects.filter(pledge=pledge).values_list("status", "comment")),
        list(Evaluation.objects.filter(pledge=pledge).values()),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def queue_ids(response) -> list[int]:
    assert response.status_code == 200
    return [item.pk for item in response.context["items"]]


@pytest.fixture
def submitted(make_pledge: MakePledge) -> Pledge:
    """A member pledge of 周自己 (branch A), written and submitted by the member."""
    return make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=3))


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


def test_queue_lists_submitted_pledges_grouped_oldest_first(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    newer = make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=1))
    older = make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=9))
    # Another owner of branch A, waiting in between: grouped after 周自己's two pledges.
    a1 = make_pledge(
        "member",
        owner_member=world.member_a1,
        author=world.users["member_user"],
        status=S.SUBMITTED,
        submitted_at=ago(days=5),
    )
    draft = make_pledge("member", status=S.DRAFT)
    response = client_as("secretary_a").get(QUEUE)
    assert queue_ids(response) == [older.pk, newer.pk, a1.pk]
    assert draft.pk not in queue_ids(response)
    body = response.content.decode()
    assert "review-waiting-long" in body  # nine days is too long
    assert f'name="pledge" value="{older.pk}"' in body  # a checkbox for bulk approval


def test_queue_never_shows_own_or_written_pledges(
    world: World, client_as, make_pledge: MakePledge, spare: User
) -> None:
    written = make_pledge(
        "member",
        owner_member=world.member_a1,
        author=world.users["secretary_a"],
        status=S.SUBMITTED,
        submitted_at=ago(days=1),
    )
    assert written.pk not in queue_ids(client_as("secretary_a").get(QUEUE))
    client = client_as("secretary_a")
    client.force_login(spare)
    assert written.pk in queue_ids(client.get(QUEUE))


def test_queue_organisation_pledges_go_to_the_superior(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    branch_pledge = make_pledge("branch", status=S.SUBMITTED, submitted_at=ago(days=1))
    assert branch_pledge.pk not in queue_ids(client_as("secretary_a").get(QUEUE))
    assert branch_pledge.pk in queue_ids(client_as("superior").get(QUEUE))
    assert branch_pledge.pk in queue_ids(client_as("office").get(QUEUE))
    assert branch_pledge.pk not in queue_ids(client_as("secretary_b").get(QUEUE))


def test_queue_includes_pending_adjustments_asked_by_someone_else(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    published = make_pledge("member", status=S.PUBLISHED)
    adjustment = PledgeAdjustmentFactory(pledge=published, requested_by=world.users["secretary_a"])
    # secretary_a asked for it: not theirs to decide; the superior decides it.
    assert published.pk not in queue_ids(client_as("secretary_a").get(QUEUE))
    response = client_as("superior").get(QUEUE)
    assert published.pk in queue_ids(response)
    assert url("review_adjustment", adjustment.pk) in response.content.decode()


def test_queue_submitted_part_follows_pledges_awaiting_review(
    world: World, make_pledge: MakePledge, spare: User
) -> None:
    """The queue repeats the reviewer rule of ``pledges_awaiting_review``: keep them in step."""
    for owner in ("member", "branch", "committee"):
        make_pledge(owner, status=S.SUBMITTED, submitted_at=ago(hours=2))
    make_pledge(
        "member",
        owner_member=world.member_b1,
        author=world.users["secretary_b"],
        status=S.SUBMITTED,
        submitted_at=ago(hours=1),
    )
    users = [world.users[name] for name in ROLES if name != "anonymous"] + [spare]
    for user in users:
        expected = set(selectors.pledges_awaiting_review(user=user).values_list("pk", flat=True))
        got = set(selectors.review_queue(user=user).values_list("pk", flat=True))
        assert got == expected, user.username


def test_queue_filters(world: World, client_as, make_pledge: MakePledge) -> None:
    deed = make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=2))
    rectify = make_pledge(
        "member",
        kind=Pledge.Kind.RECTIFY,
        measures="每周学习",
        status=S.SUBMITTED,
        submitted_at=ago(days=1),
    )
    b1 = make_pledge(
        "member",
        owner_member=world.member_b1,
        author=world.users["secretary_b"],
        status=S.SUBMITTED,
        submitted_at=ago(days=1),
    )
    other_campaign = CampaignFactory(root_organization=world.city)
    PhaseFactory(campaign=other_campaign)
    elsewhere = make_pledge(
        "member", campaign=other_campaign, status=S.SUBMITTED, submitted_at=ago(days=1)
    )
    client = client_as("superior")
    assert set(queue_ids(client.get(QUEUE))) == {deed.pk, rectify.pk, b1.pk, elsewhere.pk}
    assert set(queue_ids(client.get(QUEUE, {"org": world.branch_b.code}))) == {b1.pk}
    assert set(queue_ids(client.get(QUEUE, {"kind": Pledge.Kind.RECTIFY}))) == {rectify.pk}
    assert set(queue_ids(client.get(QUEUE, {"campaign": other_campaign.pk}))) == {elsewhere.pk}
    # An organisation outside the user's scope is a 404, as everywhere.
    assert client_as("secretary_a").get(QUEUE, {"org": world.branch_b.code}).status_code == 404


def test_queue_is_for_reviewers_only(world: World, client_as) -> None:
    for who in ("leader", "inspector", "member_user"):
        assert client_as(who).get(QUEUE).status_code == 403, who
    response = client_as("anonymous").get(QUEUE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_navbar_badge_counts_what_waits(
    world: World, client_as, make_pledge: MakePledge, submitted: Pledge
) -> None:
    make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=1))
    body = client_as("secretary_a").get(reverse("home")).content.decode()
    assert url("review_queue").rstrip("/") in body
    assert 'id="review-nav-badge"' in body and ">2<" in body
    # The leadership does not review: no "Review" item, but "Evaluation".
    body = client_as("leader").get(reverse("home")).content.decode()
    assert 'id="review-nav-badge"' not in body
    assert EVALUATION in body


def test_queue_count_is_one_query(
    world: World, make_pledge: MakePledge, submitted: Pledge, django_assert_num_queries
) -> None:
    user = world.users["superior"]
    scope.roles_of(user)  # the roles are cached on the request's user by then
    with django_assert_num_queries(1):
        assert selectors.review_queue_count(user=user) == 1


# ---------------------------------------------------------------------------------------------
# Reviewing one pledge
# ---------------------------------------------------------------------------------------------


def test_review_page_shows_the_pledge_history_and_forms(
    world: World, client_as, submitted: Pledge, reasons
) -> None:
    response = client_as("secretary_a").get(url("review_pledge", submitted.pk))
    assert response.status_code == 200
    assert response.context["can_approve"] and response.context["can_return"]
    body = response.content.decode()
    assert submitted.content in body
    for reason in reasons:
        assert reason.text in body


def test_review_page_shows_the_diff_of_a_resubmission(
    world: World, client_as, make_pledge: MakePledge, reasons
) -> None:
    member, secretary = world.users["member_user"], world.users["secretary_a"]
    pledge = make_pledge(
        "member", status=S.SUBMITTED, submitted_at=ago(days=2), content="帮助困难户发展生产"
    )
    services.pledge_return(pledge=pledge, actor=secretary, reasons=reasons[:1], comment="写明几户")
    services.pledge_update(
        pledge=pledge, actor=member, content="帮助3户困难户发展养殖生产", deadline=in_days(20)
    )
    services.pledge_resubmit(pledge=pledge, actor=member)
    response = client_as("secretary_a").get(url("review_pledge", pledge.pk))
    changes = {change.field: change for change in response.context["changes"]}
    assert set(changes) == {"content", "deadline"}
    assert ("insert", "3户") in changes["content"].segments
    assert ("insert", "养殖") in changes["content"].segments
    body = response.content.decode()
    assert '<ins class="diff-ins">3户</ins>' in body
    assert f'<del class="diff-del">{in_days(60).isoformat()}</del>' in body
    assert "写明几户" in body  # what the return asked for


def test_approve(world: World, client_as, submitted: Pledge) -> None:
    response = client_as("secretary_a").post(
        url("review_pledge", submitted.pk), {"decision": "approve", "comment": "同意"}
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    submitted.refresh_from_db()
    assert submitted.status == S.APPROVED
    row = PledgeHistory.objects.filter(pledge=submitted).latest("id")
    assert (row.action, row.actor.username, row.comment) == (A.APPROVE, "secretary_a", "同意")


def test_return_needs_a_reason_and_changes_nothing_without(
    world: World, client_as, submitted: Pledge, reasons
) -> None:
    before = snapshot(submitted)
    response = client_as("secretary_a").post(
        url("review_pledge", submitted.pk), {"decision": "return", "comment": "请修改"}
    )
    assert response.status_code == 200
    assert response.context["return_form"].errors["reasons"]
    assert snapshot(submitted) == before


def test_return_with_reasons(world: World, client_as, submitted: Pledge, reasons) -> None:
    response = client_as("secretary_a").post(
        url("review_pledge", submitted.pk),
        {"decision": "return", "reasons": [reasons[0].pk, reasons[2].pk], "comment": "请写明几户"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == S.RETURNED
    row = PledgeHistory.objects.filter(pledge=submitted).latest("id")
    assert row.action == A.RETURN and row.comment == "请写明几户"
    assert set(row.reasons.all()) == {reasons[0], reasons[2]}


def test_author_cannot_review_and_is_told(world: World, client_as, make_pledge: MakePledge) -> None:
    written = make_pledge(
        "member",
        owner_member=world.member_a1,
        author=world.users["secretary_a"],
        status=S.SUBMITTED,
        submitted_at=ago(days=1),
    )
    client = client_as("secretary_a", language="en")
    page = client.get(url("review_pledge", written.pk))
    assert not page.context["can_approve"]
    assert "your own or that you wrote" in page.context["why_not"]
    before = snapshot(written)
    response = client.post(url("review_pledge", written.pk), {"decision": "approve"}, follow=True)
    assert any("your own or that you wrote" in m for m in messages_of(response))
    assert snapshot(written) == before


def test_second_reviewer_is_told_who_was_faster(
    world: World, client_as, submitted: Pledge, spare: User
) -> None:
    services.pledge_approve(pledge=submitted, actor=spare)
    before = snapshot(submitted)
    response = client_as("secretary_a", language="en").post(
        url("review_pledge", submitted.pk), {"decision": "approve"}, follow=True
    )
    assert any("already been reviewed by" in m for m in messages_of(response))
    assert snapshot(submitted) == before


def test_review_outsiders(world: World, client_as, submitted: Pledge) -> None:
    target = url("review_pledge", submitted.pk)
    assert client_as("secretary_b").get(target).status_code == 404
    assert client_as("secretary_b").post(target, {"decision": "approve"}).status_code == 404
    assert client_as("leader").get(target).status_code == 403
    # The office sees member pledges but does not review them.
    page = client_as("office").get(target)
    assert page.status_code == 200 and not page.context["can_approve"]
    before = snapshot(submitted)
    assert client_as("office").post(target, {"decision": "approve"}).status_code == 403
    assert snapshot(submitted) == before


def test_inline_approve_answers_the_queue_item(
    world: World, client_as, submitted: Pledge, make_pledge: MakePledge
) -> None:
    make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=1))
    response = client_as("secretary_a", language="en").post(
        url("review_pledge", submitted.pk), {"decision": "approve", "next": QUEUE}, **HTMX
    )
    assert response.status_code == 200
    assert response.templates[0].name == "pledges/review_queue_item.html"
    body = response.content.decode()
    assert f'id="queue-item-{submitted.pk}"' in body
    assert "Approved" in body and url("review_publish", submitted.pk) in body
    # The navbar badge comes along out of band, one item fewer.
    assert 'id="review-nav-badge"' in body and 'hx-swap-oob="true"' in body
    assert response.context["review_count"] == 1
    submitted.refresh_from_db()
    assert submitted.status == S.APPROVED


def test_inline_return_without_reason_reopens_the_form(
    world: World, client_as, submitted: Pledge, reasons
) -> None:
    response = client_as("secretary_a", language="en").post(
        url("review_pledge", submitted.pk), {"decision": "return", "comment": "改一下"}, **HTMX
    )
    assert response.status_code == 200
    assert response.context["reopen"] == "return"
    body = response.content.decode()
    assert "Choose at least one reason" in body and "改一下" in body
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_inline_approve_after_someone_else_shows_the_new_state(
    world: World, client_as, submitted: Pledge, spare: User
) -> None:
    services.pledge_return(
        pledge=submitted,
        actor=spare,
        reasons=services.ensure_default_return_reasons(world.campaign)[:1],
        comment="改",
    )
    response = client_as("secretary_a", language="en").post(
        url("review_pledge", submitted.pk), {"decision": "approve"}, **HTMX
    )
    assert response.status_code == 200
    assert "already been reviewed by" in response.context["error"]
    submitted.refresh_from_db()
    assert submitted.status == S.RETURNED


# ---------------------------------------------------------------------------------------------
# Bulk approval
# ---------------------------------------------------------------------------------------------


def test_bulk_approve_reports_successes_and_refusals(
    world: World, client_as, make_pledge: MakePledge, spare: User
) -> None:
    first, second, taken = (
        make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=n)) for n in (3, 2, 1)
    )
    services.pledge_approve(pledge=taken, actor=spare)  # someone else was faster
    outside = make_pledge(
        "member",
        owner_member=world.member_b1,
        author=world.users["secretary_b"],
        status=S.SUBMITTED,
        submitted_at=ago(days=1),
    )
    response = client_as("secretary_a", language="en").post(
        BULK, {"pledge": [first.pk, second.pk, taken.pk, outside.pk, "x"]}, follow=True
    )
    texts = messages_of(response)
    assert "2 pledges approved." in texts
    assert "2 pledges were not approved:" in texts
    assert any("already been reviewed by" in t for t in texts)
    assert f"Pledge {outside.pk}: not found." in texts
    for pledge, status in ((first, S.APPROVED), (second, S.APPROVED), (outside, S.SUBMITTED)):
        pledge.refresh_from_db()
        assert pledge.status == status
    assert history(first)[-1] == (A.APPROVE, S.APPROVED, "secretary_a")
    assert [h[0] for h in history(taken)].count(A.APPROVE) == 1


def test_bulk_approve_is_post_only_and_for_reviewers(
    world: World, client_as, submitted: Pledge
) -> None:
    assert client_as("secretary_a").get(BULK).status_code == 405
    before = snapshot(submitted)
    assert client_as("leader").post(BULK, {"pledge": [submitted.pk]}).status_code == 403
    assert snapshot(submitted) == before


# ---------------------------------------------------------------------------------------------
# Publication
# ---------------------------------------------------------------------------------------------


def test_publish_one(world: World, client_as, make_pledge: MakePledge) -> None:
    approved = make_pledge("member", status=S.APPROVED)
    response = client_as("secretary_a").post(url("review_publish", approved.pk))
    assert response.status_code == 302
    assert response["Location"] == url("pledge_detail", approved.pk)
    approved.refresh_from_db()
    assert approved.status == S.PUBLISHED and approved.published_at is not None
    assert history(approved)[-1] == (A.PUBLISH, S.PUBLISHED, "secretary_a")


def test_publish_one_refused(world: World, client_as, submitted: Pledge, make_pledge) -> None:
    target = url("review_publish", submitted.pk)
    before = snapshot(submitted)
    response = client_as("secretary_a", language="en").post(target, follow=True)
    assert any("is not possible while the pledge is" in m for m in messages_of(response))
    assert client_as("secretary_b").post(target).status_code == 404
    approved = make_pledge("member", status=S.APPROVED)
    assert client_as("leader").post(url("review_publish", approved.pk)).status_code == 403
    assert client_as("secretary_a").get(target).status_code == 405
    assert snapshot(submitted) == before
    assert approved.status == S.APPROVED


def test_publish_organisation_publishes_own_and_members_pledges(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    own = make_pledge("branch", status=S.APPROVED)
    member = make_pledge("member", status=S.APPROVED)
    group = make_pledge(
        "member",
        owner_member=world.member_group_a,
        author=world.users["secretary_a"],
        status=S.APPROVED,
    )
    waiting = make_pledge("member", status=S.SUBMITTED, submitted_at=ago(days=1))
    target = url("review_publish_org", world.branch_a.code)
    client = client_as("secretary_a", language="en")
    page = client.get(target)
    assert page.status_code == 200 and page.context["count"] == 2
    # With the organisations below: the party group's member too.
    assert client.get(target, {"include_subtree": "1"}).context["count"] == 3
    response = client.post(target, {"expected": 2}, follow=True)
    assert "2 pledges published." in messages_of(response)
    for pledge, status in ((own, S.PUBLISHED), (member, S.PUBLISHED), (group, S.APPROVED)):
        pledge.refresh_from_db()
        assert pledge.status == status
    waiting.refresh_from_db()
    assert waiting.status == S.SUBMITTED
    assert history(own)[-1] == (A.PUBLISH, S.PUBLISHED, "secretary_a")


def test_publish_organisation_confirms_again_when_the_list_changed(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    approved = make_pledge("member", status=S.APPROVED)
    make_pledge("branch", status=S.APPROVED)  # approved after the confirmation page was shown
    response = client_as("secretary_a").post(
        url("review_publish_org", world.branch_a.code), {"expected": 1}
    )
    assert response.status_code == 200 and response.context["changed"]
    assert response.context["count"] == 2
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


def test_publish_organisation_access(world: World, client_as, spare: User) -> None:
    target = url("review_publish_org", world.branch_a.code)
    assert client_as("secretary_b").get(target).status_code == 404
    assert client_as("leader").get(target).status_code == 403
    assert client_as("office").get(target).status_code == 200
    client = client_as("secretary_a")
    client.force_login(spare)  # a committee member who is not the secretary does not publish
    assert client.get(target).status_code == 403


# ---------------------------------------------------------------------------------------------
# Adjustments
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def adjustment(world: World, make_pledge: MakePledge) -> PledgeAdjustment:
    pledge = make_pledge("member", status=S.PUBLISHED, content="每周辅导一次")
    return services.adjustment_request(
        pledge=pledge,
        actor=world.users["member_user"],
        content="每周辅导两次",
        deadline=in_days(90),
        expected_effect="成绩提高",
        reason="学校希望增加次数",
    )


def test_adjustment_page_shows_old_and_new(
    world: World, client_as, adjustment: PledgeAdjustment
) -> None:
    response = client_as("secretary_a").get(url("review_adjustment", adjustment.pk))
    assert response.status_code == 200 and response.context["can_decide"]
    changes = {change.field: change for change in response.context["changes"]}
    assert set(changes) == {"content", "deadline", "expected_effect"}
    assert ("delete", "一") in changes["content"].segments
    assert ("insert", "两") in changes["content"].segments
    assert "学校希望增加次数" in response.content.decode()


def test_adjustment_approve(world: World, client_as, adjustment: PledgeAdjustment) -> None:
    response = client_as("secretary_a").post(
        url("review_adjustment", adjustment.pk), {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    adjustment.refresh_from_db()
    pledge = adjustment.pledge
    pledge.refresh_from_db()
    assert adjustment.status == PledgeAdjustment.Status.APPROVED
    assert pledge.content == "每周辅导两次" and pledge.status == S.PUBLISHED
    assert history(pledge)[-1] == (A.APPROVE_ADJUSTMENT, S.PUBLISHED, "secretary_a")


def test_adjustment_return_needs_a_comment(
    world: World, client_as, adjustment: PledgeAdjustment
) -> None:
    pledge = adjustment.pledge
    before = snapshot(pledge)
    target = url("review_adjustment", adjustment.pk)
    response = client_as("secretary_a").post(target, {"decision": "return", "comment": " "})
    assert response.status_code == 200 and response.context["form"].errors["comment"]
    assert snapshot(pledge) == before
    response = client_as("secretary_a").post(target, {"decision": "return", "comment": "不同意"})
    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.comment) == (PledgeAdjustment.Status.RETURNED, "不同意")
    pledge.refresh_from_db()
    assert pledge.content == "每周辅导一次"
    assert history(pledge)[-1] == (A.RETURN_ADJUSTMENT, S.PUBLISHED, "secretary_a")


def test_adjustment_requester_cannot_decide(
    world: World, client_as, make_pledge: MakePledge, spare: User
) -> None:
    pledge = make_pledge("member", status=S.PUBLISHED)
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=world.users["secretary_a"],
        content="新内容",
        deadline=in_days(30),
        expected_effect="效果",
        reason="原因",
    )
    target = url("review_adjustment", adjustment.pk)
    client = client_as("secretary_a", language="en")
    page = client.get(target)
    assert (
        page.status_code == 200 and page.context["is_requester"] and not page.context["can_decide"]
    )
    before = snapshot(pledge)
    response = client.post(target, {"decision": "approve"}, follow=True)
    assert any("someone else must decide it" in m for m in messages_of(response))
    assert snapshot(pledge) == before
    # Another committee member of the branch may.
    other = client_as("secretary_a")
    other.force_login(spare)
    assert other.post(target, {"decision": "approve"}).status_code == 302


def test_adjustment_outsiders(world: World, client_as, adjustment: PledgeAdjustment) -> None:
    target = url("review_adjustment", adjustment.pk)
    assert client_as("secretary_b").get(target).status_code == 404
    assert client_as("leader").get(target).status_code == 403
    before = snapshot(adjustment.pledge)
    assert client_as("secretary_b").post(target, {"decision": "approve"}).status_code == 404
    assert snapshot(adjustment.pledge) == before


def test_inline_adjustment_approve_answers_the_queue_item(
    world: World, client_as, adjustment: PledgeAdjustment
) -> None:
    response = client_as("superior", language="en").post(
        url("review_adjustment", adjustment.pk), {"decision": "approve"}, **HTMX
    )
    assert response.status_code == 200
    assert "Adjustment approved" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Evaluation: the list, democratic appraisal, grading
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def ready(make_pledge: MakePledge) -> Pledge:
    """A fulfilled member pledge of branch A with its self-report."""
    pledge = make_pledge("member", status=S.FULFILLED)
    EvaluationFactory(pledge=pledge)
    return pledge


def test_evaluation_list_states(world: World, client_as, ready: Pledge, make_pledge) -> None:
    missing = make_pledge("member", status=S.PUBLISHED)
    graded = make_pledge("member", status=S.EVALUATED)
    client = client_as("leader")
    response = client.get(EVALUATION)
    assert [p.pk for p in response.context["items"]] == [ready.pk]
    assert response.context["items"][0].may_grade
    assert response.context["items"][0].suggestion.grade == Pledge.Grade.GOOD
    assert [p.pk for p in client.get(EVALUATION, {"state": "missing"}).context["items"]] == [
        missing.pk
    ]
    assert [p.pk for p in client.get(EVALUATION, {"state": "graded"}).context["items"]] == [
        graded.pk
    ]
    # The branch secretary sees the inputs of their scope but does not grade.
    response = client_as("secretary_a").get(EVALUATION)
    assert [p.pk for p in response.context["items"]] == [ready.pk]
    assert not response.context["items"][0].may_grade
    assert client_as("secretary_b").get(EVALUATION).context["items"] == []
    assert client_as("inspector").get(EVALUATION).status_code == 403


def test_appraisal_saves_changed_rows(world: World, client_as, ready: Pledge, make_pledge) -> None:
    other = make_pledge("member", owner_member=world.member_a1, status=S.PUBLISHED)
    untouched = make_pledge("member", owner_member=world.member_a2, status=S.PUBLISHED)
    target = url("review_appraisal", world.branch_a.code)
    page = client_as("secretary_a").get(target)
    assert page.status_code == 200
    rows = {pledge.pk: i for i, (_row, pledge) in enumerate(page.context["rows"])}
    assert set(rows) == {ready.pk, other.pk, untouched.pk}
    data = {
        "votes-TOTAL_FORMS": 3,
        "votes-INITIAL_FORMS": 3,
        "votes-MIN_NUM_FORMS": 0,
        "votes-MAX_NUM_FORMS": 1000,
    }
    for pk, i in rows.items():
        data[f"votes-{i}-pledge"] = pk
    for name, value in (("good", 8), ("fairly_good", 2), ("average", 0), ("poor", 0)):
        data[f"votes-{rows[ready.pk]}-{name}"] = value
    data[f"votes-{rows[other.pk]}-average"] = 5
    response = client_as("secretary_a", language="en").post(target, data, follow=True)
    assert "Appraisal saved for 2 pledges." in messages_of(response)
    evaluation = Evaluation.objects.get(pledge=ready)
    assert (evaluation.votes_good, evaluation.votes_fairly_good, evaluation.total_votes) == (
        8,
        2,
        10,
    )
    assert Evaluation.objects.get(pledge=other).votes_average == 5
    assert not Evaluation.objects.filter(pledge=untouched).exists()
    assert history(ready)[-1] == (A.RECORD_APPRAISAL, S.FULFILLED, "secretary_a")
    # Saving the same numbers again records nothing.
    count = PledgeHistory.objects.count()
    data[f"votes-{rows[ready.pk]}-average"] = ""
    response = client_as("secretary_a", language="en").post(target, data, follow=True)
    assert PledgeHistory.objects.count() == count


def test_appraisal_refuses_the_owners_row_and_saves_the_others(
    world: World, client_as, make_pledge: MakePledge
) -> None:
    # 张明华 becomes a committee member of branch A with a login: their own row is refused.
    a1_user = UserFactory(username="a1")
    world.member_a1.user = a1_user
    world.member_a1.save()
    RoleAssignmentFactory(
        user=a1_user, organization=world.branch_a, role=RoleAssignment.Role.COMMITTEE_MEMBER
    )
    own = make_pledge("member", owner_member=world.member_a1, status=S.PUBLISHED)
    other = make_pledge("member", status=S.PUBLISHED)
    client = client_as("secretary_a", language="en")
    client.force_login(a1_user)
    target = url("review_appraisal", world.branch_a.code)
    page = client.get(target)
    rows = {pledge.pk: (i, pledge) for i, (_row, pledge) in enumerate(page.context["rows"])}
    assert rows[own.pk][1].is_own
    data = {
        "votes-TOTAL_FORMS": 2,
        "votes-INITIAL_FORMS": 2,
        "votes-MIN_NUM_FORMS": 0,
        "votes-MAX_NUM_FORMS": 1000,
        f"votes-{rows[own.pk][0]}-pledge": own.pk,
        f"votes-{rows[own.pk][0]}-good": 9,
        f"votes-{rows[other.pk][0]}-pledge": other.pk,
        f"votes-{rows[other.pk][0]}-good": 4,
    }
    response = client.post(target, data)
    assert response.status_code == 200
    assert "your own" in response.content.decode()
    assert not Evaluation.objects.filter(pledge=own).exists()
    assert Evaluation.objects.get(pledge=other).votes_good == 4


def test_appraisal_access_and_bad_numbers(world: World, client_as, ready: Pledge) -> None:
    target = url("review_appraisal", world.branch_a.code)
    assert client_as("secretary_b").get(target).status_code == 404
    assert client_as("leader").get(target).status_code == 403
    assert client_as("office").get(target).status_code == 200
    data = {
        "votes-TOTAL_FORMS": 1,
        "votes-INITIAL_FORMS": 1,
        "votes-MIN_NUM_FORMS": 0,
        "votes-MAX_NUM_FORMS": 1000,
        "votes-0-pledge": ready.pk,
        "votes-0-good": -3,
    }
    response = client_as("secretary_a").post(target, data)
    assert response.status_code == 200 and not response.context["formset"].is_valid()
    assert Evaluation.objects.get(pledge=ready).total_votes == 0


def test_grading_page_shows_inputs_and_suggestion(world: World, client_as, ready: Pledge) -> None:
    response = client_as("leader", language="en").get(url("review_evaluate", ready.pk))
    assert response.status_code == 200 and response.context["can_grade"]
    assert response.context["satisfaction"] is None
    body = response.content.decode()
    assert "No feedback yet." in body and "data-suggested" in body
    Feedback.objects.create(pledge=ready, rating=Feedback.Rating.SATISFIED, fingerprint="t")
    Feedback.objects.create(pledge=ready, rating=Feedback.Rating.DISSATISFIED, fingerprint="t")
    response = client_as("leader", language="en").get(url("review_evaluate", ready.pk))
    assert response.context["satisfaction"] == 50
    rows = {row.name: row for row in response.context["inputs"]}
    assert rows["appraisal"].weight_used is None  # no votes: the input drops out
    assert rows["self_report"].weight_used == 50 and rows["satisfaction"].weight_used == 50
    assert response.context["suggestion"].score == 75


def test_confirm_the_suggested_grade(world: World, client_as, ready: Pledge) -> None:
    response = client_as("leader").post(
        url("review_evaluate", ready.pk),
        {
            "grade": Pledge.Grade.GOOD,
            "publicity_start": timezone.localdate().isoformat(),
            "publicity_end": in_days(7).isoformat(),
        },
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert (ready.status, ready.grade) == (S.EVALUATED, Pledge.Grade.GOOD)
    evaluation = Evaluation.objects.get(pledge=ready)
    assert evaluation.confirmed_by == world.users["leader"]
    assert evaluation.publicity_end == in_days(7)
    assert history(ready)[-1] == (A.EVALUATE, S.EVALUATED, "leader")


def test_grade_rules_show_on_their_fields(world: World, client_as, ready: Pledge) -> None:
    target = url("review_evaluate", ready.pk)
    client = client_as("office", language="en")
    before = snapshot(ready)
    response = client.post(target, {"grade": Pledge.Grade.AVERAGE})
    assert "explain why" in str(response.context["form"].errors["justification"])
    response = client.post(target, {"grade": Pledge.Grade.POOR, "justification": "群众意见大"})
    assert "deadline for improvement" in str(
        response.context["form"].errors["improvement_deadline"]
    )
    assert snapshot(ready) == before
    response = client.post(
        target,
        {
            "grade": Pledge.Grade.POOR,
            "justification": "群众意见大",
            "improvement_deadline": in_days(30).isoformat(),
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(pledge=ready)
    assert (evaluation.final_grade, evaluation.override_justification) == ("poor", "群众意见大")
    assert evaluation.improvement_deadline == in_days(30)


def test_grading_access(world: World, client_as, ready: Pledge) -> None:
    target = url("review_evaluate", ready.pk)
    # The branch committee sees the inputs; only leadership and office confirm.
    page = client_as("secretary_a").get(target)
    assert page.status_code == 200 and not page.context["can_grade"]
    before = snapshot(ready)
    assert client_as("secretary_a").post(target, {"grade": "good"}).status_code == 403
    assert client_as("secretary_b").get(target).status_code == 404
    assert client_as("inspector").get(target).status_code == 403
    assert snapshot(ready) == before


# ---------------------------------------------------------------------------------------------
# The diff itself
# ---------------------------------------------------------------------------------------------


def test_text_diff_keeps_latin_words_whole_and_splits_chinese() -> None:
    assert selectors.text_diff("每周一次", "每周两次") == [
        ("equal", "每周"),
        ("delete", "一"),
        ("insert", "两"),
        ("equal", "次"),
    ]
    assert selectors.text_diff("visit 5 homes", "visit 12 homes") == [
        ("equal", "visit "),
        ("delete", "5"),
        ("insert", "12"),
        ("equal", " homes"),
    ]
    assert selectors.text_diff("", "新") == [("insert", "新")]


def test_queue_page_queries_do_not_grow_with_its_items(
    world: World, client_as, make_pledge: MakePledge, django_assert_max_num_queries
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            make_pledge(
                "member" if i % 2 else "branch", status=S.SUBMITTED, submitted_at=ago(hours=i + 1)
            )
        PledgeAdjustmentFactory(pledge=make_pledge("member", status=S.PUBLISHED))

    client = client_as("superior")
    add(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(QUEUE).status_code == 200
    add(12)
    with django_assert_max_num_queries(len(few)):
        response = client.get(QUEUE)
    assert len(response.context["items"]) == 17
