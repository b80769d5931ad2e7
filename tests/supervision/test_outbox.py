"""The outbox: work queued by a request survives a broker outage and runs once it is back."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from django.utils import timezone

from campaigns import outbox
from campaigns.models import OutboxTask
from config.celery import app

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@contextlib.contextmanager
def broker_at(url: str):
    """Point the Celery app at another broker (dropping its cached connection pools)."""
    keys = ("broker_url", "broker_write_url", "broker_read_url")
    saved = {key: app.conf[key] for key in keys}

    def reset() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(dict.fromkeys(keys, url))
    reset()
    try:
        yield
    finally:
        app.conf.update(saved)
        reset()


def age(row: OutboxTask) -> None:
    """Make a row old enough for the flush (which leaves fresh rows to their own publish)."""
    OutboxTask.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - outbox.FLUSH_GRACE - datetime.timedelta(seconds=1)
    )


@pytest.fixture(autouse=True)
def broker_state_forgotten():
    from django.core.cache import cache

    cache.delete(outbox.BROKER_DOWN_KEY)
    yield
    cache.delete(outbox.BROKER_DOWN_KEY)


@pytest.mark.django_db
def test_broker_down_leaves_the_work_in_the_outbox(django_capture_on_commit_callbacks):
    with broker_at(DEAD_BROKER):
        with django_capture_on_commit_callbacks(execute=True):
            row = outbox.enqueue("campaigns.flush_outbox")
        row.refresh_from_db()
        assert row.sent_at is None
        assert row.attempts == 1
        assert row.last_error
        # The next request does not wait on the broker again for a while: its row just waits.
        with django_capture_on_commit_callbacks(execute=True):
            second = outbox.enqueue("campaigns.flush_outbox")
        second.refresh_from_db()
        assert (second.sent_at, second.attempts) == (None, 0)
        age(row)
        age(second)
        assert outbox.flush() == 0  # still down: nothing sent, nothing lost
        assert outbox.pending_count() == 2
    # The broker is back: the next flush sends both.
    assert outbox.flush() == 2
    assert outbox.pending_count() == 0


@pytest.mark.django_db
def test_nothing_is_published_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue("campaigns.flush_outbox")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert OutboxTask.objects.count() == 0


@pytest.mark.django_db
def test_the_schedule_is_installed_once_and_admin_changes_survive():
    from django_celery_beat.models import PeriodicTask

    from config.schedule import SCHEDULE, install_schedule

    tasks = {task.name: task for task in PeriodicTask.objects.all()}
    assert set(SCHEDULE) <= set(tasks)  # installed by migrate (post_migrate)
    digest = tasks["Daily e-mail digest"]
    assert digest.crontab.hour == "7"
    # The office switches a job off and moves it; a deploy (migrate again) keeps that.
    digest.enabled = False
    digest.save()
    assert install_schedule() == 0
    digest.refresh_from_db()
    assert digest.enabled is False


@pytest.mark.django_db
def test_a_failing_sweep_does_not_stop_the_others(world, caplog):
    from django.utils.translation import gettext_lazy

    from campaigns import inbox

    kind = inbox.register("test_sweep_kind", gettext_lazy("Test"))
    user = world.users["secretary_a"]

    def broken(*, today):
        raise RuntimeError("table missing")
        yield  # pragma: no cover

    def working(*, today):
        yield inbox.Notice(recipient_id=user.pk, kind=kind, key=f"sweep-test:{today}")

    saved = dict(inbox.SWEEPS)
    try:
        inbox.SWEEPS.clear()
        inbox.SWEEPS.update({"broken": broken, "working": working})
        assert inbox.run_sweeps() == {"broken": -1, "working": 1}
    finally:
        inbox.SWEEPS.clear()
        inbox.SWEEPS.update(saved)
    assert "Reminder sweep broken failed" in caplog.text


@pytest.mark.django_db
def test_the_office_switches_a_periodic_job_off_in_the_admin(world, client_as):
    from django.urls import reverse
    from django_celery_beat.models import PeriodicTask

    office = world.users["office"]
    office.is_staff = True
    office.save(update_fields=["is_staff"])
    task = PeriodicTask.objects.get(name="Daily e-mail digest")
    client = client_as("office")
    assert (
        client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200
    )
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data.update(
        {
            "name": task.name,
            "regtask": task.task,
            "task": task.task,
            "crontab": task.crontab_id,
            "args": "[]",
            "kwargs": "{}",
            "enabled": "",  # unticked
            "queue": "",
            "exchange": "",
            "routing_key": "",
            "headers": "{}",
            "priority": "",
            "expires": "",
            "expire_seconds": "",
            "description": "",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    task.refresh_from_db()
    assert task.enabled is False
    # A secretary without staff status never reaches the schedule.
    assert client_as("secretary_a").get(url).status_code == 302
    # The office may not delete jobs.
    delete = reverse("admin:django_celery_beat_periodictask_delete", args=[task.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PeriodicTask.objects.filter(pk=task.pk).exists()
