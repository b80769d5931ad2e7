"""The leadership dashboard (数据看板): figures equal direct counts, freshness, scope, a fixed
number of queries, and the children table's drill-down and traffic lights."""

from __future__ import annotations

import datetime
import re
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Organization
from config.schedule import SCHEDULE
from pledges.models import Feedback, Pledge
from reports import dashboard
from reports.models.dashboard import DashboardRollup
from reports.models.monthly import MonthlyReport
from reports.tasks import refresh_dashboard_rollups
from tests.conftest import World
from tests.factories import CampaignFactory
from tests.pledges.factories import PledgeFactory

S = Pledge.Status
TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


def in_days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def pledges(world: World) -> list[Pledge]:
    """Pledges in every state, of members and organisations, of every kind and term, across
    the tree (city, committee A, branch A and its group, branch B, branch C), with feedback
    and monthly reports; plus a pledge of another campaign that must never count."""
    w = world
    made: list[Pledge] = []

    def member(m, status, **kw):
        p = PledgeFactory(campaign=w.campaign, owner_member=m, status=status, **kw)
        made.append(p)
        return p

    def org(o, status, **kw):
        p = PledgeFactory(
            campaign=w.campaign, owner_member=None, owner_organization=o, status=status, **kw
        )
        made.append(p)
        return p

    K, T = Pledge.Kind, Pledge.Term
    # Branch A (members directly in it), every status once, some twice.
    member(w.member_a1, S.DRAFT)
    member(w.member_a1, S.SUBMITTED, submitted_at=days_ago(9), kind=K.RECTIFY, measures="改")
    member(w.member_a2, S.SUBMITTED, submitted_at=days_ago(2), term=T.IMMEDIATE)
    member(w.member_a2, S.RETURNED, kind=K.WORK)
    member(w.member_self, S.APPROVED, term=T.LONG)
    member(w.member_self, S.PUBLISHED, deadline=in_days(-30))  # overdue 30 days
    member(w.member_self, S.PUBLISHED, deadline=in_days(10))
    member(w.member_a1, S.FULFILLED, fulfilled_at=days_ago(40), kind=K.WORK)
    member(w.member_a1, S.FULFILLED, fulfilled_at=days_ago(3), term=T.IMMEDIATE)
    member(w.member_a2, S.EVALUATED, fulfilled_at=days_ago(70))
    member(w.member_a2, S.EVALUATED)  # graded straight from published: not fulfilled
    member(w.member_self, S.WITHDRAWN)
    # Group A under branch A.
    member(w.member_group_a, S.PUBLISHED, deadline=in_days(-3))  # overdue 3 days
    member(w.member_group_a, S.FULFILLED, fulfilled_at=days_ago(1), term=T.LONG)
    member(w.member_group_a, S.SUBMITTED, submitted_at=days_ago(5))
    # Branch B.
    member(w.member_b1, S.FULFILLED, fulfilled_at=days_ago(12))
    member(w.member_b1, S.PUBLISHED, deadline=in_days(-12), kind=K.WORK)  # overdue
    member(w.member_b1, S.DRAFT)
    # Branch C (another committee).
    member(w.member_c1, S.PUBLISHED, deadline=in_days(-60))  # the worst overdue
    member(w.member_c1, S.RETURNED)
    member(w.mobile_member, S.SUBMITTED, submitted_at=days_ago(20))
    # Organisation pledges: branch A, committee A, the city.
    org(w.branch_a, S.FULFILLED, fulfilled_at=days_ago(8), term=T.LONG)
    org(w.branch_a, S.PUBLISHED, deadline=in_days(-1))  # overdue 1 day
    org(w.committee_a, S.SUBMITTED, submitted_at=days_ago(14), kind=K.WORK)
    org(w.committee_a, S.EVALUATED, fulfilled_at=days_ago(30))
    org(w.city, S.APPROVED)
    org(w.city, S.WITHDRAWN)

    # Public feedback: counted ratings, and one whose comment was rejected (not counted).
    def feedback(p, rating, status="none", comment=""):
        Feedback.objects.create(
            pledge=p, rating=rating, status=status, comment=comment, fingerprint="f"
        )

    R = Feedback.Rating
    feedback(made[5], R.SATISFIED)
    feedback(made[5], R.FAIRLY_SATISFIED)
    feedback(made[7], R.DISSATISFIED)
    feedback(made[7], R.SATISFIED, status="rejected", comment="广告")
    feedback(made[12], R.DISSATISFIED, status="approved", comment="进度太慢")
    feedback(made[15], R.SATISFIED)
    feedback(made[18], R.FAIRLY_SATISFIED, status="pending", comment="还行")

    # Monthly reports: on time, late, not yet in and overdue, not yet due.
    def report(o, month, due, first_submitted=None):
        MonthlyReport.objects.create(
            campaign=w.campaign,
            organization=o,
            month=month,
            due_date=due,
            first_submitted_at=first_submitted,
            submitted_at=first_submitted,
            status=MonthlyReport.Status.SUBMITTED
            if first_submitted
            else MonthlyReport.Status.DRAFT,
        )

    month = TODAY.replace(day=1)
    report(w.branch_a, month - datetime.timedelta(days=62), in_days(-30), days_ago(31))  # on time
    report(w.branch_a, month - datetime.timedelta(days=31), in_days(-5), days_ago(2))  # late
    report(w.branch_b, month - datetime.timedelta(days=31), in_days(-5))  # missing, due
    report(w.branch_c, month, in_days(20))  # not due yet
    report(w.committee_a, month, in_days(20), days_ago(1))  # early: on time

    # Another campaign over the same tree: never counted in the world campaign.
    other = CampaignFactory(
        root_organization=w.city, name="另一个活动", status=Campaign.Status.CLOSED
    )
    PledgeFactory(campaign=other, owner_member=w.member_a1, status=S.FULFILLED)
    return made


def direct(org: Organization, campaign: Campaign) -> dict:
    """The dashboard's figures counted straight from the pledges, independently of the
    rollups (plain Python over the rows)."""
    rows = list(Pledge.objects.filter(campaign=campaign, organization__path__startswith=org.path))
    counted = [p for p in rows if p.status not in (S.DRAFT, S.WITHDRAWN)]

    def done(p: Pledge) -> bool:
        return p.status == S.FULFILLED or (p.status == S.EVALUATED and p.fulfilled_at is not None)

    def share(items) -> tuple[int, int]:
        items = list(items)
        return (sum(1 for p in items if done(p)), len(items))

    waiting = [
        (TODAY - timezone.localdate(p.submitted_at)).days for p in rows if p.status == S.SUBMITTED
    ]
    fb = Feedback.objects.filter(
        pledge__campaign=campaign, pledge__organization__path__startswith=org.path
    ).exclude(status=Feedback.Status.REJECTED)
    reports = MonthlyReport.objects.filter(
        campaign=campaign, organization__path__startswith=org.path
    )
    due = [r for r in reports if r.due_date < TODAY or r.first_submitted_at is not None]
    return {
        "status": {s: sum(1 for p in rows if p.status == s) for s in S.values},
        "total": len(counted),
        "fulfilled": sum(1 for p in counted if done(p)),
        "member": share(p for p in counted if p.owner_member_id),
        "organization": share(p for p in counted if p.owner_organization_id),
        "kind": {k: share(p for p in counted if p.kind == k) for k in Pledge.Kind.values},
        "term": {t: share(p for p in counted if p.term == t) for t in Pledge.Term.values},
        "overdue": sum(1 for p in rows if p.status == S.PUBLISHED and p.deadline < TODAY),
        "backlog": len(waiting),
        "oldest": max(waiting) if waiting else None,
        "median": statistics.median(waiting) if waiting else None,
        "returned": sum(1 for p in rows if p.status == S.RETURNED),
        "satisfaction": (
            fb.filter(rating__in=Feedback.SATISFIED_RATINGS).count(),
            fb.count(),
        ),
        "reports": (
            sum(
                1
                for r in due
                if r.first_submitted_at is not None
                and timezone.localdate(r.first_submitted_at) <= r.due_date
            ),
            len(due),
        ),
    }


@pytest.mark.parametrize("code", ["CITY", "TWN-A", "BR-A", "BR-C"])
def test_figures_equal_direct_counts(world: World, pledges, code: str) -> None:
    dashboard.refresh_rollups()
    org = world.orgs[code]
    expected = direct(org, world.campaign)
    figures = dashboard.dashboard_figures(organization=org, campaign=world.campaign)
    c = figures.counts

    assert {key: n for key, _label, n in figures.by_status} == expected["status"]
    assert c.total == expected["total"]
    assert c.fulfilled == expected["fulfilled"]
    assert c.fulfilment.percent == round(expected["fulfilled"] * 100 / expected["total"], 1)
    owners = {b.key: (b.share.part, b.share.whole) for b in figures.by_owner}
    assert owners == {"member": expected["member"], "organization": expected["organization"]}
    assert {b.key: (b.share.part, b.share.whole) for b in figures.by_kind} == expected["kind"]
    assert {b.key: (b.share.part, b.share.whole) for b in figures.by_term} == expected["term"]
    assert c["n_overdue"] == expected["overdue"]
    assert c.overdue.whole == expected["total"]
    assert c.backlog == expected["backlog"]
    assert figures.backlog_oldest_days == expected["oldest"]
    assert figures.backlog_median_days == expected["median"]
    assert c.returned == expected["returned"]
    assert (c.satisfaction.part, c.satisfaction.whole) == expected["satisfaction"]
    assert figures.reports_available
    assert (c.reports.part, c.reports.whole) == expected["reports"]
    # The trend adds up to the fulfilled pledges; the last point's rate is the overall rate.
    assert sum(p.fulfilled for p in figures.trend) == expected["fulfilled"]
    assert figures.trend[-1].cumulative == expected["fulfilled"]
    assert figures.trend[-1].cumulative_rate == c.fulfilment.percent


def test_every_state_is_present_in_the_fixture(world: World, pledges) -> None:
    # The comparisons above mean something only if every status occurs under the city.
    assert set(Pledge.objects.values_list("status", flat=True)) == set(S.values)


def test_the_city_figures_are_those_of_the_seeds_definitions(world: World, pledges) -> None:
    """Spelled out once: what the fixture holds under the city, counted by hand."""
    dashboard.refresh_rollups()
    c = dashboard.dashboard_figures(organization=world.city, campaign=world.campaign).counts
    # 27 pledges, 2 drafts and 2 withdrawn not counted.
    assert c.total == 23
    # fulfilled: 5 fulfilled + 2 evaluated after fulfilment (one evaluated without it).
    assert c.fulfilled == 7
    assert c["n_overdue"] == 5
    assert c.backlog == 5
    assert c.returned == 2
    assert (c.satisfaction.part, c.satisfaction.whole) == (4, 6)
    assert (c.reports.part, c.reports.whole) == (2, 4)


def test_the_page_shows_the_figures(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    html = (
        client_as("leader", language="en")
        .get(reverse("reports:dashboard_org", args=["CITY"]))
        .content.decode()
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Fulfilment rate 2 30.4% 7 fulfilled" in text  # 7 of 23
    assert "overdue rate 21.7%" in text  # 5 of 23
    assert "oldest 20 days · median 9 days" in text  # waiting 2, 5, 9, 14, 20 days
    assert "66.7%" in text and "6 ratings" in text  # 4 of 6
    assert "50.0%" in text and "2 of 4 due" in text  # monthly reports
    # The children table: committee A's subtree, 7 of 19 fulfilled.
    row = re.search(r"甲镇党委.*?</tr>", html, re.S).group(0)
    assert "36.8%" in row


def test_a_change_shows_after_the_refresh(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    before = dashboard.dashboard_figures(organization=world.branch_b, campaign=world.campaign)
    assert before.counts.fulfilled == 1
    overdue = Pledge.objects.get(organization=world.branch_b, status=S.PUBLISHED)
    Pledge.objects.filter(pk=overdue.pk).update(status=S.FULFILLED, fulfilled_at=timezone.now())

    # The rollups are a snapshot: unchanged until the next refresh (beat, every 5 minutes).
    stale = dashboard.dashboard_figures(organization=world.branch_b, campaign=world.campaign)
    assert stale.counts.fulfilled == 1
    dashboard.refresh_rollups(world.campaign)
    after = dashboard.dashboard_figures(organization=world.branch_b, campaign=world.campaign)
    assert after.counts.fulfilled == 2
    assert after.counts["n_overdue"] == 0
    assert after.refreshed_at >= before.refreshed_at

    # The page says how fresh the figures are.
    page = client_as("leader", language="en").get(reverse("reports:dashboard_org", args=["BR-B"]))
    stamp = timezone.localtime(after.refreshed_at).strftime("%H:%M")
    assert f"Figures as of {stamp}" in page.content.decode()


def test_refresh_is_safe_to_run_twice_and_the_task_calls_it(world: World, pledges) -> None:
    first = dashboard.refresh_rollups()
    rows = list(
        DashboardRollup.objects.order_by("campaign_id", "organization_id", "scope").values()
    )
    result = refresh_dashboard_rollups()  # the beat task, run in-process
    assert result["rows"] == first.rows == len(rows)
    again = list(
        DashboardRollup.objects.order_by("campaign_id", "organization_id", "scope").values()
    )
    strip = [{k: v for k, v in r.items() if k != "id"} for r in rows]
    assert [{k: v for k, v in r.items() if k != "id"} for r in again] == strip
    # One campaign at a time leaves the others alone.
    dashboard.refresh_rollups(world.campaign)
    assert DashboardRollup.objects.exclude(campaign=world.campaign).exists()


def test_beat_refreshes_every_five_minutes() -> None:
    entries = [e for e in SCHEDULE.values() if e["task"] == "reports.refresh_dashboard_rollups"]
    assert entries and entries[0]["every"] <= 300


def test_a_campaign_never_refreshed_says_so(world: World, client_as) -> None:
    page = client_as("leader", language="en").get(reverse("reports:dashboard"))
    assert page.status_code == 200
    assert "have not been computed yet" in page.content.decode()


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("leader", "CITY", 200),
        ("leader", "BR-C", 200),
        ("office", "GRP-A", 200),
        ("superior", "TWN-A", 200),
        ("superior", "BR-B", 200),
        ("superior", "TWN-C", 404),  # a sibling committee
        ("superior", "CITY", 404),  # above the user's scope
        ("secretary_a", "BR-A", 200),
        ("secretary_a", "BR-B", 404),
        ("secretary_b", "BR-A", 404),
        ("secretary_a", "NO-SUCH-ORG", 404),
        ("member_user", "BR-A", 403),
    ],
)
def test_scope(world: World, client_as, who: str, code: str, status: int) -> None:
    response = client_as(who).get(reverse("reports:dashboard_org", args=[code]))
    assert response.status_code == status


def test_anonymous_goes_to_the_login_page(world: World, client_as) -> None:
    response = client_as("anonymous").get(reverse("reports:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_opens_at_the_top_of_the_users_scope(world: World, client_as) -> None:
    for who, name in (
        ("leader", "示范市委"),
        ("superior", "甲镇党委"),
        ("secretary_a", "甲村党支部"),
    ):
        page = client_as(who).get(reverse("reports:dashboard"))
        assert page.status_code == 200
        assert page.context["organization"].name == name


def test_breadcrumbs_go_up_to_the_users_top_only(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    page = client_as("superior").get(reverse("reports:dashboard_org", args=["GRP-A"]))
    crumbs = [org.code for org in page.context["breadcrumbs"]]
    assert crumbs == ["TWN-A", "BR-A"]  # not the city: above the committee's scope
    html = page.content.decode()
    assert reverse("reports:dashboard_org", args=["BR-A"]) in html
    assert reverse("reports:dashboard_org", args=["CITY"]) not in html
    page = client_as("leader").get(reverse("reports:dashboard_org", args=["GRP-A"]))
    assert [org.code for org in page.context["breadcrumbs"]] == ["CITY", "TWN-A", "BR-A"]


# ---------------------------------------------------------------------------------------------
# Queries: a fixed number, whatever the subtree
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["CITY", "TWN-A", "BR-A"])
def test_selectors_make_a_fixed_number_of_queries(
    world: World, pledges, code: str, django_assert_num_queries
) -> None:
    dashboard.refresh_rollups()
    org, campaign = world.orgs[code], world.campaign
    # Refresh time, summed rollups, series, phases.
    with django_assert_num_queries(4):
        dashboard.dashboard_figures(organization=org, campaign=campaign)
    # Children, rollups grouped by child.
    with django_assert_num_queries(2):
        dashboard.children_table(organization=org, campaign=campaign, sort="-rate")
    with django_assert_num_queries(1):
        dashboard.worst_overdue(organization=org, campaign=campaign)


def test_the_page_makes_the_same_number_of_queries_for_root_and_branch(
    world: World, pledges, client_as
) -> None:
    dashboard.refresh_rollups()
    client = client_as("leader")
    counts = {}
    for code in ("CITY", "TWN-A", "BR-A", "GRP-A"):
        client.get(reverse("reports:dashboard_org", args=[code]))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("reports:dashboard_org", args=[code]))
        assert response.status_code == 200
        counts[code] = len(ctx.captured_queries)
    # 15 on this checkout: session, user, roles, organisation, the user's member record,
    # campaigns, breadcrumbs, refresh time, sums, series, phases, children, grouped children,
    # overdue list, the navbar's unread count. The root has no ancestors to look up.
    assert counts["TWN-A"] == counts["BR-A"] == counts["GRP-A"], counts
    assert counts["CITY"] == counts["BR-A"] - 1, counts


# ---------------------------------------------------------------------------------------------
# The children table
# ---------------------------------------------------------------------------------------------


def test_children_rows_drill_down_one_level(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    page = client_as("leader").get(reverse("reports:dashboard_org", args=["CITY"]))
    table = page.context["table"]
    assert [row.organization.code for row in table.rows] == ["TWN-A", "TWN-C"]
    # The children's sums and the city's own pledges add up to the city.
    total = sum(row.counts.total for row in table.rows) + table.own.counts.total
    assert total == page.context["figures"].counts.total
    html = page.content.decode()
    campaign = world.campaign.pk
    for code in ("TWN-A", "TWN-C"):
        assert f'href="{reverse("reports:dashboard_org", args=[code])}?campaign={campaign}"' in html
    # One level at a time: the branches are not rows of the city's table.
    assert reverse("reports:dashboard_org", args=["BR-A"]) not in html

    page = client_as("leader").get(reverse("reports:dashboard_org", args=["TWN-A"]))
    assert [row.organization.code for row in page.context["table"].rows] == ["BR-A", "BR-B"]
    branch_a = page.context["table"].rows[0]
    assert branch_a.counts.total == direct(world.branch_a, world.campaign)["total"]


def test_flags_follow_the_campaigns_thresholds(world: World, pledges) -> None:
    dashboard.refresh_rollups()
    campaign = world.campaign
    rows = {
        row.organization.code: row
        for row in dashboard.children_table(organization=world.committee_a, campaign=campaign).rows
    }
    a, b = rows["BR-A"].counts, rows["BR-B"].counts
    # Branch A: 5 of 15 fulfilled (33.3%), 3 overdue (20%); branch B: 1 of 2, 1 overdue (50%).
    assert (a.fulfilled, a.total, a["n_overdue"]) == (5, 15, 3)
    assert (b.fulfilled, b.total, b["n_overdue"]) == (1, 2, 1)

    def flags(red: int, amber: int, overdue: int) -> dict[str, str]:
        campaign.flag_fulfilment_red_below = red
        campaign.flag_fulfilment_amber_below = amber
        campaign.flag_overdue_red_above = overdue
        table = dashboard.children_table(organization=world.committee_a, campaign=campaign)
        return {row.organization.code: row.flag for row in table.rows}

    assert flags(30, 60, 60) == {"BR-A": "amber", "BR-B": "amber"}
    assert flags(35, 60, 60) == {"BR-A": "red", "BR-B": "amber"}
    assert flags(10, 20, 60) == {"BR-A": "green", "BR-B": "green"}
    assert flags(10, 20, 40) == {"BR-A": "green", "BR-B": "red"}  # 50% overdue
    assert flags(10, 20, 19) == {"BR-A": "red", "BR-B": "red"}  # 20% overdue
    # Nothing to judge: no flag.
    empty = dashboard.children_table(organization=world.committee_c, campaign=campaign).rows
    assert empty[0].flag != "none"
    other = CampaignFactory(root_organization=world.city)
    assert {
        r.flag for r in dashboard.children_table(organization=world.city, campaign=other).rows
    } == {"none"}


def test_flags_are_shown_in_the_table(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    Campaign.objects.filter(pk=world.campaign.pk).update(
        flag_fulfilment_red_below=45, flag_fulfilment_amber_below=60, flag_overdue_red_above=60
    )
    html = (
        client_as("leader", language="en")
        .get(reverse("reports:dashboard_org", args=["TWN-A"]))
        .content.decode()
    )
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\" class=\"fw-normal dash-name\">.*?</tr>", html, re.S
    )
    assert "BR-A" in rows[0] and "dash-flag-red" in rows[0] and "Lagging" in rows[0]
    assert "BR-B" in rows[1] and "dash-flag-amber" in rows[1] and "Watch" in rows[1]


def test_children_sort_server_side(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    client = client_as("leader")
    url = reverse("reports:dashboard_org", args=["TWN-A"])

    def order(sort: str) -> list[str]:
        return [r.organization.code for r in client.get(url, {"sort": sort}).context["table"].rows]

    assert order("-total") == ["BR-A", "BR-B"]
    assert order("total") == ["BR-B", "BR-A"]
    assert order("rate") == ["BR-A", "BR-B"]  # 33.3% before 50%
    assert order("-overdue_rate") == ["BR-B", "BR-A"]
    assert order("nonsense") == ["BR-A", "BR-B"]  # unknown: tree order
    page = client.get(url, {"sort": "-total"})
    assert 'aria-sort="descending"' in page.content.decode()


def test_worst_overdue_pledges_link_to_the_pledges(world: World, pledges, client_as) -> None:
    dashboard.refresh_rollups()
    items = dashboard.worst_overdue(organization=world.city, campaign=world.campaign)
    assert [i.days_overdue for i in items] == [60, 30, 12, 3, 1]
    html = client_as("leader").get(reverse("reports:dashboard_org", args=["CITY"])).content.decode()
    for item in items:
        assert reverse("pledges:pledge_detail", args=[item.pledge.pk]) in html
    branch = dashboard.worst_overdue(organization=world.branch_a, campaign=world.campaign)
    assert [i.days_overdue for i in branch] == [30, 3, 1]
    assert (
        len(dashboard.worst_overdue(organization=world.city, campaign=world.campaign, limit=2)) == 2
    )


# ---------------------------------------------------------------------------------------------
# Campaign choice, charts, navigation
# ---------------------------------------------------------------------------------------------


def test_campaign_choice_defaults_to_the_active_one(world: World, pledges, client_as) -> None:
    closed = CampaignFactory(
        root_organization=world.city,
        name="2025年活动",
        status=Campaign.Status.CLOSED,
        start_date=datetime.date(2025, 7, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    dashboard.refresh_rollups()
    client = client_as("leader")
    url = reverse("reports:dashboard_org", args=["CITY"])
    assert client.get(url).context["campaign"] == world.campaign
    page = client.get(url, {"campaign": closed.pk})
    assert page.context["campaign"] == closed
    assert page.context["figures"].counts.total == 0
    # A campaign outside the user's view falls back to the default.
    elsewhere = CampaignFactory()
    assert client.get(url, {"campaign": elsewhere.pk}).context["campaign"] == world.campaign


def test_charts_read_their_numbers_from_json_and_each_has_a_table(
    world: World, pledges, client_as
) -> None:
    dashboard.refresh_rollups()
    html = client_as("leader").get(reverse("reports:dashboard_org", args=["CITY"])).content.decode()
    charts = re.findall(r'data-chart="(\w+)" data-source="([\w-]+)"', html)
    assert {name for name, _ in charts} == {"status", "rates", "trend", "timeline"}
    for _name, source in charts:
        assert f'<script id="{source}" type="application/json">' in html
    assert html.count('<details class="dash-table">') == len(charts)
    assert "vendor/echarts/echarts.min.js" in html and "js/dashboard.js" in html
    # No inline script or style (the CSP forbids them).
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
    assert " style=" not in html
    # The labels are the translated ones (the default language is Chinese).
    assert "已兑现" in html


def test_staff_see_the_nav_entry_and_leadership_the_home_link(world: World, client_as) -> None:
    url = reverse("reports:dashboard")
    assert url in client_as("secretary_a").get(reverse("home")).content.decode()
    home = client_as("leader").get(reverse("home")).content.decode()
    assert "home-dashboard-link" in home
    assert url not in client_as("member_user").get(reverse("home")).content.decode()


def test_median_from_counts_matches_statistics_median() -> None:
    for values in ([1], [1, 2], [3, 1, 2], [5, 5, 1, 9], [0, 0, 0, 7, 7, 8]):
        points = sorted({v: values.count(v) for v in values}.items())
        assert dashboard._median_from_counts(points) == statistics.median(values)
    assert dashboard._median_from_counts([]) is None
