"""Ledger exports (台账导出): cells read back with openpyxl, formula injection, scope, filters,
the small download and the background job (created over the threshold, run by the service,
downloaded only by its owner, purged when expired)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl.utils.escape import unescape

from campaigns.models import OutboxTask
from pledges.models import FulfilmentEntry, Pledge, PledgeHistory
from reports import columns, export_jobs
from reports.exporters import (
    JournalLedgerExporter,
    MemberRosterExporter,
    PledgeLedgerExporter,
)
from reports.models.ledgers import ExportJob
from reports.tasks import purge_expired_exports, run_export
from tests.conftest import World
from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory

INJECTIONS = [
    '=HYPERLINK("http://evil.example","点我")',
    "+86-10-1234",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\x01控制字符",
]


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


@dataclass
class Ledger:
    published_a: Pledge  # member pledge of branch A, reviewed twice, two journal entries
    draft_a: Pledge
    group_a: Pledge  # a pledge of group A (inside branch A's subtree)
    pledge_b: Pledge
    pledge_c: Pledge
    injected: list[Pledge]


@pytest.fixture
def ledger(world: World) -> Ledger:
    secretary_a = world.users["secretary_a"]
    reviewer = world.users["superior"]
    reviewer.first_name, reviewer.last_name = "明", "王"
    reviewer.save()
    published = PledgeFactory(
        campaign=world.campaign,
        owner_member=world.member_a1,
        author=secretary_a,
        status=Pledge.Status.PUBLISHED,
        content="为村里孤寡老人每月上门服务一次",
        deadline=datetime.date(2024, 12, 31),
    )
    day = timezone.make_aware(datetime.datetime(2024, 8, 2, 10, 0))
    PledgeHistory.objects.create(
        pledge=published,
        action=PledgeHistory.Action.RETURN,
        from_status=Pledge.Status.SUBMITTED,
        to_status=Pledge.Status.RETURNED,
        actor=reviewer,
        created_at=day,
        comment="内容不够具体，请写明服务次数",
    )
    PledgeHistory.objects.create(
        pledge=published,
        action=PledgeHistory.Action.APPROVE,
        from_status=Pledge.Status.SUBMITTED,
        to_status=Pledge.Status.APPROVED,
        actor=reviewer,
        created_at=day + datetime.timedelta(days=3),
    )
    # A non-review action: not in the summary.
    PledgeHistory.objects.create(
        pledge=published,
        action=PledgeHistory.Action.PUBLISH,
        from_status=Pledge.Status.APPROVED,
        to_status=Pledge.Status.PUBLISHED,
        actor=secretary_a,
        created_at=day + datetime.timedelta(days=4),
    )
    FulfilmentEntryFactory(
        pledge=published, date=datetime.date(2024, 9, 1), text="第一次走访", progress=30
    )
    FulfilmentEntryFactory(
        pledge=published, date=datetime.date(2024, 10, 1), text="第二次走访，修缮房屋", progress=60
    )
    return Ledger(
        published_a=published,
        draft_a=PledgeFactory(
            campaign=world.campaign, owner_member=world.member_a2, author=secretary_a
        ),
        group_a=PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_group_a,
            author=secretary_a,
            status=Pledge.Status.EVALUATED,
        ),
        pledge_b=PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_b1,
            author=world.users["secretary_b"],
            status=Pledge.Status.PUBLISHED,
            content="乙村的承诺",
        ),
        pledge_c=PledgeFactory(
            campaign=world.campaign,
            owner_member=None,
            owner_organization=world.branch_c,
            author=world.users["office"],
            content="丙社区的承诺",
        ),
        injected=[
            PledgeFactory(
                campaign=world.campaign,
                owner_member=world.member_a1,
                author=secretary_a,
                content=text,
                expected_effect=text,
            )
            for text in INJECTIONS
        ],
    )


def export(exporter_class, user: User, params: str = ""):
    """Write a ledger into memory and open it again with openpyxl."""
    target = io.BytesIO()
    exporter_class(user=user, params=params).write(target)
    return openpyxl.load_workbook(io.BytesIO(target.getvalue())).active


def sheet_of(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[2]]


def records(sheet) -> list[dict[str, object]]:
    """Data rows as ``header → value``."""
    names = headers(sheet)
    return [
        dict(zip(names, row, strict=False)) for row in sheet.iter_rows(min_row=3, values_only=True)
    ]


def header(kind: str, key: str) -> str:
    """A shared column's header in the active language (Chinese once the lead's translation
    pass has run; the headers the catalogue already has are asserted in Chinese below)."""
    return str(columns.column(kind, key).header)


def by_reference(sheet) -> dict[str, dict[str, object]]:
    reference = header(columns.PLEDGES, "reference")
    return {row[reference]: row for row in records(sheet)}


# ---------------------------------------------------------------------------------------------
# The pledge ledger
# ---------------------------------------------------------------------------------------------


def test_pledge_ledger_reads_back_with_chinese_headers_dates_and_title(
    world: World, ledger: Ledger
) -> None:
    sheet = export(PledgeLedgerExporter, world.users["office"])

    title = sheet["A1"].value
    assert "承诺台账" in title or "Pledge ledger" in title
    assert world.campaign.name in title
    assert world.city.name in title  # the office's scope
    assert f"{timezone.localdate():%Y-%m-%d}" in title  # export time
    assert sheet.freeze_panes == "A3"  # title and header rows stay in view
    names = headers(sheet)
    # Headers already translated in the catalogue read in Chinese.
    for chinese in ("所办事项", "完成期限", "预期效果", "整改措施", "状态", "等次", "逾期"):
        assert chinese in names, names
    assert sheet.column_dimensions["A"].width > 10  # widths are set

    rows = by_reference(sheet)
    assert len(rows) == 5 + len(INJECTIONS)
    row = rows[ledger.published_a.reference]
    values = list(row.values())
    assert "示范市委/甲镇党委/甲村党支部" in values  # organisation path
    assert "BR-A" in values
    assert world.member_a1.name in values
    assert world.member_a1.id_number in values  # the office sees private fields
    deadline_cell = sheet.cell(
        row=_row_number(sheet, ledger.published_a), column=names.index("完成期限") + 1
    )
    assert deadline_cell.is_date
    assert deadline_cell.value.date() == datetime.date(2024, 12, 31)
    history = next(v for v in values if isinstance(v, str) and "2024-08-02" in v)
    assert history.index("2024-08-02") < history.index("2024-08-05")
    assert "王明" in history and "内容不够具体" in history
    assert "2024-08-06" not in history  # publishing is not a review decision
    assert "第二次走访，修缮房屋" in values  # the latest journal entry only
    assert "第一次走访" not in values
    assert 60 in values
    assert any(
        isinstance(v, datetime.datetime) and v.date() == datetime.date(2024, 10, 1) for v in values
    )


def _row_number(sheet, pledge: Pledge) -> int:
    for number, row in enumerate(sheet.iter_rows(min_row=3, max_col=1, values_only=True), 3):
        if row[0] == pledge.reference:
            return number
    raise AssertionError(f"{pledge} not in the ledger")


def test_formula_injection_cells_come_out_as_text(world: World, ledger: Ledger) -> None:
    sheet = export(PledgeLedgerExporter, world.users["office"])
    names = headers(sheet)
    content_col = names.index("所办事项") + 1
    effect_col = names.index("预期效果") + 1
    for pledge, text in zip(ledger.injected, INJECTIONS, strict=True):
        number = _row_number(sheet, pledge)
        for col in (content_col, effect_col):
            cell = sheet.cell(row=number, column=col)
            assert cell.data_type == "s", (text, cell.data_type)
            if text[0] in "\r\x01":
                # XML cannot hold most control characters: OOXML stores them as _xHHHH_,
                # which Excel shows as the character and openpyxl returns as it is stored.
                assert unescape(cell.value) == text
            else:
                assert cell.value == text  # literal text, nothing prefixed


def test_pledge_ledger_costs_the_same_queries_for_more_pledges(
    world: World, ledger: Ledger, django_assert_max_num_queries
) -> None:
    office = world.users["office"]
    with django_assert_max_num_queries(20) as few:
        export(PledgeLedgerExporter, office)
    for _ in range(20):
        pledge = PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_b1,
            author=office,
            status=Pledge.Status.PUBLISHED,
        )
        FulfilmentEntryFactory(pledge=pledge)
        PledgeHistory.objects.create(
            pledge=pledge,
            action=PledgeHistory.Action.APPROVE,
            from_status=Pledge.Status.SUBMITTED,
            to_status=Pledge.Status.APPROVED,
            actor=office,
        )
    office = User.objects.get(pk=office.pk)  # a fresh user: no cached roles
    with django_assert_max_num_queries(len(few.captured_queries)):
        export(PledgeLedgerExporter, office)


def test_secretary_exports_only_their_subtree(world: World, ledger: Ledger) -> None:
    own = {p.reference for p in (ledger.published_a, ledger.draft_a, ledger.group_a)}
    own |= {p.reference for p in ledger.injected}
    sheet_a = export(PledgeLedgerExporter, world.users["secretary_a"])
    assert set(by_reference(sheet_a)) == own
    assert "甲村党支部" in sheet_a["A1"].value  # scope in the title

    sheet_b = export(PledgeLedgerExporter, world.users["secretary_b"])
    assert set(by_reference(sheet_b)) == {ledger.pledge_b.reference}
    assert not own & set(by_reference(sheet_b))


def test_pledge_ledger_honours_the_list_filters(world: World, ledger: Ledger) -> None:
    office = world.users["office"]
    sheet = export(PledgeLedgerExporter, office, "status=published")
    assert set(by_reference(sheet)) == {
        ledger.published_a.reference,
        ledger.pledge_b.reference,
    }
    assert "已公示" in sheet["A1"].value or "Published" in sheet["A1"].value  # filter in title

    sheet = export(PledgeLedgerExporter, office, "org=BR-C")
    assert set(by_reference(sheet)) == {ledger.pledge_c.reference}

    sheet = export(PledgeLedgerExporter, office, "q=乙村")
    assert set(by_reference(sheet)) == {ledger.pledge_b.reference}


def test_member_pledge_id_numbers_are_masked_for_those_who_may_not_see_them(
    world: World, ledger: Ledger
) -> None:
    sheet = export(PledgeLedgerExporter, world.users["leader"], "org=BR-A&status=published")
    values = list(by_reference(sheet)[ledger.published_a.reference].values())
    assert world.member_a1.id_number not in values
    assert world.member_a1.masked_id_number in values


# ---------------------------------------------------------------------------------------------
# Fulfilment journal and member roster
# ---------------------------------------------------------------------------------------------


def test_journal_ledger_has_one_row_per_entry(world: World, ledger: Ledger) -> None:
    FulfilmentEntryFactory(pledge=ledger.pledge_b, date=datetime.date(2024, 9, 9), text="乙村记实")
    sheet = export(JournalLedgerExporter, world.users["secretary_a"])
    rows = records(sheet)
    assert [row["履诺内容"] for row in rows] == ["第一次走访", "第二次走访，修缮房屋"]
    assert sheet.freeze_panes == "A3"
    date_col = headers(sheet).index("日期") + 1
    assert sheet.cell(row=3, column=date_col).is_date
    assert sheet.cell(row=3, column=date_col).value.date() == datetime.date(2024, 9, 1)

    everything = export(JournalLedgerExporter, world.users["office"])
    assert len(records(everything)) == FulfilmentEntry.objects.count()


def test_member_roster_cells_and_private_fields(world: World) -> None:
    sheet = export(MemberRosterExporter, world.users["secretary_a"])
    names = headers(sheet)
    assert "身份证号" in names and "性别" in names and "出生日期" in names
    name = header(columns.MEMBERS, "name")
    rows = {row[name]: row for row in records(sheet)}
    # Branch A's members and the mobile member who flowed out of branch A; not branch B's.
    assert set(rows) == {
        world.member_a1.name,
        world.member_a2.name,
        world.member_group_a.name,
        world.member_self.name,
        world.mobile_member.name,
    }
    own = rows[world.member_a1.name]
    assert own["身份证号"] == world.member_a1.id_number
    assert own["出生日期"].date() == world.member_a1.birth_date
    # The mobile member belongs to branch C: branch A's secretary sees them masked.
    mobile = rows[world.mobile_member.name]
    assert mobile["身份证号"] == world.mobile_member.masked_id_number
    assert mobile["出生日期"] is None
    assert world.mobile_member.phone not in mobile.values()
    joined_col = names.index(header(columns.MEMBERS, "joined_on")) + 1
    assert sheet.cell(row=3, column=joined_col).is_date

    leader_rows = records(export(MemberRosterExporter, world.users["leader"], "q=张明华"))
    assert [row["身份证号"] for row in leader_rows] == [world.member_a1.masked_id_number]


def test_member_roster_honours_the_member_list_filters(world: World) -> None:
    office = world.users["office"]
    name = header(columns.MEMBERS, "name")
    rows = records(export(MemberRosterExporter, office, "status=probationary"))
    assert [row[name] for row in rows] == [world.member_a2.name]
    rows = records(export(MemberRosterExporter, office, "org=BR-B"))
    assert [row[name] for row in rows] == [world.member_b1.name]


# ---------------------------------------------------------------------------------------------
# Pages: the small download, the large one as a job, "my exports"
# ---------------------------------------------------------------------------------------------


def test_small_export_downloads_at_once_with_the_list_filters(
    world: World, ledger: Ledger, client_as
) -> None:
    response = client_as("secretary_a").get(
        reverse("reports:export_pledges") + "?status=published&page=3"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = sheet_of(b"".join(response.streaming_content))
    assert set(by_reference(sheet)) == {ledger.published_a.reference}
    assert not ExportJob.objects.exists()


def test_export_of_an_organisation_outside_the_scope_is_404(world: World, client_as) -> None:
    response = client_as("secretary_b").get(reverse("reports:export_pledges") + "?org=BR-A")
    assert response.status_code == 404


def test_list_pages_carry_their_filters_to_the_export_button(
    world: World, ledger: Ledger, client_as
) -> None:
    client = client_as("secretary_a")
    page = client.get(reverse("pledges:pledge_list") + "?status=published").content.decode()
    assert reverse("reports:export_pledges") + "?status=published" in page
    page = client.get(reverse("campaigns:member_list") + "?status=full").content.decode()
    assert reverse("reports:export_members") + "?status=full" in page


def test_large_export_becomes_a_job_run_by_the_worker(
    world: World, ledger: Ledger, client_as, settings
) -> None:
    settings.EXPORT_ASYNC_THRESHOLD = 2
    client = client_as("secretary_a")
    url = reverse("reports:export_pledges")

    page = client.get(url + "?kind=deed")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert not ExportJob.objects.exists()  # a GET only offers

    response = client.post(url, {"filters": "kind=deed"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"].startswith(reverse("reports:export_list"))
    assert (job.user, job.kind, job.filters, job.status) == (
        world.users["secretary_a"],
        "pledges",
        "kind=deed",
        ExportJob.Status.QUEUED,
    )
    outbox = OutboxTask.objects.get(task_name="reports.run_export")
    assert outbox.args == [job.pk]
    # A second click while it waits does not queue the same export twice.
    client.post(url, {"filters": "kind=deed"})
    assert ExportJob.objects.count() == 1

    listing = client.get(reverse("reports:export_list")).content.decode()
    assert f'hx-get="{reverse("reports:export_status", args=[job.pk])}"' in listing
    assert 'hx-trigger="every 2s"' in listing
    assert "<progress" in listing and 'style="' not in listing

    finished = export_jobs.export_job_run(job_id=job.pk)
    assert finished.status == ExportJob.Status.DONE
    assert finished.rows_done == finished.row_count == 3 + len(INJECTIONS)
    assert finished.file.name.startswith("exports/")
    assert finished.expires_at > timezone.now()
    with finished.file.open("rb") as handle:
        sheet = sheet_of(handle.read())
    assert len(records(sheet)) == finished.row_count

    status = client.get(reverse("reports:export_status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in status  # polling stops when done
    assert reverse("reports:export_download", args=[job.pk]) in status

    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert len(records(sheet_of(b"".join(download.streaming_content)))) == finished.row_count
    for outsider in ("secretary_b", "office", "superuser"):
        for name in ("reports:export_download", "reports:export_status"):
            assert client_as(outsider).get(reverse(name, args=[job.pk])).status_code == 404


def test_the_task_takes_the_job_id_and_is_safe_to_run_twice(world: World, ledger: Ledger) -> None:
    job = export_jobs.export_job_create(
        user=world.users["office"], kind="members", filters="status=full"
    )
    assert run_export(job.pk) == ExportJob.Status.DONE
    job.refresh_from_db()
    first_file = job.file.name
    assert run_export(job.pk) == ExportJob.Status.DONE  # the second delivery changes nothing
    job.refresh_from_db()
    assert job.file.name == first_file
    with job.file.open("rb") as handle:
        rows = records(sheet_of(handle.read()))
    assert len(rows) == job.row_count == 6  # every full member of the city but 李建国


def test_a_failing_export_is_recorded_on_the_job(world: World) -> None:
    user = world.users["secretary_a"]
    job = export_jobs.export_job_create(user=user, kind="pledges", filters="org=BR-B")
    finished = export_jobs.export_job_run(job_id=job.pk)  # BR-B is outside secretary_a's scope
    assert finished.status == ExportJob.Status.FAILED
    assert finished.error
    assert not finished.file


def test_expired_exports_are_purged_and_shown_as_expired(
    world: World, ledger: Ledger, client_as
) -> None:
    user = world.users["secretary_a"]
    job = export_jobs.export_job_create(user=user, kind="pledges", filters="")
    job = export_jobs.export_job_run(job_id=job.pk)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=job.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client = client_as("secretary_a")
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404

    assert purge_expired_exports() == 1
    assert not storage.exists(name)
    job.refresh_from_db()
    assert not job.file
    assert job.is_expired
    listing = client.get(reverse("reports:export_list")).content.decode()
    assert reverse("reports:export_download", args=[job.pk]) not in listing
    assert "已过期" in listing or "Expired" in listing
    assert purge_expired_exports() == 0


def test_my_exports_lists_only_my_jobs(world: World, client_as) -> None:
    mine = export_jobs.export_job_create(
        user=world.users["secretary_a"], kind="pledges", filters="", description="mine"
    )
    theirs = export_jobs.export_job_create(
        user=world.users["secretary_b"], kind="pledges", filters="", description="theirs"
    )
    page = client_as("secretary_a").get(reverse("reports:export_list")).content.decode()
    assert f"export-job-{mine.pk}" in page
    assert f"export-job-{theirs.pk}" not in page


def test_monthly_report_ledger(world: World) -> None:
    from reports.exporters import MonthlyReportLedgerExporter
    from reports.models.monthly import MonthlyReport

    def report(org, month: datetime.date, status: str, **kw) -> MonthlyReport:
        return MonthlyReport.objects.create(
            campaign=world.campaign,
            organization=org,
            month=month,
            due_date=month.replace(day=5) + datetime.timedelta(days=31),
            status=status,
            **kw,
        )

    september, october = datetime.date(2024, 9, 1), datetime.date(2024, 10, 1)
    report(
        world.branch_a,
        september,
        MonthlyReport.Status.ACKNOWLEDGED,
        new_count=4,
        main_work="=走访群众12户",
        first_submitted_at=timezone.make_aware(datetime.datetime(2024, 10, 3, 9, 0)),
        submitted_at=timezone.make_aware(datetime.datetime(2024, 10, 3, 9, 0)),
        submitted_by=world.users["secretary_a"],
    )
    report(world.branch_a, october, MonthlyReport.Status.DRAFT)
    report(world.branch_b, september, MonthlyReport.Status.SUBMITTED)

    sheet = export(MonthlyReportLedgerExporter, world.users["secretary_a"])
    assert sheet.freeze_panes == "A3"
    rows = records(sheet)
    assert len(rows) == 2  # branch B's report is outside secretary_a's scope
    names = headers(sheet)
    assert "状态" in names
    assert rows[0]["状态"] == str(MonthlyReport.Status.DRAFT.label)  # newest month first
    month_cell = sheet.cell(row=3, column=4)
    assert month_cell.is_date and month_cell.value.date() == october
    text_cell = next(
        cell for cell in sheet[4] if isinstance(cell.value, str) and "走访群众" in cell.value
    )
    assert text_cell.value == "=走访群众12户" and text_cell.data_type == "s"

    office_rows = records(
        export(MonthlyReportLedgerExporter, world.users["office"], "status=submitted")
    )
    assert len(office_rows) == 1
    office_rows = records(
        export(MonthlyReportLedgerExporter, world.users["office"], "month=2024-09")
    )
    assert len(office_rows) == 2


def test_exported_roster_and_pledge_ledger_import_back_unchanged(world: World) -> None:
    """Round trip: the ledger's columns are the import template's (reports.columns)."""
    from reports import imports

    office = world.users["office"]
    for pledge in (
        PledgeFactory(campaign=world.campaign, owner_member=world.member_a1, author=office),
        PledgeFactory(
            campaign=world.campaign,
            owner_member=None,
            owner_organization=world.branch_b,
            author=office,
            kind=Pledge.Kind.RECTIFY,
            measures="每周检查一次",
        ),
    ):
        assert pledge.reference

    for kind, exporter_class, campaign in (
        (columns.MEMBERS, MemberRosterExporter, None),
        (columns.PLEDGES, PledgeLedgerExporter, world.campaign),
    ):
        target = io.BytesIO()
        exporter_class(user=office).write(target)
        report = imports.preview(
            kind=kind,
            actor=office,
            name=f"{kind}.xlsx",
            data=target.getvalue(),
            campaign=campaign,
        )
        assert report.ok, (kind, report.errors)
        assert report.writes == 0, (kind, report.counts, [r.changes for r in report.rows])
        assert report.count(imports.UNCHANGED) == len(report.rows) > 0


def test_the_fast_row_writer_writes_what_xlsxwriter_writes() -> None:
    """StreamingWorksheet's row flush is byte for byte XlsxWriter's own for ledger cells."""
    import zipfile

    from xlsxwriter.worksheet import Worksheet

    from reports.exporters import (
        DATE,
        DATETIME,
        NUMBER,
        TEXT,
        LedgerColumn,
        LedgerWriter,
        StreamingWorksheet,
    )

    columns = [
        LedgerColumn("文本", TEXT),
        LedgerColumn("数字", NUMBER),
        LedgerColumn("日期", DATE),
        LedgerColumn("时间", DATETIME),
        LedgerColumn("文本2", TEXT),
    ]
    rows = [
        ("a & b < c > d \"e\" 'f'", 7, datetime.date(2024, 9, 1), None, " 前后空格 "),
        ("\x01控制_x0041_字符\x1f", 2.5, None, timezone.now(), "\t=1+1"),
        ("=SUM(A1:A2)", 0, datetime.date(1999, 12, 31), None, ""),
        ("多行\r\n文本\n", -1, None, None, "@x"),
        (None, None, None, None, None),
        ("末尾", 10**12, datetime.date(2030, 1, 1), None, "+86"),
    ]

    def sheet_xml(worksheet_class) -> bytes:
        target = io.BytesIO()
        writer = LedgerWriter(
            target, sheet_name="s", title="标题", columns=columns, worksheet_class=worksheet_class
        )
        writer.write_rows(rows)
        writer.close()
        with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
            return archive.read("xl/worksheets/sheet1.xml")

    fast, plain = sheet_xml(StreamingWorksheet), sheet_xml(Worksheet)
    assert fast == plain
    assert b"_x0001_" in fast and b"&amp;" in fast


def test_an_export_whose_worker_died_is_failed_and_can_be_started_again(world: World) -> None:
    user = world.users["secretary_a"]
    job = export_jobs.export_job_create(user=user, kind="pledges", filters="")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now() - export_jobs.STALE_AFTER - datetime.timedelta(minutes=1),
    )
    # The same export again is a new job, not the dead one.
    second = export_jobs.export_job_create(user=user, kind="pledges", filters="")
    assert second.pk != job.pk
    assert export_jobs.fail_stuck_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.error
    second.refresh_from_db()
    assert second.status == ExportJob.Status.QUEUED
