"""Notifications of the reports app (see :mod:`campaigns.inbox`). Each area keeps its kinds and
sweeps under its own header comment.

Keys name the occasion, so that each reminder is delivered once per recipient however often the
sweeps run (the inbox's unique constraint on recipient and key).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext_lazy as _

from campaigns import inbox
from campaigns.inbox import Notice
from campaigns.models import Campaign, RoleAssignment
from reports import selectors
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory

# =============================================================================================
# -- monthly reports
# =============================================================================================

# The "due soon" reminder goes out this many days before the due date (and until it).
MONTHLY_DUE_SOON_DAYS = 3

MONTHLY_REPORT_DUE = inbox.register(
    "monthly_report_due",
    _("The monthly report of %(org)s for %(month)s is due on %(due)s."),
    icon="journal-text",
)
MONTHLY_REPORT_MISSING = inbox.register(
    "monthly_report_missing",
    _("The monthly report of %(org)s for %(month)s was due on %(due)s and has not been submitted."),
    icon="journal-x",
)
MONTHLY_REPORT_RETURNED = inbox.register(
    "monthly_report_returned",
    _("The monthly report of %(org)s for %(month)s was returned for revision: %(comment)s"),
    icon="arrow-return-left",
)


def _month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def _unsubmitted(
    campaign: Campaign, month: datetime.date, kind: inbox.Kind, prefix: str
) -> Iterator[Notice]:
    """One notice per secretary or deputy secretary of each filing organisation of the campaign
    whose report for ``month`` has never been submitted (not started, or still a draft). One
    streamed query per campaign and month."""
    from reports.services import report_edit_url

    submitted = MonthlyReport.objects.filter(
        campaign=campaign, month=month, first_submitted_at__isnull=False
    ).values("organization_id")
    due = selectors.due_date_for(campaign, month)
    rows = (
        RoleAssignment.objects.filter(
            role__in=selectors.REMINDED_ROLES,
            user__is_active=True,
            organization__path__startswith=campaign.root_organization.path,
            organization__is_active=True,
            organization__level__in=selectors.FILING_LEVELS,
        )
        .exclude(organization_id__in=submitted)
        .values_list("user_id", "organization_id", "organization__name", "organization__code")
        .order_by("pk")
    )
    for user_id, org_id, org_name, code in rows.iterator(chunk_size=2000):
        yield Notice(
            recipient_id=user_id,
            kind=kind,
            key=f"{prefix}:{campaign.pk}:{org_id}:{_month_label(month)}",
            params={"org": org_name, "month": _month_label(month), "due": due.isoformat()},
            url=report_edit_url(campaign_id=campaign.pk, code=code, month=month),
        )


def _active_campaigns() -> Iterable[Campaign]:
    return Campaign.objects.filter(status=Campaign.Status.ACTIVE).select_related(
        "root_organization"
    )


@inbox.sweep("monthly_reports_due")
def monthly_reports_due(*, today: datetime.date) -> Iterator[Notice]:
    """From ``MONTHLY_DUE_SOON_DAYS`` days before a month's due date until the due date: the
    secretaries of every organisation that has not submitted its report yet."""
    for campaign in _active_campaigns():
        for month in selectors.campaign_months(campaign, today):
            due = selectors.due_date_for(campaign, month)
            if due - datetime.timedelta(days=MONTHLY_DUE_SOON_DAYS) <= today <= due:
                yield from _unsubmitted(campaign, month, MONTHLY_REPORT_DUE, "monthly-due")


@inbox.sweep("monthly_reports_missing")
def monthly_reports_missing(*, today: datetime.date) -> Iterator[Notice]:
    """After a month's due date: the secretaries of every organisation whose report was never
    submitted (a report returned for revision was submitted: its filer has the return notice)."""
    for campaign in _active_campaigns():
        for month in selectors.campaign_months(campaign, today):
            if today > selectors.due_date_for(campaign, month):
                yield from _unsubmitted(campaign, month, MONTHLY_REPORT_MISSING, "monthly-missing")


def returned_notice(*, report: MonthlyReport, history: MonthlyReportHistory) -> Notice:
    """For whoever submitted the report, when the superior returns it (one per return)."""
    from reports.services import report_url

    return Notice(
        recipient_id=report.submitted_by_id,
        kind=MONTHLY_REPORT_RETURNED,
        key=f"monthly-returned:{report.pk}:{history.pk}",
        params={
            "org": report.organization.name,
            "month": _month_label(report.month),
            "comment": history.comment,
        },
        url=report_url(report),
    )


# =============================================================================================
# -- bulletins
# =============================================================================================

BULLETIN_READY = inbox.register(
    "bulletin_ready",
    _("The monthly bulletin of %(org)s for %(month)s is ready."),
    icon="file-earmark-bar-graph",
)


def bulletin_ready_notices(*, bulletin: Bulletin) -> list[Notice]:
    """For the committee's secretary and deputy secretaries, once per bulletin (a regeneration
    of the same month tells nobody again)."""
    from reports.services import bulletin_url, committee_secretaries

    return [
        Notice(
            recipient_id=user_id,
            kind=BULLETIN_READY,
            key=(
                f"bulletin-ready:{bulletin.campaign_id}:{bulletin.organization_id}:"
                f"{_month_label(bulletin.month)}"
            ),
            params={"org": bulletin.organization.name, "month": _month_label(bulletin.month)},
            url=bulletin_url(bulletin),
        )
        for user_id in committee_secretaries(bulletin.organization)
    ]
