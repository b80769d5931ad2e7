"""Public pages (公示栏, public pledge page, photos), feedback with its rate limit and spam trap,
moderation by the branch committee, and the public satisfaction figure."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from campaigns.models import Member, Organization
from pledges import selectors, services
from pledges.forms import FEEDBACK_HONEYPOT, FEEDBACK_MAX_AGE_SECONDS, feedback_token
from pledges.models import Evaluation, Feedback, Pledge
from tests.conftest import World
from tests.factories import MemberFactory, OrganizationFactory
from tests.pledges.factories import (
    FulfilmentEntryFactory,
    PledgeAdjustmentFactory,
    in_days,
)

S = Pledge.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> None:
    # Rate-limit counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def anon() -> Client:
    return Client(HTTP_USER_AGENT="Mozilla/5.0 test-visitor", REMOTE_ADDR="203.0.113.7")


def board_url(org: Organization) -> str:
    return reverse("public:board", kwargs={"code": org.code})


def pledge_url(pledge: Pledge) -> str:
    return reverse("public:pledge", kwargs={"pk": pledge.pk})


def feedback_url(pledge: Pledge) -> str:
    return reverse("public:feedback", kwargs={"pk": pledge.pk})


def post_feedback(client: Client, pledge: Pledge, *, shown_ago: float = 30, **data) -> object:
    """POST the feedback form as a person would: a token from a page shown ``shown_ago``
    seconds ago and an empty honeypot."""
    payload = {
        "rating": Feedback.Rating.SATISFIED,
        "comment": "",
        FEEDBACK_HONEYPOT: "",
        "token": feedback_token(pledge.pk, now=time.time() - shown_ago),
        **data,
    }
    return client.post(feedback_url(pledge), payload)


# ---------------------------------------------------------------------------------------------
# A branch with pledges in every state
# ---------------------------------------------------------------------------------------------

SECRET_TEXTS = {
    S.DRAFT: "草稿内容-绝不公开-DRAFT",
    S.SUBMITTED: "待审核内容-绝不公开-SUBMITTED",
    S.RETURNED: "退回内容-绝不公开-RETURNED",
    S.APPROVED: "已审核未公示-绝不公开-APPROVED",
}


@pytest.fixture
def board_pledges(world: World, make_pledge) -> dict[str, Pledge]:
    """Branch A: public pledges of two members and of the branch, plus unpublished ones."""
    a1, a2 = world.member_a1, world.member_a2
    Member.objects.filter(pk=a1.pk).update(post="村委会主任")
    pledges = {
        "published": make_pledge(owner_member=a1, status=S.PUBLISHED, content="为孤寡老人送温暖"),
        "fulfilled": make_pledge(owner_member=a1, status=S.FULFILLED, content="修缮村道三公里"),
        "overdue": make_pledge(
            owner_member=a2, status=S.PUBLISHED, content="建设文化广场", deadline=in_days(-2)
        ),
        "evaluated": make_pledge(owner_member=a2, status=S.EVALUATED, content="带头学习理论"),
        "withdrawn": make_pledge(owner_member=a2, status=S.WITHDRAWN, content="已撤销的承诺内容"),
        "branch": make_pledge("branch", status=S.PUBLISHED, content="支部承诺建设便民服务站"),
    }
    Pledge.objects.filter(pk=pledges["withdrawn"].pk).update(
        published_at=pledges["published"].published_at, withdrawal_reason="迁出本村"
    )
    Evaluation.objects.create(
        pledge=pledges["evaluated"],
        self_report="认真履诺",
        final_grade=Pledge.Grade.GOOD,
        publicity_start=in_days(-1),
    )
    FulfilmentEntryFactory(pledge=pledges["published"], text="走访了三户老人", progress=40)
    FulfilmentEntryFactory(pledge=pledges["published"], text="第二次走访", progress=70)
    for status, text in SECRET_TEXTS.items():
        pledges[status] = make_pledge(owner_member=a1, status=status, content=text)
    # Withdrawn before publication: never public either.
    pledges["withdrawn_draft"] = make_pledge(
        owner_member=a1, status=S.WITHDRAWN, content="未公示就撤销-绝不公开"
    )
    return pledges


def private_strings(world: World) -> list[str]:
    """Every member's phone, ID number and birth date in the forms a page could print them."""
    values = []
    for member in Member.objects.all():
        birth = member.birth_date
        values += [
            member.phone,
            member.id_number,
            member.id_number[:6],  # the area and birth part of the number, if printed masked
            birth.isoformat(),
            birth.strftime("%Y%m%d"),
            f"{birth.year}年{birth.month}月{birth.day}日",
            f"{birth.year}/{birth.month}/{birth.day}",
        ]
    return [v for v in values if v]


def assert_nothing_private(html: str, world: World) -> None:
    leaked = [value for value in private_strings(world) if value in html]
    assert not leaked, f"private values on a public page: {leaked}"
    for text in (*SECRET_TEXTS.values(), "未公示就撤销-绝不公开"):
        assert text not in html, f"unpublished content on a public page: {text}"
    # The withdrawal reason may name a person's circumstances: not published either.
    assert "迁出本村" not in html


# ---------------------------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------------------------


def test_board_shows_published_pledges_grouped_by_member(
    world: World, board_pledges, anon: Client
) -> None:
    response = anon.get(board_url(world.branch_a))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("published", "fulfilled", "overdue", "evaluated", "withdrawn", "branch"):
        assert board_pledges[key].content in html, key
    # Grouped by member: each member's name heads a card holding their pledges, in order.
    board = response.context["board"]
    groups = {m.name: {p.content for p in m.pledges} for m in board.members}
    assert groups == {
        "张明华": {"为孤寡老人送温暖", "修缮村道三公里"},
        "李建国": {"建设文化广场", "带头学习理论", "已撤销的承诺内容"},
    }
    assert [p.content for p in board.own_pledges] == ["支部承诺建设便民服务站"]
    assert "村委会主任" in html  # the post is public, as on a 先锋岗 card
    # Status and progress.
    by_content = {p.content: p for m in board.members for p in m.pledges}
    assert by_content["为孤寡老人送温暖"].status == selectors.PublicStatus.IN_PROGRESS
    assert by_content["为孤寡老人送温暖"].progress == 70
    assert by_content["建设文化广场"].status == selectors.PublicStatus.OVERDUE
    assert by_content["修缮村道三公里"].status == selectors.PublicStatus.FULFILLED
    assert by_content["已撤销的承诺内容"].status == selectors.PublicStatus.WITHDRAWN
    assert by_content["带头学习理论"].grade_label == str(Pledge.Grade.GOOD.label)
    assert board.total == 6 and board.fulfilled == 1
    # The campaign's theme is the header.
    assert world.campaign.theme in html


def test_board_and_pledge_pages_show_nothing_private_or_unpublished(
    world: World, board_pledges, anon: Client
) -> None:
    pages = [board_url(org) for org in world.orgs.values()]
    pages += [pledge_url(board_pledges[k]) for k in ("published", "evaluated", "withdrawn")]
    for language in ("zh-hans", "en"):
        anon.cookies["django_language"] = language
        for url in pages:
            response = anon.get(url)
            assert response.status_code == 200, url
            assert_nothing_private(response.content.decode(), world)


def test_public_context_holds_no_model_objects(world: World, board_pledges, anon: Client) -> None:
    """Templates get dataclasses of public fields, never a Member (whose private fields a
    template could print by mistake)."""
    for url in (board_url(world.branch_a), pledge_url(board_pledges["published"])):
        response = anon.get(url)
        for context in response.context:
            for value in context.flatten().values():
                assert not isinstance(value, Member | Pledge), (url, value)


@pytest.mark.parametrize("status", [*SECRET_TEXTS, "withdrawn_draft"])
def test_unpublished_pledge_page_is_404(
    world: World, board_pledges, anon: Client, status: str
) -> None:
    assert anon.get(pledge_url(board_pledges[status])).status_code == 404
    # Staff in scope get no public page for it either: the public page is the same for all.
    client = Client()
    client.force_login(world.users["secretary_a"])
    assert client.get(pledge_url(board_pledges[status])).status_code == 404


def test_inactive_organisation_board_and_pledges_are_404(
    world: World, board_pledges, anon: Client
) -> None:
    Organization.objects.filter(pk=world.branch_a.pk).update(is_active=False)
    assert anon.get(board_url(world.branch_a)).status_code == 404
    assert anon.get(pledge_url(board_pledges["published"])).status_code == 404
    # The parent's board no longer lists it.
    response = anon.get(board_url(world.committee_a))
    assert world.branch_a.name not in response.content.decode()


def test_unknown_code_is_404_and_case_is_normalised(world: World, anon: Client) -> None:
    assert anon.get(reverse("public:board", kwargs={"code": "NO-SUCH"})).status_code == 404
    response = anon.get(reverse("public:board", kwargs={"code": "br-a"}) + "?campaign=1")
    assert response.status_code == 301
    assert response["Location"] == board_url(world.branch_a) + "?campaign=1"


def test_committee_board_lists_children_with_counts_not_their_pledges(
    world: World, board_pledges, make_pledge, anon: Client
) -> None:
    make_pledge("committee", status=S.PUBLISHED, content="镇党委承诺修建卫生院")
    make_pledge(owner_member=world.member_b1, status=S.FULFILLED, content="乙村承诺")
    response = anon.get(board_url(world.committee_a))
    assert response.status_code == 200
    board = response.context["board"]
    assert [p.content for p in board.own_pledges] == ["镇党委承诺修建卫生院"]
    assert board.members.paginator.count == 0
    html = response.content.decode()
    assert "为孤寡老人送温暖" not in html and "乙村承诺" not in html
    counts = {c.org.code: (c.pledges, c.fulfilled) for c in board.children}
    # Each count equals a direct count of the child's subtree.
    for code, (total, fulfilled) in counts.items():
        org = Organization.objects.get(code=code)
        subtree = Pledge.objects.published().filter(organization__path__startswith=org.path)
        assert total == subtree.count()
        done = subtree.filter(status=S.FULFILLED).count()
        done += subtree.filter(status=S.EVALUATED, fulfilled_at__isnull=False).count()
        assert fulfilled == done
    assert counts["BR-A"][0] == 6 and counts["BR-B"] == (1, 1)
    assert board.total == 8


def test_board_paginates_members(world: World, make_pledge, anon: Client, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "PUBLIC_MEMBERS_PER_PAGE", 2)
    for i in range(5):
        member = MemberFactory(branch=world.branch_b, name=f"成员{i}")
        make_pledge(owner_member=member, status=S.PUBLISHED, content=f"成员{i}的承诺")
    first = anon.get(board_url(world.branch_b)).context["board"]
    last = anon.get(board_url(world.branch_b) + "?page=3").context["board"]
    assert first.members.paginator.count == 5
    assert [m.name for m in first.members] == ["成员0", "成员1"]
    assert [m.name for m in last.members] == ["成员4"]


def test_board_query_count_does_not_grow_with_pledges(
    world: World, make_pledge, anon: Client, django_assert_max_num_queries
) -> None:
    for i in range(30):
        member = MemberFactory(branch=world.branch_b)
        make_pledge(owner_member=member, status=S.PUBLISHED, content=f"承诺{i}")
    with django_assert_max_num_queries(15):
        assert anon.get(board_url(world.branch_b)).status_code == 200
    with django_assert_max_num_queries(15):
        assert anon.get(board_url(world.city)).status_code == 200


def test_grade_is_public_only_from_its_publicity_start(
    world: World, board_pledges, anon: Client
) -> None:
    evaluated = board_pledges["evaluated"]
    Evaluation.objects.filter(pledge=evaluated).update(publicity_start=in_days(3))
    page = anon.get(pledge_url(evaluated)).context["p"]
    assert page.status == selectors.PublicStatus.EVALUATED and page.grade_label == ""
    Evaluation.objects.filter(pledge=evaluated).update(publicity_start=in_days(0))
    assert anon.get(pledge_url(evaluated)).context["p"].grade_label == str(Pledge.Grade.GOOD.label)


# ---------------------------------------------------------------------------------------------
# The pledge page and its photos
# ---------------------------------------------------------------------------------------------


def test_pledge_page_shows_journal_photos_and_adjustments(
    world: World, make_pledge, anon: Client
) -> None:
    secretary = world.users["secretary_a"]
    pledge = make_pledge(owner_member=world.member_a1, status=S.PUBLISHED, content="原来的承诺")
    entry = services.fulfilment_entry_add(
        pledge=pledge,
        actor=secretary,
        date=in_days(0),
        text="完成第一阶段",
        progress=45,
        files=[
            SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
            SimpleUploadedFile("签到表.pdf", PDF, content_type="application/pdf"),
        ],
    )
    photo, document = entry.attachments.order_by("id")
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=secretary,
        content="调整后的承诺",
        deadline=in_days(120),
        expected_effect=pledge.expected_effect,
        reason="上级追加任务",
    )
    services.adjustment_approve(adjustment=adjustment, actor=world.spare_role.user)
    # A returned adjustment is not public.
    PledgeAdjustmentFactory(
        pledge=pledge, status="returned", reason="被退回的调整理由", content="被退回的内容"
    )

    anon.cookies["django_language"] = "en"
    response = anon.get(pledge_url(pledge))
    html = response.content.decode()
    assert response.status_code == 200
    assert "调整后的承诺" in html and "完成第一阶段" in html and "45%" in html
    assert reverse("public:attachment", kwargs={"pk": photo.pk}) in html
    assert reverse("public:attachment", kwargs={"pk": document.pk}) not in html
    detail = response.context["detail"]
    [adj] = detail.adjustments
    assert adj.reason == "上级追加任务"
    changes = {c.field: (c.before, c.after) for c in adj.changes}
    assert changes["content"] == ("原来的承诺", "调整后的承诺")
    assert set(changes) == {"content", "deadline"}
    assert "被退回的调整理由" not in html and "被退回的内容" not in html

    # The photo is served; the document and a photo of an unpublished pledge are not.
    served = anon.get(reverse("public:attachment", kwargs={"pk": photo.pk}))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG
    assert anon.get(reverse("public:attachment", kwargs={"pk": document.pk})).status_code == 404
    Pledge.objects.filter(pk=pledge.pk).update(status=S.APPROVED)
    assert anon.get(reverse("public:attachment", kwargs={"pk": photo.pk})).status_code == 404


def test_withdrawn_pledge_page_has_no_feedback_form(
    world: World, board_pledges, anon: Client
) -> None:
    withdrawn = board_pledges["withdrawn"]
    response = anon.get(pledge_url(withdrawn))
    assert response.status_code == 200
    assert feedback_url(withdrawn) not in response.content.decode()
    assert post_feedback(anon, withdrawn).status_code == 404
    assert not Feedback.objects.exists()


# ---------------------------------------------------------------------------------------------
# Feedback: happy path, spam trap, rate limit
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def published(make_pledge, world: World) -> Pledge:
    return make_pledge(owner_member=world.member_a1, status=S.PUBLISHED, content="公开的承诺")


def test_feedback_rating_counts_at_once_comment_waits(
    world: World, published: Pledge, anon: Client
) -> None:
    response = post_feedback(anon, published, rating=Feedback.Rating.FAIRLY_SATISFIED)
    assert response.status_code == 200
    assert "pledges/public_thanks.html" in [t.name for t in response.templates]
    response = post_feedback(
        Client(HTTP_USER_AGENT="other", REMOTE_ADDR="198.51.100.2"),
        published,
        rating=Feedback.Rating.DISSATISFIED,
        comment="  希望加快进度  ",
    )
    assert response.status_code == 200
    rating_only, with_comment = Feedback.objects.order_by("id")
    assert (rating_only.status, rating_only.comment) == (Feedback.Status.NO_COMMENT, "")
    assert (with_comment.status, with_comment.comment) == (Feedback.Status.PENDING, "希望加快进度")
    # The client is a salted hash; the address itself is stored nowhere.
    assert re.fullmatch(r"[0-9a-f]{64}", rating_only.fingerprint)
    assert "203.0.113.7" not in str(list(Feedback.objects.values()))
    # Both ratings count; the comment is not shown until approved.
    assert selectors.public_satisfaction(pledge=published) == Decimal("50.0")
    assert "希望加快进度" not in anon.get(pledge_url(published)).content.decode()


def test_feedback_comment_too_long_is_refused(published: Pledge, anon: Client) -> None:
    response = post_feedback(anon, published, comment="字" * 501)
    assert response.status_code == 400
    assert response.context["form"].errors["comment"]
    assert not Feedback.objects.exists()


def test_feedback_without_rating_is_refused(published: Pledge, anon: Client) -> None:
    response = post_feedback(anon, published, rating="")
    assert response.status_code == 400 and not Feedback.objects.exists()


@pytest.mark.parametrize(
    "trap",
    [
        pytest.param({FEEDBACK_HONEYPOT: "http://spam.example"}, id="honeypot"),
        pytest.param({"token": "forged:123:abc"}, id="forged-token"),
        pytest.param({"token": ""}, id="no-token"),
    ],
)
def test_spam_trap_discards_silently(published: Pledge, anon: Client, trap: dict) -> None:
    response = post_feedback(anon, published, comment="买药加微信", **trap)
    assert response.status_code == 200
    assert "pledges/public_thanks.html" in [t.name for t in response.templates]
    assert not Feedback.objects.exists()


def test_spam_trap_catches_instant_submissions(published: Pledge, anon: Client) -> None:
    response = post_feedback(anon, published, shown_ago=0.5)
    assert "pledges/public_thanks.html" in [t.name for t in response.templates]
    assert not Feedback.objects.exists()


def test_spam_trap_catches_a_token_of_another_pledge(
    published: Pledge, make_pledge, world: World, anon: Client
) -> None:
    other = make_pledge(owner_member=world.member_a2, status=S.PUBLISHED)
    token = feedback_token(other.pk, now=time.time() - 60)
    post_feedback(anon, published, token=token)
    assert not Feedback.objects.exists()


def test_stale_form_is_shown_again(published: Pledge, anon: Client) -> None:
    response = post_feedback(anon, published, shown_ago=FEEDBACK_MAX_AGE_SECONDS + 60)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not Feedback.objects.exists()


def test_one_rating_per_pledge_per_client_per_day(
    published: Pledge, anon: Client, time_machine
) -> None:
    assert post_feedback(anon, published).status_code == 200
    anon.cookies["django_language"] = "en"
    response = post_feedback(anon, published)
    assert response.status_code == 429
    assert "already rated this pledge today" in response.content.decode()
    assert Feedback.objects.count() == 1
    # Another client (another browser) is not limited by the first.
    other = Client(HTTP_USER_AGENT="Mozilla/5.0 another", REMOTE_ADDR="203.0.113.7")
    assert post_feedback(other, published).status_code == 200
    assert Feedback.objects.count() == 2


def test_at_most_five_ratings_per_client_per_hour(world: World, make_pledge, anon: Client) -> None:
    pledges = [make_pledge(owner_member=world.member_a1, status=S.PUBLISHED) for _ in range(6)]
    for pledge in pledges[:5]:
        assert post_feedback(anon, pledge).status_code == 200
    anon.cookies["django_language"] = "en"
    response = post_feedback(anon, pledges[5])
    assert response.status_code == 429
    assert "several ratings in the last hour" in response.content.decode()
    assert Feedback.objects.count() == 5


def test_feedback_on_unpublished_pledge_is_404(world: World, board_pledges, anon: Client) -> None:
    for status in SECRET_TEXTS:
        assert post_feedback(anon, board_pledges[status]).status_code == 404
    assert not Feedback.objects.exists()


def test_feedback_get_is_405(published: Pledge, anon: Client) -> None:
    assert anon.get(feedback_url(published)).status_code == 405


def test_client_behind_proxy_uses_configured_header(
    published: Pledge, settings, make_pledge, world: World
) -> None:
    settings.PUBLIC_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = {"REMOTE_ADDR": "10.0.0.1", "HTTP_USER_AGENT": "same-browser"}
    first = Client(HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.10", **proxy)
    second = Client(HTTP_X_FORWARDED_FOR="203.0.113.11", **proxy)
    assert post_feedback(first, published).status_code == 200
    assert post_feedback(second, published).status_code == 200  # a different visitor
    fingerprints = set(Feedback.objects.values_list("fingerprint", flat=True))
    assert len(fingerprints) == 2


# ---------------------------------------------------------------------------------------------
# Satisfaction
# ---------------------------------------------------------------------------------------------


def test_satisfaction_equals_a_direct_count(published: Pledge, make_pledge, world: World) -> None:
    assert selectors.public_satisfaction(pledge=published) is None
    R, St = Feedback.Rating, Feedback.Status
    rows = [
        (R.SATISFIED, "", St.NO_COMMENT),
        (R.SATISFIED, "好", St.APPROVED),
        (R.FAIRLY_SATISFIED, "", St.NO_COMMENT),
        (R.FAIRLY_SATISFIED, "还行", St.PENDING),
        (R.DISSATISFIED, "", St.NO_COMMENT),
        (R.DISSATISFIED, "差评", St.PENDING),
        (R.SATISFIED, "垃圾广告", St.REJECTED),  # a rejected submission does not count
    ]
    for rating, comment, status in rows:
        Feedback.objects.create(
            pledge=published, rating=rating, comment=comment, status=status, fingerprint="x"
        )
    other = make_pledge(owner_member=world.member_a2, status=S.PUBLISHED)
    Feedback.objects.create(pledge=other, rating=R.DISSATISFIED, fingerprint="x")

    counted = [r for r in rows if r[2] != St.REJECTED]
    satisfied = [r for r in counted if r[0] in (R.SATISFIED, R.FAIRLY_SATISFIED)]
    expected = (Decimal(len(satisfied) * 100) / len(counted)).quantize(Decimal("0.1"))
    assert selectors.public_satisfaction(pledge=published) == expected == Decimal("66.7")
    # The grade suggestion reads the same figure.
    assert selectors.suggest_grade(pledge=published).satisfaction_score == expected


# ---------------------------------------------------------------------------------------------
# Moderation
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def pending(published: Pledge) -> Feedback:
    return Feedback.objects.create(
        pledge=published,
        rating=Feedback.Rating.SATISFIED,
        comment="书记办事认真",
        status=Feedback.Status.PENDING,
        fingerprint="x",
    )


def decide_url(feedback: Feedback) -> str:
    return reverse("pledges:feedback_decide", kwargs={"pk": feedback.pk})


def test_moderation_page_lists_pending_comments_in_scope(
    client_as: Callable[..., Client], pending: Feedback
) -> None:
    for who in ("secretary_a", "superior", "superuser"):
        response = client_as(who).get(reverse("pledges:feedback_moderation"))
        assert response.status_code == 200
        assert "书记办事认真" in response.content.decode(), who
        assert {v: n for v, _label, n in response.context["tabs"]}["pending"] == 1
    for who in ("secretary_b", "office", "leader", "inspector"):
        response = client_as(who).get(reverse("pledges:feedback_moderation"))
        assert response.status_code == 200
        assert "书记办事认真" not in response.content.decode(), who
    assert client_as("member_user").get(reverse("pledges:feedback_moderation")).status_code == 403
    response = client_as("anonymous").get(reverse("pledges:feedback_moderation"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_approve_shows_the_comment_and_records_who(
    world: World, client_as, pending: Feedback, anon: Client
) -> None:
    response = client_as("secretary_a").post(decide_url(pending), {"decision": "approve"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Feedback.Status.APPROVED
    assert pending.moderated_by == world.users["secretary_a"] and pending.moderated_at
    assert "书记办事认真" in anon.get(pledge_url(pending.pledge)).content.decode()


def test_reject_hides_the_comment_and_its_rating(
    world: World, client_as, pending: Feedback, anon: Client
) -> None:
    assert selectors.public_satisfaction(pledge=pending.pledge) == Decimal("100.0")
    client_as("superior").post(decide_url(pending), {"decision": "reject"})
    pending.refresh_from_db()
    assert pending.status == Feedback.Status.REJECTED
    assert pending.moderated_by == world.users["superior"]
    assert "书记办事认真" not in anon.get(pledge_url(pending.pledge)).content.decode()
    assert selectors.public_satisfaction(pledge=pending.pledge) is None


@pytest.mark.parametrize(
    "who,expected",
    [
        ("secretary_b", 404),
        ("office", 404),
        ("leader", 404),
        ("inspector", 404),
        ("member_user", 403),
        ("anonymous", 302),
        ("inactive", 302),
    ],
)
def test_moderation_outside_scope_changes_nothing(
    client_as, pending: Feedback, who: str, expected: int
) -> None:
    before = list(Feedback.objects.values())
    response = client_as(who).post(decide_url(pending), {"decision": "approve"})
    assert response.status_code == expected
    assert list(Feedback.objects.values()) == before


def test_moderation_illegal_decisions_change_nothing(
    client_as, pending: Feedback, published: Pledge
) -> None:
    before = list(Feedback.objects.values())
    client = client_as("secretary_a")
    assert client.post(decide_url(pending), {"decision": "delete"}).status_code == 302
    assert client.get(decide_url(pending)).status_code == 405
    # A rating without a comment has nothing to moderate: not found.
    rating = Feedback.objects.create(pledge=published, rating="satisfied", fingerprint="y")
    assert client.post(decide_url(rating), {"decision": "approve"}).status_code == 404
    assert list(Feedback.objects.exclude(pk=rating.pk).values()) == before
    rating.refresh_from_db()
    assert rating.status == Feedback.Status.NO_COMMENT


def test_moderation_redirect_stays_on_the_moderation_page(client_as, pending: Feedback) -> None:
    client = client_as("secretary_a")
    moderation = reverse("pledges:feedback_moderation")
    response = client.post(
        decide_url(pending), {"decision": "approve", "next": moderation + "?status=pending"}
    )
    assert response["Location"] == moderation + "?status=pending"
    response = client.post(
        decide_url(pending), {"decision": "reject", "next": "https://evil.example/"}
    )
    assert response["Location"] == moderation


# ---------------------------------------------------------------------------------------------
# Absolute public addresses (QR codes)
# ---------------------------------------------------------------------------------------------


def test_public_urls_use_the_public_base_url(settings, published: Pledge, world: World, rf) -> None:
    settings.PUBLIC_BASE_URL = "https://dangjian.example.gov.cn/"
    assert (
        selectors.public_pledge_url(None, published)
        == f"https://dangjian.example.gov.cn/p/pledge/{published.pk}/"
    )
    assert selectors.public_board_url(world.branch_a) == "https://dangjian.example.gov.cn/p/BR-A/"
    settings.PUBLIC_BASE_URL = ""
    request = rf.get("/", HTTP_HOST="testserver")
    assert selectors.public_pledge_url(request, published) == (
        f"http://testserver/p/pledge/{published.pk}/"
    )
    assert Client().get(selectors.public_pledge_url(request, published)).status_code == 200


def test_board_of_a_new_empty_branch(world: World, anon: Client) -> None:
    org = OrganizationFactory(
        name="新建党支部", code="BR-NEW", level=Organization.Level.BRANCH, parent=world.committee_c
    )
    response = anon.get(board_url(org))
    assert response.status_code == 200
    assert response.context["board"].total == 0


def test_fingerprint_is_stable_and_salted(settings) -> None:
    a = services.client_fingerprint(ip="203.0.113.7", user_agent="UA")
    assert a == services.client_fingerprint(ip="203.0.113.7", user_agent="UA")
    assert a != services.client_fingerprint(ip="203.0.113.8", user_agent="UA")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert a != services.client_fingerprint(ip="203.0.113.7", user_agent="UA")


def test_deadline_in_adjustment_is_a_formatted_date(world: World, make_pledge) -> None:
    pledge = make_pledge(
        owner_member=world.member_a1, status=S.PUBLISHED, deadline=datetime.date(2030, 1, 5)
    )
    adjustment = services.adjustment_request(
        pledge=pledge,
        actor=world.users["secretary_a"],
        content=pledge.content,
        deadline=datetime.date(2030, 3, 1),
        expected_effect=pledge.expected_effect,
        reason="推迟",
    )
    services.adjustment_approve(adjustment=adjustment, actor=world.users["superior"])
    [adj] = selectors.public_pledge_detail(pledge=pledge).adjustments
    [change] = adj.changes
    assert change.field == "deadline" and "2030" in change.before and "-" not in change.before


# ---------------------------------------------------------------------------------------------
# The member page (where the QR code of a pledge card and a desk sign leads)
# ---------------------------------------------------------------------------------------------


def member_url(member: Member, code: str | None = None) -> str:
    return reverse(
        "public:member", kwargs={"code": code or member.branch.code, "member_id": member.pk}
    )


def test_member_page_shows_the_members_public_pledges(
    world: World, board_pledges, anon: Client
) -> None:
    response = anon.get(member_url(world.member_a1))
    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert page.name == "张明华" and page.post == "村委会主任"
    assert page.branch.code == world.branch_a.code
    [group] = page.campaigns
    assert group.campaign.id == world.campaign.pk
    assert [p.content for p in group.pledges] == ["为孤寡老人送温暖", "修缮村道三公里"]
    assert (page.total, page.fulfilled) == (2, 1)
    # Status, progress, and each pledge links to its public page; the branch to its board.
    by_content = {p.content: p for p in group.pledges}
    assert by_content["为孤寡老人送温暖"].progress == 70
    assert by_content["修缮村道三公里"].status == selectors.PublicStatus.FULFILLED
    for key in ("published", "fulfilled"):
        assert pledge_url(board_pledges[key]) in html
    assert f'href="{board_url(world.branch_a)}"' in html
    assert "村委会主任" in html and world.campaign.theme in html
    # Other people's pledges are not on this member's page.
    assert "建设文化广场" not in html and "支部承诺建设便民服务站" not in html

    # 李建国: overdue, evaluated (graded) and withdrawn-after-publication, as on the board.
    page = anon.get(member_url(world.member_a2)).context["page"]
    statuses = {p.content: p.status for p in page.campaigns[0].pledges}
    assert statuses == {
        "建设文化广场": selectors.PublicStatus.OVERDUE,
        "带头学习理论": selectors.PublicStatus.EVALUATED,
        "已撤销的承诺内容": selectors.PublicStatus.WITHDRAWN,
    }


def test_member_page_shows_nothing_private_or_unpublished(
    world: World, board_pledges, anon: Client
) -> None:
    for language in ("zh-hans", "en"):
        anon.cookies["django_language"] = language
        for member in (world.member_a1, world.member_a2):
            response = anon.get(member_url(member))
            assert response.status_code == 200
            assert_nothing_private(response.content.decode(), world)
            # Templates get dataclasses, never a Member or a Pledge.
            for context in response.context:
                for value in context.flatten().values():
                    assert not isinstance(value, Member | Pledge), value


def test_member_page_reads_no_private_column(
    world: World, board_pledges, anon: Client, django_assert_max_num_queries
) -> None:
    """Neither the member nor the pledges' owner is loaded with phone, ID number or birth date:
    what is not read from the database cannot reach the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert anon.get(member_url(world.member_a1)).status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for column in ("phone", "id_number", "birth_date"):
        assert f'"{column}"' not in sql, column
    assert len(queries.captured_queries) <= 10


def test_member_page_of_another_organisation_is_404(
    world: World, board_pledges, make_pledge, anon: Client
) -> None:
    # The sibling branch, the township above and the party group below are not the branch.
    for code in (world.branch_b.code, world.committee_a.code, world.group_a.code, "NO-SUCH"):
        assert anon.get(member_url(world.member_a1, code)).status_code == 404, code
    # A member of the group is found under the group's code only.
    make_pledge(owner_member=world.member_group_a, status=S.PUBLISHED, content="小组成员承诺")
    assert anon.get(member_url(world.member_group_a)).status_code == 200
    assert anon.get(member_url(world.member_group_a, world.branch_a.code)).status_code == 404
    # No such member.
    response = anon.get(reverse("public:member", kwargs={"code": "BR-A", "member_id": 999999}))
    assert response.status_code == 404


def test_member_page_of_an_inactive_member_is_404(
    world: World, board_pledges, anon: Client
) -> None:
    Member.objects.filter(pk=world.member_a1.pk).update(is_active=False)
    assert anon.get(member_url(world.member_a1)).status_code == 404
    # The board keeps the pledges (they were published) but no longer links to the page.
    response = anon.get(board_url(world.branch_a))
    html = response.content.decode()
    assert "为孤寡老人送温暖" in html
    assert member_url(world.member_a1) not in html


def test_member_page_without_a_published_pledge_is_404(
    world: World, board_pledges, make_pledge, anon: Client
) -> None:
    # member_self has no pledge; then only unpublished ones (every state before publication,
    # and one withdrawn before it was published).
    assert anon.get(member_url(world.member_self)).status_code == 404
    for status in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.WITHDRAWN):
        make_pledge("member", status=status, content=f"未公开-{status}")
    assert anon.get(member_url(world.member_self)).status_code == 404
    assert not selectors.member_has_public_page(member=world.member_self)
    # The same answer whatever the reason (the 404 pages differ only in their CSRF tokens).
    missing_url = reverse("public:member", kwargs={"code": "BR-A", "member_id": 999999})
    url = member_url(world.member_self)

    def page(address: str) -> str:
        html = anon.get(address).content.decode().replace(address, "")
        return re.sub(r"\b[A-Za-z0-9]{64}\b", "", html)

    assert page(url) == page(missing_url)
    # Once a pledge is published, the page exists.
    make_pledge("member", status=S.PUBLISHED, content="终于公示的承诺")
    assert anon.get(member_url(world.member_self)).status_code == 200
    assert selectors.member_has_public_page(member=world.member_self)


def test_member_page_of_an_inactive_branch_is_404(
    world: World, board_pledges, anon: Client
) -> None:
    Organization.objects.filter(pk=world.branch_a.pk).update(is_active=False)
    assert anon.get(member_url(world.member_a1)).status_code == 404


def test_member_page_code_case_is_normalised(world: World, board_pledges, anon: Client) -> None:
    response = anon.get(member_url(world.member_a1, "br-a"))
    assert response.status_code == 301
    assert response["Location"] == member_url(world.member_a1)


def test_member_page_groups_pledges_by_campaign_newest_first(
    world: World, board_pledges, make_pledge, anon: Client
) -> None:
    from campaigns.models import Campaign
    from tests.factories import CampaignFactory

    newer = CampaignFactory(
        name="下一年活动",
        root_organization=world.city,
        theme="新一年的主题",
        start_date=world.campaign.start_date + datetime.timedelta(days=365),
    )
    preparing = CampaignFactory(
        name="筹备中的活动", root_organization=world.city, status=Campaign.Status.PREPARING
    )
    make_pledge(owner_member=world.member_a1, campaign=newer, status=S.PUBLISHED, content="新承诺")
    make_pledge(
        owner_member=world.member_a1, campaign=preparing, status=S.PUBLISHED, content="筹备承诺"
    )
    page = anon.get(member_url(world.member_a1)).context["page"]
    assert [g.campaign.id for g in page.campaigns] == [newer.pk, world.campaign.pk]
    assert [p.content for p in page.campaigns[0].pledges] == ["新承诺"]
    assert page.total == 3
    assert "筹备承诺" not in anon.get(member_url(world.member_a1)).content.decode()


def test_board_links_each_member_to_their_page(
    world: World, board_pledges, make_pledge, anon: Client
) -> None:
    make_pledge(owner_member=world.member_group_a, status=S.PUBLISHED, content="小组成员承诺")
    html = anon.get(board_url(world.branch_a)).content.decode()
    for member in (world.member_a1, world.member_a2, world.member_group_a):
        assert f'id="member-{member.pk}"' in html
        assert f'href="{member_url(member)}"' in html
        # Every link the board gives leads to a page.
        assert anon.get(member_url(member)).status_code == 200
    # The group member's page is under the group's own code.
    assert f"/p/{world.group_a.code}/m/{world.member_group_a.pk}/" in html


def test_public_member_url_uses_the_public_base_url(settings, world: World, board_pledges) -> None:
    settings.PUBLIC_BASE_URL = "https://dangjian.example.gov.cn"
    member = Member.objects.select_related("branch").get(pk=world.member_a1.pk)
    assert selectors.public_member_url(member) == (
        f"https://dangjian.example.gov.cn/p/BR-A/m/{member.pk}/"
    )
    assert selectors.print_member_url(member) == selectors.public_member_url(member)
    # Without a public page, a printed code leads to the branch's board, never to a 404.
    other = Member.objects.select_related("branch").get(pk=world.member_self.pk)
    assert selectors.print_member_url(other) == "https://dangjian.example.gov.cn/p/BR-A/"


# ---------------------------------------------------------------------------------------------
# Links from staff pages: the public page, the public board, printing
# ---------------------------------------------------------------------------------------------


def test_member_detail_links_to_the_public_page_and_printing(
    world: World, board_pledges, client_as
) -> None:
    client = client_as("secretary_a")
    html = client.get(reverse("campaigns:member_detail", kwargs={"pk": world.member_a1.pk}))
    html = html.content.decode()
    assert f'href="{member_url(world.member_a1)}"' in html
    card = reverse("pledges:print_member_card", kwargs={"member_id": world.member_a1.pk})
    sign = reverse("pledges:print_desk_sign", kwargs={"member_id": world.member_a1.pk})
    assert card in html and sign in html
    # No public pledge: printing, but no public page link.
    html = client.get(
        reverse("campaigns:member_detail", kwargs={"pk": world.member_self.pk})
    ).content.decode()
    assert "/m/" not in html.split("<main", 1)[-1]
    assert reverse("pledges:print_member_card", kwargs={"member_id": world.member_self.pk}) in html
    # An inactive member: neither.
    Member.objects.filter(pk=world.member_a1.pk).update(is_active=False)
    html = client.get(
        reverse("campaigns:member_detail", kwargs={"pk": world.member_a1.pk})
    ).content.decode()
    assert member_url(world.member_a1) not in html and card not in html


def test_organization_detail_links_to_the_board_and_printing(world: World, client_as) -> None:
    client = client_as("secretary_a")
    url = reverse("campaigns:organization_detail", kwargs={"code": world.branch_a.code})
    html = client.get(url).content.decode()
    assert f'href="{board_url(world.branch_a)}"' in html
    cards = reverse("pledges:print_branch_cards", kwargs={"code": world.branch_a.code})
    assert f"{cards}?per_page=4" in html
    assert reverse("pledges:print_board", kwargs={"code": world.branch_a.code}) in html
    # A committee has no members of its own: its board prints, member cards are not offered.
    html = (
        client_as("superior")
        .get(reverse("campaigns:organization_detail", kwargs={"code": world.committee_a.code}))
        .content.decode()
    )
    assert f'href="{board_url(world.committee_a)}"' in html
    assert reverse("pledges:print_board", kwargs={"code": world.committee_a.code}) in html
    assert (
        reverse("pledges:print_branch_cards", kwargs={"code": world.committee_a.code}) not in html
    )
    # An inactive organisation has no public board and nothing to print.
    Organization.objects.filter(pk=world.branch_a.pk).update(is_active=False)
    html = client.get(url).content.decode()
    assert board_url(world.branch_a) not in html and cards not in html
