"""The leadership dashboard (数据看板): figures of any organisation in the user's scope, its
children with traffic lights, drill-down one level per click (reports/dashboard.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campaigns.views.decorators import staff_required
from reports import dashboard as selectors


@staff_required
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The dashboard of ``code`` (the top organisation of the user's scope without one);
    ``?campaign=`` picks the campaign, ``?sort=`` the children table's order. 404 outside the
    user's scope."""
    context = selectors.dashboard_page(
        user=request.user,
        code=code,
        campaign_id=request.GET.get("campaign"),
        sort=request.GET.get("sort"),
    )
    return render(request, "reports/dashboard.html", context)
