"""Review, publication and evaluation (审诺, 亮诺, 评诺): the review queue with inline and bulk
approval, the review of one pledge (with the diff since its return), adjustments (调诺),
publication singly and per organisation, democratic appraisal tallies and grading.

Every pledge is reached through ``access_pledge_by_id`` (404 when missing or out of scope);
every change is one service of ``pledges.services``, which goes through the workflow. A
refusal (``TransitionRefused``) changes nothing: the views show its message on the form field it
names, or as a message. A refusal because the user has no part at all in the action
(``not_allowed``) is left to propagate: it is a 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaigns import scope
from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign, Organization
from campaigns.views.decorators import staff_required
from pledges import selectors, services, workflow
from pledges.forms import (
    AdjustmentDecisionForm,
    AppraisalFormSet,
    GradeForm,
    PublishOrganizationForm,
    ReviewApproveForm,
    ReviewFilterForm,
    ReviewReturnForm,
)
from pledges.models import Pledge, PledgeAdjustment, PledgeHistory, ReturnReason
from pledges.workflow import Action, TransitionRefused

# A queue item waiting longer than this is flagged.
WAITING_TOO_LONG_DAYS = 7
# Bulk approval takes at most this many pledges in one request (a page of the queue).
BULK_LIMIT = 200
# The publication confirmation lists at most this many pledges (and counts them all).
PUBLISH_LIST_LIMIT = 100
# The evaluation list computes each row's suggested grade (two small queries a row).
EVALUATION_PAGE_SIZE = 25
# The grade's publicity period (公示) proposed by default.
PUBLICITY_DAYS = datetime.timedelta(days=7)


def _roles_required(allowed: Callable[[object], bool]) -> Callable:
    """Logged in and ``allowed(user)``; otherwise the login page or 403."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Committee roles and the office review; with the leadership group they evaluate.
reviewer_required = _roles_required(selectors.is_reviewer)
evaluator_required = _roles_required(selectors.takes_part_in_evaluation)


def _next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` address the form carried, if it is one of ours; else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _refusal(exc: TransitionRefused) -> str:
    """The refusal's message, unless the user has no part in the action at all: then a 403."""
    if exc.code == "not_allowed":
        raise exc
    return str(exc.message)


def _filters(
    request: HttpRequest,
) -> tuple[ReviewFilterForm, Organization | None, str, Campaign | None]:
    """The filter form of the queue and the evaluation list, and its values. The organisation
    is looked up in the user's scope (404 outside it, as everywhere)."""
    campaigns = Campaign.objects.visible_to(request.user).order_by("-start_date", "id")
    form = ReviewFilterForm(request.GET or None, campaigns=campaigns)
    if not form.is_bound:
        return form, None, "", None
    form.is_valid()  # invalid fields are left out of cleaned_data and ignored
    code = (form.cleaned_data.get("org") or "").strip()
    org = (
        campaign_selectors.access_organization_by_code(user=request.user, code=code)
        if code
        else None
    )
    return form, org, form.cleaned_data.get("kind") or "", form.cleaned_data.get("campaign")


def _reasons_by_campaign(campaigns: Iterable[Campaign]) -> dict[int, list[ReturnReason]]:
    # ensure_default_return_reasons seeds a campaign's reasons the first time they are needed.
    return {
        campaign.pk: services.ensure_default_return_reasons(campaign)
        for campaign in {c.pk: c for c in campaigns}.values()
    }


def _decorate_items(user, pledges: Iterable[Pledge]) -> list[Pledge]:
    """What a queue item shows besides the pledge: its organisation's trail, its pending
    adjustment, the campaign's return reasons, how long it has waited."""
    items = selectors.pledge_decorate(pledges=pledges)
    adjustments = selectors.pending_adjustments_by_pledge(pledges=items)
    returned = selectors.returned_before(pledges=items)
    reasons = _reasons_by_campaign(item.campaign for item in items)
    now = timezone.now()
    for item in items:
        item.pending_adjustment = adjustments.get(item.pk)
        item.was_returned = item.pk in returned
        item.reasons = reasons[item.campaign_id]
        item.owner_key = (
            f"m{item.owner_member_id}" if item.owner_member_id else f"o{item.owner_organization_id}"
        )
        if not hasattr(item, "waiting_since"):
            item.waiting_since = (
                item.pending_adjustment.requested_at
                if item.pending_adjustment is not None
                else item.submitted_at
            )
        waited = (now - item.waiting_since).days if item.waiting_since else 0
        item.waiting_too_long = waited >= WAITING_TOO_LONG_DAYS
    return items


def _queue_item(
    request: HttpRequest,
    pledge: Pledge,
    *,
    result: str = "",
    error: str = "",
    form=None,
) -> HttpResponse:
    """One queue item again (htmx), in its state after the action, with the navbar badge
    updated. ``result`` names what the user just did; ``form`` is a bound form whose errors and
    input the item shows again (its return or adjustment form stays open)."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pledge.pk)
    (item,) = _decorate_items(request.user, [pledge])
    form_errors = [str(e) for errors in form.errors.values() for e in errors] if form else []
    return render(
        request,
        "pledges/review_queue_item.html",
        {
            "item": item,
            "next": _next_url(request, reverse("pledges:review_queue")),
            "can_publish": workflow.can(request.user, item, Action.PUBLISH),
            "result": result,
            "error": error,
            "form_errors": form_errors,
            # Which inline form to reopen with the user's input.
            "reopen": request.POST.get("decision", "") if form_errors else "",
            "checked_reasons": request.POST.getlist("reasons"),
            "comment": request.POST.get("comment", ""),
            "badge_oob": True,
            "review_count": selectors.review_queue_count(user=request.user),
        },
    )


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@reviewer_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """What waits for the user's review, grouped by organisation and owner, oldest first."""
    form, org, kind, campaign = _filters(request)
    queue = selectors.review_queue(
        user=request.user, organization=org, kind=kind, campaign=campaign
    )
    page = Paginator(queue, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    items = _decorate_items(request.user, page.object_list)
    return render(
        request,
        "pledges/review_queue.html",
        {
            "filter_form": form,
            "org": org,
            "publish_orgs": selectors.publishing_organizations(user=request.user),
            "org_choices": selectors.review_queue_organizations(user=request.user, current=org),
            "page": page,
            "items": items,
            "next": request.get_full_path(),
            "filtered": bool(org or kind or campaign),
            "waiting_days": WAITING_TOO_LONG_DAYS,
        },
    )


@reviewer_required
@require_POST
def review_bulk_approve(request: HttpRequest) -> HttpResponse:
    """Approve the ticked pledges: one service call (one transaction) per pledge, so that a
    refusal — e.g. another reviewer was faster — holds back only that pledge."""
    ids: list[int] = []
    for value in request.POST.getlist("pledge")[:BULK_LIMIT]:
        try:
            ids.append(int(value))
        except ValueError:
            continue
    back = _next_url(request, reverse("pledges:review_queue"))
    if not ids:
        messages.warning(request, _("Tick the pledges to approve first."))
        return redirect(back)
    found = {
        pledge.pk: pledge
        for pledge in Pledge.objects.visible_to(request.user)
        .select_related("organization", "owner_member", "owner_organization", "author")
        .filter(pk__in=ids)
    }
    approved = 0
    refused: list[str] = []
    for pk in dict.fromkeys(ids):  # in the order ticked, each once
        pledge = found.get(pk)
        if pledge is None:
            refused.append(_("Pledge %(id)d: not found.") % {"id": pk})
            continue
        try:
            services.pledge_approve(pledge=pledge, actor=request.user)
        except TransitionRefused as exc:
            refused.append(f"{pledge}: {exc.message}")
        else:
            approved += 1
    if approved:
        messages.success(
            request,
            ngettext("%(count)d pledge approved.", "%(count)d pledges approved.", approved)
            % {"count": approved},
        )
    if refused:
        messages.warning(
            request,
            ngettext(
                "%(count)d pledge was not approved:",
                "%(count)d pledges were not approved:",
                len(refused),
            )
            % {"count": len(refused)},
        )
        for line in refused:
            messages.warning(request, line)
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# One pledge
# ---------------------------------------------------------------------------------------------


def _why_not_reviewer(user, pledge: Pledge) -> str:
    """Why the review forms are missing, in the user's words."""
    if pledge.status != Pledge.Status.SUBMITTED:
        return _("This pledge is not awaiting review: it is “%(status)s”.") % {
            "status": pledge.get_status_display()
        }
    parties = workflow.parties_of(user, pledge)
    if workflow.Party.REVIEWER in parties:
        return _(
            "You cannot review a pledge that is your own or that you wrote; another member of "
            "the committee or the superior organisation must."
        )
    if pledge.owner_member_id is not None:
        return _("Member pledges are reviewed by the committee of the member's branch.")
    return _(
        "Organisation pledges are reviewed by the superior organisation's committee or the "
        "campaign office."
    )


@reviewer_required
def review_pledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The pledge in full with its history and, on a resubmission, what changed since the
    return; approve (comment optional) or return (reasons and a comment). From the queue
    (htmx) only the queue item is answered, in its new state."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    reasons = services.ensure_default_return_reasons(pledge.campaign)
    approve_form = ReviewApproveForm(auto_id="approve_%s")
    return_form = ReviewReturnForm(reasons=reasons, auto_id="return_%s")
    error = ""
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision == "approve":
            form = approve_form = ReviewApproveForm(request.POST, auto_id="approve_%s")
        elif decision == "return":
            form = return_form = ReviewReturnForm(
                request.POST, reasons=reasons, auto_id="return_%s"
            )
        else:
            return HttpResponseBadRequest(_("Choose to approve or to return the pledge."))
        if form.is_valid():
            try:
                if decision == "approve":
                    services.pledge_approve(
                        pledge=pledge, actor=request.user, comment=form.cleaned_data["comment"]
                    )
                else:
                    services.pledge_return(
                        pledge=pledge,
                        actor=request.user,
                        reasons=form.cleaned_data["reasons"],
                        comment=form.cleaned_data["comment"],
                    )
            except TransitionRefused as exc:
                message = _refusal(exc)
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, message)
                else:
                    error = message
            else:
                if request.htmx:
                    return _queue_item(request, pledge, result=decision)
                if decision == "approve":
                    messages.success(request, _("Approved: %(pledge)s") % {"pledge": pledge})
                else:
                    messages.success(
                        request,
                        _("Returned for revision: %(pledge)s") % {"pledge": pledge},
                    )
                return redirect(_next_url(request, reverse("pledges:review_queue")))
        if request.htmx:
            return _queue_item(request, pledge, error=error, form=form)
        if error:
            messages.error(request, error)
            return redirect("pledges:review_pledge", pk=pledge.pk)

    actions = set(workflow.allowed_actions(request.user, pledge))
    was_returned = PledgeHistory.objects.filter(
        pledge=pledge, action=PledgeHistory.Action.RETURN
    ).exists()
    changes = (
        selectors.changes_for_display(selectors.pledge_changes_since_return(pledge=pledge))
        if was_returned and pledge.status == Pledge.Status.SUBMITTED
        else []
    )
    (pledge,) = selectors.pledge_decorate(pledges=[pledge])
    can_review = Action.APPROVE in actions or Action.RETURN in actions
    return render(
        request,
        "pledges/review_pledge.html",
        {
            "pledge": pledge,
            "history": list(selectors.pledge_history(pledge=pledge)),
            "was_returned": was_returned,
            "changes": changes,
            "last_return": selectors.pledge_last_return(pledge=pledge) if was_returned else None,
            "can_approve": Action.APPROVE in actions,
            "can_return": Action.RETURN in actions,
            "can_publish": Action.PUBLISH in actions,
            "why_not": "" if can_review else _why_not_reviewer(request.user, pledge),
            "pending_adjustment": selectors.pending_adjustments_by_pledge(pledges=[pledge]).get(
                pledge.pk
            ),
            "approve_form": approve_form,
            "return_form": return_form,
            "next": _next_url(request, reverse("pledges:review_queue")),
        },
    )


# ---------------------------------------------------------------------------------------------
# Publication (亮诺)
# ---------------------------------------------------------------------------------------------


@staff_required
@require_POST
def review_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish one approved pledge (the branch secretary or above, or the office)."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    try:
        services.pledge_publish(pledge=pledge, actor=request.user)
    except TransitionRefused as exc:
        message = _refusal(exc)
        if request.htmx:
            return _queue_item(request, pledge, error=message)
        messages.error(request, message)
    else:
        if request.htmx:
            return _queue_item(request, pledge, result="publish")
        messages.success(request, _("Published: %(pledge)s") % {"pledge": pledge})
    return redirect(_next_url(request, reverse("pledges:pledge_detail", args=[pledge.pk])))


@staff_required
def review_publish_org(request: HttpRequest, code: str) -> HttpResponse:
    """Publish every approved pledge of an organisation — its own and its members' — (or of its
    whole subtree) in one action, after a confirmation that says how many."""
    org = campaign_selectors.access_organization_by_code(user=request.user, code=code)
    if not scope.has_role_on(request.user, org, selectors.PUBLISH_ROLES):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    include_subtree = data.get("include_subtree") in ("on", "1", "true")
    pledges = selectors.publishable_pledges(
        user=request.user, organization=org, include_subtree=include_subtree
    )
    count = pledges.count()
    changed = False
    if request.method == "POST":
        form = PublishOrganizationForm(request.POST)
        if form.is_valid() and form.cleaned_data["expected"] == count:
            result = services.pledges_publish_bulk(pledges=list(pledges), actor=request.user)
            if result.done:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d pledge published.",
                        "%(count)d pledges published.",
                        len(result.done),
                    )
                    % {"count": len(result.done)},
                )
            for pledge, message in result.refused:
                messages.warning(request, f"{pledge}: {message}")
            url = reverse("pledges:review_publish_org", args=[org.code])
            return redirect(url + ("?include_subtree=1" if include_subtree else ""))
        # Approvals or publications happened since the confirmation: confirm the new count.
        changed = True
    return render(
        request,
        "pledges/review_publish_org.html",
        {
            "org": org,
            "pledges": list(pledges[:PUBLISH_LIST_LIMIT]),
            "count": count,
            "include_subtree": include_subtree,
            "changed": changed,
            "form": PublishOrganizationForm(
                initial={"include_subtree": include_subtree, "expected": count}
            ),
        },
    )


# ---------------------------------------------------------------------------------------------
# Adjustments (调诺)
# ---------------------------------------------------------------------------------------------


@reviewer_required
def review_adjustment(request: HttpRequest, pk: int) -> HttpResponse:
    """A requested change of a published pledge: old against new, approve or return."""
    adjustment = selectors.access_adjustment_by_id(user=request.user, adjustment_id=pk)
    pledge = adjustment.pledge
    form = AdjustmentDecisionForm(auto_id="adjustment_%s")
    error = ""
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in ("approve", "return"):
            return HttpResponseBadRequest(_("Choose to approve or to return the adjustment."))
        form = AdjustmentDecisionForm(request.POST, decision=decision, auto_id="adjustment_%s")
        if form.is_valid():
            service = (
                services.adjustment_approve if decision == "approve" else services.adjustment_return
            )
            try:
                service(
                    adjustment=adjustment,
                    actor=request.user,
                    comment=form.cleaned_data["comment"],
                )
            except TransitionRefused as exc:
                message = _refusal(exc)
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, message)
                else:
                    error = message
            else:
                result = f"adjustment_{decision}"
                if request.htmx:
                    return _queue_item(request, pledge, result=result)
                messages.success(
                    request,
                    (
                        _("Adjustment approved: %(pledge)s")
                        if decision == "approve"
                        else _("Adjustment returned: %(pledge)s")
                    )
                    % {"pledge": pledge},
                )
                return redirect(_next_url(request, reverse("pledges:review_queue")))
        if request.htmx:
            return _queue_item(request, pledge, error=error, form=form)
        if error:
            messages.error(request, error)
            return redirect("pledges:review_adjustment", pk=adjustment.pk)

    adjustment.refresh_from_db()
    (pledge,) = selectors.pledge_decorate(pledges=[pledge])
    pending = adjustment.status == PledgeAdjustment.Status.PENDING
    actions = set(workflow.allowed_actions(request.user, pledge)) if pending else set()
    others = list(
        pledge.adjustments.exclude(pk=adjustment.pk)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )
    return render(
        request,
        "pledges/review_adjustment.html",
        {
            "adjustment": adjustment,
            "pledge": pledge,
            "changes": selectors.changes_for_display(
                selectors.adjustment_changes(adjustment=adjustment)
            ),
            "pending": pending,
            "can_decide": Action.APPROVE_ADJUSTMENT in actions,
            "is_requester": adjustment.requested_by_id == request.user.pk,
            "others": others,
            "form": form,
            "next": _next_url(request, reverse("pledges:review_queue")),
        },
    )


# ---------------------------------------------------------------------------------------------
# Evaluation (评诺)
# ---------------------------------------------------------------------------------------------


@evaluator_required
def review_evaluation_list(request: HttpRequest) -> HttpResponse:
    """Pledges of the user's scope at the evaluation step: ready to grade (self-report
    recorded), still missing their self-report, or graded."""
    state = request.GET.get("state", "ready")
    if state not in selectors.EVALUATION_STATES:
        state = "ready"
    form, org, kind, campaign = _filters(request)
    pledges = selectors.evaluation_list(
        user=request.user, state=state, organization=org, campaign=campaign, kind=kind
    )
    page = Paginator(pledges, EVALUATION_PAGE_SIZE).get_page(request.GET.get("page"))
    items = selectors.pledge_decorate(pledges=page.object_list)
    policies: dict[int, object] = {}
    for item in items:
        item.may_grade = selectors.may_grade(request.user, item)
        if state != "graded":
            # Two small queries a row (the evaluation, the feedback): the page is kept short.
            policy = policies.setdefault(
                item.campaign_id, selectors.evaluation_policy(campaign=item.campaign)
            )
            item.suggestion = selectors.suggest_grade(pledge=item, policy=policy)
            item.suggested_label = (
                Pledge.Grade(item.suggestion.grade).label if item.suggestion.grade else ""
            )
    # The branches of the page whose appraisal tallies the user may enter.
    appraisal_orgs = {
        item.organization.pk: item.organization
        for item in items
        if item.owner_member_id
        and scope.has_role_on(request.user, item.organization, selectors.REVIEW_ROLES)
    }
    return render(
        request,
        "pledges/review_evaluation_list.html",
        {
            "state": state,
            "tabs": [
                ("ready", _("Ready to grade")),
                ("missing", _("No self-report yet")),
                ("graded", _("Graded")),
            ],
            "filter_form": form,
            "org": org,
            "page": page,
            "items": items,
            "appraisal_orgs": sorted(appraisal_orgs.values(), key=lambda o: o.path),
            "can_appraise_org": org is not None
            and org.accepts_members
            and scope.has_role_on(request.user, org, selectors.REVIEW_ROLES),
        },
    )


@staff_required
def review_appraisal(request: HttpRequest, code: str) -> HttpResponse:
    """Democratic appraisal (民主评议) tallies for a branch's member pledges: votes per grade,
    entered by the committee or the office; each changed row is one service call."""
    org = campaign_selectors.access_organization_by_code(user=request.user, code=code)
    if not scope.has_role_on(request.user, org, selectors.REVIEW_ROLES):
        raise PermissionDenied
    campaigns = Campaign.objects.visible_to(request.user).order_by("-start_date", "id")
    campaign = None
    campaign_id = request.GET.get("campaign", "")
    if campaign_id.isdigit():
        campaign = campaigns.filter(pk=int(campaign_id)).first()
    pledges_qs = selectors.appraisal_pledges(user=request.user, organization=org, campaign=campaign)
    page = Paginator(pledges_qs, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    pledges = {pledge.pk: pledge for pledge in page.object_list}

    def stored(pledge: Pledge) -> dict[str, int]:
        evaluation = getattr(pledge, "evaluation", None)
        if evaluation is None or not evaluation.total_votes:
            return dict.fromkeys(("good", "fairly_good", "average", "poor"), None)
        return {
            "good": evaluation.votes_good,
            "fairly_good": evaluation.votes_fairly_good,
            "average": evaluation.votes_average,
            "poor": evaluation.votes_poor,
        }

    initial = [{"pledge": pk, **stored(p)} for pk, p in pledges.items()]
    formset = AppraisalFormSet(request.POST or None, initial=initial, prefix="votes")
    if request.method == "POST" and formset.is_valid():
        saved, errors = 0, 0
        for row in formset:
            pledge = pledges.get(row.cleaned_data.get("pledge"))
            if pledge is None:
                continue  # a row of another page or a pledge that left the branch meanwhile
            tallies = row.tallies()
            before = {k: v or 0 for k, v in stored(pledge).items()}
            if tallies == before or not any(tallies.values()):
                continue  # unchanged, or left empty: nothing to record
            try:
                services.evaluation_record_appraisal(pledge=pledge, actor=request.user, **tallies)
            except TransitionRefused as exc:
                row.add_error(None, _refusal_for_row(exc))
                errors += 1
            else:
                saved += 1
        if not errors:
            if saved:
                messages.success(
                    request,
                    ngettext(
                        "Appraisal saved for %(count)d pledge.",
                        "Appraisal saved for %(count)d pledges.",
                        saved,
                    )
                    % {"count": saved},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(request.get_full_path())
        if saved:
            messages.success(
                request,
                ngettext(
                    "Appraisal saved for %(count)d pledge.",
                    "Appraisal saved for %(count)d pledges.",
                    saved,
                )
                % {"count": saved},
            )
    rows = []
    for row in formset:
        pk = row["pledge"].value()
        try:
            pledge = pledges.get(int(pk))
        except (TypeError, ValueError):
            pledge = None
        if pledge is not None:
            pledge.is_own = pledge.owner_member.user_id == request.user.pk
            rows.append((row, pledge))
    return render(
        request,
        "pledges/review_appraisal.html",
        {
            "org": org,
            "campaigns": campaigns,
            "campaign": campaign,
            "formset": formset,
            "rows": rows,
            "page": page,
        },
    )


def _refusal_for_row(exc: TransitionRefused) -> str:
    # In a table of many pledges a 403 for one row would hide the others: show every refusal.
    return str(exc.message)


@evaluator_required
def review_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """Grading (评诺): the inputs — self-report, appraisal, public satisfaction — the policy's
    weights and the suggested grade with its computation; the leadership group or the office
    confirms a grade (a different one needs a justification, “poor” an improvement deadline)."""
    pledge = selectors.access_pledge_by_id(user=request.user, pledge_id=pk)
    breakdown = selectors.evaluation_breakdown(pledge=pledge)
    today = timezone.localdate()
    form = GradeForm(
        initial={
            "grade": breakdown["suggestion"].grade or None,
            "publicity_start": today,
            "publicity_end": today + PUBLICITY_DAYS,
        }
    )
    if request.method == "POST":
        form = GradeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.pledge_confirm_grade(
                    pledge=pledge,
                    actor=request.user,
                    grade=data["grade"],
                    justification=data["justification"],
                    improvement_deadline=data["improvement_deadline"],
                    publicity_start=data["publicity_start"],
                    publicity_end=data["publicity_end"],
                )
            except TransitionRefused as exc:
                message = _refusal(exc)
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, message)
                else:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Grade confirmed: %(grade)s — %(pledge)s")
                    % {"grade": pledge.get_grade_display(), "pledge": pledge},
                )
                return redirect(
                    reverse("pledges:review_evaluation_list")
                    if request.POST.get("then") == "list"
                    else reverse("pledges:review_evaluate", args=[pledge.pk])
                )
    actions = set(workflow.allowed_actions(request.user, pledge))
    (pledge,) = selectors.pledge_decorate(pledges=[pledge])
    return render(
        request,
        "pledges/review_evaluate.html",
        {
            "pledge": pledge,
            "form": form,
            "can_grade": Action.EVALUATE in actions,
            "can_appraise": Action.RECORD_APPRAISAL in actions
            and pledge.owner_member_id is not None,
            "grades": Pledge.Grade.choices,
            **breakdown,
        },
    )
