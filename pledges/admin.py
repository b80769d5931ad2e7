"""Admin for the campaign office. Lists are scoped with ``visible_to`` for everyone but
superusers, and the workflow is never bypassed here: status, grade and history are read-only,
and pledges are created and moved only through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from campaigns.models import Campaign
from pledges.models import (
    Attachment,
    Evaluation,
    EvaluationPolicy,
    Feedback,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
    ReturnReason,
)


def _visible_pledges(request: HttpRequest) -> QuerySet[Pledge]:
    if request.user.is_superuser:
        return Pledge.objects.all()
    return Pledge.objects.visible_to(request.user)


def _visible_campaigns(request: HttpRequest) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(request.user)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(ReadOnlyInline):
    model = PledgeHistory
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields
    ordering = ("created_at", "id")


class EntryInline(ReadOnlyInline):
    model = FulfilmentEntry
    fields = ("date", "progress", "text", "author")
    readonly_fields = fields


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "campaign",
        "organization",
        "kind",
        "term",
        "status",
        "deadline",
        "grade",
    )
    list_filter = ("status", "kind", "term", "grade", "campaign")
    search_fields = (
        "content",
        "owner_member__name",
        "owner_organization__name",
        "organization__name",
    )
    date_hierarchy = "created_at"
    list_select_related = ("campaign", "organization", "owner_member", "owner_organization")
    raw_id_fields = ("owner_member", "owner_organization", "organization", "author")
    readonly_fields = (
        "campaign",
        "owner_member",
        "owner_organization",
        "organization",
        "author",
        "status",
        "grade",
        "withdrawal_reason",
        "created_at",
        "updated_at",
        "submitted_at",
        "approved_at",
        "published_at",
        "fulfilled_at",
        "evaluated_at",
        "withdrawn_at",
    )
    inlines = (EntryInline, HistoryInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pledge]:
        return _visible_pledges(request).select_related(
            "campaign", "organization", "owner_member", "owner_organization"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through pledge_create: it checks the campaign phase and the actor

    def has_change_permission(self, request: HttpRequest, obj: Pledge | None = None) -> bool:
        # Content edits outside the workflow would leave no history row: read-only here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Pledge | None = None) -> bool:
        return request.user.is_superuser


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("file", "original_name", "size", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FulfilmentEntry)
class FulfilmentEntryAdmin(admin.ModelAdmin):
    list_display = ("pledge", "date", "progress", "author", "created_at")
    list_select_related = ("pledge", "author")
    readonly_fields = ("pledge", "date", "text", "progress", "author", "created_at")
    inlines = (AttachmentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FulfilmentEntry]:
        return super().get_queryset(request).filter(pledge__in=_visible_pledges(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("pledge", "suggested_grade", "final_grade", "confirmed_by", "confirmed_at")
    list_filter = ("final_grade",)
    list_select_related = ("pledge", "confirmed_by")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Evaluation._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evaluation]:
        return super().get_queryset(request).filter(pledge__in=_visible_pledges(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PledgeAdjustment)
class PledgeAdjustmentAdmin(admin.ModelAdmin):
    list_display = ("pledge", "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("pledge", "requested_by", "decided_by")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PledgeAdjustment._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PledgeAdjustment]:
        return super().get_queryset(request).filter(pledge__in=_visible_pledges(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PledgeHistory)
class PledgeHistoryAdmin(admin.ModelAdmin):
    list_display = ("pledge", "action", "from_status", "to_status", "actor", "created_at")
    list_filter = ("action", "to_status")
    list_select_related = ("pledge", "actor")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PledgeHistory._meta.fields] + ["reasons"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PledgeHistory]:
        return super().get_queryset(request).filter(pledge__in=_visible_pledges(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the audit trail is never edited


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = ("text", "campaign", "order", "is_active")
    list_filter = ("campaign", "is_active")
    list_editable = ("order", "is_active")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnReason]:
        return super().get_queryset(request).filter(campaign__in=_visible_campaigns(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = _visible_campaigns(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(EvaluationPolicy)
class EvaluationPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "campaign",
        "weight_self_report",
        "weight_appraisal",
        "weight_satisfaction",
        "threshold_good",
        "threshold_fairly_good",
        "threshold_average",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvaluationPolicy]:
        return super().get_queryset(request).filter(campaign__in=_visible_campaigns(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = _visible_campaigns(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Read-only here: comments are moderated on the staff page, by the branch committee. The
    client fingerprint is a salted hash and stays out of the list."""

    list_display = ("pledge", "rating", "status", "created_at", "moderated_by")
    list_filter = ("rating", "status")
    list_select_related = ("pledge", "moderated_by")
    exclude = ("fingerprint",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Feedback._meta.fields if f.name != "fingerprint"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Feedback]:
        return super().get_queryset(request).filter(pledge__in=_visible_pledges(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
