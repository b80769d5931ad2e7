"""Importing organisations, members and pledges from spreadsheets (.xlsx, .csv).

Three steps, each a function here (the views stay thin):

1. :func:`read_sheet` checks the file before anything trusts it — size, extension, content,
   zip bomb, macros, formulas, header row, required columns, row count — and turns it into a
   :class:`Sheet` whose columns are the keys of :mod:`reports.columns`;
2. :func:`preview` runs the django-import-export resource as a dry run (nothing is written)
   and reports every row as new / changed (with the columns that change) / unchanged, and
   every error with its sheet row, column and message;
3. :func:`confirm` reads the stored file again, re-validates it and writes every row in one
   transaction, or nothing at all if any row is invalid; it writes an audit entry.

Between the steps the uploaded bytes wait in the cache under a random token bound to the user
(:func:`store_upload` / :func:`load_upload`), not in the session: the session cookie is small
and per-browser, the cache is shared by every web process and expires the upload by itself.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import scope
from campaigns.models import Campaign, RoleAssignment
from campaigns.resources import MemberResource, OrganizationResource, PortalResource
from pledges.resources import PledgeResource
from reports import columns as cols

IMPORT_ROLES = RoleAssignment.MANAGE_ROLES


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 20_000)


def max_unzipped_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)


# A spreadsheet's XML compresses well, but not a thousand-fold: a member that does is a bomb.
MAX_COMPRESSION_RATIO = 200
UPLOAD_TTL_SECONDS = 60 * 60
HEADER_SEARCH_ROWS = 10


class ImportRefused(Exception):
    """A file (or a confirm) refused as a whole, with a message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_import(user, kind: str | None = None) -> bool:
    """The campaign office and the committees (secretary, deputy, committee member) import
    within their subtree; leadership, inspectors and members do not."""
    return bool(scope.scope_paths(user, IMPORT_ROLES)) or bool(
        getattr(user, "is_superuser", False) and user.is_active
    )


def import_campaigns(user):
    """The campaigns a pledge sheet may be imported into: visible to the user, not closed."""
    return Campaign.objects.visible_to(user).exclude(status=Campaign.Status.CLOSED)


# ---------------------------------------------------------------------------------------------
# Reading and checking the file
# ---------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    kind: str
    dataset: tablib.Dataset  # headers: column keys
    row_numbers: list[int]  # dataset row i (0-based) is sheet row row_numbers[i]
    headers: dict[str, str]  # column key → the header as written in the file
    ignored: list[str]  # headers of the file that the importer does not use


def read_sheet(*, kind: str, name: str, data: bytes) -> Sheet:
    """Check an uploaded file and read it; raises :class:`ImportRefused` with the reason."""
    if kind not in cols.KINDS:
        raise ImportRefused(_("Choose what to import."))
    if len(data) > max_bytes():
        raise ImportRefused(
            _("The file is %(size)s; a file may be at most %(max)s.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(max_bytes())}
        )
    ext = os.path.splitext(name or "")[1].lower()
    if ext in (".xlsm", ".xltm", ".xlsb"):
        raise ImportRefused(
            _("Files with macros (%(ext)s) are not accepted; save the sheet as .xlsx.")
            % {"ext": ext}
        )
    if ext == ".xlsx":
        rows = _xlsx_rows(data)
    elif ext == ".csv":
        rows = _csv_rows(data)
    else:
        raise ImportRefused(
            _("“%(name)s” is not an Excel workbook (.xlsx) or a CSV file (.csv).")
            % {"name": os.path.basename(name or "")}
        )
    return _build_sheet(kind, rows)


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _refuse_formula(row: int, col: int) -> None:
    raise ImportRefused(
        _(
            "Cell %(cell)s holds a formula. Formulas are not imported: replace them with their "
            "values (copy, then paste values) and upload again."
        )
        % {"cell": _cell_name(row, col)}
    )


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefused(
            _("The file is not a valid Excel workbook; it may be damaged or renamed.")
        ) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise ImportRefused(
            _("The file is not a valid Excel workbook; it may be damaged or renamed.")
        )
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ImportRefused(_("The workbook contains macros; save it as a plain .xlsx file."))
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    worst = max(
        (
            info.file_size / max(info.compress_size, 1)
            for info in infos
            if info.file_size > 1_000_000
        ),
        default=0,
    )
    if (
        total > max_unzipped_bytes()
        or total / packed > MAX_COMPRESSION_RATIO
        or worst > MAX_COMPRESSION_RATIO
    ):
        raise ImportRefused(
            _("The workbook unpacks to far more data than it could hold; it is refused as unsafe.")
        )
    # openpyxl parses with defusedxml when it is installed (it is), so XML bombs are refused
    # by the parser; the checks above stop the zip-level ones before it reads anything.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise ImportRefused(
            _("The file is not a valid Excel workbook; it may be damaged or renamed.")
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        from openpyxl.utils.escape import unescape

        for number, row in enumerate(sheet.iter_rows(), start=1):
            values = []
            for index, cell in enumerate(row):
                # A formula is a cell of type "f"; text that merely starts with "=" (as our own
                # exports write it, never as a formula) is data.
                if cell.data_type == "f":
                    _refuse_formula(number, index)
                value = cell.value
                if isinstance(value, str) and "_x" in value:
                    value = unescape(value)  # control characters stored as _xHHHH_
                values.append(value)
            yield number, values
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data[:4096]:
        raise ImportRefused(_("The file is not a text CSV file; it may be damaged or renamed."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(
            _("The CSV file's characters could not be read; save it as UTF-8 or GB18030.")
        )
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            for index, value in enumerate(row):
                if value.startswith("="):
                    _refuse_formula(number, index)
            yield number, row
    except csv.Error:
        raise ImportRefused(_("The CSV file could not be read; check its quoting.")) from None


def _is_blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _build_sheet(kind: str, rows: Iterator[tuple[int, list[Any]]]) -> Sheet:
    known = cols.columns_for(kind)
    required = [c for c in known if c.required]
    header_number, header_values, mapping = None, None, {}
    for number, values in rows:
        if _is_blank(values):
            continue
        found = cols.match_headers(kind, values)
        # The header row is the first with at least two known columns (an exported ledger
        # has a title row above it).
        if len(found) >= 2 or (len(found) >= len(required) and found):
            header_number, header_values, mapping = number, values, found
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header_number is None:
        raise ImportRefused(
            _("No header row was found. The first row must name the columns, e.g. %(headers)s.")
            % {"headers": "、".join(str(c.header) for c in required)}
        )
    present = {c.key for c in mapping.values()}
    missing = [c for c in required if c.key not in present]
    if missing:
        raise ImportRefused(
            ngettext(
                "The required column %(columns)s is missing.",
                "The required columns %(columns)s are missing.",
                len(missing),
            )
            % {"columns": "、".join(f"“{c.header}”" for c in missing)}
        )
    used = {i: c for i, c in mapping.items() if c.importable}
    keys = [c.key for c in used.values()]
    dataset = tablib.Dataset(headers=keys)
    row_numbers: list[int] = []
    limit = max_rows()
    for number, values in rows:
        if _is_blank(values):
            continue
        if len(row_numbers) >= limit:
            raise ImportRefused(
                _("The sheet has more than %(max)s rows; split it into several files.")
                % {"max": limit}
            )
        dataset.append([_cell(values[i]) if i < len(values) else None for i in used])
        row_numbers.append(number)
    if not row_numbers:
        raise ImportRefused(_("The sheet has no rows to import below its header row."))
    headers = {c.key: str(header_values[i]).strip() for i, c in mapping.items()}
    ignored = [
        str(v).strip()
        for i, v in enumerate(header_values)
        if i not in mapping and v is not None and str(v).strip()
    ]
    return Sheet(kind, dataset, row_numbers, headers, ignored)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date()
    return value


# ---------------------------------------------------------------------------------------------
# Preview and confirm
# ---------------------------------------------------------------------------------------------

NEW, CHANGED, UNCHANGED, INVALID = "new", "changed", "unchanged", "invalid"


@dataclass
class RowError:
    row: int | None  # sheet row number (None: the file as a whole)
    column: str  # the header as in the file ("" for the row as a whole)
    message: str


@dataclass
class RowOutcome:
    row: int
    status: str
    label: str
    changes: list[str] = field(default_factory=list)  # headers of the columns that change


@dataclass
class ImportReport:
    kind: str
    rows: list[RowOutcome]
    errors: list[RowError]
    warnings: list[str]
    ignored_columns: list[str]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in (NEW, CHANGED, UNCHANGED, INVALID)}

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def writes(self) -> int:
        return self.count(NEW) + self.count(CHANGED)


def make_resource(*, kind: str, actor, campaign: Campaign | None, file_name: str) -> PortalResource:
    if kind == cols.ORGANIZATIONS:
        return OrganizationResource(actor=actor, file_name=file_name)
    if kind == cols.MEMBERS:
        return MemberResource(actor=actor, file_name=file_name)
    if campaign is None:
        raise ImportRefused(_("Choose the campaign the pledges belong to."))
    return PledgeResource(actor=actor, campaign=campaign, file_name=file_name)


def _run(*, sheet: Sheet, actor, campaign, file_name: str, dry_run: bool):
    resource = make_resource(kind=sheet.kind, actor=actor, campaign=campaign, file_name=file_name)
    resource.sheet_rows = sheet.row_numbers
    resource.required_columns = tuple(c.key for c in cols.columns_for(sheet.kind) if c.required)
    result = resource.import_data(sheet.dataset, dry_run=dry_run, use_transactions=True)
    return resource, result, _report(sheet, resource, result)


def _header(sheet: Sheet, resource: PortalResource, key: str) -> str:
    column_key = resource.column_of(key)
    if column_key in sheet.headers:
        return sheet.headers[column_key]
    try:
        return str(cols.column(sheet.kind, column_key).header)
    except KeyError:
        return ""


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            key: [str(m) for m in ValidationError(msgs).messages]
            for key, msgs in error.error_dict.items()
        }
    return {NON_FIELD_ERRORS: [str(m) for m in error.messages]}


def _report(sheet: Sheet, resource: PortalResource, result) -> ImportReport:
    rows: list[RowOutcome] = []
    errors: list[RowError] = []
    for error in result.base_errors:
        errors.append(RowError(None, "", str(error.error)))
    for index, row_result in enumerate(result.rows, start=1):
        sheet_row = sheet.row_numbers[index - 1]
        label = resource.labels.get(index, "")
        if row_result.validation_error is not None or row_result.errors:
            rows.append(RowOutcome(sheet_row, INVALID, label))
            if row_result.validation_error is not None:
                for key, messages in _messages(row_result.validation_error).items():
                    column = "" if key == NON_FIELD_ERRORS else _header(sheet, resource, key)
                    errors.extend(RowError(sheet_row, column, m) for m in messages)
            for error in row_result.errors:
                exc = error.error
                if isinstance(exc, ValidationError):
                    for key, messages in _messages(exc).items():
                        column = "" if key == NON_FIELD_ERRORS else _header(sheet, resource, key)
                        errors.extend(RowError(sheet_row, column, m) for m in messages)
                elif isinstance(exc, PermissionDenied):
                    errors.append(RowError(sheet_row, "", str(exc)))
                else:
                    errors.append(
                        RowError(
                            sheet_row,
                            "",
                            _("This row could not be saved: %(error)s") % {"error": exc},
                        )
                    )
        elif row_result.import_type == row_result.IMPORT_TYPE_NEW:
            rows.append(RowOutcome(sheet_row, NEW, label))
        elif row_result.import_type == row_result.IMPORT_TYPE_UPDATE:
            changes = [_header(sheet, resource, key) for key in resource.changes.get(index, [])]
            rows.append(RowOutcome(sheet_row, CHANGED, label, changes))
        else:
            rows.append(RowOutcome(sheet_row, UNCHANGED, label))
    warnings = resource.guidance_warnings() if hasattr(resource, "guidance_warnings") else []
    return ImportReport(sheet.kind, rows, errors, warnings, sheet.ignored)


def preview(
    *, kind: str, actor, name: str, data: bytes, campaign: Campaign | None = None
) -> ImportReport:
    """Check and dry-run a file: what would happen to every row. Writes nothing."""
    if not can_import(actor, kind):
        raise PermissionDenied
    sheet = read_sheet(kind=kind, name=name, data=data)
    with transaction.atomic():
        _resource, _result, report = _run(
            sheet=sheet, actor=actor, campaign=campaign, file_name=name, dry_run=True
        )
        transaction.set_rollback(True)
    return report


class _Rollback(Exception):
    pass


def confirm(
    *, kind: str, actor, name: str, data: bytes, campaign: Campaign | None = None
) -> ImportReport:
    """Re-validate the file and write every row in one transaction. If any row is invalid (the
    data may have changed since the preview) nothing is written and the report says why."""
    if not can_import(actor, kind):
        raise PermissionDenied
    sheet = read_sheet(kind=kind, name=name, data=data)
    try:
        with transaction.atomic():
            if campaign is not None:
                # One pledge import per campaign at a time: the pledge numbers are counted
                # from the ones already given.
                Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
            _resource, result, report = _run(
                sheet=sheet, actor=actor, campaign=campaign, file_name=name, dry_run=False
            )
            if not report.ok or result.has_errors() or result.has_validation_errors():
                raise _Rollback
            _audit(actor=actor, report=report, name=name, campaign=campaign)
    except _Rollback:
        pass
    return report


def _audit(*, actor, report: ImportReport, name: str, campaign: Campaign | None) -> None:
    """One entry in the admin log for the import as a whole, on the campaign for pledges and
    on the user's own record otherwise (each written object also has its own entry)."""
    counts = report.counts
    message = _(
        "Imported “%(file)s” (%(kind)s): %(new)d new, %(changed)d changed, %(unchanged)d unchanged."
    ) % {
        "file": name,
        "kind": cols.KIND_LABELS[report.kind],
        "new": counts[NEW],
        "changed": counts[CHANGED],
        "unchanged": counts[UNCHANGED],
    }
    target = campaign if campaign is not None else actor
    LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        action_flag=ADDITION,
        change_message=message,
    )


# ---------------------------------------------------------------------------------------------
# The upload between the steps
# ---------------------------------------------------------------------------------------------


@dataclass
class Upload:
    token: str
    user_id: int
    kind: str
    name: str
    data: bytes
    campaign_id: int | None
    report: ImportReport | None = None


def _key(token: str) -> str:
    return f"reports:import:{token}"


def store_upload(upload: Upload) -> None:
    cache.set(
        _key(upload.token),
        upload,
        timeout=getattr(settings, "IMPORT_UPLOAD_TTL", UPLOAD_TTL_SECONDS),
    )


def new_upload(*, user, kind: str, name: str, data: bytes, campaign: Campaign | None) -> Upload:
    return Upload(
        token=secrets.token_urlsafe(24),
        user_id=user.pk,
        kind=kind,
        name=os.path.basename(name or "")[:200],
        data=data,
        campaign_id=campaign.pk if campaign is not None else None,
    )


def load_upload(*, token: str, user) -> Upload | None:
    """The user's upload under ``token``; None when it expired or belongs to someone else."""
    if not token or len(token) > 64:
        return None
    upload = cache.get(_key(token))
    if upload is None or upload.user_id != user.pk:
        return None
    return upload


def discard_upload(token: str) -> None:
    cache.delete(_key(token))


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def template_xlsx(kind: str) -> bytes:
    """An empty sheet of ``kind`` to fill in: headers in the interface language (required ones
    in red), an example row, the header row frozen, and a second sheet describing each column."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    columns = [c for c in cols.columns_for(kind) if c.importable]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(cols.KIND_LABELS[kind])[:31]
    sheet.append([str(c.header) for c in columns])
    sheet.append([c.example for c in columns])
    fill = PatternFill("solid", fgColor="FDE9E7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(column.width, len(str(column.header)) * 2 + 2)
        # Text format, so that Excel keeps ID numbers and codes as typed.
        sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet(str(_("How to fill in"))[:31])
    notes.append([_("Column"), _("Required"), _("Example"), _("Notes")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            [
                str(column.header),
                _("Yes") if column.required else "",
                column.example,
                str(column.help),
            ]
        )
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["C"].width = 24
    notes.column_dimensions["D"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
