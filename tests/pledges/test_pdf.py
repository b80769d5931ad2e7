"""Printed documents (pledges/views/printing.py, pledges/pdf.py): a member's pledge card and desk
sign, a branch's batch, an organisation's board.

The PDFs are read back as a reader would: their text layer (pypdf; pdftotext as well when
poppler-utils is installed) must hold the member's name and the pledge text — not the boxes a
missing CJK glyph prints as — and every font must be embedded, one of them Noto Sans/Serif CJK.
Nothing private (phone, ID number, birth date) and nothing unpublished may reach paper.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import Member
from pledges import pdf, selectors
from pledges.models import Pledge
from tests.conftest import World
from tests.factories import CampaignFactory

S = Pledge.Status

# Points per millimetre: PDF page boxes are in points.
MM = 72 / 25.4


@pytest.fixture(autouse=True)
def _public_base_url(settings) -> None:
    settings.PUBLIC_BASE_URL = "https://dj.example"


# ---------------------------------------------------------------------------------------------
# Reading PDFs back
# ---------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    """Text without whitespace: a CJK line may break anywhere, and extraction adds spaces."""
    return re.sub(r"\s+", "", text)


def _resources_fonts(resources) -> Iterator:
    if resources is None:
        return
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is not None:
        for ref in fonts.get_object().values():
            yield ref.get_object()
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            xobject = ref.get_object()
            yield from _resources_fonts(xobject.get("/Resources"))


def pdf_fonts(content: bytes) -> dict[str, bool]:
    """Every font of the document (pages and their form XObjects): base name → embedded."""
    reader = PdfReader(io.BytesIO(content))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        for font in _resources_fonts(page.get("/Resources")):
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descendant = font["/DescendantFonts"][0].get_object()
                descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


def page_sizes_mm(content: bytes) -> list[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(content))
    return [
        (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM))
        for page in reader.pages
    ]


def assert_cjk_fonts_embedded(content: bytes) -> None:
    fonts = pdf_fonts(content)
    assert fonts, "no font in the PDF"
    not_embedded = [name for name, embedded in fonts.items() if not embedded]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"
    cjk = [name for name in fonts if re.search(r"Noto-?(Sans|Serif)-?CJK", name)]
    assert cjk, f"no Noto Sans/Serif CJK font among {sorted(fonts)}"


def private_values(member: Member) -> list[str]:
    birth = member.birth_date
    return [
        member.phone,
        member.id_number,
        member.masked_id_number,
        birth.isoformat(),
        f"{birth.year}年{birth.month}月{birth.day}日",
        birth.strftime("%Y%m%d"),
    ]


def assert_nothing_private(text: str, *members: Member) -> None:
    flat = squash(text)
    for member in members:
        for value in private_values(member):
            assert value not in flat, f"private value {value!r} of {member.name} printed"


def get_pdf(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF-")
    return response.content


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

CARD_PLEDGE = "为村里孤寡老人修缮房屋三间"
CARD_EFFECT = "老人住房安全得到保障"
CARD_RECTIFY = "改进工作作风耐心听取意见"


@pytest.fixture
def published(world: World, make_pledge: Callable[..., Pledge]) -> dict[str, Pledge]:
    """张明华 (member_a1, branch A) with three public pledges and one in every unpublished state;
    the member of group A with one; branch A itself with one organisation pledge."""
    a1 = world.member_a1
    a1.post = "村委会主任"
    a1.save(update_fields=["post"])
    pledges = {
        "deed": make_pledge(
            owner_member=a1,
            status=S.PUBLISHED,
            content=CARD_PLEDGE,
            expected_effect=CARD_EFFECT,
        ),
        "rectify": make_pledge(
            owner_member=a1,
            status=S.FULFILLED,
            kind=Pledge.Kind.RECTIFY,
            content=CARD_RECTIFY,
            measures="每月自查一次",
        ),
        "evaluated": make_pledge(owner_member=a1, status=S.EVALUATED, content="带头学习党章"),
        "group": make_pledge(
            owner_member=world.member_group_a, status=S.PUBLISHED, content="组织小组学习十二次"
        ),
        "branch": make_pledge("branch", status=S.PUBLISHED, content="硬化村道一点二公里"),
    }
    for state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED):
        pledges[state] = make_pledge(owner_member=a1, status=state, content=f"未公开承诺{state}")
    # Withdrawn after publication: the online board marks it withdrawn; paper does not show it.
    pledges["withdrawn"] = make_pledge(
        owner_member=a1, status=S.WITHDRAWN, content="已撤销的承诺", published_at=timezone.now()
    )
    return pledges


UNPUBLISHED_TEXTS = [
    f"未公开承诺{state}" for state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED)
]


def member_page(member: Member) -> str:
    """The member's public page, where the QR code of their card and sign leads."""
    return f"https://dj.example/p/{member.branch.code}/m/{member.pk}/"


def card_url(member: Member) -> str:
    return reverse("pledges:print_member_card", kwargs={"member_id": member.pk})


def sign_url(member: Member) -> str:
    return reverse("pledges:print_desk_sign", kwargs={"member_id": member.pk})


def batch_url(code: str, **query: str) -> str:
    url = reverse("pledges:print_branch_cards", kwargs={"code": code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def board_url(code: str) -> str:
    return reverse("pledges:print_board", kwargs={"code": code})


# ---------------------------------------------------------------------------------------------
# The pledge card
# ---------------------------------------------------------------------------------------------


def test_card_has_the_member_and_published_pledges_as_text(
    world, client_as, client, published
) -> None:
    content = get_pdf(client_as("secretary_a"), card_url(world.member_a1))
    text = squash(pdf_text(content))
    assert world.member_a1.name in text
    assert world.branch_a.name in text
    assert world.member_a1.post in text
    for pledge_text in (CARD_PLEDGE, CARD_EFFECT, CARD_RECTIFY, "每月自查一次", "带头学习党章"):
        assert pledge_text in text
    # Deadlines are printed; the QR code's address — the member's public page — is printed
    # under it too, and that page answers.
    assert published["deed"].deadline.isoformat() in text
    assert member_page(world.member_a1) in text
    assert (
        client.get(member_page(world.member_a1).removeprefix("https://dj.example")).status_code
        == 200
    )
    # One A5 page.
    assert page_sizes_mm(content) == [(148, 210)]


def test_card_embeds_a_cjk_font(world, client_as, published) -> None:
    assert_cjk_fonts_embedded(get_pdf(client_as("secretary_a"), card_url(world.member_a1)))


def test_card_shows_nothing_unpublished_or_private(world, client_as, published) -> None:
    text = pdf_text(get_pdf(client_as("secretary_a"), card_url(world.member_a1)))
    for unpublished in [*UNPUBLISHED_TEXTS, "已撤销的承诺"]:
        assert unpublished not in squash(text)
    # Other people's pledges are not on this member's card.
    assert "组织小组学习十二次" not in squash(text)
    assert "硬化村道一点二公里" not in squash(text)
    assert_nothing_private(text, world.member_a1)


def test_card_text_through_pdftotext(world, client_as, published, tmp_path) -> None:
    """poppler's reading of the same file (what `pdftotext` users and most viewers get)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "card.pdf"
    path.write_bytes(get_pdf(client_as("secretary_a"), card_url(world.member_a1)))
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    text = squash(result.stdout)
    assert world.member_a1.name in text
    assert CARD_PLEDGE in text
    # U+FFFD or .notdef boxes would mean a glyph with no Unicode mapping.
    assert "\ufffd" not in text


def test_a_member_prints_their_own_card_and_no_one_elses(world, client_as, make_pledge) -> None:
    make_pledge("member", status=S.PUBLISHED, content="我自己的承诺")
    client = client_as("member_user")
    text = squash(pdf_text(get_pdf(client, card_url(world.member_self))))
    assert world.member_self.name in text
    assert "我自己的承诺" in text
    assert client.get(card_url(world.member_a1)).status_code == 404
    assert client.get(sign_url(world.member_a1)).status_code == 404


def _card_layout(world, per_page: int, contents: list[str]) -> list[tuple[float, float, float]]:
    """Lay out cards of 张明华 with these pledge texts and measure each card in WeasyPrint's
    layout tree: (bottom of the last pledge, top of the footer, bottom of the card), in px."""

    from django.template.loader import render_to_string
    from weasyprint import HTML

    from tests.pledges.factories import PledgeFactory

    for text in contents:
        PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_a1,
            status=S.PUBLISHED,
            content=text,
            expected_effect="老人住房安全得到保障，生活条件明显改善",
        )
    campaign, printed = selectors.print_member(member=world.member_a1)
    items = pdf._card_items([printed] * per_page, per_page)
    assert not any(item["long"] for item in items)
    html = render_to_string(
        "pledges/pdf/cards.html",
        {
            "printed_at": timezone.localtime(),
            "fonts": pdf.font_stacks(),
            "campaign": campaign,
            "per_page": per_page,
            "sheets": [items],
            "text_limit": pdf.CARD_TEXT_LIMIT[per_page],
        },
    )
    document = HTML(string=html, encoding="utf-8").render()

    def walk(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    def classes(box) -> list[str]:
        element = getattr(box, "element", None)
        return (element.get("class") or "").split() if element is not None else []

    measured = []
    for card in (b for b in walk(document.pages[0]._page_box) if "card" in classes(b)):
        last = max(
            b.position_y + b.margin_height()
            for b in walk(card)
            if {"pledge", "card-more"} & set(classes(b))
        )
        foot = next(b for b in walk(card) if "card-foot" in classes(b))
        measured.append((last, foot.position_y, card.position_y + card.margin_height()))
    return measured


@pytest.mark.parametrize("per_page", [1, 2])
def test_card_footer_sits_at_the_bottom_clear_of_the_pledges(world, per_page) -> None:
    """One short pledge: the footer (QR code) is at the foot of the card, not under the
    pledge. As many pledges as the line estimate lets on the card: none runs under the
    footer."""
    px_per_mm = 96 / 25.4
    (last, foot, bottom), *_others = _card_layout(world, per_page, ["修缮房屋"])
    # The footer (27 mm high) ends 5 mm above the card's bottom edge, far below the pledge.
    assert bottom - foot < 40 * px_per_mm
    assert foot - last > 60 * px_per_mm
    # With the short one above, three of these fill a lone card close to its line estimate
    # (2.5 + 3 × 4.5 of 19 lines); on a shared sheet the card takes what fits of seven and
    # counts the rest.
    text = "为村里孤寡老人解决冬季取暖问题，每月上门走访一次" * 3
    for last, foot, _bottom in _card_layout(world, per_page, [text] * (3 if per_page == 1 else 7)):
        assert last <= foot


def test_a_long_card_runs_onto_a_second_page_and_keeps_everything(
    world, client_as, make_pledge
) -> None:
    for n in range(12):
        make_pledge(
            owner_member=world.member_a1,
            status=S.PUBLISHED,
            content=f"第{n}件实事：" + "为村里孤寡老人解决冬季取暖问题，每月上门走访一次" * 3,
        )
    content = get_pdf(client_as("secretary_a"), card_url(world.member_a1))
    assert len(page_sizes_mm(content)) >= 2
    text = squash(pdf_text(content))
    assert all(f"第{n}件实事" in text for n in range(12))
    assert text.count(member_page(world.member_a1)) == 1


@pytest.mark.parametrize("who", ["secretary_a", "superior", "office", "leader", "inspector"])
def test_anyone_with_a_role_above_the_member_prints(world, client_as, published, who) -> None:
    assert client_as(who).get(card_url(world.member_a1)).status_code == 200


def test_outsider_gets_404_everywhere(world, client_as, published) -> None:
    client = client_as("secretary_b")
    for url in (
        card_url(world.member_a1),
        sign_url(world.member_a1),
        batch_url(world.branch_a.code),
        board_url(world.branch_a.code),
    ):
        assert client.get(url).status_code == 404, url
    # And a member who does not exist: the same answer.
    assert client_as("secretary_a").get(card_url(Member(pk=999999))).status_code == 404


def test_anonymous_is_sent_to_the_login(world, client) -> None:
    response = client.get(card_url(world.member_a1))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_card_without_published_pledges_says_so(world, client_as) -> None:
    text = pdf_text(get_pdf(client_as("secretary_a"), card_url(world.member_a2)))
    assert world.member_a2.name in squash(text)
    assert "尚无已公示的承诺" in text  # the interface is Chinese first
    # The member's page does not exist (404 without a public pledge): the QR code leads to the
    # branch's board instead, never to "not found".
    assert member_page(world.member_a2) not in squash(text)
    assert squash(text).endswith(f"https://dj.example/p/{world.branch_a.code}/")


def test_the_campaign_parameter_picks_the_campaign(world, client_as, make_pledge) -> None:
    other = CampaignFactory(name="2025年活动", root_organization=world.city, theme="另一主题")
    make_pledge(owner_member=world.member_a1, status=S.PUBLISHED, content="本次活动的承诺")
    make_pledge(
        owner_member=world.member_a1, campaign=other, status=S.PUBLISHED, content="另一活动的承诺"
    )
    client = client_as("secretary_a")
    text = squash(pdf_text(get_pdf(client, card_url(world.member_a1) + f"?campaign={other.pk}")))
    assert "另一活动的承诺" in text and "另一主题" in text
    assert "本次活动的承诺" not in text
    assert client.get(card_url(world.member_a1) + "?campaign=abc").status_code == 404


def test_user_text_is_printed_as_text_never_as_markup(world, client_as, make_pledge) -> None:
    make_pledge(
        owner_member=world.member_a1,
        status=S.PUBLISHED,
        content='修路<img src="file:///etc/passwd">三公里',
    )
    text = squash(pdf_text(get_pdf(client_as("secretary_a"), card_url(world.member_a1))))
    assert '修路<imgsrc="file:///etc/passwd">三公里' in text


# ---------------------------------------------------------------------------------------------
# The desk sign
# ---------------------------------------------------------------------------------------------


def test_printed_qr_codes_lead_to_the_member_page(world, published) -> None:
    """What the QR code of a card and a sign encodes (the sign prints no address as text)."""
    _campaign, printed = selectors.print_member(member=world.member_a1)
    assert printed.public_url == member_page(world.member_a1)
    _campaign, batch = selectors.print_branch_members(
        user=world.users["secretary_a"], org=world.branch_a
    )
    assert {m.name: m.public_url for m in batch} == {
        world.member_a1.name: member_page(world.member_a1),
        world.member_group_a.name: member_page(world.member_group_a),  # under the group's code
    }
    # A member who has left keeps a printable card, whose code leads to the branch's board.
    Member.objects.filter(pk=world.member_a1.pk).update(is_active=False)
    world.member_a1.refresh_from_db()
    _campaign, printed = selectors.print_member(member=world.member_a1)
    assert printed.public_url == f"https://dj.example/p/{world.branch_a.code}/"


def test_desk_sign_is_a_tent_card_with_name_and_pledge(world, client_as, published) -> None:
    content = get_pdf(client_as("secretary_a"), sign_url(world.member_a1))
    text = squash(pdf_text(content))
    # Both faces of the tent carry the name and the start of the first pledge.
    assert text.count(world.member_a1.name) >= 2
    assert text.count(CARD_PLEDGE[:8]) >= 2
    assert world.member_a1.post in text
    assert page_sizes_mm(content) == [(210, 297)]
    assert_cjk_fonts_embedded(content)
    for unpublished in UNPUBLISHED_TEXTS:
        assert unpublished not in text
    assert_nothing_private(text, world.member_a1)


def test_sign_summary_takes_the_first_pledges_and_cuts() -> None:
    from pledges.selectors import PublicPledge

    def public(content: str) -> PublicPledge:
        return PublicPledge(
            id=1,
            kind="deed",
            kind_label="",
            term_label="",
            content=content,
            deadline=None,
            expected_effect="",
            measures="",
            status="in_progress",
            status_label="",
            grade_label="",
            progress=None,
            owner_name="",
            owner_post="",
            is_member_pledge=True,
            organization_name="",
            organization_code="",
            published_at=None,
        )

    items = [public("一一"), public("二  二"), public("三三"), public("四四")]
    assert pdf._summary(items, 100) == "一一; 二 二; 三三"
    assert pdf._summary(items, 6) == "一一; 二…"


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "pages", "size"),
    [
        ({}, 2, (148, 210)),  # one A5 card per page (a1 and the group member)
        ({"per_page": "2"}, 1, (297, 210)),  # two A5 cards on A4 landscape
        ({"per_page": "4"}, 1, (210, 297)),  # four A6 cards on A4 portrait
        ({"kind": "sign"}, 2, (210, 297)),  # one tent card per A4 sheet
        ({"kind": "sign", "per_page": "2"}, 1, (210, 297)),
        ({"kind": "sign", "per_page": "4"}, 1, (297, 210)),
        ({"per_page": "7"}, 2, (148, 210)),  # anything else: one per page
    ],
)
def test_branch_batch_layouts(world, client_as, published, query, pages, size) -> None:
    content = get_pdf(client_as("secretary_a"), batch_url(world.branch_a.code, **query))
    assert page_sizes_mm(content) == [size] * pages
    text = squash(pdf_text(content))
    # Members of the branch and of its party group, with published pledges only.
    assert world.member_a1.name in text
    assert world.member_group_a.name in text
    assert world.member_a2.name not in text  # no published pledge: no card
    assert world.member_b1.name not in text
    if query.get("kind") != "sign":  # a card prints its QR code's address
        assert member_page(world.member_a1) in text
        assert member_page(world.member_group_a) in text
    for unpublished in UNPUBLISHED_TEXTS:
        assert unpublished not in text
    assert_nothing_private(text, world.member_a1, world.member_group_a)
    assert_cjk_fonts_embedded(content)


def test_shared_sheet_cards_count_what_did_not_fit(world, client_as, make_pledge) -> None:
    for n in range(10):
        make_pledge(
            owner_member=world.member_a1,
            status=S.PUBLISHED,
            content=f"第{n}件实事：" + "为村里孤寡老人解决冬季取暖问题，每月上门走访一次" * 2,
        )
    text = pdf_text(get_pdf(client_as("secretary_a"), batch_url(world.branch_a.code, per_page="4")))
    # A few fit on an A6 card (texts cut short); the card counts the rest, which the QR code's
    # member page shows.
    match = re.search(r"另有(\d+)项承诺", squash(text))
    assert match, text
    shown = [n for n in range(10) if f"第{n}件实事" in squash(text)]
    assert shown == list(range(len(shown))) and len(shown) >= 3
    assert len(shown) + int(match.group(1)) == 10


def test_short_pledges_all_fit_on_a_shared_sheet(world, client_as, make_pledge) -> None:
    for n in range(5):
        make_pledge(owner_member=world.member_a1, status=S.PUBLISHED, content=f"第{n}件实事")
    text = pdf_text(get_pdf(client_as("secretary_a"), batch_url(world.branch_a.code, per_page="4")))
    assert all(f"第{n}件实事" in squash(text) for n in range(5))
    assert "另有" not in squash(text)


def test_batch_of_a_group_prints_only_its_members(world, client_as, published) -> None:
    text = squash(pdf_text(get_pdf(client_as("secretary_a"), batch_url(world.group_a.code))))
    assert world.member_group_a.name in text
    assert world.member_a1.name not in text


def test_member_without_a_role_cannot_print_a_batch(world, client_as, published) -> None:
    assert client_as("member_user").get(batch_url(world.branch_a.code)).status_code == 403


def test_too_many_members_for_one_request(world, client_as, published, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "PRINT_MAX_MEMBERS", 1)
    response = client_as("secretary_a").get(batch_url(world.branch_a.code))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "campaigns:organization_detail", kwargs={"code": world.branch_a.code}
    )


# ---------------------------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------------------------


def test_board_lists_organisation_and_member_pledges(world, client_as, published) -> None:
    content = get_pdf(client_as("leader"), board_url(world.branch_a.code))
    raw = pdf_text(content)
    text = squash(raw)
    assert world.branch_a.name in text
    assert world.campaign.name in text
    assert "硬化村道一点二公里" in text  # the branch's own pledge
    for pledge_text in (CARD_PLEDGE, CARD_RECTIFY, "组织小组学习十二次"):
        assert pledge_text in text
    # Grouped by member: each member's name comes before their pledges.
    assert text.index(world.member_a1.name) < text.index(CARD_PLEDGE)
    # Page numbers and the print date from the margin boxes, the board's own address.
    assert "第1页，共" in text
    assert "打印于" in text
    assert f"https://dj.example/p/{world.branch_a.code}/" in text
    for unpublished in [*UNPUBLISHED_TEXTS, "已撤销的承诺"]:
        assert unpublished not in text
    assert_nothing_private(raw, world.member_a1, world.member_group_a)
    assert_cjk_fonts_embedded(content)
    assert set(page_sizes_mm(content)) == {(210, 297)}


def test_board_of_a_sibling_branch_does_not_list_branch_a(world, client_as, published) -> None:
    text = squash(pdf_text(get_pdf(client_as("secretary_b"), board_url(world.branch_b.code))))
    assert world.branch_b.name in text
    assert world.member_a1.name not in text
    assert CARD_PLEDGE not in text


# ---------------------------------------------------------------------------------------------
# Rendering helpers
# ---------------------------------------------------------------------------------------------


def test_page_counter_follows_the_translation() -> None:
    assert pdf.css_page_counter() == '"Page " counter(page) " of " counter(pages)'


def test_css_strings_cannot_close_the_style_element() -> None:
    assert pdf.css_string('a"b</style>') == '"a\\"b\\3c /style\\3e "'


def test_font_stacks_name_a_cjk_font_first() -> None:
    from django.utils import translation

    for language, first in (("zh-hans", "SC"), ("zh-hant", "TC"), ("en", "SC")):
        with translation.override(language):
            stacks = pdf.font_stacks()
        for stack in stacks.values():
            assert stack.startswith(f'"Noto Sans CJK {first}"') or stack.startswith(
                (f'"Noto Serif CJK {first}"', f'"Noto Sans Mono CJK {first}"')
            )


def test_qr_code_is_a_png_data_uri() -> None:
    uri = pdf.qr_data_uri("https://dj.example/p/BR-A/m/1/")
    assert uri.startswith("data:image/png;base64,")


def test_print_links_for_other_pages(world) -> None:
    """The partials other pages include to offer printing."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "pledges/printing_member_links.html", {"member": world.member_a1}
    ) + render_to_string("pledges/printing_org_links.html", {"org": world.branch_a})
    assert card_url(world.member_a1) in html
    assert sign_url(world.member_a1) in html
    assert batch_url(world.branch_a.code) + "?per_page=4" in html
    assert batch_url(world.branch_a.code) + "?kind=sign&amp;per_page=2" in html
    assert board_url(world.branch_a.code) in html
