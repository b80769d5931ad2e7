"""Demo data of the assessments app (see campaigns/demo.py for the seeding framework).

The demo campaign's score sheet (five items of 20 points; the seeds: 创先争优 counts 20 of 100 in
the city's 百分制考评), the four inspection groups' inspections of the last quarter (all
submitted, with rectifications, some checked off, some overdue) and of the current quarter (a
few submitted, a few drafts; the ``inspector`` login's group still has organisations to visit),
one small generated photo, and the city's quarterly report of the last quarter, rendered during
seeding (a second or two at demo scale).

Everything goes through the services, so history rows and totals are what the pages make.
"""

from __future__ import annotations

import datetime
import io
import random
import time
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import services
from assessments.models import (
    Inspection,
    QuarterlyReport,
    ScoreItem,
    previous_quarter,
    quarter_bounds,
    quarter_of,
)
from campaigns.demo import SeedContext, SeedStep
from campaigns.models import Campaign, Organization

SCORE_ITEMS = (
    ("组织建设", 20, "领导班子团结有力，“三会一课”等制度坚持经常，党组织活动场所规范。"),
    ("创先争优", 20, "公开承诺、践诺记实、领导点评、群众评议等环节落实，争创活动有载体有成效。"),
    ("党员队伍", 20, "党员教育管理到位，流动党员有人管，发展党员程序规范。"),
    ("制度落实", 20, "承诺台账、月报制度、季度考核促诺等机制健全，资料齐全。"),
    ("群众满意", 20, "走访群众和服务对象，群众对承诺兑现和服务质量满意。"),
)

FINDINGS = (
    "班子成员分工明确，承诺事项在村务公开栏和网上同步公示，党员佩戴党徽亮身份。",
    "建立了承诺事项台账，践诺记实完整，每月召开一次承诺兑现情况通报会。",
    "结合“123工作法”，班子成员每周接待来访群众，走访困难群众，办理热点难点问题。",
    "开展“共产党员先锋岗”创建，窗口单位服务承诺上墙，群众评议满意度较高。",
    "组织党员开展政策宣讲和志愿服务，为群众办实事的承诺大部分已兑现。",
    "设立党员示范岗和责任区，流动党员纳入流入地党组织管理，活动有记录。",
)
PROBLEMS = (
    "个别党员承诺内容比较笼统，可操作性和可检查性不强。",
    "部分承诺事项进度滞后，践诺记实不够及时。",
    "群众评议组织不够广泛，反馈意见整改跟踪不到位。",
    "活动资料归档不规范，月报报送偶有延迟。",
    "对流动党员的联系不够经常，参与活动的比例偏低。",
)
RECTIFICATIONS = (
    "细化党员承诺事项，明确完成时限和预期效果",
    "完善承诺台账，每月更新践诺记实",
    "组织一次群众评议，对反馈意见逐条整改销号",
    "规范活动资料归档，按时报送月报",
    "建立流动党员联系制度，每季度至少联系一次",
)


def _photo() -> SimpleUploadedFile:
    """A small generated PNG (a red banner on white), as a phone photo would arrive."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 320, 48), fill=(181, 18, 27))
    draw.rectangle((24, 80, 296, 176), outline=(181, 18, 27), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("检查现场.png", buffer.getvalue(), content_type="image/png")


def _scores(rng: random.Random, items: list[ScoreItem]) -> list[services.ScoreData]:
    result = []
    for item in items:
        score = Decimal(rng.choice(range(int(item.weight * 0.6) * 2, item.weight * 2 + 1))) / 2
        comment = "" if score >= item.weight - 2 else rng.choice(("有待加强", "资料不全", "需整改"))
        result.append(services.ScoreData(item_id=item.pk, score=score, comment=comment))
    return result


def _inspect(
    ctx: SeedContext,
    rng: random.Random,
    *,
    group,
    org: Organization,
    items: list[ScoreItem],
    year: int,
    quarter: int,
    submit: bool,
) -> Inspection:
    start, end = quarter_bounds(year, quarter)
    last = min(end, ctx.today)
    first = max(start, group.campaign.start_date) if group.campaign.start_date <= last else start
    day = first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))
    inspectors = list(group.inspectors.all())
    deadline_base = day + datetime.timedelta(days=rng.randint(20, 60))
    rectifications = [
        services.RectificationData(
            id=None,
            text=text,
            deadline=deadline_base + datetime.timedelta(days=7 * n),
        )
        for n, text in enumerate(rng.sample(RECTIFICATIONS, rng.randint(1, 2)))
    ]
    inspection = services.inspection_create(
        group=group,
        organization=org,
        year=year,
        quarter=quarter,
        actor=inspectors[0],
        data=services.InspectionData(
            date=day,
            inspector_ids=[u.pk for u in inspectors],
            findings=rng.choice(FINDINGS) + rng.choice(FINDINGS),
            problems=rng.choice(PROBLEMS),
            scores=_scores(rng, items),
            rectifications=rectifications,
        ),
    )
    if submit:
        services.inspection_submit(inspection=inspection, actor=inspectors[0])
    return inspection


def step_inspections(ctx: SeedContext) -> None:
    root = ctx.root
    campaign = Campaign.objects.filter(root_organization=root).order_by("pk").first()
    if campaign is None:
        return
    rng = random.Random(ctx.rng.getrandbits(64))
    office = ctx.users["office"]
    items = services.score_sheet_set(
        campaign=campaign,
        actor=office,
        items=[
            services.ScoreItemData(id=None, order=n, name=name, weight=weight, description=text)
            for n, (name, weight, text) in enumerate(SCORE_ITEMS, start=1)
        ],
    )
    year, quarter = quarter_of(ctx.today)
    last_year, last_quarter = previous_quarter(year, quarter)
    made = 0
    photo_done = False
    for group in campaign.inspection_groups.prefetch_related("inspectors").order_by("pk"):
        if not group.inspectors.exists():
            continue
        covered = list(group.organizations.order_by("path"))
        # Last quarter: every covered committee of the demo (not the city-scale counties).
        for org in covered[:8]:
            inspection = _inspect(
                ctx,
                rng,
                group=group,
                org=org,
                items=items,
                year=last_year,
                quarter=last_quarter,
                submit=True,
            )
            made += 1
            # Some rectifications were done (销号), the rest are open or overdue.
            for rect in inspection.rectifications.all():
                if rng.random() < 0.5:
                    services.rectification_check_off(
                        rectification=rect, actor=inspection.group.inspectors.first()
                    )
        # This quarter: the first organisation submitted, the second a draft, the rest to do.
        for index, org in enumerate(covered[:2]):
            inspection = _inspect(
                ctx,
                rng,
                group=group,
                org=org,
                items=items,
                year=year,
                quarter=quarter,
                submit=index == 0,
            )
            made += 1
            if not photo_done and index == 1:
                services.photo_add(
                    inspection=inspection, actor=group.inspectors.first(), file=_photo()
                )
                photo_done = True
    ctx.counts["inspections"] += made
    ctx.log(f"  {made} inspections")

    # The city's report of the last quarter, rendered now.
    report = QuarterlyReport.objects.create(
        campaign=campaign, organization=root, year=last_year, quarter=last_quarter
    )
    started = time.perf_counter()
    services.quarterly_report_render(report_id=report.pk)
    report.refresh_from_db()
    ctx.log(
        f"  quarterly report of {root.name}: {report.status}, {report.pages or 0} pages "
        f"in {time.perf_counter() - started:.1f} s"
    )


def reset_inspections(root: Organization) -> None:
    """Delete the assessments data of the demo city's campaigns (files included)."""
    campaigns = Campaign.objects.filter(root_organization__path__startswith=root.path)
    for report in QuarterlyReport.objects.filter(campaign__in=campaigns).exclude(file=""):
        report.file.delete(save=False)
    QuarterlyReport.objects.filter(campaign__in=campaigns).delete()
    inspections = Inspection.objects.filter(campaign__in=campaigns)
    for inspection in inspections.prefetch_related("photos"):
        for photo in inspection.photos.all():
            photo.file.delete(save=False)
    inspections.delete()
    ScoreItem.objects.filter(campaign__in=campaigns).delete()


STEPS = [SeedStep("inspections", step_inspections, reset_inspections)]
