from django.urls import path  # noqa: F401

from reports.views import dashboard as dashboard_views
from reports.views import exports as export_views
from reports.views import imports as imports_views
from reports.views import monthly as monthly_views

app_name = "reports"

# Each area adds its own section below (views in reports/views/<area>.py).
urlpatterns = [
    # -- monthly reports (月报) and bulletins (通报): reports/views/monthly.py
    path("monthly/", monthly_views.monthly_list, name="monthly_list"),
    path(
        "monthly/<int:campaign_id>/<slug:code>/<int:year>-<int:month>/",
        monthly_views.monthly_edit,
        name="monthly_edit",
    ),
    path("monthly/<int:pk>/", monthly_views.monthly_detail, name="monthly_detail"),
    path("monthly/<int:pk>/submit/", monthly_views.monthly_submit, name="monthly_submit"),
    path("monthly/<int:pk>/review/", monthly_views.monthly_review, name="monthly_review"),
    path("bulletins/", monthly_views.bulletin_list, name="bulletin_list"),
    path(
        "bulletins/<int:campaign_id>/<slug:code>/<int:year>-<int:month>/",
        monthly_views.bulletin_detail,
        name="bulletin_detail",
    ),
    path(
        "bulletins/<int:campaign_id>/<slug:code>/<int:year>-<int:month>/generate/",
        monthly_views.bulletin_generate,
        name="bulletin_generate",
    ),
    path(
        "bulletins/<int:campaign_id>/<slug:code>/<int:year>-<int:month>/bulletin.pdf",
        monthly_views.bulletin_pdf,
        name="bulletin_pdf",
    ),
    # -- ledgers: import (reports/views/imports.py)
    path("ledgers/", imports_views.ledger_index, name="ledger_index"),
    path("ledgers/import/", imports_views.import_start, name="import_start"),
    path(
        "ledgers/import/template/<str:kind>.<str:fmt>",
        imports_views.import_template,
        name="import_template",
    ),
    path("ledgers/import/<str:token>/", imports_views.import_preview, name="import_preview"),
    path(
        "ledgers/import/<str:token>/confirm/", imports_views.import_confirm, name="import_confirm"
    ),
    # -- ledgers: export and "my exports" (reports/views/exports.py)
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/<int:pk>/status/", export_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path(
        "exports/new/pledges/",
        export_views.export_ledger,
        {"kind": "pledges"},
        name="export_pledges",
    ),
    path(
        "exports/new/journal/",
        export_views.export_ledger,
        {"kind": "journal"},
        name="export_journal",
    ),
    path(
        "exports/new/members/",
        export_views.export_ledger,
        {"kind": "members"},
        name="export_members",
    ),
    path(
        "exports/new/monthly/",
        export_views.export_ledger,
        {"kind": "monthly"},
        name="export_monthly",
    ),
    # -- leadership dashboard (reports/views/dashboard.py)
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/<slug:code>/", dashboard_views.dashboard, name="dashboard_org"),
]
