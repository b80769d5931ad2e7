"""Work queued by a web request runs in a real Celery worker (on the broker the settings name:
Redis in CI), and survives a broker outage: the request still succeeds, and the work runs once
the broker is back."""

from __future__ import annotations

import datetime

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import outbox
from campaigns.models import OutboxTask
from pledges.models import Pledge
from reports.models.ledgers import ExportJob
from tests.conftest import running_worker, wait_for
from tests.pledges.factories import PledgeFactory
from tests.supervision.test_outbox import DEAD_BROKER, broker_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pledges_of_branch_a(world):
    return [
        PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_a1,
            author=world.users["secretary_a"],
            status=Pledge.Status.PUBLISHED,
            content=f"为村里修建第{n}座便民桥",
        )
        for n in range(3)
    ]


def job_done(job_id: int) -> ExportJob | None:
    job = ExportJob.objects.get(pk=job_id)
    assert job.status != ExportJob.Status.FAILED, job.error
    return job if job.status == ExportJob.Status.DONE else None


def rows_of(job: ExportJob) -> list[tuple]:
    with job.file.open("rb") as handle:
        sheet = openpyxl.load_workbook(handle, read_only=True).active
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_an_export_queued_by_a_request_runs_in_the_worker(
    world, pledges_of_branch_a, client_as, celery_worker_thread
):
    response = client_as("secretary_a").post(reverse("reports:export_pledges"), {"filters": ""})
    assert response.status_code == 302
    job = ExportJob.objects.get(user=world.users["secretary_a"])
    assert OutboxTask.objects.get(task_name="reports.run_export").sent_at is not None

    job = wait_for(lambda: job_done(job.pk))
    cells = [str(value) for row in rows_of(job) for value in row if value is not None]
    for pledge in pledges_of_branch_a:
        assert pledge.content in cells
    assert job.rows_done == 3


def test_broker_down_the_request_succeeds_and_the_work_runs_when_it_is_back(
    world, pledges_of_branch_a, client_as, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.delete(outbox.BROKER_DOWN_KEY)
    with broker_at(DEAD_BROKER):
        response = client_as("secretary_a").post(reverse("reports:export_pledges"), {"filters": ""})
        assert response.status_code == 302  # the user is told it is being prepared
        page = client_as("secretary_a").get(response["Location"])
        assert page.status_code == 200
    job = ExportJob.objects.get(user=world.users["secretary_a"])
    assert job.status == ExportJob.Status.QUEUED
    row = OutboxTask.objects.get(task_name="reports.run_export")
    assert row.sent_at is None and row.last_error

    # The broker is back. Beat's flush (run here by hand, as beat would every minute) sends the
    # waiting work; a real worker runs it.
    OutboxTask.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - outbox.FLUSH_GRACE - datetime.timedelta(seconds=1)
    )
    cache.delete(outbox.BROKER_DOWN_KEY)
    with running_worker():
        assert outbox.flush() == 1
        job = wait_for(lambda: job_done(job.pk))
    assert len(rows_of(job)) > 3
    cache.delete(outbox.BROKER_DOWN_KEY)
