"""The pledge cycle (定诺 → 审诺 → 亮诺 → 践诺 → 评诺): pledges, their fulfilment journal, evaluation,
adjustments and the history of every change.

Status changes never happen here: they go through :func:`pledges.workflow.transition`, which
locks the row, checks the actor against the one ``TRANSITIONS`` table and writes the
:class:`PledgeHistory` row. Scope is decided by :meth:`PledgeQuerySet.visible_to`.
"""

from __future__ import annotations

import datetime
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns import scope
from campaigns.models import Campaign, Member, Organization

# ---------------------------------------------------------------------------------------------
# Attachments of journal entries
# ---------------------------------------------------------------------------------------------

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# Extension → a test on the first bytes. The extension alone is whatever the uploader typed, so
# the header is checked too: a renamed executable must not reach a public page as “photo.jpg”.
_ZIP = (b"PK\x03\x04",)
ATTACHMENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".webp": (b"RIFF",),  # followed by a size and "WEBP", checked below
    ".pdf": (b"%PDF-",),
    ".docx": _ZIP,
    ".xlsx": _ZIP,
}


def validate_attachment(file) -> None:
    """A journal attachment: a photo (jpg, png, webp) or a document (pdf, docx, xlsx) of at most
    10 MB whose first bytes match its extension."""
    name = getattr(file, "name", "") or ""
    ext = os.path.splitext(name)[1].lower()
    if ext not in ATTACHMENT_SIGNATURES:
        raise ValidationError(
            _(
                "“%(name)s” is not an accepted file type. Upload a JPG, PNG or WebP photo, or a "
                "PDF, Word (docx) or Excel (xlsx) document."
            ),
            code="attachment_type",
            params={"name": os.path.basename(name)},
        )
    size = getattr(file, "size", None)
    if size is not None and size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a file may be at most %(max)s."),
            code="attachment_size",
            params={
                "name": os.path.basename(name),
                "size": filesizeformat(size),
                "max": filesizeformat(ATTACHMENT_MAX_BYTES),
            },
        )
    head = _read_head(file, 12)
    if head is None:
        return  # nothing readable (e.g. a stored file that is gone): type already checked by name
    ok = any(head.startswith(sig) for sig in ATTACHMENT_SIGNATURES[ext])
    if ext == ".webp":
        ok = ok and head[8:12] == b"WEBP"
    if not ok:
        raise ValidationError(
            _("“%(name)s” does not contain what its name says; it may be damaged or renamed."),
            code="attachment_content",
            params={"name": os.path.basename(name)},
        )


def _read_head(file, length: int) -> bytes | None:
    """The first bytes of an upload, leaving its position where it was."""
    try:
        position = file.tell()
        file.seek(0)
        head = file.read(length)
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return head if isinstance(head, bytes) else None


def validate_not_in_future(value: datetime.date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future_date")


# ---------------------------------------------------------------------------------------------
# Per-campaign settings: return reasons and evaluation weights
# ---------------------------------------------------------------------------------------------


class ReturnReason(models.Model):
    """A reason a reviewer can tick when returning a pledge for revision (退回修改)."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="return_reasons",
        verbose_name=_("campaign"),
    )
    text = models.CharField(_("reason"), max_length=80)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("return reason")
        verbose_name_plural = _("return reasons")
        ordering = ["campaign", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "text"], name="unique_return_reason_text")
        ]

    def __str__(self) -> str:
        return self.text


class EvaluationPolicy(models.Model):
    """How a campaign turns the evaluation inputs into a suggested grade.

    Score = weighted mean of the self-report score (present 100, absent 0), the democratic
    appraisal score and the public satisfaction rate; an input without data drops out and the
    remaining weights are scaled up to 100. Score ≥ ``threshold_good`` → 好, and so on; below
    ``threshold_average`` → 差.
    """

    campaign = models.OneToOneField(
        Campaign,
        on_delete=models.CASCADE,
        related_name="evaluation_policy",
        verbose_name=_("campaign"),
    )
    weight_self_report = models.PositiveSmallIntegerField(
        _("weight of the self-report"), default=30
    )
    weight_appraisal = models.PositiveSmallIntegerField(
        _("weight of the democratic appraisal"), default=40
    )
    weight_satisfaction = models.PositiveSmallIntegerField(
        _("weight of public satisfaction"), default=30
    )
    threshold_good = models.PositiveSmallIntegerField(
        _("lowest score for “good”"), default=90, validators=[MaxValueValidator(100)]
    )
    threshold_fairly_good = models.PositiveSmallIntegerField(
        _("lowest score for “fairly good”"), default=75, validators=[MaxValueValidator(100)]
    )
    threshold_average = models.PositiveSmallIntegerField(
        _("lowest score for “average”"), default=60, validators=[MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("evaluation policy")
        verbose_name_plural = _("evaluation policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weight_self_report=100 - F("weight_appraisal") - F("weight_satisfaction")
                ),
                name="evaluation_weights_sum_to_100",
                violation_error_message=_("The three weights must add up to 100."),
            ),
            models.CheckConstraint(
                condition=Q(threshold_good__lte=100)
                & Q(threshold_good__gt=F("threshold_fairly_good"))
                & Q(threshold_fairly_good__gt=F("threshold_average")),
                name="evaluation_thresholds_descending",
                violation_error_message=_(
                    "Thresholds must fall from “good” to “fairly good” to “average”, at most 100."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.weight_self_report}/{self.weight_appraisal}/{self.weight_satisfaction}"


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------


class PledgeQuerySet(models.QuerySet):
    def visible_to(self, user) -> PledgeQuerySet:
        """Pledges of organisations in the user's subtrees, plus the user's own member pledges."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            # subtree_q() is an empty Q for superusers, and ``Q() | x`` is just ``x``.
            return self.all()
        in_scope = Q(
            organization_id__in=Organization.objects.filter(scope.subtree_q(user, "path")).values(
                "id"
            )
        )
        # The user's own member pledges usually lie inside their scope already. Any OR with
        # the scope filter makes PostgreSQL scan every pledge (0.2 s at city scale), so only
        # the few own pledges outside the scope are added, by primary key.
        outside = list(
            Pledge.objects.filter(owner_member__user=user)
            .exclude(in_scope)
            .values_list("pk", flat=True)
        )
        return self.filter(in_scope | Q(pk__in=outside)) if outside else self.filter(in_scope)

    def published(self) -> PledgeQuerySet:
        """What the public board shows: published, fulfilled and evaluated pledges, and pledges
        withdrawn after they had been published (shown as withdrawn)."""
        return self.filter(
            Q(status__in=Pledge.PUBLIC_STATUSES)
            | Q(status=Pledge.Status.WITHDRAWN, published_at__isnull=False)
        )

    def overdue(self, today: datetime.date | None = None) -> PledgeQuerySet:
        """Published, past the deadline and not fulfilled. Derived, never stored, so never stale."""
        today = today or timezone.localdate()
        return self.filter(status=Pledge.Status.PUBLISHED, deadline__lt=today)

    def of_member(self, member: Member) -> PledgeQuerySet:
        return self.filter(owner_member=member)

    def of_organization(self, org: Organization) -> PledgeQuerySet:
        return self.filter(owner_organization=org)


class Pledge(models.Model):
    """A public pledge (公开承诺) by a member or by an organisation, within one campaign."""

    class Kind(models.TextChoices):
        WORK = "work", _("Work pledge")
        DEED = "deed", _("Practical deed")
        RECTIFY = "rectify", _("Rectification")

    class Term(models.TextChoices):
        LONG = "long", _("Long-term")
        ANNUAL = "annual", _("Annual")
        IMMEDIATE = "immediate", _("Immediate")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting review")
        RETURNED = "returned", _("Returned for revision")
        APPROVED = "approved", _("Approved and filed")
        PUBLISHED = "published", _("Published")
        FULFILLED = "fulfilled", _("Fulfilled")
        EVALUATED = "evaluated", _("Evaluated")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Grade(models.TextChoices):
        GOOD = "good", _("Good")
        FAIRLY_GOOD = "fairly_good", _("Fairly good")
        AVERAGE = "average", _("Average")
        POOR = "poor", _("Poor")

    PUBLIC_STATUSES = (Status.PUBLISHED, Status.FULFILLED, Status.EVALUATED)
    # The fields an author writes; snapshotted in every history row (the reviewer's diff).
    CONTENT_FIELDS = ("kind", "term", "content", "deadline", "expected_effect", "measures")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("campaign")
    )
    owner_member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=_("member"),
    )
    owner_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_pledges",
        verbose_name=_("organisation pledging"),
    )
    # The organisation the pledge belongs to for scope: the member's branch at creation (a later
    # transfer does not move the pledge), or the owning organisation.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=_("organisation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_pledges",
        verbose_name=_("written by"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    term = models.CharField(_("term"), max_length=12, choices=Term.choices)
    # The pledge number people quote and spreadsheets match on (承诺编号), unique in its campaign:
    # "CN-<organisation code>-<sequence>". Given on the first save (see ``save``).
    reference = models.CharField(
        _("pledge number"),
        max_length=48,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    content = models.TextField(_("what will be done"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    expected_effect = models.TextField(_("expected effect"), blank=True)
    measures = models.TextField(
        _("measures"), blank=True, help_text=_("Required for a rectification pledge.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    grade = models.CharField(
        _("grade"), max_length=12, choices=Grade.choices, blank=True, editable=False
    )
    withdrawal_reason = models.CharField(
        _("reason for withdrawal"), max_length=200, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="pledge_campaign_status"),
            models.Index(fields=["status", "deadline"], name="pledge_status_deadline"),
            # Lists sort by deadline or by newest first and show one page: with these the
            # database walks the index instead of sorting half a million rows.
            models.Index(fields=["deadline", "id"], name="pledge_deadline_id"),
            models.Index(fields=["-created_at", "-id"], name="pledge_created_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(owner_member__isnull=False, owner_organization__isnull=True)
                    | Q(owner_member__isnull=True, owner_organization__isnull=False)
                ),
                name="pledge_exactly_one_owner",
                violation_error_message=_("A pledge belongs to a member or to an organisation."),
            ),
            models.CheckConstraint(
                condition=~Q(status="evaluated") | ~Q(grade=""),
                name="pledge_evaluated_has_grade",
            ),
            # Rows written by raw bulk loaders get "" until ``fill_missing_references`` runs.
            models.UniqueConstraint(
                fields=["campaign", "reference"],
                condition=~Q(reference=""),
                name="pledge_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        text = self.content if len(self.content) <= 40 else self.content[:39] + "…"
        return f"{self.owner_name}：{text}"

    def save(self, *args, **kwargs) -> None:
        # Every way a pledge comes into being (services, import, admin, tests) gets its number
        # here, so no pledge is ever without one.
        if not self.reference and self.campaign_id and self.organization_id:
            from django.db import transaction

            # The organisation's row stays locked until the pledge is inserted.
            with transaction.atomic():
                self.reference = next_reference(
                    campaign_id=self.campaign_id, organization_id=self.organization_id
                )
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "reference"}
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)

    @property
    def is_member_pledge(self) -> bool:
        return self.owner_member_id is not None

    @property
    def owner(self) -> Member | Organization:
        return self.owner_member if self.owner_member_id else self.owner_organization

    @property
    def owner_name(self) -> str:
        owner = self.owner
        return str(owner) if owner is not None else ""

    @property
    def is_overdue(self) -> bool:
        """Published, past its deadline and not fulfilled (same rule as ``overdue()``)."""
        return (
            self.status == self.Status.PUBLISHED
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES or (
            self.status == self.Status.WITHDRAWN and self.published_at is not None
        )

    def content_snapshot(self) -> dict[str, str]:
        """The editable content as JSON-ready strings, for history rows and diffs."""
        snapshot: dict[str, str] = {}
        for name in self.CONTENT_FIELDS:
            value = getattr(self, name)
            snapshot[name] = (
                value.isoformat() if isinstance(value, datetime.date) else (value or "")
            )
        return snapshot

    def clean(self) -> None:
        if self.kind == self.Kind.RECTIFY and not (self.measures or "").strip():
            raise ValidationError({"measures": _("A rectification pledge needs its measures.")})


REFERENCE_PREFIX = "CN"


def reference_prefix(org_code: str) -> str:
    return f"{REFERENCE_PREFIX}-{org_code}-"


def format_reference(org_code: str, seq: int) -> str:
    return f"{reference_prefix(org_code)}{seq:04d}"


def reference_seq(reference: str, prefix: str) -> int:
    """The sequence number of ``reference`` if it has ``prefix`` (0 otherwise)."""
    if not reference.startswith(prefix):
        return 0
    tail = reference[len(prefix) :]
    return int(tail) if tail.isdigit() else 0


def next_reference(*, campaign_id: int, organization_id: int) -> str:
    """The next free pledge number of an organisation in a campaign. The organisation's row is
    locked so that two pledges created at once do not get the same number (the unique
    constraint would refuse the second)."""
    org_code = (
        Organization.objects.select_for_update()
        .filter(pk=organization_id)
        .values_list("code", flat=True)
        .get()
    )
    prefix = reference_prefix(org_code)
    # The organisation's own pledges (its foreign-key index: a few dozen rows); a prefix
    # LIKE over the campaign would scan half a million rows at city scale.
    taken = Pledge.objects.filter(
        campaign_id=campaign_id, organization_id=organization_id, reference__startswith=prefix
    )
    last = max(
        (reference_seq(ref, prefix) for ref in taken.values_list("reference", flat=True)), default=0
    )
    return format_reference(org_code, last + 1)


def fill_missing_references(using: str = "default") -> int:
    """Number every pledge that has no number yet (rows written by raw bulk loaders such as the
    demo seeding), per campaign and organisation in order of creation, after the highest number
    already given. Returns how many pledges were numbered."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FILL_REFERENCES_SQL)
            return cursor.rowcount
    # Elsewhere (SQLite, the embedded demo): in Python, a few thousand rows at most.
    missing = list(
        Pledge.objects.using(using)
        .filter(reference="")
        .select_related("organization")
        .order_by("created_at", "id")
    )
    next_seq: dict[tuple[int, int], int] = {}
    for pledge in missing:
        key = (pledge.campaign_id, pledge.organization_id)
        if key not in next_seq:
            prefix = reference_prefix(pledge.organization.code)
            refs = Pledge.objects.using(using).filter(
                campaign_id=pledge.campaign_id, reference__startswith=prefix
            )
            next_seq[key] = max(
                (reference_seq(r, prefix) for r in refs.values_list("reference", flat=True)),
                default=0,
            )
        next_seq[key] += 1
        pledge.reference = format_reference(pledge.organization.code, next_seq[key])
    Pledge.objects.using(using).bulk_update(missing, ["reference"], batch_size=1000)
    return len(missing)


# One statement for PostgreSQL (560,000 pledges in seconds). The sequence continues after the
# highest number the organisation already has in the campaign.
FILL_REFERENCES_SQL = """
UPDATE pledges_pledge AS p
SET reference = 'CN-' || o.code || '-' || lpad((r.n + COALESCE(m.top, 0))::text, 4, '0')
FROM (
    SELECT id, campaign_id, organization_id,
           row_number() OVER (PARTITION BY campaign_id, organization_id ORDER BY created_at, id) AS n
    FROM pledges_pledge WHERE reference = ''
) AS r
JOIN campaigns_organization AS o ON o.id = r.organization_id
LEFT JOIN (
    SELECT q.campaign_id, q.organization_id,
           max(substring(q.reference FROM '([0-9]+)$')::int) AS top
    FROM pledges_pledge AS q
    JOIN campaigns_organization AS qo ON qo.id = q.organization_id
    WHERE q.reference LIKE 'CN-' || qo.code || '-%%'
    GROUP BY q.campaign_id, q.organization_id
) AS m ON m.campaign_id = r.campaign_id AND m.organization_id = r.organization_id
WHERE p.id = r.id
"""


class FulfilmentEntry(models.Model):
    """A dated record in the fulfilment journal (履诺记实)."""

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="entries", verbose_name=_("pledge")
    )
    date = models.DateField(_("date"), validators=[validate_not_in_future])
    text = models.TextField(_("what was done"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("fulfilment record")
        verbose_name_plural = _("fulfilment records")
        ordering = ["pledge", "date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="entry_progress_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} · {self.progress}%"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The pledge id keeps one pledge's files together; the storage adds a suffix on collisions.
    return f"pledges/{instance.entry.pledge_id}/{filename}"


class Attachment(models.Model):
    """A photo or document attached to a journal entry, stored through Django's storage API."""

    entry = models.ForeignKey(
        FulfilmentEntry,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("fulfilment record"),
    )
    file = models.FileField(
        _("file"), upload_to=_attachment_path, max_length=255, validators=[validate_attachment]
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return os.path.splitext(self.original_name)[1].lower() in (".jpg", ".jpeg", ".png", ".webp")


class Evaluation(models.Model):
    """The inputs and result of 评诺 for one pledge.

    Public satisfaction is not stored: it is computed from moderated feedback
    (``pledges.selectors.public_satisfaction``).
    """

    pledge = models.OneToOneField(
        Pledge, on_delete=models.CASCADE, related_name="evaluation", verbose_name=_("pledge")
    )
    self_report = models.TextField(_("self-report"), blank=True)
    self_report_at = models.DateTimeField(_("self-report written"), null=True, blank=True)
    votes_good = models.PositiveIntegerField(_("votes “good”"), default=0)
    votes_fairly_good = models.PositiveIntegerField(_("votes “fairly good”"), default=0)
    votes_average = models.PositiveIntegerField(_("votes “average”"), default=0)
    votes_poor = models.PositiveIntegerField(_("votes “poor”"), default=0)
    suggested_grade = models.CharField(
        _("suggested grade"), max_length=12, choices=Pledge.Grade.choices, blank=True
    )
    final_grade = models.CharField(
        _("grade"), max_length=12, choices=Pledge.Grade.choices, blank=True
    )
    override_justification = models.TextField(
        _("reason for differing from the suggestion"), blank=True
    )
    improvement_deadline = models.DateField(_("improve by"), null=True, blank=True)
    publicity_start = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_end = models.DateField(_("publicity until"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(final_grade="poor") | Q(improvement_deadline__isnull=False),
                name="evaluation_poor_needs_deadline",
                violation_error_message=_("A “poor” grade needs an improvement deadline."),
            ),
            models.CheckConstraint(
                condition=Q(publicity_start__isnull=True)
                | Q(publicity_end__isnull=True)
                | Q(publicity_end__gte=F("publicity_start")),
                name="evaluation_publicity_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pledge)

    @property
    def has_self_report(self) -> bool:
        return bool(self.self_report.strip())

    @property
    def total_votes(self) -> int:
        return self.votes_good + self.votes_fairly_good + self.votes_average + self.votes_poor


class PledgeAdjustment(models.Model):
    """A request to change a published pledge (调诺). The published text stays until approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("pledge")
    )
    content = models.TextField(_("what will be done"))
    deadline = models.DateField(_("deadline"))
    expected_effect = models.TextField(_("expected effect"))
    measures = models.TextField(_("measures"), blank=True)
    reason = models.TextField(_("reason for the change"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("pledge adjustment")
        verbose_name_plural = _("pledge adjustments")
        ordering = ["pledge", "-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge"],
                condition=Q(status="pending"),
                name="one_pending_adjustment_per_pledge",
                violation_error_message=_("This pledge already has an adjustment awaiting review."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.pledge} · {self.get_status_display()}"

    def content_snapshot(self) -> dict[str, str]:
        return {
            "content": self.content,
            "deadline": self.deadline.isoformat() if self.deadline else "",
            "expected_effect": self.expected_effect,
            "measures": self.measures,
        }


class PledgeHistory(models.Model):
    """One row per action on a pledge: who, when, from which state to which, why.

    ``snapshot`` holds the pledge's content after the action, so a reviewer can see what changed
    since the pledge was returned.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        EDIT = "edit", _("Edit")
        SUBMIT = "submit", _("Submit")
        RECALL = "recall", _("Recall")
        APPROVE = "approve", _("Approve")
        RETURN = "return", _("Return for revision")
        RESUBMIT = "resubmit", _("Resubmit")
        PUBLISH = "publish", _("Publish")
        ADD_ENTRY = "add_entry", _("Add a fulfilment record")
        REQUEST_ADJUSTMENT = "request_adjustment", _("Request an adjustment")
        APPROVE_ADJUSTMENT = "approve_adjustment", _("Approve the adjustment")
        RETURN_ADJUSTMENT = "return_adjustment", _("Return the adjustment")
        MARK_FULFILLED = "mark_fulfilled", _("Mark fulfilled")
        RECORD_SELF_REPORT = "record_self_report", _("Record the self-report")
        RECORD_APPRAISAL = "record_appraisal", _("Record the democratic appraisal")
        EVALUATE = "evaluate", _("Confirm the grade")
        WITHDRAW = "withdraw", _("Withdraw")

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="history", verbose_name=_("pledge")
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=12, choices=Pledge.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Pledge.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    reasons = models.ManyToManyField(
        ReturnReason, blank=True, related_name="+", verbose_name=_("reasons")
    )
    comment = models.TextField(_("comment"), blank=True)
    snapshot = models.JSONField(_("content at that moment"), default=dict, blank=True)
    adjustment = models.ForeignKey(
        PledgeAdjustment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("adjustment"),
    )

    class Meta:
        verbose_name = _("pledge history")
        verbose_name_plural = _("pledge history")
        ordering = ["pledge", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.pledge_id} · {self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def changes_state(self) -> bool:
        return self.from_status != self.to_status


# ---------------------------------------------------------------------------------------------
# Public feedback (群众满意度)
# ---------------------------------------------------------------------------------------------


class FeedbackQuerySet(models.QuerySet):
    def moderatable_by(self, user) -> FeedbackQuerySet:
        """Feedback on pledges of organisations where the user holds a committee role (or one
        of their ancestors): the branch committee moderates, and the committees above it may."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        from campaigns.models import RoleAssignment

        return self.filter(
            scope.subtree_q(user, "pledge__organization__path", RoleAssignment.COMMITTEE_ROLES)
        )

    def with_comment(self) -> FeedbackQuerySet:
        return self.exclude(status=Feedback.Status.NO_COMMENT)

    def counted(self) -> FeedbackQuerySet:
        """The feedback that counts for public satisfaction: every rating except those whose
        comment a moderator rejected (see ``selectors.public_satisfaction``)."""
        return self.exclude(status=Feedback.Status.REJECTED)


class Feedback(models.Model):
    """A visitor's satisfaction rating of a published pledge, with an optional comment.

    The rating counts at once; the comment shows publicly only after the branch committee has
    approved it. The client is remembered only as a salted hash of its address and browser
    (``fingerprint``), for rate limiting; the raw IP address is never stored.
    """

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        FAIRLY_SATISFIED = "fairly_satisfied", _("Fairly satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    class Status(models.TextChoices):
        # Moderation concerns the comment; a rating alone has nothing to moderate.
        NO_COMMENT = "none", pgettext_lazy("feedback moderation", "No comment")
        PENDING = "pending", pgettext_lazy("feedback moderation", "Awaiting moderation")
        APPROVED = "approved", pgettext_lazy("feedback moderation", "Approved")
        REJECTED = "rejected", pgettext_lazy("feedback moderation", "Rejected")

    # Ratings counted as satisfied for the satisfaction rate (满意 + 基本满意).
    SATISFIED_RATINGS = (Rating.SATISFIED, Rating.FAIRLY_SATISFIED)
    COMMENT_MAX_LENGTH = 500

    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("pledge")
    )
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    status = models.CharField(
        _("moderation"), max_length=12, choices=Status.choices, default=Status.NO_COMMENT
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    fingerprint = models.CharField(_("client fingerprint"), max_length=64, editable=False)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("public feedback")
        verbose_name_plural = _("public feedback")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pledge", "status"], name="feedback_pledge_status"),
            models.Index(fields=["status", "created_at"], name="feedback_status_created"),
            models.Index(fields=["fingerprint", "created_at"], name="feedback_client_created"),
        ]
        constraints = [
            # A comment is moderated; a rating alone is not.
            models.CheckConstraint(
                condition=(Q(comment="") & Q(status="none"))
                | (~Q(comment="") & Q(status__in=["pending", "approved", "rejected"])),
                name="feedback_status_matches_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledge_id} · {self.get_rating_display()} · {self.created_at:%Y-%m-%d %H:%M}"
