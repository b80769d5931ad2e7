"""The quarterly inspection cycle: an inspector of the group records a draft, fills the score
sheet and submits; the organisation's committee (and above, office, leadership) then sees the
result; drafts stay the group's; outsiders — a sibling secretary, an inspector of another group —
get a 404 as for a missing inspection."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from assessments import selectors, services
from assessments.models import Inspection, InspectionHistory, InspectionPhoto, Rectification
from tests.conftest import World
from tests.factories import InspectionGroupFactory


def detail_url(inspection: Inspection) -> str:
    return reverse("assessments:inspection_detail", args=[inspection.pk])


def record_url(world: World, group=None, code: str = "TWN-A") -> str:
    group = group or world.inspection_group
    return reverse("assessments:inspection_record", args=[group.pk, code]) + "?q=2024-3"


def form_payload(items, **overrides) -> dict:
    payload = {
        "date": "2024-09-12",
        "inspectors": [],
        "findings": "党员承诺公开，践诺记实完整",
        "problems": "",
        "rect-TOTAL_FORMS": 1,
        "rect-INITIAL_FORMS": 0,
        "rect-MIN_NUM_FORMS": 0,
        "rect-MAX_NUM_FORMS": 30,
        "rect-0-text": "",
        "rect-0-deadline": "",
    }
    for item in items:
        payload[f"score_{item.pk}"] = "18"
        payload[f"comment_{item.pk}"] = ""
    payload.update(overrides)
    return payload


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (181, 18, 27)).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Recording through the page
# ---------------------------------------------------------------------------------------------


def test_inspector_records_and_submits_through_the_form(
    world: World, items, today, client_as
) -> None:
    client = client_as("inspector", language="en")
    assert client.get(record_url(world)).status_code == 200
    payload = form_payload(
        items,
        inspectors=[world.users["inspector"].pk],
        **{"rect-0-text": "完善承诺台账", "rect-0-deadline": "2024-10-31"},
    )
    payload["photos"] = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    response = client.post(record_url(world), payload)
    assert response.status_code == 302, response.context["form"].errors
    inspection = Inspection.objects.get()
    assert inspection.status == Inspection.Status.DRAFT
    assert inspection.total_score == Decimal("90")
    assert inspection.rectifications.get().text == "完善承诺台账"
    assert inspection.photos.count() == 1
    # Opening "record" again goes to the draft instead of a second inspection.
    assert client.get(record_url(world))["Location"] == reverse(
        "assessments:inspection_edit", args=[inspection.pk]
    )
    response = client.post(
        reverse("assessments:inspection_submit", args=[inspection.pk]), follow=True
    )
    assert "Inspection submitted." in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.SUBMITTED
    assert list(inspection.history.values_list("action", "from_status", "to_status")) == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
    ]
    # Submitted: the form is closed.
    edit = client.get(reverse("assessments:inspection_edit", args=[inspection.pk]))
    assert edit.status_code == 302 and edit["Location"] == detail_url(inspection)


def test_score_out_of_range_is_refused_with_a_clear_message(
    world: World, items, today, client_as
) -> None:
    client = client_as("inspector", language="en")
    payload = form_payload(items, inspectors=[world.users["inspector"].pk])
    payload[f"score_{items[1].pk}"] = "25"
    payload[f"score_{items[2].pk}"] = "-1"
    response = client.post(record_url(world), payload)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The score for “创先争优” must be between 0 and 20 points." in page
    assert "The score for “党员队伍” must be between 0 and 20 points." in page
    assert not Inspection.objects.exists()


def test_scores_within_range_at_the_service(world: World, items, record) -> None:
    scores = [services.ScoreData(item_id=i.pk, score=Decimal("20.5"), comment="") for i in items]
    with pytest.raises(ValidationError) as exc:
        record(scores=scores)
    assert "must be between 0 and 20 points" in " ".join(exc.value.messages)
    inspection = record(scores=[services.ScoreData(item_id=items[0].pk, score=Decimal("0"))])
    assert inspection.total_score == 0
    with pytest.raises(ValidationError):
        services.inspection_update(
            inspection=inspection,
            actor=world.users["inspector"],
            data=services.InspectionData(
                date=inspection.date,
                inspector_ids=[world.users["inspector"].pk],
                scores=[services.ScoreData(item_id=items[0].pk, score=Decimal("-0.5"))],
            ),
        )


def test_date_outside_the_quarter_and_foreign_inspectors_are_refused(
    world: World, items, record, other_inspector
) -> None:
    with pytest.raises(ValidationError) as exc:
        record(date=datetime.date(2024, 6, 30))
    assert "must lie in" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        record(inspector_ids=[other_inspector.pk])
    assert "Only inspectors of 第一督导检查组" in " ".join(exc.value.messages)


def test_one_inspection_per_quarter_and_only_covered_organisations(
    world: World, items, record
) -> None:
    record()
    with pytest.raises(ValidationError) as exc:
        record()
    assert "already has an inspection for" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        record(organization=world.committee_c)
    assert "does not cover" in " ".join(exc.value.messages)


def test_submitting_needs_every_item_scored(world: World, items, record) -> None:
    inspection = record(scores=[services.ScoreData(item_id=items[0].pk, score=Decimal("15"))])
    with pytest.raises(ValidationError) as exc:
        services.inspection_submit(inspection=inspection, actor=world.users["inspector"])
    assert "Score every item of the sheet before submitting" in " ".join(exc.value.messages)
    assert Inspection.objects.get().status == Inspection.Status.DRAFT
    assert not InspectionHistory.objects.filter(action="submit").exists()


def test_only_the_groups_inspectors_record(
    world: World, items, record, other_group, other_inspector
) -> None:
    with pytest.raises(PermissionDenied):
        services.inspection_create(
            group=world.inspection_group,
            organization=world.committee_a,
            year=2024,
            quarter=3,
            actor=other_inspector,
            data=services.InspectionData(
                date=datetime.date(2024, 9, 1), inspector_ids=[other_inspector.pk]
            ),
        )
    assert not Inspection.objects.exists()


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_draft_is_the_groups_own(world: World, record, client_as, other_group, secretary_c) -> None:
    inspection = record()
    assert client_as("inspector").get(detail_url(inspection)).status_code == 200
    assert client_as("superuser").get(detail_url(inspection)).status_code == 200
    for who in ("superior", "secretary_a", "secretary_b", "office", "leader"):
        assert client_as(who).get(detail_url(inspection)).status_code == 404, who
    other = other_group.inspectors.get()
    assert _client(other).get(detail_url(inspection)).status_code == 404


def test_submitted_result_is_seen_by_the_committee_and_above(
    world: World, record, client_as, other_group, secretary_c
) -> None:
    inspection = record(submit=True)
    for who in ("inspector", "superior", "office", "leader", "superuser"):
        response = client_as(who).get(detail_url(inspection))
        assert response.status_code == 200, who
        assert "甲镇党委承诺公开栏规范" in response.content.decode()
    # The branch below is not the inspected organisation's committee; the sibling committee's
    # secretary and another group's inspector are outsiders.
    for who in ("secretary_a", "secretary_b"):
        assert client_as(who).get(detail_url(inspection)).status_code == 404, who
    assert _client(secretary_c).get(detail_url(inspection)).status_code == 404
    assert _client(other_group.inspectors.get()).get(detail_url(inspection)).status_code == 404
    # The organisation side: the superior's list shows it; the sibling's does not.
    listing = reverse("assessments:inspection_list")
    assert "甲镇党委" in client_as("superior").get(listing).content.decode()
    assert "甲镇党委" not in _client(secretary_c).get(listing).content.decode()


def test_another_groups_inspector_cannot_record_here(
    world: World, items, today, client_as, other_group
) -> None:
    other = _client(other_group.inspectors.get())
    assert other.get(record_url(world)).status_code == 404
    # Nor may the inspector record an organisation their group does not cover.
    assert client_as("inspector").get(record_url(world, code="TWN-C")).status_code == 404
    assert client_as("office").get(record_url(world)).status_code == 404


def test_inspection_result_notice_goes_to_the_secretary(world: World, record) -> None:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        inspection = record(submit=True)
    notices = world.users["superior"].notifications.filter(kind="inspection_result")
    assert notices.count() == 1
    assert notices.get().url == detail_url(inspection)


# ---------------------------------------------------------------------------------------------
# Not yet inspected
# ---------------------------------------------------------------------------------------------


def test_not_yet_inspected_list_for_the_group(
    world: World, items, record, today, client_as, branch_b
) -> None:
    group = world.inspection_group
    group.organizations.add(world.branch_b)
    assert [o.code for o in selectors.not_yet_inspected(group=group, year=2024, quarter=3)] == [
        "TWN-A",
        "BR-B",
    ]
    page = client_as("inspector", language="en").get(reverse("assessments:my_groups") + "?q=2024-3")
    text = page.content.decode()
    assert "2 not yet inspected" in text
    inspection = record()  # a draft is not yet an inspection done
    assert [o.code for o in selectors.not_yet_inspected(group=group, year=2024, quarter=3)] == [
        "TWN-A",
        "BR-B",
    ]
    services.inspection_submit(inspection=inspection, actor=world.users["inspector"])
    assert [o.code for o in selectors.not_yet_inspected(group=group, year=2024, quarter=3)] == [
        "BR-B"
    ]
    text = (
        client_as("inspector", language="en")
        .get(reverse("assessments:my_groups") + "?q=2024-3")
        .content.decode()
    )
    assert "1 submitted" in text and "1 not yet inspected" in text
    # Another quarter starts afresh.
    assert len(selectors.not_yet_inspected(group=group, year=2024, quarter=4)) == 2
    # The leadership group sees every group's progress, read only.
    leader_page = client_as("leader", language="en").get(
        reverse("assessments:my_groups") + "?q=2024-3"
    )
    assert "第一督导检查组" in leader_page.content.decode()
    assert "/record/" not in leader_page.content.decode()


# ---------------------------------------------------------------------------------------------
# Photos and rectifications
# ---------------------------------------------------------------------------------------------


def test_photos_are_checked_and_served_through_the_scope_check(
    world: World, record, client_as, other_group
) -> None:
    inspection = record()
    with pytest.raises(ValidationError):
        services.photo_add(
            inspection=inspection,
            actor=world.users["inspector"],
            file=SimpleUploadedFile(
                "fake.png", b"MZ\x90\x00not an image", content_type="image/png"
            ),
        )
    with pytest.raises(ValidationError):
        services.photo_add(
            inspection=inspection,
            actor=world.users["inspector"],
            file=SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
        )
    photo = services.photo_add(
        inspection=inspection,
        actor=world.users["inspector"],
        file=SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png"),
    )
    assert InspectionPhoto.objects.count() == 1
    url = reverse("assessments:photo", args=[photo.pk])
    response = client_as("inspector").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    # A draft's photo: the group only.
    assert client_as("superior").get(url).status_code == 404
    services.inspection_submit(inspection=inspection, actor=world.users["inspector"])
    assert client_as("superior").get(url).status_code == 200
    assert client_as("secretary_b").get(url).status_code == 404
    assert _client(other_group.inspectors.get()).get(url).status_code == 404


def test_rectification_checked_off_by_the_committee(world: World, record, client_as) -> None:
    inspection = record(submit=True)
    rect = inspection.rectifications.get()
    url = reverse("assessments:rectification_done", args=[rect.pk])
    assert client_as("secretary_b").post(url).status_code == 404
    assert client_as("leader").post(url).status_code == 403
    assert Rectification.objects.get().done_at is None
    assert client_as("superior").post(url).status_code == 302
    rect.refresh_from_db()
    assert rect.done_at is not None and rect.done_by == world.users["superior"]


def test_groups_of_a_closed_world_do_not_leak(world: World, items, today, client_as) -> None:
    # A group of another campaign that covers the same committee gives no access to ours.
    stranger = InspectionGroupFactory(organizations=[world.committee_a])
    assert (
        client_as("inspector")
        .get(reverse("assessments:inspection_record", args=[stranger.pk, "TWN-A"]))
        .status_code
        == 404
    )
