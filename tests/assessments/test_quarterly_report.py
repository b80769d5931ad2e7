"""The quarterly inspection report (PDF): rendered by the worker's service, stored one file per
committee and quarter, listed and downloaded in scope; beat makes them after a quarter ends; a
failed or stuck render is reported, never left spinning.

The PDF is read back as a reader would: the text layer holds the organisation names, figures
and findings; every font is embedded and one is Noto Sans/Serif CJK; WeasyPrint logged no
warning (a missing glyph or an unloadable font would show there).
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import pdf, services
from assessments.models import QuarterlyReport
from campaigns.models import Notification, OutboxTask
from pledges.models import Pledge
from tests.conftest import World
from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory

S = Pledge.Status


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def pdf_fonts(content: bytes) -> dict[str, bool]:
    reader = PdfReader(io.BytesIO(content))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        for ref in (resources.get_object().get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


@pytest.fixture
def pledges(world: World, today) -> dict[str, int]:
    """Pledges of the city in every state: branch A (甲村) 3 fulfilled of 6, branch B (乙村)
    one overdue and one returned, branch C (丙社区) one fulfilled with a journal entry."""
    secretary = world.users["secretary_a"]

    def make(member, status, **kw):
        return PledgeFactory(
            campaign=world.campaign, owner_member=member, author=secretary, status=status, **kw
        )

    for status in (S.FULFILLED, S.FULFILLED, S.EVALUATED, S.PUBLISHED, S.SUBMITTED, S.APPROVED):
        extra = {"fulfilled_at": timezone.now()} if status in (S.FULFILLED, S.EVALUATED) else {}
        make(world.member_a1, status, **extra)
    make(world.member_a1, S.DRAFT)
    make(
        world.member_b1,
        S.PUBLISHED,
        content="为乙村修缮文化礼堂",
        deadline=datetime.date(2024, 8, 1),
    )
    make(world.member_b1, S.RETURNED, content="帮扶困难党员两户")
    done = make(
        world.member_c1,
        S.FULFILLED,
        content="为社区老人开设智能手机课堂",
        fulfilled_at=timezone.now() - datetime.timedelta(days=3),
    )
    FulfilmentEntryFactory(
        pledge=done, text="已开课六次，参加老人八十余人次", date=datetime.date(2024, 9, 10)
    )
    return {"total": 10}


@pytest.fixture
def weasyprint_log():
    """Every record WeasyPrint (and fontTools) logs while a test renders."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    loggers = [
        logging.getLogger(name) for name in ("weasyprint", "weasyprint.progress", "fontTools")
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield records
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_city_report_pdf(world: World, items, record, pledges, other_group, weasyprint_log) -> None:
    record(submit=True)
    report = QuarterlyReport.objects.create(
        campaign=world.campaign,
        organization=world.city,
        year=2024,
        quarter=3,
        requested_by=world.users["leader"],
    )
    services.quarterly_report_render(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == QuarterlyReport.Status.DONE, report.error
    content = report.file.read()
    if os.environ.get("REPORT_PDF_OUT"):
        with open(os.environ["REPORT_PDF_OUT"], "wb") as out:
            out.write(content)
    assert content.startswith(b"%PDF-")
    assert report.pages and report.pages >= 5 and report.size == len(content)

    text = pdf_text(content)
    # Cover, contents, the children table's organisations, the figures, the inspection.
    for expected in (
        "示范市委",
        "2024年创先争优活动",
        "甲镇党委",
        "丙镇党委",
        "第一督导检查组",
        "甲镇党委承诺公开栏规范",
        "细化村级承诺事项",
        "组织建设",
        "90.0",  # the inspection's total
        "为乙村修缮文化礼堂",  # overdue
        "帮扶困难党员两户",  # returned
        "已开课六次",  # a typical example from a fulfilled pledge's journal
    ):
        assert expected in text, expected
    # Nine pledges count (the draft does not), four of them fulfilled: 44.4 %.
    assert "44.4%" in text
    assert "\ufffd" not in text

    fonts = pdf_fonts(content)
    assert fonts and all(fonts.values()), fonts
    assert any(re.search(r"Noto-?(Sans|Serif)-?CJK", name) for name in fonts), fonts
    if shutil.which("pdffonts"):
        path = report.file.path
        lines = subprocess.run(
            ["pdffonts", path], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert lines
        for line in lines:
            # name type encoding emb sub uni object ID: "emb" is the 5th-last column.
            assert line.split()[-5] == "yes", line
        assert any("CJK" in line for line in lines)

    problems = [r.getMessage() for r in weasyprint_log if r.levelno >= logging.WARNING]
    assert not problems, problems
    assert not [r for r in weasyprint_log if "glyph" in r.getMessage().lower()]

    # The requester is told it is ready.
    assert Notification.objects.filter(
        recipient=world.users["leader"], kind="quarterly_report_ready"
    ).exists()


def test_regenerating_replaces_the_file(world: World, items) -> None:
    report = QuarterlyReport.objects.create(
        campaign=world.campaign, organization=world.committee_a, year=2024, quarter=3
    )
    services.quarterly_report_render(report_id=report.pk)
    report.refresh_from_db()
    first = report.file.name
    assert report.status == QuarterlyReport.Status.DONE
    # Delivered twice: the second run does nothing.
    assert services.quarterly_report_render(report_id=report.pk) is None
    services.quarterly_report_request(
        organization=world.committee_a, year=2024, quarter=3, actor=world.users["superior"]
    )
    services.quarterly_report_render(report_id=report.pk)
    report.refresh_from_db()
    assert report.file.name == first
    assert QuarterlyReport.objects.count() == 1
    folder = os.path.dirname(report.file.path)
    assert os.listdir(folder) == [os.path.basename(first)]


def test_a_failed_render_is_reported(world: World, items, monkeypatch) -> None:
    def broken(**kwargs):
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(pdf, "quarterly_report_pdf", broken)
    report = QuarterlyReport.objects.create(
        campaign=world.campaign,
        organization=world.city,
        year=2024,
        quarter=3,
        requested_by=world.users["office"],
    )
    services.quarterly_report_render(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == QuarterlyReport.Status.FAILED
    assert "font cache unreadable" in report.error
    assert Notification.objects.filter(
        recipient=world.users["office"], kind="quarterly_report_failed"
    ).exists()


def test_stuck_renders_are_marked_failed(world: World) -> None:
    now = timezone.now()
    stuck = QuarterlyReport.objects.create(
        campaign=world.campaign,
        organization=world.city,
        year=2024,
        quarter=2,
        status=QuarterlyReport.Status.RUNNING,
        started_at=now - datetime.timedelta(seconds=services.REPORT_HARD_LIMIT + 120),
    )
    fresh = QuarterlyReport.objects.create(
        campaign=world.campaign,
        organization=world.committee_a,
        year=2024,
        quarter=2,
        status=QuarterlyReport.Status.RUNNING,
        started_at=now - datetime.timedelta(seconds=30),
    )
    assert services.quarterly_reports_fail_stuck(now=now) == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == QuarterlyReport.Status.FAILED and stuck.error
    assert fresh.status == QuarterlyReport.Status.RUNNING


def test_beat_generates_each_committees_report_after_the_quarter(world: World) -> None:
    # Too late in the quarter: nothing.
    assert services.quarterly_reports_generate_due(today=datetime.date(2024, 10, 15)) == 0
    assert services.quarterly_reports_generate_due(today=datetime.date(2024, 10, 2)) == 3
    reports = QuarterlyReport.objects.order_by("organization__path")
    assert [(r.organization.code, r.year, r.quarter, r.status) for r in reports] == [
        ("CITY", 2024, 3, "queued"),
        ("TWN-A", 2024, 3, "queued"),
        ("TWN-C", 2024, 3, "queued"),
    ]
    assert OutboxTask.objects.filter(task_name="assessments.render_quarterly_report").count() == 3
    # Twice is once.
    assert services.quarterly_reports_generate_due(today=datetime.date(2024, 10, 3)) == 0


def test_leadership_group_told_when_beats_report_is_done(world: World, items) -> None:
    report = QuarterlyReport.objects.create(
        campaign=world.campaign, organization=world.city, year=2024, quarter=3
    )
    services.quarterly_report_render(report_id=report.pk)
    assert list(
        Notification.objects.filter(kind="quarterly_report_ready").values_list(
            "recipient__username", flat=True
        )
    ) == ["leader"]


# ---------------------------------------------------------------------------------------------
# The reports page
# ---------------------------------------------------------------------------------------------


def test_generate_now_queues_through_the_outbox(world: World, client_as, today) -> None:
    client = client_as("superior", language="en")
    page = client.get(reverse("assessments:report_list"))
    assert page.status_code == 200 and "Generate now" in page.content.decode()
    response = client.post(
        reverse("assessments:report_generate"),
        {"organization": world.committee_a.pk, "quarter": "2024-3"},
        follow=True,
    )
    report = QuarterlyReport.objects.get()
    assert (report.organization, report.status, report.requested_by) == (
        world.committee_a,
        "queued",
        world.users["superior"],
    )
    assert OutboxTask.objects.get().args == [report.pk]
    text = response.content.decode()
    assert "will be generated" in text
    status_url = reverse("assessments:report_status", args=[report.pk])
    assert f'hx-get="{status_url}"' in text
    # Asking again while queued does not queue twice.
    client.post(reverse("assessments:report_generate"), {"report": report.pk})
    assert OutboxTask.objects.count() == 1
    # A sibling's committee is not in the choices, and cannot be forced.
    client_as("superior").post(
        reverse("assessments:report_generate"),
        {"organization": world.committee_c.pk, "quarter": "2024-3"},
    )
    assert QuarterlyReport.objects.count() == 1


def test_download_in_scope_only(world: World, items) -> None:
    from django.test import Client

    report = QuarterlyReport.objects.create(
        campaign=world.campaign, organization=world.committee_a, year=2024, quarter=3
    )
    services.quarterly_report_render(report_id=report.pk)
    url = reverse("assessments:report_download", args=[report.pk])
    for who, code in (
        ("superior", 200),
        ("office", 200),
        ("leader", 200),
        ("secretary_a", 404),
        ("secretary_b", 404),
        ("inspector", 404),
    ):
        client = Client()
        client.force_login(world.users[who])
        response = client.get(url)
        assert response.status_code == code, who
        if code == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
