"""Public pages, no login: an organisation's pledge board (公示栏), a member's page with their
public pledges (the QR code on printed cards), a pledge's public page with its journal and the
satisfaction feedback form, and the journal's photos. Plus the staff page
where the branch committee moderates feedback comments.

Public views read through the ``public_*`` selectors, which hand templates plain dataclasses of
public fields only (never a member's phone, ID number or birth date, never unpublished text).
"""

from __future__ import annotations

import mimetypes
import os

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from campaigns.views.decorators import staff_required
from pledges import selectors, services
from pledges.forms import FEEDBACK_HONEYPOT, FeedbackForm, feedback_token
from pledges.models import Feedback


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The public board of an active organisation, at /p/<code>/ (any case: printed codes are
    typed by hand; the address is normalised to the stored code)."""
    org = selectors.public_organization(code=code)
    if org.code != code:
        return redirect(
            reverse("public:board", kwargs={"code": org.code})
            + (f"?{request.GET.urlencode()}" if request.GET else ""),
            permanent=True,
        )
    data = selectors.public_board(
        org=org,
        campaign_id=_int_or_none(request.GET.get("campaign")),
        page=request.GET.get("page"),
        orgs_page=request.GET.get("orgs"),
        own_page=request.GET.get("own"),
    )
    return render(
        request,
        "pledges/public_board.html",
        {
            "board": data,
            "board_url": selectors.public_board_url(org, request),
            "campaign_query": f"campaign={data.campaign.id}" if data.campaign else "",
        },
    )


@require_GET
def member(request: HttpRequest, code: str, member_id: int) -> HttpResponse:
    """A member's public page, at /p/<branch code>/m/<member id>/ (the QR code on the member's
    pledge card and desk sign): name, post, branch and public pledges. 404 for a member of
    another organisation, an inactive member, or one without a public pledge."""
    org = selectors.public_organization(code=code)
    if org.code != code:
        return redirect(
            reverse("public:member", kwargs={"code": org.code, "member_id": member_id}),
            permanent=True,
        )
    page = selectors.public_member_page(org=org, member_id=member_id)
    return render(
        request,
        "pledges/public_member.html",
        {
            "page": page,
            "page_url": selectors.public_absolute_url(request, page.path),
        },
    )


def _client_fingerprint(request: HttpRequest) -> str:
    header = settings.PUBLIC_CLIENT_IP_HEADER
    ip = request.META.get(header, "") if header else ""
    # X-Forwarded-For: the last address is the one our own proxy appended.
    ip = ip.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    return services.client_fingerprint(ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""))


def _pledge_page(
    request: HttpRequest, pledge, form: FeedbackForm | None, *, limited: str = "", status=200
) -> HttpResponse:
    detail = selectors.public_pledge_detail(pledge=pledge)
    return render(
        request,
        "pledges/public_pledge.html",
        {
            "detail": detail,
            "p": detail.pledge,
            "form": form or FeedbackForm(pledge_id=pledge.pk),
            "feedback_token": feedback_token(pledge.pk),
            "honeypot": FEEDBACK_HONEYPOT,
            "limited": limited,
        },
        status=status,
    )


@require_GET
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A published pledge's public page (a QR code on the printed card points here)."""
    pledge = selectors.public_pledge_by_id(pledge_id=pk)
    return _pledge_page(request, pledge, None)


@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate a published pledge. A submission caught by the spam trap gets the same thank-you
    page as a real one and is not stored; a rate-limited one is told why (429)."""
    pledge = selectors.public_pledge_by_id(pledge_id=pk)
    form = FeedbackForm(request.POST, pledge_id=pledge.pk)
    valid = form.is_valid()
    # The thank-you page depends only on what was posted, so a bot cannot tell it was trapped.
    with_comment = bool((request.POST.get("comment") or "").strip())
    if form.trapped:
        return _thanks(request, pledge, with_comment=with_comment)
    if not valid:
        return _pledge_page(request, pledge, form, status=400)
    if pledge.status not in pledge.PUBLIC_STATUSES:  # withdrawn: the page shows no form
        raise Http404
    try:
        services.feedback_submit(
            pledge=pledge,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            fingerprint=_client_fingerprint(request),
        )
    except services.FeedbackLimited as exc:
        return _pledge_page(request, pledge, form, limited=exc.message, status=429)
    return _thanks(request, pledge, with_comment=with_comment)


def _thanks(request: HttpRequest, pledge, *, with_comment: bool) -> HttpResponse:
    return render(
        request,
        "pledges/public_thanks.html",
        {
            "pledge_id": pledge.pk,
            "org_code": pledge.organization.code,
            "org_name": pledge.organization.name,
            "with_comment": with_comment,
        },
    )


@require_GET
@cache_control(public=True, max_age=3600)
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of a public pledge's journal, streamed from storage (documents stay private)."""
    item = selectors.public_attachment_by_id(attachment_id=pk)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(item.original_name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # inline, with a safe ASCII fallback name; the extension was checked against the content.
    ext = os.path.splitext(item.original_name)[1].lower()
    response["Content-Disposition"] = f'inline; filename="photo-{item.pk}{ext}"'
    return response


# ---------------------------------------------------------------------------------------------
# Moderation (staff)
# ---------------------------------------------------------------------------------------------

_MODERATION_TABS = (Feedback.Status.PENDING, Feedback.Status.APPROVED, Feedback.Status.REJECTED)


@staff_required
@require_GET
def feedback_moderation(request: HttpRequest) -> HttpResponse:
    """Comments on pledges in the user's committee scope, pending first; approve or reject."""
    status = request.GET.get("status") or Feedback.Status.PENDING
    if status not in _MODERATION_TABS:
        status = Feedback.Status.PENDING
    items = selectors.feedback_for_moderation(user=request.user, status=status)
    page = Paginator(items, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pledges/public_moderation.html",
        {
            "page": page,
            "status": status,
            "tabs": [
                (value, Feedback.Status(value).label, count)
                for value, count in selectors.feedback_moderation_counts(user=request.user).items()
            ],
            "query_string": f"status={status}",
        },
    )


@staff_required
@require_POST
def feedback_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject one comment (POST ``decision`` = approve | reject)."""
    item = selectors.access_feedback_by_id(user=request.user, feedback_id=pk)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose to approve or to reject the comment."))
    else:
        try:
            services.feedback_moderate(
                feedback=item, actor=request.user, approve=decision == "approve"
            )
        except PermissionDenied as exc:  # scope changed since the page was shown
            raise Http404 from exc
        if decision == "approve":
            messages.success(
                request, _("The comment is approved and now shown on the public page.")
            )
        else:
            messages.success(
                request, _("The comment is rejected; it is hidden and its rating no longer counts.")
            )
    # Back to the same tab and page; only ever to the moderation page itself.
    moderation = reverse("pledges:feedback_moderation")
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith(moderation + "?") else moderation)
