"""Reads for the campaigns app, always scoped to a user.

``access_*`` functions return one object the user may see, or raise ``Http404`` — the same
answer whether the object is missing or outside the user's scope, so nothing leaks.
"""

from __future__ import annotations

from django.http import Http404

from campaigns.models import Campaign, Member, Organization


def access_organization_by_code(*, user, code: str) -> Organization:
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if org is None:
        raise Http404
    return org


def access_member_by_id(*, user, member_id: int) -> Member:
    member = (
        Member.objects.visible_to(user)
        .select_related("branch", "outflow_organization", "user")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


def access_campaign_by_id(*, user, campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("root_organization")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign
