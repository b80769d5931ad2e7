"""django-import-export resources for organisations and members, and the base the pledge
resource shares.

Rows are matched on natural keys people have (organisation code, ID number), never database
ids; column names are the keys of :mod:`reports.columns` (the importer renames the sheet's
headers to them). Every rule comes from :mod:`campaigns.services`: its validators are called
here, never re-written.

What the resources add to django-import-export's defaults, and why:

- one query per kind of lookup for the whole file (organisations by code, members by ID number,
  the existing rows by natural key) instead of one per row and column;
- ``skip_diff``: the HTML diff deep-copies every instance; our own change list (which columns
  changed) is all the preview shows and costs a dict per row;
- scope and domain checks run on every row, unchanged ones too, so a row outside the importer's
  scope is an error even when it would change nothing.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from campaigns import scope
from campaigns.models import (
    Member,
    MemberCategory,
    MemberTransfer,
    Organization,
    RoleAssignment,
)
from campaigns.selectors import normalize_id_number
from campaigns.services import (
    _check_level,
    _id_birth_date,
    _member_validate,
    can_change_org_status,
    organization_create,
    organization_update,
)

# ---------------------------------------------------------------------------------------------
# Widgets: parse one cell, raise ValueError with a message for the user
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    """Text, trimmed; numbers Excel stored as numbers come back without ".0"."""

    def clean(self, value, row=None, **kwargs):
        return _text(value)


class DateWidget(widgets.Widget):
    """A date cell, or text such as 2025-12-31, 2025/12/31, 2025.12.31 or 2025年12月31日."""

    _PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

    def clean(self, value, row=None, **kwargs):
        if value is None or _text(value) == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        match = self._PATTERN.match(_text(value))
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise ValueError(
            _("“%(value)s” is not a date; write it as 2025-12-31.") % {"value": _text(value)}
        )

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class ChoiceWidget(widgets.Widget):
    """One of a model field's choices, given by its label in any interface language or by its
    stored value (so "实事承诺", "Practical deed" and "deed" all mean the same)."""

    def __init__(self, choices, *, blank: str | None = None) -> None:
        super().__init__()
        self.choices = choices
        self.blank = blank
        self._lookup: dict[str, str] | None = None

    def lookup(self) -> dict[str, str]:
        if self._lookup is None:
            from django.conf import settings

            table: dict[str, str] = {}
            for value, label in self.choices:
                table[str(value).lower()] = value
                for code, _name in settings.LANGUAGES:
                    with override(code):
                        table[str(label).strip().lower()] = value
            self._lookup = table
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return self.blank
        found = self.lookup().get(text.lower())
        if found is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": "、".join(str(label) for _v, label in self.choices)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class BooleanTextWidget(widgets.Widget):
    """是/否, yes/no, 1/0, true/false; empty means ``default``."""

    TRUE = {"是", "有效", "yes", "y", "true", "1", "√", "✓"}
    FALSE = {"否", "无效", "no", "n", "false", "0", "×", "✗"}

    def __init__(self, default: bool = True) -> None:
        super().__init__()
        self.default = default

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return self.default
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("Write yes or no, not “%(value)s”.") % {"value": _text(value)})

    def render(self, value, obj=None, **kwargs):
        return _("Yes") if value else _("No")


class OrganizationCodeWidget(widgets.ForeignKeyWidget):
    """An organisation given by its code, looked up in the resource's cache (filled with one
    query for every code of the file in ``before_import``)."""

    def __init__(self, *, required: bool = True) -> None:
        super().__init__(Organization, field="code")
        self.required = required
        self.cache: dict[str, Organization] = {}

    def clean(self, value, row=None, **kwargs):
        code = _text(value)
        if not code:
            return None
        org = self.cache.get(code.lower())
        if org is None:
            raise ValueError(
                _("There is no organisation with the code “%(code)s”.") % {"code": code}
            )
        return org

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


class IdNumberWidget(widgets.Widget):
    """An ID number: spaces removed, upper-case. Excel turns a long number typed into a cell
    into a rounded float, so a number cell is refused rather than guessed at."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float | int) and not isinstance(value, bool):
            raise ValueError(
                _(
                    "The ID number was stored as a number and Excel may have rounded it; format "
                    "the column as text and type it again."
                )
            )
        return normalize_id_number(_text(value))


# ---------------------------------------------------------------------------------------------
# The shared base
# ---------------------------------------------------------------------------------------------


class PortalResource(resources.ModelResource):
    """A resource that imports for one ``actor`` within their scope.

    Subclasses declare their fields with ``column_name`` = a key of :mod:`reports.columns` and
    implement :meth:`check_row` (domain rules, scope) and :meth:`row_label`.
    """

    #: Roles whose scope an import may write in.
    IMPORT_ROLES = RoleAssignment.MANAGE_ROLES

    class Meta:
        abstract = True
        skip_diff = True
        report_skipped = True
        clean_model_instances = False
        instance_loader_class = CachedInstanceLoader

    def __init__(self, *, actor, file_name: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.actor = actor
        self.file_name = file_name
        self.row_number = 0
        self.is_new = False
        self.original: dict[str, Any] = {}
        #: dataset row number → names of the fields that change
        self.changes: dict[int, list[str]] = {}
        #: dataset row number → the label of the row (code, name…), for the preview
        self.labels: dict[int, str] = {}
        #: natural key → first dataset row number that had it (duplicates are errors)
        self.seen_keys: dict[str, int] = {}
        #: warnings (not errors) to show in the preview: (row number or None, message)
        self.warnings: list[tuple[int | None, str]] = []
        self.created: list[Any] = []
        self.updated: list[Any] = []

    # -- lookups ---------------------------------------------------------------------------

    def load_organizations(self, codes: set[str]) -> dict[str, Organization]:
        """Organisations by lower-cased code, one query for every code the file names."""
        codes = {c for c in codes if c}
        if not codes:
            return {}
        q = Q()
        # Codes are unique ignoring case; most files use the stored spelling, so an exact IN
        # uses the index and the rare other spelling is caught by iexact.
        found = {org.code.lower(): org for org in Organization.objects.filter(code__in=codes)}
        for code in codes:
            if code.lower() not in found:
                q |= Q(code__iexact=code)
        if q:
            for org in Organization.objects.filter(q)[:1000]:
                found[org.code.lower()] = org
        return found

    def in_scope(self, org: Organization | None) -> bool:
        return org is not None and scope.has_role_on(self.actor, org, self.IMPORT_ROLES)

    def column_values(self, dataset, key: str) -> set[str]:
        if key not in (dataset.headers or []):
            return set()
        return {_text(value) for value in dataset[key]}

    # -- change tracking ---------------------------------------------------------------------

    def tracked_fields(self) -> list[fields.Field]:
        return [f for f in self.get_import_fields() if f.attribute and not f.readonly]

    def _value(self, instance, attribute: str):
        field = instance._meta.get_field(attribute)
        return getattr(instance, field.attname)

    def before_import_row(self, row, **kwargs):
        self.row_number = kwargs.get("row_number", 0)

    def after_init_instance(self, instance, new, row, **kwargs):
        self.is_new = new
        self.original = (
            {}
            if new
            else {f.attribute: self._value(instance, f.attribute) for f in self.tracked_fields()}
        )

    def changed_fields(self, instance, row) -> list[str]:
        if self.is_new:
            return []
        return [
            f.attribute
            for f in self.tracked_fields()
            if f.column_name in row
            and self._value(instance, f.attribute) != self.original.get(f.attribute)
        ]

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for key in self.required_columns:
            if key in row and not _text(row[key]):
                errors.setdefault(self.attribute_of(key), []).append(
                    ValidationError(_("This column may not be empty."), code="required")
                )
        changes = self.changed_fields(instance, row)
        self.changes[self.row_number] = changes
        self.labels[self.row_number] = self.row_label(instance, row)
        try:
            self.check_row(instance, row, errors=errors, changes=changes)
        except ValidationError as exc:
            # A column whose cell could not be read keeps that one message.
            more = exc.update_error_dict({})
            for key, messages in more.items():
                if key not in errors:
                    errors[key] = messages
        except PermissionDenied as exc:
            errors.setdefault(NON_FIELD_ERRORS, []).append(str(exc))
        if errors:
            raise ValidationError(errors)

    def check_row(self, instance, row, *, errors: dict, changes: list[str]) -> None:
        raise NotImplementedError

    def row_label(self, instance, row) -> str:
        return str(instance)

    def check_duplicate(self, key: str, field: str) -> None:
        """A natural key may appear once per file: the second row naming it is an error."""
        if not key:
            return
        first = self.seen_keys.setdefault(key, self.row_number)
        if first != self.row_number:
            raise ValidationError(
                {
                    field: _("The same key “%(key)s” is already in row %(row)s of this file.")
                    % {"key": key, "row": self.row_label_number(first)}
                }
            )

    #: dataset row number → sheet row number; set by the importer.
    sheet_rows: list[int] = []
    #: column keys that may not be empty; set by the importer from reports.columns.
    required_columns: tuple[str, ...] = ()

    def attribute_of(self, column_key: str) -> str:
        for field in self.fields.values():
            if field.column_name == column_key and field.attribute:
                return field.attribute
        return column_key

    def column_of(self, error_key: str) -> str:
        """The column key an error belongs to (errors are keyed by model attribute)."""
        for field in self.fields.values():
            if field.attribute == error_key:
                return field.column_name
        return error_key

    def row_label_number(self, number: int) -> int:
        if self.sheet_rows and 0 < number <= len(self.sheet_rows):
            return self.sheet_rows[number - 1]
        return number

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return not self.is_new and not self.changes.get(self.row_number)

    def save_instance(self, instance, is_create, row, **kwargs):
        (self.created if is_create else self.updated).append(instance)
        super().save_instance(instance, is_create, row, **kwargs)

    def log_import(self, objects: list, flag: int) -> None:
        """One admin-log row per object (its history page says it came from this file)."""
        if not objects:
            return
        message = (
            _("Imported from “%(file)s”.") % {"file": self.file_name}
            if flag == ADDITION
            else _("Changed by the import of “%(file)s”.") % {"file": self.file_name}
        )
        LogEntry.objects.log_actions(
            user_id=self.actor.pk, queryset=objects, action_flag=flag, change_message=message
        )


# ---------------------------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------------------------


class OrganizationResource(PortalResource):
    """Organisations, matched on their code; new ones are added under the parent named by code
    (an organisation earlier in the same file may be the parent). Saved one by one through
    :func:`campaigns.services.organization_create` / ``organization_update`` (the tree needs
    its paths, and files are small), which check scope, levels and codes and write the audit."""

    code = fields.Field(attribute="code", column_name="code", widget=TextWidget())
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    short_name = fields.Field(attribute="short_name", column_name="short_name", widget=TextWidget())
    level = fields.Field(
        attribute="level", column_name="level", widget=ChoiceWidget(Organization.Level.choices)
    )
    unit_kind = fields.Field(
        attribute="unit_kind",
        column_name="unit_kind",
        widget=ChoiceWidget(Organization.UnitKind.choices, blank=Organization.UnitKind.OTHER),
    )
    is_active = fields.Field(
        attribute="is_active", column_name="is_active", widget=BooleanTextWidget()
    )

    class Meta(PortalResource.Meta):
        model = Organization
        import_id_fields = ["code"]
        fields = ("code", "name", "short_name", "level", "unit_kind", "is_active")
        use_bulk = False

    def before_import(self, dataset, **kwargs):
        codes = self.column_values(dataset, "code") | self.column_values(dataset, "parent_code")
        self.orgs = self.load_organizations(codes)
        self.parents: dict[int, Organization | None] = {}

    def changed_fields(self, instance, row) -> list[str]:
        changes = super().changed_fields(instance, row)
        if not self.is_new and "parent_code" in row:
            parent_code = _text(row["parent_code"]).lower()
            current_parent = instance.path[: -instance.steplen]
            parent = self.orgs.get(parent_code)
            if parent is not None and parent.path != current_parent:
                changes.append("parent")
        return changes

    def row_label(self, instance, row) -> str:
        return f"{instance.code} {instance.name}".strip()

    def check_row(self, instance, row, *, errors, changes) -> None:
        self.check_duplicate(instance.code.lower(), "code")
        parent_code = _text(row.get("parent_code"))
        parent = self.orgs.get(parent_code.lower()) if parent_code else None
        if "parent" in changes:
            raise ValidationError(
                {"parent_code": _("An organisation cannot be moved to another parent by import.")}
            )
        if self.is_new:
            if not parent_code:
                raise ValidationError({"parent_code": _("Give the parent organisation's code.")})
            if parent is None:
                raise ValidationError(
                    {
                        "parent_code": _("There is no organisation with the code “%(code)s”.")
                        % {"code": parent_code}
                    }
                )
            if not self.in_scope(parent):
                raise ValidationError(
                    {
                        "parent_code": _("Organisation %(code)s is outside your scope.")
                        % {"code": parent.code}
                    }
                )
            if "level" not in errors:
                _check_level(level=instance.level, parent=parent)
            self.parents[self.row_number] = parent
        else:
            if not self.in_scope(instance):
                raise ValidationError(
                    {
                        "code": _("Organisation %(code)s is outside your scope.")
                        % {"code": instance.code}
                    }
                )
            if {"level", "is_active"} & set(changes) and not can_change_org_status(
                self.actor, instance
            ):
                raise ValidationError(
                    {
                        "level": _(
                            "Only the superior organisation can change this organisation's level "
                            "or status."
                        )
                    }
                )

    def do_instance_save(self, instance, is_create):
        values = {name: getattr(instance, name) for name in self._meta.fields}
        if is_create:
            saved = organization_create(
                parent=self.parents[self.row_number], actor=self.actor, **values
            )
            instance.pk, instance.path, instance.depth = saved.pk, saved.path, saved.depth
            # A later row of the file may name it as its parent.
            self.orgs[saved.code.lower()] = saved
        else:
            changed = {name: values[name] for name in self.changes.get(self.row_number, [])}
            organization_update(org=instance, actor=self.actor, **changed)


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


class MemberResource(PortalResource):
    """The member roster, matched on the ID number. Each row goes through the rules of
    :func:`campaigns.services._member_validate` (ID checksum, date of birth and gender agree
    with the ID number, branch level, mobile members' outflow organisation, unique ID number);
    rows are written in bulk."""

    id_number = fields.Field(
        attribute="id_number", column_name="id_number", widget=IdNumberWidget()
    )
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    gender = fields.Field(
        attribute="gender", column_name="gender", widget=ChoiceWidget(Member.Gender.choices)
    )
    birth_date = fields.Field(attribute="birth_date", column_name="birth_date", widget=DateWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())
    branch = fields.Field(
        attribute="branch", column_name="branch_code", widget=OrganizationCodeWidget()
    )
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(Member.Status.choices, blank=Member.Status.FULL),
    )
    joined_on = fields.Field(attribute="joined_on", column_name="joined_on", widget=DateWidget())
    post = fields.Field(attribute="post", column_name="post", widget=TextWidget())
    outflow_organization = fields.Field(
        attribute="outflow_organization",
        column_name="outflow_code",
        widget=OrganizationCodeWidget(required=False),
        saves_null_values=True,
    )

    class Meta(PortalResource.Meta):
        model = Member
        import_id_fields = ["id_number"]
        fields = (
            "id_number",
            "name",
            "gender",
            "birth_date",
            "phone",
            "branch",
            "status",
            "joined_on",
            "post",
            "outflow_organization",
        )
        use_bulk = True
        batch_size = 1000

    def get_queryset(self):
        return Member.objects.select_related("branch", "outflow_organization")

    def before_import(self, dataset, **kwargs):
        orgs = self.load_organizations(
            self.column_values(dataset, "branch_code") | self.column_values(dataset, "outflow_code")
        )
        for name in ("branch", "outflow_organization"):
            self.fields[name].widget.cache = orgs
        self.categories = {cat.code: cat for cat in MemberCategory.objects.all()}
        for code in MemberCategory.Code.values:
            if code not in self.categories:
                self.categories[code] = MemberCategory.objects.create(code=code)
        self.category_widget = ChoiceWidget(MemberCategory.Code.choices)
        self.current_categories: dict[int, set[int]] = {}
        if "id_number" in (dataset.headers or []):
            numbers = [normalize_id_number(_text(v)) for v in dataset["id_number"]]
            through = Member.categories.through.objects.filter(
                member__id_number__in=numbers
            ).values_list("member_id", "membercategory_id")
            for member_id, category_id in through:
                self.current_categories.setdefault(member_id, set()).add(category_id)
        self.row_categories: dict[int, list[MemberCategory]] = {}
        self.previous_branch: dict[int, Organization] = {}

    def parse_categories(self, row) -> list[MemberCategory] | None:
        if "categories" not in row:
            return None
        text = _text(row["categories"])
        parts = [p.strip() for p in re.split(r"[,，、;；/]", text) if p.strip()]
        result = []
        for part in parts:
            try:
                result.append(self.categories[self.category_widget.clean(part)])
            except ValueError as exc:
                raise ValidationError({"categories": str(exc)}) from None
        return result

    def row_label(self, instance, row) -> str:
        return f"{instance.name} {instance.masked_id_number}".strip()

    def changed_fields(self, instance, row) -> list[str]:
        # Normalise as the service will, so that an unchanged row is reported unchanged.
        instance.phone = re.sub(r"\s+", "", instance.phone or "")
        if instance.birth_date is None:
            instance.birth_date = _id_birth_date(instance.id_number)
        return super().changed_fields(instance, row)

    def check_row(self, instance, row, *, errors, changes) -> None:
        self.check_duplicate(instance.id_number, "id_number")
        categories = self.parse_categories(row)
        if self.is_new:
            if instance.branch_id is None and "branch" not in errors:
                raise ValidationError({"branch": _("Choose the member's party branch or group.")})
            if instance.branch_id and not self.in_scope(instance.branch):
                raise ValidationError(
                    {
                        "branch": _("Organisation %(code)s is outside your scope.")
                        % {"code": instance.branch.code}
                    }
                )
            categories = categories or []
        else:
            previous_branch_id = self.original.get("branch")
            previous_outflow_id = self.original.get("outflow_organization")
            previous = Member(
                pk=instance.pk,
                branch_id=previous_branch_id,
                outflow_organization_id=previous_outflow_id,
            )
            current = self.current_categories.get(instance.pk, set())
            if categories is None:
                categories = [c for c in self.categories.values() if c.pk in current]
            elif {c.pk for c in categories} != current:
                changes.append("categories")
            old_branch, old_outflow = self.original_orgs
            manages = self.in_scope(old_branch) or (
                old_outflow is not None and self.in_scope(old_outflow)
            )
            if not manages:
                # Nothing about the member (name, organisation) is told. That the number is
                # taken cannot be hidden: ID numbers are unique across the city, and the member
                # form refuses a taken number in the same way.
                raise ValidationError(
                    {
                        "id_number": _("No member in your scope has the ID number %(number)s.")
                        % {"number": instance.masked_id_number}
                    }
                )
            if "branch" in changes:
                if not (self.in_scope(old_branch) and self.in_scope(instance.branch)):
                    raise ValidationError(
                        {"branch": _("You cannot move this member to that organisation.")}
                    )
                self.previous_branch[self.row_number] = old_branch
            if not self.in_scope(old_branch) and any(
                name in changes for name in ("phone", "id_number", "birth_date")
            ):
                raise ValidationError(
                    {"id_number": _("You cannot change this member's private fields.")}
                )
        self.row_categories[self.row_number] = categories
        if (self.is_new or changes) and "id_number" not in errors:
            _member_validate(instance, categories, previous=None if self.is_new else previous)

    def init_instance(self, row=None):
        return Member()

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # The organisations the member belonged to before this row (loaded with the member by
        # ``get_queryset``): who manages them decides whether the row is in scope.
        self.original_orgs = (
            (None, None) if new else (instance.branch, instance.outflow_organization)
        )

    def before_save_instance(self, instance, row, **kwargs):
        instance.updated_at = timezone.now()
        instance._import_row = self.row_number

    def get_bulk_update_fields(self):
        return [*self._meta.fields[1:], "updated_at"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.create_instances.clear()
            return
        created = list(self.create_instances)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
        through = Member.categories.through
        through.objects.bulk_create(
            [
                through(member_id=m.pk, membercategory_id=c.pk)
                for m in created
                for c in self.row_categories.get(m._import_row, [])
            ],
            batch_size=1000,
        )
        self.log_import(created, ADDITION)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.update_instances.clear()
            return
        updated = list(self.update_instances)
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)
        through = Member.categories.through
        changed_categories = [
            m for m in updated if "categories" in self.changes.get(m._import_row, [])
        ]
        if changed_categories:
            through.objects.filter(member_id__in=[m.pk for m in changed_categories]).delete()
            through.objects.bulk_create(
                [
                    through(member_id=m.pk, membercategory_id=c.pk)
                    for m in changed_categories
                    for c in self.row_categories.get(m._import_row, [])
                ],
                batch_size=1000,
            )
        MemberTransfer.objects.bulk_create(
            [
                MemberTransfer(
                    member=m,
                    from_branch=self.previous_branch[m._import_row],
                    to_branch=m.branch,
                    reason=_("Branch changed by the import of “%(file)s”.")
                    % {"file": self.file_name},
                    actor=self.actor,
                )
                for m in updated
                if m._import_row in self.previous_branch
            ]
        )
        self.log_import(updated, CHANGE)
