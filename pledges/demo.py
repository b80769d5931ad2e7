"""Demo pledges for ``seed_demo``: every state of the cycle, with content that fits the unit.

Two steps, found by :func:`campaigns.demo.all_steps`:

* ``pledges`` (demo scale). The branches the demo logins work in — 柳河村 (``secretary``,
  ``member``), its sibling 杨庄村 (``secretary2``) and the township committee above them
  (``committee``) — get their pledges THROUGH THE SERVICES, acting as the right users, so that
  history rows, rules and side effects are the real ones. Timestamps are then moved back to the
  story's times (“submitted five days ago”) with ``.update()``, and deadlines that are meant to
  have passed are set afterwards (the submit guard refuses a past deadline on the day it runs).
  Every other pledge of the demo city is written by bulk inserts with the same history rows the
  services would have written.
* ``pledges-city`` (city scale): the same bulk writer over the six counties, to the seeds'
  totals: ~526,000 member pledges and ~33,000 organisation pledges.

Who acts. The demo has one login per role, but a history row needs a real actor allowed by the
workflow. Every organisation that pledges (branches, general branches, committees; not 党小组)
without a demo login gets a secretary account ``sj.<code>`` (unusable password, SECRETARY role);
柳河村 and 杨庄村 also get a committee member ``zz.<code>`` (组织委员) who enters the members'
pledges, so that their secretaries have a review queue. Then, as ``workflow.TRANSITIONS`` wants:

==============  =================================  =====================================
step            member pledge                      organisation pledge
==============  =================================  =====================================
draft, submit   branch secretary (or 组织委员;     the organisation's secretary
                ``member`` writes their own)
review          the next committee up (柳河村,     the superior's secretary; the office
                杨庄村: their own secretary)        for the city's direct units
publish, keep   branch secretary                   the organisation's secretary
grade           ``leader``                         ``leader``
withdraw        ``office``                         ``office``
==============  =================================  =====================================

States. The campaign is in its pledge phase (day −40 to +10), so most pledges are published and
being fulfilled; each branch moves at its own pace (:data:`PACES`: 15 % behind, 65 % on time,
20 % ahead). Measured at city scale (526,375 member and 33,112 organisation pledges, 3.09 million
history rows), both owners alike:

=========  ========  =========================================================================
draft         5 %
submitted     7.5 %  half waiting more than three days; a third after a return and resubmission
returned      3 %    with one or two of the campaign's reasons and a comment
approved      6 %
published    50 %    7 % of all pledges past their deadline (overdue: 即时 pledges that stalled)
fulfilled    24 %    1–3 journal entries, the last at 100 %
evaluated     3 %    self-report, appraisal tallies, grade 好/较好/一般/差 (差: improvement deadline)
withdrawn     1.7 %  with a reason; some after publication
=========  ========  =========================================================================

About 10 % of the pledges that got past review went through a return and a resubmission with a
changed text (the reviewer's diff). The seeds' end state — 489,000 of 526,000 member pledges
fulfilled — is where the fulfilment phase should lead; seeding it now would empty the review
queues and the overdue lists the demo is for. Feedback (ratings, a few comments: approved,
awaiting moderation, rejected spam) goes to published and fulfilled pledges: 20–30 % of them in
the demo, 10 % at city scale.

The actor accounts are removed by the reset with the pledges, and made again by the next seeding.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from campaigns.demo import (
    CITY_MARKER_CODE,
    SCALE_CITY,
    People,
    SeedContext,
    SeedStep,
    cn_number,
)
from campaigns.models import Campaign, Member, Organization, RoleAssignment
from pledges import selectors, services
from pledges.models import (
    Attachment,
    Evaluation,
    EvaluationPolicy,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
    fill_missing_references,
)

Status = Pledge.Status
Kind = Pledge.Kind
Term = Pledge.Term
Grade = Pledge.Grade
Action = PledgeHistory.Action
Unit = Organization.UnitKind
Level = Organization.Level
Role = RoleAssignment.Role

# The seeds' totals for the whole city (members ~114,000; see DESIGN.md).
CITY_MEMBER_PLEDGES = 526_000
CITY_ORG_PLEDGES = 33_000
# Member pledges per member: 2–3 practical deeds, 1–2 rectifications, and a work pledge for
# this share of members, which brings the mean to the seeds' 526,000 / 114,000 ≈ 4.6.
WORK_PLEDGE_SHARE = 0.61
# Actor accounts: a secretary per organisation, a 组织委员 in each login branch.
SECRETARY_PREFIX = "sj"
DEPUTY_PREFIX = "zz"
FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX_SC = 2  # Noto Sans CJK SC in the collection (JP, KR, SC, TC, HK…)

# ---------------------------------------------------------------------------------------------
# What people pledge (data in the campaign's language, not interface strings)
# ---------------------------------------------------------------------------------------------

# fmt: off
# Practical deeds (实事): (what will be done, expected effect, journal steps separated by "|").
# {slots} are filled per pledge (see fill_slots).
DEEDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    Unit.VILLAGE: (
        ("帮助{n}户困难户发展{animal}养殖，提供技术指导和销售信息", "帮扶户年人均增收{money}元以上",
         "走访摸清{n}户困难户的底数和意愿，确定帮扶对象|联系畜牧站技术员上门指导，协助购进{animal}种苗|帮助联系收购商，首批{animal}出栏销售"),
        ("牵头修缮{group}村道{metres}米，解决群众雨天出行难", "村道平整畅通，群众出行方便",
         "组织党员群众商议修路方案，丈量路段|筹集资金、组织义务投工，完成路基整平|完成路面硬化，组织群众代表验收"),
        ("组织党员群众义务植树{trees}棵，绿化村道两侧和房前屋后", "苗木成活率90%以上，村庄面貌明显改善",
         "选定植树路段，联系林业站落实苗木|组织党员志愿者义务植树，完成栽种|浇水补植，检查苗木成活情况"),
        ("结对帮扶{n}户留守老人，每月上门走访不少于{times}次", "留守老人生活有人问、困难有人帮",
         "确定结对老人名单，建立走访记录|上门帮助老人打扫卫生、代购生活用品|协调解决老人看病、吃水等实际困难"),
        ("为{group}{many}户种植户联系{crop}优良品种，组织技术培训{lessons}场", "种植户亩均增收{percent}%以上",
         "联系农技站，确定引进的{crop}品种|组织技术培训，现场讲解种植要点|回访种植户，了解长势和收成"),
        ("清理{group}灌溉沟渠{metres}米，保障农田灌溉", "沟渠畅通，{many}0亩农田灌溉有保障",
         "察看沟渠淤塞情况，制定清淤计划|组织党员群众义务清淤|完成清淤并加固渠埂"),
        ("为{many}户外出务工家庭代办医保、养老保险缴费", "外出务工人员少跑腿，参保续保不断档",
         "摸排外出务工家庭需求，建立代办台账|集中代办医保、养老保险缴费|回访务工家庭，反馈办理结果"),
        ("帮助{n}户村民修缮危旧房屋，确保安全度汛", "危房户住房安全有保障",
         "排查村里危旧房屋，确定修缮户|协调材料和工匠，组织党员帮工|完成修缮并逐户检查"),
    ),
    Unit.COMMUNITY: (
        ("为{n}位独居老人代购药品和生活用品，每周上门探望一次", "独居老人生活有照应，突发情况及时发现",
         "摸清独居老人名单和需求，建立联系卡|每周上门探望，代购药品和米面油|协调社区卫生服务站为老人测量血压"),
        ("调解邻里纠纷，及时化解楼道占用、装修噪音等矛盾", "纠纷调解成功率95%以上",
         "建立楼栋矛盾排查台账|上门调解楼道堆物、装修噪音等纠纷|回访当事双方，巩固调解成果"),
        ("组织党员志愿者清理小区楼道和公共区域卫生，每月{times}次", "小区环境整洁，居民满意",
         "招募党员志愿者，划分责任楼栋|开展楼道杂物清理和公共区域保洁|建立长效保洁值日表"),
        ("帮助{n}名失业居民联系就业岗位或技能培训", "帮扶对象实现稳定就业",
         "摸排辖区失业人员就业意愿|联系用工企业和培训机构，推荐岗位|跟踪就业情况，帮助解决上岗困难"),
        ("暑期为社区{many}名青少年义务辅导作业", "青少年暑期有人管、学习有进步",
         "开设暑期课堂，确定辅导时间和内容|每周开展作业辅导和安全教育|组织家长座谈，听取意见"),
        ("协助网格排查消防、燃气等安全隐患，发现问题及时上报", "辖区全年不发生较大安全事故",
         "对责任网格逐户排查，建立隐患清单|督促整改楼道堵塞、电动车违规充电等问题|复查整改情况，全部销号"),
        ("为居民开展医保、养老政策宣讲{lessons}场，解答群众疑问", "居民政策知晓率明显提高",
         "收集居民关心的政策问题|在社区活动室开展政策宣讲|上门为行动不便的居民解答"),
    ),
    Unit.SCHOOL: (
        ("结对帮扶{n}名学困生，每周个别辅导不少于{times}次", "帮扶学生学习成绩明显提高",
         "与班主任商定帮扶对象，分析薄弱环节|每周利用课后时间个别辅导|期中测试后与家长沟通，调整辅导重点"),
        ("家访{many}户留守儿童家庭，建立成长档案", "留守儿童心理健康、学习稳定",
         "确定家访名单，制定家访计划|逐户家访，了解孩子学习生活情况|建立成长档案，定期与外出家长视频沟通"),
        ("开设校级公开课{lessons}节，带动青年教师提高教学水平", "青年教师课堂教学能力明显提升",
         "制定公开课计划，确定课题|开设公开课并组织评课|指导青年教师完成汇报课"),
        ("组织学生开展防溺水、交通安全教育", "全年学生安全事故零发生",
         "制定安全教育方案|利用班会开展防溺水、交通安全专题教育|发放致家长一封信，家校共同落实"),
        ("利用课后服务时间义务辅导学生兴趣小组", "学生综合素质得到提升",
         "组建兴趣小组，招募学生|每周开展兴趣小组活动|组织兴趣小组成果展示"),
    ),
    Unit.HEALTH_CENTRE: (
        ("进村入户开展义诊{times}次，为群众免费测量血压、血糖", "累计服务群众{patients}人次以上",
         "制定义诊计划，联系村（社区）|开展义诊，免费测量血压血糖|对发现的慢性病患者建立随访记录"),
        ("为{patients}名高血压、糖尿病患者建立健康档案并定期随访", "慢性病规范管理率达到90%以上",
         "梳理辖区慢性病患者名单|逐一建立健康档案|每月电话或上门随访"),
        ("为辖区65岁以上老人免费体检，上门服务行动不便的老人", "老年人健康体检率明显提高",
         "制定体检安排，通知老人|集中开展体检|为行动不便的老人上门体检并解读报告"),
        ("优化就诊流程，推行分时段预约，缩短患者候诊时间", "患者平均候诊时间缩短{percent}%",
         "统计患者候诊时间，查找堵点|推行分时段预约就诊|复核候诊时间，巩固成效"),
        ("到村（社区）开展健康知识讲座{lessons}场", "群众健康素养水平提升",
         "确定讲座主题|深入村（社区）开展讲座|发放健康宣传资料"),
    ),
    Unit.STATE_ENTERPRISE: (
        ("牵头开展“{tech}”技术革新项目", "年节约成本{money}0元以上",
         "组建攻关小组，制定技术方案|开展试验，解决关键技术问题|新工艺投入使用，测算效益"),
        ("开展安全生产隐患排查，每月检查不少于{times}次", "全年安全生产零事故",
         "制定安全检查清单|开展班组安全检查，建立隐患台账|督促整改，逐项销号"),
        ("带徒传技，培养{n}名青年技术骨干", "徒弟独立上岗，技能等级提升",
         "签订师徒协议，制定培养计划|现场传授操作技能|组织徒弟技能考核"),
        ("开展节能降耗活动，降低单位产品能耗{percent}%", "能耗指标明显下降",
         "统计能耗基数，查找浪费环节|推行节能措施|测算节能效果"),
        ("优化服务窗口流程，为群众提供“一次办好”服务", "办事群众满意度明显提高",
         "梳理窗口服务事项|精简办事材料，推行一次性告知|回访办事群众"),
    ),
    Unit.PRIVATE_ENTERPRISE: (
        ("完成“{tech}”技术改造，提高产品合格率", "产品合格率提高到98%以上",
         "分析质量问题原因|组织技术攻关|新工艺试运行，合格率提升"),
        ("坚持班前安全讲话，每月组织一次安全隐患排查", "车间全年安全无事故",
         "建立班前安全讲话制度|组织车间安全隐患排查|整改隐患并复查"),
        ("帮助{n}名困难职工解决子女入学、看病等实际困难", "困难职工安心工作",
         "走访困难职工家庭|协调解决子女入学等实际问题|跟踪回访"),
        ("带动周边{many}名村民到企业就业", "村民在家门口实现就业增收",
         "发布用工信息|组织岗前培训|新员工上岗"),
        ("开展质量攻关，减少客户投诉", "客户投诉下降{percent}%",
         "梳理客户投诉问题|开展质量攻关|回访客户"),
    ),
    Unit.SOCIAL_ORGANIZATION: (
        ("每月到社区开展免费法律咨询{times}次", "为群众解答法律问题{patients}人次以上",
         "联系社区确定咨询时间|现场接待群众咨询|为困难群众提供法律援助"),
        ("为{n}家小微企业免费开展财务规范辅导", "小微企业财务管理规范",
         "确定辅导企业名单|上门开展财务辅导|回访企业"),
        ("组织志愿者开展关爱空巢老人服务", "空巢老人得到关心照顾",
         "招募志愿者|上门开展陪伴服务|建立服务档案"),
        ("为{n}名困难群众义务代理法律援助案件", "困难群众合法权益得到维护",
         "受理援助申请|代理案件|案件办结回访"),
    ),
    Unit.COOPERATIVE: (
        ("为社员开展{crop}种植技术培训{lessons}场", "社员种植技术普遍提高",
         "制定培训计划|开展田间技术培训|跟踪指导"),
        ("统一采购化肥、种子等农资，降低社员生产成本", "社员亩均节约成本{percent}%",
         "统计社员农资需求|统一采购|分发农资"),
        ("带动{n}户困难户入社，免费提供种苗和技术", "入社困难户稳定增收",
         "确定带动对象|免费提供种苗|上门技术指导"),
        ("帮助社员拓宽{crop}销售渠道，开展网上销售", "产品销售价格提高，不愁卖",
         "联系电商平台|开设网店，拍摄产品图片|组织发货，统计销售额"),
    ),
    Unit.ORGAN: (
        ("简化办事流程，精简申请材料，推行“一次性告知”", "群众办事少跑腿，办理时限压缩{percent}%",
         "梳理办事事项和材料清单|精简材料，公布一次性告知单|回访办事群众"),
        ("每月到联系村（社区）调研不少于{times}次，帮助解决实际问题", "帮助联系点解决困难{n}件以上",
         "确定调研重点|深入联系点走访群众|协调解决实际问题"),
        ("结对帮扶{n}户困难群众", "帮扶户生活明显改善",
         "走访帮扶户，了解困难|落实帮扶措施|走访慰问帮扶户"),
        ("承办业务限时办结，一般事项{days}个工作日内办结", "按时办结率100%",
         "建立收件登记台账|实行限时办结|每月通报办结情况"),
        ("为基层群众开展政策宣讲{lessons}场", "群众政策知晓率提高",
         "准备宣讲材料|深入基层宣讲|收集群众意见建议"),
    ),
    Unit.OTHER: (
        ("延长开放时间，周末和节假日正常开放", "读者满意度明显提高",
         "调整排班，公布开放时间|周末和节假日正常开放|统计读者人次，听取意见"),
        ("开展送书下乡{times}次，为农家书屋更新图书", "农村群众读书难问题缓解",
         "征集农家书屋图书需求|组织送书下乡|回访书屋借阅情况"),
        ("及时维修城区路灯、井盖等市政设施，接报后24小时内处置", "市政设施完好率95%以上",
         "建立设施巡查台账|接报后及时维修|回访报修群众"),
        ("为{n}户困难家庭提供上门便民服务", "困难家庭生活便利",
         "确定服务对象|上门服务|回访"),
    ),
    "veteran": (
        ("为中小学生开展革命传统教育宣讲{lessons}场", "青少年受到生动的传统教育",
         "联系学校，确定宣讲主题|到学校开展宣讲|与师生座谈交流"),
        ("结对关爱{n}名留守儿童", "留守儿童得到关心关爱",
         "确定结对儿童|每月看望一次，辅导功课|与孩子父母电话沟通"),
        ("参加社区治安巡逻，每周{times}次", "社区治安秩序良好",
         "报名加入巡逻队|按排班参加巡逻|配合处置发现的问题"),
    ),
}

# Work pledges (工作承诺): (what will be done, expected effect).
WORK: dict[str, tuple[tuple[str, str], ...]] = {
    Unit.VILLAGE: (
        ("带头落实村务公开，每季度公开一次村级财务收支", "村务财务公开透明，群众满意"),
        ("做好{group}矛盾纠纷排查调处，做到小事不出组", "全年无越级上访"),
        ("带头参加每月主题党日活动，按时足额交纳党费", "发挥党员先锋模范作用"),
        ("协助村两委做好秸秆禁烧和防汛值守", "辖区不发生秸秆焚烧火点"),
    ),
    Unit.COMMUNITY: (
        ("认真履行网格员职责，做到网格信息底数清、情况明", "网格内居民信息准确率100%"),
        ("带头参加社区志愿服务，全年服务不少于{hours}小时", "带动更多居民参与志愿服务"),
        ("积极参与垃圾分类宣传和引导", "小区垃圾分类准确率明显提升"),
    ),
    Unit.SCHOOL: (
        ("认真备课上课，所任班级教学成绩力争年级前列", "教学质量稳步提高"),
        ("不搞有偿家教，不收受家长礼品礼金", "树立良好师德形象"),
        ("做好班主任工作，每学期家访覆盖全班学生", "家校沟通顺畅"),
    ),
    Unit.HEALTH_CENTRE: (
        ("坚持文明行医，合理检查、合理用药，不开大处方", "患者满意度95%以上"),
        ("严格执行医疗核心制度，全年无医疗差错", "医疗质量安全"),
        ("认真落实家庭医生签约服务", "签约居民满意"),
    ),
    "enterprise": (
        ("严格遵守操作规程，所在岗位全年无安全事故", "安全生产"),
        ("完成年度生产任务，产品质量合格率99%以上", "岗位业绩突出"),
        ("爱岗敬业，带头参加技术练兵", "技能水平提高"),
    ),
    Unit.ORGAN: (
        ("认真履行岗位职责，做到当日事当日毕", "工作效率提高"),
        ("严守廉洁纪律，不吃拿卡要", "树立机关良好形象"),
        ("带头执行首问负责制和服务承诺制", "群众满意度提高"),
    ),
    "general": (
        ("认真履行岗位职责，争创一流业绩", "岗位工作走在前列"),
        ("带头参加组织生活，按时足额交纳党费", "发挥党员先锋模范作用"),
    ),
}

# Rectifications (整改承诺): (the problem to rectify, measures, expected effect).
RECTIFY_GENERAL: tuple[tuple[str, str, str], ...] = (
    ("整改参加组织生活不经常的问题", "每月按时参加主题党日和“三会一课”，因故不能参加的提前请假并及时补学", "组织生活出勤率100%"),
    ("整改联系服务群众不够紧密的问题", "每月走访联系群众不少于{times}户次，建立走访记录，群众反映的问题一周内答复", "群众反映的问题件件有回音"),
    ("整改理论学习不够系统的问题", "制定个人学习计划，每周学习不少于2小时，认真记好学习笔记", "学习笔记不少于1万字，撰写心得体会2篇"),
    ("整改工作作风不够扎实的问题", "建立个人工作台账，每周对照检查，做到事事有着落", "工作按时完成率明显提高"),
    ("整改批评与自我批评开展不够的问题", "在组织生活会上主动查摆问题，诚恳开展批评与自我批评", "组织生活质量提高"),
    ("整改业务能力不够强的问题", "参加业务培训不少于{lessons}次，主动向业务骨干请教", "业务能力明显提升"),
)
RECTIFY_KIND: dict[str, tuple[tuple[str, str, str], ...]] = {
    Unit.VILLAGE: (("整改带头致富能力不强的问题", "参加农业实用技术培训，掌握1至2门致富技术，带动{n}户群众共同增收", "带动群众增收"),),
    Unit.COMMUNITY: (("整改服务居民耐心不够的问题", "坚持首问负责，对居民诉求热情接待、耐心解释，当天登记、限时回复", "居民满意度提高"),),
    Unit.SCHOOL: (("整改教学方法单一的问题", "每学期听课不少于{lessons}节，学习运用多媒体和分层教学", "课堂教学效果提高"),),
    Unit.HEALTH_CENTRE: (("整改服务态度生硬的问题", "坚持微笑服务，认真倾听患者诉说，耐心解答病情", "患者投诉为零"),),
    "enterprise": (("整改安全意识不够强的问题", "严格遵守操作规程，每周参加班组安全学习，不违章作业", "个人全年无违章"),),
    Unit.ORGAN: (("整改服务意识不强、办事拖拉的问题", "严格执行首问负责制和限时办结制，办件情况每周自查", "按时办结率100%"),),
}

# Organisation pledges (practical deeds of a branch or committee): (content, effect).
ORG_DEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    Unit.VILLAGE: (
        ("硬化通组道路{km}公里，解决{n}个村民小组出行难", "实现组组通水泥路"),
        ("建设村文化广场，配齐健身器材", "群众有了文体活动场所"),
        ("发展{crop}特色产业，新增种植面积{many}0亩", "村集体经济年收入增加{money}0元"),
        ("开展人居环境整治，清理垃圾死角，实现垃圾集中收集处理", "村容村貌明显改观"),
        ("建设村级便民服务点，村干部轮流坐班代办", "群众办事不出村"),
        ("实施饮水安全工程，解决{many}户群众饮水难", "群众喝上放心水"),
    ),
    Unit.COMMUNITY: (
        ("建设居家养老服务站，为老人提供助餐和日间照料", "老年人就近享受养老服务"),
        ("改造老旧小区{n}栋楼的排水管网和楼道照明", "居民居住条件改善"),
        ("组建党员志愿服务队，开展“周末志愿服务日”活动", "志愿服务常态化"),
        ("增设小区健身器材和休闲座椅", "居民有了休闲健身场所"),
        ("建立“红色物业”联席会议制度，解决小区停车难", "小区停车秩序明显好转"),
    ),
    Unit.SCHOOL: (
        ("建设留守儿童之家，配备亲情电话和图书", "留守儿童得到关爱"),
        ("改善学校食堂就餐条件，让学生吃得安全、吃得营养", "学生和家长满意"),
        ("开展“名师带徒”活动，培养青年骨干教师{n}名", "教师队伍素质提高"),
        ("开展课后服务，解决家长接送难", "家长满意度提高"),
    ),
    Unit.HEALTH_CENTRE: (
        ("推行家庭医生签约服务，重点人群签约率达到{percent2}%", "群众看病更方便"),
        ("每季度组织医疗队送医下乡", "群众在家门口看上病"),
        ("开通预约挂号和检查结果网上查询", "患者少排队、少跑腿"),
        ("开设老年人就医绿色通道", "老年人就医更便利"),
    ),
    "enterprise": (
        ("开展安全生产标准化建设，全年安全生产零事故", "安全生产形势稳定"),
        ("实施技术改造项目，提高生产效率{percent}%", "企业效益提升"),
        ("设立困难职工帮扶基金，帮扶困难职工{n}0人次", "困难职工感受到组织温暖"),
        ("开展职工技能比武，培养技术能手", "职工技能水平提高"),
        ("吸纳周边群众就业{many}人", "带动群众增收"),
    ),
    Unit.SOCIAL_ORGANIZATION: (
        ("开展公益法律服务进社区活动", "群众法律意识提高"),
        ("为社区困难群众提供免费专业服务", "困难群众得到帮助"),
        ("组织党员开展志愿服务，全年不少于{lessons}次", "行业形象提升"),
    ),
    Unit.COOPERATIVE: (
        ("建设{crop}标准化种植基地{many}0亩", "产品品质和价格提高"),
        ("带动周边{many}户农户增收", "入社农户户均增收{money}元"),
        ("建设冷藏保鲜库，解决农产品储存难", "减少损耗，错峰销售"),
    ),
    Unit.ORGAN: (
        ("推行“一站式”服务，实现群众办事“最多跑一次”", "群众办事满意度明显提高"),
        ("开展党员干部联村帮户活动，帮助解决实际困难{many}件", "干群关系更加密切"),
        ("推进网上办事，{percent2}%的事项实现网上办理", "群众办事更便捷"),
        ("开展“进万家门、知万家情”大走访活动", "群众诉求及时回应"),
    ),
    "committee": (
        ("实施{n}个村的通村公路建设", "群众出行条件明显改善"),
        ("建成党员群众服务中心，实行一站式服务", "群众办事更方便"),
        ("开展矛盾纠纷大排查大化解", "矛盾纠纷就地化解"),
        ("每个村建成一个标准化村级组织活动场所", "基层组织阵地更加坚强"),
        ("培育{n}个特色产业示范村", "农民增收渠道拓宽"),
    ),
}

GENERIC_STEPS = {
    Kind.WORK: "对照承诺制定工作计划，明确时间节点|按计划推进，阶段任务已完成|承诺事项全部落实，群众反映良好",
    Kind.RECTIFY: "对照查摆的问题制定整改措施，明确整改时限|按措施逐项整改，接受党员群众监督|整改到位，经支部审核销号",
    "org": "召开支委会研究制定实施方案，明确责任人和时间节点|按方案推进，完成主体工作|全面完成，组织党员群众代表验收",
}

SLOT_CHOICES = {
    "animal": ("生猪", "山羊", "土鸡", "麻鸭", "肉牛", "小龙虾", "蜜蜂"),
    "crop": ("茶叶", "水稻", "油菜", "蔬菜", "中药材", "食用菌", "葡萄", "猕猴桃"),
    "tech": ("数控设备改造", "生产线自动化改造", "余热回收利用", "包装工艺改进", "供水管网漏损治理", "设备远程监测"),
}

# A vague first draft of the expected effect, made specific after the reviewer returned it.
VAGUE_EFFECTS = ("取得明显成效", "群众满意", "进一步提高", "有较大改善")
# What an author adds to the text after a return.
REVISION_DETAILS = (
    "，建立工作台账，按月向支部报告进展",
    "，每月底前向支部报告一次进度",
    "，具体到户到人，接受群众监督",
    "，完成后请群众代表评议",
)
RETURN_COMMENTS = {
    "目标不具体": ("请写明具体数量和完成标准，便于群众监督。", "预期效果太笼统，请量化。"),
    "时限不合理": ("完成时限偏长，建议提前。", "请结合工作实际重新确定完成时限。"),
    "不切实际": ("承诺事项超出个人能力范围，建议结合岗位实际调整。",),
    "内容与岗位职责不符": ("承诺内容与本人岗位联系不紧密，请结合岗位职责修改。",),
    "表述不清": ("表述不够清楚，请修改后重新提交。",),
}
WITHDRAW_REASONS = (
    "组织关系已转出本支部",
    "因工作调动，承诺事项不再适用",
    "该项目已纳入县里统一实施，不再单独承诺",
    "因病长期住院，经支部研究同意撤回",
)
APPROVE_COMMENTS = ("", "", "", "同意", "同意公开承诺", "内容具体，同意")
FULFIL_COMMENTS = ("", "", "经核实，承诺事项已完成", "经支委会核实，已兑现")
SELF_REPORT = (
    "作出“{short}”的承诺以来，{who}按照承诺内容和时间节点逐项推进，共记录履诺情况{entries}次，"
    "{result}。不足之处是{flaw}，今后将{future}。"
)
SELF_REPORT_RESULTS = ("承诺事项已全部完成", "主要目标已经实现", "承诺事项基本完成，群众比较满意")
SELF_REPORT_FLAWS = ("工作方法还不够多", "宣传发动还不够充分", "个别环节进度偏慢", "征求群众意见还不够广")
SELF_REPORT_FUTURE = ("继续巩固成果，建立长效机制", "加强学习，提高服务群众的本领", "主动接受群众监督，把实事办好")
POOR_JUSTIFICATION = "经核实，承诺事项未按期完成，群众反映较多，评为差，限期整改。"
ADJUST_REASONS = (
    "受连续降雨影响，施工无法按期进行，申请顺延完成时限",
    "上级统一部署调整，承诺内容相应调整",
)
FEEDBACK_COMMENTS = (
    "说到做到，为群众办了实事。",
    "路修好了，出门方便多了，感谢党员同志！",
    "希望能坚持下去。",
    "服务态度很好，很耐心。",
    "进度有点慢，希望抓紧。",
    "老人们都夸他热心。",
    "建议多征求群众意见。",
    "办事效率比以前高多了。",
)
SPAM_COMMENTS = ("加微信领红包，详情私聊", "低价代办各类证件")
# fmt: on

# Branch paces (share of branches; state weights of their pledges). See the module docstring.
PACES: tuple[tuple[float, dict[str, float]], ...] = (
    (  # behind: still collecting and reviewing
        0.15,
        {"draft": 25, "submitted": 32, "returned": 10, "approved": 15, "published": 18},
    ),
    (  # on time
        0.65,
        {
            "draft": 2,
            "submitted": 4,
            "returned": 2,
            "approved": 5,
            "published": 60,
            "fulfilled": 23,
            "evaluated": 2,
            "withdrawn": 2,
        },
    ),
    (  # ahead: 即时 pledges done, a few evaluated already
        0.20,
        {"approved": 2, "published": 43, "fulfilled": 45, "evaluated": 8, "withdrawn": 2},
    ),
)
GRADE_WEIGHTS = {Grade.GOOD: 55, Grade.FAIRLY_GOOD: 30, Grade.AVERAGE: 12, Grade.POOR: 3}


def profile_of(org: OrgInfo) -> str:
    """The catalogue key for an organisation's members."""
    if "离退休" in org.name:
        return "veteran"
    return org.unit_kind


def pick(table: dict, key: str, *fallbacks: str):
    for candidate in (key, *fallbacks):
        if candidate in table:
            return table[candidate]
    raise KeyError(key)


def enterprise_key(kind: str) -> str:
    return "enterprise" if kind in (Unit.STATE_ENTERPRISE, Unit.PRIVATE_ENTERPRISE) else kind


class _Slots(dict):
    def __missing__(self, key: str) -> str:  # an unknown slot stays readable
        return ""


def fill_slots(rng: random.Random) -> _Slots:
    return _Slots(
        n=rng.randint(2, 6),
        many=rng.randint(8, 40),
        times=rng.randint(1, 4),
        metres=rng.randrange(200, 1600, 50),
        trees=rng.randrange(200, 1200, 50),
        money=rng.randrange(1000, 4000, 500),
        lessons=rng.randint(3, 12),
        patients=rng.randrange(50, 400, 10),
        percent=rng.randrange(10, 35, 5),
        percent2=rng.randrange(60, 95, 5),
        hours=rng.randrange(40, 120, 10),
        days=rng.randint(3, 5),
        km=rng.choice(("1.5", "2", "2.5", "3", "4.2", "5")),
        group=f"第{cn_number(rng.randint(1, 9))}村民小组",
        **{name: rng.choice(values) for name, values in SLOT_CHOICES.items()},
    )


# ---------------------------------------------------------------------------------------------
# Time: stories are told in "days from today" (floats); working hours on the clock
# ---------------------------------------------------------------------------------------------

WORK_START = datetime.time(8, 30)
WORK_MINUTES = 570  # 08:30–18:00


class Clock:
    """Maps a story's day numbers (today = 0.0–1.0) to times within working hours, never later
    than now."""

    def __init__(self, now: datetime.datetime | None = None) -> None:
        now = now or timezone.now()
        local = timezone.localtime(now)
        self.tz = local.tzinfo
        self.today = local.date()
        into_day = (local.hour * 60 + local.minute - (8 * 60 + 30)) / WORK_MINUTES
        # The latest day number allowed: now, or yesterday evening before office hours.
        self.latest = min(into_day, 0.999) if into_day > 0.01 else -0.001

    def at(self, u: float) -> datetime.datetime:
        day = math.floor(u)
        start = datetime.datetime.combine(
            self.today + datetime.timedelta(days=day), WORK_START, tzinfo=self.tz
        )
        return start + datetime.timedelta(seconds=round(WORK_MINUTES * 60 * (u - day)))

    def date(self, u: float) -> datetime.date:
        return self.today + datetime.timedelta(days=math.floor(u))

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)


# ---------------------------------------------------------------------------------------------
# Stories: what happens to one pledge, in order, with who and when
# ---------------------------------------------------------------------------------------------


@dataclass
class Event:
    action: str
    to: str  # status after the action
    actor: str  # a role key resolved per pledge: author, reviewer, publisher…
    u: float = 0.0  # day number (see Clock)
    comment: str = ""
    reasons: tuple[str, ...] = ()  # return reasons (texts)
    revise: bool = False  # an edit that switches to the revised content
    progress: int = 0  # journal entries
    text: str = ""  # journal entry or self-report text
    image: bool = False
    votes: tuple[int, int, int, int] = (0, 0, 0, 0)
    grade: str = ""
    approve: bool = False  # adjustments: approved after the request


@dataclass
class Scenario:
    """What should become of a pledge."""

    state: str  # final status
    loop: bool = False  # returned once, revised and resubmitted
    long_wait: bool = False  # submitted more than three days ago
    overdue: bool = False  # published, deadline passed
    image: bool = False  # a journal entry with a photo
    adjustment: str = ""  # "pending" or "approved"
    grade: str = ""
    self_report_only: bool = False  # fulfilled, evaluation begun
    withdrawn_from: str = ""


@dataclass
class Spec:
    """One pledge to write: the owner, its content (first draft and revised) and its story."""

    organization_id: int
    owner_member_id: int | None
    owner_organization_id: int | None
    owner_user_id: int | None  # the member's login, if any
    kind: str
    term: str
    draft: dict
    final: dict
    events: list[Event]
    actors: dict[str, int]  # role key → user id
    status: str = Status.DRAFT
    grade: str = ""
    withdrawal_reason: str = ""
    feedback: list[tuple] = field(default_factory=list)
    adjusted: dict | None = None  # content after an approved adjustment
    label: str = ""  # the organisation's short name (image captions)


def spread(rng: random.Random, count: int, first: float, last: float) -> list[float]:
    """``count`` ascending day numbers from ``first`` to ``last``."""
    if count == 1:
        return [first]
    middle = sorted(rng.uniform(first, last) for _ in range(count - 2))
    return [first, *middle, last]


# (create window, final-event window) per scenario, in days from today.
WINDOWS = {
    "draft": ((-20, -1), None),
    "submitted_long": ((-30, -14), (-12, -4)),
    "submitted": ((-25, -5), (-3, 0.9)),
    "returned": ((-30, -8), (-7, 0.9)),
    "approved": ((-35, -10), (-8, 0.9)),
    "published": ((-40, -25), (-12, 0.9)),
    "overdue": ((-40, -37), (-28, -14)),
    "fulfilled": ((-40, -30), (-15, 0.9)),
    "evaluated": ((-40, -37), (-6, 0.9)),
    "withdrawn": ((-40, -15), (-10, 0.9)),
}


def tell(rng: random.Random, clock: Clock, sc: Scenario, steps: list[str]) -> list[Event]:
    """The events of a pledge that ends as ``sc`` says, with day numbers."""
    E = Event
    events = [E(Action.CREATE, Status.DRAFT, "author")]
    state = sc.withdrawn_from if sc.state == Status.WITHDRAWN else sc.state
    order = ["draft", "submitted", "returned", "approved", "published", "fulfilled", "evaluated"]
    reach = order.index(state)
    if state == "draft" and rng.random() < 0.3:
        events.append(E(Action.EDIT, Status.DRAFT, "author"))
    if reach >= 1:
        events.append(E(Action.SUBMIT, Status.SUBMITTED, "author"))
        if state == "returned" or sc.loop:
            reasons = tuple(rng.sample(list(RETURN_COMMENTS), rng.choice((1, 1, 2))))
            comment = " ".join(rng.choice(RETURN_COMMENTS[r]) for r in reasons)
            events.append(
                E(Action.RETURN, Status.RETURNED, "reviewer", reasons=reasons, comment=comment)
            )
        if sc.loop and state != "returned":
            events.append(E(Action.EDIT, Status.RETURNED, "author", revise=True))
            events.append(E(Action.RESUBMIT, Status.SUBMITTED, "author"))
    if reach >= 3:
        events.append(
            E(Action.APPROVE, Status.APPROVED, "reviewer", comment=rng.choice(APPROVE_COMMENTS))
        )
    if reach >= 4:
        events.append(E(Action.PUBLISH, Status.PUBLISHED, "publisher"))
        if state == "published":
            count = rng.choice((0, 1, 1, 2, 3)) if not sc.overdue else rng.choice((0, 1))
            top = rng.randint(20, 80) if not sc.overdue else rng.randint(10, 50)
        else:
            count, top = rng.choice((1, 2, 2, 3)), 100
        if sc.image:
            count = max(count, 1)
        progress = sorted(rng.randint(10, top) for _ in range(count))
        if state != "published" and progress:
            progress[-1] = 100
        for index, value in enumerate(progress):
            step = steps[min(index, len(steps) - 1)] if value < 100 else steps[-1]
            events.append(
                E(Action.ADD_ENTRY, Status.PUBLISHED, "keeper", progress=value, text=step)
            )
        if sc.image:
            events[-1].image = True
        if sc.adjustment:
            events.append(
                E(
                    Action.REQUEST_ADJUSTMENT,
                    Status.PUBLISHED,
                    "requester",
                    comment=rng.choice(ADJUST_REASONS),
                )
            )
            if sc.adjustment == "approved":
                events.append(
                    E(
                        Action.APPROVE_ADJUSTMENT,
                        Status.PUBLISHED,
                        "reviewer",
                        comment="同意调整",
                        approve=True,
                    )
                )
    if reach >= 5:
        events.append(
            E(
                Action.MARK_FULFILLED,
                Status.FULFILLED,
                "marker",
                comment=rng.choice(FULFIL_COMMENTS),
            )
        )
        if state == "evaluated" or sc.self_report_only:
            events.append(E(Action.RECORD_SELF_REPORT, Status.FULFILLED, "editor"))
    if reach >= 6:
        events.append(
            E(Action.RECORD_APPRAISAL, Status.FULFILLED, "marker", votes=votes_for(rng, sc.grade))
        )
        events.append(E(Action.EVALUATE, Status.EVALUATED, "grader", grade=sc.grade))
    if sc.state == Status.WITHDRAWN:
        events.append(
            E(Action.WITHDRAW, Status.WITHDRAWN, "withdrawer", comment=rng.choice(WITHDRAW_REASONS))
        )

    # Times: created in the state's window, the last event in its window, the rest between.
    key = state if sc.state != Status.WITHDRAWN else "withdrawn"
    if state == "submitted":
        key = "submitted_long" if sc.long_wait else "submitted"
    if sc.overdue:
        key = "overdue"
    (c_lo, c_hi), final = WINDOWS[key]
    latest = clock.latest
    created = rng.uniform(c_lo, min(c_hi, latest))
    if final is None or len(events) == 1:
        last = rng.uniform(created, latest) if len(events) > 1 else created
    else:
        f_lo, f_hi = final
        last = rng.uniform(max(f_lo, created + 0.2), max(min(f_hi, latest), created + 0.3))
        last = min(last, latest)
    days = spread(rng, len(events), created, last)
    # At least two minutes between two steps, so that times alone order a pledge's history.
    gap = 2 / WORK_MINUTES
    for index in range(1, len(days)):
        days[index] = max(days[index], days[index - 1] + gap)
    shift = min(0.0, latest - days[-1])
    for event, u in zip(events, days, strict=True):
        event.u = u + shift
    return events


def votes_for(rng: random.Random, grade: str) -> tuple[int, int, int, int]:
    """Democratic appraisal tallies leaning to ``grade`` (好, 较好, 一般, 差)."""
    voters = rng.randint(9, 36)
    lean = {
        Grade.GOOD: (0.85, 0.12, 0.03, 0.0),
        Grade.FAIRLY_GOOD: (0.35, 0.5, 0.12, 0.03),
        Grade.AVERAGE: (0.05, 0.2, 0.45, 0.3),
        Grade.POOR: (0.0, 0.1, 0.4, 0.5),
    }[grade or Grade.GOOD]
    tally = [0, 0, 0, 0]
    for _ in range(voters):
        tally[rng.choices(range(4), lean)[0]] += 1
    return tuple(tally)


def deadline_for(
    rng: random.Random, clock: Clock, term: str, created: datetime.date
) -> datetime.date:
    if term == Term.IMMEDIATE:
        return created + datetime.timedelta(days=rng.randint(20, 60))
    if term == Term.ANNUAL:
        year_end = datetime.date(clock.today.year, 12, 31)
        if (year_end - clock.today).days >= 45:
            return year_end
        return datetime.date(clock.today.year + 1, 6, 30)
    return datetime.date(clock.today.year + rng.choice((1, 2)), 12, 31)


def fit_deadline(
    rng: random.Random, clock: Clock, spec: Spec, events: list[Event], sc: Scenario
) -> None:
    """Deadlines that agree with the story: never before a submission (the submit guard) and
    10 days at least after it; passed for an overdue pledge; still ahead for a pledge that is
    not finished; a return for 时限不合理 brought the revised one forward."""
    submits = [e.u for e in events if e.action in (Action.SUBMIT, Action.RESUBMIT)]
    earliest = clock.date(max(submits) if submits else events[0].u) + datetime.timedelta(days=10)
    unfinished = spec.status in (
        Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED, Status.PUBLISHED
    )  # fmt: skip
    for content in (spec.draft, spec.final):
        deadline = content["deadline"]
        if sc.overdue:
            span = max(0, (clock.day(-1) - earliest).days)
            deadline = earliest + datetime.timedelta(days=rng.randint(0, span))
        elif unfinished:
            deadline = max(deadline, earliest, clock.day(rng.randint(10, 40)))
        else:
            deadline = max(deadline, earliest)
        content["deadline"] = deadline
    revised = any(e.revise for e in events)
    if not revised:  # one text throughout
        spec.final["deadline"] = spec.draft["deadline"]
    shorter = any("时限不合理" in e.reasons for e in events) and spec.term != Term.LONG
    if shorter and revised and not sc.overdue:
        floor = earliest if not unfinished else max(earliest, clock.day(10))
        earlier = spec.final["deadline"] - datetime.timedelta(days=rng.randint(5, 20))
        spec.final["deadline"] = max(earlier, floor)


def choose_scenario(rng: random.Random, weights: dict[str, float], term: str) -> Scenario:
    state = rng.choices(list(weights), list(weights.values()))[0]
    sc = Scenario(state=state)
    if state == "withdrawn":
        sc.withdrawn_from = rng.choices(
            ["draft", "submitted", "approved", "published"], [1, 2, 2, 5]
        )[0]
    base = sc.withdrawn_from or state
    if base == "submitted":
        sc.long_wait = rng.random() < 0.5
        sc.loop = rng.random() < 0.33
    elif base in ("approved", "published", "fulfilled", "evaluated"):
        sc.loop = rng.random() < 0.1
    if base == "published" and term == Term.IMMEDIATE and state == "published":
        sc.overdue = rng.random() < 0.4
    if base == "evaluated":
        sc.grade = rng.choices(list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values()))[0]
    if base == "fulfilled" and state == "fulfilled":
        sc.self_report_only = rng.random() < 0.1
    return sc


# ---------------------------------------------------------------------------------------------
# Content of one pledge
# ---------------------------------------------------------------------------------------------


def member_ideas(
    rng: random.Random, profile: str, kind: str, count: int
) -> list[tuple[str, str, str, str]]:
    """``count`` distinct (content, effect, measures, steps) for a member of this profile."""
    ekey = enterprise_key(profile)
    if kind == Kind.DEED:
        pool = [
            (c, e, "", s)
            for c, e, s in pick(
                DEEDS, profile, ekey if ekey != "enterprise" else Unit.STATE_ENTERPRISE, Unit.ORGAN
            )
        ]
    elif kind == Kind.RECTIFY:
        pool = [(c, e, m, GENERIC_STEPS[Kind.RECTIFY]) for c, m, e in RECTIFY_GENERAL]
        pool += [
            (c, e, m, GENERIC_STEPS[Kind.RECTIFY]) for c, m, e in RECTIFY_KIND.get(ekey, ())
        ] * 2  # the unit's own problem comes up more often
    else:
        pool = [
            (c, e, "", GENERIC_STEPS[Kind.WORK])
            for c, e in (*WORK.get(ekey, WORK["general"]), *WORK["general"])
        ]
    chosen, seen = [], set()
    for idea in rng.sample(pool, len(pool)):
        if idea[0] in seen:
            continue
        seen.add(idea[0])
        chosen.append(idea)
        if len(chosen) == count:
            break
    while len(chosen) < count:  # a small pool: repeat with other numbers
        chosen.append(rng.choice(pool))
    return chosen


def org_ideas(rng: random.Random, org: OrgInfo, count: int) -> list[tuple[str, str, str, str]]:
    if org.level != Level.BRANCH and org.unit_kind == Unit.ORGAN:
        key = "committee"
    else:
        key = enterprise_key(org.unit_kind)
    pool = list(pick(ORG_DEEDS, key, Unit.ORGAN))
    if len(pool) < count:
        pool += list(ORG_DEEDS[Unit.ORGAN])
    return [(c, e, "", GENERIC_STEPS["org"]) for c, e in rng.sample(pool, count)]


def term_for(rng: random.Random, kind: str) -> str:
    if kind == Kind.WORK:
        return rng.choices([Term.LONG, Term.ANNUAL], [2, 3])[0]
    if kind == Kind.RECTIFY:
        return rng.choices([Term.ANNUAL, Term.IMMEDIATE], [3, 2])[0]
    return rng.choices([Term.IMMEDIATE, Term.ANNUAL, Term.LONG], [4, 5, 1])[0]


def make_spec(
    rng: random.Random,
    clock: Clock,
    *,
    idea: tuple[str, str, str, str],
    kind: str,
    scenario: Scenario | None,
    weights: dict[str, float],
    organization_id: int,
    actors: dict[str, int],
    owner_member_id: int | None = None,
    owner_organization_id: int | None = None,
    owner_user_id: int | None = None,
    label: str = "",
    term: str | None = None,
) -> Spec:
    slots = fill_slots(rng)
    content, effect, measures, steps = idea
    term = term or term_for(rng, kind)
    sc = scenario or choose_scenario(rng, weights, term)
    if sc.overdue:
        term = Term.IMMEDIATE
    text = content.format_map(slots)
    events = tell(rng, clock, sc, [s.format_map(slots) for s in steps.split("|")])
    draft = {
        "kind": kind,
        "term": term,
        "content": text,
        "deadline": deadline_for(rng, clock, term, clock.date(events[0].u)),
        "expected_effect": effect.format_map(slots),
        "measures": measures.format_map(slots),
    }
    final = dict(draft)
    if any(e.revise for e in events):
        # The first draft was vaguer: the revision made the effect measurable and added detail.
        draft["expected_effect"] = rng.choice(VAGUE_EFFECTS)
        final["content"] = text + rng.choice(REVISION_DETAILS)
    spec = Spec(
        organization_id=organization_id,
        owner_member_id=owner_member_id,
        owner_organization_id=owner_organization_id,
        owner_user_id=owner_user_id,
        kind=kind,
        term=term,
        draft=draft,
        final=final,
        events=events,
        actors=actors,
        status=events[-1].to,
        label=label,
    )
    fit_deadline(rng, clock, spec, events, sc)
    for event in events:
        if event.action == Action.RECORD_SELF_REPORT:
            entries = sum(1 for e in events if e.action == Action.ADD_ENTRY)
            event.text = SELF_REPORT.format(
                short=text if len(text) <= 24 else text[:23] + "…",
                who="我" if owner_member_id else "支部",
                entries=entries,
                result=rng.choice(SELF_REPORT_RESULTS),
                flaw=rng.choice(SELF_REPORT_FLAWS),
                future=rng.choice(SELF_REPORT_FUTURE),
            )
        elif event.action == Action.WITHDRAW:
            spec.withdrawal_reason = event.comment[:200]
        elif event.action == Action.EVALUATE:
            spec.grade = event.grade
        elif event.action == Action.REQUEST_ADJUSTMENT:
            spec.adjusted = dict(final)
            spec.adjusted["deadline"] = max(final["deadline"], clock.today) + datetime.timedelta(
                days=rng.randint(20, 45)
            )
    return spec


# ---------------------------------------------------------------------------------------------
# The organisation tree and who acts for whom
# ---------------------------------------------------------------------------------------------


@dataclass
class OrgInfo:
    id: int
    path: str
    level: str
    unit_kind: str
    name: str
    code: str
    short_name: str

    @property
    def pledges(self) -> bool:
        """Organisations that make organisation pledges (not 党小组)."""
        return self.level != Level.GROUP

    @property
    def label(self) -> str:
        return self.short_name or self.name.removesuffix("党支部").removesuffix("党委")


class Tree:
    """The organisations of a subtree, with each one's secretary account."""

    def __init__(self, root: Organization, extra: Q | None = None) -> None:
        qs = Organization.objects.filter(path__startswith=root.path)
        if extra is not None:
            qs = qs.filter(extra)
        self.by_path: dict[str, OrgInfo] = {}
        self.by_id: dict[int, OrgInfo] = {}
        fields = ("id", "path", "level", "unit_kind", "name", "code", "short_name")
        for row in qs.values_list(*fields).order_by("path").iterator(chunk_size=5000):
            info = OrgInfo(*row)
            self.by_path[info.path] = info
            self.by_id[info.id] = info
        self.root_path = root.path
        self.secretary: dict[int, int] = {}  # org id → user id of its secretary

    def parent(self, org: OrgInfo) -> OrgInfo | None:
        steplen = Organization.steplen
        return self.by_path.get(org.path[:-steplen]) if len(org.path) > steplen else None

    def home_branch(self, org: OrgInfo) -> OrgInfo:
        """A 党小组's branch (its members' pledges are the branch's to handle)."""
        while org.level == Level.GROUP:
            parent = self.parent(org)
            if parent is None:
                break
            org = parent
        return org

    def secretary_above(self, org: OrgInfo, avoid: Iterable[int | None] = ()) -> int | None:
        """The secretary of the nearest organisation above ``org`` that is not in ``avoid``."""
        avoid = set(avoid)
        current = self.parent(org)
        while current is not None:
            user_id = self.secretary.get(current.id)
            if user_id is not None and user_id not in avoid:
                return user_id
            current = self.parent(current)
        return None


def ensure_accounts(
    tree: Tree,
    orgs: list[OrgInfo],
    rng: random.Random,
    today: datetime.date,
    prefix: str,
    role: str,
) -> dict[int, int]:
    """An account ``<prefix>.<code>`` with ``role`` on each organisation (reused if it exists;
    removed by the reset); returns org id → user id."""
    User = get_user_model()
    wanted = {f"{prefix}.{org.code.lower()}": org for org in orgs}
    existing = _existing_users(User, wanted)
    # A generator of its own: the same data follows whether or not the accounts already exist.
    people = People(random.Random(rng.getrandbits(64)), today)
    password = make_password(None)  # unusable: these accounts are actors, not logins
    missing = []
    for username in wanted:
        if username in existing:
            continue
        person = people.person(years=(1962, 1990), male_share=0.72)
        missing.append(
            User(
                username=username,
                password=password,
                last_name=person.surname,
                first_name=person.given_name,
                is_active=True,
            )
        )
    for start in range(0, len(missing), 5000):
        User.objects.bulk_create(missing[start : start + 5000])
    if missing:
        existing = _existing_users(User, wanted)
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user_id=existing[name], organization_id=org.id, role=role)
            for name, org in wanted.items()
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return {org.id: existing[name] for name, org in wanted.items()}


def _existing_users(User, wanted: dict) -> dict[str, int]:
    prefixes = {name.split(".", 1)[0] + "." for name in wanted}
    found: dict[str, int] = {}
    for prefix in prefixes:
        for username, pk in (
            User.objects.filter(username__startswith=prefix)
            .values_list("username", "pk")
            .iterator()
        ):
            if username in wanted:
                found[username] = pk
    return found


# ---------------------------------------------------------------------------------------------
# Bulk writing: explicit ids, COPY on PostgreSQL, executemany on SQLite
# ---------------------------------------------------------------------------------------------


class RowWriter:
    """Inserts rows given as tuples of Python values, in the columns named.

    Ids are reserved up front (``nextval`` on PostgreSQL, past ``max(id)`` on SQLite, where the
    seeding transaction holds the write lock) so that rows of one batch can point at each other
    without reading anything back. PostgreSQL gets ``COPY … FROM STDIN`` (about five times
    faster than multi-row INSERTs); SQLite gets ``executemany``, with values adapted as the ORM
    adapts them (bulk_create would overwrite ``updated_at`` through ``auto_now``).
    """

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._next_id: dict[str, int] = {}
        self.counts: Counter = Counter()

    def reserve(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if table not in self._next_id:
                cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
                self._next_id[table] = cursor.fetchone()[0] + 1
        first = self._next_id[table]
        self._next_id[table] = first + count
        return list(range(first, first + count))

    def write(self, model: type[models.Model], names: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        meta = model._meta
        fields = [meta.get_field(name) if name != "id" else meta.pk for name in names]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        self.counts[meta.label] += len(rows)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{meta.db_table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            adapters = [self._adapter(f) for f in fields]
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({placeholders})',
                [
                    tuple(
                        a(v) if a and v is not None else v
                        for a, v in zip(adapters, row, strict=True)
                    )
                    for row in rows
                ],
            )

    @staticmethod
    def _adapter(f: models.Field) -> Callable | None:
        ops = connection.ops
        if isinstance(f, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        return None


def update_rows(
    model: type[models.Model],
    names: tuple[str, ...],
    key: str,
    rows: list[tuple],
    *,
    keep_null: bool = False,
) -> None:
    """``UPDATE … SET names = … WHERE key = …`` for each row (values first, the key last), with
    one ``executemany``: bulk_update's CASE expressions are slow for thousands of rows.
    ``keep_null`` leaves a column unchanged where the new value is None."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    key_field = meta.pk if key == "id" else meta.get_field(key)
    if keep_null:
        sets = ", ".join(f'"{f.column}" = COALESCE(%s, "{f.column}")' for f in fields)
    else:
        sets = ", ".join(f'"{f.column}" = %s' for f in fields)
    sql = f'UPDATE "{meta.db_table}" SET {sets} WHERE "{key_field.column}" = %s'
    prepared = [
        (
            *(
                f.get_db_prep_save(value, connection) if value is not None else None
                for f, value in zip(fields, row[:-1], strict=True)
            ),
            row[-1],
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


PLEDGE_COLUMNS = (
    "id", "campaign", "owner_member", "owner_organization", "organization", "author",
    "kind", "term", "content", "deadline", "expected_effect", "measures", "status", "grade",
    "withdrawal_reason", "created_at", "updated_at", "submitted_at", "approved_at",
    "published_at", "fulfilled_at", "evaluated_at", "withdrawn_at",
)  # fmt: skip
HISTORY_COLUMNS = (
    "id", "pledge", "action", "from_status", "to_status", "actor", "created_at", "comment",
    "snapshot", "adjustment",
)  # fmt: skip
ENTRY_COLUMNS = ("pledge", "date", "text", "progress", "author", "created_at")
EVALUATION_COLUMNS = (
    "pledge", "self_report", "self_report_at", "votes_good", "votes_fairly_good",
    "votes_average", "votes_poor", "suggested_grade", "final_grade", "override_justification",
    "improvement_deadline", "publicity_start", "publicity_end", "confirmed_by", "confirmed_at",
    "updated_at",
)  # fmt: skip
FEEDBACK_COLUMNS = (
    "pledge", "rating", "comment", "status", "created_at", "moderated_by", "moderated_at",
    "fingerprint",
)  # fmt: skip
STAMP_FIELDS = (
    "created_at", "updated_at", "submitted_at", "approved_at", "published_at", "fulfilled_at",
    "evaluated_at", "withdrawn_at",
)  # fmt: skip
_TIMESTAMP_OF = {
    Status.SUBMITTED: "submitted_at",
    Status.APPROVED: "approved_at",
    Status.PUBLISHED: "published_at",
    Status.FULFILLED: "fulfilled_at",
    Status.EVALUATED: "evaluated_at",
    Status.WITHDRAWN: "withdrawn_at",
}


def snapshot(content: dict) -> dict[str, str]:
    """What ``Pledge.content_snapshot()`` gives for this content."""
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else (value or "")
        for name, value in ((n, content[n]) for n in Pledge.CONTENT_FIELDS)
    }


def timestamps(spec: Spec, clock: Clock) -> dict[str, datetime.datetime | None]:
    """The pledge's timestamp fields as the workflow sets them: each state's time of entry
    (the last one), created at the first event, updated at the last."""
    stamps: dict[str, datetime.datetime | None] = dict.fromkeys(_TIMESTAMP_OF.values())
    previous = ""
    for event in spec.events:
        if event.to != previous and event.to in _TIMESTAMP_OF:
            stamps[_TIMESTAMP_OF[event.to]] = clock.at(event.u)
        previous = event.to
    stamps["created_at"] = clock.at(spec.events[0].u)
    stamps["updated_at"] = clock.at(spec.events[-1].u)
    return stamps


@dataclass
class Policy:
    """The campaign's evaluation weights, to store the suggested grade as the selector would."""

    weight_self_report: int
    weight_appraisal: int
    threshold_good: int
    threshold_fairly_good: int
    threshold_average: int

    def suggest(self, votes: tuple[int, int, int, int], has_report: bool) -> str:
        """``selectors.suggest_grade`` without public satisfaction (bulk pledges get no feedback
        once they are evaluated)."""
        used = [(Decimal(self.weight_self_report), Decimal(100 if has_report else 0))]
        total = sum(votes)
        if total:
            points = sum(
                n * p for n, p in zip(votes, selectors.APPRAISAL_POINTS.values(), strict=True)
            )
            used.append((Decimal(self.weight_appraisal), Decimal(points) / Decimal(total)))
        used = [(w, s) for w, s in used if w > 0]
        weight = sum(w for w, _ in used)
        if not weight:
            return ""
        score = (sum(w * s for w, s in used) / weight).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if score >= self.threshold_good:
            return Grade.GOOD
        if score >= self.threshold_fairly_good:
            return Grade.FAIRLY_GOOD
        if score >= self.threshold_average:
            return Grade.AVERAGE
        return Grade.POOR


def feedback_model() -> type[models.Model] | None:
    """The public-feedback model, if this checkout has it."""
    try:
        return apps.get_model("pledges", "Feedback")
    except LookupError:
        return None


def plan_feedback(rng: random.Random, clock: Clock, spec: Spec, share: float) -> None:
    """Ratings (and a few comments, some awaiting moderation) for a public pledge."""
    if spec.status not in (Status.PUBLISHED, Status.FULFILLED) or rng.random() > share:
        return
    published = next(e.u for e in spec.events if e.action == Action.PUBLISH)
    for _ in range(rng.randint(1, 6)):
        u = rng.uniform(published, clock.latest)
        rating = rng.choices(["satisfied", "fairly_satisfied", "dissatisfied"], [70, 24, 6])[0]
        comment, status, moderated = "", "none", None
        roll = rng.random()
        if roll < 0.3:
            comment = rng.choice(FEEDBACK_COMMENTS)
            status = rng.choices(["approved", "pending"], [6, 4])[0]
        elif roll < 0.32:
            comment, status = rng.choice(SPAM_COMMENTS), "rejected"
        if status in ("approved", "rejected"):
            moderated = min(u + rng.uniform(0.1, 2), clock.latest)
            u = min(u, moderated)
        spec.feedback.append((u, rating, comment, status, moderated))


class BulkWriter:
    """Writes specs as the services would have: pledge, history, journal, evaluation, feedback."""

    def __init__(self, campaign: Campaign, clock: Clock, reasons: dict[str, int], policy: Policy):
        self.campaign_id = campaign.pk
        self.clock = clock
        self.reasons = reasons
        self.policy = policy
        self.rows = RowWriter()
        self.feedback = feedback_model()
        self.through = PledgeHistory.reasons.through

    def write(self, specs: list[Spec]) -> None:
        clock, rows = self.clock, self.rows
        pledge_ids = rows.reserve(Pledge, len(specs))
        history_ids = iter(rows.reserve(PledgeHistory, sum(len(s.events) for s in specs)))
        pledges, history, links, entries, evaluations, feedback = [], [], [], [], [], []
        for pledge_id, spec in zip(pledge_ids, specs, strict=True):
            final = spec.final
            stamps = timestamps(spec, clock)
            pledges.append(
                (
                    pledge_id, self.campaign_id, spec.owner_member_id, spec.owner_organization_id,
                    spec.organization_id, spec.actors["author"], spec.kind, spec.term,
                    final["content"], final["deadline"], final["expected_effect"],
                    final["measures"], spec.status, spec.grade, spec.withdrawal_reason,
                    stamps["created_at"], stamps["updated_at"], stamps["submitted_at"],
                    stamps["approved_at"], stamps["published_at"], stamps["fulfilled_at"],
                    stamps["evaluated_at"], stamps["withdrawn_at"],
                )
            )  # fmt: skip
            draft_json = json.dumps(snapshot(spec.draft), ensure_ascii=False)
            final_json = (
                draft_json
                if spec.final == spec.draft
                else json.dumps(snapshot(spec.final), ensure_ascii=False)
            )
            current, status = draft_json, ""
            evaluation = None
            for event in spec.events:
                if event.revise:
                    current = final_json
                history_id = next(history_ids)
                at = clock.at(event.u)
                actor = spec.actors[event.actor]
                if event.action == Action.EVALUATE:  # sets the justification, the row's comment
                    evaluation = evaluation or {}
                    evaluation.update(self.grade(event, evaluation, at, actor))
                history.append(
                    (history_id, pledge_id, event.action, status, event.to, actor, at,
                     event.comment, current, None)
                )  # fmt: skip
                status = event.to
                for reason in event.reasons:
                    links.append((history_id, self.reasons[reason]))
                if event.action == Action.ADD_ENTRY:
                    entries.append(
                        (pledge_id, clock.date(event.u), event.text, event.progress, actor, at)
                    )
                elif event.action == Action.RECORD_SELF_REPORT:
                    evaluation = {"self_report": event.text, "self_report_at": at, "updated_at": at}
                elif event.action == Action.RECORD_APPRAISAL:
                    evaluation = evaluation or {}
                    evaluation.update(votes=event.votes, updated_at=at)
            if evaluation:
                votes = evaluation.get("votes", (0, 0, 0, 0))
                evaluations.append(
                    (
                        pledge_id, evaluation.get("self_report", ""),
                        evaluation.get("self_report_at"), *votes,
                        evaluation.get("suggested_grade", ""), evaluation.get("final_grade", ""),
                        evaluation.get("override_justification", ""),
                        evaluation.get("improvement_deadline"),
                        evaluation.get("publicity_start"), evaluation.get("publicity_end"),
                        evaluation.get("confirmed_by"), evaluation.get("confirmed_at"),
                        evaluation["updated_at"],
                    )
                )  # fmt: skip
            for u, rating, comment, fb_status, moderated in spec.feedback:
                feedback.append(
                    (
                        pledge_id, rating, comment, fb_status, clock.at(u),
                        spec.actors["publisher"] if moderated is not None else None,
                        clock.at(moderated) if moderated is not None else None,
                        fingerprint(pledge_id, u),
                    )
                )  # fmt: skip
        rows.write(Pledge, PLEDGE_COLUMNS, pledges)
        rows.write(PledgeHistory, HISTORY_COLUMNS, history)
        rows.write(self.through, ("pledgehistory", "returnreason"), links)
        rows.write(FulfilmentEntry, ENTRY_COLUMNS, entries)
        rows.write(Evaluation, EVALUATION_COLUMNS, evaluations)
        if self.feedback is not None:
            rows.write(self.feedback, FEEDBACK_COLUMNS, feedback)

    def grade(self, event: Event, evaluation: dict, at: datetime.datetime, actor: int) -> dict:
        votes = evaluation.get("votes", (0, 0, 0, 0))
        suggested = self.policy.suggest(votes, bool(evaluation.get("self_report")))
        grade = event.grade or suggested
        justification = ""
        if grade != suggested:
            justification = (
                POOR_JUSTIFICATION if grade == Grade.POOR else "综合群众评价，调整等次。"
            )
        event.comment = justification
        day = self.clock.date(event.u)
        return {
            "suggested_grade": suggested,
            "final_grade": grade,
            "override_justification": justification,
            "improvement_deadline": (self.clock.day(45) if grade == Grade.POOR else None),
            "publicity_start": day + datetime.timedelta(days=1),
            "publicity_end": day + datetime.timedelta(days=7),
            "confirmed_by": actor,
            "confirmed_at": at,
            "updated_at": at,
        }


def fingerprint(pledge_id: int, u: float) -> str:
    return hashlib.sha256(f"demo:{pledge_id}:{u:.6f}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Generating specs for members and organisations
# ---------------------------------------------------------------------------------------------


@dataclass
class Generator:
    """Makes specs for the members and organisations of a tree, branch by branch."""

    rng: random.Random
    clock: Clock
    tree: Tree
    leader_id: int
    office_id: int
    work_share: float = WORK_PLEDGE_SHARE
    feedback_share: float = 0.2
    paces: dict[int, dict[str, float]] = field(default_factory=dict)

    def pace(self, branch: OrgInfo) -> dict[str, float]:
        if branch.id not in self.paces:
            shares = [share for share, _ in PACES]
            self.paces[branch.id] = self.rng.choices([w for _, w in PACES], shares)[0]
        return self.paces[branch.id]

    def member_actors(self, branch: OrgInfo, owner_user_id: int | None) -> dict[str, int]:
        secretary = self.tree.secretary[branch.id]
        reviewer = self.tree.secretary_above(branch, avoid=(owner_user_id,))
        return {
            "author": secretary,
            "editor": secretary,
            "reviewer": reviewer or self.office_id,
            "publisher": secretary,
            "keeper": secretary,
            "marker": secretary,
            "requester": secretary,
            "grader": self.leader_id,
            "withdrawer": self.office_id,
        }

    def org_actors(self, org: OrgInfo) -> dict[str, int]:
        secretary = self.tree.secretary[org.id]
        # The city itself and its direct units (depth 1 and 2): reviewed by the campaign office;
        # below, by the secretary of the organisation above.
        above = None
        if len(org.path) > 2 * Organization.steplen:
            above = self.tree.secretary_above(org)
        return {
            "author": secretary,
            "editor": secretary,
            "reviewer": above or self.office_id,
            "publisher": secretary,
            "keeper": secretary,
            "marker": secretary,
            "requester": secretary,
            "grader": self.leader_id,
            "withdrawer": self.office_id,
        }

    def member_specs(self, member_id: int, branch_id: int, user_id: int | None) -> Iterator[Spec]:
        rng = self.rng
        org = self.tree.by_id[branch_id]
        branch = self.tree.home_branch(org)
        weights = self.pace(branch)
        actors = self.member_actors(branch, user_id)
        profile = profile_of(branch)
        counts = {
            Kind.DEED: rng.choice((2, 3)),
            Kind.RECTIFY: rng.choice((1, 2)),
            Kind.WORK: 1 if rng.random() < self.work_share else 0,
        }
        for kind, count in counts.items():
            for idea in member_ideas(rng, profile, kind, count) if count else ():
                spec = make_spec(
                    rng,
                    self.clock,
                    idea=idea,
                    kind=kind,
                    scenario=None,
                    weights=weights,
                    organization_id=org.id,
                    owner_member_id=member_id,
                    owner_user_id=user_id,
                    actors=actors,
                    label=branch.label,
                )
                plan_feedback(rng, self.clock, spec, self.feedback_share)
                yield spec

    def org_specs(
        self, org: OrgInfo, count: int, scenarios: Iterable[Scenario | None] = ()
    ) -> Iterator[Spec]:
        weights = self.pace(org)
        actors = self.org_actors(org)
        scenarios = list(scenarios)
        for index, idea in enumerate(org_ideas(self.rng, org, count)):
            spec = make_spec(
                self.rng,
                self.clock,
                idea=idea,
                kind=Kind.DEED,
                scenario=scenarios[index] if index < len(scenarios) else None,
                weights=weights,
                organization_id=org.id,
                owner_organization_id=org.id,
                actors=actors,
                label=org.label,
            )
            plan_feedback(self.rng, self.clock, spec, self.feedback_share)
            yield spec


def row_counts(writer: BulkWriter) -> str:
    return ", ".join(
        f"{label.split('.')[-1]} {count:,}" for label, count in writer.rows.counts.items()
    )


def write_in_batches(writer: BulkWriter, specs: Iterable[Spec], batch_size: int) -> int:
    batch: list[Spec] = []
    written = 0
    for spec in specs:
        batch.append(spec)
        if len(batch) >= batch_size:
            writer.write(batch)
            written += len(batch)
            batch = []
    if batch:
        writer.write(batch)
        written += len(batch)
    return written


# ---------------------------------------------------------------------------------------------
# Through the services: the logins' branches
# ---------------------------------------------------------------------------------------------

# The scenarios every login branch shows, whatever the dice say (the rest follow the paces).
GUARANTEED = (
    Scenario("draft"),
    Scenario("draft"),
    Scenario("submitted", long_wait=True),
    Scenario("submitted", long_wait=True),
    Scenario("submitted"),
    Scenario("submitted"),
    Scenario("submitted", loop=True),
    Scenario("submitted", loop=True, long_wait=True),
    Scenario("returned"),
    Scenario("returned"),
    Scenario("approved"),
    Scenario("approved", loop=True),
    Scenario("published", image=True),
    Scenario("published", image=True),
    Scenario("published"),
    Scenario("published", overdue=True),
    Scenario("published", overdue=True),
    Scenario("published", adjustment="approved"),
    Scenario("fulfilled", image=True),
    Scenario("fulfilled"),
    Scenario("fulfilled", self_report_only=True),
    Scenario("evaluated", grade=Grade.GOOD),
    Scenario("evaluated", grade=Grade.FAIRLY_GOOD),
    Scenario("evaluated", grade=Grade.AVERAGE),
    Scenario("evaluated", grade=Grade.POOR),
    Scenario("withdrawn", withdrawn_from="published"),
    Scenario("withdrawn", withdrawn_from="submitted"),
)
# The ``member`` login's own pledges: one of each thing a member sees.
MEMBER_OWN = (
    Scenario("draft"),
    Scenario("returned"),
    Scenario("submitted"),
    Scenario("published", image=True),
    Scenario("published", adjustment="pending"),
)


class ServiceRunner:
    """Plays specs through the services as the users named, then moves the times back."""

    def __init__(self, campaign: Campaign, clock: Clock, rng: random.Random) -> None:
        self.campaign = campaign
        self.clock = clock
        self.rng = rng
        self.reasons = {r.text: r for r in services.ensure_default_return_reasons(campaign)}
        self.users: dict[int, object] = {}
        self.members: dict[int, Member] = {}
        self.orgs: dict[int, Organization] = {}
        self.played: list[tuple[Spec, Pledge, dict]] = []
        self.feedback = feedback_model()
        self.images = 0

    def user(self, user_id: int):
        if user_id not in self.users:
            self.users[user_id] = get_user_model().objects.get(pk=user_id)
        return self.users[user_id]

    def real_deadline_map(self, spec: Spec) -> dict[datetime.date, datetime.date]:
        """A past deadline cannot be submitted today: play it as a far-future stand-in (unique
        per value) and put the real one back afterwards."""
        mapping = {}
        for content in (spec.draft, spec.final):
            deadline = content["deadline"]
            if deadline <= self.clock.today:
                stand_in = self.clock.day(400 + (self.clock.today - deadline).days)
                mapping[stand_in] = deadline
        return mapping

    def play(self, spec: Spec) -> Pledge:
        stand_ins = {real: fake for fake, real in self.real_deadline_map(spec).items()}

        def content(fields: dict) -> dict:
            result = dict(fields)
            result["deadline"] = stand_ins.get(result["deadline"], result["deadline"])
            return result

        actor = lambda event: self.user(spec.actors[event.actor])  # noqa: E731
        first = spec.events[0]
        owner = {}
        if spec.owner_member_id:
            owner["owner_member"] = self.members[spec.owner_member_id]
        else:
            owner["owner_organization"] = self.orgs[spec.owner_organization_id]
        pledge = services.pledge_create(
            campaign=self.campaign, actor=actor(first), **owner, **content(spec.draft)
        )
        extra: dict = {"entries": [], "adjustments": []}
        for event in spec.events[1:]:
            who = actor(event)
            match event.action:
                case Action.EDIT:
                    fields = content(spec.final if event.revise else spec.draft)
                    changed = {k: v for k, v in fields.items() if k not in ("kind", "term")}
                    services.pledge_update(pledge=pledge, actor=who, **changed)
                case Action.SUBMIT:
                    services.pledge_submit(pledge=pledge, actor=who)
                case Action.RETURN:
                    services.pledge_return(
                        pledge=pledge,
                        actor=who,
                        reasons=[self.reasons[r] for r in event.reasons],
                        comment=event.comment,
                    )
                case Action.RESUBMIT:
                    services.pledge_resubmit(pledge=pledge, actor=who)
                case Action.APPROVE:
                    services.pledge_approve(pledge=pledge, actor=who, comment=event.comment)
                case Action.PUBLISH:
                    services.pledge_publish(pledge=pledge, actor=who)
                case Action.ADD_ENTRY:
                    files = [self.image(spec, event)] if event.image else []
                    entry = services.fulfilment_entry_add(
                        pledge=pledge,
                        actor=who,
                        date=self.clock.date(event.u),
                        text=event.text,
                        progress=event.progress,
                        files=files,
                    )
                    extra["entries"].append((entry.pk, event))
                case Action.REQUEST_ADJUSTMENT:
                    adjusted = content(spec.adjusted)
                    adjustment = services.adjustment_request(
                        pledge=pledge,
                        actor=who,
                        content=adjusted["content"],
                        deadline=adjusted["deadline"],
                        expected_effect=adjusted["expected_effect"],
                        measures=adjusted["measures"],
                        reason=event.comment,
                    )
                    extra["adjustments"].append([adjustment, event, None])
                case Action.APPROVE_ADJUSTMENT:
                    adjustment = extra["adjustments"][-1]
                    services.adjustment_approve(
                        adjustment=adjustment[0], actor=who, comment=event.comment
                    )
                    adjustment[2] = event
                case Action.MARK_FULFILLED:
                    services.pledge_mark_fulfilled(pledge=pledge, actor=who, comment=event.comment)
                case Action.RECORD_SELF_REPORT:
                    services.evaluation_record_self_report(
                        pledge=pledge, actor=who, text=event.text
                    )
                    extra["self_report"] = event
                case Action.RECORD_APPRAISAL:
                    good, fairly, average, poor = event.votes
                    services.evaluation_record_appraisal(
                        pledge=pledge,
                        actor=who,
                        good=good,
                        fairly_good=fairly,
                        average=average,
                        poor=poor,
                    )
                case Action.EVALUATE:
                    suggested = selectors.suggest_grade(pledge=pledge).grade
                    grade = event.grade or suggested
                    justification = ""
                    if grade != suggested:
                        justification = (
                            POOR_JUSTIFICATION
                            if grade == Grade.POOR
                            else "综合群众评价，调整等次。"
                        )
                    day = self.clock.date(event.u)
                    services.pledge_confirm_grade(
                        pledge=pledge,
                        actor=who,
                        grade=grade,
                        justification=justification,
                        improvement_deadline=self.clock.day(45) if grade == Grade.POOR else None,
                        publicity_start=day + datetime.timedelta(days=1),
                        publicity_end=day + datetime.timedelta(days=7),
                    )
                    extra["evaluate"] = event
                case Action.WITHDRAW:
                    services.pledge_withdraw(pledge=pledge, actor=who, reason=event.comment)
                case _:
                    raise ValueError(event.action)
        self.played.append((spec, pledge, extra))
        return pledge

    def image(self, spec: Spec, event: Event) -> SimpleUploadedFile:
        self.images += 1
        fmt = "png" if self.images % 2 else "jpeg"
        caption = spec.final["content"]
        data = demo_image(
            self.rng,
            title=spec.label,
            caption=caption if len(caption) <= 16 else caption[:15] + "…",
            day=self.clock.date(event.u),
            fmt=fmt,
        )
        name = f"{'现场' if fmt == 'png' else '照片'}{self.images:02d}.{'png' if fmt == 'png' else 'jpg'}"
        return SimpleUploadedFile(name, data, content_type=f"image/{fmt}")

    def backdate(self) -> None:
        """Move every row written by the services to the story's times, and put back the real
        deadlines (in the pledge and in its history snapshots)."""
        clock = self.clock
        by_pledge = {pledge.pk: (spec, extra) for spec, pledge, extra in self.played}
        grouped: dict[int, list[tuple[int, dict]]] = defaultdict(list)
        for row in (
            PledgeHistory.objects.filter(pledge_id__in=list(by_pledge))
            .order_by("pledge_id", "id")
            .values_list("pledge_id", "id", "snapshot")
        ):
            grouped[row[0]].append(row[1:])
        deadlines = dict(
            Pledge.objects.filter(pk__in=list(by_pledge)).values_list("pk", "deadline")
        )
        history, pledges, entries, attachments, adjustments, evaluations = [], [], [], [], [], []
        for pledge_id, (spec, extra) in by_pledge.items():
            rows = grouped[pledge_id]
            if len(rows) != len(spec.events):
                raise RuntimeError(f"pledge {pledge_id}: history does not follow the story")
            real = {
                fake.isoformat(): actual for fake, actual in self.real_deadline_map(spec).items()
            }
            for (history_id, snap), event in zip(rows, spec.events, strict=True):
                if snap.get("deadline") in real:
                    snap = {**snap, "deadline": real[snap["deadline"]].isoformat()}
                history.append((clock.at(event.u), snap, history_id))
            stamps = timestamps(spec, clock)
            deadline = deadlines[pledge_id]
            deadline = real.get(deadline.isoformat(), deadline) if deadline else deadline
            pledges.append((deadline, *(stamps[name] for name in STAMP_FIELDS), pledge_id))
            for entry_id, event in extra["entries"]:
                entries.append((clock.at(event.u), entry_id))
                attachments.append((clock.at(event.u), entry_id))
            for adjustment, request, decision in extra["adjustments"]:
                decided = clock.at(decision.u) if decision else None
                adjustments.append((clock.at(request.u), decided, adjustment.pk))
            if "self_report" in extra or "evaluate" in extra:
                report, grade = extra.get("self_report"), extra.get("evaluate")
                evaluations.append(
                    (
                        clock.at(report.u) if report else None,
                        clock.at(grade.u) if grade else None,
                        pledge_id,
                    )
                )
        update_rows(PledgeHistory, ("created_at", "snapshot"), "id", history)
        update_rows(Pledge, ("deadline", *STAMP_FIELDS), "id", pledges)
        update_rows(FulfilmentEntry, ("created_at",), "id", entries)
        update_rows(Attachment, ("uploaded_at",), "entry", attachments)
        update_rows(PledgeAdjustment, ("requested_at", "decided_at"), "id", adjustments)
        # COALESCE keeps the service's value where the story has none for that field.
        update_rows(
            Evaluation, ("self_report_at", "confirmed_at"), "pledge", evaluations, keep_null=True
        )

    def write_feedback(self) -> int:
        """Public feedback on the played pledges (no service: visitors' input, moderated by the
        branch secretary)."""
        if self.feedback is None:
            return 0
        rows = []
        for spec, pledge, _extra in self.played:
            for u, rating, comment, status, moderated in spec.feedback:
                rows.append(
                    self.feedback(
                        pledge_id=pledge.pk,
                        rating=rating,
                        comment=comment,
                        status=status,
                        created_at=self.clock.at(u),
                        moderated_by_id=spec.actors["publisher"] if moderated is not None else None,
                        moderated_at=self.clock.at(moderated) if moderated is not None else None,
                        fingerprint=fingerprint(pledge.pk, u),
                    )
                )
        self.feedback.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


def demo_image(
    rng: random.Random, *, title: str, caption: str, day: datetime.date, fmt: str
) -> bytes:
    """A small picture for a journal entry: a coloured scene with a Chinese caption."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 480, 320
    palettes = (
        ((196, 226, 255), (92, 160, 92)),
        ((255, 228, 196), (160, 120, 72)),
        ((210, 240, 220), (60, 130, 110)),
        ((235, 225, 250), (110, 100, 160)),
    )
    sky, ground = rng.choice(palettes)
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    draw.ellipse((360, 30, 420, 90), fill=(255, 210, 80))
    horizon = rng.randint(150, 190)
    draw.polygon(
        [(0, horizon), (120, horizon - 50), (240, horizon - 10), (360, horizon - 60), (480, horizon),
         (480, height), (0, height)],
        fill=ground,
    )  # fmt: skip
    draw.rectangle((0, height - 86, width, height), fill=(178, 34, 34))
    try:
        big = ImageFont.truetype(FONT_PATH, 26, index=FONT_INDEX_SC)
        small = ImageFont.truetype(FONT_PATH, 18, index=FONT_INDEX_SC)
    except OSError:  # no CJK font on this machine: shapes only
        big = small = None
    if big is not None:
        draw.text((16, height - 80), caption, font=big, fill=(255, 255, 255))
        draw.text((16, height - 38), f"{title}  {day:%Y-%m-%d}", font=small, fill=(255, 236, 200))
    else:
        for x in range(16, 300, 24):
            draw.rectangle((x, height - 70, x + 16, height - 54), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG" if fmt == "png" else "JPEG", quality=82)
    return out.getvalue()


def login_branch_specs(
    rng: random.Random,
    clock: Clock,
    tree: Tree,
    branch: OrgInfo,
    *,
    author_id: int,
    secretary_id: int,
    above_id: int,
    leader_id: int,
    office_id: int,
    member_login: int | None,
) -> list[Spec]:
    """Specs for one login branch: its members' pledges (the 组织委员 writes them, the
    secretary reviews; the secretary's own are reviewed above; a member with a login writes
    their own) and the branch's own pledges (the secretary writes, the committee above
    reviews). The guaranteed scenarios go first, the rest follow the branch's pace."""
    members = list(
        Member.objects.filter(branch__path__startswith=branch.path, is_active=True)
        .order_by("pk")
        .values_list("pk", "branch_id", "user_id")
    )
    weights = PACES[1][1]
    plans: list[tuple[int, int, int | None, str, tuple]] = []
    for member_id, org_id, user_id in members:
        profile = profile_of(branch)
        counts = {
            Kind.DEED: rng.choice((2, 3)),
            Kind.RECTIFY: rng.choice((1, 2)),
            Kind.WORK: 1 if rng.random() < WORK_PLEDGE_SHARE else 0,
        }
        if user_id is not None and user_id == member_login:
            counts = {Kind.DEED: 3, Kind.RECTIFY: 2, Kind.WORK: 0}
        for kind, count in counts.items():
            for idea in member_ideas(rng, profile, kind, count) if count else ():
                plans.append((member_id, org_id, user_id, kind, idea))

    scenarios: list[Scenario | None] = [None] * len(plans)
    own = [i for i, p in enumerate(plans) if p[2] is not None and p[2] == member_login]
    for index, sc in zip(own, MEMBER_OWN, strict=False):
        scenarios[index] = sc
    others = [i for i, p in enumerate(plans) if scenarios[i] is None and p[2] is None]
    rng.shuffle(others)
    for index, sc in zip(others, GUARANTEED, strict=False):
        scenarios[index] = sc

    specs = []
    for (member_id, org_id, user_id, kind, idea), sc in zip(plans, scenarios, strict=True):
        is_member_login = user_id is not None and user_id == member_login
        is_secretary = user_id == secretary_id
        author = user_id if is_member_login else author_id
        reviewer = above_id if is_secretary else secretary_id
        actors = {
            "author": author,
            "editor": author,
            "reviewer": reviewer,
            "publisher": secretary_id if not is_secretary else above_id,
            "keeper": author,
            "marker": reviewer,
            "requester": author,
            "grader": leader_id,
            "withdrawer": reviewer,
        }
        term = Term.IMMEDIATE if sc is not None and (sc.overdue or sc.adjustment) else None
        spec = make_spec(
            rng,
            clock,
            idea=idea,
            kind=kind,
            scenario=sc,
            weights=weights,
            organization_id=org_id,
            owner_member_id=member_id,
            owner_user_id=user_id,
            actors=actors,
            label=branch.label,
            term=term,
        )
        plan_feedback(rng, clock, spec, 0.6)
        specs.append(spec)

    org_actors = {
        "author": secretary_id,
        "editor": secretary_id,
        "reviewer": above_id,
        "publisher": secretary_id,
        "keeper": secretary_id,
        "marker": secretary_id,
        "requester": secretary_id,
        "grader": leader_id,
        "withdrawer": office_id,
    }
    own_scenarios = [Scenario("published", image=True), Scenario("fulfilled"), Scenario("approved"),
                     Scenario("submitted", long_wait=True), Scenario("published")]  # fmt: skip
    for idea, sc in zip(org_ideas(rng, branch, rng.randint(3, 5)), own_scenarios, strict=False):
        spec = make_spec(
            rng,
            clock,
            idea=idea,
            kind=Kind.DEED,
            scenario=sc,
            weights=weights,
            organization_id=branch.id,
            owner_organization_id=branch.id,
            actors=org_actors,
            label=branch.label,
        )
        plan_feedback(rng, clock, spec, 0.6)
        specs.append(spec)
    return specs


# ---------------------------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------------------------


def demo_campaign(root: Organization) -> Campaign | None:
    return Campaign.objects.filter(root_organization=root).order_by("pk").first()


def city_units(root: Organization) -> list[Organization]:
    """The counties the city scale adds (their codes follow the demo's twenty units)."""
    return list(
        Organization.objects.filter(
            path__startswith=root.path, depth=root.depth + 1, code__gte=CITY_MARKER_CODE
        ).order_by("path")
    )


def not_in(units: list[Organization]) -> Q | None:
    q = Q()
    for unit in units:
        q &= ~Q(path__startswith=unit.path)
    return q if units else None


def _policy(campaign: Campaign) -> Policy:
    p: EvaluationPolicy = services.evaluation_policy_for(campaign)
    return Policy(
        p.weight_self_report,
        p.weight_appraisal,
        p.threshold_good,
        p.threshold_fairly_good,
        p.threshold_average,
    )


def _demo_users(ctx: SeedContext) -> dict[str, int]:
    User = get_user_model()
    names = ("secretary", "secretary2", "committee", "member", "office", "leader")
    found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    missing = set(names) - set(found)
    if missing:
        raise RuntimeError(f"demo logins missing: {', '.join(sorted(missing))}")
    return found


def step_pledges(ctx: SeedContext) -> None:
    """The demo city's pledges: the logins' branches through the services, the rest in bulk."""
    root = ctx.root
    campaign = demo_campaign(root)
    if campaign is None:
        return
    rng = random.Random(ctx.rng.getrandbits(64))
    clock = Clock()
    users = _demo_users(ctx)
    tree = Tree(root, not_in(city_units(root)))
    login_branch = tree.by_id[ctx.plans["login_branch"].pk]
    sibling = tree.by_id[ctx.plans["sibling_branch"].pk]
    committee = tree.by_id[ctx.plans["login_committee"].pk]

    # Accounts: the logins where they are, a secretary for every other organisation, and a
    # 组织委员 in each login branch.
    tree.secretary.update(
        {login_branch.id: users["secretary"], sibling.id: users["secretary2"],
         committee.id: users["committee"]}
    )  # fmt: skip
    others = [o for o in tree.by_id.values() if o.pledges and o.id not in tree.secretary]
    tree.secretary.update(
        ensure_accounts(tree, others, rng, clock.today, SECRETARY_PREFIX, Role.SECRETARY)
    )
    deputies = ensure_accounts(
        tree, [login_branch, sibling], rng, clock.today, DEPUTY_PREFIX, Role.COMMITTEE_MEMBER
    )

    # 1. Through the services.
    started = time.perf_counter()
    runner = ServiceRunner(campaign, clock, rng)
    specs: list[Spec] = []
    for branch, secretary in ((login_branch, "secretary"), (sibling, "secretary2")):
        specs += login_branch_specs(
            rng,
            clock,
            tree,
            branch,
            author_id=deputies[branch.id],
            secretary_id=users[secretary],
            above_id=users["committee"],
            leader_id=users["leader"],
            office_id=users["office"],
            member_login=users["member"],
        )
    gen = Generator(rng, clock, tree, users["leader"], users["office"], feedback_share=0.3)
    # The township committee's own pledges: written by its secretary, reviewed by the office.
    specs += gen.org_specs(
        committee,
        4,
        [
            Scenario("published", image=True),
            Scenario("fulfilled"),
            Scenario("submitted", long_wait=True),
            Scenario("approved"),
        ],
    )
    runner.members = {
        m.pk: m
        for m in Member.objects.filter(
            pk__in=[s.owner_member_id for s in specs if s.owner_member_id]
        ).select_related("branch")
    }
    runner.orgs = {
        o.pk: o
        for o in Organization.objects.filter(
            pk__in=[s.owner_organization_id for s in specs if s.owner_organization_id]
        )
    }
    for spec in specs:
        runner.play(spec)
    runner.backdate()
    ctx.counts["feedback"] += runner.write_feedback()
    ctx.counts["pledges (services)"] += len(specs)
    ctx.counts["journal photos"] += runner.images
    ctx.log(f"  {len(specs)} pledges through the services in {time.perf_counter() - started:.1f} s")

    # 2. Everything else in bulk.
    started = time.perf_counter()
    done = {login_branch.path, sibling.path}
    writer = BulkWriter(
        campaign, clock, {text: r.pk for text, r in runner.reasons.items()}, _policy(campaign)
    )
    members = (
        Member.objects.filter(branch__path__startswith=root.path, is_active=True)
        .exclude(Q(branch__path__startswith=login_branch.path) | Q(branch_id=sibling.id))
        .filter(branch_id__in=list(tree.by_id))
        .order_by("branch__path", "pk")
        .values_list("pk", "branch_id", "user_id")
    )

    def bulk_specs() -> Iterator[Spec]:
        for member_id, branch_id, user_id in members.iterator(chunk_size=5000):
            yield from gen.member_specs(member_id, branch_id, user_id)
        for org in tree.by_id.values():
            if org.pledges and org.path not in done and org.id != committee.id:
                yield from gen.org_specs(org, rng.randint(3, 5))

    bulk = write_in_batches(writer, bulk_specs(), ctx.batch_size)
    ctx.counts["pledges (bulk)"] += bulk
    ctx.log(f"  {bulk} pledges in bulk in {time.perf_counter() - started:.1f} s")
    ctx.log(f"  rows written in bulk: {row_counts(writer)}")


def step_city_pledges(ctx: SeedContext) -> None:
    """The counties' pledges, in bulk, to the seeds' totals."""
    root = ctx.root
    campaign = demo_campaign(root)
    units = city_units(root)
    if campaign is None or not units:
        return
    rng = random.Random(ctx.rng.getrandbits(64))
    clock = Clock()
    users = _demo_users(ctx)
    reasons = {r.text: r.pk for r in services.ensure_default_return_reasons(campaign)}
    writer = BulkWriter(campaign, clock, reasons, _policy(campaign))

    in_tree = Pledge.objects.filter(organization__path__startswith=root.path)
    have_members = in_tree.filter(owner_member__isnull=False).count()
    have_orgs = in_tree.filter(owner_organization__isnull=False).count()
    county_q = Q()
    for unit in units:
        county_q |= Q(branch__path__startswith=unit.path)
    new_members = Member.objects.filter(county_q, is_active=True).count()
    # Member pledges per member: deeds 2.5 + rectifications 1.5 + work share on average.
    target = max(0, CITY_MEMBER_PLEDGES - have_members)
    work_share = min(1.0, max(0.0, target / max(new_members, 1) - 4.0))

    if connection.vendor == "postgresql":
        # Foreign keys are checked at the end of each COPY instead of all at COMMIT: the same
        # work, but PostgreSQL does not queue millions of pending checks in memory.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    started = time.perf_counter()
    total = 0
    trees = []
    for unit in units:
        tree = Tree(unit)
        trees.append(tree)
        # The county's parent (the city) closes the review chain for the county committee.
        orgs = [o for o in tree.by_id.values() if o.pledges]
        tree.secretary.update(
            ensure_accounts(tree, orgs, rng, clock.today, SECRETARY_PREFIX, Role.SECRETARY)
        )
        gen = Generator(
            rng, clock, tree, users["leader"], users["office"], work_share=work_share,
            feedback_share=0.1,
        )  # fmt: skip
        members = (
            Member.objects.filter(branch__path__startswith=unit.path, is_active=True)
            .order_by("branch__path", "pk")
            .values_list("pk", "branch_id", "user_id")
        )
        total += write_in_batches(
            writer,
            (
                spec
                for member_id, branch_id, user_id in members.iterator(chunk_size=10000)
                for spec in gen.member_specs(member_id, branch_id, user_id)
            ),
            ctx.batch_size,
        )
        ctx.log(
            f"  {unit.name}: {total:,} member pledges so far ({time.perf_counter() - started:.0f} s)"
        )

    # Organisation pledges: 3–5 practical deeds each, for as many organisations as it takes to
    # reach the seeds' total (the others have not entered theirs yet).
    all_orgs = trees
    candidates = sum(1 for t in all_orgs for o in t.by_id.values() if o.pledges)
    share = min(1.0, max(0.0, (CITY_ORG_PLEDGES - have_orgs) / 4 / max(candidates, 1)))
    org_total = 0
    for tree in all_orgs:
        gen = Generator(rng, clock, tree, users["leader"], users["office"], feedback_share=0.1)
        org_total += write_in_batches(
            writer,
            (
                spec
                for org in tree.by_id.values()
                if org.pledges and rng.random() < share
                for spec in gen.org_specs(org, rng.randint(3, 5))
            ),
            ctx.batch_size,
        )
    ctx.counts["pledges (bulk)"] += total + org_total
    ctx.log(
        f"  {total:,} member and {org_total:,} organisation pledges in "
        f"{time.perf_counter() - started:.1f} s"
    )
    ctx.log(f"  rows written: {row_counts(writer)}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to Django's default
            for model in (Pledge, PledgeHistory, FulfilmentEntry, Evaluation):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def reset_pledges(root: Organization) -> None:
    """Delete the demo city's pledges and everything hanging off them (files included)."""
    pledges = Pledge.objects.filter(organization__path__startswith=root.path)
    ids = pledges.values("pk")
    for attachment in Attachment.objects.filter(entry__pledge__in=ids).iterator():
        attachment.file.delete(save=False)
    feedback = feedback_model()
    doomed = [
        Attachment.objects.filter(entry__pledge__in=ids),
        PledgeHistory.reasons.through.objects.filter(pledgehistory__pledge__in=ids),
        PledgeHistory.objects.filter(pledge__in=ids),
        FulfilmentEntry.objects.filter(pledge__in=ids),
        Evaluation.objects.filter(pledge__in=ids),
        PledgeAdjustment.objects.filter(pledge__in=ids),
    ]
    if feedback is not None:
        doomed.insert(0, feedback.objects.filter(pledge__in=ids))
    for queryset in doomed:
        queryset._raw_delete(queryset.db)
    pledges._raw_delete(pledges.db)
    # The actor accounts this module made (their roles go with them), unless something else
    # now points at them: then they stay and are reused by the next seeding.
    accounts = get_user_model().objects.filter(
        Q(username__startswith=f"{SECRETARY_PREFIX}.") | Q(username__startswith=f"{DEPUTY_PREFIX}.")
    )
    try:
        with transaction.atomic():
            accounts.delete()
    except (ProtectedError, RestrictedError):
        pass


# ---------------------------------------------------------------------------------------------
# Reminders: due dates the logins are reminded of, and the first sweep without anyone's hand
# ---------------------------------------------------------------------------------------------

# One-off beat jobs (django-celery-beat, clocked): the first reminder sweep a minute after
# seeding, the first e-mail digest a minute later; after that the hourly and daily jobs of
# config/schedule.py take over.
DEMO_JOBS = (
    ("Demo: first reminder sweep", "campaigns.run_reminder_sweeps", 1),
    ("Demo: first e-mail digest", "campaigns.send_email_digests", 2),
)


def _move_deadline(pledge_id: int, deadline: datetime.date) -> None:
    """Set a published pledge's deadline, in its history snapshots too (one story)."""
    Pledge.objects.filter(pk=pledge_id).update(deadline=deadline)
    for history in PledgeHistory.objects.filter(pledge_id=pledge_id, snapshot__has_key="deadline"):
        history.snapshot["deadline"] = deadline.isoformat()
        history.save(update_fields=["snapshot"])


def step_reminders(ctx: SeedContext) -> None:
    """Published pledges of the ``member`` login and of 柳河村 come due in the next days (the
    7-day and the 1-day reminders; overdue pledges and reviews waiting exist already), and the
    one-off jobs that send the first reminders and digest once the worker and beat run."""
    from django_celery_beat.models import ClockedSchedule, PeriodicTask, PeriodicTasks

    campaign = demo_campaign(ctx.root)
    if campaign is None:
        return
    today = timezone.localdate()
    users = _demo_users(ctx)
    published = (
        Pledge.objects.filter(campaign=campaign, status=Status.PUBLISHED, deadline__gt=today)
        .exclude(adjustments__status=PledgeAdjustment.Status.PENDING)
        .exclude(history__action=Action.RETURN)
        .order_by("pk")
    )
    member_pledge = published.filter(owner_member__user_id=users["member"]).first()
    branch_pledge = (
        published.filter(organization_id=ctx.plans["login_branch"].pk, owner_member__user=None)
        .values_list("pk", flat=True)
        .first()
    )
    for pledge_id, days in ((getattr(member_pledge, "pk", None), 6), (branch_pledge, 1)):
        if pledge_id is not None:
            _move_deadline(pledge_id, today + datetime.timedelta(days=days))

    now = timezone.now()
    for name, task, minutes in DEMO_JOBS:
        clocked = ClockedSchedule.objects.create(
            clocked_time=now + datetime.timedelta(minutes=minutes)
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "clocked": clocked,
                "interval": None,
                "crontab": None,
                "one_off": True,
                "enabled": True,
                "description": "Runs once after seeding the demo, so reminders show at once.",
            },
        )
    PeriodicTasks.update_changed()
    ctx.log(f"  reminders due for the demo logins; first sweep at {now:%H:%M} + 1 min")


def reset_reminders(root: Organization) -> None:
    from django_celery_beat.models import ClockedSchedule, PeriodicTask, PeriodicTasks

    names = [name for name, _task, _minutes in DEMO_JOBS]
    clocked = list(
        PeriodicTask.objects.filter(name__in=names, clocked__isnull=False).values_list(
            "clocked_id", flat=True
        )
    )
    PeriodicTask.objects.filter(name__in=names).delete()
    ClockedSchedule.objects.filter(pk__in=clocked).delete()
    PeriodicTasks.update_changed()


def step_pledge_numbers(ctx: SeedContext) -> None:
    numbered = fill_missing_references()
    ctx.log(f"  {numbered:,} pledge numbers given")


STEPS = [
    SeedStep("pledges", step_pledges, reset_pledges),
    SeedStep("pledges-city", step_city_pledges, scale=SCALE_CITY),
    # Bulk-written pledges get their pledge numbers (the ledgers' natural key) here.
    SeedStep("pledge-numbers", step_pledge_numbers),
    SeedStep("pledge-numbers-city", step_pledge_numbers, scale=SCALE_CITY),
    SeedStep("reminders", step_reminders, reset_reminders),
]
