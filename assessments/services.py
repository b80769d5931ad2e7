"""Writes of the assessments app: score sheets, inspections, rectifications, photos and the
quarterly reports. Each service checks the actor, works in one transaction on locked rows and
writes its history or audit row; a refusal raises ``ValidationError`` (a rule, shown on the
page) or ``PermissionDenied`` (who the actor is) and changes nothing.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import selectors
from assessments.models import (
    PHOTOS_PER_INSPECTION,
    SCORE_SHEET_TOTAL,
    Inspection,
    InspectionHistory,
    InspectionPhoto,
    InspectionScore,
    QuarterlyReport,
    Rectification,
    ScoreItem,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
    validate_photo,
)
from campaigns import inbox, scope
from campaigns.models import Campaign, InspectionGroup, Organization
from campaigns.outbox import enqueue
from campaigns.selectors import can_manage_campaign
from campaigns.services import audit

logger = logging.getLogger(__name__)
User = get_user_model()

# The worker's limits for one report (seconds): past the soft limit the render is abandoned and
# the report marked failed; the hard limit kills the process, and the periodic cleanup then
# marks the row failed.
REPORT_SOFT_LIMIT = 240
REPORT_HARD_LIMIT = 300
# A report queued this long without being picked up is marked failed (the page then offers to
# try again) rather than shown as queued for ever.
REPORT_QUEUE_STALE = datetime.timedelta(hours=6)
# Beat creates the reports of a quarter on its first days after the quarter ends.
REPORT_GENERATE_WINDOW_DAYS = 7

RENDER_TASK = "assessments.render_quarterly_report"


# ---------------------------------------------------------------------------------------------
# Score sheet (考核评分表)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreItemData:
    id: int | None
    order: int
    name: str
    weight: int
    description: str = ""


def score_sheet_errors(*, campaign: Campaign, items: Sequence[ScoreItemData]) -> list[str]:
    """Why a score sheet is refused (empty if fine): at least one item; every weight between
    1 and 100; distinct names; the weights add up to exactly 100; an item already used in an
    inspection stays, and its points do not drop below a score already given."""
    errors: list[str] = []
    if not items:
        return [_("A score sheet needs at least one item.")]
    for item in items:
        if not 1 <= item.weight <= SCORE_SHEET_TOTAL:
            errors.append(
                _("“%(name)s”: the points must be between 1 and %(max)s.")
                % {"name": item.name, "max": SCORE_SHEET_TOTAL}
            )
    names = [item.name.strip() for item in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.append(
            _("Each item needs its own name: %(names)s appear more than once.")
            % {"names": "、".join(duplicates)}
        )
    total = sum(item.weight for item in items)
    if total != SCORE_SHEET_TOTAL:
        errors.append(
            _("The points of the items add up to %(total)s; they must add up to exactly %(max)s.")
            % {"total": total, "max": SCORE_SHEET_TOTAL}
        )
    existing = {i.pk: i for i in campaign.score_items.all()} if campaign.pk else {}
    foreign = [item for item in items if item.id is not None and item.id not in existing]
    if foreign:
        errors.append(_("Only this campaign's own items can be changed."))
    kept = {item.id for item in items if item.id is not None}
    used = dict(
        InspectionScore.objects.filter(item__campaign=campaign)
        .values("item_id")
        .annotate(top=Max("score"))
        .values_list("item_id", "top")
    )
    for pk in used:
        if pk not in kept:
            errors.append(
                _("“%(name)s” has been used in inspections and cannot be removed.")
                % {"name": existing[pk].name}
            )
    for item in items:
        top = used.get(item.id)
        if top is not None and item.weight < top:
            errors.append(
                _(
                    "“%(name)s” already has a score of %(score)s in an inspection; its points "
                    "cannot go below that."
                )
                % {"name": item.name, "score": top}
            )
    return errors


def score_sheet_set(
    *, campaign: Campaign, actor: User, items: Sequence[ScoreItemData]
) -> list[ScoreItem]:
    """Replace a campaign's score sheet as a whole (the office). Refused, with every reason,
    unless the weights add up to exactly 100 (see ``score_sheet_errors``)."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().select_related("root_organization")
        locked = locked.get(pk=campaign.pk)
        if not can_manage_campaign(actor, locked):
            raise PermissionDenied
        errors = score_sheet_errors(campaign=locked, items=items)
        if errors:
            raise ValidationError(errors)
        existing = {i.pk: i for i in locked.score_items.all()}
        kept = {item.id for item in items if item.id is not None}
        ScoreItem.objects.filter(campaign=locked).exclude(pk__in=kept).delete()
        # Names are unique per campaign: park the kept rows on temporary names first so that
        # swapping two names never trips the constraint half-way.
        for pk in kept:
            ScoreItem.objects.filter(pk=pk).update(name=f"\x00{pk}")
        saved = []
        for data in items:
            item = existing[data.id] if data.id is not None else ScoreItem(campaign=locked)
            item.order = data.order
            item.name = data.name.strip()
            item.weight = data.weight
            item.description = data.description
            item.save()
            saved.append(item)
        audit(
            actor=actor,
            obj=locked,
            flag=CHANGE,
            message=_("Score sheet saved: %(items)s.")
            % {"items": "、".join(f"{i.name} {i.weight}" for i in saved)},
        )
    return sorted(saved, key=lambda i: (i.order, i.pk))


# ---------------------------------------------------------------------------------------------
# Inspections
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreData:
    item_id: int
    score: Decimal | None
    comment: str = ""


@dataclass(frozen=True)
class RectificationData:
    id: int | None
    text: str
    deadline: datetime.date


@dataclass(frozen=True)
class InspectionData:
    date: datetime.date
    inspector_ids: Sequence[int]
    findings: str = ""
    problems: str = ""
    scores: Sequence[ScoreData] = ()
    rectifications: Sequence[RectificationData] = field(default_factory=tuple)


def inspection_errors(
    *,
    group: InspectionGroup,
    year: int,
    quarter: int,
    data: InspectionData,
    inspection: Inspection | None = None,
) -> dict[str, list[str]]:
    """Why an inspection's data is refused, by field ("__all__" for the rest): the date lies
    in the quarter and not in the future; the inspectors belong to the group; each score lies
    between 0 and its item's points; rectifications have a text and a deadline."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    start, end = quarter_bounds(year, quarter)
    if not start <= data.date <= end:
        add(
            "date",
            _("The date must lie in %(quarter)s (%(start)s – %(end)s).")
            % {"quarter": quarter_label(year, quarter), "start": start, "end": end},
        )
    if data.date > timezone.localdate():
        add("date", _("The date cannot be in the future."))
    members = set(group.inspectors.values_list("pk", flat=True))
    if not data.inspector_ids:
        add("inspectors", _("Name at least one inspector."))
    elif not set(data.inspector_ids) <= members:
        add("inspectors", _("Only inspectors of %(group)s can be named.") % {"group": group.name})
    items = {i.pk: i for i in group.campaign.score_items.all()}
    for score in data.scores:
        item = items.get(score.item_id)
        if item is None:
            add("__all__", _("A score was given for an item that is not on the score sheet."))
            continue
        if score.score is not None and not (0 <= score.score <= item.weight):
            add(
                f"score_{item.pk}",
                _("The score for “%(item)s” must be between 0 and %(max)s points.")
                % {"item": item.name, "max": item.weight},
            )
    for rect in data.rectifications:
        if not rect.text.strip():
            add("rectifications", _("Every rectification needs a text."))
        if rect.deadline < data.date:
            add(
                "rectifications",
                _("A rectification deadline cannot be before the inspection date."),
            )
    if inspection is not None:
        known = set(inspection.rectifications.values_list("pk", flat=True))
        if any(r.id is not None and r.id not in known for r in data.rectifications):
            add("rectifications", _("Only this inspection's rectifications can be changed."))
    return errors


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _require_inspector(actor: User, group: InspectionGroup) -> None:
    if not selectors.is_group_inspector(actor, group):
        raise PermissionDenied


def _apply(inspection: Inspection, data: InspectionData) -> None:
    """Write the data onto a saved inspection: fields, scores, total, rectifications."""
    inspection.date = data.date
    inspection.findings = data.findings
    inspection.problems = data.problems
    inspection.inspectors.set(data.inspector_ids)
    current = {s.item_id: s for s in inspection.scores.all()}
    for score in data.scores:
        row = current.get(score.item_id)
        if score.score is None:
            if row is not None:
                row.delete()
            continue
        if row is None:
            InspectionScore.objects.create(
                inspection=inspection,
                item_id=score.item_id,
                score=score.score,
                comment=score.comment,
            )
        elif row.score != score.score or row.comment != score.comment:
            row.score, row.comment = score.score, score.comment
            row.save(update_fields=["score", "comment"])
    existing = {r.pk: r for r in inspection.rectifications.all()}
    kept = {r.id for r in data.rectifications if r.id is not None}
    inspection.rectifications.exclude(pk__in=kept).delete()
    for rect in data.rectifications:
        row = existing[rect.id] if rect.id is not None else Rectification(inspection=inspection)
        row.text, row.deadline = rect.text.strip(), rect.deadline
        row.save()
    total = sum((s.score for s in inspection.scores.all()), Decimal("0"))
    inspection.total_score = total
    inspection.save()


def inspection_create(
    *,
    group: InspectionGroup,
    organization: Organization,
    year: int,
    quarter: int,
    actor: User,
    data: InspectionData,
) -> Inspection:
    """Record a draft inspection of an organisation the group covers (an inspector of the
    group). One inspection per campaign, organisation and quarter."""
    _require_inspector(actor, group)
    with transaction.atomic():
        InspectionGroup.objects.select_for_update().get(pk=group.pk)
        if not group.organizations.filter(pk=organization.pk).exists():
            raise ValidationError(
                _("%(group)s does not cover %(org)s.")
                % {"group": group.name, "org": organization.name}
            )
        if not 1 <= quarter <= 4:
            raise ValidationError(_("A quarter is 1, 2, 3 or 4."))
        if Inspection.objects.filter(
            campaign_id=group.campaign_id, organization=organization, year=year, quarter=quarter
        ).exists():
            raise ValidationError(
                _("%(org)s already has an inspection for %(quarter)s.")
                % {"org": organization.name, "quarter": quarter_label(year, quarter)}
            )
        _raise_if(inspection_errors(group=group, year=year, quarter=quarter, data=data))
        inspection = Inspection.objects.create(
            campaign_id=group.campaign_id,
            group=group,
            organization=organization,
            year=year,
            quarter=quarter,
            date=data.date,
            created_by=actor,
        )
        _apply(inspection, data)
        InspectionHistory.objects.create(
            inspection=inspection,
            action=InspectionHistory.Action.CREATE,
            from_status="",
            to_status=Inspection.Status.DRAFT,
            actor=actor,
        )
        audit(
            actor=actor,
            obj=inspection,
            flag=ADDITION,
            message=_("Inspection recorded as draft."),
        )
    return inspection


def _lock_draft(inspection: Inspection, actor: User) -> Inspection:
    locked = (
        Inspection.objects.select_for_update()
        .select_related("group", "group__campaign", "organization")
        .get(pk=inspection.pk)
    )
    _require_inspector(actor, locked.group)
    if locked.status != Inspection.Status.DRAFT:
        raise ValidationError(_("This inspection has been submitted and can no longer change."))
    return locked


def inspection_update(*, inspection: Inspection, actor: User, data: InspectionData) -> Inspection:
    """Change a draft inspection (an inspector of its group)."""
    with transaction.atomic():
        locked = _lock_draft(inspection, actor)
        _raise_if(
            inspection_errors(
                group=locked.group,
                year=locked.year,
                quarter=locked.quarter,
                data=data,
                inspection=locked,
            )
        )
        _apply(locked, data)
        audit(actor=actor, obj=locked, flag=CHANGE, message=_("Draft inspection changed."))
    return locked


def inspection_submit(*, inspection: Inspection, actor: User) -> Inspection:
    """Submit a draft (an inspector of its group): every item of the sheet must be scored.
    The organisation's committee then sees the result."""
    with transaction.atomic():
        locked = _lock_draft(inspection, actor)
        items = list(locked.campaign.score_items.order_by("order"))
        if not items:
            raise ValidationError(_("The campaign has no score sheet yet: ask the office."))
        scored = set(locked.scores.values_list("item_id", flat=True))
        missing = [i.name for i in items if i.pk not in scored]
        if missing:
            raise ValidationError(
                _("Score every item of the sheet before submitting: %(items)s.")
                % {"items": "、".join(missing)}
            )
        locked.status = Inspection.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        InspectionHistory.objects.create(
            inspection=locked,
            action=InspectionHistory.Action.SUBMIT,
            from_status=Inspection.Status.DRAFT,
            to_status=Inspection.Status.SUBMITTED,
            actor=actor,
        )
        audit(actor=actor, obj=locked, flag=CHANGE, message=_("Inspection submitted."))
        transaction.on_commit(lambda: _notify_result(locked.pk))
    return locked


def _notify_result(inspection_id: int) -> None:
    from assessments import notices

    inspection = Inspection.objects.select_related("organization").get(pk=inspection_id)
    inbox.deliver(notices.result_notices(inspection))


def photo_add(*, inspection: Inspection, actor: User, file) -> InspectionPhoto:
    """Attach a photo to a draft inspection: a real JPG/PNG/WebP image of at most 8 MB, at
    most 12 photos per inspection."""
    validate_photo(file)
    with transaction.atomic():
        locked = _lock_draft(inspection, actor)
        if locked.photos.count() >= PHOTOS_PER_INSPECTION:
            raise ValidationError(
                _("An inspection can have at most %(count)s photos.")
                % {"count": PHOTOS_PER_INSPECTION}
            )
        photo = InspectionPhoto(
            inspection=locked,
            original_name=(getattr(file, "name", "") or "photo")[-255:],
            size=file.size,
            uploaded_by=actor,
        )
        photo.file.save(photo.original_name, file, save=False)
        photo.save()
    return photo


def photo_remove(*, photo: InspectionPhoto, actor: User) -> None:
    with transaction.atomic():
        _lock_draft(photo.inspection, actor)
        stored = photo.file.name
        photo.delete()
        transaction.on_commit(lambda: photo.file.storage.delete(stored))


def rectification_check_off(*, rectification: Rectification, actor: User) -> Rectification:
    """Mark a rectification done (销号): the inspected organisation's committee or the group's
    inspectors, once the inspection is submitted."""
    with transaction.atomic():
        locked = (
            Rectification.objects.select_for_update()
            .select_related("inspection", "inspection__group", "inspection__organization")
            .get(pk=rectification.pk)
        )
        if locked.done_at is not None:
            raise ValidationError(_("This rectification is already checked off."))
        if not selectors.can_check_off_rectification(actor, locked):
            raise PermissionDenied
        locked.done_at = timezone.now()
        locked.done_by = actor
        locked.save(update_fields=["done_at", "done_by"])
        audit(
            actor=actor,
            obj=locked.inspection,
            flag=CHANGE,
            message=_("Rectification checked off: %(text)s") % {"text": locked.text[:80]},
        )
    return locked


# ---------------------------------------------------------------------------------------------
# Quarterly reports
# ---------------------------------------------------------------------------------------------


def quarterly_report_request(
    *,
    organization: Organization,
    year: int,
    quarter: int,
    actor: User,
    today: datetime.date | None = None,
) -> QuarterlyReport:
    """Queue (re)generation of a committee's report for a quarter that has begun. Whoever may
    read the committee's reports may ask; a report already queued or running is not queued
    twice. The worker renders it; the page shows its status."""
    today = today or timezone.localdate()
    if not scope.has_role_on(actor, organization, selectors.READ_ROLES):
        raise PermissionDenied
    if organization.level != Organization.Level.COMMITTEE:
        raise ValidationError(_("Quarterly reports are made for party committees."))
    if quarter_bounds(year, quarter)[0] > today:
        raise ValidationError(_("That quarter has not begun yet."))
    campaign = selectors.report_campaign_for(organization=organization)
    if campaign is None:
        raise ValidationError(_("%(org)s takes part in no campaign.") % {"org": organization.name})
    with transaction.atomic():
        report, created = QuarterlyReport.objects.select_for_update().get_or_create(
            campaign=campaign,
            organization=organization,
            year=year,
            quarter=quarter,
            defaults={"requested_by": actor, "status": QuarterlyReport.Status.QUEUED},
        )
        if not created and report.in_progress:
            return report
        if not created:
            report.status = QuarterlyReport.Status.QUEUED
            report.error = ""
            report.requested_by = actor
            report.requested_at = timezone.now()
            report.started_at = None
            report.save()
        enqueue(RENDER_TASK, report.pk)
    return report


def _claim(report_id: int) -> QuarterlyReport | None:
    """Mark the report running, unless another worker runs it or it is already done since it
    was last asked for (the task may be delivered twice)."""
    now = timezone.now()
    with transaction.atomic():
        report = (
            QuarterlyReport.objects.select_for_update()
            .select_related("campaign", "organization")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            return None
        running_fresh = report.status == QuarterlyReport.Status.RUNNING and (
            report.started_at is not None
            and report.started_at > now - datetime.timedelta(seconds=REPORT_HARD_LIMIT)
        )
        done_already = (
            report.status == QuarterlyReport.Status.DONE
            and report.generated_at is not None
            and report.generated_at >= report.requested_at
        )
        if running_fresh or done_already:
            return None
        report.status = QuarterlyReport.Status.RUNNING
        report.started_at = now
        report.error = ""
        report.save(update_fields=["status", "started_at", "error"])
    return report


def quarterly_report_render(*, report_id: int) -> QuarterlyReport | None:
    """Render one report in the worker and store its file (replacing the previous one).
    Whatever goes wrong — the soft time limit included — the row ends ``failed`` with the
    error, never ``running``."""
    from assessments import pdf

    report = _claim(report_id)
    if report is None:
        return None
    started = time.perf_counter()
    try:
        content, pages = pdf.quarterly_report_pdf(
            campaign=report.campaign,
            organization=report.organization,
            year=report.year,
            quarter=report.quarter,
        )
        old_name = report.file.name
        if old_name:
            report.file.storage.delete(old_name)
        report.file.save("report.pdf", ContentFile(content), save=False)
        report.pages = pages
        report.size = len(content)
        report.render_seconds = round(time.perf_counter() - started, 2)
        report.generated_at = timezone.now()
        report.status = QuarterlyReport.Status.DONE
        report.error = ""
        report.save()
    except Exception as exc:  # noqa: BLE001 - reported on the row, never left running
        logger.exception("Quarterly report %s failed", report_id)
        QuarterlyReport.objects.filter(pk=report_id).update(
            status=QuarterlyReport.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            render_seconds=round(time.perf_counter() - started, 2),
        )
        report.refresh_from_db()
    _notify_report(report)
    return report


def _notify_report(report: QuarterlyReport) -> None:
    from assessments import notices

    inbox.deliver(notices.report_notices(report))


def quarterly_reports_generate_due(*, today: datetime.date | None = None) -> int:
    """On the first days after a quarter ends (beat, daily): a report of that quarter for every
    active committee of every active campaign that has none yet. Returns how many were
    queued. Safe to run twice (the unique constraint and the existence check)."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    start, _end = quarter_bounds(year, quarter)
    if (today - start).days >= REPORT_GENERATE_WINDOW_DAYS:
        return 0
    year, quarter = previous_quarter(year, quarter)
    q_start, q_end = quarter_bounds(year, quarter)
    queued = 0
    campaigns = Campaign.objects.filter(
        status=Campaign.Status.ACTIVE, start_date__lte=q_end, end_date__gte=q_start
    ).select_related("root_organization")
    for campaign in campaigns:
        have = QuarterlyReport.objects.filter(campaign=campaign, year=year, quarter=quarter)
        committees = (
            Organization.objects.filter(
                path__startswith=campaign.root_organization.path,
                level=Organization.Level.COMMITTEE,
                is_active=True,
            )
            .exclude(pk__in=have.values("organization_id"))
            .order_by("depth", "path")
            .values_list("pk", flat=True)
        )
        for org_id in committees.iterator(chunk_size=500):
            with transaction.atomic():
                report, created = QuarterlyReport.objects.get_or_create(
                    campaign=campaign,
                    organization_id=org_id,
                    year=year,
                    quarter=quarter,
                    defaults={"status": QuarterlyReport.Status.QUEUED},
                )
                if created:
                    enqueue(RENDER_TASK, report.pk)
                    queued += 1
    return queued


def quarterly_reports_fail_stuck(*, now: datetime.datetime | None = None) -> int:
    """Mark reports failed that will never finish: running for longer than the hard time limit
    (the worker was killed or lost), or queued and never picked up for hours."""
    now = now or timezone.now()
    running = QuarterlyReport.objects.filter(
        status=QuarterlyReport.Status.RUNNING,
        started_at__lt=now - datetime.timedelta(seconds=REPORT_HARD_LIMIT + 60),
    ).update(
        status=QuarterlyReport.Status.FAILED,
        error=_("The rendering stopped without finishing (time limit reached or worker lost)."),
    )
    queued = QuarterlyReport.objects.filter(
        status=QuarterlyReport.Status.QUEUED, requested_at__lt=now - REPORT_QUEUE_STALE
    ).update(
        status=QuarterlyReport.Status.FAILED,
        error=_("No worker picked the report up; ask for it again."),
    )
    return running + queued
