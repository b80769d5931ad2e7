"""Models: ledgers (see reports/models/__init__.py).

An :class:`ExportJob` is a ledger export too large to write during a request (more rows than
``settings.EXPORT_ASYNC_THRESHOLD``): the worker writes the file (``reports.run_export``) and
records its progress here, so that the "my exports" page can show a live progress bar and, once
done, a download link until the file expires.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Files live this long after they are finished; ``reports.purge_expired_exports`` deletes them.
DEFAULT_EXPORT_LIFETIME = datetime.timedelta(hours=72)


def export_lifetime() -> datetime.timedelta:
    hours = getattr(settings, "EXPORT_FILE_LIFETIME_HOURS", None)
    return datetime.timedelta(hours=hours) if hours else DEFAULT_EXPORT_LIFETIME


def _export_path(instance: ExportJob, filename: str) -> str:
    # An unguessable name: the files are only ever served through the owner-checked view, but
    # nothing under MEDIA_ROOT should be found by counting.
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ExportJob(models.Model):
    """A ledger export run by the worker, owned by the user who asked for it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("ledger"), max_length=20)
    # The list page's query string (the same filters, parsed again by the worker).
    filters = models.TextField(_("filters"), blank=True)
    # The filters as people read them ("Status: Published; …"), shown on "my exports".
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=12, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=_export_path, max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportjob_user_created"),
            models.Index(fields=["expires_at"], name="exportjob_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.user} · {self.get_status_display()}"

    @property
    def ledger_name(self) -> str:
        from reports.exporters import EXPORTERS

        exporter = EXPORTERS.get(self.kind)
        return str(exporter.verbose_name) if exporter is not None else self.kind

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_expired(self) -> bool:
        """Finished and past its expiry (its file is then deleted, or about to be)."""
        return (
            self.status == self.Status.DONE
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and not self.is_expired and bool(self.file)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.row_count:
            return 0
        return min(100, self.rows_done * 100 // self.row_count)
