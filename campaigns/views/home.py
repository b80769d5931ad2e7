"""The home page: what each kind of user needs first after logging in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campaigns import selectors
from pledges import selectors as pledge_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Campaign overview for the office and leadership, "my branches" for committees and
    inspectors, the member's own record for a login without a role."""
    summary = selectors.home_summary(user=request.user)
    return render(
        request,
        "campaigns/home.html",
        {
            "summary": summary,
            "kind": summary["kind"],
            # The pledges app's "what is due" panel (committee roles and members; else None).
            "due": pledge_selectors.pledges_due_summary(user=request.user),
        },
    )
