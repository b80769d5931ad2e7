"""Ledgers (台账): the index page, and importing organisations, members and pledges from a
spreadsheet — choose the kind, download the template, upload, preview every row, confirm.

The uploaded file waits between the steps under a random token (see :mod:`reports.imports`);
a token that expired or belongs to someone else is a 404, like a missing page.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.views.decorators import staff_required
from reports import columns as cols
from reports import imports

PREVIEW_PAGE_SIZE = 100

KIND_DESCRIPTIONS = {
    cols.ORGANIZATIONS: gettext_lazy(
        "Party committees, general branches, branches and groups, matched on their code."
    ),
    cols.MEMBERS: gettext_lazy("The member roster, matched on the ID number."),
    cols.PLEDGES: gettext_lazy(
        "Pledges of members and organisations in one campaign, matched on the pledge number. "
        "An exported pledge ledger imports back as it is."
    ),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[(k, cols.KIND_LABELS[k]) for k in cols.KINDS],
        widget=forms.RadioSelect,
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("Pledges only: the campaign they belong to."),
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GB18030)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        campaigns = imports.import_campaigns(user)
        self.fields["campaign"].queryset = campaigns
        if len(campaigns) == 1:
            self.fields["campaign"].initial = campaigns[0].pk

    def clean(self):
        data = super().clean()
        if data.get("kind") == cols.PLEDGES and not data.get("campaign"):
            self.add_error("campaign", _("Choose the campaign the pledges belong to."))
        upload = data.get("file")
        if upload is not None and upload.size > imports.max_bytes():
            # Refused before reading it into memory.
            self.add_error(
                "file",
                _("The file is too large; a file may be at most %(max)s MB.")
                % {"max": imports.max_bytes() // (1024 * 1024)},
            )
        return data


def _require_importer(request: HttpRequest) -> None:
    if not imports.can_import(request.user):
        raise PermissionDenied


@staff_required
def ledger_index(request: HttpRequest) -> HttpResponse:
    """The ledgers page: import cards (for those who may import) and the export cards."""
    return render(
        request,
        "reports/ledgers_index.html",
        {
            "can_import": imports.can_import(request.user),
            "kinds": [(k, cols.KIND_LABELS[k], KIND_DESCRIPTIONS[k]) for k in cols.KINDS],
        },
    )


@staff_required
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: choose the kind, download a template, upload a file (checked and previewed)."""
    _require_importer(request)
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in cols.KINDS else {}
    form = ImportForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        campaign = form.cleaned_data["campaign"] if kind == cols.PLEDGES else None
        upload_file = form.cleaned_data["file"]
        data = upload_file.read(imports.max_bytes() + 1)
        try:
            report = imports.preview(
                kind=kind, actor=request.user, name=upload_file.name, data=data, campaign=campaign
            )
        except imports.ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            upload = imports.new_upload(
                user=request.user, kind=kind, name=upload_file.name, data=data, campaign=campaign
            )
            upload.report = report
            imports.store_upload(upload)
            return redirect("reports:import_preview", token=upload.token)
    return render(
        request,
        "reports/import_start.html",
        {
            "form": form,
            "kinds": [(k, cols.KIND_LABELS[k], KIND_DESCRIPTIONS[k]) for k in cols.KINDS],
            "max_rows": imports.max_rows(),
            "max_mb": imports.max_bytes() // (1024 * 1024),
        },
    )


def _load(request: HttpRequest, token: str) -> imports.Upload:
    upload = imports.load_upload(token=token, user=request.user)
    if upload is None:
        raise Http404(_("This upload has expired or does not exist; upload the file again."))
    return upload


@staff_required
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2: every row (new / changed / unchanged / invalid) and every error, a page at a time."""
    _require_importer(request)
    upload = _load(request, token)
    report = upload.report
    show = request.GET.get("show", "all")
    rows = report.rows if show == "all" else [r for r in report.rows if r.status == show]
    rows_page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    errors_page = Paginator(report.errors, PREVIEW_PAGE_SIZE).get_page(request.GET.get("epage"))
    errors_by_row: dict[int | None, list[imports.RowError]] = {}
    for error in report.errors:
        errors_by_row.setdefault(error.row, []).append(error)
    for row in rows_page.object_list:
        row.row_errors = errors_by_row.get(row.row, [])
    return render(
        request,
        "reports/import_preview.html",
        {
            "upload": upload,
            "report": report,
            "kind_label": cols.KIND_LABELS[upload.kind],
            "counts": report.counts,
            "rows_page": rows_page,
            "errors_page": errors_page,
            "show": show,
            "filters": [
                ("all", _("All rows")),
                (imports.NEW, _("New")),
                (imports.CHANGED, _("Changed")),
                (imports.UNCHANGED, _("Unchanged")),
                (imports.INVALID, _("With errors")),
            ],
        },
    )


@staff_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Step 3: re-validate and write everything in one transaction, or nothing."""
    _require_importer(request)
    upload = _load(request, token)
    campaign = None
    if upload.campaign_id is not None:
        campaign = imports.import_campaigns(request.user).filter(pk=upload.campaign_id).first()
        if campaign is None:
            raise Http404
    try:
        report = imports.confirm(
            kind=upload.kind,
            actor=request.user,
            name=upload.name,
            data=upload.data,
            campaign=campaign,
        )
    except imports.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect("reports:import_start")
    if not report.ok:
        upload.report = report
        imports.store_upload(upload)
        messages.error(
            request,
            _("Nothing was imported: the file has errors now. Correct them and upload it again."),
        )
        return redirect("reports:import_preview", token=token)
    imports.discard_upload(token)
    counts = report.counts
    messages.success(
        request,
        _("Imported “%(file)s”: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.")
        % {
            "file": upload.name,
            "new": counts[imports.NEW],
            "changed": counts[imports.CHANGED],
            "unchanged": counts[imports.UNCHANGED],
        },
    )
    return redirect(f"{reverse('reports:ledger_index')}")


@staff_required
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The template of a kind: Chinese headers (the interface language), an example row, the
    header row styled and frozen, and a sheet explaining each column (xlsx); or the same as CSV
    (UTF-8 with a byte-order mark, so Excel reads the Chinese)."""
    _require_importer(request)
    if kind not in cols.KINDS or fmt not in ("xlsx", "csv"):
        raise Http404
    columns = [c for c in cols.columns_for(kind) if c.importable]
    filename = f"{kind}-template.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(c.header) for c in columns])
        writer.writerow([c.example for c in columns])
        response = HttpResponse(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            imports.template_xlsx(kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
