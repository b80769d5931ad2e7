"""Monthly reports (月报) and monthly bulletins (通报).

Reports: the list of the user's own organisations' reports (and the reports in their scope),
the edit page (texts, with the figures shown read-only), submit, acknowledge or return by the
superior, and the detail page with its history. Bulletins: the committees in scope by month,
the bulletin page (HTML; it polls with htmx while the bulletin is being generated), "generate
now" (queued through the outbox) and the PDF.

Every object is reached through a selector that answers 404 when it is missing or out of scope;
every change is one service of ``reports.services``. A refusal because the user has no part in
the action is a 403; any other refusal is shown as a message and changes nothing.
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.views.decorators import staff_required
from reports import selectors, services
from reports.models.monthly import Bulletin, MonthlyReport
from reports.services import ReportRefused

# =============================================================================================
# Forms
# =============================================================================================


class MonthlyReportForm(forms.ModelForm):
    class Meta:
        model = MonthlyReport
        fields = MonthlyReport.TEXT_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in MonthlyReport.TEXT_FIELDS}
        help_texts = {
            "main_work": gettext_lazy("What the organisation did for the campaign this month."),
            "problems": gettext_lazy("What fell short, and why."),
            "next_month_plan": gettext_lazy("What the organisation will do next month."),
            "typical_examples": gettext_lazy(
                "Members or deeds worth making known (先进典型), if any."
            ),
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=(
            ("acknowledge", gettext_lazy("Acknowledge")),
            ("return", gettext_lazy("Return for revision")),
        )
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when returning the report: say what to revise."),
    )


# =============================================================================================
# Helpers
# =============================================================================================


def _month(year: int, month: int) -> datetime.date:
    try:
        return datetime.date(year, month, 1)
    except (ValueError, OverflowError):
        raise Http404 from None


def _refusal(exc: ReportRefused) -> str:
    if exc.code == "not_allowed":
        raise exc
    return str(exc.message)


STATUS_FILTERS = [*MonthlyReport.Status.choices, ("missing", gettext_lazy("Not started"))]


# =============================================================================================
# Monthly reports
# =============================================================================================


@staff_required
def monthly_list(request: HttpRequest) -> HttpResponse:
    """The reports of the organisations the user writes for (one line per month, started or
    not, late ones marked), then the reports in the user's scope (to acknowledge or to read)."""
    today = timezone.localdate()
    month = selectors.parse_month(request.GET.get("month"))
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTERS):
        status = ""
    my_rows = selectors.my_report_rows(user=request.user, month=month, status=status, today=today)
    scope_status = "" if status == "missing" else status
    others = Paginator(
        selectors.scope_reports(user=request.user, month=month, status=scope_status),
        settings.PORTAL_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    for report in others:
        report.late = report.is_late(today)
        report.can_review = (
            report.status == MonthlyReport.Status.SUBMITTED
            and selectors.can_review_report(request.user, report)
        )
    return render(
        request,
        "reports/monthly_list.html",
        {
            "my_rows": my_rows,
            "others": others,
            "months": selectors.report_month_choices(user=request.user, today=today),
            "month": month,
            "status": status,
            "status_choices": STATUS_FILTERS,
            "awaiting": selectors.awaiting_acknowledgement_count(user=request.user),
            "filtered": bool(month or status),
        },
    )


@staff_required
def monthly_edit(
    request: HttpRequest, campaign_id: int, code: str, year: int, month: int
) -> HttpResponse:
    """Write (or start) the report of an organisation for a month: the four texts, with the
    figures taken from the pledges shown read-only. "Save" keeps a draft; "Save and submit"
    sends it to the superior."""
    the_month = _month(year, month)
    campaign, org, report = selectors.report_slot(
        user=request.user, campaign_id=campaign_id, code=code, month=the_month
    )
    if not selectors.can_edit_report(request.user, org):
        raise PermissionDenied
    if report is not None and not report.is_editable:
        messages.info(
            request,
            _("The report is “%(status)s” and can no longer be changed.")
            % {"status": report.get_status_display()},
        )
        return redirect("reports:monthly_detail", pk=report.pk)
    form = MonthlyReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        texts = {name: form.cleaned_data[name] for name in MonthlyReport.TEXT_FIELDS}
        try:
            report = services.monthly_report_save(
                campaign=campaign,
                organization=org,
                month=the_month,
                actor=request.user,
                texts=texts,
            )
            if "submit" in request.POST:
                services.monthly_report_submit(report=report, actor=request.user)
                messages.success(request, _("The monthly report was submitted."))
            else:
                messages.success(request, _("The monthly report was saved as a draft."))
            return redirect("reports:monthly_detail", pk=report.pk)
        except ReportRefused as exc:
            messages.error(request, _refusal(exc))
            if report is not None and report.pk:
                return redirect("reports:monthly_detail", pk=report.pk)
    figures = selectors.report_figures(campaign=campaign, organization=org, month=the_month)
    due = report.due_date if report else selectors.due_date_for(campaign, the_month)
    return render(
        request,
        "reports/monthly_edit.html",
        {
            "campaign": campaign,
            "org": org,
            "month": the_month,
            "report": report,
            "form": form,
            "figures": figures,
            "due_date": due,
            "late": report.is_late() if report else timezone.localdate() > due,
        },
    )


@staff_required
def monthly_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report with its figures (live while it can be edited, frozen once submitted), its
    texts, the review and its history; the actions the user may take."""
    report = selectors.access_monthly_report_by_id(user=request.user, report_id=pk)
    can_edit = report.is_editable and selectors.can_edit_report(request.user, report.organization)
    can_review = report.status == MonthlyReport.Status.SUBMITTED and selectors.can_review_report(
        request.user, report
    )
    figures = (
        selectors.report_figures(
            campaign=report.campaign, organization=report.organization, month=report.month
        )
        if report.figures_are_live
        else report
    )
    return render(
        request,
        "reports/monthly_detail.html",
        {
            "report": report,
            "figures": figures,
            "late": report.is_late(),
            "history": selectors.monthly_report_history(report=report),
            "can_edit": can_edit,
            "can_review": can_review,
            "review_form": ReviewForm(auto_id="review_%s"),
            "edit_url": services.report_edit_url(
                campaign_id=report.campaign_id, code=report.organization.code, month=report.month
            ),
        },
    )


@staff_required
@require_POST
def monthly_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.access_monthly_report_by_id(user=request.user, report_id=pk)
    try:
        services.monthly_report_submit(report=report, actor=request.user)
    except ReportRefused as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The monthly report was submitted."))
    return redirect("reports:monthly_detail", pk=report.pk)


@staff_required
@require_POST
def monthly_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge, or return for revision with a comment (the superior or the office)."""
    report = selectors.access_monthly_report_by_id(user=request.user, report_id=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to acknowledge or to return the report."))
        return redirect("reports:monthly_detail", pk=report.pk)
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["decision"] == "acknowledge":
            services.monthly_report_acknowledge(report=report, actor=request.user, comment=comment)
            messages.success(request, _("The monthly report was acknowledged."))
        else:
            services.monthly_report_return(report=report, actor=request.user, comment=comment)
            messages.success(request, _("The monthly report was returned for revision."))
    except ReportRefused as exc:
        messages.error(request, _refusal(exc))
    return redirect("reports:monthly_detail", pk=report.pk)


# =============================================================================================
# Bulletins
# =============================================================================================


@staff_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    """The committees in the user's scope with their bulletins, by month."""
    month = selectors.parse_month(request.GET.get("month"))
    rows = selectors.bulletin_rows(user=request.user, month=month)
    page = Paginator(rows, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/bulletin_list.html",
        {
            "page": page,
            "months": selectors.report_month_choices(user=request.user),
            "month": month,
        },
    )


@staff_required
def bulletin_detail(
    request: HttpRequest, campaign_id: int, code: str, year: int, month: int
) -> HttpResponse:
    """The bulletin as a page. While it is queued or being generated the status box polls
    (htmx) and the page reloads itself once it is ready; an htmx request gets the box alone."""
    the_month = _month(year, month)
    campaign, committee, bulletin = selectors.bulletin_slot(
        user=request.user, campaign_id=campaign_id, code=code, month=the_month
    )
    context = {
        "campaign": campaign,
        "committee": committee,
        "month": the_month,
        "bulletin": bulletin,
        "can_generate": selectors.can_generate_bulletin(request.user, committee),
    }
    if request.htmx:
        response = render(request, "reports/bulletin_status.html", context)
        was_pending = request.GET.get("pending") == "1"
        if was_pending and bulletin is not None and not bulletin.is_pending:
            # Ready (or failed) since the page was drawn: show the whole page afresh.
            response["HX-Refresh"] = "true"
        return response
    if bulletin is not None and bulletin.status == Bulletin.Status.DONE and bulletin.figures:
        from reports.bulletin_pdf import bulletin_context

        context["b"] = bulletin_context(bulletin.figures)
    return render(request, "reports/bulletin_detail.html", context)


@staff_required
@require_POST
def bulletin_generate(
    request: HttpRequest, campaign_id: int, code: str, year: int, month: int
) -> HttpResponse:
    """Queue the bulletin's (re)generation now; the page then shows its progress."""
    the_month = _month(year, month)
    campaign, committee, _bulletin = selectors.bulletin_slot(
        user=request.user, campaign_id=campaign_id, code=code, month=the_month
    )
    if not selectors.can_generate_bulletin(request.user, committee):
        raise PermissionDenied
    services.bulletin_request(
        campaign=campaign, committee=committee, month=the_month, actor=request.user
    )
    messages.success(
        request,
        _("The bulletin is queued and will be generated shortly; this page shows its progress."),
    )
    return redirect(
        "reports:bulletin_detail",
        campaign_id=campaign.pk,
        code=committee.code,
        year=year,
        month=month,
    )


@staff_required
def bulletin_pdf(
    request: HttpRequest, campaign_id: int, code: str, year: int, month: int
) -> HttpResponse:
    bulletin = selectors.access_bulletin_pdf(
        user=request.user, campaign_id=campaign_id, code=code, month=_month(year, month)
    )
    filename = f"bulletin-{code}-{bulletin.month:%Y-%m}.pdf"
    return FileResponse(bulletin.pdf.open("rb"), content_type="application/pdf", filename=filename)
