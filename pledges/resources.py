"""django-import-export resource for pledges: a pledge sheet (or an exported pledge ledger)
imported into one campaign.

Rows are matched on the pledge number (承诺编号, ``Pledge.reference``); a row without one is a
new draft pledge, numbered on import. The owner is a member (by ID number) or, when that cell
is empty, the organisation named by its code. The rules are those of
:func:`pledges.services.pledge_create` / ``pledge_update``: the importer manages the pledge's
organisation, the campaign is in its pledge phase and not closed, the owner is active and in
the campaign's tree, kind/term/content are valid (``services._validate_content``), a
rectification has its measures (``Pledge.clean``); only drafts and returned pledges change.
Guidance counts outside the campaign's range are warnings, never errors.

Built for 10,000-row sheets: the owners, organisations and existing pledges of the whole file
are read in three queries, rows are checked in Python and written with ``bulk_create`` /
``bulk_update`` together with their history rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields

from campaigns.models import Campaign, Member, Organization
from campaigns.resources import (
    ChoiceWidget,
    DateWidget,
    IdNumberWidget,
    OrganizationCodeWidget,
    PortalResource,
    TextWidget,
    _text,
)
from campaigns.selectors import normalize_id_number
from pledges import selectors
from pledges.models import (
    Pledge,
    PledgeHistory,
    format_reference,
    reference_prefix,
    reference_seq,
)
from pledges.services import _pledge_phase_started, _validate_content
from pledges.workflow import TransitionRefused

EDITABLE_STATUSES = (Pledge.Status.DRAFT, Pledge.Status.RETURNED)


class MemberByIdWidget(IdNumberWidget):
    """The owning member, by ID number, from the resource's cache (one query for the file)."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[str, Member] = {}

    def clean(self, value, row=None, **kwargs):
        number = super().clean(value, row, **kwargs)
        if not number:
            return None
        member = self.cache.get(number)
        if member is None:
            raise ValueError(
                _("No member in your scope has the ID number %(number)s.") % {"number": number}
            )
        return member


class PledgeResource(PortalResource):
    reference = fields.Field(attribute="reference", column_name="reference", widget=TextWidget())
    organization = fields.Field(
        attribute="organization", column_name="organization_code", widget=OrganizationCodeWidget()
    )
    owner_member = fields.Field(
        attribute="owner_member",
        column_name="owner_id_number",
        widget=MemberByIdWidget(),
        saves_null_values=True,
    )
    kind = fields.Field(
        attribute="kind", column_name="kind", widget=ChoiceWidget(Pledge.Kind.choices)
    )
    term = fields.Field(
        attribute="term", column_name="term", widget=ChoiceWidget(Pledge.Term.choices)
    )
    content = fields.Field(attribute="content", column_name="content", widget=TextWidget())
    deadline = fields.Field(
        attribute="deadline", column_name="deadline", widget=DateWidget(), saves_null_values=True
    )
    expected_effect = fields.Field(
        attribute="expected_effect", column_name="expected_effect", widget=TextWidget()
    )
    measures = fields.Field(attribute="measures", column_name="measures", widget=TextWidget())

    class Meta(PortalResource.Meta):
        model = Pledge
        import_id_fields = ["reference"]
        fields = (
            "reference",
            "organization",
            "owner_member",
            "kind",
            "term",
            "content",
            "deadline",
            "expected_effect",
            "measures",
        )
        use_bulk = True
        batch_size = 1000

    def __init__(self, *, actor, campaign: Campaign, **kwargs) -> None:
        super().__init__(actor=actor, **kwargs)
        self.campaign = campaign

    def get_queryset(self):
        return Pledge.objects.filter(campaign=self.campaign).exclude(reference="")

    # -- one pass of lookups for the whole file ----------------------------------------------

    def before_import(self, dataset, **kwargs):
        self.orgs = self.load_organizations(self.column_values(dataset, "organization_code"))
        self.fields["organization"].widget.cache = self.orgs
        numbers = {normalize_id_number(v) for v in self.column_values(dataset, "owner_id_number")}
        numbers.discard("")
        members = Member.objects.filter(id_number__in=numbers).select_related("branch")
        # Members outside the importer's scope are left out: the row gets the same message as
        # for a number nobody has.
        self.fields["owner_member"].widget.cache = {
            m.id_number: m for m in members if self.in_scope(m.branch)
        }
        self.campaign_open = self.campaign.status != Campaign.Status.CLOSED
        self.phase_started = _pledge_phase_started(self.campaign, timezone.localdate())
        self.root_path = self.campaign.root_organization.path
        # The next pledge number per organisation code, from the numbers already given.
        self.next_seq: dict[str, int] = {}
        self.new_counts: Counter = Counter()
        self.now = timezone.now()

    def _prefetch_numbers(self) -> None:
        """The highest number given so far for every organisation of the new rows, in one
        query (instead of one per organisation)."""
        org_ids = {p.organization_id for p in self.create_instances}
        codes = {p.organization.code for p in self.create_instances}
        wanted = {code for code in codes if code not in self.next_seq}
        if not wanted:
            return
        for code in wanted:
            self.next_seq[code] = 0
        prefixes = {reference_prefix(code): code for code in wanted}
        taken = Pledge.objects.filter(campaign=self.campaign, organization_id__in=org_ids)
        for reference in taken.values_list("reference", flat=True).iterator(chunk_size=5000):
            head, _sep, _tail = reference.rpartition("-")
            code = prefixes.get(head + "-")
            if code is not None:
                self.next_seq[code] = max(self.next_seq[code], reference_seq(reference, head + "-"))

    def _next_reference(self, org: Organization) -> str:
        if org.code not in self.next_seq:
            prefix = reference_prefix(org.code)
            taken = Pledge.objects.filter(
                campaign=self.campaign, organization=org, reference__startswith=prefix
            ).values_list("reference", flat=True)
            self.next_seq[org.code] = max((reference_seq(r, prefix) for r in taken), default=0)
        self.next_seq[org.code] += 1
        return format_reference(org.code, self.next_seq[org.code])

    # -- rows ---------------------------------------------------------------------------------

    def init_instance(self, row=None):
        return Pledge(campaign=self.campaign, author=self.actor)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        self.original_owner = (instance.owner_member_id, instance.owner_organization_id)

    def row_label(self, instance, row) -> str:
        owner = instance.owner_member if instance.owner_member_id else instance.organization
        content = (instance.content or "")[:30]
        parts = [instance.reference or _("new"), str(owner) if owner else "", content]
        return " · ".join(p for p in parts if p)

    def changed_fields(self, instance, row) -> list[str]:
        # Organisation and owner are part of who the pledge is: compared in check_row.
        if self.is_new:
            return []
        return [
            name
            for name in Pledge.CONTENT_FIELDS
            if self.fields[name].column_name in row
            and getattr(instance, name) != self.original.get(name)
        ]

    def check_row(self, instance, row, *, errors: dict, changes: list[str]) -> None:
        reference = _text(row.get("reference"))
        self.check_duplicate(reference, "reference")
        if self.is_new and reference:
            raise ValidationError(
                {
                    "reference": _(
                        "There is no pledge numbered “%(reference)s” in this campaign; leave the "
                        "number empty for a new pledge."
                    )
                    % {"reference": reference}
                }
            )
        org = instance.organization if instance.organization_id else None
        member = instance.owner_member if instance.owner_member_id else None
        if org is None:
            return  # the organisation's own error is already recorded
        if not self.in_scope(org):
            raise ValidationError(
                {
                    "organization": _("Organisation %(code)s is outside your scope.")
                    % {"code": org.code}
                }
            )
        if self.is_new:
            self._check_new(instance, org, member)
        else:
            expected_owner = self.original_owner
            given_owner = (member.pk, None) if member else (None, org.pk)
            if given_owner != expected_owner or org.pk != self.original.get("organization"):
                raise ValidationError(
                    {
                        NON_FIELD_ERRORS: _(
                            "The organisation or the member of pledge %(reference)s differs from "
                            "the one recorded; a pledge cannot change owner by import."
                        )
                        % {"reference": instance.reference}
                    }
                )
            if changes and instance.status not in EDITABLE_STATUSES:
                raise ValidationError(
                    {
                        NON_FIELD_ERRORS: _(
                            "Pledge %(reference)s is “%(status)s”: only drafts and pledges returned "
                            "for revision can be changed by import."
                        )
                        % {"reference": instance.reference, "status": instance.get_status_display()}
                    }
                )
        if self.is_new or changes:
            content = {name: getattr(instance, name) for name in ("kind", "term", "content")}
            content = {k: v for k, v in content.items() if k not in errors}
            try:
                _validate_content(content)
            except TransitionRefused as exc:
                raise ValidationError({exc.field or NON_FIELD_ERRORS: exc.message}) from None
            if "measures" not in errors:
                instance.clean()

    def _check_new(self, instance, org: Organization, member: Member | None) -> None:
        """The rules of ``pledge_create`` for one new row."""
        if not self.campaign_open:
            raise ValidationError({NON_FIELD_ERRORS: _("This campaign is closed.")})
        if not self.phase_started:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Pledges can be made once the campaign's pledge phase has started."
                    )
                }
            )
        if member is not None:
            if member.branch_id != org.pk:
                raise ValidationError(
                    {
                        "organization": _(
                            "The member belongs to %(branch)s (%(code)s), not to this organisation."
                        )
                        % {"branch": member.branch.name, "code": member.branch.code}
                    }
                )
            if not member.is_active:
                raise ValidationError(
                    {
                        "owner_member": _("%(owner)s is no longer an active member.")
                        % {"owner": member}
                    }
                )
            instance.owner_organization = None
        else:
            instance.owner_organization = org
        if not org.path.startswith(self.root_path):
            raise ValidationError(
                {"organization": _("%(owner)s is not part of this campaign.") % {"owner": org}}
            )
        if not org.is_active:
            raise ValidationError(
                {"organization": _("%(org)s is no longer active.") % {"org": org}}
            )
        key = ("m", member.pk) if member else ("o", org.pk)
        self.new_counts[(key, instance.kind)] += 1

    # -- saving -------------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.created_at = self.now
        instance.updated_at = self.now

    def get_bulk_update_fields(self):
        return [*Pledge.CONTENT_FIELDS, "updated_at"]

    def _history(self, pledges: list[Pledge], action: str) -> list[PledgeHistory]:
        comment = _("Imported from “%(file)s”.") % {"file": self.file_name}
        return [
            PledgeHistory(
                pledge_id=p.pk,
                action=action,
                from_status="" if action == PledgeHistory.Action.CREATE else p.status,
                to_status=p.status,
                actor=self.actor,
                created_at=self.now,
                comment=comment,
                snapshot=p.content_snapshot(),
            )
            for p in pledges
        ]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # The preview writes nothing: every rule has been checked row by row.
        if dry_run:
            self.create_instances.clear()
            return
        self._prefetch_numbers()
        for pledge in self.create_instances:
            pledge.reference = self._next_reference(pledge.organization)
        created = list(self.create_instances)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
        PledgeHistory.objects.bulk_create(
            self._history(created, PledgeHistory.Action.CREATE), batch_size=1000
        )

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.update_instances.clear()
            return
        updated = list(self.update_instances)
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)
        PledgeHistory.objects.bulk_create(
            self._history(updated, PledgeHistory.Action.EDIT), batch_size=1000
        )

    # -- guidance (warnings) ------------------------------------------------------------------

    def guidance_warnings(self) -> list[str]:
        """Owners whose practical deeds or rectifications would fall outside the campaign's
        guidance once the new pledges are added (existing pledges counted, withdrawn ones not).
        A warning, never a block."""
        owners = {key for key, _kind in self.new_counts}
        if not owners:
            return []
        member_ids = [pk for kind, pk in owners if kind == "m"]
        org_ids = [pk for kind, pk in owners if kind == "o"]
        counts: Counter = Counter()
        qs = Pledge.objects.filter(campaign=self.campaign).exclude(status=Pledge.Status.WITHDRAWN)
        for member_id, kind in qs.filter(owner_member_id__in=member_ids).values_list(
            "owner_member_id", "kind"
        ):
            counts[(("m", member_id), kind)] += 1
        for org_id, kind in qs.filter(owner_organization_id__in=org_ids).values_list(
            "owner_organization_id", "kind"
        ):
            counts[(("o", org_id), kind)] += 1
        counts.update(self.new_counts)
        by_owner: dict[Any, dict[str, int]] = {}
        for (key, kind), n in counts.items():
            by_owner.setdefault(key, {})[kind] = n
        names: dict[Any, str] = {}
        names.update({("m", m.pk): m.name for m in Member.objects.filter(pk__in=member_ids)})
        names.update({("o", o.pk): o.name for o in Organization.objects.filter(pk__in=org_ids)})
        warnings = []
        for owner in sorted(owners, key=lambda o: names.get(o, "")):
            status = selectors.guidance_from_counts(
                campaign=self.campaign,
                counts=by_owner.get(owner, {}),
                for_member=owner[0] == "m",
            )
            for message in status.warnings:
                warnings.append(f"{names.get(owner, '')}：{message}")
        return warnings
