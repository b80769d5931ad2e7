"""Printed documents of 亮诺 (publishing pledges), rendered by WeasyPrint: a pledge card
(共产党员承诺卡) and a desk sign (共产党员先锋岗) per member, a branch's cards or signs in one file,
and an organisation's pledge board (公示栏).

Each function takes data already read and scoped (``pledges.selectors``, printing section) and
returns the PDF as bytes. The documents are small, so they render inside the request.

Typesetting rules (see shared/PITFALLS.md, WeasyPrint): every template declares
``<meta charset="utf-8">``; every font stack, @page margin boxes included, names a CJK font
(Noto Sans/Serif CJK SC from Debian's fonts-noto-cjk), otherwise Chinese falls back to boxes;
fonts are subset, never ``full_fonts``; the stylesheet is the templates' own few rules, no CSS
framework. The renderer may fetch nothing but ``data:`` URIs (the QR codes), so no text a user
typed can make the server read a file or call a URL.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Sequence
from itertools import islice
from typing import Any

import qrcode
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from pledges.selectors import PrintedBoard, PrintedMember, PublicCampaign, PublicPledge

# How many cards or signs fit on one A4 sheet, and the page each layout prints on.
PER_PAGE_CHOICES = (1, 2, 4)

# A card sharing a sheet is a fixed box: it shows the pledges that fit, their texts cut to
# CARD_TEXT_LIMIT characters, and counts the rest, which the QR code's member page shows. What
# fits is estimated in lines of text (CJK characters are all one width, so a line holds a known
# number of them): CARD_LINES is (lines available, characters per content line, characters per
# deadline-and-effect line) for the card's paper size, measured on the layouts with some margin
# (checked by rendering a few hundred random cards and measuring the space left between the last
# pledge and the footer: at least 4 mm with these values; at 22/21 lines A5 cards overlapped
# their footer by up to 5 mm). A card alone on its A5 page shows everything; past its lines it
# is "long" and runs onto a second page with the footer after the pledges.
CARD_TEXT_LIMIT = {1: None, 2: 90, 4: 46}
CARD_LINES = {1: (19, 36, 42), 2: (19, 36, 42), 4: (18, 32, 38)}
# Number, kind badge and spacing take about this many characters of the first content line; the
# labels of the deadline-and-effect line about this many.
_CONTENT_EXTRA_CHARS = 7
_META_EXTRA_CHARS = 22
# The desk sign's one-line pledge summary: the first pledges' contents, cut to what one line of
# the face holds (CJK characters are all one width; Latin letters and digits are narrower). Not
# CSS text-overflow: WeasyPrint maps its ellipsis glyph to the hidden text in the text layer, one
# mapping per document, so every sign of a batch would "contain" one member's hidden words.
SIGN_SUMMARY_PLEDGES = 3
SIGN_SUMMARY_CHARS = 30


def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as a PNG ``data:`` URI, one pixel per module. The stylesheet scales
    it with ``image-rendering: pixelated`` (no interpolation), so it prints as sharp squares at
    any size. A vector (SVG) code looks the same but costs WeasyPrint ~35 ms and ~50 KB per code
    (hundreds of little squares drawn as paths), which a branch's batch multiplies by 70."""
    return _qr_data_uri(url)


@functools.lru_cache(maxsize=1024)
def _qr_data_uri(url: str) -> str:
    # Medium error correction survives a fold, a crease or a thumb over a corner.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def font_stacks() -> dict[str, str]:
    """CSS font stacks for the active language: Noto CJK from Debian's fonts-noto-cjk, the
    traditional-Chinese cut first when printing in traditional Chinese."""
    traditional = (get_language() or "").lower() in ("zh-hant", "zh-tw", "zh-hk")
    first, second = ("TC", "SC") if traditional else ("SC", "TC")
    return {
        "sans": f'"Noto Sans CJK {first}", "Noto Sans CJK {second}", sans-serif',
        "serif": (
            f'"Noto Serif CJK {first}", "Noto Serif CJK {second}", "Noto Sans CJK {first}", serif'
        ),
        "mono": f'"Noto Sans Mono CJK {first}", "Noto Sans CJK {first}", monospace',
    }


def _render(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(
        template, {"printed_at": timezone.localtime(), "fonts": font_stacks(), **context}
    )
    # Only data: URIs: the QR codes are the sole resources; nothing else may be fetched.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, encoding="utf-8", url_fetcher=fetcher).write_pdf()


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    iterator = iter(items)
    return list(iter(lambda: list(islice(iterator, size)), []))


def _pledge_lines(pledge: PublicPledge, per_page: int) -> float:
    """About how many lines a pledge takes on a card (plus the rule between pledges)."""
    limit = CARD_TEXT_LIMIT[per_page]
    _available, content_chars, meta_chars = CARD_LINES[per_page]

    def cut(text: str) -> int:
        return min(len(text), limit) if limit else len(text)

    lines = math.ceil((cut(pledge.content) + _CONTENT_EXTRA_CHARS) / content_chars)
    lines += math.ceil((cut(pledge.expected_effect) + _META_EXTRA_CHARS) / meta_chars)
    if per_page == 1 and pledge.measures:
        lines += math.ceil((len(pledge.measures) + 5) / meta_chars)
    return lines + 0.5


def _card_items(printed: Sequence[PrintedMember], per_page: int) -> list[dict[str, Any]]:
    """What each card shows: its member, QR code, the pledges that fit and how many did not
    (always at least one), and whether a lone card runs past its page."""
    available = CARD_LINES[per_page][0]
    items = []
    for member in printed:
        needed = [_pledge_lines(p, per_page) for p in member.pledges]
        if per_page == 1:
            shown = list(member.pledges)
        else:
            # Keep a line for "and N more" whenever something is left out.
            count, used = 0, 0.0
            for n, lines in enumerate(needed):
                room = available - (0 if n == len(needed) - 1 else 1)
                if count and used + lines > room:
                    break
                count, used = count + 1, used + lines
            shown = list(member.pledges[:count])
        items.append(
            {
                "member": member,
                "qr": qr_data_uri(member.public_url),
                "pledges": shown,
                "left_out": len(member.pledges) - len(shown),
                # Too long for one page: the footer follows the pledges instead of sitting at
                # the bottom of the first page.
                "long": per_page == 1 and sum(needed) > available,
            }
        )
    return items


def _summary(pledges: Sequence[PublicPledge], chars: int) -> str:
    """The desk sign's one line: the first pledges' contents, joined and cut to ``chars``."""
    text = pgettext("separator between pledges on a desk sign", "; ").join(
        " ".join(p.content.split()) for p in pledges[:SIGN_SUMMARY_PLEDGES]
    )
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _check_per_page(per_page: int) -> None:
    if per_page not in PER_PAGE_CHOICES:
        raise ValueError(f"per_page must be one of {PER_PAGE_CHOICES}")


def member_cards_pdf(
    *,
    printed: Sequence[PrintedMember],
    campaign: PublicCampaign | None,
    per_page: int = 1,
    title: str = "",
) -> bytes:
    """Pledge cards (共产党员承诺卡): one A5 card per page, or 2 (A5) or 4 (A6) per A4 sheet
    with cut lines. A card alone on its page shows every pledge in full (continuing on a second
    page if need be); on a shared sheet it shows what fits and counts the rest."""
    _check_per_page(per_page)
    items = _card_items(printed, per_page)
    return _render(
        "pledges/pdf/cards.html",
        {
            "title": title or _("Pledge cards"),
            "campaign": campaign,
            "per_page": per_page,
            "sheets": _chunks(items, per_page),
            "text_limit": CARD_TEXT_LIMIT[per_page],
        },
    )


def member_card_pdf(
    *, printed: PrintedMember, campaign: PublicCampaign | None, title: str = ""
) -> bytes:
    """One member's pledge card on an A5 page."""
    return member_cards_pdf(
        printed=[printed],
        campaign=campaign,
        per_page=1,
        title=title or _("Pledge card of %(name)s") % {"name": printed.name},
    )


def desk_signs_pdf(
    *,
    printed: Sequence[PrintedMember],
    campaign: PublicCampaign | None,
    per_page: int = 1,
    title: str = "",
) -> bytes:
    """Desk signs (共产党员先锋岗). One per A4 sheet is a tent card: the sheet folds across the
    middle and both faces read upright on a desk. Two (A5) or four (A6) per sheet are flat
    signs for a sign holder, with cut lines."""
    _check_per_page(per_page)
    items = [
        {
            "member": member,
            "qr": qr_data_uri(member.public_url),
            "summary": _summary(member.pledges, SIGN_SUMMARY_CHARS),
        }
        for member in printed
    ]
    return _render(
        "pledges/pdf/signs.html",
        {
            "title": title or _("Desk signs"),
            "campaign": campaign,
            "per_page": per_page,
            "sheets": _chunks(items, per_page),
        },
    )


def desk_sign_pdf(
    *, printed: PrintedMember, campaign: PublicCampaign | None, title: str = ""
) -> bytes:
    """One member's desk sign as a tent card on an A4 sheet."""
    return desk_signs_pdf(
        printed=[printed],
        campaign=campaign,
        per_page=1,
        title=title or _("Desk sign of %(name)s") % {"name": printed.name},
    )


def board_pdf(*, board: PrintedBoard, title: str = "") -> bytes:
    """An organisation's pledge board on A4 portrait pages: its own pledges, then its members'
    grouped by member; the organisation and campaign at the top of every page, the print date and
    page numbers at the bottom, and a QR code to the online board on the first page."""
    return _render(
        "pledges/pdf/board.html",
        {
            "title": title or _("Pledge board of %(org)s") % {"org": board.org.name},
            "board": board,
            "campaign": board.campaign,
            "qr": qr_data_uri(board.public_url),
            "page_counter": css_page_counter(),
        },
    )


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:`` in @page margin boxes)."""
    # Backslash-escapes for the string itself, and < > as CSS escapes so that no text can close
    # the <style> element it sits in.
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("<", "\\3c ")
        .replace(">", "\\3e ")
    )
    return f'"{escaped}"'


def css_page_counter() -> str:
    """“Page 3 of 7” in the active language, as a CSS ``content`` value built around the page
    counters (the translation decides where the numbers go)."""
    text = _("Page %(page)s of %(pages)s")
    marker_page, marker_pages = "\x00PAGE\x00", "\x00PAGES\x00"
    text = text % {"page": marker_page, "pages": marker_pages}
    parts: list[str] = []
    for piece in text.split(marker_page):
        for j, sub in enumerate(piece.split(marker_pages)):
            if j:
                parts.append("counter(pages)")
            if sub:
                parts.append(css_string(sub))
        parts.append("counter(page)")
    parts.pop()  # one counter(page) too many: appended after the last piece
    return " ".join(parts)
