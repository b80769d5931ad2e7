"""Django admin for the campaigns app, scoped like the staff pages.

Superusers see and change everything. Everyone else who reaches the admin (``is_staff``) works
through their role assignments, not Django's model permissions:

- every list is the user's scope (``visible_to``), the same as on the staff pages;
- viewing needs a role (any); adding, changing and deleting need the campaign office role on the
  object's organisation (for campaign set-up: ``can_manage_campaign``);
- foreign-key and many-to-many choices only offer what the user may change;
- members' private fields are masked for users who may not see them.

Organisation foreign keys use autocomplete (search on the scoped ``OrganizationAdmin``) and users
raw ids, so no page ever renders 12,000 organisations or every login as <option>s.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from campaigns import scope, selectors, services
from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberCategory,
    MemberTransfer,
    Notification,
    Organization,
    OutboxTask,
    Phase,
    RoleAssignment,
)

OFFICE = RoleAssignment.Role.OFFICE


def _is_superuser(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


class ScopedAdmin(admin.ModelAdmin):
    """Scope and role checks shared by every admin of this app (see the module docstring).

    Subclasses say how to narrow a queryset to the user's scope (``scope_queryset``) and whether
    the user may change one object (``may_change``)."""

    #: Lookup tables and history rows: only superusers change them.
    superuser_only_changes = False

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        raise NotImplementedError

    def may_change(self, request: HttpRequest, obj) -> bool:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if _is_superuser(request):
            return qs
        return self.scope_queryset(request, qs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) or scope.is_staff_user(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Objects reach here through the scoped queryset, so any role may look at them.
        return _is_superuser(request) or scope.is_staff_user(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if _is_superuser(request):
            return super().has_add_permission(request)
        return not self.superuser_only_changes and scope.is_office(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if _is_superuser(request):
            return super().has_change_permission(request, obj)
        if self.superuser_only_changes or not scope.is_office(request.user):
            return False
        return obj is None or self.may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not _is_superuser(request):
            # Bulk deletion would skip the per-object role check: superusers only.
            actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not _is_superuser(request):
            limited = self.limit_choices(db_field, request)
            if limited is not None:
                kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not _is_superuser(request):
            limited = self.limit_choices(db_field, request)
            if limited is not None:
                kwargs["queryset"] = limited
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def limit_choices(self, db_field, request: HttpRequest) -> QuerySet | None:
        """What a non-superuser may pick in a relation: what they may change."""
        user = request.user
        model = db_field.related_model
        if model is Organization:
            if db_field.name == "root_organization":
                return selectors.campaign_root_choices(user=user)
            if db_field.name == "outflow_organization":
                # A mobile member's home organisation may lie outside the inflow office's
                # subtree; it only has to be visible.
                return Organization.objects.visible_to(user)
            return selectors.office_organizations(user=user)
        if model is Campaign:
            return selectors.manageable_campaigns(user=user)
        if model is LeadershipPosition:
            return LeadershipPosition.objects.filter(
                campaign__in=selectors.manageable_campaigns(user=user)
            )
        if model is Member:
            return Member.objects.visible_to(user)
        return None


# --- organisations, roles ---------------------------------------------------------------------


class ScopedMoveNodeForm(MoveNodeForm):
    """treebeard's add/move form. The "relative to" choice is an autocomplete over the scoped
    organisations (not a <select> of the whole tree); a non-superuser cannot create a root and
    can only place the node under an organisation where they hold the office role."""

    # Set by OrganizationAdmin.get_form on the per-request form class.
    request: HttpRequest | None = None
    admin_site: admin.AdminSite | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["treebeard_ref_node"]
        if self.admin_site is not None:
            # Any foreign key to Organization will do: the widget only needs one to find the
            # organisation autocomplete (whose search is scoped, see OrganizationAdmin).
            field.widget = AutocompleteSelect(
                RoleAssignment._meta.get_field("organization"), self.admin_site
            )
            field.widget.is_required = field.required
            field.widget.choices = field.choices
        if self.request is not None and not _is_superuser(self.request):
            field.queryset = field.queryset.filter(
                pk__in=selectors.office_organizations(user=self.request.user).values("pk")
            )
            field.required = field.widget.is_required = True
            field.help_text = _("Choose an organisation of your office's subtree.")

    def clean(self) -> dict:
        data = super().clean()
        if (
            self.request is None
            or _is_superuser(self.request)
            or "treebeard_ref_node" in self.errors
        ):
            return data
        ref = data.get("treebeard_ref_node")
        position = data.get("treebeard_position")
        if ref is None:
            raise ValidationError(
                _("Only a superuser can create or move a top-level organisation.")
            )
        # "Before"/"after" make the node a sibling: its parent is the reference's parent.
        parent = ref if position in ("first-child", "sorted-child") else ref.get_parent()
        if parent is None or not scope.has_role_on(self.request.user, parent, [OFFICE]):
            raise ValidationError(
                _(
                    "The organisation must stay inside your office's subtree: choose a position "
                    "under an organisation you manage."
                )
            )
        return data


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin, TreeAdmin):
    form = movenodeform_factory(Organization, form=ScopedMoveNodeForm)
    list_display = ("name", "code", "level", "unit_kind", "is_active")
    list_filter = ("level", "unit_kind", "is_active")
    search_fields = ("name", "short_name", "^code")
    list_per_page = 100
    show_full_result_count = False

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(scope.subtree_q(request.user, "path"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if _is_superuser(request):
            return super().get_queryset(request)
        # The tree view starts at the top of the tree; a non-superuser starts at the tops of
        # their own subtrees instead (which are rarely roots of the whole tree).
        at_top = (
            hasattr(request, "_treebeard_parent_id")
            and not request._treebeard_parent_id
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        )
        if at_top:
            request._treebeard_parent = None
            return Organization.objects.filter(path__in=scope.scope_paths(request.user))
        return super().get_queryset(request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Also used by every organisation autocomplete of the admin: never beyond the scope.
        if not _is_superuser(request):
            queryset = queryset.filter(scope.subtree_q(request.user, "path"))
        return super().get_search_results(request, queryset, search_term)

    def may_change(self, request: HttpRequest, obj: Organization) -> bool:
        return scope.has_role_on(request.user, obj, [OFFICE])

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        form.admin_site = self.admin_site
        return form

    def move_node(self, request: HttpRequest):
        """Drag and drop in the tree: both organisations (and the new parent) in the office's
        subtree for non-superusers."""
        if not _is_superuser(request):
            office = selectors.office_organizations(user=request.user)
            node = office.filter(pk=request.POST.get("node") or 0).first()
            target = office.filter(pk=request.POST.get("target") or 0).first()
            if node is None or target is None:
                raise PermissionDenied
            if request.POST.get("relation") != "child":
                parent = target.get_parent()
                if parent is None or not scope.has_role_on(request.user, parent, [OFFICE]):
                    raise PermissionDenied
        return super().move_node(request)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "organization__name", "^organization__code")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("organization",)
    raw_id_fields = ("user",)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(scope.subtree_q(request.user, "organization__path"))

    def may_change(self, request: HttpRequest, obj: RoleAssignment) -> bool:
        return scope.has_role_on(request.user, obj.organization, [OFFICE])


# --- members ----------------------------------------------------------------------------------


@admin.register(MemberCategory)
class MemberCategoryAdmin(ScopedAdmin):
    list_display = ("__str__", "code")
    superuser_only_changes = True

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs  # a shared lookup table

    def may_change(self, request: HttpRequest, obj) -> bool:
        return False


def _masked_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


PRIVATE_MEMBER_FIELDS = ("phone", "id_number", "birth_date")


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    list_display_links = ("name",)
    list_filter = ("status", "categories", "is_active", "gender")
    search_fields = ("name",)
    list_select_related = ("branch",)
    # Counting 114,000 rows for "(n total)" on every page is the slowest part of the list.
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    autocomplete_fields = ("branch", "outflow_organization")
    raw_id_fields = ("user",)
    filter_horizontal = ("categories",)
    readonly_fields = ("created_at", "updated_at")

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.visible_to(request.user)

    def may_change(self, request: HttpRequest, obj: Member) -> bool:
        return scope.has_role_on(request.user, obj.branch, [OFFICE])

    def get_list_display(self, request: HttpRequest):
        user = request.user

        @admin.display(description=_("ID number"))
        def id_number(member: Member) -> str:
            if scope.can_view_private(user, member):
                return member.id_number
            return member.masked_id_number

        return ("name", "gender", "branch", "status", id_number, "is_active")

    # The change form: private fields only for those who may see them; the others get
    # masked read-only values instead.

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: Member) -> str:
        return obj.masked_id_number if obj else ""

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        return _masked_phone(obj.phone) if obj else ""

    @admin.display(description=_("year of birth"))
    def birth_year(self, obj: Member) -> str:
        return str(obj.birth_date.year) if obj and obj.birth_date else ""

    MASKED = ("masked_id_number", "masked_phone", "birth_year")

    def _shows_private(self, request: HttpRequest, obj: Member | None) -> bool:
        if obj is None:
            return True  # adding: the office enters the fields
        return scope.can_view_private(request.user, obj)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in self.MASKED]
        if self._shows_private(request, obj):
            return fields
        return [f for f in fields if f not in PRIVATE_MEMBER_FIELDS] + list(self.MASKED)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self._shows_private(request, obj):
            readonly += list(self.MASKED)
        return readonly

    def get_exclude(self, request: HttpRequest, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if not self._shows_private(request, obj):
            exclude += PRIVATE_MEMBER_FIELDS
        return exclude


@admin.register(MemberTransfer)
class MemberTransferAdmin(ScopedAdmin):
    """History rows, written by the transfer service: read-only here."""

    list_display = ("member", "from_branch", "to_branch", "actor", "created_at")
    list_select_related = ("member", "from_branch", "to_branch", "actor")
    search_fields = ("member__name",)
    show_full_result_count = False
    superuser_only_changes = True

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(member__in=Member.objects.visible_to(request.user).values("pk"))

    def may_change(self, request: HttpRequest, obj) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_superuser(request)


# --- campaigns --------------------------------------------------------------------------------


class CampaignScopedAdmin(ScopedAdmin):
    """Admins of a campaign's parts: visible with the campaign, changed by its managers."""

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(campaign__in=Campaign.objects.visible_to(request.user).values("pk"))

    def may_change(self, request: HttpRequest, obj) -> bool:
        return selectors.can_manage_campaign(request.user, obj.campaign)


class PhaseInlineFormSet(forms.BaseInlineFormSet):
    """The campaign's phase plan, checked by ``services.phase_plan_errors`` as on the staff page."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.start_date is None or self.instance.end_date is None:
            return
        plan = [
            services.PhaseData(
                id=None,  # ids are the admin's business here; only the dates and orders count
                order=form.cleaned_data["order"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        errors = services.phase_plan_errors(campaign=self.instance, phases=plan)
        if errors:
            raise ValidationError(errors)


class PositionInlineFormSet(forms.BaseInlineFormSet):
    """The leadership line-up, checked by ``services.position_plan_errors``."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        plan = [
            services.PositionData(
                body=form.cleaned_data["body"],
                person_name=form.cleaned_data["person_name"],
                position=form.cleaned_data["position"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        errors = services.position_plan_errors(campaign=self.instance, positions=plan)
        if errors:
            raise ValidationError(errors)


class CampaignPartInline(admin.TabularInline):
    """Inlines of the campaign admin, with the same role rules (``obj`` is the campaign)."""

    extra = 0

    def _may_change(self, request: HttpRequest, obj) -> bool:
        if _is_superuser(request):
            return True
        if obj is None:
            return scope.is_office(request.user)
        return selectors.can_manage_campaign(request.user, obj)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_superuser(request) or scope.is_staff_user(request.user)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_change(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_change(request, obj)


class PhaseInline(CampaignPartInline):
    model = Phase
    formset = PhaseInlineFormSet
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})},
    }
    fields = ("order", "name", "kind", "start_date", "end_date", "description")


class LeadershipPositionInline(CampaignPartInline):
    model = LeadershipPosition
    formset = PositionInlineFormSet
    fields = ("body", "position", "person_name", "title", "user", "order")
    raw_id_fields = ("user",)


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = list(services.CAMPAIGN_EDITABLE_FIELDS)

    def clean_root_organization(self) -> Organization:
        root = self.cleaned_data["root_organization"]
        services.check_campaign_root_level(root)
        return root


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    form = CampaignAdminForm
    list_display = ("name", "root_organization", "start_date", "end_date", "status")
    list_filter = ("status",)
    search_fields = ("name", "theme")
    list_select_related = ("root_organization",)
    autocomplete_fields = ("root_organization",)
    date_hierarchy = "start_date"
    inlines = (PhaseInline, LeadershipPositionInline)
    fieldsets = (
        (None, {"fields": ("name", "theme", "sub_theme", "root_organization")}),
        (_("Dates"), {"fields": ("start_date", "end_date", "status")}),
        (
            _("Pledge guidance"),
            {
                "fields": (
                    ("member_deed_min", "member_deed_max"),
                    ("member_rectify_min", "member_rectify_max"),
                    ("org_deed_min", "org_deed_max"),
                )
            },
        ),
        (_("Supervision and dashboard"), {"fields": services.SUPERVISION_FIELDS}),
    )

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.visible_to(request.user)

    def may_change(self, request: HttpRequest, obj: Campaign) -> bool:
        return selectors.can_manage_campaign(request.user, obj)

    def get_inlines(self, request: HttpRequest, obj):
        # Phases are checked against the campaign's dates, so they come after it exists.
        return self.inlines if obj is not None else ()


class PhaseAdminForm(forms.ModelForm):
    class Meta:
        model = Phase
        fields = ["campaign", "order", "name", "kind", "start_date", "end_date", "description"]

    def clean(self) -> dict:
        data = super().clean()
        campaign = data.get("campaign")
        if campaign is None or self.errors:
            return data
        others = campaign.phases.exclude(pk=self.instance.pk)
        plan = [
            services.PhaseData(
                order=p.order,
                name=p.name,
                kind=p.kind,
                start_date=p.start_date,
                end_date=p.end_date,
            )
            for p in others
        ]
        plan.append(
            services.PhaseData(
                order=data["order"],
                name=data["name"],
                kind=data["kind"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        )
        errors = services.phase_plan_errors(campaign=campaign, phases=plan)
        if errors:
            raise ValidationError(errors)
        return data


@admin.register(Phase)
class PhaseAdmin(CampaignScopedAdmin):
    form = PhaseAdminForm
    list_display = ("name", "campaign", "order", "kind", "start_date", "end_date")
    list_filter = ("kind",)
    search_fields = ("name", "campaign__name")
    list_select_related = ("campaign",)


class LeadershipPositionAdminForm(forms.ModelForm):
    class Meta:
        model = LeadershipPosition
        fields = ["campaign", "body", "position", "person_name", "title", "user", "order"]

    def clean(self) -> dict:
        data = super().clean()
        campaign = data.get("campaign")
        if campaign is None or self.errors:
            return data
        plan = [
            services.PositionData(body=p.body, person_name=p.person_name, position=p.position)
            for p in campaign.positions.exclude(pk=self.instance.pk)
        ]
        plan.append(
            services.PositionData(
                body=data["body"], person_name=data["person_name"], position=data["position"]
            )
        )
        errors = services.position_plan_errors(campaign=campaign, positions=plan)
        if errors:
            raise ValidationError(errors)
        return data


@admin.register(LeadershipPosition)
class LeadershipPositionAdmin(CampaignScopedAdmin):
    form = LeadershipPositionAdminForm
    list_display = ("person_name", "position", "body", "title", "campaign", "order")
    list_filter = ("body", "position")
    search_fields = ("person_name", "title", "campaign__name")
    list_select_related = ("campaign",)
    raw_id_fields = ("user",)


class ContactPointAdminForm(forms.ModelForm):
    class Meta:
        model = ContactPoint
        fields = ["campaign", "leader", "organizations", "note"]

    def clean(self) -> dict:
        data = super().clean()
        campaign, leader = data.get("campaign"), data.get("leader")
        if campaign is None or leader is None or self.errors:
            return data
        services.check_contact_point_leader(
            campaign=campaign, leader=leader, exclude_pk=self.instance.pk
        )
        services.check_organizations_in_campaign(
            campaign=campaign, organizations=data.get("organizations") or []
        )
        return data


@admin.register(ContactPoint)
class ContactPointAdmin(CampaignScopedAdmin):
    form = ContactPointAdminForm
    list_display = ("leader", "campaign", "organization_count", "note")
    search_fields = ("leader__person_name", "campaign__name")
    list_select_related = ("leader", "campaign")
    autocomplete_fields = ("organizations",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(org_count=Count("organizations"))

    @admin.display(description=_("organisations"), ordering="org_count")
    def organization_count(self, obj) -> int:
        return obj.org_count


class InspectionGroupAdminForm(forms.ModelForm):
    class Meta:
        model = InspectionGroup
        fields = ["campaign", "name", "leader_name", "inspectors", "organizations"]

    def clean(self) -> dict:
        data = super().clean()
        campaign = data.get("campaign")
        if campaign is None or self.errors:
            return data
        services.check_inspection_group_name(
            campaign=campaign, name=data.get("name", ""), exclude_pk=self.instance.pk
        )
        services.check_organizations_in_campaign(
            campaign=campaign, organizations=data.get("organizations") or []
        )
        return data


@admin.register(InspectionGroup)
class InspectionGroupAdmin(CampaignScopedAdmin):
    form = InspectionGroupAdminForm
    list_display = ("name", "campaign", "leader_name", "organization_count")
    search_fields = ("name", "leader_name", "campaign__name")
    list_select_related = ("campaign",)
    autocomplete_fields = ("organizations",)
    raw_id_fields = ("inspectors",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(org_count=Count("organizations"))

    @admin.display(description=_("organisations covered"), ordering="org_count")
    def organization_count(self, obj) -> int:
        return obj.org_count


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the reminder sweeps and workflow events."""

    list_display = ("recipient", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind", "created_at")
    search_fields = ("recipient__username", "key")
    raw_id_fields = ("recipient",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """Work queued for the worker; unsent rows wait for the broker (see campaigns.outbox)."""

    list_display = ("task_name", "args", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("task_name",)
    date_hierarchy = "created_at"
    readonly_fields = ("task_name", "args", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


class OfficeScheduleMixin:
    """The campaign office runs the schedule (定时任务): it may change times and switch periodic
    jobs on and off without a deploy; only a superuser may add or delete jobs."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return scope.is_office(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return scope.is_office(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return scope.is_office(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request) or (
            self.model is not PeriodicTask and scope.is_office(request.user)
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_superuser(request)


class OfficePeriodicTaskAdmin(OfficeScheduleMixin, beat_admin.PeriodicTaskAdmin):
    pass


class OfficeCrontabScheduleAdmin(OfficeScheduleMixin, beat_admin.CrontabScheduleAdmin):
    pass


class OfficeIntervalScheduleAdmin(OfficeScheduleMixin, beat_admin.IntervalScheduleAdmin):
    pass


for _model, _admin_class in (
    (PeriodicTask, OfficePeriodicTaskAdmin),
    (CrontabSchedule, OfficeCrontabScheduleAdmin),
    (IntervalSchedule, OfficeIntervalScheduleAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
