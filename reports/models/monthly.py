"""Models: monthly reports (月报) and monthly bulletins (通报) (see reports/models/__init__.py).

A :class:`MonthlyReport` is what one organisation (a branch, general branch or committee; not a
党小组) tells its superior about one month of one campaign: figures taken from its pledges and
four texts. Its state changes only through ``reports.services`` (monthly reports section), which
writes a :class:`MonthlyReportHistory` row for each. A :class:`Bulletin` is the committee's
monthly digest of its subtree, rendered to PDF by the worker.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Organization


class MonthlyReport(models.Model):
    """One organisation's report for one month of a campaign.

    ``month`` is the first day of the month. The figures are recomputed whenever the report is
    saved while it can be edited (draft, returned) and frozen when it is submitted.
    ``first_submitted_at`` decides lateness: a report that reached the superior on time and was
    returned for revision is not late because of the return.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RETURNED = "returned", _("Returned for revision")

    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
    FIGURE_FIELDS = ("new_count", "fulfilled_count", "overdue_count", "returned_count")
    TEXT_FIELDS = ("main_work", "problems", "next_month_plan", "typical_examples")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="monthly_reports",
        verbose_name=_("campaign"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="monthly_reports",
        verbose_name=_("organisation"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    due_date = models.DateField(_("due on"))
    new_count = models.PositiveIntegerField(_("new pledges"), default=0)
    fulfilled_count = models.PositiveIntegerField(_("pledges fulfilled"), default=0)
    overdue_count = models.PositiveIntegerField(_("pledges overdue"), default=0)
    returned_count = models.PositiveIntegerField(_("pledges returned for revision"), default=0)
    main_work = models.TextField(_("main work this month"), blank=True)
    problems = models.TextField(_("problems and shortcomings"), blank=True)
    next_month_plan = models.TextField(_("plan for next month"), blank=True)
    typical_examples = models.TextField(_("typical examples"), blank=True)
    first_submitted_at = models.DateTimeField(
        _("first submitted"), null=True, blank=True, editable=False
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "month"], name="monthly_report_once"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "month", "status"], name="monthly_report_month"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.month:%Y-%m}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def figures_are_live(self) -> bool:
        return self.is_editable

    def is_late(self, today: datetime.date | None = None) -> bool:
        """Submitted (the first time) after the due date, or not yet submitted and past it."""
        if self.first_submitted_at is not None:
            return timezone.localdate(self.first_submitted_at) > self.due_date
        return (today or timezone.localdate()) > self.due_date


class MonthlyReportHistory(models.Model):
    """One row per action on a monthly report: who, when, from which state to which, comment."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        EDIT = "edit", _("Edit")
        SUBMIT = "submit", _("Submit")
        RESUBMIT = "resubmit", _("Resubmit")
        ACKNOWLEDGE = "acknowledge", _("Acknowledge")
        RETURN = "return", _("Return for revision")

    report = models.ForeignKey(
        MonthlyReport,
        on_delete=models.CASCADE,
        related_name="history",
        verbose_name=_("monthly report"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=16, choices=MonthlyReport.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=MonthlyReport.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly report history")
        verbose_name_plural = _("monthly report history")
        ordering = ["report", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def changes_state(self) -> bool:
        return self.from_status != self.to_status


def _bulletin_path(instance: Bulletin, filename: str) -> str:
    return f"bulletins/{instance.campaign_id}/{instance.month:%Y-%m}/{filename}"


class Bulletin(models.Model):
    """A committee's monthly bulletin (通报) for one month of a campaign: which organisations of
    its subtree filed their monthly reports on time, fulfilment and overdue rates by
    organisation, a ranking and the overdue pledges. ``figures`` is the snapshot the page and
    the PDF show; regenerating replaces both."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="bulletins", verbose_name=_("campaign")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="bulletins",
        verbose_name=_("committee"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=_bulletin_path, max_length=255, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty when issued by the schedule."),
    )
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly bulletin")
        verbose_name_plural = _("monthly bulletins")
        ordering = ["-month", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "month"], name="bulletin_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.month:%Y-%m}"

    # A render takes seconds and its task is killed after 10 minutes: a bulletin still queued or
    # running this long after it was requested lost its worker (or its message) for good.
    STALE_AFTER = datetime.timedelta(minutes=15)

    @property
    def is_pending(self) -> bool:
        """Queued or being generated, recently: the page polls and offers no second request.
        A stale one is not pending any more — it can be requested again."""
        return (
            self.status
            in (
                self.Status.QUEUED,
                self.Status.RUNNING,
            )
            and self.requested_at > timezone.now() - self.STALE_AFTER
        )
