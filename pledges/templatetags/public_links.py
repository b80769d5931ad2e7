"""Links from staff pages to the public side: ``{% load public_links %}``.

``{% member_public_path member as path %}`` gives the member's public page (site-relative), or ""
while it does not exist — one EXISTS query, so staff pages that do not own a view of the pledges
app can offer the link without changing their view.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from campaigns.models import Member
from pledges import selectors

register = template.Library()


@register.simple_tag
def member_public_path(member: Member) -> str:
    if not selectors.member_has_public_page(member=member):
        return ""
    return reverse("public:member", kwargs={"code": member.branch.code, "member_id": member.pk})
