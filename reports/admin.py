"""Admin of the reports app. Each area keeps its registrations under its own header comment."""

from __future__ import annotations

from django.contrib import admin

from reports.models.ledgers import ExportJob
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory

# =============================================================================================
# -- monthly reports and bulletins
# =============================================================================================


class MonthlyReportHistoryInline(admin.TabularInline):
    model = MonthlyReportHistory
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Read-mostly: states change through the staff pages (reports.services), which write the
    history; the admin shows the reports and their history."""

    list_display = ("organization", "month", "campaign", "status", "due_date", "submitted_at")
    list_filter = ("status", "month", "campaign")
    search_fields = ("organization__name", "organization__code")
    list_select_related = ("organization", "campaign")
    raw_id_fields = ("organization", "campaign", "submitted_by", "reviewed_by")
    readonly_fields = (
        "status",
        "first_submitted_at",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "new_count",
        "fulfilled_count",
        "overdue_count",
        "returned_count",
    )
    inlines = [MonthlyReportHistoryInline]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ("organization", "month", "campaign", "status", "generated_at")
    list_filter = ("status", "month", "campaign")
    search_fields = ("organization__name", "organization__code")
    list_select_related = ("organization", "campaign")
    raw_id_fields = ("organization", "campaign", "requested_by")
    readonly_fields = ("status", "error", "figures", "pdf", "requested_at", "generated_at")


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are made by the export pages and run by the worker; the admin shows
    what is queued, running or failed (and why)."""

    list_display = ("user", "kind", "status", "row_count", "rows_done", "created_at", "expires_at")
    list_filter = ("status", "kind")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
