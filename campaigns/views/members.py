"""Members: the scoped list, the member page, registration and editing, deactivation and
transfers.

Every member is reached through ``access_member_by_id`` (404 when missing or out of scope); every
change goes through one service in ``campaigns.services``, which checks the actor's scope again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import scope, selectors, services
from campaigns.filters import MemberFilter
from campaigns.forms import MemberDeactivateForm, MemberForm, MemberTransferForm
from campaigns.models import Organization
from campaigns.views.decorators import staff_required

TRANSFER_SEARCH_LIMIT = 20  # organisations listed as possible transfer targets
LOOKUP_LIMIT = 20  # organisations in the outflow picker's drop-down


def _add_service_errors(form: Form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on its field when the form has one, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields or field == NON_FIELD_ERRORS else None, errors)


def _org_from_query(request: HttpRequest):
    """The organisation named by ``?org=<code>`` (404 when missing or out of scope), or None."""
    code = request.GET.get("org", "").strip()
    if not code:
        return None
    return selectors.access_organization_by_code(user=request.user, code=code)


@staff_required
def member_list(request: HttpRequest) -> HttpResponse:
    """Members visible to the user, optionally in one organisation's subtree, filtered and
    paginated; private fields masked row by row from the user's cached role paths."""
    org = _org_from_query(request)
    filterset = MemberFilter(
        request.GET,
        queryset=selectors.member_list_queryset(user=request.user, org=org),
        request=request,
    )
    page = Paginator(filterset.qs, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    members = selectors.member_decorate(user=request.user, members=page.object_list)
    return render(
        request,
        "campaigns/member_list.html",
        {
            "org": org,
            "filter": filterset,
            "page": page,
            "members": members,
            "can_create": selectors.can_create_members(user=request.user, org=org),
            "create_org": org if org is not None and org.accepts_members else None,
        },
    )


@staff_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.access_member_by_id(user=request.user, member_id=pk)
    context = selectors.member_detail_context(user=request.user, member=member)
    context["member"] = member
    return render(request, "campaigns/member_detail.html", context)


@staff_required
def member_create(request: HttpRequest) -> HttpResponse:
    """Register a member; ``?org=<code>`` preselects the branch."""
    org = _org_from_query(request)
    if not selectors.can_create_members(user=request.user, org=org):
        raise PermissionDenied
    initial = {"branch": org} if org is not None and org.accepts_members else {}
    form = MemberForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": member.name})
            return redirect("campaigns:member_detail", pk=member.pk)
    return render(
        request,
        "campaigns/member_form.html",
        {"form": form, "member": None, "org": org, "show_private": True},
    )


@staff_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.access_member_by_id(user=request.user, member_id=pk)
    if not scope.can_manage_member(request.user, member):
        raise PermissionDenied
    # The form works on its own copy: a failed save must not leave changed values on ``member``.
    instance = selectors.access_member_by_id(user=request.user, member_id=pk)
    show_private = scope.can_view_private(request.user, member)
    form = MemberForm(
        request.POST or None,
        instance=instance,
        user=request.user,
        show_private=show_private,
        branch_locked=not scope.can_manage_org(request.user, member.branch),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=member, actor=request.user, **form.service_fields())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The member's details have been saved."))
            if selectors.member_visible(user=request.user, member_id=member.pk):
                return redirect("campaigns:member_detail", pk=member.pk)
            return redirect("campaigns:member_list")
    return render(
        request,
        "campaigns/member_form.html",
        {"form": form, "member": member, "org": None, "show_private": show_private},
    )


@staff_required
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: a confirmation page asking for the reason; POST: deactivate."""
    member = selectors.access_member_by_id(user=request.user, member_id=pk)
    if not scope.can_manage_member(request.user, member):
        raise PermissionDenied
    if not member.is_active:
        messages.info(request, _("This member is already deactivated."))
        return redirect("campaigns:member_detail", pk=member.pk)
    form = MemberDeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_deactivate(
                member=member, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been deactivated.") % {"name": member.name})
            return redirect("campaigns:member_detail", pk=member.pk)
    return render(request, "campaigns/member_deactivate.html", {"member": member, "form": form})


@require_POST
@staff_required
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.access_member_by_id(user=request.user, member_id=pk)
    try:
        services.member_reactivate(member=member, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": member.name})
    return redirect("campaigns:member_detail", pk=member.pk)


@staff_required
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a member to another branch or group anywhere in the city. ``q`` searches targets
    (htmx replaces only the results); POST performs the transfer."""
    member = selectors.access_member_by_id(user=request.user, member_id=pk)
    if not scope.can_manage_org(request.user, member.branch):
        raise PermissionDenied
    if not member.is_active:
        messages.info(request, _("Reactivate this member before transferring them."))
        return redirect("campaigns:member_detail", pk=member.pk)

    query = (request.POST.get("q") or request.GET.get("q") or "").strip()[:60]
    results = selectors.transfer_target_search(query=query, limit=TRANSFER_SEARCH_LIMIT)
    if request.htmx and request.method == "GET":
        return render(
            request,
            "campaigns/member_transfer_results.html",
            {
                "results": results,
                "query": query,
                "member": member,
                "chosen": "",
                "limit": TRANSFER_SEARCH_LIMIT,
            },
        )

    form = MemberTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.member_transfer(
                member=member,
                to_branch=form.cleaned_data["to_branch"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                mark_mobile=form.cleaned_data["mark_mobile"],
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            text = _("%(name)s has been transferred to %(org)s.") % {
                "name": member.name,
                "org": transfer.to_branch.name,
            }
            if selectors.member_visible(user=request.user, member_id=member.pk):
                messages.success(request, text)
                return redirect("campaigns:member_detail", pk=member.pk)
            messages.success(
                request, text + " " + _("The member is now outside your organisations.")
            )
            return redirect("campaigns:member_list")

    # Keep the chosen target ticked after a refused submission even if the search changed.
    chosen = (request.POST.get("to_branch") or "").strip()
    if chosen and not any(row["code"].lower() == chosen.lower() for row in results):
        row = selectors.transfer_target_for_display(code=chosen)
        if row is not None:
            results = [row, *results]
    return render(
        request,
        "campaigns/member_transfer.html",
        {
            "member": member,
            "form": form,
            "results": results,
            "query": query,
            "chosen": chosen,
            "limit": TRANSFER_SEARCH_LIMIT,
        },
    )


@staff_required
def member_org_lookup(request: HttpRequest) -> HttpResponse:
    """Results for the organisation picker (static/js/org-picker.js, ``data-url``) over every
    active organisation in the city, not only the user's scope: a mobile member's outflow
    organisation lies elsewhere by nature. Public fields only (name, code, ancestors)."""
    query = request.GET.get("q", "").strip()[:100]
    levels = [
        level
        for level in request.GET.get("levels", "").split(",")
        if level in Organization.Level.values
    ]
    rows = selectors.organization_directory_search(
        query=query, levels=levels or None, limit=LOOKUP_LIMIT + 1
    )
    return render(
        request,
        "campaigns/member_org_lookup_results.html",
        {"results": rows[:LOOKUP_LIMIT], "more": len(rows) > LOOKUP_LIMIT, "query": query},
    )
