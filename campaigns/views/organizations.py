"""The organisation tree: browse, search, view, create, edit, and manage roles.

Every organisation is reached through ``access_organization_by_code`` (404 when missing or out
of scope); every change goes through one service in ``campaigns.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import scope, selectors, services
from campaigns.forms import OrganizationForm, OrganizationSearchForm, RoleGrantForm
from campaigns.models import Organization, RoleAssignment
from campaigns.people import person_name
from campaigns.views.decorators import staff_required

CHILDREN_PAGE_SIZE = 100  # children loaded at once when a tree node is expanded
PICKER_LIMIT = 20  # results in the organisation picker's drop-down


def _page(request: HttpRequest, queryset, per_page: int = settings.PORTAL_PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _levels(raw: str) -> list[str]:
    """``"branch,group"`` → the valid levels named in it."""
    return [
        lv for lv in (part.strip() for part in raw.split(",")) if lv in Organization.Level.values
    ]


@staff_required
def organization_tree(request: HttpRequest) -> HttpResponse:
    """The roots of the user's scope, expandable node by node; or, with ``q``, paginated search
    results with each hit's ancestors."""
    form = OrganizationSearchForm(request.GET or None)
    context: dict = {"form": form}
    if form.is_bound and form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["level"]):
        level = form.cleaned_data["level"]
        page = _page(
            request,
            selectors.organization_search(
                user=request.user, query=form.cleaned_data["q"], levels=[level] if level else None
            ),
        )
        selectors.organization_attach_ancestors(user=request.user, orgs=page.object_list)
        context.update(searching=True, page=page)
        query = request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
    else:
        roots = list(selectors.organization_scope_roots(user=request.user)[:CHILDREN_PAGE_SIZE])
        context["roots"] = roots
        if len(roots) == 1 and roots[0].numchild:
            # A single root (the usual case for a committee): show its children straight away.
            context["open_children"] = Paginator(
                selectors.organization_children(org=roots[0]), CHILDREN_PAGE_SIZE
            ).get_page(1)
    return render(request, "campaigns/organization_tree.html", context)


@staff_required
def organization_children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of one node as a fragment for the tree (htmx); others go to the detail."""
    org = selectors.access_organization_by_code(user=request.user, code=code)
    if not request.htmx:
        return redirect("campaigns:organization_detail", code=org.code)
    page = Paginator(selectors.organization_children(org=org), CHILDREN_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/organization_tree_nodes.html", {"org": org, "page": page})


@staff_required
def organization_detail(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.access_organization_by_code(user=request.user, code=code)
    context = selectors.organization_detail(user=request.user, org=org)
    context.update(
        org=org,
        children=_page(request, selectors.organization_children(org=org)),
        role_form=RoleGrantForm(roles=context["grantable_roles"]),
    )
    return render(request, "campaigns/organization_detail.html", context)


@staff_required
def organization_create(request: HttpRequest) -> HttpResponse:
    """A sub-organisation of ``?parent=<code>``; a root only for a superuser."""
    parent_code = request.GET.get("parent") or request.POST.get("parent") or ""
    parent = (
        selectors.access_organization_by_code(user=request.user, code=parent_code)
        if parent_code
        else None
    )
    if parent is None and not request.user.is_superuser:
        raise PermissionDenied
    if parent is not None and not scope.can_manage_org(request.user, parent):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(
                parent=parent, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("“%(org)s” was created.") % {"org": org.name})
            return redirect("campaigns:organization_detail", code=org.code)
    ancestors = []
    if parent is not None:
        selectors.organization_attach_ancestors(user=request.user, orgs=[parent])
        ancestors = [*parent.ancestor_list, parent]
    return render(
        request,
        "campaigns/organization_form.html",
        {"form": form, "parent": parent, "ancestors": ancestors, "is_new": True},
    )


@staff_required
def organization_edit(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.access_organization_by_code(user=request.user, code=code)
    if not scope.can_manage_org(request.user, org):
        raise PermissionDenied
    can_change_status = services.can_change_org_status(request.user, org)
    form = OrganizationForm(request.POST or None, instance=org, can_change_status=can_change_status)
    if request.method == "POST" and form.is_valid():
        # The service locks and re-reads the row itself; pass only what the user may change.
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if not form.fields[name].disabled
        }
        try:
            org = services.organization_update(org=org, actor=request.user, **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("“%(org)s” was saved.") % {"org": org.name})
            return redirect("campaigns:organization_detail", code=org.code)
    org.refresh_from_db()
    selectors.organization_attach_ancestors(user=request.user, orgs=[org])
    return render(
        request,
        "campaigns/organization_form.html",
        {"form": form, "org": org, "ancestors": [*org.ancestor_list, org], "is_new": False},
    )


def _validation_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@staff_required
@require_POST
def organization_role_add(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.access_organization_by_code(user=request.user, code=code)
    roles = services.grantable_roles(actor=request.user, organization=org)
    if not roles:
        raise PermissionDenied
    # Accept any role here: one the actor may not grant is refused by the service (403), not
    # passed off as a form error.
    form = RoleGrantForm(request.POST, roles=list(RoleAssignment.Role.values))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            assignment = services.role_grant(
                organization=org,
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, _validation_text(error))
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s of “%(org)s”.")
                % {
                    "user": person_name(assignment.user),
                    "role": assignment.get_role_display(),
                    "org": org.name,
                },
            )
    return redirect(reverse("campaigns:organization_detail", args=[org.code]) + "#roles")


@staff_required
@require_POST
def organization_role_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    org = selectors.access_organization_by_code(user=request.user, code=code)
    assignment = selectors.access_role_assignment(
        user=request.user, organization=org, assignment_id=pk
    )
    try:
        services.role_revoke(assignment=assignment, actor=request.user)
    except ValidationError as error:
        messages.error(request, _validation_text(error))
    else:
        messages.success(
            request,
            _("%(role)s role of %(user)s removed.")
            % {
                "role": assignment.get_role_display(),
                "user": person_name(assignment.user),
            },
        )
    return redirect(reverse("campaigns:organization_detail", args=[org.code]) + "#roles")


@staff_required
def organization_search(request: HttpRequest) -> HttpResponse:
    """The organisation picker's results: ``q`` (at least one character) and an optional
    ``levels=branch,group``; only active organisations in the user's scope."""
    query = request.GET.get("q", "").strip()[:100]
    results: list[Organization] = []
    more = False
    if query:
        qs = selectors.organization_search(
            user=request.user,
            query=query,
            levels=_levels(request.GET.get("levels", "")),
            active_only=True,
        )
        results = list(qs[: PICKER_LIMIT + 1])
        more = len(results) > PICKER_LIMIT
        results = selectors.organization_attach_ancestors(
            user=request.user, orgs=results[:PICKER_LIMIT]
        )
    return render(
        request,
        "campaigns/organization_search_results.html",
        {"results": results, "more": more, "query": query},
    )
