"""Ledger exports (台账) to Excel, streamed: one exporter class per ledger, in the manner of
pretix's exporters.

An exporter takes the user and the list page's query string, parses the filters exactly as that
page does (the same form or filterset and the same selector, scoped by ``visible_to``), and
writes one worksheet:

- row 1: a title (ledger, campaign, scope, export time, filters applied);
- row 2: the column headers in the user's language, frozen, with an auto-filter;
- then one row per object, streamed from ``values_list(...).iterator(chunk_size=2000)`` into
  XlsxWriter in ``constant_memory`` mode, so memory stays flat whatever the number of rows.

Cells are typed: dates are real Excel dates (a serial number with a date format), numbers are
numbers, and every piece of text goes through ``write_string`` — a cell that starts with ``=``,
``+``, ``-``, ``@`` or a control character is stored as text, never as a formula (no formula
injection), and nothing is prefixed to it.

Data that belongs to a pledge but lives in other tables (the review history summary, the latest
fulfilment record, organisation paths, categories) is fetched per chunk of 2,000 rows with one
query each, keyed by id: no query per row, and memory bounded by the chunk.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any, ClassVar

import xlsxwriter
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, Worksheet

from campaigns import scope
from campaigns import selectors as campaign_selectors
from campaigns.filters import MemberFilter
from campaigns.models import Campaign, Member, Organization, mask_id_number
from campaigns.people import person_name
from pledges import selectors as pledge_selectors
from pledges.forms import PledgeListForm
from pledges.models import FulfilmentEntry, Pledge, PledgeHistory
from reports import columns as shared_columns
from reports import selectors as report_selectors

CHUNK_SIZE = 2000

TEXT = "text"
DATE = "date"
DATETIME = "datetime"
MONTH = "month"  # a date shown as yyyy-mm (the month of a monthly report)
NUMBER = "number"

# date(1899, 12, 30).toordinal(): Excel's serial day 0 (valid for dates after February 1900).
_EXCEL_EPOCH_ORDINAL = 693594
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def excel_date(value: datetime.date) -> int:
    return value.toordinal() - _EXCEL_EPOCH_ORDINAL


def excel_datetime(value: datetime.datetime, zone: datetime.tzinfo | None = None) -> float:
    """A serial date-time in the portal's time zone (Excel has no time zones)."""
    if value.utcoffset() is not None:
        value = value.astimezone(zone or timezone.get_current_timezone())
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return value.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400


@dataclass(frozen=True)
class LedgerColumn:
    header: Promise | str
    kind: str = TEXT
    width: float = 16

    @classmethod
    def shared(cls, column: shared_columns.Column, kind: str = TEXT) -> LedgerColumn:
        """A column of ``reports.columns`` (its header and width), so that the file imports back."""
        return cls(column.header, kind, column.width)


# ---------------------------------------------------------------------------------------------
# The streaming writer
# ---------------------------------------------------------------------------------------------


_CONTROL_OR_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


class StreamingWorksheet(Worksheet):
    """XlsxWriter's worksheet with a faster row flush in constant-memory mode.

    XlsxWriter writes each finished row cell by cell through general code (attribute lists,
    three regular expressions and a file write per cell): over half a million rows of a
    ledger that is most of the time. Rows holding only strings and numbers (with or without a
    cell format) and no row options are written here as one string per row, byte for byte the
    XML XlsxWriter writes (``tests/reports/test_exports.py`` compares the two); any other row
    goes through XlsxWriter's own code. One difference, on purpose: XlsxWriter writes a string
    that looks like ``<r>…</r>`` unescaped (it takes it for rich text); here it is escaped.
    """

    def _write_single_row(self, current_row_num: int = 0) -> None:
        row_num = self.previous_row
        cells = self.table.get(row_num)
        if (
            not cells
            or row_num in self.row_info
            or row_num in self.comments
            or self.excel_version == 2010
            or self.default_row_height != self.original_row_height
            or any(
                cell.__class__ is not CellStringTuple and cell.__class__ is not CellNumberTuple
                for cell in cells.values()
            )
        ):
            super()._write_single_row(current_row_num)
            return
        self.previous_row = current_row_num
        number = str(row_num + 1)
        names = _column_names(max(cells) + 1)
        col_info = self.col_info
        parts = [f'<row r="{number}">']
        for col in sorted(cells):
            cell = cells[col]
            cell_format = cell.format
            if cell_format is None and col in col_info:
                cell_format = col_info[col].column_format
            style = f' s="{cell_format._get_xf_index()}"' if cell_format else ""
            if cell.__class__ is CellNumberTuple:
                parts.append(f'<c r="{names[col]}{number}"{style}><v>{cell.number:.16G}</v></c>')
                continue
            text = cell.string
            if _CONTROL_OR_ESCAPE.search(text):
                text = self._escape_control_characters(text)
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            if "&" in text or "<" in text or ">" in text:
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(
                f'<c r="{names[col]}{number}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
            )
        parts.append("</row>")
        self.fh.write("".join(parts))
        self.table.clear()


_COLUMN_NAMES: list[str] = []


def _column_names(count: int) -> list[str]:
    while len(_COLUMN_NAMES) < count:
        _COLUMN_NAMES.append(xl_col_to_name(len(_COLUMN_NAMES)))
    return _COLUMN_NAMES


class LedgerWriter:
    """One worksheet written row by row with XlsxWriter in constant-memory mode."""

    TITLE_ROW = 0
    HEADER_ROW = 1
    FIRST_DATA_ROW = 2

    def __init__(
        self,
        target: str | IO[bytes],
        *,
        sheet_name: str,
        title: str,
        columns: Sequence[LedgerColumn],
        worksheet_class: type[Worksheet] = StreamingWorksheet,
    ) -> None:
        self.workbook = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                # Belt and braces: only write_string/write_number are called below, but no
                # string is ever to become a formula, a link or a number.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.columns = tuple(columns)
        self.sheet = self.workbook.add_worksheet(
            _sheet_name(sheet_name), worksheet_class=worksheet_class
        )
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.month_format = self.workbook.add_format({"num_format": "yyyy-mm"})
        title_format = self.workbook.add_format({"bold": True, "font_size": 12})
        header_format = self.workbook.add_format(
            {"bold": True, "bg_color": "#F2DCDB", "border": 1, "valign": "vcenter"}
        )
        for index, column in enumerate(self.columns):
            self.sheet.set_column(index, index, column.width)
        self.sheet.set_row(self.TITLE_ROW, 22)
        self.sheet.write_string(self.TITLE_ROW, 0, title, title_format)
        for index, column in enumerate(self.columns):
            self.sheet.write_string(self.HEADER_ROW, index, str(column.header), header_format)
        self.sheet.freeze_panes(self.FIRST_DATA_ROW, 0)
        self.next_row = self.FIRST_DATA_ROW

    @property
    def rows_written(self) -> int:
        return self.next_row - self.FIRST_DATA_ROW

    def write_rows(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        progress: Callable[[int], None] | None = None,
        every: int = CHUNK_SIZE,
    ) -> int:
        """Write ``rows`` (values in column order: str, date, datetime, int/float or None);
        ``progress(rows_written)`` is called every ``every`` rows. Returns the rows written."""
        sheet = self.sheet
        # XlsxWriter's undecorated writers (the public ones only add A1-notation parsing, a
        # measurable cost over half a million rows); the public ones if they ever go away.
        write_string = getattr(sheet, "_write_string", sheet.write_string)
        write_number = getattr(sheet, "_write_number", sheet.write_number)
        date_format = self.date_format
        datetime_format = self.datetime_format
        month_format = self.month_format
        zone = timezone.get_current_timezone()
        kinds = tuple(column.kind for column in self.columns)
        row_number = self.next_row
        next_report = row_number + every
        for values in rows:
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                kind = kinds[col]
                if kind is TEXT:
                    write_string(row_number, col, value)
                elif kind is DATE:
                    write_number(
                        row_number, col, value.toordinal() - _EXCEL_EPOCH_ORDINAL, date_format
                    )
                elif kind is DATETIME:
                    write_number(row_number, col, excel_datetime(value, zone), datetime_format)
                elif kind is MONTH:
                    write_number(
                        row_number, col, value.toordinal() - _EXCEL_EPOCH_ORDINAL, month_format
                    )
                else:
                    write_number(row_number, col, value)
            row_number += 1
            if progress is not None and row_number >= next_report:
                next_report += every
                self.next_row = row_number
                progress(self.rows_written)
        self.next_row = row_number
        return self.rows_written

    def close(self) -> None:
        if self.next_row > self.FIRST_DATA_ROW:
            self.sheet.autofilter(self.HEADER_ROW, 0, self.next_row - 1, len(self.columns) - 1)
        self.workbook.close()


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    return _SHEET_NAME_BAD.sub(" ", name)[:31] or "Sheet1"


def chunks(iterable: Iterable, size: int = CHUNK_SIZE) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


# ---------------------------------------------------------------------------------------------
# Helpers shared by the ledgers: organisation paths, private fields, labels, filters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgInfo:
    path: str
    code: str
    full_name: str  # 示范市委/青山镇党委/柳河村党支部


class OrganizationPaths:
    """``organisation id → OrgInfo``, loaded as chunks of rows mention new organisations (two
    queries per chunk at most, and only for organisations not seen before)."""

    SEPARATOR = "/"

    def __init__(self) -> None:
        self.by_id: dict[int, OrgInfo] = {}
        self._names: dict[str, str] = {}

    def load(self, ids: Iterable[int | None]) -> None:
        missing = {pk for pk in ids if pk is not None and pk not in self.by_id}
        if not missing:
            return
        rows = list(
            Organization.objects.filter(pk__in=missing)
            .order_by()
            .values_list("pk", "path", "name", "code")
        )
        step = Organization.steplen
        wanted: set[str] = set()
        for _pk, path, name, _code in rows:
            self._names[path] = name
            wanted.update(
                path[:end] for end in range(step, len(path), step) if path[:end] not in self._names
            )
        if wanted:
            self._names.update(
                Organization.objects.filter(path__in=wanted).order_by().values_list("path", "name")
            )
        for pk, path, _name, code in rows:
            trail = [
                self._names[path[:end]]
                for end in range(step, len(path) + 1, step)
                if path[:end] in self._names
            ]
            self.by_id[pk] = OrgInfo(path=path, code=code, full_name=self.SEPARATOR.join(trail))

    def get(self, pk: int | None) -> OrgInfo | None:
        return self.by_id.get(pk) if pk is not None else None


class PrivateFields:
    """Whether the user may see a member's phone, ID number and birth date, by the one rule
    (``scope.can_view_private``), asked once per branch and cached."""

    def __init__(self, user) -> None:
        self.user = user
        self._by_branch: dict[str, bool] = {}

    def visible(self, *, branch_path: str | None, member_user_id: int | None) -> bool:
        if member_user_id is not None and member_user_id == self.user.pk and self.user.is_active:
            return True
        if branch_path is None:
            return False
        allowed = self._by_branch.get(branch_path)
        if allowed is None:
            # A stand-in member: the rule reads only the branch's path (and the member's login,
            # handled above).
            stand_in = Member(branch=Organization(path=branch_path))
            allowed = self._by_branch[branch_path] = scope.can_view_private(self.user, stand_in)
        return allowed


def choice_labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """``value → label`` in the active language (looked up once, not per row)."""
    return {value: str(label) for value, label in choices}


def describe_filters(form: forms.Form, *, skip: Iterable[str] = ()) -> list[str]:
    """``Label: value`` for each filter of a bound form that holds a value."""
    if not form.is_bound:
        return []
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    skipped = set(skip)
    parts = []
    for name, field in form.fields.items():
        if name in skipped or isinstance(field.widget, forms.HiddenInput):
            continue
        value = cleaned.get(name)
        if value in (None, "", [], ()):
            continue
        if isinstance(field, forms.ModelChoiceField):
            text = str(value)
        elif isinstance(field, forms.ChoiceField):
            text = str(dict(field.choices).get(value, value))
        else:
            text = str(value)
        parts.append(f"{field.label}: {text}")
    return parts


class _RequestStandIn:
    """What a filterset reads from its request, for exports run by the worker."""

    def __init__(self, user) -> None:
        self.user = user


# ---------------------------------------------------------------------------------------------
# Exporters
# ---------------------------------------------------------------------------------------------


class LedgerExporter:
    """Base class: parse the filters, count, stream rows, write the workbook."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[Promise]
    # The list page whose filters the ledger shares (for links back to it).
    list_url_name: ClassVar[str | None] = None

    def __init__(self, *, user, params: QueryDict | str | None = None) -> None:
        if params is None or isinstance(params, str):
            params = QueryDict(params or "")
        self.user = user
        self.params = params
        self.org: Organization | None = None
        self.campaign: Campaign | None = None
        self.filter_parts: list[str] = []
        self.orgs = OrganizationPaths()
        self.setup()

    # -- to be provided by each ledger ----------------------------------------------------------

    def setup(self) -> None:
        """Parse ``self.params`` as the list page does (may raise Http404 for an organisation
        outside the user's scope)."""

    def columns(self) -> list[LedgerColumn]:
        raise NotImplementedError

    def queryset(self) -> QuerySet:
        raise NotImplementedError

    def rows(self) -> Iterator[tuple]:
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------

    def _org_from_params(self) -> Organization | None:
        code = (self.params.get("org") or "").strip()
        if not code:
            return None
        return campaign_selectors.access_organization_by_code(user=self.user, code=code)

    def count(self) -> int:
        return self.queryset().order_by().count()

    def scope_label(self) -> str:
        if self.org is not None:
            return self.org.name
        if self.user.is_superuser:
            return _("All organisations")
        paths = scope.scope_paths(self.user)
        names = dict(
            Organization.objects.filter(path__in=paths).order_by().values_list("path", "name")
        )
        return "、".join(names[path] for path in paths if path in names)

    def campaign_label(self) -> str:
        if self.campaign is not None:
            return self.campaign.name
        campaigns = list(Campaign.objects.visible_to(self.user).order_by("-start_date")[:2])
        if len(campaigns) == 1:
            return campaigns[0].name
        return _("All campaigns")

    def title(self, *, at: datetime.datetime | None = None) -> str:
        at = timezone.localtime(at or timezone.now())
        parts = [
            f"{self.verbose_name} · {self.campaign_label()}",
            _("Scope: %(scope)s") % {"scope": self.scope_label()},
            _("Exported: %(time)s") % {"time": f"{at:%Y-%m-%d %H:%M}"},
        ]
        if self.filter_parts:
            parts.append(_("Filters: %(filters)s") % {"filters": "; ".join(self.filter_parts)})
        else:
            parts.append(_("Filters: none"))
        return "    ".join(parts)

    def filename(self, *, at: datetime.datetime | None = None) -> str:
        at = timezone.localtime(at or timezone.now())
        return f"{self.verbose_name}-{at:%Y%m%d-%H%M}.xlsx"

    def write(
        self, target: str | IO[bytes], *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Write the whole ledger to ``target`` (a path or a binary file); returns the row count."""
        writer = LedgerWriter(
            target, sheet_name=str(self.verbose_name), title=self.title(), columns=self.columns()
        )
        try:
            written = writer.write_rows(self.rows(), progress=progress)
        finally:
            writer.close()
        return written


class PledgeLedgerExporter(LedgerExporter):
    """承诺台账: one row per pledge, with the filters of the pledge list."""

    identifier = "pledges"
    verbose_name = gettext_lazy("Pledge ledger")
    list_url_name = "pledges:pledge_list"

    FIELDS = (
        "id",
        "reference",
        "organization_id",
        "campaign__name",
        "owner_member__name",
        "owner_member__id_number",
        "owner_member__branch_id",
        "owner_member__user_id",
        "owner_organization__name",
        "kind",
        "term",
        "content",
        "deadline",
        "expected_effect",
        "measures",
        "status",
        "grade",
    )
    # The review decisions summarised in the "review history" column.
    REVIEW_ACTIONS = (
        PledgeHistory.Action.APPROVE,
        PledgeHistory.Action.RETURN,
        PledgeHistory.Action.APPROVE_ADJUSTMENT,
        PledgeHistory.Action.RETURN_ADJUSTMENT,
    )
    RETURN_ACTIONS = (PledgeHistory.Action.RETURN, PledgeHistory.Action.RETURN_ADJUSTMENT)
    COMMENT_CHARS = 40

    def setup(self) -> None:
        user = self.user
        self.org = self._org_from_params()
        is_member = (
            scope.member_branch_path(user) is not None or Member.objects.filter(user=user).exists()
        )
        self.form = PledgeListForm(
            self.params or None,
            campaigns=Campaign.objects.visible_to(user).order_by("-start_date", "id"),
            phases=pledge_selectors.pledge_phase_choices(user=user),
            is_member=is_member,
        )
        self.filters = self.form.filters(org=self.org)
        self.campaign = self.filters.campaign or (
            self.filters.phase.campaign if self.filters.phase is not None else None
        )
        self.filter_parts = describe_filters(self.form, skip=("sort",))

    def queryset(self) -> QuerySet[Pledge]:
        return pledge_selectors.pledge_list_queryset(user=self.user, filters=self.filters)

    def columns(self) -> list[LedgerColumn]:
        shared = {c.key: c for c in shared_columns.PLEDGE_COLUMNS}
        widths = {"organization_name": 40}
        return [
            *(
                LedgerColumn(
                    shared[key].header,
                    DATE if key == "deadline" else TEXT,
                    widths.get(key, shared[key].width),
                )
                for key in self.SHARED_KEYS
            ),
            LedgerColumn(gettext_lazy("Overdue"), TEXT, 8),
            LedgerColumn(gettext_lazy("Review history"), TEXT, 40),
            LedgerColumn(gettext_lazy("Latest record date"), DATE, 12),
            LedgerColumn(gettext_lazy("Latest fulfilment record"), TEXT, 40),
            LedgerColumn(gettext_lazy("Progress (%)"), NUMBER, 8),
            LedgerColumn(gettext_lazy("Grade"), TEXT, 8),
            LedgerColumn(gettext_lazy("Campaign"), TEXT, 24),
        ]

    # The keys of reports.columns.PLEDGE_COLUMNS, in the order ``rows`` fills them.
    SHARED_KEYS = (
        "reference",
        "organization_code",
        "organization_name",
        "owner_name",
        "owner_id_number",
        "kind",
        "term",
        "content",
        "deadline",
        "expected_effect",
        "measures",
        "status",
    )

    def rows(self) -> Iterator[tuple]:
        kinds = choice_labels(Pledge.Kind.choices)
        terms = choice_labels(Pledge.Term.choices)
        statuses = choice_labels(Pledge.Status.choices)
        grades = choice_labels(Pledge.Grade.choices)
        overdue_label = _("Overdue")
        published = Pledge.Status.PUBLISHED
        today = timezone.localdate()
        private = PrivateFields(self.user)
        orgs = self.orgs
        stream = self.queryset().values_list(*self.FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for chunk in chunks(stream):
            ids = [row[0] for row in chunk]
            orgs.load([row[2] for row in chunk] + [row[6] for row in chunk])
            history = self.review_history(ids)
            latest = latest_entries(ids)
            for (
                pk,
                reference,
                org_id,
                campaign_name,
                member_name,
                id_number,
                member_branch_id,
                member_user_id,
                owner_org_name,
                kind,
                term,
                content,
                deadline,
                effect,
                measures,
                status,
                grade,
            ) in chunk:
                org = orgs.by_id.get(org_id)
                if member_name is not None:
                    branch = orgs.by_id.get(member_branch_id)
                    shown = private.visible(
                        branch_path=branch.path if branch else None, member_user_id=member_user_id
                    )
                    owner_id = id_number if shown else mask_id_number(id_number)
                    owner = member_name
                else:
                    owner, owner_id = owner_org_name, ""
                entry = latest.get(pk)
                yield (
                    reference,
                    org.code if org else "",
                    org.full_name if org else "",
                    owner,
                    owner_id,
                    kinds.get(kind, kind),
                    terms.get(term, term),
                    content,
                    deadline,
                    effect,
                    measures,
                    statuses.get(status, status),
                    overdue_label
                    if status == published and deadline is not None and deadline < today
                    else "",
                    history.get(pk, ""),
                    entry[0] if entry else None,
                    entry[1] if entry else "",
                    entry[2] if entry else None,
                    grades.get(grade, grade),
                    campaign_name,
                )

    def review_history(self, pledge_ids: list[int]) -> dict[int, str]:
        """``pledge id → "2026-08-02 退回修改 王明：… ; 2026-08-05 审核通过 李华"`` for one chunk, in
        one query (plus one for reviewers' names not seen before)."""
        wanted = set(pledge_ids)
        rows = [
            row
            for row in PledgeHistory.objects.filter(
                pledge_ids_q("pledge_id", pledge_ids), action__in=self.REVIEW_ACTIONS
            )
            .order_by("pledge_id", "created_at", "id")
            .values_list("pledge_id", "created_at", "action", "actor_id", "comment")
            if row[0] in wanted
        ]
        names = self._actor_names({row[3] for row in rows})
        labels = choice_labels(PledgeHistory.Action.choices)
        zone = timezone.get_current_timezone()  # once, not per row (a thread-local look-up)
        parts: dict[int, list[str]] = {}
        for pledge_id, created_at, action, actor_id, comment in rows:
            day = created_at.astimezone(zone).date().isoformat()
            text = f"{day} {labels[action]} {names.get(actor_id, '')}"
            if action in self.RETURN_ACTIONS and comment:
                comment = " ".join(comment.split())
                if len(comment) > self.COMMENT_CHARS:
                    comment = comment[: self.COMMENT_CHARS] + "…"
                text += f"：{comment}"
            parts.setdefault(pledge_id, []).append(text)
        return {pk: "; ".join(items) for pk, items in parts.items()}

    def _actor_names(self, actor_ids: set[int]) -> dict[int, str]:
        return _actor_names(self, actor_ids)


def _actor_names(exporter: LedgerExporter, user_ids: Iterable[int | None]) -> dict[int, str]:
    """``user id → name as people write it``, cached on the exporter: one query per chunk for
    the names not seen before (reviewers and recorders are a small set)."""
    cache = exporter.__dict__.setdefault("_actor_cache", {})
    missing = {pk for pk in user_ids if pk is not None} - cache.keys()
    if missing:
        for user in (
            get_user_model()
            .objects.filter(pk__in=missing)
            .only("pk", "username", "first_name", "last_name")
        ):
            cache[user.pk] = person_name(user)
    return cache


def latest_entries(pledge_ids: list[int]) -> dict[int, tuple[datetime.date, str, int]]:
    """``pledge id → (date, text, progress)`` of the latest journal entry, for one chunk: one
    query (``DISTINCT ON`` on PostgreSQL; elsewhere the chunk's entries, newest first)."""
    wanted = set(pledge_ids)
    entries = FulfilmentEntry.objects.filter(pledge_ids_q("pledge_id", pledge_ids)).order_by(
        "pledge_id", "-date", "-id"
    )
    if connection.features.can_distinct_on_fields:
        entries = entries.distinct("pledge_id")
    result: dict[int, tuple[datetime.date, str, int]] = {}
    for pledge_id, date, text, progress in entries.values_list(
        "pledge_id", "date", "text", "progress"
    ):
        if pledge_id in wanted:
            result.setdefault(pledge_id, (date, text, progress))
    return result


def pledge_ids_q(field: str, pledge_ids: list[int]) -> Q:
    """The rows of one chunk of pledges: a range of ids when the chunk is dense (a big scope
    streams consecutive ids; an indexed range scan and no 2,000 bound parameters), else the list.
    The caller drops rows of pledges outside the chunk."""
    low, high = min(pledge_ids), max(pledge_ids)
    if high - low < 2 * len(pledge_ids):
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": pledge_ids})


class JournalLedgerExporter(PledgeLedgerExporter):
    """履诺记实台账: one row per fulfilment journal entry of the pledges the pledge list's filters
    select."""

    identifier = "journal"
    verbose_name = gettext_lazy("Fulfilment journal ledger")
    list_url_name = "pledges:pledge_list"

    ENTRY_FIELDS = (
        "pledge__reference",
        "pledge__organization_id",
        "pledge__owner_member__name",
        "pledge__owner_organization__name",
        "pledge__kind",
        "pledge__content",
        "date",
        "text",
        "progress",
        "author_id",
        "created_at",
    )

    def queryset(self) -> QuerySet[FulfilmentEntry]:
        pledges = super().queryset().order_by().values("id")
        return FulfilmentEntry.objects.filter(pledge_id__in=pledges).order_by(
            "pledge_id", "date", "id"
        )

    def columns(self) -> list[LedgerColumn]:
        pledge = {c.key: c for c in shared_columns.PLEDGE_COLUMNS}
        return [
            LedgerColumn.shared(pledge["reference"]),
            LedgerColumn.shared(pledge["organization_code"]),
            LedgerColumn(pledge["organization_name"].header, TEXT, 40),
            LedgerColumn.shared(pledge["owner_name"]),
            LedgerColumn.shared(pledge["kind"]),
            LedgerColumn.shared(pledge["content"]),
            LedgerColumn(gettext_lazy("Date"), DATE, 12),
            LedgerColumn(gettext_lazy("What was done"), TEXT, 50),
            LedgerColumn(gettext_lazy("Progress (%)"), NUMBER, 8),
            LedgerColumn(gettext_lazy("Recorded by"), TEXT, 12),
            LedgerColumn(gettext_lazy("Recorded at"), DATETIME, 17),
        ]

    def rows(self) -> Iterator[tuple]:
        kinds = choice_labels(Pledge.Kind.choices)
        orgs = self.orgs
        stream = self.queryset().values_list(*self.ENTRY_FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for chunk in chunks(stream):
            orgs.load(row[1] for row in chunk)
            names = self._actor_names({row[9] for row in chunk})
            for (
                reference,
                org_id,
                member_name,
                owner_org_name,
                kind,
                content,
                date,
                text,
                progress,
                author_id,
                created_at,
            ) in chunk:
                org = orgs.by_id.get(org_id)
                yield (
                    reference,
                    org.code if org else "",
                    org.full_name if org else "",
                    member_name if member_name is not None else owner_org_name,
                    kinds.get(kind, kind),
                    content,
                    date,
                    text,
                    progress,
                    names.get(author_id, ""),
                    created_at,
                )


class MemberRosterExporter(LedgerExporter):
    """党员名册: one row per member, with the filters of the member list. Phone, ID number and
    birth date only where the user may see them (masked elsewhere, as on the pages)."""

    identifier = "members"
    verbose_name = gettext_lazy("Member roster")
    list_url_name = "campaigns:member_list"

    FIELDS = (
        "id",
        "id_number",
        "name",
        "gender",
        "birth_date",
        "phone",
        "branch_id",
        "status",
        "joined_on",
        "post",
        "outflow_organization_id",
        "user_id",
        "is_active",
    )
    CATEGORY_SEPARATOR = ","

    def setup(self) -> None:
        self.org = self._org_from_params()
        self.filterset = MemberFilter(
            self.params,
            queryset=campaign_selectors.member_list_queryset(user=self.user, org=self.org),
            request=_RequestStandIn(self.user),
        )
        self.filter_parts = describe_filters(self.filterset.form)

    def queryset(self) -> QuerySet[Member]:
        return self.filterset.qs.prefetch_related(None)

    def columns(self) -> list[LedgerColumn]:
        kinds = {"birth_date": DATE, "joined_on": DATE}
        return [
            *(
                LedgerColumn.shared(column, kinds.get(column.key, TEXT))
                for column in shared_columns.MEMBER_COLUMNS
            ),
            LedgerColumn(gettext_lazy("Organisation path"), TEXT, 40),
            LedgerColumn(gettext_lazy("In the roll"), TEXT, 8),
        ]

    def rows(self) -> Iterator[tuple]:
        from campaigns.models import MemberCategory
        from campaigns.selectors import mask_phone

        genders = choice_labels(Member.Gender.choices)
        statuses = choice_labels(Member.Status.choices)
        categories = choice_labels(MemberCategory.Code.choices)
        active_label, inactive_label = _("Yes"), _("No")
        private = PrivateFields(self.user)
        orgs = self.orgs
        through = Member.categories.through
        stream = self.queryset().values_list(*self.FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for chunk in chunks(stream):
            orgs.load([row[6] for row in chunk] + [row[10] for row in chunk])
            codes: dict[int, list[str]] = {}
            for member_id, code in (
                through.objects.filter(member_id__in=[row[0] for row in chunk])
                .order_by("member_id", "membercategory_id")
                .values_list("member_id", "membercategory__code")
            ):
                codes.setdefault(member_id, []).append(categories.get(code, code))
            for (
                pk,
                id_number,
                name,
                gender,
                birth_date,
                phone,
                branch_id,
                status,
                joined_on,
                post,
                outflow_id,
                user_id,
                is_active,
            ) in chunk:
                branch = orgs.by_id.get(branch_id)
                outflow = orgs.by_id.get(outflow_id)
                if private.visible(
                    branch_path=branch.path if branch else None, member_user_id=user_id
                ):
                    shown_id, shown_birth, shown_phone = id_number, birth_date, phone
                else:
                    # Masked as on the member list; the birth date shrinks to its year (text).
                    shown_id, shown_phone = mask_id_number(id_number), mask_phone(phone)
                    shown_birth = None
                yield (
                    shown_id,
                    name,
                    genders.get(gender, gender),
                    shown_birth,
                    shown_phone,
                    branch.code if branch else "",
                    statuses.get(status, status),
                    joined_on,
                    post,
                    self.CATEGORY_SEPARATOR.join(codes.get(pk, ())),
                    outflow.code if outflow else "",
                    branch.full_name if branch else "",
                    active_label if is_active else inactive_label,
                )


class MonthlyReportLedgerExporter(LedgerExporter):
    """月报台账: one row per monthly report of the organisations in the user's scope, with the
    monthly list's filters (``month=YYYY-MM``, ``status``)."""

    identifier = "monthly"
    verbose_name = gettext_lazy("Monthly report ledger")
    list_url_name = "reports:monthly_list"

    FIELDS = (
        "organization_id",
        "campaign__name",
        "month",
        "status",
        "due_date",
        "first_submitted_at",
        "new_count",
        "fulfilled_count",
        "overdue_count",
        "returned_count",
        "main_work",
        "problems",
        "next_month_plan",
        "typical_examples",
        "submitted_at",
        "submitted_by_id",
        "reviewed_at",
        "reviewed_by_id",
        "review_comment",
    )

    def setup(self) -> None:
        from reports.models.monthly import MonthlyReport

        self.month = report_selectors.parse_month(self.params.get("month"))
        status = self.params.get("status") or ""
        self.status = status if status in dict(MonthlyReport.Status.choices) else ""
        if self.month is not None:
            self.filter_parts.append(f"{_('Month')}: {self.month:%Y-%m}")
        if self.status:
            label = dict(MonthlyReport.Status.choices)[self.status]
            self.filter_parts.append(f"{_('Status')}: {label}")

    def queryset(self) -> QuerySet:

        # A ledger holds every report of the subtree, the user's own organisations included.
        reports = report_selectors.monthly_reports_in_scope(
            user=self.user, month=self.month, status=self.status
        )
        return reports.order_by("-month", "organization__path", "campaign_id")

    def columns(self) -> list[LedgerColumn]:
        organisation = shared_columns.column(shared_columns.ORGANIZATIONS, "code")
        return [
            LedgerColumn.shared(organisation),
            LedgerColumn(gettext_lazy("Organisation path"), TEXT, 40),
            LedgerColumn(gettext_lazy("Campaign"), TEXT, 24),
            LedgerColumn(gettext_lazy("Month"), MONTH, 9),
            LedgerColumn(gettext_lazy("Status"), TEXT, 10),
            LedgerColumn(gettext_lazy("Due on"), DATE, 12),
            LedgerColumn(gettext_lazy("Late"), TEXT, 6),
            LedgerColumn(gettext_lazy("New pledges"), NUMBER, 9),
            LedgerColumn(gettext_lazy("Pledges fulfilled"), NUMBER, 9),
            LedgerColumn(gettext_lazy("Pledges overdue"), NUMBER, 9),
            LedgerColumn(gettext_lazy("Pledges returned for revision"), NUMBER, 9),
            LedgerColumn(gettext_lazy("Main work this month"), TEXT, 40),
            LedgerColumn(gettext_lazy("Problems and shortcomings"), TEXT, 30),
            LedgerColumn(gettext_lazy("Plan for next month"), TEXT, 30),
            LedgerColumn(gettext_lazy("Typical examples"), TEXT, 30),
            LedgerColumn(gettext_lazy("Submitted"), DATETIME, 17),
            LedgerColumn(gettext_lazy("Submitted by"), TEXT, 10),
            LedgerColumn(gettext_lazy("Reviewed"), DATETIME, 17),
            LedgerColumn(gettext_lazy("Reviewed by"), TEXT, 10),
            LedgerColumn(gettext_lazy("Review comment"), TEXT, 30),
        ]

    def rows(self) -> Iterator[tuple]:
        from reports.models.monthly import MonthlyReport

        statuses = choice_labels(MonthlyReport.Status.choices)
        late_label = _("Late")
        today = timezone.localdate()
        orgs = self.orgs
        stream = self.queryset().values_list(*self.FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for chunk in chunks(stream):
            orgs.load(row[0] for row in chunk)
            names = _actor_names(self, [row[15] for row in chunk] + [row[17] for row in chunk])
            for (
                org_id,
                campaign_name,
                month,
                status,
                due_date,
                first_submitted_at,
                new_count,
                fulfilled_count,
                overdue_count,
                returned_count,
                main_work,
                problems,
                plan,
                examples,
                submitted_at,
                submitted_by_id,
                reviewed_at,
                reviewed_by_id,
                comment,
            ) in chunk:
                org = orgs.get(org_id)
                # Lateness as MonthlyReport.is_late: the first submission decides.
                submitted_on = (
                    timezone.localdate(first_submitted_at) if first_submitted_at else today
                )
                yield (
                    org.code if org else "",
                    org.full_name if org else "",
                    campaign_name,
                    month,
                    statuses.get(status, status),
                    due_date,
                    late_label if submitted_on > due_date else "",
                    new_count,
                    fulfilled_count,
                    overdue_count,
                    returned_count,
                    main_work,
                    problems,
                    plan,
                    examples,
                    submitted_at,
                    names.get(submitted_by_id, ""),
                    reviewed_at,
                    names.get(reviewed_by_id, ""),
                    comment,
                )


EXPORTERS: dict[str, type[LedgerExporter]] = {
    exporter.identifier: exporter
    for exporter in (
        PledgeLedgerExporter,
        JournalLedgerExporter,
        MemberRosterExporter,
        MonthlyReportLedgerExporter,
    )
}


def exporter_for(kind: str) -> type[LedgerExporter]:
    """The exporter class of a ledger (KeyError for an unknown one)."""
    return EXPORTERS[kind]
