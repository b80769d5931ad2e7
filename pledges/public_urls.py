"""Public pages (no login): pledge boards, pledge pages, feedback."""

from django.urls import path  # noqa: F401

from pledges.views import public  # noqa: F401

app_name = "public"

urlpatterns = [
    # -----------------------------------------------------------------------------------------
    # Public boards and pledges (公示栏)
    # -----------------------------------------------------------------------------------------
]
