"""Quarterly inspections (巡回检查) and the quarterly inspection report.

- :class:`ScoreItem`: the score sheet of a campaign, items whose weights add up to 100 points
  (the seeds: 创先争优 counts 20 of 100), configured by the office.
- :class:`Inspection`: one inspection group's visit to one organisation it covers, once a
  quarter, with its scores (:class:`InspectionScore`), findings, problems, required
  rectifications (:class:`Rectification`) and photos (:class:`InspectionPhoto`). Draft →
  submitted, each change of status written to :class:`InspectionHistory`.
- :class:`QuarterlyReport`: the PDF report of a committee for a quarter, rendered by the worker.

Writes go through :mod:`assessments.services`, reads through :mod:`assessments.selectors`.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, InspectionGroup, Organization

# ---------------------------------------------------------------------------------------------
# Quarters
# ---------------------------------------------------------------------------------------------

QUARTERS = (1, 2, 3, 4)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    """``(year, quarter)`` of a date."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter."""
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end_month = 3 * quarter
    if end_month == 12:
        end = datetime.date(year, 12, 31)
    else:
        end = datetime.date(year, end_month + 1, 1) - datetime.timedelta(days=1)
    return start, end


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


# ---------------------------------------------------------------------------------------------
# Score sheet
# ---------------------------------------------------------------------------------------------

SCORE_SHEET_TOTAL = 100


class ScoreItem(models.Model):
    """One line of a campaign's score sheet (考核评分表). The weights of a campaign's items add up
    to exactly 100 points; :func:`assessments.services.score_sheet_set` refuses anything else."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="score_items", verbose_name=_("campaign")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("item"), max_length=60)
    weight = models.PositiveSmallIntegerField(
        _("points"), validators=[MinValueValidator(1), MaxValueValidator(SCORE_SHEET_TOTAL)]
    )
    description = models.TextField(_("what is checked"), blank=True)

    class Meta:
        verbose_name = _("score sheet item")
        verbose_name_plural = _("score sheet items")
        ordering = ["campaign", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_score_item_name"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=SCORE_SHEET_TOTAL),
                name="score_item_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}）"


class ScoreSheet(Campaign):
    """A campaign seen as its score sheet: the admin edits the items of one campaign together,
    so that the sum of the weights can be checked as a whole."""

    class Meta:
        proxy = True
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")


# ---------------------------------------------------------------------------------------------
# Inspections
# ---------------------------------------------------------------------------------------------


class Inspection(models.Model):
    """An inspection group's quarterly inspection of one organisation it covers."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("campaign")
    )
    group = models.ForeignKey(
        InspectionGroup,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("inspection group"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("organisation"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    date = models.DateField(_("date of the inspection"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspections", verbose_name=_("inspectors")
    )
    total_score = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    findings = models.TextField(_("findings"), blank=True)
    problems = models.TextField(_("problems found"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-year", "-quarter", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "year", "quarter"],
                name="one_inspection_per_quarter",
                violation_error_message=_(
                    "This organisation already has an inspection for this quarter."
                ),
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="inspection_quarter_range"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "year", "quarter"], name="inspection_quarter")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.quarter_label}"

    @property
    def quarter_label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


def quarter_label(year: int, quarter: int) -> str:
    return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


class InspectionScore(models.Model):
    """The score of one item of the sheet, between 0 and the item's points."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="scores", verbose_name=_("inspection")
    )
    item = models.ForeignKey(
        ScoreItem, on_delete=models.PROTECT, related_name="scores", verbose_name=_("item")
    )
    score = models.DecimalField(
        _("score"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0)]
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["inspection", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="one_score_per_item"),
            models.CheckConstraint(condition=Q(score__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item.name}: {self.score}"


class Rectification(models.Model):
    """A required rectification (整改) with its deadline; checked off when done (销号)."""

    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.CASCADE,
        related_name="rectifications",
        verbose_name=_("inspection"),
    )
    text = models.TextField(_("what must be rectified"))
    deadline = models.DateField(_("deadline"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked off by"),
    )

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["inspection", "deadline", "id"]
        indexes = [
            models.Index(
                fields=["deadline"], condition=Q(done_at__isnull=True), name="rectification_open"
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.done_at is None and self.deadline < (today or timezone.localdate())


# Photos: the extension and the first bytes must agree, at most 8 MB each, 12 per inspection.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTOS_PER_INSPECTION = 12
PHOTO_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".webp": (b"RIFF",),
}
PHOTO_CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def validate_photo(file) -> None:
    """A JPG, PNG or WebP photo of at most 8 MB whose content is really that image (checked
    with Pillow): the name alone is whatever the uploader typed."""
    name = os.path.basename(getattr(file, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in PHOTO_SIGNATURES:
        raise ValidationError(
            _("“%(name)s” is not a photo. Upload a JPG, PNG or WebP image."),
            code="photo_type",
            params={"name": name},
        )
    size = getattr(file, "size", None)
    if size is not None and size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a photo may be at most %(max)s."),
            code="photo_size",
            params={
                "name": name,
                "size": filesizeformat(size),
                "max": filesizeformat(PHOTO_MAX_BYTES),
            },
        )
    try:
        file.seek(0)
        head = file.read(12)
        file.seek(0)
        from PIL import Image

        ok = any(head.startswith(sig) for sig in PHOTO_SIGNATURES[ext])
        if ext == ".webp":
            ok = ok and head[8:12] == b"WEBP"
        if ok:
            with Image.open(file) as image:
                image.verify()
        file.seek(0)
    except Exception:  # noqa: BLE001 - any failure to read the image means it is not one
        ok = False
    if not ok:
        raise ValidationError(
            _("“%(name)s” is not a readable image; it may be damaged or renamed."),
            code="photo_content",
            params={"name": name},
        )


def _photo_path(instance: InspectionPhoto, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    stamp = timezone.now()
    return f"inspections/{stamp:%Y/%m}/{instance.inspection_id}-{stamp:%H%M%S%f}{ext}"


class InspectionPhoto(models.Model):
    """A photo taken during an inspection. Served through ``assessments:photo`` (scope check),
    never straight from /media/."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="photos", verbose_name=_("inspection")
    )
    file = models.FileField(_("file"), upload_to=_photo_path, validators=[validate_photo])
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["inspection", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        ext = os.path.splitext(self.original_name)[1].lower()
        return PHOTO_CONTENT_TYPES.get(ext, "application/octet-stream")


class InspectionHistory(models.Model):
    """Who changed an inspection's status, when, from what to what."""

    class Action(models.TextChoices):
        CREATE = "create", _("Recorded as draft")
        SUBMIT = "submit", _("Submitted")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="history", verbose_name=_("inspection")
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=12, choices=Inspection.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Inspection.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("inspection history")
        verbose_name_plural = _("inspection history")
        ordering = ["inspection", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.from_status or '—'} → {self.to_status}"


# ---------------------------------------------------------------------------------------------
# Quarterly inspection report (PDF)
# ---------------------------------------------------------------------------------------------


def _report_path(instance: QuarterlyReport, filename: str) -> str:
    return (
        f"quarterly-reports/{instance.year}Q{instance.quarter}/"
        f"{instance.organization.code}-{instance.campaign_id}.pdf"
    )


class QuarterlyReport(models.Model):
    """The quarterly inspection report (季度督导检查报告) of a committee, as a PDF rendered by the
    worker. One per campaign, committee and quarter: regenerating replaces the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="quarterly_reports",
        verbose_name=_("campaign"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="quarterly_reports",
        verbose_name=_("committee"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to=_report_path, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    render_seconds = models.FloatField(_("rendering time (s)"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)

    class Meta:
        verbose_name = _("quarterly inspection report")
        verbose_name_plural = _("quarterly inspection reports")
        ordering = ["-year", "-quarter", "organization__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization", "year", "quarter"],
                name="one_quarterly_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {quarter_label(self.year, self.quarter)}"

    @property
    def quarter_label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def title(self) -> str:
        return _("Quarterly inspection report of %(org)s, %(quarter)s") % {
            "org": self.organization.name,
            "quarter": self.quarter_label,
        }
