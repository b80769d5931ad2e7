"""Ledger exports to Excel and "my exports".

``export_ledger`` (one URL per ledger) takes the list page's query string: a ledger of at most
``settings.EXPORT_ASYNC_THRESHOLD`` rows downloads at once; a larger one shows its row count and
a button that queues it for the worker (POST), after which the user follows it on "my exports"
(a live progress bar, then a download link until the file expires). Every ledger is scoped to
the user (``visible_to``); a job is reached only by its owner (404 for anyone else).
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.views.decorators import staff_required
from reports import export_jobs
from reports.exporters import EXPORTERS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MY_EXPORTS_SHOWN = 50


def _exporter_class(kind: str):
    try:
        return EXPORTERS[kind]
    except KeyError:
        raise Http404 from None


@staff_required
@require_http_methods(["GET", "POST"])
def export_ledger(request: HttpRequest, kind: str) -> HttpResponse:
    """GET: the ledger at once (small) or a page offering to prepare it (large). POST: queue
    the export with the filters carried by the form, then go to "my exports"."""
    exporter_class = _exporter_class(kind)
    if request.method == "POST":
        filters = export_jobs.clean_filters(QueryDict(request.POST.get("filters", "")))
        exporter = exporter_class(user=request.user, params=filters)  # 404 outside the scope
        job = export_jobs.export_job_create(
            user=request.user,
            kind=kind,
            filters=filters,
            row_count=exporter.count(),
            description="; ".join(exporter.filter_parts),
        )
        messages.success(
            request,
            _("“%(ledger)s” is being prepared. It appears below when it is ready.")
            % {"ledger": exporter.verbose_name},
        )
        return redirect(f"{_my_exports_url()}#export-job-{job.pk}")
    filters = export_jobs.clean_filters(request.GET)
    exporter = exporter_class(user=request.user, params=filters)
    count = exporter.count()
    if count <= export_jobs.async_threshold():
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        exporter.write(handle)
        handle.seek(0)
        return FileResponse(
            handle, as_attachment=True, filename=exporter.filename(), content_type=XLSX_TYPE
        )
    return render(
        request,
        "reports/export_confirm.html",
        {
            "exporter": exporter,
            "count": count,
            "filters": filters,
            "threshold": export_jobs.async_threshold(),
            "back_url": _list_url(exporter, filters),
        },
    )


def _my_exports_url() -> str:
    return reverse("reports:export_list")


def _list_url(exporter, filters: str) -> str | None:
    """The list page the ledger's filters come from, with those filters (the way back)."""
    if not exporter.list_url_name:
        return None
    try:
        url = reverse(exporter.list_url_name)
    except NoReverseMatch:
        return None
    return f"{url}?{filters}" if filters else url


@staff_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's own export jobs, newest first."""
    jobs = list(export_jobs.export_jobs_of(user=request.user)[:MY_EXPORTS_SHOWN])
    return render(
        request,
        "reports/export_list.html",
        {"jobs": jobs},
    )


@staff_required
@require_GET
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One job's row (polled by htmx every 2 s while it is queued or running)."""
    job = export_jobs.access_export_job_by_id(user=request.user, job_id=pk)
    return render(request, "reports/export_job.html", {"job": job})


@staff_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The job's file, for its owner only, while it has not expired."""
    job = export_jobs.access_export_job_by_id(user=request.user, job_id=pk)
    if not job.is_downloadable:
        raise Http404
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    finished = timezone.localtime(job.finished_at or job.created_at)
    name = f"{job.ledger_name}-{finished:%Y%m%d-%H%M}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_TYPE)
