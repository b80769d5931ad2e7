from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    # Inspections (巡回检查)
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/groups/", views.my_groups, name="my_groups"),
    path(
        "inspections/groups/<int:group_id>/<slug:code>/record/",
        views.inspection_record,
        name="inspection_record",
    ),
    path("inspections/<int:inspection_id>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:inspection_id>/edit/", views.inspection_edit, name="inspection_edit"),
    path(
        "inspections/<int:inspection_id>/submit/",
        views.inspection_submit,
        name="inspection_submit",
    ),
    path(
        "inspections/rectifications/<int:rectification_id>/done/",
        views.rectification_done,
        name="rectification_done",
    ),
    path("inspections/photos/<int:photo_id>/", views.photo, name="photo"),
    # The score sheet of a campaign (the office)
    path("campaigns/<int:pk>/score-sheet/", views.score_sheet, name="score_sheet"),
    # Quarterly inspection reports (PDF)
    path("reports/", views.report_list, name="report_list"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("reports/<int:report_id>/status/", views.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", views.report_download, name="report_download"),
]
