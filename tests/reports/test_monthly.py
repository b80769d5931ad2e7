"""Monthly reports (月报): the cycle draft → submitted → acknowledged / returned → resubmitted,
who may do what, figures taken from the pledges, late marking, and the monthly reminders.

The world's campaign runs from July to December 2024 and reports are due on the 5th of the
following month, so September's report is due on 5 October 2024.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from campaigns import inbox
from campaigns.models import Notification
from pledges.models import Pledge, PledgeHistory
from reports import notices, selectors, services
from reports.models.monthly import MonthlyReport, MonthlyReportHistory
from reports.services import ReportRefused
from tests.conftest import World
from tests.pledges.factories import PledgeFactory

S = MonthlyReport.Status
TZ = ZoneInfo("Asia/Shanghai")
SEPTEMBER = datetime.date(2024, 9, 1)
TEXTS = {
    "main_work": "组织党员开展承诺践诺活动，走访困难群众12户。",
    "problems": "个别党员承诺内容不够具体。",
    "next_month_plan": "开展承诺兑现情况回头看。",
    "typical_examples": "党员张明华帮助村民修缮房屋。",
}


def at(when: datetime.datetime, time_machine) -> None:
    time_machine.move_to(when, tick=False)


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def october(time_machine) -> None:
    """2 October 2024, noon: September's report is due in three days."""
    at(local(2024, 10, 2, 12), time_machine)


def edit_url(world: World, org=None, month: datetime.date = SEPTEMBER) -> str:
    org = org or world.branch_a
    return reverse(
        "reports:monthly_edit",
        kwargs={
            "campaign_id": world.campaign.pk,
            "code": org.code,
            "year": month.year,
            "month": month.month,
        },
    )


def draft(world: World, org=None, month: datetime.date = SEPTEMBER) -> MonthlyReport:
    return services.monthly_report_save(
        campaign=world.campaign,
        organization=org or world.branch_a,
        month=month,
        actor=world.users["secretary_a"] if org is None else world.users["superior"],
        texts=TEXTS,
    )


def submitted(world: World) -> MonthlyReport:
    report = draft(world)
    return services.monthly_report_submit(report=report, actor=world.users["secretary_a"])


def state(report: MonthlyReport) -> tuple:
    report.refresh_from_db()
    return (
        report.status,
        report.reviewed_by_id,
        report.review_comment,
        MonthlyReportHistory.objects.filter(report=report).count(),
    )


# ---------------------------------------------------------------------------------------------
# The cycle through the pages
# ---------------------------------------------------------------------------------------------


def test_secretary_files_and_the_superior_acknowledges(world: World, client_as, october) -> None:
    secretary = client_as("secretary_a")
    assert secretary.get(edit_url(world)).status_code == 200
    response = secretary.post(edit_url(world), {**TEXTS, "submit": "1"})
    report = MonthlyReport.objects.get(organization=world.branch_a, month=SEPTEMBER)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:monthly_detail", args=[report.pk])
    assert report.status == S.SUBMITTED
    assert report.submitted_by == world.users["secretary_a"]
    assert report.main_work == TEXTS["main_work"]
    assert report.due_date == datetime.date(2024, 10, 5)
    assert not report.is_late()

    superior = client_as("superior")
    page = superior.get(reverse("reports:monthly_detail", args=[report.pk]))
    assert page.status_code == 200 and page.context["can_review"]
    superior.post(
        reverse("reports:monthly_review", args=[report.pk]),
        {"decision": "acknowledge", "comment": "工作扎实，继续保持。"},
    )
    report.refresh_from_db()
    assert report.status == S.ACKNOWLEDGED
    assert report.reviewed_by == world.users["superior"]
    history = list(report.history.values_list("action", "from_status", "to_status", "actor"))
    assert history == [
        ("create", "draft", "draft", world.users["secretary_a"].pk),
        ("submit", "draft", "submitted", world.users["secretary_a"].pk),
        ("acknowledge", "submitted", "acknowledged", world.users["superior"].pk),
    ]
    detail = secretary.get(reverse("reports:monthly_detail", args=[report.pk]))
    assert "工作扎实，继续保持。" in detail.content.decode()


def test_draft_is_saved_without_submitting(world: World, client_as, october) -> None:
    client_as("secretary_a").post(edit_url(world), {**TEXTS, "main_work": "先存草稿"})
    report = MonthlyReport.objects.get(organization=world.branch_a, month=SEPTEMBER)
    assert report.status == S.DRAFT and report.main_work == "先存草稿"
    assert report.submitted_at is None


def test_submitting_needs_main_work_and_plan(world: World, client_as, october) -> None:
    client_as("secretary_a", language="en").post(
        edit_url(world), {**TEXTS, "main_work": "", "next_month_plan": "", "submit": "1"}
    )
    report = MonthlyReport.objects.get(organization=world.branch_a, month=SEPTEMBER)
    assert report.status == S.DRAFT
    assert not report.history.filter(action="submit").exists()


def test_sibling_secretary_sees_nothing(world: World, client_as, october) -> None:
    report = submitted(world)
    sibling = client_as("secretary_b")
    assert sibling.get(reverse("reports:monthly_detail", args=[report.pk])).status_code == 404
    assert sibling.get(edit_url(world)).status_code == 404
    before = state(report)
    assert sibling.post(reverse("reports:monthly_submit", args=[report.pk])).status_code == 404
    response = sibling.post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "acknowledge"}
    )
    assert response.status_code == 404
    assert state(report) == before
    assert report.pk not in [
        r.pk for r in sibling.get(reverse("reports:monthly_list")).context["others"]
    ]


def test_secretary_cannot_acknowledge_their_own_report(world: World, client_as, october) -> None:
    report = submitted(world)
    before = state(report)
    response = client_as("secretary_a").post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "acknowledge"}
    )
    assert response.status_code == 403
    assert state(report) == before
    with pytest.raises(ReportRefused) as refused:
        services.monthly_report_acknowledge(report=report, actor=world.users["secretary_a"])
    assert refused.value.code == "not_allowed"
    assert state(report) == before


def test_whoever_submitted_never_acknowledges(world: World, october) -> None:
    """A superior who also sits on the branch committee and submitted the report may not
    acknowledge it."""
    from tests.factories import RoleAssignmentFactory

    RoleAssignmentFactory(
        user=world.users["superior"], organization=world.branch_a, role="deputy_secretary"
    )
    report = draft(world)
    services.monthly_report_submit(report=report, actor=world.users["superior"])
    with pytest.raises(ReportRefused):
        services.monthly_report_acknowledge(report=report, actor=world.users["superior"])
    services.monthly_report_acknowledge(report=report, actor=world.users["office"])
    assert report.status == S.ACKNOWLEDGED


def test_superior_and_office_read_but_do_not_write(world: World, client_as, october) -> None:
    for who in ("superior", "office", "leader", "inspector"):
        assert client_as(who).get(edit_url(world)).status_code == 403, who
    report = draft(world)
    before = state(report)
    for who in ("superior", "office", "leader"):
        response = client_as(who).post(reverse("reports:monthly_submit", args=[report.pk]))
        assert response.status_code == 403, who
        assert (
            client_as(who).get(reverse("reports:monthly_detail", args=[report.pk])).status_code
            == 200
        )
    assert state(report) == before


def test_leadership_cannot_acknowledge_but_the_office_can(world: World, client_as, october) -> None:
    report = submitted(world)
    before = state(report)
    leader = client_as("leader").post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "acknowledge"}
    )
    assert leader.status_code == 403 and state(report) == before
    client_as("office").post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "acknowledge"}
    )
    report.refresh_from_db()
    assert report.status == S.ACKNOWLEDGED and report.reviewed_by == world.users["office"]


def test_returned_report_is_edited_and_resubmitted(world: World, client_as, october) -> None:
    report = submitted(world)
    client_as("superior").post(
        reverse("reports:monthly_review", args=[report.pk]),
        {"decision": "return", "comment": "请补充典型事例。"},
    )
    report.refresh_from_db()
    assert report.status == S.RETURNED and report.review_comment == "请补充典型事例。"
    # The filer is told, once.
    notes = Notification.objects.filter(kind="monthly_report_returned")
    assert [(n.recipient_id, n.params["comment"]) for n in notes] == [
        (world.users["secretary_a"].pk, "请补充典型事例。")
    ]
    assert notes[0].url == reverse("reports:monthly_detail", args=[report.pk])

    secretary = client_as("secretary_a")
    assert secretary.get(edit_url(world)).status_code == 200
    secretary.post(edit_url(world), {**TEXTS, "typical_examples": "补充：党员李建国义务巡河。"})
    report.refresh_from_db()
    assert report.status == S.RETURNED and "李建国" in report.typical_examples
    secretary.post(reverse("reports:monthly_submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == S.SUBMITTED
    assert report.history.last().action == "resubmit"


def test_return_needs_a_comment(world: World, client_as, october) -> None:
    report = submitted(world)
    before = state(report)
    response = client_as("superior", language="en").post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "return", "comment": ""}
    )
    assert response.status_code == 302
    assert state(report) == before
    assert not Notification.objects.filter(kind="monthly_report_returned").exists()


def test_refused_transitions_change_nothing(world: World, client_as, october) -> None:
    report = draft(world)
    before = state(report)
    # Acknowledging a draft: the superior may review, but not in this state.
    client_as("superior").post(
        reverse("reports:monthly_review", args=[report.pk]), {"decision": "acknowledge"}
    )
    assert state(report) == before
    services.monthly_report_submit(report=report, actor=world.users["secretary_a"])
    services.monthly_report_acknowledge(report=report, actor=world.users["superior"])
    before = state(report)
    # Submitting, returning or editing an acknowledged report.
    client_as("secretary_a").post(reverse("reports:monthly_submit", args=[report.pk]))
    client_as("superior").post(
        reverse("reports:monthly_review", args=[report.pk]),
        {"decision": "return", "comment": "再改改"},
    )
    response = client_as("secretary_a").post(edit_url(world), {**TEXTS, "main_work": "偷偷改"})
    assert response.status_code == 302
    assert state(report) == before
    assert report.main_work == TEXTS["main_work"]
    with pytest.raises(ReportRefused) as refused:
        services.monthly_report_return(report=report, actor=world.users["superior"], comment="x")
    assert refused.value.code == "wrong_state"


def test_groups_do_not_file_and_months_outside_the_campaign_are_404(
    world: World, client_as, october
) -> None:
    secretary = client_as("secretary_a")
    assert secretary.get(edit_url(world, org=world.group_a)).status_code == 404
    assert secretary.get(edit_url(world, month=datetime.date(2024, 6, 1))).status_code == 404
    # November has not started yet on 2 October.
    assert secretary.get(edit_url(world, month=datetime.date(2024, 11, 1))).status_code == 404


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def _pledge(world: World, member, *, created, status, deadline, **kw) -> Pledge:
    return PledgeFactory(
        campaign=world.campaign,
        owner_member=member,
        author=world.users["secretary_a"],
        status=status,
        deadline=deadline,
        created_at=created,
        **kw,
    )


@pytest.fixture
def pledges(world: World, time_machine) -> dict[str, Pledge]:
    """Pledges of branch A (one of them by the member of its 党小组), of branch B and of branch
    C, at various times around September 2024."""
    at(local(2024, 10, 20, 12), time_machine)
    P = Pledge.Status
    made = {
        # Created in September, overdue at the end of September and still.
        "a_overdue": _pledge(
            world,
            world.member_a1,
            created=local(2024, 9, 3, 9),
            status=P.PUBLISHED,
            deadline=datetime.date(2024, 9, 20),
            published_at=local(2024, 9, 5, 9),
        ),
        # Created in August, fulfilled in September.
        "a_fulfilled": _pledge(
            world,
            world.member_a2,
            created=local(2024, 8, 20, 9),
            status=P.FULFILLED,
            deadline=datetime.date(2024, 9, 30),
            published_at=local(2024, 8, 25, 9),
            fulfilled_at=local(2024, 9, 28, 9),
        ),
        # The 党小组 member's: created in September, overdue on 30 September, fulfilled in
        # October (so overdue then, not now).
        "group_late": _pledge(
            world,
            world.member_group_a,
            created=local(2024, 9, 10, 9),
            status=P.FULFILLED,
            deadline=datetime.date(2024, 9, 15),
            published_at=local(2024, 9, 11, 9),
            fulfilled_at=local(2024, 10, 8, 9),
        ),
        # Created in October: not in September's figures.
        "a_october": _pledge(
            world,
            world.member_a1,
            created=local(2024, 10, 2, 9),
            status=P.DRAFT,
            deadline=datetime.date(2024, 12, 1),
        ),
        # Returned twice in September (counted once) and resubmitted.
        "a_returned": _pledge(
            world,
            world.member_self,
            created=local(2024, 9, 1, 9),
            status=P.SUBMITTED,
            deadline=datetime.date(2024, 12, 1),
        ),
        # Branch B's: never in branch A's figures, but in committee A's.
        "b_overdue": _pledge(
            world,
            world.member_b1,
            created=local(2024, 9, 2, 9),
            status=P.PUBLISHED,
            deadline=datetime.date(2024, 9, 10),
            published_at=local(2024, 9, 3, 9),
        ),
        "c_new": _pledge(
            world,
            world.member_c1,
            created=local(2024, 9, 2, 9),
            status=P.DRAFT,
            deadline=datetime.date(2024, 12, 1),
        ),
    }
    for day in (5, 12):
        PledgeHistory.objects.create(
            pledge=made["a_returned"], action="return", from_status="submitted",
            to_status="returned", actor=world.users["secretary_a"],
            created_at=local(2024, 9, day, 9),
        )  # fmt: skip
    PledgeHistory.objects.create(
        pledge=made["b_overdue"], action="return", from_status="submitted",
        to_status="returned", actor=world.users["superior"], created_at=local(2024, 8, 30, 9),
    )  # fmt: skip
    return made


def direct_counts(world: World, orgs, month: datetime.date) -> dict[str, int]:
    """The same figures counted one pledge at a time in Python."""
    start = datetime.datetime(month.year, month.month, 1, tzinfo=TZ)
    end_day = selectors.month_end(month)
    end = datetime.datetime.combine(end_day + datetime.timedelta(days=1), datetime.time(), TZ)
    ids = {o.pk for o in orgs}
    mine = [p for p in Pledge.objects.filter(campaign=world.campaign) if p.organization_id in ids]
    left = lambda p: p.fulfilled_at or p.evaluated_at or p.withdrawn_at  # noqa: E731
    return {
        "new_count": sum(start <= p.created_at < end for p in mine),
        "fulfilled_count": sum(
            p.status in ("fulfilled", "evaluated")
            and p.fulfilled_at is not None
            and start <= p.fulfilled_at < end
            for p in mine
        ),
        "overdue_count": sum(
            p.published_at is not None
            and p.published_at < end
            and p.deadline < end_day
            and (p.status == "published" or (left(p) is not None and left(p) >= end))
            for p in mine
        ),
        "returned_count": len(
            {
                h.pledge_id
                for h in PledgeHistory.objects.filter(action="return")
                if h.pledge.organization_id in ids and start <= h.created_at < end
            }
        ),
    }


def test_figures_equal_direct_counts(world: World, pledges) -> None:
    branch = selectors.report_figures(
        campaign=world.campaign, organization=world.branch_a, month=SEPTEMBER
    ).as_dict()
    assert branch == direct_counts(world, [world.branch_a, world.group_a], SEPTEMBER)
    assert branch == {"new_count": 3, "fulfilled_count": 1, "overdue_count": 2, "returned_count": 1}
    committee = selectors.report_figures(
        campaign=world.campaign, organization=world.committee_a, month=SEPTEMBER
    ).as_dict()
    assert committee == direct_counts(
        world, [world.committee_a, world.branch_a, world.group_a, world.branch_b], SEPTEMBER
    )
    assert committee["overdue_count"] == 3 and committee["new_count"] == 4
    # October so far (today is 20 October): the 党小组's pledge is no longer overdue.
    october = selectors.report_figures(
        campaign=world.campaign, organization=world.branch_a, month=datetime.date(2024, 10, 1)
    ).as_dict()
    assert (
        october["overdue_count"]
        == Pledge.objects.overdue().filter(organization__in=[world.branch_a, world.group_a]).count()
        == 1
    )
    assert october["new_count"] == 1 and october["fulfilled_count"] == 1


def test_figures_are_live_in_a_draft_and_frozen_at_submission(
    world: World, pledges, client_as
) -> None:
    report = draft(world)
    assert report.new_count == 3
    _pledge(
        world, world.member_a1, created=local(2024, 9, 29, 9), status=Pledge.Status.DRAFT,
        deadline=datetime.date(2024, 12, 1),
    )  # fmt: skip
    page = client_as("secretary_a").get(reverse("reports:monthly_detail", args=[report.pk]))
    assert page.context["figures"].new_count == 4  # live
    services.monthly_report_submit(report=report, actor=world.users["secretary_a"])
    assert report.new_count == 4
    _pledge(
        world, world.member_a1, created=local(2024, 9, 30, 10), status=Pledge.Status.DRAFT,
        deadline=datetime.date(2024, 12, 1),
    )  # fmt: skip
    page = client_as("secretary_a").get(reverse("reports:monthly_detail", args=[report.pk]))
    assert page.context["figures"].new_count == 4  # frozen
    report.refresh_from_db()
    assert report.new_count == 4


# ---------------------------------------------------------------------------------------------
# Late
# ---------------------------------------------------------------------------------------------


def test_late_marking(world: World, client_as, time_machine) -> None:
    at(local(2024, 10, 5, 23, 50), time_machine)  # the due day, late evening: on time
    on_time = submitted(world)
    assert not on_time.is_late()
    at(local(2024, 10, 6, 0, 10), time_machine)  # just past the due day
    draft_b = services.monthly_report_save(
        campaign=world.campaign, organization=world.branch_b, month=SEPTEMBER,
        actor=world.users["secretary_b"], texts=TEXTS,
    )  # fmt: skip
    assert draft_b.is_late()  # not submitted and past the due date
    services.monthly_report_submit(report=draft_b, actor=world.users["secretary_b"])
    assert draft_b.is_late()  # submitted after it
    # A return and resubmission does not make the on-time report late.
    services.monthly_report_return(report=on_time, actor=world.users["superior"], comment="补充")
    services.monthly_report_submit(report=on_time, actor=world.users["secretary_a"])
    assert not on_time.is_late()

    rows = client_as("secretary_a").get(reverse("reports:monthly_list")).context["my_rows"]
    late = {(r.month, r.late) for r in rows}
    assert (SEPTEMBER, False) in late
    # August was due on 5 September and never started: marked late.
    assert (datetime.date(2024, 8, 1), True) in late
    page = client_as("superior").get(reverse("reports:monthly_list") + "?month=2024-09")
    others = {r.organization_id: r.late for r in page.context["others"]}
    assert others == {world.branch_a.pk: False, world.branch_b.pk: True}


def test_list_filters_by_month_and_status(world: World, client_as, october) -> None:
    submitted(world)
    client = client_as("secretary_a")
    rows = client.get(reverse("reports:monthly_list") + "?month=2024-09").context["my_rows"]
    assert [(r.month, r.status) for r in rows] == [(SEPTEMBER, "submitted")]
    rows = client.get(reverse("reports:monthly_list") + "?status=missing").context["my_rows"]
    assert {r.month for r in rows} == {datetime.date(2024, m, 1) for m in (7, 8, 10)}
    assert all(r.report is None for r in rows)


def test_list_offers_the_ledger_with_its_filters(world: World, client_as, october) -> None:
    submitted(world)
    client = client_as("secretary_a")
    page = client.get(reverse("reports:monthly_list") + "?month=2024-09")
    link = reverse("reports:export_monthly") + "?month=2024-09"
    assert link in page.content.decode()
    ledger = client.get(link)
    assert ledger.status_code == 200
    assert ledger["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


# ---------------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------------


def sweep(name: str) -> int:
    """Run one sweep; how many notifications it added (counted in the table: under frozen time
    the inbox's own count cannot tell this run's rows from an earlier run's)."""
    before = Notification.objects.count()
    inbox.run_sweeps(only=[name])
    return Notification.objects.count() - before


def _delivered(kind) -> set[tuple[str, str]]:
    return set(
        Notification.objects.filter(kind=kind.code).values_list(
            "recipient__username", "params__month"
        )
    )


def test_due_soon_reminder_goes_to_the_secretaries_once(world: World, time_machine) -> None:
    # A deputy secretary of branch B is reminded too; a committee member is not.
    from tests.factories import RoleAssignmentFactory, UserFactory

    RoleAssignmentFactory(
        user=UserFactory(username="deputy_b"), organization=world.branch_b, role="deputy_secretary"
    )
    at(local(2024, 10, 1, 9), time_machine)  # four days before: too early
    assert sweep("monthly_reports_due") == 0
    at(local(2024, 10, 2, 9), time_machine)
    submitted(world)  # branch A has filed September's report already
    new = sweep("monthly_reports_due")
    assert _delivered(notices.MONTHLY_REPORT_DUE) == {
        ("superior", "2024-09"),
        ("secretary_b", "2024-09"),
        ("deputy_b", "2024-09"),
    }
    assert new == 3
    note = Notification.objects.get(recipient=world.users["secretary_b"])
    assert note.params["due"] == "2024-10-05"
    assert note.url == edit_url(world, org=world.branch_b)
    # A second run (or the next day's) delivers nothing new.
    assert sweep("monthly_reports_due") == 0
    at(local(2024, 10, 5, 9), time_machine)
    assert sweep("monthly_reports_due") == 0


def test_missing_reminder_after_the_due_date(world: World, time_machine) -> None:
    at(local(2024, 9, 3, 9), time_machine)
    # August's report of branch A was submitted on time; branch B's was started, not submitted.
    services.monthly_report_submit(
        report=draft(world, month=datetime.date(2024, 8, 1)), actor=world.users["secretary_a"]
    )
    services.monthly_report_save(
        campaign=world.campaign, organization=world.branch_b, month=datetime.date(2024, 8, 1),
        actor=world.users["secretary_b"], texts=TEXTS,
    )  # fmt: skip
    at(local(2024, 9, 5, 20), time_machine)  # the due day itself: not missing yet
    assert sweep("monthly_reports_missing") == 3
    # (July's reports, due on 5 August, are missing for all three.)
    assert _delivered(notices.MONTHLY_REPORT_MISSING) == {
        ("superior", "2024-07"),
        ("secretary_a", "2024-07"),
        ("secretary_b", "2024-07"),
    }
    at(local(2024, 9, 6, 9), time_machine)
    new = sweep("monthly_reports_missing")
    assert new == 2
    assert _delivered(notices.MONTHLY_REPORT_MISSING) - {
        ("superior", "2024-07"),
        ("secretary_a", "2024-07"),
        ("secretary_b", "2024-07"),
    } == {("superior", "2024-08"), ("secretary_b", "2024-08")}
    # Nobody outside the filing organisations' secretaries; the inactive secretary of branch A
    # and the committee member get nothing.
    recipients = set(
        Notification.objects.filter(kind="monthly_report_missing").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"superior", "secretary_a", "secretary_b"}
    assert sweep("monthly_reports_missing") == 0


def test_no_reminders_for_a_closed_campaign(world: World, time_machine) -> None:
    world.campaign.status = "closed"
    world.campaign.save()
    at(local(2024, 10, 3, 9), time_machine)
    assert inbox.run_sweeps(only=["monthly_reports_due", "monthly_reports_missing"]) == {
        "monthly_reports_due": 0,
        "monthly_reports_missing": 0,
    }
