"""Campaign notices for the inbox: a phase starts, a phase ends.

Every secretary and deputy secretary in the campaign's subtree hears of it, on the day — or,
if the sweep runs late (a worker down over a weekend), within :data:`CATCH_UP_DAYS` days after;
later than that the news is stale and is not sent. The key names the phase and the date, so a
phase moved to another date is announced again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns import inbox
from campaigns.inbox import Notice
from campaigns.models import Campaign, Phase, RoleAssignment

CATCH_UP_DAYS = 2
SECRETARY_ROLES = (RoleAssignment.Role.SECRETARY, RoleAssignment.Role.DEPUTY_SECRETARY)

PHASE_STARTS = inbox.register(
    "phase_starts",
    _("Phase “%(phase)s” of %(campaign)s starts on %(date)s (until %(end)s)"),
    icon="flag",
)
PHASE_ENDS = inbox.register(
    "phase_ends",
    _("Phase “%(phase)s” of %(campaign)s ends on %(date)s"),
    icon="flag-fill",
)


def campaign_secretaries(campaign: Campaign) -> Iterator[int]:
    """Active secretaries and deputies of active organisations in the campaign's subtree (a
    user holding several such roles once), streamed."""
    return (
        RoleAssignment.objects.filter(
            organization__path__startswith=campaign.root_organization.path,
            organization__is_active=True,
            user__is_active=True,
            role__in=SECRETARY_ROLES,
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
        .iterator(chunk_size=2000)
    )


@inbox.sweep("campaign_phases")
def phase_changes(*, today: datetime.date) -> Iterator[Notice]:
    window = (today - datetime.timedelta(days=CATCH_UP_DAYS), today)
    phases = (
        Phase.objects.filter(campaign__status=Campaign.Status.ACTIVE)
        .filter(Q(start_date__range=window) | Q(end_date__range=window))
        .select_related("campaign__root_organization")
        .order_by("campaign_id", "order")
    )
    for phase in phases:
        campaign = phase.campaign
        url = reverse("campaigns:campaign_detail", args=[campaign.pk])
        events = []
        if window[0] <= phase.start_date <= window[1]:
            events.append((PHASE_STARTS, "start", phase.start_date))
        if window[0] <= phase.end_date <= window[1]:
            events.append((PHASE_ENDS, "end", phase.end_date))
        for kind, which, date in events:
            params = {
                "phase": phase.name,
                "campaign": campaign.name,
                "date": date.isoformat(),
                "end": phase.end_date.isoformat(),
            }
            key = f"phase:{phase.pk}:{which}:{date.isoformat()}"
            for user_id in campaign_secretaries(campaign):
                yield Notice(recipient_id=user_id, kind=kind, key=key, params=params, url=url)
