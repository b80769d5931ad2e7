"""Models: dashboard (see reports/models/__init__.py).

The leadership dashboard reads precomputed figures, never the half-million pledges themselves:

- :class:`DashboardRollup` — per (campaign, organisation) two rows: ``own`` counts that
  organisation's OWN pledges (the pledges whose ``organization`` it is: its members' and its
  own), its public feedback and its monthly reports; ``subtree`` is the SUM of the ``own`` rows
  of its whole subtree (``path LIKE 'prefix%'``), computed at refresh time from the ``own``
  rows grouped by each ancestor's path prefix. A dashboard reads one ``subtree`` row for the
  organisation and one per child: the cost follows the number of children, not the size of
  the subtree (12,000 organisations in a city).
- :class:`DashboardSeries` — dated counts per (campaign, organisation), ``own`` and
  ``subtree`` alike, for the trend (pledges fulfilled per month) and for the age of the review
  backlog (pledges waiting, per day of submission).
- :class:`DashboardRefresh` — when the rows of a campaign were last rebuilt ("数据更新于 …"),
  and the row that serialises two refreshes of one campaign.

The rows are rebuilt wholesale, every few minutes, by ``reports.refresh_dashboard_rollups``
(:func:`reports.dashboard.refresh_rollups`): derived data, so they cascade away with their
campaign or organisation.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Organization


def _count(label: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0)


class Scope(models.TextChoices):
    OWN = "own", _("The organisation's own")
    SUBTREE = "subtree", _("The whole subtree")


class DashboardRollup(models.Model):
    """Counts of one organisation's own pledges (not its subtree's) in one campaign.

    ``done`` is "fulfilled" as the pledge app defines it (status fulfilled, or evaluated after
    having been fulfilled); the ``*_total`` columns count pledges that have been submitted and
    not withdrawn (see :mod:`reports.dashboard` for the definitions shown on the page).
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.OWN)
    # Copies of the organisation's path and depth at refresh time: no join when reading.
    path = models.CharField(_("path"), max_length=255, db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1)

    n_draft = _count("draft")
    n_submitted = _count("submitted")
    n_returned = _count("returned")
    n_approved = _count("approved")
    n_published = _count("published")
    n_fulfilled = _count("fulfilled")
    n_evaluated = _count("evaluated")
    n_withdrawn = _count("withdrawn")
    total = _count("total (submitted, not withdrawn)")
    done = _count("fulfilled (fulfilled, or evaluated after fulfilment)")
    member_total = _count("member pledges")
    member_done = _count("member pledges fulfilled")
    org_total = _count("organisation pledges")
    org_done = _count("organisation pledges fulfilled")
    work_total = _count("work pledges")
    work_done = _count("work pledges fulfilled")
    deed_total = _count("practical deeds")
    deed_done = _count("practical deeds fulfilled")
    rectify_total = _count("rectifications")
    rectify_done = _count("rectifications fulfilled")
    long_total = _count("long-term pledges")
    long_done = _count("long-term pledges fulfilled")
    annual_total = _count("annual pledges")
    annual_done = _count("annual pledges fulfilled")
    immediate_total = _count("immediate pledges")
    immediate_done = _count("immediate pledges fulfilled")
    n_overdue = _count("overdue")
    feedback_total = _count("public ratings")
    feedback_satisfied = _count("public ratings satisfied or fairly satisfied")
    reports_due = _count("monthly reports due")
    reports_on_time = _count("monthly reports on time")

    class Meta:
        verbose_name = _("dashboard figures of an organisation")
        verbose_name_plural = _("dashboard figures")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "scope"], name="dashboard_rollup_once"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "scope", "depth"], name="dashboard_rollup_depth")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.path}:{self.scope}"


class DashboardSeries(models.Model):
    """A dated count of one organisation's own pledges in one campaign."""

    class Series(models.TextChoices):
        FULFILLED = "fulfilled", _("Fulfilled in the month")  # day = 1st of the month
        WAITING = "waiting", _("Awaiting review, submitted on the day")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.OWN)
    path = models.CharField(_("path"), max_length=255)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1)
    series = models.CharField(_("series"), max_length=12, choices=Series.choices)
    day = models.DateField(_("day"))
    n = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("dashboard series point")
        verbose_name_plural = _("dashboard series")
        indexes = [
            models.Index(fields=["campaign", "organization", "scope"], name="dashboard_series_org")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.path}:{self.series}:{self.day}={self.n}"


class DashboardRefresh(models.Model):
    """When the dashboard rows of a campaign were last rebuilt. Locked during a rebuild, so two
    refreshes of one campaign (beat and a demo seeding, say) run one after the other."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    seconds = models.FloatField(_("duration (s)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")

    def __str__(self) -> str:
        return f"{self.campaign_id} @ {self.refreshed_at}"
