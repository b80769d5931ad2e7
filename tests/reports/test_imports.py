"""Importing organisations, members and pledges from spreadsheets (reports/imports.py and the
resources): preview → confirm for each kind, re-imports that change nothing, scope, errors with
row, column and message, and every kind of bad file refused with nothing written."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.utils import translation

from campaigns.models import Member, MemberCategory, MemberTransfer, Organization
from pledges.models import Pledge, PledgeHistory
from reports import imports
from tests.conftest import World, cast_id
from tests.pledges.factories import PledgeFactory
from tests.reports.import_helpers import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "members": Member.objects.count(),
        "pledges": Pledge.objects.count(),
        "history": PledgeHistory.objects.count(),
        "log": LogEntry.objects.count(),
    }


NEW_ID = cast_id(datetime.date(1991, 1, 1), 81)  # 男 (odd 17th digit)

MEMBER_HEADER = ["身份证号", "姓名", "性别", "支部代码", "入党日期", "党员类别", "联系电话"]


def member_rows(world: World) -> list[list]:
    a1 = world.member_a1
    return [
        MEMBER_HEADER,
        [NEW_ID, "新党员", "男", "BR-A", "2015-07-01", "农民党员", "13811112222"],
        [a1.id_number, a1.name, a1.get_gender_display(), "BR-A", a1.joined_on, "", a1.phone],
    ]


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


def test_member_roster_preview_writes_nothing_and_confirm_writes_all(world: World) -> None:
    office = world.users["office"]
    data = xlsx_bytes(member_rows(world))
    before = counts()
    report = imports.preview(kind="members", actor=office, name="roster.xlsx", data=data)
    assert [(r.row, r.status) for r in report.rows] == [(2, "new"), (3, "unchanged")]
    assert report.ok and counts() == before

    report = imports.confirm(kind="members", actor=office, name="roster.xlsx", data=data)
    assert report.ok
    member = Member.objects.get(id_number=NEW_ID)
    assert member.branch == world.branch_a
    assert member.birth_date == datetime.date(1991, 1, 1)  # from the ID number
    assert list(member.categories.values_list("code", flat=True)) == [MemberCategory.Code.FARMER]
    assert LogEntry.objects.filter(object_id=str(member.pk)).exists()
    # One summary entry for the import as a whole.
    assert LogEntry.objects.filter(change_message__contains="roster.xlsx").count() >= 2

    # The same file again: everything unchanged, nothing written.
    before = counts()
    report = imports.confirm(kind="members", actor=office, name="roster.xlsx", data=data)
    assert report.counts == {"new": 0, "changed": 0, "unchanged": 2, "invalid": 0}
    assert counts()["members"] == before["members"]


def test_member_changes_are_listed_by_column(world: World) -> None:
    rows = member_rows(world)
    rows[2][6] = "13999999999"  # a new phone number for 张明华
    rows[2][3] = "GRP-A"  # moved to group A (inside branch A)
    report = imports.preview(
        kind="members", actor=world.users["secretary_a"], name="r.xlsx", data=xlsx_bytes(rows)
    )
    changed = [r for r in report.rows if r.status == "changed"]
    assert len(changed) == 1 and changed[0].row == 3
    assert set(changed[0].changes) == {"联系电话", "支部代码"}
    imports.confirm(
        kind="members", actor=world.users["secretary_a"], name="r.xlsx", data=xlsx_bytes(rows)
    )
    world.member_a1.refresh_from_db()
    assert world.member_a1.phone == "13999999999"
    assert world.member_a1.branch == world.group_a
    assert MemberTransfer.objects.filter(member=world.member_a1, to_branch=world.group_a).exists()


def test_member_rules_of_the_service_apply(world: World) -> None:
    bad_checksum = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    rows = [
        MEMBER_HEADER,
        [bad_checksum, "校验错", "男", "BR-A", "2015-07-01", "", ""],
        [NEW_ID, "性别错", "女", "BR-A", "2015-07-01", "", ""],
        [cast_id(datetime.date(1990, 1, 1), 83), "层级错", "男", "TWN-A", "2015-07-01", "", ""],
    ]
    before = counts()
    report = imports.confirm(
        kind="members", actor=world.users["office"], name="r.csv", data=csv_bytes(rows)
    )
    assert counts() == before
    by_row = {(e.row, e.column): e.message for e in report.errors}
    assert "check digit" in by_row[(2, "身份证号")]
    assert "gender differs" in by_row[(3, "性别")]
    assert "party branch or party group" in by_row[(4, "支部代码")]


def test_member_outside_scope_is_refused(world: World) -> None:
    """secretary_b (branch B) cannot import into BR-A, nor touch a member of branch A."""
    rows = member_rows(world)
    before = counts()
    report = imports.confirm(
        kind="members", actor=world.users["secretary_b"], name="r.xlsx", data=xlsx_bytes(rows)
    )
    assert counts() == before
    assert [r.status for r in report.rows] == ["invalid", "invalid"]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(2, "支部代码")] == "Organisation BR-A is outside your scope."
    assert "No member in your scope" in messages[(3, "身份证号")]


# ---------------------------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------------------------


def test_organisations_new_child_of_new_parent_and_unchanged(world: World) -> None:
    rows = [
        [
            "Organisation code",
            "Organisation name",
            "Organisation level",
            "Parent organisation code",
        ],
        ["BR-D", "丁村党支部", "Party branch", "TWN-A"],
        ["GRP-D", "丁村第一党小组", "党小组", "BR-D"],
        ["BR-A", "甲村党支部", "branch", "TWN-A"],
    ]
    report = imports.confirm(
        kind="organizations", actor=world.users["superior"], name="o.csv", data=csv_bytes(rows)
    )
    assert report.ok, report.errors
    assert [r.status for r in report.rows] == ["new", "new", "unchanged"]
    group = Organization.objects.get(code="GRP-D")
    assert group.path.startswith(Organization.objects.get(code="BR-D").path)
    assert group.level == Organization.Level.GROUP
    before = counts()
    report = imports.confirm(
        kind="organizations", actor=world.users["superior"], name="o.csv", data=csv_bytes(rows)
    )
    assert report.counts["unchanged"] == 3 and counts()["organizations"] == before["organizations"]


def test_organisations_outside_scope_and_level_rules(world: World) -> None:
    rows = [
        ["组织代码", "组织名称", "组织层级", "上级组织代码"],
        ["BR-X", "某村党支部", "党支部", "TWN-C"],  # outside secretary_a's... and superior's scope
        ["CMT-X", "某党委", "党委", "TWN-A"],  # a committee cannot sit under... it can (same rank)
        ["GRP-X", "某党小组", "党委", "BR-A"],  # a committee under a branch ranks above it
    ]
    before = counts()
    report = imports.confirm(
        kind="organizations", actor=world.users["superior"], name="o.xlsx", data=xlsx_bytes(rows)
    )
    assert counts() == before
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(2, "上级组织代码")] == "Organisation TWN-C is outside your scope."
    assert "cannot rank above its parent" in messages[(4, "组织层级")]
    assert report.rows[1].status == "new"  # valid, but not written: another row is invalid


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------

PLEDGE_HEADER = [
    "承诺编号",
    "组织代码",
    "党员身份证号",
    "承诺类型",
    "承诺期限",
    "承诺内容",
    "完成期限",
    "预期效果",
]


def test_pledges_new_numbered_then_reimport_unchanged(world: World) -> None:
    a1 = world.member_a1
    rows = [
        PLEDGE_HEADER,
        ["", "BR-A", a1.id_number, "实事承诺", "年度", "修通村口道路", "2030-06-30", "出行方便"],
        [
            "",
            "BR-A",
            "",
            "Practical deed",
            "long",
            "建立帮扶台账",
            datetime.date(2030, 12, 31),
            "全覆盖",
        ],
    ]
    office = world.users["office"]
    report = imports.confirm(
        kind="pledges", actor=office, name="p.xlsx", data=xlsx_bytes(rows), campaign=world.campaign
    )
    assert report.ok, report.errors
    member_pledge = Pledge.objects.get(owner_member=a1)
    branch_pledge = Pledge.objects.get(owner_organization=world.branch_a)
    assert member_pledge.status == Pledge.Status.DRAFT and member_pledge.author == office
    assert member_pledge.reference == "CN-BR-A-0001"
    assert branch_pledge.reference == "CN-BR-A-0002"
    assert branch_pledge.term == Pledge.Term.LONG
    assert PledgeHistory.objects.filter(pledge=member_pledge, action="create").count() == 1
    # Guidance counts are warnings, never errors.
    assert report.warnings

    # The sheet as it is now (with the numbers): nothing changes.
    rows[1][0], rows[2][0] = member_pledge.reference, branch_pledge.reference
    before = counts()
    report = imports.confirm(
        kind="pledges", actor=office, name="p.xlsx", data=xlsx_bytes(rows), campaign=world.campaign
    )
    assert report.counts == {"new": 0, "changed": 0, "unchanged": 2, "invalid": 0}
    assert counts() == {**before, "log": before["log"] + 1}  # only the import's audit entry

    # A changed content: reported with its column, written with an edit history row.
    rows[1][5] = "修通村口道路并安装路灯"
    report = imports.confirm(
        kind="pledges", actor=office, name="p.xlsx", data=xlsx_bytes(rows), campaign=world.campaign
    )
    assert report.rows[0].status == "changed" and report.rows[0].changes == ["承诺内容"]
    member_pledge.refresh_from_db()
    assert member_pledge.content == "修通村口道路并安装路灯"
    assert PledgeHistory.objects.filter(pledge=member_pledge, action="edit").count() == 1


def test_published_pledge_cannot_change_by_import_but_unchanged_is_fine(world: World) -> None:
    pledge = PledgeFactory(
        campaign=world.campaign,
        owner_member=world.member_a1,
        author=world.users["secretary_a"],
        status=Pledge.Status.PUBLISHED,
    )
    row = [
        pledge.reference,
        "BR-A",
        world.member_a1.id_number,
        pledge.kind,
        pledge.term,
        pledge.content,
        pledge.deadline,
        pledge.expected_effect,
    ]
    data = xlsx_bytes([PLEDGE_HEADER, row])
    report = imports.preview(
        kind="pledges",
        actor=world.users["secretary_a"],
        name="p.xlsx",
        data=data,
        campaign=world.campaign,
    )
    assert report.ok and report.rows[0].status == "unchanged"
    row[5] = "改过的内容"
    report = imports.confirm(
        kind="pledges",
        actor=world.users["secretary_a"],
        name="p.xlsx",
        data=xlsx_bytes([PLEDGE_HEADER, row]),
        campaign=world.campaign,
    )
    assert "only drafts and pledges returned" in report.errors[0].message
    pledge.refresh_from_db()
    assert pledge.content != "改过的内容"


def test_pledge_rows_outside_scope_or_invalid(world: World) -> None:
    """secretary_b importing into BR-A: refused; and the row, column and message of each error."""
    rows = [
        PLEDGE_HEADER,
        ["", "BR-A", "", "实事承诺", "年度", "别人的承诺", "2030-01-01", "无"],
        ["", "BR-B", "", "某种承诺", "年度", "类型错", "2030-01-01", "无"],
        ["", "BR-B", "", "整改承诺", "年度", "没有措施", "2030-01-01", "无"],
        ["", "BR-B", "", "实事承诺", "年度", "日期错", "明年", "无"],
        ["", "BR-B", "", "实事承诺", "年度", "", "2030-01-01", "无"],
        ["CN-NOPE-0001", "BR-B", "", "实事承诺", "年度", "编号错", "2030-01-01", "无"],
    ]
    before = counts()
    report = imports.confirm(
        kind="pledges",
        actor=world.users["secretary_b"],
        name="p.xlsx",
        data=xlsx_bytes(rows),
        campaign=world.campaign,
    )
    assert counts() == before
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(2, "组织代码")] == "Organisation BR-A is outside your scope."
    assert messages[(3, "承诺类型")].startswith("“某种承诺” is not one of")
    # The sheet has no measures column: the error names the column by its template header.
    assert messages[(4, "Measures")] == "A rectification pledge needs its measures."
    assert "is not a date" in messages[(5, "完成期限")]
    assert messages[(6, "承诺内容")] == "This column may not be empty."
    assert "no pledge numbered" in messages[(7, "承诺编号")]


def test_english_headers_and_extra_columns_of_an_exported_ledger(world: World) -> None:
    rows = [
        ["2024年创先争优活动 · 承诺台账"],  # a title row above the headers, as exports write
        [
            "Pledge number",
            "Organisation code",
            "Organisation",
            "Pledged by",
            "Member's ID number",
            "Kind of pledge",
            "Term",
            "What will be done",
            "Deadline",
            "Expected effect",
            "Status",
            "审核记录",
        ],
        [
            "",
            "BR-B",
            "乙村党支部",
            "乙村党支部",
            "",
            "deed",
            "annual",
            "清理河道",
            "2030-05-01",
            "河道干净",
            "草稿",
            "无",
        ],
    ]
    report = imports.confirm(
        kind="pledges",
        actor=world.users["secretary_b"],
        name="ledger.xlsx",
        data=xlsx_bytes(rows),
        campaign=world.campaign,
    )
    assert report.ok, report.errors
    assert report.rows[0].row == 3
    assert "审核记录" in report.ignored_columns
    assert Pledge.objects.filter(owner_organization=world.branch_b, content="清理河道").exists()


def test_messages_in_chinese_under_zh_hans(world: World) -> None:
    """Row errors come from the services' own (translated) validators, in the user's language;
    the column is named as in the file."""
    bad_checksum = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    rows = [MEMBER_HEADER, [bad_checksum, "校验错", "男", "BR-A", "2015-07-01", "", ""]]
    with translation.override("zh-hans"):
        report = imports.preview(
            kind="members", actor=world.users["office"], name="r.xlsx", data=xlsx_bytes(rows)
        )
    assert (report.errors[0].row, report.errors[0].column) == (2, "身份证号")
    assert report.errors[0].message == "该身份证号的校验位不正确，请检查是否输入有误。"


# ---------------------------------------------------------------------------------------------
# Bad files: a clear message, nothing written
# ---------------------------------------------------------------------------------------------


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def _xlsm() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"macro")
    return buffer.getvalue()


def _formula_xlsx(world: World) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(MEMBER_HEADER)
    sheet.append([NEW_ID, "公式", "男", "BR-A", "2015-07-01", "", ""])
    sheet["B2"] = '=HYPERLINK("http://evil","x")'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BAD_FILES = {
    "wrong extension": ("roster.pdf", lambda w: b"%PDF-1.4", "is not an Excel workbook"),
    "renamed file": ("roster.xlsx", lambda w: b"just some text", "not a valid Excel workbook"),
    "binary csv": ("roster.csv", lambda w: b"\x00\x01\x02PK", "not a text CSV"),
    "macros (.xlsm)": ("roster.xlsm", lambda w: _xlsm(), "macros"),
    "macros inside .xlsx": ("roster.xlsx", lambda w: _xlsm(), "macros"),
    "empty sheet": ("roster.xlsx", lambda w: xlsx_bytes([]), "No header row"),
    "header only": ("roster.csv", lambda w: csv_bytes([MEMBER_HEADER]), "no rows to import"),
    "missing columns": (
        "roster.csv",
        lambda w: csv_bytes([["姓名", "联系电话"], ["某人", "13800000000"]]),
        "required columns",
    ),
    "zip bomb": ("roster.xlsx", lambda w: _zip_bomb(), "unsafe"),
    "formula in xlsx": ("roster.xlsx", _formula_xlsx, "Cell B2 holds a formula"),
    "formula in csv": (
        "roster.csv",
        lambda w: csv_bytes([MEMBER_HEADER, [NEW_ID, "=1+1", "男", "BR-A", "2015-07-01", "", ""]]),
        "Cell B2 holds a formula",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_refused_with_a_clear_message(world: World, case: str) -> None:
    name, build, expected = BAD_FILES[case]
    before = counts()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.confirm(kind="members", actor=world.users["office"], name=name, data=build(world))
    assert expected in refused.value.message
    assert counts() == before


def test_missing_columns_are_named(world: World) -> None:
    with pytest.raises(imports.ImportRefused) as refused:
        imports.read_sheet(
            kind="members", name="r.csv", data=csv_bytes([["姓名", "联系电话"], ["某人", ""]])
        )
    for header in ("ID number", "Gender", "Branch code", "Date joined the party"):
        assert f"“{header}”" in refused.value.message


def test_size_and_row_limits(world: World, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1000
    before = counts()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.confirm(kind="members", actor=world.users["office"], name="r.csv", data=b"x" * 1001)
    assert "at most" in refused.value.message
    settings.IMPORT_MAX_BYTES = 10 * 1024 * 1024
    settings.IMPORT_MAX_ROWS = 2
    rows = member_rows(world) + [
        [cast_id(datetime.date(1992, 2, 2), 85), "多", "男", "BR-A", "2015-07-01"]
    ]
    with pytest.raises(imports.ImportRefused) as refused:
        imports.confirm(
            kind="members", actor=world.users["office"], name="r.xlsx", data=xlsx_bytes(rows)
        )
    assert "more than 2 rows" in refused.value.message
    assert counts() == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(world: World, encoding: str) -> None:
    data = csv_bytes(member_rows(world), encoding=encoding)
    report = imports.preview(kind="members", actor=world.users["office"], name="r.csv", data=data)
    assert report.ok, report.errors
    assert [r.status for r in report.rows] == ["new", "unchanged"]


def test_one_invalid_row_writes_nothing(world: World) -> None:
    rows = member_rows(world) + [["12345", "坏行", "男", "BR-A", "2015-07-01", "", ""]]
    before = counts()
    report = imports.confirm(
        kind="members", actor=world.users["office"], name="r.xlsx", data=xlsx_bytes(rows)
    )
    assert not report.ok and report.count("new") == 1
    assert counts() == before
    assert not Member.objects.filter(id_number=NEW_ID).exists()


def test_duplicate_keys_in_one_file(world: World) -> None:
    rows = member_rows(world)
    rows.append(list(rows[1]))
    report = imports.preview(
        kind="members", actor=world.users["office"], name="r.xlsx", data=xlsx_bytes(rows)
    )
    assert [(e.row, e.column) for e in report.errors] == [(4, "身份证号")]
    assert "already in row 2" in report.errors[0].message
