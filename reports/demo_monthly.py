"""Demo monthly reports (月报) and one bulletin (通报), for ``seed_demo`` (step "monthly-reports",
listed in reports/demo.py).

Every filing organisation of the demo city (not the counties of the city scale) gets a report
for each month of the campaign whose due date has passed, in every state, and some a draft for
the month under way:

* acknowledged on time (most), acknowledged after a late filing, submitted and waiting for the
  superior, returned for revision with the superior's comment, never filed (a draft left
  unsubmitted, or nothing at all);
* the logins' organisations tell a story: 柳河村 (``secretary``) had last month's report
  returned and has this month's draft open; 杨庄村 (``secretary2``) filed late once and has a
  report waiting for 青山镇党委 (``committee``), who also has other branches' reports to
  acknowledge and its own waiting for the office.

Texts are composed from fictional phrases that fit the kind of unit. Figures are computed by
the same selector the pages use. One bulletin — 青山镇党委's for the last month that is due — is
rendered to PDF (rendering every committee's would make seeding slow; the others can be
generated from the bulletin pages).
"""

from __future__ import annotations

import datetime
import random

from django.db import connection
from django.db.models import Q

from campaigns.demo import SeedContext
from campaigns.models import Campaign, Organization, RoleAssignment
from pledges.models import Pledge, PledgeHistory
from reports import selectors, services
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory

Status = MonthlyReport.Status
Action = MonthlyReportHistory.Action
Unit = Organization.UnitKind

# What each unit did, by kind of unit: {place} is the organisation's short place name.
MAIN_WORK = {
    Unit.VILLAGE: [
        "组织党员开展“承诺践诺”集中走访，入户走访困难群众{n}户，帮助解决生产生活实际困难{m}件。",
        "召开党员大会通报承诺兑现进度，逐人对照承诺书查找差距，对进度滞后的{m}项承诺明确了完成时限。",
        "结合秋收秋种，党员先锋岗带头帮助留守老人抢收作物，组织志愿服务{m}次。",
        "推进{place}村内道路硬化和路灯安装，党员分段包干、全程监督，已完成{p}%。",
    ],
    Unit.COMMUNITY: [
        "开展“党员进楼道”活动，在职党员到社区报到{n}人次，收集居民诉求{m}条并逐条回复。",
        "组织党员志愿者开展老旧小区环境整治，清理楼道杂物{m}处，劝导文明停车。",
        "社区党组织公示承诺事项，设立承诺公示栏和意见箱，收到群众意见{m}条。",
    ],
    Unit.SCHOOL: [
        "党员教师认领“学困生帮扶”承诺，结对帮扶学生{n}名，开展课后辅导{m}次。",
        "组织党员教师公开课{m}节，开展师德师风承诺专题学习。",
    ],
    Unit.HEALTH_CENTRE: [
        "党员医生开展送医下乡{m}次，为{n}名老年人免费体检、建立健康档案。",
        "设立党员示范岗，推行“首诊负责、限时服务”承诺，群众满意度明显提升。",
    ],
    Unit.ORGAN: [
        "机关党员围绕“我的岗位我负责”亮诺践诺，办结群众来信来访{m}件，办结率{p}%。",
        "开展“服务基层大走访”，机关党员深入联系点调研{m}次，帮助协调解决问题{n}个。",
    ],
    "enterprise": [
        "党员技术骨干牵头攻关生产工艺难题{m}项，开展岗位练兵，设立党员责任区{n}个。",
        "组织党员开展安全生产承诺，排查整改隐患{m}处。",
    ],
    "committee": [
        "召开创先争优活动推进会，听取所属党组织承诺兑现情况汇报，对{m}个进度滞后的支部进行督导。",
        "班子成员深入联系点调研指导{m}次，协调解决基层反映的问题{n}个。",
        "组织开展承诺事项“回头看”，抽查所属党组织承诺台账{n}本，通报存在问题。",
    ],
}
PROBLEMS = [
    "个别党员承诺内容不够具体，缺少可量化的目标。",
    "部分流动党员联系不够紧密，参加组织生活不经常。",
    "少数承诺事项受资金、天气等因素影响，进度滞后于计划。",
    "承诺履行记实不够及时，台账资料有缺项。",
    "群众参与评议的渠道还不够多，意见反馈较少。",
    "年龄偏大的党员对网上亮诺操作不熟悉。",
]
PLANS = [
    "对照承诺书逐项盘点，对进度滞后的事项明确责任人和完成时限。",
    "组织开展承诺兑现情况“回头看”，及时更新履诺记实。",
    "召开组织生活会，开展批评与自我批评，推动整改承诺落实。",
    "邀请群众代表参与承诺评议，扩大群众满意度测评覆盖面。",
    "加强对流动党员的联系服务，通过电话、微信及时通报活动安排。",
    "做好下季度考核准备工作，整理完善活动台账。",
]
EXAMPLES = [
    "党员{name}主动承诺为村里孤寡老人送菜上门，风雨无阻坚持半年，群众称赞“党员就是不一样”。",
    "党员{name}带头流转土地发展特色种植，带动周边{n}户群众增收。",
    "党员{name}在防汛一线连续值守三昼夜，及时转移群众{n}人。",
    "党员{name}利用业余时间义务辅导留守儿童功课，受到家长好评。",
    "",
    "",
]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = "建国明华秀英志强丽娟海燕文军玉兰晓东春梅德胜桂芳"
RETURN_COMMENTS = [
    "主要工作写得过于笼统，请补充具体数据和典型事例。",
    "未反映承诺兑现中存在的问题，请如实填写。",
    "下月计划与本支部承诺事项衔接不够，请修改完善。",
]
ACK_COMMENTS = ["", "", "工作扎实，继续保持。", "已阅，请加快滞后承诺的推进。"]


def _unit_key(org: dict) -> str:
    if org["level"] != Organization.Level.BRANCH:
        return "committee"
    if org["unit_kind"] in (Unit.STATE_ENTERPRISE, Unit.PRIVATE_ENTERPRISE, Unit.COOPERATIVE):
        return "enterprise"
    if org["unit_kind"] in MAIN_WORK:
        return org["unit_kind"]
    return Unit.VILLAGE


def _texts(rng: random.Random, org: dict) -> dict[str, str]:
    place = org["name"].removesuffix("党支部").removesuffix("党委").removesuffix("党总支")
    fill = {
        "place": place,
        "n": rng.randint(3, 40),
        "m": rng.randint(2, 15),
        "p": rng.randint(60, 100),
        "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
    }
    pool = MAIN_WORK[_unit_key(org)]
    main = "\n".join(
        f"{i}. {line.format(**fill)}"
        for i, line in enumerate(rng.sample(pool, min(2, len(pool))), 1)
    )
    return {
        "main_work": main,
        "problems": "".join(rng.sample(PROBLEMS, rng.randint(1, 2))),
        "next_month_plan": "".join(rng.sample(PLANS, 2)),
        "typical_examples": rng.choice(EXAMPLES).format(**fill),
    }


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    return selectors.day_start(day) + datetime.timedelta(
        hours=rng.randint(8, 20), minutes=rng.randint(0, 59)
    )


def _fate(rng: random.Random) -> str:
    r = rng.random()
    for fate, share in (
        ("acknowledged", 0.58),
        ("late_acknowledged", 0.10),
        ("submitted", 0.10),
        ("late_submitted", 0.04),
        ("returned", 0.06),
        ("draft", 0.05),
    ):
        if r < share:
            return fate
        r -= share
    return "missing"


def step_monthly_reports(ctx: SeedContext) -> None:
    root = ctx.root
    campaign = Campaign.objects.filter(root_organization=root).order_by("pk").first()
    if campaign is None:
        return
    rng = random.Random(ctx.rng.getrandbits(64))
    today = ctx.today
    if connection.vendor == "postgresql":
        # The pledge tables just grew from nothing: without fresh statistics the planner picks
        # nested loops for the figures' joins (0.5 s a report instead of milliseconds).
        with connection.cursor() as cursor:
            for model in (Pledge, PledgeHistory, Organization):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    # A demo-scale step: the city scale's counties, seeded later, are not in the tree yet.
    orgs = list(
        selectors.filing_organizations(campaign)
        .values("id", "name", "code", "path", "level", "unit_kind")
        .order_by("path")
    )
    secretaries = dict(
        RoleAssignment.objects.filter(
            organization_id__in=[o["id"] for o in orgs], role=RoleAssignment.Role.SECRETARY
        )
        .order_by("pk")
        .values_list("organization_id", "user_id")
    )
    by_path = {o["path"]: o for o in orgs}
    office = ctx.users.get("office")
    office_id = office.pk if office else None

    def reviewer_of(org: dict) -> int | None:
        parent = by_path.get(org["path"][: -Organization.steplen])
        return secretaries.get(parent["id"]) if parent else office_id

    plans = ctx.plans
    story = {
        plans["login_branch"].pk: ("acknowledged", "returned", "draft"),
        plans["sibling_branch"].pk: ("late_acknowledged", "submitted", "missing"),
        plans["login_committee"].pk: ("acknowledged", "submitted", "draft"),
    }
    months = selectors.campaign_months(campaign, today)
    due_months = [m for m in months if selectors.due_date_for(campaign, m) < today]
    open_months = [m for m in months if m not in due_months]
    login_committee_path = Organization.objects.get(pk=plans["login_committee"].pk).path

    reports: list[MonthlyReport] = []
    history: list[tuple[int, list[tuple]]] = []
    for org in orgs:
        author = secretaries.get(org["id"])
        if author is None:
            continue
        reviewer = reviewer_of(org) or office_id
        told = story.get(org["id"])
        for index, month in enumerate(months):
            due = selectors.due_date_for(campaign, month)
            if month in open_months:
                fate = "draft" if rng.random() < 0.35 else "missing"
                if told:
                    fate = told[-1]
            else:
                fate = _fate(rng)
                # The committee's branches keep reports waiting for it in the last due month.
                if month == due_months[-1] and org["path"].startswith(login_committee_path):
                    fate = rng.choice(("submitted", "submitted", "late_submitted", fate))
                if told:
                    fate = told[min(index, len(told) - 2)] if index < len(due_months) else told[-1]
            if fate == "missing":
                continue
            created = _at(max(month, due - datetime.timedelta(days=rng.randint(3, 8))), rng)
            created = min(created, selectors.day_start(today))
            report = MonthlyReport(
                campaign=campaign,
                organization_id=org["id"],
                month=month,
                due_date=due,
                created_at=created,
                **_texts(rng, org),
            )
            events = [(Action.CREATE, "", Status.DRAFT, author, created, "")]
            if fate != "draft":
                late = fate.startswith("late")
                submitted_day = due + datetime.timedelta(
                    days=rng.randint(1, 6) if late else -rng.randint(0, 3)
                )
                submitted = max(_at(submitted_day, rng), created + datetime.timedelta(hours=1))
                report.status = Status.SUBMITTED
                report.first_submitted_at = report.submitted_at = submitted
                report.submitted_by_id = author
                events.append(
                    (Action.SUBMIT, Status.DRAFT, Status.SUBMITTED, author, submitted, "")
                )
                if fate.endswith("acknowledged") or fate == "returned":
                    reviewed = submitted + datetime.timedelta(days=rng.randint(1, 4), hours=2)
                    reviewed = min(reviewed, selectors.day_start(today))
                    comment = (
                        rng.choice(RETURN_COMMENTS)
                        if fate == "returned"
                        else rng.choice(ACK_COMMENTS)
                    )
                    report.status = Status.RETURNED if fate == "returned" else Status.ACKNOWLEDGED
                    report.reviewed_at, report.reviewed_by_id = reviewed, reviewer
                    report.review_comment = comment
                    events.append(
                        (
                            Action.RETURN if fate == "returned" else Action.ACKNOWLEDGE,
                            Status.SUBMITTED,
                            report.status,
                            reviewer,
                            reviewed,
                            comment,
                        )
                    )
            figures = selectors.report_figures(
                campaign=campaign,
                organization=Organization(path=org["path"]),
                month=month,
                today=today,
            )
            for name, value in figures.as_dict().items():
                setattr(report, name, value)
            reports.append(report)
            history.append((len(reports) - 1, events))
    MonthlyReport.objects.bulk_create(reports, batch_size=500)
    # bulk_create sets primary keys on PostgreSQL and SQLite 3.35+; re-read them to be sure.
    ids = {
        (r.organization_id, r.month): r.pk
        for r in MonthlyReport.objects.filter(campaign=campaign).only(
            "pk", "organization_id", "month"
        )
    }
    rows = []
    for index, events in history:
        report = reports[index]
        pk = ids[(report.organization_id, report.month)]
        for action, from_status, to_status, actor, at, comment in events:
            if actor is None:
                continue
            rows.append(
                MonthlyReportHistory(
                    report_id=pk,
                    action=action,
                    from_status=from_status,
                    to_status=to_status,
                    actor_id=actor,
                    created_at=at,
                    comment=comment,
                )
            )
    MonthlyReportHistory.objects.bulk_create(rows, batch_size=1000)
    ctx.counts["monthly reports"] += len(reports)

    # One bulletin, rendered now: 青山镇党委's for the last month that is due.
    if due_months:
        committee = Organization.objects.get(pk=plans["login_committee"].pk)
        bulletin = Bulletin.objects.create(
            campaign=campaign, organization=committee, month=due_months[-1]
        )
        services.bulletin_render(bulletin_id=bulletin.pk, today=today)
        ctx.counts["bulletins"] += 1


def reset_monthly_reports(root: Organization) -> None:
    in_tree = Q(campaign__root_organization__path__startswith=root.path)
    for bulletin in Bulletin.objects.filter(in_tree).exclude(pdf=""):
        bulletin.pdf.delete(save=False)
    Bulletin.objects.filter(in_tree).delete()
    MonthlyReportHistory.objects.filter(
        report__campaign__root_organization__path__startswith=root.path
    ).delete()
    MonthlyReport.objects.filter(in_tree).delete()
