"""The pledge cycle in a real browser, on a phone screen, in Chinese (issue 3, "one browser
test"): 定诺 → 审诺 (return and approve) → resubmission → 审诺 → 亮诺 → the public board and
public feedback.

One long journey on purpose: every ``live_server`` test ends with a flush of the whole database
(slow), so the browser tests are few and long. Each person has a browser context of their own
(their own cookies), all with a 375×812 phone viewport and a zh-CN browser; they log in through
the real login page. Actions are found by stable attributes (ids, names, URLs, ``data-``
attributes); visible Chinese is checked where it is data or translated model choices (status
badges, kinds, return reasons). After each browser step the database is checked too.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaigns.models import Campaign, Phase
from pledges.forms import FEEDBACK_MIN_SECONDS
from pledges.models import Feedback, Pledge, PledgeHistory
from tests.browser.conftest import PageProblems
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the secretary writes for 张明华 (member_a1 of branch A).
DEED = "每月为村里三户孤寡老人上门送菜、打扫卫生"
DEED_EFFECT = "老人生活有人照应"
WORK = "牵头修订村规民约并组织全体村民讨论"
WORK_EFFECT = "村规民约经村民大会表决通过"
# The reviewer returns the work pledge with this reason and comment; the secretary fixes it.
RETURN_REASON = "目标不具体"
RETURN_COMMENT = "请写明完成的具体时间节点和讨论的次数"
WORK_ADDITION = "，六月底前组织两次讨论"
# The visitor's comment on the deed pledge.
FEEDBACK_COMMENT = "老人们都说送菜很及时，谢谢党员同志"

# Status badges as the zh-hans catalogue shows them (model choices: stable).
ZH_DRAFT = "草稿"
ZH_SUBMITTED = "待审核"
ZH_RETURNED = "退回修改"
ZH_APPROVED = "已审核（备案）"
ZH_KIND_DEED = "实事承诺"
ZH_KIND_WORK = "工作承诺"


@pytest.fixture
def campaign_now(world: World) -> World:
    """The shared world's campaign runs in 2024; pledging only needs its pledge phase to have
    started, but the journey happens as it would for real: the campaign under way today, in
    its pledge phase (公开承诺), with the deadline falling in the fulfilment phase."""
    today = timezone.localdate()
    days = datetime.timedelta
    campaign = world.campaign
    campaign.start_date, campaign.end_date = today - days(30), today + days(365)
    campaign.save(update_fields=["start_date", "end_date"])
    spans = {
        Phase.Kind.MOBILISE: (today - days(30), today - days(16)),
        Phase.Kind.PLEDGE: (today - days(15), today + days(30)),
        Phase.Kind.FULFIL: (today + days(31), today + days(300)),
        Phase.Kind.EVALUATE: (today + days(301), today + days(365)),
    }
    for phase in world.phases:
        phase.start_date, phase.end_date = spans[phase.kind]
        phase.save(update_fields=["start_date", "end_date"])
    assert campaign.status == Campaign.Status.ACTIVE
    return world


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, username: str) -> None:
    """Through the real login page, in Chinese."""
    page.goto(f"{base}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _statuses(world: World) -> dict[str, str]:
    return dict(
        Pledge.objects.filter(owner_member=world.member_a1).values_list("content", "status")
    )


def test_pledge_cycle_secretary_reviewer_visitor(
    live_server,
    campaign_now: World,
    new_phone_page: Callable[[], Page],
    page_problems: PageProblems,
    shots_dir: Path,
) -> None:
    started = time.monotonic()
    world = campaign_now
    base = live_server.url
    member = world.member_a1  # 张明华, branch A
    row_key = f"m{member.pk}"
    deadline = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    # Feedback rate limits live in the cache, which outlives the test database.
    cache.clear()

    # -----------------------------------------------------------------------------------------
    # 1. The branch secretary drafts two pledges for 张明华 on the branch page (quick entry, no
    #    page reload) and submits the row's drafts.
    # -----------------------------------------------------------------------------------------
    secretary = new_phone_page()
    _log_in(secretary, base, "secretary_a")
    secretary.goto(f"{base}/pledges/branch/{world.branch_a.code}/")
    row = secretary.locator(f"#row-{row_key}")
    expect(row.locator(f"#row-{row_key}-name")).to_contain_text(member.name)
    # A marker that a full page load would wipe out: quick entry must not reload the page.
    secretary.evaluate("window.__journeyMarker = 'still here'")

    row.locator("details.quick-entry > summary").click()
    form = row.locator(f"#quick-{row_key}")
    chips = row.locator(f"#pledges-{row_key} > li.branch-chip")
    for number, (kind, text, effect) in enumerate(
        ((Pledge.Kind.DEED, DEED, DEED_EFFECT), (Pledge.Kind.WORK, WORK, WORK_EFFECT)), start=1
    ):
        expect(form.locator(f'[name="{row_key}-content"]')).to_be_visible()
        form.locator(f'[name="{row_key}-kind"]').select_option(kind)
        form.locator(f'[name="{row_key}-term"]').select_option(Pledge.Term.ANNUAL)
        form.locator(f'[name="{row_key}-deadline"]').fill(deadline)
        form.locator(f'[name="{row_key}-content"]').fill(text)
        form.locator(f'[name="{row_key}-expected_effect"]').fill(effect)
        form.locator("button[type=submit]").click()
        # The answer appends the new chip to the row and replaces the form with a fresh one.
        expect(chips).to_have_count(number)
        expect(chips.nth(number - 1)).to_contain_text(text)
        expect(form.locator(f'[name="{row_key}-content"]')).to_have_value("")
    expect(chips.locator(".pledge-status")).to_have_text([ZH_DRAFT, ZH_DRAFT])
    expect(chips.locator(".kind-badge")).to_have_text([ZH_KIND_DEED, ZH_KIND_WORK])
    assert secretary.evaluate("window.__journeyMarker") == "still here", "quick entry reloaded"
    _shot(secretary, shots_dir, "01-secretary-two-drafts")
    assert _statuses(world) == {DEED: Pledge.Status.DRAFT, WORK: Pledge.Status.DRAFT}

    deed = Pledge.objects.get(owner_member=member, content=DEED)
    work = Pledge.objects.get(owner_member=member, content=WORK)
    assert deed.author == work.author == world.users["secretary_a"]
    assert deed.campaign == world.campaign
    assert deed.deadline.isoformat() == deadline

    # The row's "submit its drafts" button (out-of-band updated by the quick entries).
    row.locator(f"#drafts-{row_key} button[type=submit]").click()
    expect(secretary).to_have_url(re.compile(rf"/pledges/branch/{world.branch_a.code}/"))
    expect(chips.locator(".pledge-status")).to_have_text([ZH_SUBMITTED, ZH_SUBMITTED])
    _shot(secretary, shots_dir, "02-secretary-submitted")
    assert _statuses(world) == {DEED: Pledge.Status.SUBMITTED, WORK: Pledge.Status.SUBMITTED}

    # -----------------------------------------------------------------------------------------
    # 2. The reviewer — the secretary of the township committee above (a committee role on an
    #    ancestor; not the author) — returns the work pledge with a reason and a comment and
    #    approves the deed, both inline in the review queue.
    # -----------------------------------------------------------------------------------------
    reviewer = new_phone_page()
    _log_in(reviewer, base, "superior")
    reviewer.goto(f"{base}/pledges/review/")
    deed_item = reviewer.locator(f"#queue-item-{deed.pk}")
    work_item = reviewer.locator(f"#queue-item-{work.pk}")
    expect(deed_item).to_contain_text(DEED)
    expect(work_item).to_contain_text(WORK)
    _shot(reviewer, shots_dir, "03-reviewer-queue")

    work_item.locator("details.review-return > summary").click()
    work_item.get_by_label(RETURN_REASON).check()
    work_item.locator(f"#q{work.pk}-comment").fill(RETURN_COMMENT)
    _shot(reviewer, shots_dir, "04-reviewer-return-form")
    work_item.locator('form:has(input[name="decision"][value="return"]) [type=submit]').click()
    expect(work_item.locator(".pledge-status")).to_have_text(ZH_RETURNED)

    deed_item.locator('form:has(input[name="decision"][value="approve"]) [type=submit]').click()
    expect(deed_item.locator(".pledge-status")).to_have_text(ZH_APPROVED)
    _shot(reviewer, shots_dir, "05-reviewer-returned-and-approved")

    assert _statuses(world) == {DEED: Pledge.Status.APPROVED, WORK: Pledge.Status.RETURNED}
    returned = PledgeHistory.objects.get(pledge=work, action=PledgeHistory.Action.RETURN)
    assert returned.actor == world.users["superior"]
    assert returned.comment == RETURN_COMMENT
    assert [reason.text for reason in returned.reasons.all()] == [RETURN_REASON]

    # -----------------------------------------------------------------------------------------
    # 3. The secretary sees the return with its reason and comment, revises and resubmits.
    # -----------------------------------------------------------------------------------------
    secretary.goto(f"{base}/pledges/branch/{world.branch_a.code}/")
    work_chip = secretary.locator(f"#pledge-{work.pk}")
    expect(work_chip.locator(".pledge-status")).to_have_text(ZH_RETURNED)
    work_chip.locator(f'a[href$="/pledges/{work.pk}/edit/"]').click()
    expect(secretary).to_have_url(re.compile(rf"/pledges/{work.pk}/edit/$"))
    notice = secretary.locator(".pledge-return-notice")
    expect(notice).to_contain_text(RETURN_REASON)
    expect(notice).to_contain_text(RETURN_COMMENT)
    content = secretary.locator('textarea[name="content"]')
    expect(content).to_have_value(WORK)
    content.fill(WORK + WORK_ADDITION)
    _shot(secretary, shots_dir, "06-secretary-revising")
    secretary.locator('button[type=submit][name="submit"]').click()  # save and resubmit
    expect(secretary).to_have_url(re.compile(rf"/pledges/{work.pk}/$"))
    expect(secretary.locator(".pledge-status").first).to_have_text(ZH_SUBMITTED)
    _shot(secretary, shots_dir, "07-secretary-resubmitted")

    work.refresh_from_db()
    assert work.status == Pledge.Status.SUBMITTED
    assert work.content == WORK + WORK_ADDITION
    assert work.history.filter(action=PledgeHistory.Action.RESUBMIT).exists()

    # -----------------------------------------------------------------------------------------
    # 4. The reviewer opens the resubmitted pledge, sees what changed, approves it, and
    #    publishes both approved pledges of the branch in one action.
    # -----------------------------------------------------------------------------------------
    reviewer.goto(f"{base}/pledges/review/")
    expect(reviewer.locator(f"#queue-item-{deed.pk}")).to_have_count(0)  # approved: gone
    work_item.locator(f'a[href^="/pledges/review/{work.pk}/"]').click()
    expect(reviewer).to_have_url(re.compile(rf"/pledges/review/{work.pk}/"))
    changes = reviewer.locator('section[aria-labelledby="changes-title"]')
    expect(changes.locator("ins").first).to_contain_text("六月底前组织两次讨论")
    _shot(reviewer, shots_dir, "08-reviewer-sees-the-changes")
    reviewer.locator(
        'form:has(input[name="decision"][value="approve"]) button[type=submit]'
    ).click()
    expect(reviewer).to_have_url(re.compile(r"/pledges/review/(\?.*)?$"))
    expect(reviewer.locator(".review-item")).to_have_count(0)
    assert _statuses(world) == {
        DEED: Pledge.Status.APPROVED,
        WORK + WORK_ADDITION: Pledge.Status.APPROVED,
    }

    # From the queue to the publication of the township committee's approved pledges,
    # including the organisations below it (branch A), then confirm.
    # Above branch level the link already includes the organisations below.
    reviewer.locator(
        f'a[href="/pledges/review/publish/{world.committee_a.code}/?include_subtree=1"]'
    ).click()
    expect(reviewer).to_have_url(re.compile(r"include_subtree=1"))
    expect(reviewer.locator("#include-subtree")).to_be_checked()
    publish_form = reviewer.locator('form[method="post"]:has(input[name="expected"])')
    expect(publish_form.locator('input[name="expected"]')).to_have_value("2")
    _shot(reviewer, shots_dir, "09-reviewer-publish-confirm")
    reviewer.once("dialog", lambda dialog: dialog.accept())  # data-confirm
    publish_form.locator("button[type=submit]").click()
    expect(reviewer.locator(".alert-success")).to_contain_text("2")
    _shot(reviewer, shots_dir, "10-reviewer-published")
    assert _statuses(world) == {
        DEED: Pledge.Status.PUBLISHED,
        WORK + WORK_ADDITION: Pledge.Status.PUBLISHED,
    }

    # -----------------------------------------------------------------------------------------
    # 5. An anonymous visitor finds both on the branch's public board and rates the deed.
    # -----------------------------------------------------------------------------------------
    visitor = new_phone_page()
    visitor.goto(f"{base}/p/{world.branch_a.code}/")
    expect(visitor.locator("html")).to_have_attribute("lang", "zh-hans")
    card = visitor.locator("article.public-member-card", has_text=member.name)
    expect(card.locator("li.public-pledge")).to_have_count(2)
    expect(card).to_contain_text(DEED)
    expect(card).to_contain_text(WORK + WORK_ADDITION)
    expect(card.locator(".public-kind")).to_have_text([ZH_KIND_DEED, ZH_KIND_WORK])
    expect(card.locator(".public-status-in_progress")).to_have_count(2)
    board_html = visitor.content()
    assert member.phone not in board_html and member.id_number not in board_html
    _shot(visitor, shots_dir, "11-visitor-board")

    card.locator(f'a[href="/p/pledge/{deed.pk}/"]').first.click()
    expect(visitor).to_have_url(re.compile(rf"/p/pledge/{deed.pk}/$"))
    shown_at = time.monotonic()
    feedback_form = visitor.locator(f'form[action="/p/pledge/{deed.pk}/feedback/"]')
    feedback_form.locator(f'input[name="rating"][value="{Feedback.Rating.SATISFIED}"]').check()
    feedback_form.locator('textarea[name="comment"]').fill(FEEDBACK_COMMENT)
    _shot(visitor, shots_dir, "12-visitor-feedback-form")
    # The spam trap silently drops a form sent sooner than FEEDBACK_MIN_SECONDS after it was
    # rendered (a person reads first; a bot posts at once). The only timed wait of the test.
    remaining = FEEDBACK_MIN_SECONDS + 1.0 - (time.monotonic() - shown_at)
    if remaining > 0:
        visitor.wait_for_timeout(remaining * 1000)
    feedback_form.locator("button[type=submit]").click()
    expect(visitor).to_have_url(re.compile(rf"/p/pledge/{deed.pk}/feedback/$"))
    expect(visitor.locator(f'a[href="/p/pledge/{deed.pk}/"]')).to_be_visible()  # thank-you
    _shot(visitor, shots_dir, "13-visitor-thanks")

    stored = Feedback.objects.get(pledge=deed)
    assert stored.rating == Feedback.Rating.SATISFIED
    assert stored.comment == FEEDBACK_COMMENT
    assert stored.status == Feedback.Status.PENDING  # held for the branch's moderation
    assert not Feedback.objects.filter(pledge=work).exists()

    # The rating counts at once; the comment stays off the public page until the branch
    # committee approves it.
    visitor.goto(f"{base}/p/pledge/{deed.pk}/")
    expect(visitor.locator(".public-satisfaction")).to_contain_text("100%")
    expect(visitor.locator('section[aria-labelledby="comments-title"]')).not_to_contain_text(
        FEEDBACK_COMMENT
    )
    _shot(visitor, shots_dir, "14-visitor-pledge-after-feedback")

    assert not page_problems.errors, "\n".join(page_problems.errors)
    print(f"journey took {time.monotonic() - started:.1f} s; screenshots in {shots_dir}")
