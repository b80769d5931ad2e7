"""``seed_demo``'s pledges (pledges/demo.py): every state, a history that agrees with the status
and with the workflow's rules, realistic content, and idempotence with ``--reset``."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from PIL import Image

from campaigns import demo
from campaigns.models import Organization
from pledges import selectors, workflow
from pledges.demo import feedback_model
from pledges.models import (
    Attachment,
    Evaluation,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)

Status = Pledge.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    # The demo writes journal photos through the storage API: keep them out of var/media.
    settings.MEDIA_ROOT = str(tmp_path / "media")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--skip-check", *args, stdout=out)
    return out.getvalue()


def states() -> dict[tuple[bool, str], int]:
    found = {}
    for is_member in (True, False):
        rows = (
            Pledge.objects.filter(owner_member__isnull=not is_member)
            .values_list("status")
            .annotate(n=Count("id"))
        )
        found.update({(is_member, status): n for status, n in rows})
    return found


def history_problems() -> Counter:
    """Everything wrong with the history: chains, times, and actors the table would refuse."""
    problems: Counter = Counter()
    users = {u.pk: u for u in get_user_model().objects.all()}
    pledges = {p.pk: p for p in Pledge.objects.select_related("organization", "owner_member")}
    now = timezone.now()
    last: dict[int, PledgeHistory] = {}
    for row in PledgeHistory.objects.select_related("adjustment").order_by(
        "pledge_id", "created_at", "id"
    ):
        pledge = pledges[row.pledge_id]
        before = last.get(row.pledge_id)
        transition = workflow.TRANSITIONS[row.action]
        if before is None:
            if row.action != PledgeHistory.Action.CREATE or row.from_status:
                problems["does not start with create"] += 1
            if row.created_at != pledge.created_at:
                problems["created_at differs from the first row"] += 1
        else:
            if row.from_status != before.to_status:
                problems["chain broken"] += 1
            if row.created_at <= before.created_at:
                problems["times not increasing"] += 1
            if row.from_status not in transition.sources:
                problems[f"{row.action} from {row.from_status}"] += 1
        if transition.target_from(row.from_status or Status.DRAFT) != row.to_status:
            problems[f"{row.action} to {row.to_status}"] += 1
        if row.created_at > now:
            problems["in the future"] += 1
        adjustment = row.adjustment if row.action.endswith("_adjustment") else None
        parties = workflow.parties_of(users[row.actor_id], pledge, adjustment=adjustment)
        if not transition.allows(parties):
            problems[f"{row.action} by {sorted(parties)}"] += 1
        last[row.pledge_id] = row
    for pledge in pledges.values():
        final = last.get(pledge.pk)
        if final is None:
            problems["no history"] += 1
            continue
        if final.to_status != pledge.status:
            problems["status differs from the latest history row"] += 1
        if final.created_at != pledge.updated_at:
            problems["updated_at differs from the latest history row"] += 1
        if final.snapshot.get("content") != pledge.content:
            problems["latest snapshot differs from the content"] += 1
        if final.snapshot.get("deadline") != pledge.deadline.isoformat():
            problems["latest snapshot differs from the deadline"] += 1
    return problems


@pytest.mark.django_db
def test_seed_demo_pledges_in_every_state_with_a_consistent_history() -> None:
    seed()
    found = states()
    for owner_is_member in (True, False):
        for status in Status.values:
            assert found.get((owner_is_member, status), 0) > 0, (owner_is_member, status)
    assert 8_000 <= sum(found.values()) <= 12_000
    assert not history_problems()

    today = timezone.localdate()
    published = Pledge.objects.filter(status=Status.PUBLISHED)
    assert published.overdue().exists()
    assert published.filter(deadline__gte=today).exists()
    waiting = Pledge.objects.filter(status=Status.SUBMITTED)
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    assert waiting.filter(submitted_at__lt=three_days_ago).exists()
    assert waiting.filter(submitted_at__gte=three_days_ago).exists()
    # Unfinished pledges are still due; every submission had a deadline ahead of it.
    unfinished = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
    assert not Pledge.objects.filter(status__in=unfinished, deadline__lt=today).exists()

    # Kinds and guidance: members 2–3 实事 and 1–2 整改, organisations 3–5 实事.
    member = Pledge.objects.filter(owner_member__isnull=False)
    per_member = Counter(
        member.filter(kind=Pledge.Kind.DEED).values_list("owner_member", flat=True)
    )
    assert set(per_member.values()) <= {2, 3}
    per_member = Counter(
        member.filter(kind=Pledge.Kind.RECTIFY).values_list("owner_member", flat=True)
    )
    assert set(per_member.values()) <= {1, 2}
    assert member.filter(kind=Pledge.Kind.WORK).exists()
    assert not member.filter(kind=Pledge.Kind.RECTIFY, measures="").exists()
    per_org = Counter(
        Pledge.objects.filter(owner_organization__isnull=False).values_list(
            "owner_organization", flat=True
        )
    )
    assert set(per_org.values()) <= {3, 4, 5}
    assert not Pledge.objects.filter(owner_organization__level=Organization.Level.GROUP).exists()
    assert set(Pledge.objects.values_list("term", flat=True)) == set(Pledge.Term.values)
    village = Pledge.objects.filter(organization__unit_kind="village", kind=Pledge.Kind.DEED)
    assert village.filter(content__contains="村道").exists()
    assert Pledge.objects.filter(
        organization__unit_kind="school", content__contains="学困生"
    ).exists()

    # Returns carry reasons and a comment; resubmitted pledges show the reviewer a diff.
    returns = PledgeHistory.objects.filter(action=PledgeHistory.Action.RETURN)
    assert returns.exists()
    assert not returns.filter(comment="").exists()
    assert not returns.annotate(n=Count("reasons")).filter(n=0).exists()
    resubmitted = waiting.filter(history__action=PledgeHistory.Action.RESUBMIT).distinct()
    assert resubmitted.exists()
    assert all(selectors.pledge_changes_since_return(pledge=p) for p in resubmitted[:20])

    # Journal, evaluation, withdrawal, adjustments, feedback.
    fulfilled = Pledge.objects.filter(status__in=(Status.FULFILLED, Status.EVALUATED))
    assert not fulfilled.filter(entries__isnull=True).exists()
    assert FulfilmentEntry.objects.filter(progress=100).exists()
    grades = set(Pledge.objects.filter(status=Status.EVALUATED).values_list("grade", flat=True))
    assert grades == set(Pledge.Grade.values)
    poor = Evaluation.objects.filter(final_grade=Pledge.Grade.POOR)
    assert poor.exists() and not poor.filter(improvement_deadline__isnull=True).exists()
    assert not poor.filter(override_justification="").exists()
    for evaluation in Evaluation.objects.filter(pledge__status=Status.EVALUATED)[:50]:
        assert evaluation.suggested_grade == selectors.suggest_grade(pledge=evaluation.pledge).grade
        assert evaluation.has_self_report and evaluation.total_votes > 0
    assert not Pledge.objects.filter(status=Status.WITHDRAWN, withdrawal_reason="").exists()
    adjustments = set(PledgeAdjustment.objects.values_list("status", flat=True))
    assert {PledgeAdjustment.Status.PENDING, PledgeAdjustment.Status.APPROVED} <= adjustments
    Feedback = feedback_model()
    if Feedback is not None:
        statuses = set(Feedback.objects.values_list("status", flat=True))
        assert {"none", "pending", "approved"} <= statuses
        assert not Feedback.objects.exclude(
            pledge__status__in=(Status.PUBLISHED, Status.FULFILLED)
        ).exists()

    # Photos went through the storage API and are real images.
    attachments = list(Attachment.objects.all())
    assert len(attachments) >= 5
    for attachment in attachments:
        assert default_storage.exists(attachment.file.name)
        with attachment.file.open("rb") as handle:
            image = Image.open(handle)
            assert image.format in ("PNG", "JPEG")
            assert image.size == (480, 320)

    # The demo logins have work waiting for them.
    users = {u.username: u for u in get_user_model().objects.filter(username__in=demo.DEMO_LOGINS)}
    for username in ("secretary", "secretary2", "committee", "office"):
        assert selectors.pledges_awaiting_review(user=users[username]).exists(), username
    own = Pledge.objects.filter(owner_member__user=users["member"])
    assert {Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.PUBLISHED} <= set(
        own.values_list("status", flat=True)
    )
    assert own.filter(adjustments__status=PledgeAdjustment.Status.PENDING).exists()

    # Seeding again changes nothing.
    before = (states(), PledgeHistory.objects.count(), FulfilmentEntry.objects.count())
    assert "nothing to do" in seed()
    assert (states(), PledgeHistory.objects.count(), FulfilmentEntry.objects.count()) == before


# A real transaction: on PostgreSQL reset_demo() VACUUMs, which cannot run inside one.
@pytest.mark.django_db(transaction=True)
def test_seed_demo_reset_removes_the_pledges_and_seeds_them_again() -> None:
    seed()
    first = states()
    files = [a.file.name for a in Attachment.objects.all()]
    accounts = set(
        get_user_model()
        .objects.filter(username__startswith="sj.")
        .values_list("username", flat=True)
    )
    assert files and len(accounts) > 100

    demo.reset_demo()
    assert not Pledge.objects.exists()
    assert not PledgeHistory.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
    # The actor accounts went with the pledges; the demo logins stay.
    assert not get_user_model().objects.filter(username__startswith="sj.").exists()
    assert get_user_model().objects.filter(username__in=demo.DEMO_LOGINS).count() == len(
        demo.DEMO_LOGINS
    )

    seed()
    assert states() == first  # the same seed gives the same data
    assert (
        set(
            get_user_model()
            .objects.filter(username__startswith="sj.")
            .values_list("username", flat=True)
        )
        == accounts
    )
    assert not history_problems()
