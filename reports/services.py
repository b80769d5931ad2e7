"""Writes of the reports app. Each area keeps its services under its own header comment.

Every state change of a monthly report goes through :func:`_transition`: one transaction, the
row locked, the state re-checked after the lock, the actor checked, a history row written. A
refusal raises :class:`ReportRefused` and changes nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import inbox
from campaigns.models import Campaign, Organization, RoleAssignment
from campaigns.outbox import enqueue
from reports import selectors
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory

logger = logging.getLogger(__name__)

# =============================================================================================
# -- monthly reports
# =============================================================================================

Status = MonthlyReport.Status
Action = MonthlyReportHistory.Action


class ReportRefused(PermissionDenied):
    """An action on a monthly report that may not happen, with a message for the user.

    ``code`` "not_allowed" means the user has no part in the action (views answer 403); any
    other code is about the report's state or data (views show the message).
    """

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def report_url(report: MonthlyReport) -> str:
    return reverse("reports:monthly_detail", args=[report.pk])


def report_edit_url(*, campaign_id: int, code: str, month: datetime.date) -> str:
    return reverse(
        "reports:monthly_edit",
        kwargs={"campaign_id": campaign_id, "code": code, "year": month.year, "month": month.month},
    )


def _require_editor(actor, organization: Organization, action: str) -> None:
    if not selectors.can_edit_report(actor, organization):
        raise ReportRefused(
            _("Only the committee of %(org)s can %(action)s its monthly report.")
            % {"org": organization.name, "action": action},
            code="not_allowed",
        )


def _apply_figures(report: MonthlyReport) -> None:
    figures = selectors.report_figures(
        campaign=report.campaign, organization=report.organization, month=report.month
    )
    for name, value in figures.as_dict().items():
        setattr(report, name, value)


def _history(
    report: MonthlyReport, action: str, from_status: str, actor, comment: str = ""
) -> MonthlyReportHistory:
    return MonthlyReportHistory.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=actor,
        comment=comment,
        created_at=timezone.now(),
    )


def monthly_report_save(
    *,
    campaign: Campaign,
    organization: Organization,
    month: datetime.date,
    actor,
    texts: dict[str, str],
) -> MonthlyReport:
    """Create or update the text of a report that can still be edited (draft or returned), by
    the organisation's own committee; the figures are recomputed (they are live until the
    report is submitted). A report of a month outside the campaign, or of an organisation that
    does not file, is refused."""
    _require_editor(actor, organization, _("write"))
    if not selectors.is_filing_organization(campaign, organization):
        raise ReportRefused(
            _("%(org)s does not file monthly reports in this campaign.")
            % {"org": organization.name},
            code="not_filing",
        )
    if month not in selectors.campaign_months(campaign):
        raise ReportRefused(_("This month is not a month of the campaign."), code="bad_month")
    unknown = set(texts) - set(MonthlyReport.TEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        report, created = MonthlyReport.objects.select_for_update().get_or_create(
            campaign=campaign,
            organization=organization,
            month=month,
            defaults={"due_date": selectors.due_date_for(campaign, month)},
        )
        if not report.is_editable:
            raise ReportRefused(
                _("The report is “%(status)s” and can no longer be changed.")
                % {"status": report.get_status_display()},
                code="wrong_state",
            )
        for name, value in texts.items():
            setattr(report, name, (value or "").strip())
        _apply_figures(report)
        report.save()
        _history(report, Action.CREATE if created else Action.EDIT, report.status, actor)
    return report


def _require_complete(report: MonthlyReport) -> None:
    missing = [
        str(MonthlyReport._meta.get_field(name).verbose_name)
        for name in ("main_work", "next_month_plan")
        if not getattr(report, name).strip()
    ]
    if missing:
        raise ReportRefused(
            _("Complete the report before submitting it. Missing: %(fields)s.")
            % {"fields": ", ".join(missing)},
            code="incomplete",
        )


def _transition(
    *,
    report: MonthlyReport,
    actor,
    sources: tuple[str, ...],
    target: str,
    action_label: str,
    allowed: Callable[[MonthlyReport], bool],
    apply: Callable[[MonthlyReport, datetime.datetime], None],
    history_action: Callable[[str], str],
    comment: str = "",
) -> tuple[MonthlyReport, MonthlyReportHistory]:
    """Lock the report, check the actor (first: an outsider learns nothing about its state),
    re-check the state after the lock, apply, write the history row."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise ReportRefused(_("You are not allowed to do this."), code="not_allowed")
    with transaction.atomic():
        locked = (
            MonthlyReport.objects.select_for_update()
            .select_related("campaign", "organization")
            .filter(pk=report.pk)
            .first()
        )
        if locked is None:
            raise ReportRefused(_("This report no longer exists."), code="missing")
        if not allowed(locked):
            raise ReportRefused(
                _("You are not allowed to “%(action)s” this report.") % {"action": action_label},
                code="not_allowed",
            )
        if locked.status not in sources:
            raise ReportRefused(
                _("“%(action)s” is not possible while the report is “%(status)s”.")
                % {"action": action_label, "status": locked.get_status_display()},
                code="wrong_state",
            )
        from_status = locked.status
        now = timezone.now()
        apply(locked, now)
        locked.status = target
        locked.save()
        row = _history(locked, history_action(from_status), from_status, actor, comment)
    for f in MonthlyReport._meta.concrete_fields:
        setattr(report, f.attname, getattr(locked, f.attname))
    return locked, row


def monthly_report_submit(*, report: MonthlyReport, actor) -> MonthlyReport:
    """Draft or returned → submitted, by the organisation's own committee. Main work and next
    month's plan must be written. The figures are computed one last time and frozen; the first
    submission's time decides whether the report is late."""

    def apply(locked: MonthlyReport, now: datetime.datetime) -> None:
        _require_complete(locked)
        _apply_figures(locked)
        locked.submitted_at = now
        locked.submitted_by = actor
        if locked.first_submitted_at is None:
            locked.first_submitted_at = now

    report, _row = _transition(
        report=report,
        actor=actor,
        sources=(Status.DRAFT, Status.RETURNED),
        target=Status.SUBMITTED,
        action_label=str(_("Submit")),
        allowed=lambda r: selectors.can_edit_report(actor, r.organization),
        apply=apply,
        history_action=lambda source: (
            Action.RESUBMIT if source == Status.RETURNED else Action.SUBMIT
        ),
    )
    return report


def monthly_report_acknowledge(*, report: MonthlyReport, actor, comment: str = "") -> MonthlyReport:
    """Submitted → acknowledged, by the superior organisation's committee or the office (never
    by whoever submitted it)."""

    def apply(locked: MonthlyReport, now: datetime.datetime) -> None:
        locked.reviewed_at, locked.reviewed_by = now, actor
        locked.review_comment = (comment or "").strip()

    report, _row = _transition(
        report=report,
        actor=actor,
        sources=(Status.SUBMITTED,),
        target=Status.ACKNOWLEDGED,
        action_label=str(_("Acknowledge")),
        allowed=lambda r: selectors.can_review_report(actor, r),
        apply=apply,
        history_action=lambda source: Action.ACKNOWLEDGE,
        comment=(comment or "").strip(),
    )
    return report


def monthly_report_return(*, report: MonthlyReport, actor, comment: str) -> MonthlyReport:
    """Submitted → returned for revision, with a comment, by the superior organisation's
    committee or the office. Whoever submitted it is told (inbox); the organisation's committee
    can then edit and resubmit it."""
    comment = (comment or "").strip()

    def apply(locked: MonthlyReport, now: datetime.datetime) -> None:
        if not comment:
            raise ReportRefused(_("Write a comment saying what to revise."), code="no_comment")
        locked.reviewed_at, locked.reviewed_by = now, actor
        locked.review_comment = comment

    report, row = _transition(
        report=report,
        actor=actor,
        sources=(Status.SUBMITTED,),
        target=Status.RETURNED,
        action_label=str(_("Return for revision")),
        allowed=lambda r: selectors.can_review_report(actor, r),
        apply=apply,
        history_action=lambda source: Action.RETURN,
        comment=comment,
    )
    if report.submitted_by_id:
        from reports import notices

        inbox.deliver([notices.returned_notice(report=report, history=row)])
    return report


# =============================================================================================
# -- bulletins
# =============================================================================================

BulletinStatus = Bulletin.Status


def bulletin_url(bulletin: Bulletin) -> str:
    return reverse(
        "reports:bulletin_detail",
        kwargs={
            "campaign_id": bulletin.campaign_id,
            "code": bulletin.organization.code,
            "year": bulletin.month.year,
            "month": bulletin.month.month,
        },
    )


def bulletin_request(
    *, campaign: Campaign, committee: Organization, month: datetime.date, actor=None
) -> Bulletin:
    """Queue the (re)generation of a committee's bulletin for a month: the row is created or
    reset to "queued" and the render task goes through the outbox (published after commit; if
    the broker is down, beat publishes it later). ``actor`` None means the schedule. A bulletin
    already queued or being generated is left alone (its task will do the work)."""
    if actor is not None and not selectors.can_generate_bulletin(actor, committee):
        raise PermissionDenied
    if not selectors.is_bulletin_committee(campaign, committee):
        raise ValueError("not a committee of the campaign")
    with transaction.atomic():
        bulletin, created = Bulletin.objects.select_for_update().get_or_create(
            campaign=campaign,
            organization=committee,
            month=month,
            defaults={"requested_by": actor},
        )
        if not created and bulletin.is_pending:
            return bulletin
        bulletin.status = BulletinStatus.QUEUED
        bulletin.error = ""
        bulletin.requested_at = timezone.now()
        bulletin.requested_by = actor
        bulletin.save()
        enqueue("reports.render_bulletin", bulletin.pk)
    return bulletin


def bulletin_render(*, bulletin_id: int, today: datetime.date | None = None) -> Bulletin | None:
    """Compute the figures and render the PDF of a queued bulletin; safe to run twice (a
    bulletin already generated since it was requested is left alone). Any failure is recorded
    on the row ("failed" with the error) instead of being raised. A bulletin issued by the
    schedule tells the committee's secretaries when it is ready."""
    with transaction.atomic():
        bulletin = (
            Bulletin.objects.select_for_update()
            .select_related("campaign__root_organization", "organization")
            .filter(pk=bulletin_id)
            .first()
        )
        if bulletin is None:
            return None
        if bulletin.status == BulletinStatus.DONE and (
            bulletin.generated_at and bulletin.generated_at >= bulletin.requested_at
        ):
            return bulletin
        if bulletin.status == BulletinStatus.RUNNING and bulletin.is_pending:
            return bulletin  # a second delivery of the same task: the first one is rendering
        bulletin.status = BulletinStatus.RUNNING
        bulletin.error = ""
        bulletin.save(update_fields=["status", "error"])
    try:
        from reports import bulletin_pdf

        figures = selectors.bulletin_figures(
            campaign=bulletin.campaign,
            committee=bulletin.organization,
            month=bulletin.month,
            today=today,
        )
        content = bulletin_pdf.bulletin_pdf(figures=figures, campaign=bulletin.campaign)
    except Exception as exc:  # noqa: BLE001 - recorded on the row for the page to show
        logger.exception("Bulletin %s failed", bulletin_id)
        Bulletin.objects.filter(pk=bulletin_id).update(
            status=BulletinStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        bulletin.refresh_from_db()
        return bulletin
    old_name = bulletin.pdf.name if bulletin.pdf else ""
    name = f"bulletin-{bulletin.organization.code}-{bulletin.month:%Y-%m}.pdf"
    bulletin.pdf.save(name, ContentFile(content), save=False)
    bulletin.figures = figures
    bulletin.status = BulletinStatus.DONE
    bulletin.generated_at = timezone.now()
    bulletin.save(update_fields=["pdf", "figures", "status", "generated_at"])
    if old_name and old_name != bulletin.pdf.name:
        bulletin.pdf.storage.delete(old_name)
    if bulletin.requested_by_id is None:
        from reports import notices

        inbox.deliver(notices.bulletin_ready_notices(bulletin=bulletin))
    return bulletin


def bulletins_issue(*, today: datetime.date | None = None) -> int:
    """On each active campaign's ``bulletin_day``, queue the previous month's bulletin of
    every committee of the campaign (creating it, or regenerating an earlier one). Run daily by
    beat; on other days it does nothing, and a second run on the same day queues nothing new
    (bulletins already issued today by the schedule are skipped). Returns how many were
    queued."""
    today = today or timezone.localdate()
    queued = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.ACTIVE).select_related(
        "root_organization"
    ):
        if today.day != campaign.bulletin_day:
            continue
        month = selectors.previous_month(today)
        if month not in selectors.campaign_months(campaign, today):
            continue
        issued_today = set(
            Bulletin.objects.filter(
                campaign=campaign,
                month=month,
                requested_by__isnull=True,
                requested_at__gte=selectors.day_start(today),
            ).values_list("organization_id", flat=True)
        )
        for committee in selectors.bulletin_committees(campaign).order_by("path").iterator():
            if committee.pk in issued_today:
                continue
            bulletin_request(campaign=campaign, committee=committee, month=month)
            queued += 1
    return queued


def committee_secretaries(committee: Organization) -> list[int]:
    """User ids of the committee's secretary and deputy secretaries."""
    return list(
        RoleAssignment.objects.filter(
            organization=committee,
            role__in=selectors.REMINDED_ROLES,
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def bulletins_fail_stuck(*, now: datetime.datetime | None = None) -> int:
    """Mark bulletins queued or running long past any render (their worker died, or their
    message was lost) as failed, so the page says so and offers to generate them again."""
    now = now or timezone.now()
    return Bulletin.objects.filter(
        status__in=(BulletinStatus.QUEUED, BulletinStatus.RUNNING),
        requested_at__lt=now - Bulletin.STALE_AFTER,
    ).update(
        status=BulletinStatus.FAILED,
        error=_("The worker stopped before the bulletin was finished. Generate it again."),
    )
