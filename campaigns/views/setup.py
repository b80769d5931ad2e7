"""Campaign set-up pages for the campaign office: campaigns, phases, leadership, contact points
and inspection groups.

Every page starts from ``access_campaign_by_id`` (404 outside the user's scope); the editing
pages go through ``access_campaign_for_change`` (403 for those who can see the campaign but may
not change it). The rules live in ``campaigns.services``; views parse, call one service, render.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from campaigns import selectors, services
from campaigns.forms import (
    CampaignForm,
    ContactPointForm,
    InspectionGroupForm,
    PhaseFormSet,
    PositionFormSet,
)
from campaigns.models import Campaign, LeadershipPosition
from campaigns.views.decorators import staff_required


def _apply_errors(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _campaign_context(campaign: Campaign, **extra) -> dict:
    return {"campaign": campaign, **extra}


# Past this many organising committees to choose from, the form offers a search box.
ROOT_PICKER_THRESHOLD = 30


def _render_campaign_form(request: HttpRequest, *, form: CampaignForm, campaign) -> HttpResponse:
    use_picker = form.fields["root_organization"].queryset.count() > ROOT_PICKER_THRESHOLD
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign, "use_root_picker": use_picker},
    )


# --- campaigns --------------------------------------------------------------------------------


@staff_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaign_list(user=request.user)
    can_create = selectors.campaign_root_choices(user=request.user).exists()
    return render(
        request,
        "campaigns/campaign_list.html",
        {"campaigns": campaigns, "can_create": can_create, "today": timezone.localdate()},
    )


@staff_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_by_id(user=request.user, campaign_id=pk)
    phases = selectors.campaign_phases(campaign=campaign)
    positions = selectors.campaign_positions(campaign=campaign)
    return render(
        request,
        "campaigns/campaign_detail.html",
        _campaign_context(
            campaign,
            can_manage=selectors.can_manage_campaign(request.user, campaign),
            phases=phases,
            current_phase=next((p for p in phases if p.state == "current"), None),
            leadership_group=positions[LeadershipPosition.Body.LEADERSHIP_GROUP],
            office=positions[LeadershipPosition.Body.OFFICE],
            contact_points=selectors.campaign_contact_points(campaign=campaign),
            inspection_groups=selectors.campaign_inspection_groups(campaign=campaign),
            today=timezone.localdate(),
        ),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    # Only someone who could organise a campaign somewhere reaches the form.
    if not selectors.campaign_root_choices(user=request.user).exists():
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _render_campaign_form(request, form=form, campaign=None)


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    # The ModelForm writes the submitted values onto its instance: give it a copy, so the page
    # header keeps the saved values when the service refuses the change.
    form = CampaignForm(request.POST or None, instance=copy.copy(campaign), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _render_campaign_form(request, form=form, campaign=campaign)


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_phases(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    initial = [
        {
            "id": p.pk,
            "order": p.order,
            "name": p.name,
            "kind": p.kind,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "description": p.description,
        }
        for p in selectors.campaign_phases(campaign=campaign)
    ]
    formset = PhaseFormSet(
        request.POST or None, initial=initial, campaign=campaign, prefix="phases"
    )
    if request.method == "POST" and formset.is_valid():
        try:
            services.campaign_set_phases(
                campaign=campaign, actor=request.user, phases=formset.phase_data()
            )
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages, error_class="nonform")
        else:
            messages.success(request, _("Phases saved."))
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_phases.html",
        _campaign_context(campaign, formset=formset),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_leadership(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    positions = selectors.campaign_positions(campaign=campaign)
    initial = [
        {
            "id": p.pk,
            "body": p.body,
            "person_name": p.person_name,
            "title": p.title,
            "position": p.position,
            "username": p.user.get_username() if p.user else "",
            "order": p.order,
        }
        for body in positions.values()
        for p in body
    ]
    formset = PositionFormSet(
        request.POST or None, initial=initial, campaign=campaign, prefix="positions"
    )
    if request.method == "POST" and formset.is_valid():
        try:
            services.campaign_set_positions(
                campaign=campaign, actor=request.user, positions=formset.position_data()
            )
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages, error_class="nonform")
        else:
            messages.success(request, _("Leadership group and office saved."))
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_leadership.html",
        _campaign_context(campaign, formset=formset),
    )


# --- contact points ---------------------------------------------------------------------------


@staff_required
def contact_point_list(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_by_id(user=request.user, campaign_id=pk)
    return render(
        request,
        "campaigns/contact_point_list.html",
        _campaign_context(
            campaign,
            can_manage=selectors.can_manage_campaign(request.user, campaign),
            contact_points=selectors.campaign_contact_points(campaign=campaign),
        ),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def contact_point_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    form = ContactPointForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_point_create(
                campaign=campaign, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Contact point added."))
            return redirect("campaigns:contact_point_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/contact_point_form.html",
        _campaign_context(campaign, form=form, item=None, has_leaders=campaign.positions.exists()),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def contact_point_edit(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    contact_point = selectors.access_contact_point(campaign=campaign, contact_point_id=item)
    initial = {
        "leader": contact_point.leader,
        "organizations": list(contact_point.organizations.order_by("path")),
        "note": contact_point.note,
    }
    form = ContactPointForm(request.POST or None, initial=initial, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_point_update(
                contact_point=contact_point, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Contact point saved."))
            return redirect("campaigns:contact_point_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/contact_point_form.html",
        _campaign_context(campaign, form=form, item=contact_point, has_leaders=True),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def contact_point_delete(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    contact_point = selectors.access_contact_point(campaign=campaign, contact_point_id=item)
    if request.method == "POST":
        services.contact_point_delete(contact_point=contact_point, actor=request.user)
        messages.success(request, _("Contact point deleted."))
        return redirect("campaigns:contact_point_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/contact_point_confirm_delete.html",
        _campaign_context(campaign, item=contact_point),
    )


# --- inspection groups ------------------------------------------------------------------------


@staff_required
def inspection_group_list(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_by_id(user=request.user, campaign_id=pk)
    return render(
        request,
        "campaigns/inspection_group_list.html",
        _campaign_context(
            campaign,
            can_manage=selectors.can_manage_campaign(request.user, campaign),
            groups=selectors.campaign_inspection_groups(campaign=campaign, with_organizations=True),
        ),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_group_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    form = InspectionGroupForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.inspection_group_create(
                campaign=campaign, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Inspection group added."))
            return redirect("campaigns:inspection_group_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/inspection_group_form.html",
        _campaign_context(campaign, form=form, item=None),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_group_edit(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    group = selectors.access_inspection_group(campaign=campaign, group_id=item)
    initial = {
        "name": group.name,
        "leader_name": group.leader_name,
        "inspectors": list(group.inspectors.order_by("username")),
        "organizations": list(group.organizations.order_by("path")),
    }
    form = InspectionGroupForm(request.POST or None, initial=initial, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.inspection_group_update(group=group, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Inspection group saved."))
            return redirect("campaigns:inspection_group_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/inspection_group_form.html",
        _campaign_context(campaign, form=form, item=group),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_group_delete(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    campaign = selectors.access_campaign_for_change(user=request.user, campaign_id=pk)
    group = selectors.access_inspection_group(campaign=campaign, group_id=item)
    if request.method == "POST":
        try:
            services.inspection_group_delete(group=group, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Inspection group deleted."))
        return redirect("campaigns:inspection_group_list", pk=campaign.pk)
    return render(
        request,
        "campaigns/inspection_group_confirm_delete.html",
        _campaign_context(campaign, item=group),
    )
