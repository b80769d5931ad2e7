"""Public pages (no login): pledge boards, pledge pages, feedback."""

from django.urls import path

from pledges.views import public

app_name = "public"

urlpatterns = [
    # -----------------------------------------------------------------------------------------
    # Public boards and pledges (公示栏)
    # -----------------------------------------------------------------------------------------
    path("pledge/<int:pk>/", public.pledge_detail, name="pledge"),
    path("pledge/<int:pk>/feedback/", public.feedback, name="feedback"),
    path("photo/<int:pk>/", public.attachment, name="attachment"),
    # Last: any other first segment is an organisation's code.
    path("<slug:code>/", public.board, name="board"),
    path("<slug:code>/m/<int:member_id>/", public.member, name="member"),
]
