"""Column definitions shared by the import templates and the ledger exports.

One ordered list per kind of sheet (organisations, members, pledges). The import template, the
importer's header matching and the exported roster / pledge ledger all read these lists, so an
exported ledger imports back unchanged.

Each :class:`Column` has:

- ``key``: the field the importer reads (a model field or a natural-key column such as
  ``parent_code``);
- ``header``: the header written in templates and exports (English msgid, shown translated);
- ``aliases``: other headers accepted on import (English variants and the Chinese header, so a
  Chinese sheet imports for an English-speaking user and the other way round);
- ``required``: a sheet without this column is refused (and a row with it empty is an error);
- ``example``: the value in the template's example row;
- ``importable``: False for columns an export writes for people to read (status, owner's
  name…) that the importer ignores.

Exports may add further columns of their own (review history, latest fulfilment record…): the
importer ignores every header it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ORGANIZATIONS = "organizations"
MEMBERS = "members"
PLEDGES = "pledges"
KINDS = (ORGANIZATIONS, MEMBERS, PLEDGES)


@dataclass(frozen=True)
class Column:
    key: str
    header: Promise | str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    importable: bool = True
    # A short hint for the template's second sheet ("how to fill in").
    help: Promise | str = ""
    width: int = 16

    def accepted_headers(self) -> set[str]:
        """Every header that names this column: the header in each interface language, the
        key itself and the aliases, normalised (see :func:`normalize_header`)."""
        names = {self.key, *self.aliases}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(self.header))
        return {normalize_header(name) for name in names}


_SPACES = re.compile(r"[\s\u3000]+")


def normalize_header(value: object) -> str:
    """Headers are matched ignoring case, spaces (also full-width ones), a trailing "*" that
    marks required columns in the template, and a full-width or ASCII colon."""
    text = _SPACES.sub("", str(value or "")).strip("*＊:：").lower()
    return text


ORGANIZATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        _("Organisation code"),
        aliases=("组织代码", "组织编码", "Code", "Org code"),
        required=True,
        example="QS-0101",
        help=_("Unique; letters, digits and hyphens. Rows are matched on this code."),
    ),
    Column(
        "name",
        _("Organisation name"),
        aliases=("组织名称", "Name"),
        required=True,
        example="中共青山镇柳河村支部委员会",
        width=32,
    ),
    Column(
        "short_name",
        _("Short name"),
        aliases=("简称", "组织简称"),
        example="柳河村党支部",
        width=20,
    ),
    Column(
        "level",
        _("Organisation level"),
        aliases=("组织层级", "层级", "Level"),
        required=True,
        example="党支部",
        help=_("Party committee, general party branch, party branch or party group."),
    ),
    Column(
        "unit_kind",
        _("Kind of unit"),
        aliases=("单位类型", "Unit kind", "Unit type"),
        example="村",
    ),
    Column(
        "parent_code",
        _("Parent organisation code"),
        aliases=("上级组织代码", "上级组织编码", "Parent code", "Parent"),
        required=True,
        example="QS-01",
        help=_("The code of the superior organisation; it must be in your scope."),
    ),
    Column(
        "is_active",
        _("Active"),
        aliases=("是否有效", "有效", "Is active"),
        example="是",
        help=_("Yes or no; empty means yes."),
        width=8,
    ),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column(
        "id_number",
        _("ID number"),
        aliases=("身份证号", "身份证号码", "公民身份号码", "ID", "ID card number"),
        required=True,
        example="110101199003078515",
        help=_("18 characters. Rows are matched on the ID number."),
        width=22,
    ),
    Column("name", _("Full name"), aliases=("姓名", "Name"), required=True, example="张明"),
    Column(
        "gender",
        _("Gender"),
        aliases=("性别", "Sex"),
        required=True,
        example="男",
        help=_("Must agree with the ID number."),
        width=8,
    ),
    Column(
        "birth_date",
        _("Date of birth"),
        aliases=("出生日期", "Birth date", "Born"),
        example="1990-03-07",
        help=_("Optional: taken from the ID number when empty."),
        width=12,
    ),
    Column(
        "phone",
        _("Phone"),
        aliases=("联系电话", "电话", "手机", "Phone number", "Mobile"),
        example="13800138000",
        width=14,
    ),
    Column(
        "branch_code",
        _("Branch code"),
        aliases=("所在支部代码", "支部代码", "所在组织代码", "Branch", "Organisation code"),
        required=True,
        example="QS-0101",
        help=_("The code of the member's party branch or party group."),
    ),
    Column(
        "status",
        _("Membership status"),
        aliases=("党员状态", "Status", "Member status"),
        example="正式党员",
        help=_("Full member or probationary member; empty means full member."),
    ),
    Column(
        "joined_on",
        _("Date joined the party"),
        aliases=("入党日期", "入党时间", "Joined", "Joined on"),
        required=True,
        example="2012-07-01",
        width=12,
    ),
    Column(
        "post", _("Job or post"), aliases=("工作岗位", "职务", "Post", "Job"), example="村委会主任"
    ),
    Column(
        "categories",
        _("Member categories"),
        aliases=("党员类别", "类别", "Categories"),
        example="农民党员",
        help=_("Separate several with commas."),
        width=20,
    ),
    Column(
        "outflow_code",
        _("Outflow organisation code"),
        aliases=("流出组织代码", "Outflow organisation", "Outflow code"),
        example="",
        help=_("Only for mobile members: the code of the organisation they came from."),
    ),
)

PLEDGE_COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        _("Pledge number"),
        aliases=("承诺编号", "Reference", "Pledge reference", "Number"),
        example="",
        help=_("Empty for a new pledge (a number is given on import). Rows are matched on it."),
        width=18,
    ),
    Column(
        "organization_code",
        _("Organisation code"),
        aliases=("组织代码", "所属组织代码", "Organization code", "Org code"),
        required=True,
        example="QS-0101",
        help=_(
            "The organisation the pledge belongs to: the pledging organisation, or the member's "
            "branch."
        ),
    ),
    Column(
        "organization_name",
        _("Organisation"),
        aliases=("所属组织", "组织名称", "Organisation name"),
        importable=False,
        width=24,
    ),
    Column(
        "owner_name",
        _("Pledged by"),
        aliases=("承诺人", "承诺主体", "Owner"),
        importable=False,
        example="张明",
        width=14,
    ),
    Column(
        "owner_id_number",
        _("Member's ID number"),
        aliases=("党员身份证号", "承诺党员身份证号", "Owner ID number", "Member ID number"),
        example="110101199003078515",
        help=_("For a member's pledge; leave empty for the organisation's own pledge."),
        width=22,
    ),
    Column(
        "kind",
        _("Kind of pledge"),
        aliases=("承诺类型", "类型", "Kind"),
        required=True,
        example="实事承诺",
        help=_("Work pledge, practical deed or rectification."),
    ),
    Column(
        "term",
        _("Term"),
        aliases=("承诺期限", "期限类型", "Term"),
        required=True,
        example="年度",
        help=_("Long-term, annual or immediate."),
        width=10,
    ),
    Column(
        "content",
        _("What will be done"),
        aliases=("承诺内容", "所办事项", "Content"),
        required=True,
        example="为村里孤寡老人每月上门服务一次",
        width=40,
    ),
    Column(
        "deadline",
        _("Deadline"),
        aliases=("完成期限", "完成时限", "Deadline"),
        example="2025-12-31",
        width=12,
    ),
    Column(
        "expected_effect",
        _("Expected effect"),
        aliases=("预期效果", "Expected effect"),
        example="老人生活有人照应",
        width=30,
    ),
    Column(
        "measures",
        _("Measures"),
        aliases=("整改措施", "措施", "Measures"),
        example="",
        help=_("Required for a rectification pledge."),
        width=30,
    ),
    Column(
        "status",
        _("Status"),
        aliases=("状态", "承诺状态", "Status"),
        importable=False,
        width=12,
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ORGANIZATIONS: ORGANIZATION_COLUMNS,
    MEMBERS: MEMBER_COLUMNS,
    PLEDGES: PLEDGE_COLUMNS,
}

KIND_LABELS = {
    ORGANIZATIONS: _("Organisations"),
    MEMBERS: _("Members"),
    PLEDGES: _("Pledges"),
}


def columns_for(kind: str) -> tuple[Column, ...]:
    return COLUMNS[kind]


def column(kind: str, key: str) -> Column:
    for col in COLUMNS[kind]:
        if col.key == key:
            return col
    raise KeyError(f"{kind} has no column {key!r}")


def headers(kind: str, *, importable_only: bool = False) -> list[str]:
    """The headers in the active language, in order."""
    return [str(c.header) for c in COLUMNS[kind] if c.importable or not importable_only]


def match_headers(kind: str, row: Iterable[object]) -> dict[int, Column]:
    """Map positions of a header row to the known columns (unknown headers are left out; of two
    headers naming the same column the first wins)."""
    lookup: dict[str, Column] = {}
    for col in COLUMNS[kind]:
        for name in col.accepted_headers():
            lookup.setdefault(name, col)
    found: dict[int, Column] = {}
    seen: set[str] = set()
    for index, value in enumerate(row):
        col = lookup.get(normalize_header(value))
        if col is not None and col.key not in seen:
            found[index] = col
            seen.add(col.key)
    return found
