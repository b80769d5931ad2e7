"""The review area's navbar items: ``{% load review_nav %}{% review_nav %}``.

The badge is one COUNT query per page (the user's roles are already cached on the request's
user by ``campaigns.scope``), and only for users who review.
"""

from __future__ import annotations

from django import template

from pledges import selectors

register = template.Library()

_REVIEW_PAGES = {"review_queue", "review_pledge", "review_adjustment", "review_publish_org"}
_EVALUATION_PAGES = {"review_evaluation_list", "review_evaluate", "review_appraisal"}


@register.inclusion_tag("pledges/review_nav.html", takes_context=True)
def review_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"show_review": False, "show_evaluation": False}
    show_review = selectors.is_reviewer(user)
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None and match.namespace == "pledges" else ""
    return {
        "show_review": show_review,
        "show_evaluation": selectors.takes_part_in_evaluation(user),
        "review_count": selectors.review_queue_count(user=user) if show_review else 0,
        "section": "review"
        if url_name in _REVIEW_PAGES
        else "evaluation"
        if url_name in _EVALUATION_PAGES
        else "",
    }
