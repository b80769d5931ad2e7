"""Ledger export jobs: the services and selectors behind "my exports".

A ledger with more rows than ``settings.EXPORT_ASYNC_THRESHOLD`` is written by the worker:
:func:`export_job_create` records an :class:`ExportJob` and queues ``reports.run_export`` through
the outbox; :func:`export_job_run` (the task's body) writes the file and records progress every
chunk; :func:`purge_expired_exports` (beat) deletes files past their expiry. Only the job's owner
ever reaches a job (:func:`access_export_job_by_id`: 404 for anyone else, as for a missing one).
"""

from __future__ import annotations

import datetime
import logging
import os
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone, translation

from campaigns.outbox import enqueue
from reports.exporters import EXPORTERS, exporter_for
from reports.models.ledgers import ExportJob, export_lifetime

logger = logging.getLogger(__name__)

DEFAULT_ASYNC_THRESHOLD = 5000
# A job left "running" longer than this died with its worker; running it again is safe.
STALE_AFTER = datetime.timedelta(hours=1)
ERROR_CHARS = 500


def async_threshold() -> int:
    return int(getattr(settings, "EXPORT_ASYNC_THRESHOLD", DEFAULT_ASYNC_THRESHOLD))


def clean_filters(params: QueryDict) -> str:
    """The list page's query string without its page number: what a job re-parses."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------


def export_jobs_of(*, user) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-id")


def access_export_job_by_id(*, user, job_id: int) -> ExportJob:
    """The user's own job, or 404 (someone else's job is as missing as a deleted one)."""
    job = ExportJob.objects.filter(pk=job_id, user=user).first() if user.is_authenticated else None
    if job is None:
        raise Http404
    return job


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def export_job_create(
    *, user, kind: str, filters: str, row_count: int = 0, description: str = ""
) -> ExportJob:
    """Queue an export of ``kind`` with ``filters`` for ``user``. The same export already queued
    or running for the user is returned instead of a second one (a double click, a reload)."""
    exporter_for(kind)  # KeyError for an unknown ledger
    with transaction.atomic():
        existing = (
            ExportJob.objects.select_for_update()
            .filter(user=user, kind=kind, filters=filters, status__in=ExportJob.ACTIVE_STATUSES)
            .exclude(_stale_q(timezone.now()))
            .first()
        )
        if existing is not None:
            return existing
        job = ExportJob.objects.create(
            user=user,
            kind=kind,
            filters=filters,
            row_count=row_count,
            description=description,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        enqueue("reports.run_export", job.pk)
    return job


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's ledger to a file (the worker's side). Safe to run twice: only a queued
    job (or one whose worker died while running it) is claimed; a finished job is left alone.
    A failure is recorded on the job, never raised."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(
        Q(status=ExportJob.Status.QUEUED)
        | Q(status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER),
        pk=job_id,
    ).update(status=ExportJob.Status.RUNNING, started_at=now, rows_done=0, error="")
    if not claimed:
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _write_job_file(job)
    except Exception as exc:  # noqa: BLE001 - any failure is shown to the user on the job
        logger.exception("Export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS],
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _write_job_file(job: ExportJob) -> None:
    user = job.user
    if not user.is_active:
        raise PermissionError("the user who asked for this export is no longer active")
    exporter = EXPORTERS[job.kind](user=user, params=QueryDict(job.filters))
    row_count = exporter.count()
    ExportJob.objects.filter(pk=job.pk).update(row_count=row_count)

    def progress(rows_done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        written = exporter.write(path, progress=progress)
        size = os.path.getsize(path)
        with open(path, "rb") as source:
            job.file.save(exporter.filename(), File(source), save=False)
    finally:
        os.unlink(path)
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=job.file.name,
        size=size,
        row_count=written,
        rows_done=written,
        finished_at=finished,
        expires_at=finished + export_lifetime(),
    )


# A job still queued this long after it was requested lost its message (or waits behind a
# broker outage that long): it is failed rather than left to poll for ever.
QUEUED_STALE_AFTER = datetime.timedelta(hours=6)


def _stale_q(now: datetime.datetime) -> Q:
    return Q(status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER) | Q(
        status=ExportJob.Status.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER
    )


def fail_stuck_exports(*, now: datetime.datetime | None = None) -> int:
    """Mark jobs whose worker died (running past ``STALE_AFTER``) or whose message was lost
    (queued past ``QUEUED_STALE_AFTER``) as failed, so "my exports" stops waiting for them and
    the same ledger can be exported again."""
    now = now or timezone.now()
    return ExportJob.objects.filter(_stale_q(now)).update(
        status=ExportJob.Status.FAILED,
        error=translation.gettext("The export stopped before it was finished. Export it again."),
        finished_at=now,
    )


def purge_expired_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of finished jobs past their expiry; the jobs stay, shown as expired.
    Returns the number of files deleted."""
    now = now or timezone.now()
    deleted = 0
    expired = ExportJob.objects.filter(expires_at__lte=now).exclude(file="")
    for job in expired.iterator():
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted
