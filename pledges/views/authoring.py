"""Authoring and fulfilment pages (定诺, 践诺): the pledge list, the pledge page, create and edit,
submit/recall/resubmit/withdraw, the fulfilment journal with its attachments, the self-report,
adjustment requests, and the branch page with quick entry.

Members with a login but no role use these pages for their own pledges, so the pages need a
login and a role *or* a member record (``pledge_user_required``), and everything else comes from
``Pledge.objects.visible_to`` / ``access_pledge_by_id`` (404 outside the user's scope). Every
change goes through one service; a refusal (``TransitionRefused``) is shown in the user's
language and changes nothing.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import scope
from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign, Member, Organization, RoleAssignment
from campaigns.views.decorators import staff_required
from pledges import selectors, services, workflow
from pledges.forms import (
    AdjustmentRequestForm,
    FulfilmentEntryForm,
    PledgeForm,
    PledgeListForm,
    QuickPledgeForm,
    SelfReportForm,
    WithdrawForm,
)
from pledges.models import Pledge
from pledges.workflow import Action, TransitionRefused

# Refusals about who the user is (not about the pledge's state or the input): a 403.
_ACTOR_REFUSALS = frozenset({"not_allowed", "own_pledge", "own_request"})


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _has_member_record(user) -> bool:
    return scope.member_branch_path(user) is not None or Member.objects.filter(user=user).exists()


def pledge_user_required(view: Callable) -> Callable:
    """Logged in, and holding a role or a member record (a member's own login); otherwise 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (scope.is_staff_user(user) or _has_member_record(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _detail(pledge: Pledge) -> HttpResponse:
    return redirect("pledges:pledge_detail", pk=pledge.pk)


def _require(request: HttpRequest, pledge: Pledge, action: Action) -> HttpResponse | None:
    """Before showing an action's form: 403 if the user may never do this to the pledge, a
    redirect to the pledge with the reason if only its present state forbids it."""
    row = workflow.TRANSITIONS[action]
    if not row.allows(workflow.parties_of(request.user, pledge)):
        raise PermissionDenied(
            _("You are not allowed to “%(action)s” this pledge.") % {"action": action.label}
        )
    if pledge.status not in row.sources:
        messages.error(
            request,
            _("“%(action)s” is not possible while the pledge is “%(status)s”.")
            % {"action": action.label, "status": pledge.get_status_display()},
        )
        return _detail(pledge)
    return None


def _refused(request: HttpRequest, exc: TransitionRefused, form: Form | None = None) -> None:
    """Show a refusal: on the form field it concerns, else as a message; a refusal about who
    the user is becomes a 403."""
    if exc.code in _ACTOR_REFUSALS:
        raise exc
    if form is not None:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
    else:
        messages.error(request, exc.message)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _org_from_query(request: HttpRequest) -> Organization | None:
    code = request.GET.get("org", "").strip()
    if not code:
        return None
    return campaign_selectors.access_organization_by_code(user=request.user, code=code)


# The review helper's pages, linked from the pledge page when the action is allowed. Each URL
# is reversed at render time and a button whose page does not exist is left out.
def _reverse_or_none(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _review_buttons(pledge: Pledge, actions: set[Action], pending) -> list[dict]:
    """Buttons to the review area: review (approve/return), publish (a POST), decide a pending
    adjustment, the branch's democratic appraisal, and grading."""
    wanted = []
    if Action.APPROVE in actions:
        wanted.append(
            (
                "pledges:review_pledge",
                {"pk": pledge.pk},
                "get",
                gettext_lazy("Review"),
                "bi-clipboard-check",
                "btn-primary",
            )
        )
    if Action.PUBLISH in actions:
        wanted.append(
            (
                "pledges:review_publish",
                {"pk": pledge.pk},
                "post",
                gettext_lazy("Publish"),
                "bi-megaphone",
                "btn-success",
            )
        )
    # The table lets reviewers act on any published pledge; there must be a pending request.
    if Action.APPROVE_ADJUSTMENT in actions and pending is not None:
        wanted.append(
            (
                "pledges:review_adjustment",
                {"pk": pending.pk},
                "get",
                gettext_lazy("Decide the adjustment"),
                "bi-arrow-left-right",
                "btn-primary",
            )
        )
    if Action.RECORD_APPRAISAL in actions and pledge.owner_member_id is not None:
        wanted.append(
            (
                "pledges:review_appraisal",
                {"code": pledge.organization.code},
                "get",
                gettext_lazy("Democratic appraisal"),
                "bi-people",
                "btn-outline-primary",
            )
        )
    if Action.EVALUATE in actions:
        wanted.append(
            (
                "pledges:review_evaluate",
                {"pk": pledge.pk},
                "get",
                gettext_lazy("Evaluate"),
                "bi-award",
                "btn-outline-primary",
            )
        )
    buttons = []
    for name, kwargs, method, label, icon, css in wanted:
        url = _reverse_or_none(name, **kwargs)
        if url is None:
            continue
        if name == "pledges:review_appraisal":
            url += f"?campaign={pledge.campaign_id}"
        buttons.append({"url": url, "method": method, "label": label, "icon": icon, "css": css})
    return buttons


# ---------------------------------------------------------------------------------------------
# The list and the pledge page
# ---------------------------------------------------------------------------------------------


@pledge_user_required
@require_GET
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Pledges visible to the user (a member without a role: their own), filtered, searched and
    paginated; a table on wide screens, cards on phones."""
    user = request.user
    org = _org_from_query(request)
    is_member = _has_member_record(user)
    campaigns = Campaign.objects.visible_to(user).order_by("-start_date", "id")
    form = PledgeListForm(
        request.GET or None,
        campaigns=campaigns,
        phases=selectors.pledge_phase_choices(user=user),
        is_member=is_member,
    )
    queryset = selectors.pledge_list_queryset(user=user, filters=form.filters(org=org))
    page = Paginator(queryset, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    member_only = not scope.is_staff_user(user)
    return render(
        request,
        "pledges/authoring_list.html",
        {
            "form": form,
            "org": org,
            "page": page,
            "pledges": selectors.pledge_decorate(pledges=page.object_list),
            "member_only": member_only,
            # The campaign's name on each row only when there is more than one to tell apart.
            "show_campaign": campaigns.count() > 1,
            "can_create": member_only
            or bool(scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES))
            or user.is_superuser,
        },
    )


@pledge_user_required
@require_GET
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    context = selectors.pledge_detail_context(user=request.user, pledge=pledge)
    context["pledge"] = pledge
    context["review_buttons"] = _review_buttons(
        pledge, context["actions"], context["pending_adjustment"]
    )
    context["is_owner"] = (
        pledge.owner_member_id is not None and pledge.owner_member.user_id == request.user.pk
    )
    return render(request, "pledges/authoring_detail.html", context)


@pledge_user_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A journal attachment, streamed to whoever may see its pledge (404 otherwise). Photos are
    shown inline, documents downloaded; the content type comes from the checked extension."""
    item = selectors.access_attachment_by_id(user=request.user, attachment_id=pk)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(item.original_name)[0] or "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=not item.is_image,
        filename=item.original_name,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------
# Create and edit (定诺)
# ---------------------------------------------------------------------------------------------


def _owner_from_query(request: HttpRequest) -> tuple[Member | None, Organization | None]:
    """``?member=<id>`` or ``?org=<code>`` (404 when missing or out of scope)."""
    source = request.POST if request.method == "POST" else request.GET
    member_id = (source.get("member") or request.GET.get("member") or "").strip()
    if member_id:
        if not member_id.isdigit():
            raise Http404
        return campaign_selectors.access_member_by_id(
            user=request.user, member_id=int(member_id)
        ), None
    code = (source.get("org") or request.GET.get("org") or "").strip()
    if code:
        return None, campaign_selectors.access_organization_by_code(user=request.user, code=code)
    return None, None


@pledge_user_required
def pledge_create(request: HttpRequest) -> HttpResponse:
    """Draft a pledge for a member (``?member=<id>``) or an organisation (``?org=<code>``);
    without an owner, a member without a role writes their own and others choose first."""
    user = request.user
    member, org = _owner_from_query(request)
    if member is None and org is None:
        own = Member.objects.filter(user=user, is_active=True).select_related("branch").first()
        if own is not None and not scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES):
            member = own
        else:
            query = request.GET.get("q", "").strip()[:60]
            return render(
                request,
                "pledges/authoring_owner_choose.html",
                {"query": query, **selectors.pledge_owner_search(user=user, query=query)},
            )
    if not selectors.can_create_pledge(user=user, owner_member=member, owner_organization=org):
        raise PermissionDenied(
            _("You may not draft pledges for %(owner)s.") % {"owner": member or org}
        )
    owner_org = member.branch if member is not None else org
    campaigns = selectors.pledge_campaign_choices(user=user, org=owner_org)
    initial_campaign = campaigns.filter(pk=request.GET.get("campaign") or 0).first() or (
        selectors.default_campaign(user=user, org=owner_org)
    )
    form = PledgeForm(
        request.POST or None, campaigns=campaigns, initial={"campaign": initial_campaign}
    )
    if request.method == "POST" and form.is_valid():
        try:
            pledge = services.pledge_create(
                campaign=form.cleaned_data["campaign"],
                actor=user,
                owner_member=member,
                owner_organization=org,
                **form.content_fields(),
            )
        except TransitionRefused as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, _("The pledge has been saved as a draft."))
            if "submit" in request.POST:
                _submit(request, pledge)
            return redirect(
                _safe_next(request) or reverse("pledges:pledge_detail", args=[pledge.pk])
            )
    return render(
        request,
        "pledges/authoring_form.html",
        {
            "form": form,
            "pledge": None,
            "owner": member or org,
            "owner_member": member,
            "owner_org": org,
            "has_campaigns": campaigns.exists(),
            "can_choose": user.is_superuser
            or bool(scope.scope_paths(user, RoleAssignment.COMMITTEE_ROLES)),
            "next": _safe_next(request),
        },
    )


def _submit(request: HttpRequest, pledge: Pledge) -> bool:
    """Submit (draft) or resubmit (returned) after saving, reporting the outcome."""
    try:
        if pledge.status == Pledge.Status.RETURNED:
            services.pledge_resubmit(pledge=pledge, actor=request.user)
        else:
            services.pledge_submit(pledge=pledge, actor=request.user)
    except TransitionRefused as exc:
        messages.warning(
            request,
            _("The pledge was saved but not submitted: %(reason)s") % {"reason": exc.message},
        )
        return False
    messages.success(request, _("The pledge has been submitted for review."))
    return True


@pledge_user_required
def pledge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft or a returned pledge; a returned one shows the reviewer's reasons and
    comment on top and offers to resubmit."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    if (response := _require(request, pledge, Action.EDIT)) is not None:
        return response
    current = {name: getattr(pledge, name) for name in Pledge.CONTENT_FIELDS}
    form = PledgeForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        fields = form.content_fields()
        try:
            if fields != current:
                services.pledge_update(pledge=pledge, actor=request.user, **fields)
        except TransitionRefused as exc:
            _refused(request, exc, form)
        else:
            if fields != current:
                messages.success(request, _("The changes have been saved."))
            if "submit" in request.POST:
                _submit(request, pledge)
            return redirect(_safe_next(request) or reverse("pledges:pledge_detail", args=[pk]))
    return render(
        request,
        "pledges/authoring_form.html",
        {
            "form": form,
            "pledge": pledge,
            "owner": pledge.owner,
            "last_return": selectors.pledge_last_return(pledge=pledge)
            if pledge.status == Pledge.Status.RETURNED
            else None,
            "next": _safe_next(request),
        },
    )


def _simple_transition(
    request: HttpRequest, pk: int, service: Callable[..., Pledge], done: str
) -> HttpResponse:
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    chip = bool(request.htmx and request.POST.get("chip"))
    error = ""
    try:
        service(pledge=pledge, actor=request.user)
    except TransitionRefused as exc:
        if chip and exc.code not in _ACTOR_REFUSALS:
            error = exc.message
        else:
            _refused(request, exc)
    else:
        if not chip:
            messages.success(request, done)
    if chip:
        # The branch page swaps the pledge's chip in place, with the refusal on it if any.
        return render(
            request,
            "pledges/authoring_branch_chip.html",
            {"pledge": pledge, "can_enter": True, "error": error, "done": "" if error else done},
        )
    return redirect(_safe_next(request) or reverse("pledges:pledge_detail", args=[pk]))


@pledge_user_required
@require_POST
def pledge_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(
        request, pk, services.pledge_submit, _("The pledge has been submitted for review.")
    )


@pledge_user_required
@require_POST
def pledge_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(
        request, pk, services.pledge_resubmit, _("The pledge has been resubmitted for review.")
    )


@pledge_user_required
@require_POST
def pledge_recall(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(
        request,
        pk,
        services.pledge_recall,
        _("The pledge has been recalled; it is a draft again."),
    )


def _action_form(
    request: HttpRequest,
    pledge: Pledge,
    form: Form,
    *,
    perform: Callable[[dict], object],
    done: str,
    page: dict,
    next_url: str | None = None,
) -> HttpResponse:
    """A one-form action on a pledge: on a valid POST, ``perform`` the service with the cleaned
    data; a refusal shows on the form, success goes back to the pledge (or ``next_url``)."""
    if request.method == "POST" and form.is_valid():
        try:
            perform(form.cleaned_data)
        except TransitionRefused as exc:
            _refused(request, exc, form)
        else:
            messages.success(request, done)
            return redirect(next_url) if next_url else _detail(pledge)
    return render(
        request, "pledges/authoring_action_form.html", {"pledge": pledge, "form": form, **page}
    )


@pledge_user_required
def pledge_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: ask for the reason; POST: withdraw (the reviewing level or the office)."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    if (response := _require(request, pledge, Action.WITHDRAW)) is not None:
        return response
    return _action_form(
        request,
        pledge,
        WithdrawForm(request.POST or None),
        perform=lambda data: services.pledge_withdraw(
            pledge=pledge, actor=request.user, reason=data["reason"]
        ),
        done=_("The pledge has been withdrawn."),
        page={
            "title": _("Withdraw the pledge"),
            "intro": _(
                "A withdrawn pledge leaves the review and fulfilment. If it was published, it "
                "stays on the public board marked as withdrawn, with the reason."
            ),
            "button": _("Withdraw"),
            "button_class": "btn-danger",
            "confirm": _("Withdraw this pledge?"),
        },
    )


# ---------------------------------------------------------------------------------------------
# Fulfil (践诺): journal, fulfilled, self-report, adjustment request
# ---------------------------------------------------------------------------------------------


@pledge_user_required
def entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a record to a published pledge's journal, with optional photos and documents."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    if (response := _require(request, pledge, Action.ADD_ENTRY)) is not None:
        return response
    last = pledge.entries.order_by("-date", "-id").values_list("progress", flat=True).first()
    form = FulfilmentEntryForm(
        request.POST or None,
        request.FILES or None,
        initial={"date": timezone.localdate(), "progress": last or 0},
    )
    return _action_form(
        request,
        pledge,
        form,
        perform=lambda data: services.fulfilment_entry_add(
            pledge=pledge,
            actor=request.user,
            date=data["date"],
            text=data["text"],
            progress=data["progress"],
            files=data["files"],
        ),
        done=_("The fulfilment record has been added."),
        next_url=reverse("pledges:pledge_detail", args=[pk]) + "#journal",
        page={
            "title": _("Add a fulfilment record"),
            "intro": _("Record what was done, when, and how far the pledge has come."),
            "button": _("Add the record"),
            "button_class": "btn-primary",
            "multipart": True,
        },
    )


@pledge_user_required
@require_POST
def pledge_mark_fulfilled(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    try:
        services.pledge_mark_fulfilled(
            pledge=pledge, actor=request.user, comment=request.POST.get("comment", "")[:2000]
        )
    except TransitionRefused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The pledge has been marked fulfilled."))
    return _detail(pledge)


@pledge_user_required
def self_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's self-report (述职) for the evaluation, written by the member or for them."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    if (response := _require(request, pledge, Action.RECORD_SELF_REPORT)) is not None:
        return response
    evaluation = getattr(pledge, "evaluation", None)
    form = SelfReportForm(
        request.POST or None, initial={"text": evaluation.self_report if evaluation else ""}
    )
    return _action_form(
        request,
        pledge,
        form,
        perform=lambda data: services.evaluation_record_self_report(
            pledge=pledge, actor=request.user, text=data["text"]
        ),
        done=_("The self-report has been saved."),
        page={
            "title": _("Self-report"),
            "intro": _(
                "The owner's own account of how the pledge was fulfilled. It is one of the "
                "inputs of the evaluation, with the democratic appraisal and public satisfaction."
            ),
            "button": _("Save the self-report"),
            "button_class": "btn-primary",
        },
    )


@pledge_user_required
def adjustment_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to change a published pledge (调诺); the published text stays until a reviewer
    approves the change."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    if (response := _require(request, pledge, Action.REQUEST_ADJUSTMENT)) is not None:
        return response
    rectification = pledge.kind == Pledge.Kind.RECTIFY
    form = AdjustmentRequestForm(
        request.POST or None,
        rectification=rectification,
        initial={
            "content": pledge.content,
            "deadline": pledge.deadline,
            "expected_effect": pledge.expected_effect,
            "measures": pledge.measures,
        },
    )
    return _action_form(
        request,
        pledge,
        form,
        perform=lambda data: services.adjustment_request(
            pledge=pledge,
            actor=request.user,
            content=data["content"],
            deadline=data["deadline"],
            expected_effect=data["expected_effect"],
            measures=data.get("measures", ""),
            reason=data["reason"],
        ),
        done=_(
            "The adjustment has been sent for review. The published text stays until it is approved."
        ),
        page={
            "title": _("Request an adjustment"),
            "intro": _(
                "Change the deadline or the content of a published pledge, with the reason. "
                "The reviewers decide; until then the published text stays as it is, and the "
                "public page shows the adjustment history."
            ),
            "button": _("Send for review"),
            "button_class": "btn-primary",
        },
    )


# ---------------------------------------------------------------------------------------------
# The branch page: every member's pledges against the guidance, quick entry, submit all
# ---------------------------------------------------------------------------------------------


def _branch_campaign(request: HttpRequest, org: Organization) -> tuple[Campaign | None, list]:
    choices = list(selectors.pledge_campaign_choices(user=request.user, org=org))
    wanted = request.POST.get("campaign") or request.GET.get("campaign")
    chosen = next((c for c in choices if str(c.pk) == wanted), None) if wanted else None
    if wanted and chosen is None:
        raise Http404
    if chosen is None:
        active = [c for c in choices if c.status == Campaign.Status.ACTIVE]
        chosen = (active or choices or [None])[0]
    return chosen, choices


def _can_enter(user, org: Organization) -> bool:
    return selectors.can_create_pledge(user=user, owner_organization=org)


@staff_required
@require_GET
def branch_pledges(request: HttpRequest, code: str) -> HttpResponse:
    """A branch's members with their pledges and counts against the campaign's guidance
    (warnings, never blocks), the organisation's own pledges, and — for its committee — quick
    entry and submitting drafts in one action."""
    org = campaign_selectors.access_organization_by_code(user=request.user, code=code)
    campaign, campaigns = _branch_campaign(request, org)
    can_enter = _can_enter(request.user, org)
    context: dict = {
        "org": org,
        "campaign": campaign,
        "campaigns": campaigns,
        "can_enter": can_enter,
        "children": list(campaign_selectors.organization_children(org=org).filter(is_active=True))
        if not org.accepts_members
        else [],
        "ancestors": campaign_selectors.organization_attach_ancestors(
            user=request.user, orgs=[org]
        )[0].ancestor_list,
    }
    if campaign is not None:
        overview = selectors.branch_overview(user=request.user, org=org, campaign=campaign)
        # A long branch can be narrowed to the rows that need attention (counts stay whole).
        show = request.GET.get("show", "")
        if show == "warn":
            overview["rows"] = [row for row in overview["rows"] if not row.guidance.ok]
        elif show == "drafts":
            overview["rows"] = [row for row in overview["rows"] if row.drafts]
        else:
            show = ""
        overview["show"] = show
        context.update(overview)
    return render(request, "pledges/authoring_branch.html", context)


def _row_owner(request: HttpRequest, org: Organization, owner: str) -> Member | None:
    """The row an entry is for: ``org`` (the organisation) or a member id among the page's
    members (404 otherwise)."""
    if owner == "org":
        return None
    return selectors.branch_member(user=request.user, org=org, member_id=owner)


@staff_required
@require_http_methods(["GET", "POST"])
def branch_quick_add(request: HttpRequest, code: str) -> HttpResponse:
    """Quick entry (htmx). GET: the row's empty form, loaded when the row's "add" is opened (a
    branch of a hundred members would otherwise render a hundred forms up front). POST: create
    a draft for the row and answer with a fresh form, the new pledge appended to the row and
    the row's counts updated; with the errors inline when the input or the service refuses."""
    org = campaign_selectors.access_organization_by_code(user=request.user, code=code)
    campaign, _choices = _branch_campaign(request, org)
    if campaign is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    member = _row_owner(request, org, source.get("owner", ""))
    key = f"m{member.pk}" if member is not None else "org"
    if request.method == "GET":
        if not _can_enter(request.user, org):
            raise PermissionDenied
        return render(
            request,
            "pledges/authoring_branch_quick_form.html",
            {
                "org": org,
                "campaign": campaign,
                "row": {"key": key, "member": member},  # the form needs only these
                "form": QuickPledgeForm(prefix=key),
            },
        )
    form = QuickPledgeForm(request.POST, prefix=key)
    created = None
    if form.is_valid():
        try:
            created = services.pledge_create(
                campaign=campaign,
                actor=request.user,
                owner_member=member,
                owner_organization=None if member is not None else org,
                **form.content_fields(),
            )
        except TransitionRefused as exc:
            _refused(request, exc, form)
        else:
            # A fresh form for the next pledge of the same row, keeping its kind and term.
            form = QuickPledgeForm(prefix=key, initial={"kind": created.kind, "term": created.term})
            form.fields["content"].widget.attrs["autofocus"] = True
    if not request.htmx:
        if created is not None:
            messages.success(request, _("The pledge has been saved as a draft."))
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        return redirect(
            reverse("pledges:branch_pledges", args=[org.code])
            + f"?campaign={campaign.pk}#row-{key}"
        )
    row = selectors.branch_row(user=request.user, org=org, campaign=campaign, member=member)
    return render(
        request,
        "pledges/authoring_branch_quick_result.html",
        {
            "org": org,
            "campaign": campaign,
            "row": row,
            "form": form,
            "created": created,
            "can_enter": True,
        },
    )


@staff_required
@require_POST
def branch_submit_drafts(request: HttpRequest, code: str) -> HttpResponse:
    """Submit every draft of one member (``member=<id>``) or of the whole page in one action;
    report how many went through and each refusal with its reason."""
    org = campaign_selectors.access_organization_by_code(user=request.user, code=code)
    campaign, _choices = _branch_campaign(request, org)
    if campaign is None:
        raise Http404
    if not _can_enter(request.user, org):
        raise PermissionDenied
    # ``owner``: one row's drafts (a member id, or "org" for the organisation's own); none: all.
    owner = request.POST.get("owner", "")
    member = _row_owner(request, org, owner) if owner else None
    drafts = selectors.branch_drafts(
        user=request.user, org=org, campaign=campaign, member=member, org_only=owner == "org"
    )
    result = services.pledges_submit_bulk(pledges=drafts, actor=request.user)
    if not drafts:
        messages.info(request, _("There were no drafts to submit."))
    elif result.done:
        count = len(result.done)
        messages.success(
            request,
            ngettext(
                "%(count)d pledge has been submitted for review.",
                "%(count)d pledges have been submitted for review.",
                count,
            )
            % {"count": count},
        )
    for pledge, reason in result.refused:
        messages.warning(
            request,
            _("Not submitted — %(owner)s: “%(content)s”: %(reason)s")
            % {"owner": pledge.owner_name, "content": _short(pledge.content), "reason": reason},
        )
    anchor = "#row-org" if owner == "org" else f"#row-m{member.pk}" if member else ""
    return redirect(
        reverse("pledges:branch_pledges", args=[org.code]) + f"?campaign={campaign.pk}{anchor}"
    )


def _short(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
