"""Printable documents (亮诺 on paper), as PDF: a member's pledge card and desk sign, the cards or
signs of a whole branch in one file, and an organisation's pledge board.

Who may print: anyone who can see the member or the organisation (``visible_to``: a role on it
or above, whatever the role; 404 outside the scope). A member with a login may print their own
card and sign. The documents show published pledges and public fields only, whoever prints.

The documents are small, so they are rendered within the request (see ``pledges.pdf``); a
branch of ~70 members renders in a few seconds.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from campaigns.selectors import access_member_by_id, access_organization_by_code
from campaigns.views.decorators import staff_required
from pledges import pdf, selectors

KINDS = ("card", "sign")


def _campaign_id(request: HttpRequest) -> int | None:
    """``?campaign=<id>``; without it, the campaign the public board shows."""
    raw = request.GET.get("campaign", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def _per_page(request: HttpRequest) -> int:
    """``?per_page=1|2|4``; anything else prints one per page."""
    try:
        value = int(request.GET.get("per_page", "1"))
    except ValueError:
        return 1
    return value if value in pdf.PER_PAGE_CHOICES else 1


def _pdf_response(content: bytes, title: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # Inline: the browser's PDF viewer opens it, with its own print button; the file name keeps
    # the Chinese title (RFC 5987 encoding) when it is saved.
    response["Content-Disposition"] = content_disposition_header(False, f"{title}.pdf")
    return response


@login_required
@require_safe
def print_member_card(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's pledge card (共产党员承诺卡) on an A5 page."""
    member = access_member_by_id(user=request.user, member_id=member_id)
    campaign, printed = selectors.print_member(
        member=member, campaign_id=_campaign_id(request), request=request
    )
    title = _("Pledge card of %(name)s") % {"name": member.name}
    content = pdf.member_card_pdf(printed=printed, campaign=campaign, title=title)
    return _pdf_response(content, title)


@login_required
@require_safe
def print_desk_sign(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's desk sign (共产党员先锋岗) as a tent card on an A4 sheet."""
    member = access_member_by_id(user=request.user, member_id=member_id)
    campaign, printed = selectors.print_member(
        member=member, campaign_id=_campaign_id(request), request=request
    )
    title = _("Desk sign of %(name)s") % {"name": member.name}
    content = pdf.desk_sign_pdf(printed=printed, campaign=campaign, title=title)
    return _pdf_response(content, title)


@staff_required
@require_safe
def print_branch_cards(request: HttpRequest, code: str) -> HttpResponse:
    """The cards (``?kind=card``, the default) or desk signs (``?kind=sign``) of every member of
    an organisation with published pledges, in one PDF; ``?per_page=2|4`` puts several on each
    A4 sheet with cut lines."""
    org = access_organization_by_code(user=request.user, code=code)
    kind = request.GET.get("kind", "card")
    kind = kind if kind in KINDS else "card"
    per_page = _per_page(request)
    try:
        campaign, printed = selectors.print_branch_members(
            user=request.user, org=org, campaign_id=_campaign_id(request), request=request
        )
    except selectors.TooManyToPrint:
        messages.error(request, _too_many(org.name))
        return redirect("campaigns:organization_detail", code=org.code)
    if kind == "sign":
        title = _("Desk signs of %(org)s") % {"org": org.name}
        content = pdf.desk_signs_pdf(
            printed=printed, campaign=campaign, per_page=per_page, title=title
        )
    else:
        title = _("Pledge cards of %(org)s") % {"org": org.name}
        content = pdf.member_cards_pdf(
            printed=printed, campaign=campaign, per_page=per_page, title=title
        )
    return _pdf_response(content, title)


@staff_required
@require_safe
def print_board(request: HttpRequest, code: str) -> HttpResponse:
    """An organisation's pledge board (公示栏) on A4 pages: public data only."""
    org = access_organization_by_code(user=request.user, code=code)
    try:
        board = selectors.print_board(org=org, campaign_id=_campaign_id(request), request=request)
    except selectors.TooManyToPrint:
        messages.error(request, _too_many(org.name))
        return redirect("campaigns:organization_detail", code=org.code)
    title = _("Pledge board of %(org)s") % {"org": org.name}
    return _pdf_response(pdf.board_pdf(board=board, title=title), title)


def _too_many(org_name: str) -> str:
    return _(
        "%(org)s has more than %(max)s members with published pledges: too many for one "
        "document. Print them branch by branch."
    ) % {"org": org_name, "max": selectors.PRINT_MAX_MEMBERS}
