"""Monthly bulletins (通报): the figures against a direct count in the database, the PDF read back
(text and embedded CJK font), "generate now" through the outbox and the task, the schedule's
issue on the bulletin day, and who may see what.

The world's campaign runs from July to December 2024; September's reports are due on 5 October
and bulletins are issued on the 10th.
"""

from __future__ import annotations

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.urls import reverse
from pypdf import PdfReader

from campaigns.models import Notification, Organization, OutboxTask
from pledges.models import Pledge
from reports import selectors, services, tasks
from reports.models.monthly import Bulletin, MonthlyReport
from tests.conftest import World
from tests.pledges.factories import PledgeFactory

TZ = ZoneInfo("Asia/Shanghai")
SEPTEMBER = datetime.date(2024, 9, 1)
P = Pledge.Status
TEXTS = {"main_work": "开展承诺践诺活动。", "next_month_plan": "回头看。"}


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def bulletin_kwargs(world: World, org: Organization | None = None) -> dict:
    org = org or world.committee_a
    return {"campaign_id": world.campaign.pk, "code": org.code, "year": 2024, "month": 9}


def file_report(world: World, org: Organization, user: str, when: datetime.datetime, tm) -> None:
    tm.move_to(when, tick=False)
    report = services.monthly_report_save(
        campaign=world.campaign, organization=org, month=SEPTEMBER, actor=world.users[user],
        texts=TEXTS,
    )  # fmt: skip
    services.monthly_report_submit(report=report, actor=world.users[user])


@pytest.fixture
def scene(world: World, time_machine) -> World:
    """Branch A filed on time, branch B late, committee A on time; committee C and branch C did
    not file. Pledges across the tree, some overdue at the end of September."""
    from tests.factories import RoleAssignmentFactory, UserFactory

    sec_c = UserFactory(username="secretary_c")
    RoleAssignmentFactory(user=sec_c, organization=world.branch_c, role="secretary")
    world.users["secretary_c"] = sec_c
    file_report(world, world.branch_a, "secretary_a", local(2024, 10, 3, 9), time_machine)
    file_report(world, world.branch_b, "secretary_b", local(2024, 10, 7, 9), time_machine)
    file_report(world, world.committee_a, "superior", local(2024, 10, 5, 22), time_machine)
    time_machine.move_to(local(2024, 10, 12, 9), tick=False)

    def pledge(member=None, org=None, **kw) -> Pledge:
        owner = {"owner_member": member, "owner_organization": org}
        return PledgeFactory(
            campaign=world.campaign, author=world.users["secretary_a"], **owner, **kw
        )

    sept = {"published_at": local(2024, 9, 2, 9)}
    pledge(world.member_a1, status=P.PUBLISHED, deadline=datetime.date(2024, 9, 10), **sept)
    pledge(world.member_a2, status=P.FULFILLED, deadline=datetime.date(2024, 9, 30),
           fulfilled_at=local(2024, 9, 20, 9), **sept)  # fmt: skip
    pledge(world.member_group_a, status=P.PUBLISHED, deadline=datetime.date(2024, 12, 1), **sept)
    pledge(world.member_b1, status=P.PUBLISHED, deadline=datetime.date(2024, 9, 5), **sept)
    pledge(
        world.member_b1,
        status=P.FULFILLED,
        deadline=datetime.date(2024, 9, 1),
        fulfilled_at=local(2024, 10, 2, 9),
        **sept,
    )  # fmt: skip  (overdue on 30 Sep)
    pledge(org=world.committee_a, status=P.FULFILLED, deadline=datetime.date(2024, 9, 25),
           fulfilled_at=local(2024, 9, 24, 9), **sept)  # fmt: skip
    pledge(world.member_c1, status=P.PUBLISHED, deadline=datetime.date(2024, 9, 29), **sept)
    pledge(world.member_c1, status=P.DRAFT, deadline=datetime.date(2024, 12, 1))
    # Published in October: not counted in September's rates.
    pledge(world.member_a1, status=P.PUBLISHED, deadline=datetime.date(2024, 10, 9),
           published_at=local(2024, 10, 1, 9))  # fmt: skip
    return world


def direct(world: World, root: Organization, sub: Organization) -> dict[str, int]:
    """Counts straight from the tables for the subtree of ``sub`` in ``root``'s bulletin."""
    end = local(2024, 10, 1, 0)
    last = datetime.date(2024, 9, 30)
    due_end = local(2024, 10, 6, 0)
    pledges = Pledge.objects.filter(
        campaign=world.campaign, organization__path__startswith=sub.path
    )
    counted = pledges.filter(published_at__lt=end).exclude(status=P.WITHDRAWN)
    filing = Organization.objects.filter(
        path__startswith=sub.path,
        depth__gt=root.depth,
        is_active=True,
        level__in=("committee", "general_branch", "branch"),
    )
    reports = MonthlyReport.objects.filter(month=SEPTEMBER, organization__in=filing)
    overdue = counted.filter(deadline__lt=last).filter(
        Q(status=P.PUBLISHED) | Q(fulfilled_at__gte=end)
    )
    return {
        "filing": filing.count(),
        "on_time": reports.filter(first_submitted_at__lt=due_end).count(),
        "late": reports.filter(first_submitted_at__gte=due_end).count(),
        "missing": filing.count() - reports.filter(first_submitted_at__isnull=False).count(),
        "counted": counted.count(),
        "fulfilled": counted.filter(fulfilled_at__lt=end).count(),
        "overdue": overdue.count(),
    }


@pytest.fixture
def fast_pdf(monkeypatch) -> None:
    """A stand-in for the PDF where the test is about something else (a real render embeds a
    CJK font subset and takes seconds; the PDF itself is tested on its own)."""
    from reports import bulletin_pdf

    monkeypatch.setattr(bulletin_pdf, "bulletin_pdf", lambda **kwargs: b"%PDF-1.7\n% stand-in\n")


KEYS = ("filing", "on_time", "late", "missing", "counted", "fulfilled", "overdue")


def test_figures_equal_a_direct_count(scene: World) -> None:
    w = scene
    figures = selectors.bulletin_figures(campaign=w.campaign, committee=w.city, month=SEPTEMBER)
    by_name = {row["name"]: row for row in figures["children"]}
    for child in (w.committee_a, w.committee_c):
        assert {k: by_name[child.name][k] for k in KEYS} == direct(w, w.city, child), child
    assert {k: figures["totals"][k] for k in KEYS} == direct(w, w.city, w.city)
    # By hand: committee A's subtree has 3 filers (A, branch A, branch B): 2 on time, 1 late.
    a = by_name[w.committee_a.name]
    assert (a["filing"], a["on_time"], a["late"], a["missing"]) == (3, 2, 1, 0)
    # Branch B's second pledge was fulfilled on 2 October: overdue on 30 September.
    assert (a["counted"], a["fulfilled"], a["overdue"]) == (6, 2, 3)
    assert a["fulfilment_rate"] == pytest.approx(33.3) and a["overdue_rate"] == 50.0
    c = by_name[w.committee_c.name]
    assert (c["filing"], c["missing"], c["counted"], c["overdue"]) == (2, 2, 1, 1)
    assert [r["name"] for r in figures["ranking"]] == [w.committee_a.name, w.committee_c.name]
    assert {o["name"] for o in figures["missing_organizations"]} == {
        w.committee_c.name,
        w.branch_c.name,
    }
    assert [o["name"] for o in figures["late_organizations"]] == [w.branch_b.name]
    overdue = figures["overdue_pledges"]
    assert [p["days_overdue"] for p in overdue] == [29, 25, 20, 1]  # most overdue first
    assert figures["past_due"] is True


def test_committee_bulletin_counts_its_children(scene: World) -> None:
    w = scene
    figures = selectors.bulletin_figures(
        campaign=w.campaign, committee=w.committee_a, month=SEPTEMBER
    )
    rows = {row["name"]: row for row in figures["children"]}
    assert set(rows) == {w.branch_a.name, w.branch_b.name}
    for child in (w.branch_a, w.branch_b):
        assert {k: rows[child.name][k] for k in KEYS} == direct(w, w.committee_a, child)
    # The committee's own pledge is in its own row and in the totals, not in a child's.
    assert figures["own"]["counted"] == 1 and figures["own"]["fulfilled"] == 1
    assert figures["totals"]["counted"] == 6
    # The committee itself reports to the city: not among its own filers.
    assert figures["totals"]["filing"] == 2


def test_figures_take_a_fixed_number_of_queries(
    scene: World, django_assert_max_num_queries
) -> None:
    from tests.factories import OrganizationFactory

    for n in range(15):
        OrganizationFactory(parent=scene.committee_c, level="branch", name=f"新支部{n}")
    scene.committee_c.refresh_from_db()
    with django_assert_max_num_queries(7):
        figures = selectors.bulletin_figures(
            campaign=scene.campaign, committee=scene.city, month=SEPTEMBER
        )
    assert figures["totals"]["filing"] == 20


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def pdf_fonts(content: bytes) -> dict[str, bool]:
    """Base font name → embedded, over every page."""
    reader = PdfReader(io.BytesIO(content))
    found: dict[str, bool] = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def test_pdf_has_the_organisations_as_text_and_a_cjk_font_embedded(scene: World) -> None:
    w = scene
    bulletin = Bulletin.objects.create(campaign=w.campaign, organization=w.city, month=SEPTEMBER)
    services.bulletin_render(bulletin_id=bulletin.pk)
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE, bulletin.error
    content = bulletin.pdf.read()
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for name in (w.city.name, w.committee_a.name, w.committee_c.name, w.branch_c.name):
        assert name in text, name
    assert w.branch_b.name in text  # filed late
    assert "赵乙宝" in text  # an overdue pledge's owner
    fonts = pdf_fonts(content)
    assert fonts and all(fonts.values()), fonts
    assert any("NotoSansCJK" in name.replace("-", "") for name in fonts), fonts
    assert len(PdfReader(io.BytesIO(content)).pages) >= 1


def test_generate_now_queues_through_the_outbox_and_the_task_renders(
    scene: World, client_as, fast_pdf
) -> None:
    w = scene
    url = reverse("reports:bulletin_detail", kwargs=bulletin_kwargs(w))
    superior = client_as("superior")
    page = superior.get(url)
    assert page.status_code == 200 and page.context["bulletin"] is None
    response = superior.post(reverse("reports:bulletin_generate", kwargs=bulletin_kwargs(w)))
    assert response.status_code == 302 and response["Location"] == url
    bulletin = Bulletin.objects.get(organization=w.committee_a, month=SEPTEMBER)
    assert bulletin.status == Bulletin.Status.QUEUED
    assert bulletin.requested_by == w.users["superior"]
    assert OutboxTask.objects.filter(
        task_name="reports.render_bulletin", args=[bulletin.pk]
    ).exists()
    # While queued, the status box polls.
    box = superior.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 3s"' in box.content.decode()
    assert (
        superior.get(reverse("reports:bulletin_pdf", kwargs=bulletin_kwargs(w))).status_code == 404
    )

    assert tasks.render_bulletin(bulletin.pk) == "done"
    # Ready since the page was drawn: the poll asks for a full refresh.
    box = superior.get(url + "?pending=1", HTTP_HX_REQUEST="true")
    assert box["HX-Refresh"] == "true"
    assert "hx-trigger" not in box.content.decode()
    page = superior.get(url)
    assert page.context["b"]["totals"]["filing"] == 2
    assert w.branch_b.name in page.content.decode()
    pdf = superior.get(reverse("reports:bulletin_pdf", kwargs=bulletin_kwargs(w)))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    # Running the task twice changes nothing; generated on demand: nobody is notified.
    generated = Bulletin.objects.get(pk=bulletin.pk).generated_at
    assert tasks.render_bulletin(bulletin.pk) == "done"
    assert Bulletin.objects.get(pk=bulletin.pk).generated_at == generated
    assert not Notification.objects.filter(kind="bulletin_ready").exists()
    # Regenerating replaces the one row (and its file).
    superior.post(reverse("reports:bulletin_generate", kwargs=bulletin_kwargs(w)))
    assert Bulletin.objects.filter(organization=w.committee_a).count() == 1
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.QUEUED


def test_a_failed_render_is_marked_with_its_error(scene: World, monkeypatch) -> None:
    from reports import bulletin_pdf

    def broken(**kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(bulletin_pdf, "bulletin_pdf", broken)
    bulletin = services.bulletin_request(
        campaign=scene.campaign, committee=scene.committee_a, month=SEPTEMBER
    )
    assert tasks.render_bulletin(bulletin.pk) == "failed"
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.FAILED
    assert "字体缺失" in bulletin.error and not bulletin.pdf


def test_who_sees_and_generates_bulletins(scene: World, client_as) -> None:
    w = scene
    url = reverse("reports:bulletin_detail", kwargs=bulletin_kwargs(w))
    generate = reverse("reports:bulletin_generate", kwargs=bulletin_kwargs(w))
    for who in ("secretary_a", "secretary_b"):
        assert client_as(who).get(url).status_code == 404, who
        assert client_as(who).post(generate).status_code == 404, who
    for who in ("leader", "inspector"):
        assert client_as(who).get(url).status_code == 200, who
        assert client_as(who).post(generate).status_code == 403, who
    assert not Bulletin.objects.exists()
    # A branch is not a committee: no bulletin page.
    branch = reverse("reports:bulletin_detail", kwargs=bulletin_kwargs(w, w.branch_a))
    assert client_as("office").get(branch).status_code == 404
    listed = client_as("superior").get(reverse("reports:bulletin_list")).context["page"]
    assert {row.committee.code for row in listed} == {"TWN-A"}
    listed = client_as("office").get(reverse("reports:bulletin_list") + "?month=2024-09")
    assert {row.committee.code for row in listed.context["page"]} == {"CITY", "TWN-A", "TWN-C"}


def test_issued_on_the_bulletin_day_and_announced_once(
    scene: World, time_machine, fast_pdf
) -> None:
    w = scene
    time_machine.move_to(local(2024, 10, 9, 6, 30), tick=False)
    assert tasks.issue_monthly_bulletins() == 0
    time_machine.move_to(local(2024, 10, 10, 6, 30), tick=False)
    assert tasks.issue_monthly_bulletins() == 3  # the city and both township committees
    assert set(Bulletin.objects.values_list("organization__code", "month", "status")) == {
        (code, SEPTEMBER, "queued") for code in ("CITY", "TWN-A", "TWN-C")
    }
    assert tasks.issue_monthly_bulletins() == 0  # a second run the same day
    for bulletin in Bulletin.objects.all():
        tasks.render_bulletin(bulletin.pk)
    notes = Notification.objects.filter(kind="bulletin_ready")
    # Committee A's secretary; the city and committee C have no secretary in the world.
    assert [(n.recipient.username, n.params["month"]) for n in notes] == [("superior", "2024-09")]
    assert notes[0].url == reverse("reports:bulletin_detail", kwargs=bulletin_kwargs(w))
    # Regenerated on demand later: no second announcement.
    services.bulletin_request(
        campaign=w.campaign, committee=w.committee_a, month=SEPTEMBER, actor=w.users["office"]
    )
    tasks.render_bulletin(Bulletin.objects.get(organization=w.committee_a).pk)
    assert Notification.objects.filter(kind="bulletin_ready").count() == 1


def test_a_bulletin_whose_worker_died_can_be_generated_again(world, client_as) -> None:
    """A render killed with its worker leaves the row "running": after the stale period the
    page stops waiting, the periodic cleanup marks it failed, and "generate now" queues it
    again. A second delivery of a live render's task does not render it twice."""
    import datetime as dt

    from django.utils import timezone

    from reports import services
    from reports.models.monthly import Bulletin

    bulletin = Bulletin.objects.create(
        campaign=world.campaign,
        organization=world.committee_a,
        month=dt.date(2024, 9, 1),
        status=Bulletin.Status.RUNNING,
    )
    assert bulletin.is_pending
    assert services.bulletin_render(bulletin_id=bulletin.pk).status == Bulletin.Status.RUNNING
    assert services.bulletins_fail_stuck() == 0  # still fresh

    Bulletin.objects.filter(pk=bulletin.pk).update(
        requested_at=timezone.now() - Bulletin.STALE_AFTER - dt.timedelta(minutes=1)
    )
    bulletin.refresh_from_db()
    assert not bulletin.is_pending
    assert services.bulletins_fail_stuck() == 1
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.FAILED and bulletin.error

    again = services.bulletin_request(
        campaign=world.campaign, committee=world.committee_a, month=dt.date(2024, 9, 1)
    )
    assert again.pk == bulletin.pk and again.status == Bulletin.Status.QUEUED
