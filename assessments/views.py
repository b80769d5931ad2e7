"""Pages of the assessments app: inspection groups' quarters, recording and reading
inspections, the score sheet, and the quarterly reports. Thin: parse, call one selector or
service, render. Objects out of the user's scope are a 404, as missing ones."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments import selectors, services
from assessments.forms import (
    InspectionForm,
    RectificationFormSet,
    ReportRequestForm,
    ScoreSheetFormSet,
)
from assessments.models import (
    Inspection,
    QuarterlyReport,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from campaigns.selectors import access_campaign_for_change
from campaigns.views.decorators import staff_required


def _quarter_from(request: HttpRequest) -> tuple[int, int]:
    return selectors.parse_quarter(request.GET.get("q")) or quarter_of(timezone.localdate())


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------------------------------------
# Inspection groups and lists
# ---------------------------------------------------------------------------------------------


@staff_required
@require_safe
def my_groups(request: HttpRequest) -> HttpResponse:
    """Per group and quarter, the organisations covered with their status; the inspectors
    record from here. The office and the leadership group see every group's progress."""
    year, quarter = _quarter_from(request)
    mine, overseen = selectors.groups_for(user=request.user)
    blocks = [
        selectors.group_quarter(user=request.user, group=g, year=year, quarter=quarter)
        for g in mine
    ]
    overseen_blocks = [
        selectors.group_quarter(user=request.user, group=g, year=year, quarter=quarter)
        for g in overseen
    ]
    return render(
        request,
        "assessments/my_groups.html",
        {
            "blocks": blocks,
            "overseen_blocks": overseen_blocks,
            "year": year,
            "quarter": quarter,
            "quarter_label": quarter_label(year, quarter),
            "quarters": [
                (f"{y}-{q}", quarter_label(y, q)) for y, q in selectors.quarter_choices(count=8)
            ],
            "selected": f"{year}-{quarter}",
        },
    )


@staff_required
@require_safe
def inspection_list(request: HttpRequest) -> HttpResponse:
    """The inspections the user may open: a secretary's organisation(s) and below, an
    inspector's groups, everything in scope for the office and the leadership group."""
    chosen = selectors.parse_quarter(request.GET.get("q"))
    year, quarter = chosen if chosen else (None, None)
    inspections = selectors.inspection_list(user=request.user, year=year, quarter=quarter)
    return render(
        request,
        "assessments/inspection_list.html",
        {
            "inspections": inspections,
            "quarters": [
                (f"{y}-{q}", quarter_label(y, q)) for y, q in selectors.quarter_choices(count=8)
            ],
            "selected": f"{year}-{quarter}" if chosen else "",
            "has_groups": bool(selectors.groups_for(user=request.user)[0]),
        },
    )


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------


def _inspection_form_page(
    request: HttpRequest,
    *,
    group,
    organization,
    year: int,
    quarter: int,
    inspection: Inspection | None,
) -> HttpResponse:
    items = selectors.score_items(campaign=group.campaign)
    today = timezone.localdate()
    initial: dict = {}
    rect_initial: list[dict] = []
    if inspection is None:
        initial = {
            "date": min(today, quarter_bounds(year, quarter)[1]),
            "inspectors": [request.user.pk],
        }
    else:
        scores = {s.item_id: s for s in inspection.scores.all()}
        initial = {
            "date": inspection.date,
            "inspectors": list(inspection.inspectors.values_list("pk", flat=True)),
            "findings": inspection.findings,
            "problems": inspection.problems,
        }
        for item in items:
            if item.pk in scores:
                initial[f"score_{item.pk}"] = scores[item.pk].score
                initial[f"comment_{item.pk}"] = scores[item.pk].comment
        rect_initial = [
            {"id": r.pk, "text": r.text, "deadline": r.deadline}
            for r in inspection.rectifications.all()
        ]
    post = request.method == "POST"
    form = InspectionForm(
        request.POST if post else None,
        request.FILES if post else None,
        group=group,
        year=year,
        quarter=quarter,
        items=items,
        inspection=inspection,
        initial=initial,
    )
    rect_formset = RectificationFormSet(
        request.POST if post else None, initial=rect_initial, prefix="rect"
    )
    if post and items and form.is_valid() and rect_formset.is_valid():
        data = form.inspection_data(rect_formset.rectification_data())
        try:
            with transaction.atomic():
                if inspection is None:
                    saved = services.inspection_create(
                        group=group,
                        organization=organization,
                        year=year,
                        quarter=quarter,
                        actor=request.user,
                        data=data,
                    )
                else:
                    saved = services.inspection_update(
                        inspection=inspection, actor=request.user, data=data
                    )
                for photo in form.cleaned_data.get("remove_photos") or []:
                    services.photo_remove(photo=photo, actor=request.user)
                for upload in form.cleaned_data.get("photos") or []:
                    services.photo_add(inspection=saved, actor=request.user, file=upload)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if "submit" in request.POST:
                try:
                    services.inspection_submit(inspection=saved, actor=request.user)
                except ValidationError as exc:
                    messages.warning(request, " ".join(exc.messages))
                    return redirect("assessments:inspection_edit", inspection_id=saved.pk)
                messages.success(request, _("Inspection submitted."))
            else:
                messages.success(request, _("Draft saved."))
            return redirect("assessments:inspection_detail", inspection_id=saved.pk)
    return render(
        request,
        "assessments/inspection_form.html",
        {
            "form": form,
            "rect_formset": rect_formset,
            "group": group,
            "organization": organization,
            "inspection": inspection,
            "items": items,
            "max_total": sum(i.weight for i in items),
            "quarter_label": quarter_label(year, quarter),
            "photos": list(inspection.photos.all()) if inspection else [],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_record(request: HttpRequest, group_id: int, code: str) -> HttpResponse:
    """Record the inspection of an organisation the group covers, for ``?q=YEAR-QUARTER``
    (the current quarter by default). An inspection that exists already is opened instead."""
    group = selectors.access_group_for_recording(user=request.user, group_id=group_id)
    organization = selectors.access_covered_organization(group=group, code=code)
    year, quarter = _quarter_from(request)
    existing = Inspection.objects.filter(
        campaign_id=group.campaign_id, organization=organization, year=year, quarter=quarter
    ).first()
    if existing is not None:
        if existing.group_id != group.pk:
            messages.info(
                request,
                _("%(org)s was inspected by another group in %(quarter)s.")
                % {"org": organization.name, "quarter": existing.quarter_label},
            )
            return redirect(reverse("assessments:my_groups") + f"?q={year}-{quarter}")
        target = "inspection_edit" if existing.is_draft else "inspection_detail"
        return redirect(f"assessments:{target}", inspection_id=existing.pk)
    return _inspection_form_page(
        request, group=group, organization=organization, year=year, quarter=quarter, inspection=None
    )


@staff_required
@require_http_methods(["GET", "POST"])
def inspection_edit(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.access_inspection(user=request.user, inspection_id=inspection_id)
    if not selectors.is_group_inspector(request.user, inspection.group):
        raise PermissionDenied
    if not inspection.is_draft:
        messages.info(request, _("This inspection has been submitted and can no longer change."))
        return redirect("assessments:inspection_detail", inspection_id=inspection.pk)
    return _inspection_form_page(
        request,
        group=inspection.group,
        organization=inspection.organization,
        year=inspection.year,
        quarter=inspection.quarter,
        inspection=inspection,
    )


@staff_required
@require_safe
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.access_inspection(user=request.user, inspection_id=inspection_id)
    context = selectors.inspection_detail(inspection=inspection)
    context.update(
        {
            "inspection": inspection,
            "can_edit": selectors.can_edit_inspection(request.user, inspection),
            "today": timezone.localdate(),
        }
    )
    for rect in context["rectifications"]:
        rect.can_check_off = selectors.can_check_off_rectification(request.user, rect)
    return render(request, "assessments/inspection_detail.html", context)


@staff_required
@require_POST
def inspection_submit(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.access_inspection(user=request.user, inspection_id=inspection_id)
    try:
        services.inspection_submit(inspection=inspection, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Inspection submitted."))
    return redirect("assessments:inspection_detail", inspection_id=inspection.pk)


@staff_required
@require_POST
def rectification_done(request: HttpRequest, rectification_id: int) -> HttpResponse:
    rectification = selectors.access_rectification(
        user=request.user, rectification_id=rectification_id
    )
    try:
        services.rectification_check_off(rectification=rectification, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rectification checked off."))
    return redirect("assessments:inspection_detail", inspection_id=rectification.inspection_id)


@staff_required
@require_safe
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """An inspection photo, streamed to whoever may open its inspection (404 otherwise)."""
    item = selectors.access_photo(user=request.user, photo_id=photo_id)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, filename=item.original_name, content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------
# Score sheet (the office)
# ---------------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def score_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = access_campaign_for_change(user=request.user, campaign_id=pk)
    initial = [
        {
            "id": i.pk,
            "order": i.order,
            "name": i.name,
            "weight": i.weight,
            "description": i.description,
        }
        for i in selectors.score_items(campaign=campaign)
    ]
    formset = ScoreSheetFormSet(
        request.POST or None, initial=initial, campaign=campaign, prefix="items"
    )
    if request.method == "POST" and formset.is_valid():
        try:
            services.score_sheet_set(
                campaign=campaign, actor=request.user, items=formset.item_data()
            )
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages, error_class="nonform")
        else:
            messages.success(request, _("Score sheet saved."))
            return redirect("assessments:score_sheet", pk=campaign.pk)
    return render(
        request,
        "assessments/score_sheet.html",
        {
            "campaign": campaign,
            "formset": formset,
            "current_total": sum(i["weight"] for i in initial),
        },
    )


# ---------------------------------------------------------------------------------------------
# Quarterly reports
# ---------------------------------------------------------------------------------------------


def _report_form(request: HttpRequest, data=None) -> ReportRequestForm | None:
    if not selectors.can_request_reports(request.user):
        return None
    committees = selectors.report_committee_choices(user=request.user)
    if not committees:
        return None
    return ReportRequestForm(
        data, committees=committees, quarters=selectors.quarter_choices(count=8)
    )


@staff_required
@require_safe
def report_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assessments/report_list.html",
        {"reports": selectors.report_list(user=request.user), "form": _report_form(request)},
    )


@staff_required
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    """ "Generate now": queue (re)generation through the outbox; the list shows its progress."""
    report_id = request.POST.get("report", "").strip()
    if report_id:
        if not report_id.isdigit():
            raise Http404
        existing = selectors.access_report(user=request.user, report_id=int(report_id))
        target = (existing.organization, existing.year, existing.quarter)
    else:
        form = _report_form(request, request.POST)
        if form is None:
            raise PermissionDenied
        if not form.is_valid():
            messages.error(request, _("Choose a committee and a quarter."))
            return redirect("assessments:report_list")
        target = form.cleaned_choice()
    organization, year, quarter = target
    try:
        services.quarterly_report_request(
            organization=organization, year=year, quarter=quarter, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "The report of %(org)s for %(quarter)s will be generated; this page shows when it is ready."
            )
            % {"org": organization.name, "quarter": quarter_label(year, quarter)},
        )
    return redirect("assessments:report_list")


@staff_required
@require_safe
def report_status(request: HttpRequest, report_id: int) -> HttpResponse:
    """One row of the report list (htmx polls it while the report is queued or running)."""
    report = selectors.access_report(user=request.user, report_id=report_id)
    return render(request, "assessments/_report_row.html", {"report": report})


@staff_required
@require_safe
def report_download(request: HttpRequest, report_id: int) -> FileResponse:
    report = selectors.access_report(user=request.user, report_id=report_id)
    if report.status != QuarterlyReport.Status.DONE or not report.file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{report.title}.pdf")
    response["Cache-Control"] = "private, no-cache"
    return response
