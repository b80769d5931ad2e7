"""Admin of the assessments app. The score sheet is edited per campaign (the proxy
:class:`ScoreSheet`), its items inline, so that the rule "the weights add up to exactly 100" is
checked on the sheet as a whole, with the same function the office's page uses."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from assessments import services
from assessments.models import (
    Inspection,
    InspectionHistory,
    InspectionPhoto,
    InspectionScore,
    QuarterlyReport,
    Rectification,
    ScoreItem,
    ScoreSheet,
)


class ScoreItemFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        items = [
            services.ScoreItemData(
                id=form.instance.pk,
                order=form.cleaned_data.get("order") or 0,
                name=(form.cleaned_data.get("name") or "").strip(),
                weight=form.cleaned_data.get("weight") or 0,
                description=form.cleaned_data.get("description") or "",
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        errors = services.score_sheet_errors(campaign=self.instance, items=items)
        if errors:
            raise ValidationError(errors)


class ScoreItemInline(admin.TabularInline):
    model = ScoreItem
    formset = ScoreItemFormSet
    extra = 1
    fields = ("order", "name", "weight", "description")


@admin.register(ScoreSheet)
class ScoreSheetAdmin(admin.ModelAdmin):
    list_display = ("name", "root_organization", "status", "item_count")
    fields = ("name",)
    readonly_fields = ("name",)
    inlines = [ScoreItemInline]
    search_fields = ("name",)

    @admin.display(description=_("items"))
    def item_count(self, obj: ScoreSheet) -> int:
        return obj.score_items.count()

    def has_add_permission(self, request) -> bool:
        return False  # campaigns are created on their own page; this edits their sheets

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InspectionScoreInline(admin.TabularInline):
    model = InspectionScore
    extra = 0
    fields = ("item", "score", "comment")
    readonly_fields = ("item",)


class RectificationInline(admin.TabularInline):
    model = Rectification
    extra = 0
    fields = ("text", "deadline", "done_at", "done_by")
    readonly_fields = ("done_by",)


class InspectionPhotoInline(admin.TabularInline):
    model = InspectionPhoto
    extra = 0
    fields = ("original_name", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False


class InspectionHistoryInline(admin.TabularInline):
    model = InspectionHistory
    extra = 0
    fields = ("action", "from_status", "to_status", "actor", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("organization", "year", "quarter", "group", "total_score", "status", "date")
    list_filter = ("status", "year", "quarter", "campaign", "group")
    search_fields = ("organization__name", "organization__code", "findings", "problems")
    autocomplete_fields = ("organization",)
    raw_id_fields = ("created_by",)
    readonly_fields = ("status", "total_score", "submitted_at", "created_at", "updated_at")
    filter_horizontal = ("inspectors",)
    inlines = [
        InspectionScoreInline,
        RectificationInline,
        InspectionPhotoInline,
        InspectionHistoryInline,
    ]


@admin.register(QuarterlyReport)
class QuarterlyReportAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "year",
        "quarter",
        "status",
        "pages",
        "generated_at",
        "render_seconds",
    )
    list_filter = ("status", "year", "quarter", "campaign")
    search_fields = ("organization__name", "organization__code")
    readonly_fields = (
        "campaign",
        "organization",
        "year",
        "quarter",
        "status",
        "error",
        "file",
        "pages",
        "size",
        "render_seconds",
        "requested_by",
        "requested_at",
        "started_at",
        "generated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False
