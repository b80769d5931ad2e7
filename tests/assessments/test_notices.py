"""Reminder sweeps of the assessments app: inspectors about organisations not yet inspected in
the current quarter (from 30 days before its end, once per quarter, organisation and group), and
secretaries about rectification deadlines (due within 7 days, overdue), each once."""

from __future__ import annotations

import datetime

from campaigns import inbox
from campaigns.models import Notification
from tests.conftest import World


def run(name: str, day: datetime.date) -> int:
    """Run one sweep; how many notifications it added (counted in the table: the clock is
    frozen in some tests, which confuses deliver()'s own count)."""
    before = Notification.objects.count()
    inbox.run_sweeps(today=day, only=[name])
    return Notification.objects.count() - before


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("key", flat=True))


def test_inspectors_reminded_once_of_organisations_not_inspected(
    world: World, items, other_group, other_inspector
) -> None:
    # 2024 Q3 ends on 30 September: nothing before 31 August.
    assert run("inspections_due", datetime.date(2024, 8, 20)) == 0
    day = datetime.date(2024, 9, 5)
    assert run("inspections_due", day) == 2
    group, other = world.inspection_group.pk, other_group.pk
    assert kinds(world.users["inspector"]) == [
        f"inspection-due:2024Q3:g{group}:o{world.committee_a.pk}"
    ]
    assert kinds(other_inspector) == [f"inspection-due:2024Q3:g{other}:o{world.committee_c.pk}"]
    # Nobody else hears of it.
    assert Notification.objects.count() == 2
    # Once: the next runs of the quarter deliver nothing new.
    assert run("inspections_due", day) == 0
    assert run("inspections_due", datetime.date(2024, 9, 29)) == 0
    text = inbox.render(Notification.objects.get(recipient=world.users["inspector"]))
    assert "甲镇党委" in text and "第一督导检查组" in text


def test_submitted_organisations_are_not_reminded(world: World, items, record, other_group) -> None:
    record(submit=True)
    run("inspections_due", datetime.date(2024, 9, 21))
    assert kinds(world.users["inspector"]) == []
    assert Notification.objects.filter(kind="inspection_due").count() == 1  # TWN-C only


def test_inspectors_of_an_inactive_login_are_skipped(
    world: World, items, other_group, other_inspector
) -> None:
    other_inspector.is_active = False
    other_inspector.save()
    run("inspections_due", datetime.date(2024, 9, 21))
    assert not Notification.objects.filter(recipient=other_inspector).exists()


def test_rectification_deadlines_remind_the_secretary_once_each(
    world: World, items, record
) -> None:
    inspection = record(submit=True)  # rectification due 2024-09-25
    superior = world.users["superior"]
    assert run("rectification_deadlines", datetime.date(2024, 9, 10)) == 0
    assert run("rectification_deadlines", datetime.date(2024, 9, 18)) == 1
    assert run("rectification_deadlines", datetime.date(2024, 9, 19)) == 0
    assert run("rectification_deadlines", datetime.date(2024, 9, 26)) == 1
    assert run("rectification_deadlines", datetime.date(2024, 9, 30)) == 0
    rows = Notification.objects.filter(recipient=superior).order_by("created_at", "id")
    assert [n.kind for n in rows] == ["rectification_due", "rectification_overdue"]
    assert all(n.url == f"/assessments/inspections/{inspection.pk}/" for n in rows)
    # Only the inspected organisation's secretary: not the branch secretaries below it.
    assert Notification.objects.count() == 2
    # Checked off: no more reminders.
    inspection.rectifications.update(done_at=datetime.datetime(2024, 9, 27, tzinfo=datetime.UTC))
    Notification.objects.all().delete()
    assert run("rectification_deadlines", datetime.date(2024, 10, 1)) == 0
