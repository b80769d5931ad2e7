"""Staff pages of the pledge cycle (login required; members with a login use them too)."""

from django.urls import path  # noqa: F401  (sections below)

from pledges.views import authoring, printing, review  # noqa: F401

app_name = "pledges"

urlpatterns = [
    # -----------------------------------------------------------------------------------------
    # Authoring and fulfilment (定诺, 践诺)
    # -----------------------------------------------------------------------------------------
    # -----------------------------------------------------------------------------------------
    # Review, publication and evaluation (审诺, 亮诺, 评诺)
    # -----------------------------------------------------------------------------------------
    # -----------------------------------------------------------------------------------------
    # Printing (pledge cards, desk signs, boards as PDF)
    # -----------------------------------------------------------------------------------------
]
