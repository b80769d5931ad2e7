"""Inbox notices of the assessments app: reminders to inspect, rectification deadlines, results
and quarterly reports (see :mod:`campaigns.inbox`).

Sweeps (hourly, ``campaigns.run_reminder_sweeps``), over active campaigns:

* **inspection due** — from 30 days before a quarter ends, every organisation a group covers
  that has no submitted inspection for the quarter → each inspector of the group, once per
  quarter, organisation and group (the key names all three).
* **rectification due / overdue** — an open rectification of a submitted inspection whose
  deadline is within 7 days, or past → the secretaries of the inspected organisation, once for
  "due soon" and once for "overdue" per rectification and deadline.

Both stream in batches with a fixed number of queries per batch.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessments.models import (
    Inspection,
    QuarterlyReport,
    Rectification,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from campaigns import inbox
from campaigns.inbox import Notice
from campaigns.models import Campaign, InspectionGroup, RoleAssignment

Role = RoleAssignment.Role

# Inspectors are reminded from this many days before the quarter ends.
INSPECTION_REMINDER_DAYS = 30
# Secretaries are reminded of a rectification this many days before its deadline.
RECTIFICATION_REMINDER_DAYS = 7
BATCH = 1000

INSPECTION_DUE = inbox.register(
    "inspection_due",
    _("Not yet inspected in %(quarter)s (ends %(end)s): %(organization)s — %(group)s"),
    icon="clipboard-check",
)
RECTIFICATION_DUE = inbox.register(
    "rectification_due",
    _("Rectification due on %(deadline)s: “%(text)s” — %(organization)s"),
    icon="alarm",
)
RECTIFICATION_OVERDUE = inbox.register(
    "rectification_overdue",
    _("Rectification overdue since %(deadline)s: “%(text)s” — %(organization)s"),
    icon="exclamation-triangle",
)
INSPECTION_RESULT = inbox.register(
    "inspection_result",
    _("Inspection result for %(quarter)s: %(organization)s, %(score)s points"),
    icon="clipboard-data",
)
REPORT_READY = inbox.register(
    "quarterly_report_ready",
    _("Quarterly inspection report ready: %(organization)s, %(quarter)s"),
    icon="file-earmark-pdf",
)
REPORT_FAILED = inbox.register(
    "quarterly_report_failed",
    _("Quarterly inspection report failed: %(organization)s, %(quarter)s"),
    icon="x-octagon",
)


def _short(text: str, length: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


@inbox.sweep("inspections_due")
def inspections_due(*, today: datetime.date) -> Iterator[Notice]:
    """Inspectors, about the organisations of their group not yet inspected this quarter."""
    year, quarter = quarter_of(today)
    start, end = quarter_bounds(year, quarter)
    if (end - today).days > INSPECTION_REMINDER_DAYS:
        return
    label = str(quarter_label(year, quarter))
    groups = InspectionGroup.objects.filter(
        campaign__status=Campaign.Status.ACTIVE,
        campaign__start_date__lte=end,
        campaign__end_date__gte=start,
    )
    through = InspectionGroup.organizations.through
    done = Inspection.objects.filter(year=year, quarter=quarter, status=Inspection.Status.SUBMITTED)
    inspectors: dict[int, list[int]] = defaultdict(list)
    for group_id, user_id in InspectionGroup.inspectors.through.objects.filter(
        inspectiongroup__in=groups, user__is_active=True
    ).values_list("inspectiongroup_id", "user_id"):
        inspectors[group_id].append(user_id)
    done_pairs = set(done.values_list("campaign_id", "organization_id"))
    pending = (
        through.objects.filter(inspectiongroup__in=groups, organization__is_active=True)
        .values_list(
            "inspectiongroup_id",
            "inspectiongroup__name",
            "inspectiongroup__campaign_id",
            "organization_id",
            "organization__name",
        )
        .order_by("inspectiongroup_id", "organization__path")
    )
    url = reverse("assessments:my_groups") + f"?q={year}-{quarter}"
    for group_id, group_name, campaign_id, org_id, org_name in pending.iterator(chunk_size=BATCH):
        if (campaign_id, org_id) in done_pairs:
            continue
        for user_id in inspectors.get(group_id, ()):
            yield Notice(
                recipient_id=user_id,
                kind=INSPECTION_DUE,
                key=f"inspection-due:{year}Q{quarter}:g{group_id}:o{org_id}",
                params={
                    "quarter": label,
                    "end": end.isoformat(),
                    "organization": org_name,
                    "group": group_name,
                },
                url=url,
            )


def _secretaries(org_ids: Iterable[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    for org_id, user_id in RoleAssignment.objects.filter(
        organization_id__in=list(org_ids), role=Role.SECRETARY, user__is_active=True
    ).values_list("organization_id", "user_id"):
        result[org_id].append(user_id)
    return result


@inbox.sweep("rectification_deadlines")
def rectification_deadlines(*, today: datetime.date) -> Iterator[Notice]:
    """Secretaries of inspected organisations, about open rectifications due within 7 days
    (once) and overdue (once)."""
    horizon = today + datetime.timedelta(days=RECTIFICATION_REMINDER_DAYS)
    rows = (
        Rectification.objects.filter(
            done_at__isnull=True,
            deadline__lte=horizon,
            inspection__status=Inspection.Status.SUBMITTED,
            inspection__campaign__status=Campaign.Status.ACTIVE,
        )
        .values_list(
            "pk",
            "text",
            "deadline",
            "inspection_id",
            "inspection__organization_id",
            "inspection__organization__name",
        )
        .order_by("deadline", "pk")
    )
    batch: list[tuple] = []

    def flush(batch: list[tuple]) -> Iterator[Notice]:
        holders = _secretaries({row[4] for row in batch})
        for pk, text, deadline, inspection_id, org_id, org_name in batch:
            overdue = deadline < today
            kind = RECTIFICATION_OVERDUE if overdue else RECTIFICATION_DUE
            key = f"rectification-{'overdue' if overdue else 'due'}:{pk}:{deadline.isoformat()}"
            url = reverse("assessments:inspection_detail", args=[inspection_id])
            for user_id in holders.get(org_id, ()):
                yield Notice(
                    recipient_id=user_id,
                    kind=kind,
                    key=key,
                    params={
                        "deadline": deadline.isoformat(),
                        "text": _short(text),
                        "organization": org_name,
                    },
                    url=url,
                )

    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


# ---------------------------------------------------------------------------------------------
# Event notices (delivered by the services)
# ---------------------------------------------------------------------------------------------


def result_notices(inspection: Inspection) -> list[Notice]:
    """The inspected organisation's secretaries, when the inspection is submitted."""
    holders = _secretaries([inspection.organization_id])
    return [
        Notice(
            recipient_id=user_id,
            kind=INSPECTION_RESULT,
            key=f"inspection-result:{inspection.pk}",
            params={
                "quarter": str(inspection.quarter_label),
                "organization": inspection.organization.name,
                "score": str(inspection.total_score),
            },
            url=reverse("assessments:inspection_detail", args=[inspection.pk]),
        )
        for user_id in holders.get(inspection.organization_id, ())
    ]


def report_notices(report: QuarterlyReport) -> list[Notice]:
    """When a report is done or failed: whoever asked for it; for a report beat made, the
    leadership group of the committee (the leadership role held on it)."""
    from assessments.selectors import leadership_recipients

    if report.status not in (QuarterlyReport.Status.DONE, QuarterlyReport.Status.FAILED):
        return []
    done = report.status == QuarterlyReport.Status.DONE
    if report.requested_by_id:
        recipients = [report.requested_by_id]
    elif done:
        recipients = leadership_recipients(organization=report.organization)
    else:
        recipients = []
    stamp = (report.generated_at if done else report.started_at) or report.requested_at
    return [
        Notice(
            recipient_id=user_id,
            kind=REPORT_READY if done else REPORT_FAILED,
            key=f"quarterly-report-{report.status}:{report.pk}:{stamp:%Y%m%d%H%M%S}",
            params={
                "organization": report.organization.name,
                "quarter": str(report.quarter_label),
            },
            url=reverse("assessments:report_list"),
        )
        for user_id in recipients
    ]
