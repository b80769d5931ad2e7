"""Fictional demo data: the city 示范市 (organisation codes ``SF…``) and its campaign.

Two scales:

* ``demo`` — the city committee, 20 township, street and department committees and general
  branches, ~150 branches and groups, ~2,000 members, one campaign with its leadership group,
  office, contact points and inspection groups, and one login per role.
* ``city`` — the demo plus six counties and districts, which brings the tree to the seeds' scale
  (~12,000 organisations, ~114,000 members) for benchmarks. It is a superset of the demo, so the
  demo logins keep working.

Everything comes from one seeded ``random.Random``: on the same database the same data comes out.
People's and places' names are composed from lists of common characters; none is taken from the
source documents.

The tree is written with bulk inserts. Paths follow treebeard's ``MP_Node`` rules (steps of 4
base-36 digits; the n-th child's step is n), and depth and numchild are set here, because
``add_child()`` costs several queries per node and 12,000 nodes would take minutes.

Seeding is a list of steps (:data:`STEPS`). Another app adds its own demo data with a
``<app>/demo.py`` module holding ``STEPS = [SeedStep(...)]``; :func:`all_steps` picks it up and
runs it after the campaigns steps (and resets it before them).
"""

from __future__ import annotations

import datetime
import importlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberCategory,
    MemberTransfer,
    Organization,
    Phase,
    RoleAssignment,
)
from campaigns.validators import id_check_char

SCALE_DEMO = "demo"
SCALE_CITY = "city"
SCALES = (SCALE_DEMO, SCALE_CITY)

ROOT_CODE = "SF"
# The first county of the city scale: its presence means the city scale has been seeded.
CITY_MARKER_CODE = "SF-21"
DEMO_PASSWORD = "demo12345"
DEFAULT_RANDOM_SEED = 20100701  # 2010-07-01, when the seeds' campaigns were launched

# Sizes. The demo is a town-sized tree; the city adds counties until the seeds' totals.
DEMO_MEMBERS = 2_000
DEMO_GROUPS = 24
CITY_ORGANIZATIONS = 12_000
CITY_BRANCHES = 11_000
CITY_MEMBERS = 114_000

Level = Organization.Level
Kind = Organization.UnitKind
Role = RoleAssignment.Role
Cat = MemberCategory.Code

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

# The name tables read better as tables.
# fmt: off
# Common surnames with rough relative frequencies, so that 王, 李 and 张 dominate as they do.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.5), ("马", 1.3), ("朱", 1.3),
    ("胡", 1.2), ("郭", 1.1), ("何", 1.1), ("高", 1.0), ("林", 1.0), ("罗", 0.9), ("郑", 0.9),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.7), ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.6), ("曹", 0.6), ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.5), ("董", 0.5),
    ("袁", 0.5), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.3), ("廖", 0.3), ("贾", 0.3),
    ("夏", 0.3), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2), ("秦", 0.2),
    ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("段", 0.2), ("雷", 0.2), ("侯", 0.2),
    ("史", 0.2), ("陶", 0.2), ("贺", 0.2), ("顾", 0.2), ("毛", 0.2), ("郝", 0.2), ("龚", 0.2),
    ("邵", 0.2), ("万", 0.2), ("钱", 0.2), ("严", 0.2), ("武", 0.2), ("戴", 0.2), ("汤", 0.1),
    ("孔", 0.1), ("常", 0.1), ("温", 0.1), ("葛", 0.1), ("储", 0.1), ("桂", 0.1), ("鲍", 0.1),
)
_SURNAME_CHARS = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)

MALE_CHARS = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋亮成东峰海国建志文新忠武兵"
    "胜博翔晨昊轩坤锋松山江庆福贵荣德光永春金祥瑞泽彬阳晖维力栋政诚毅安"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞燕玲婷雪慧莉萍红梅琳颖洁倩琴云兰凤英佳欣悦蕾薇晶露瑶怡月秀华珍娇琼翠桂"
    "荷丹璐媛菲冰晴岚"
)
SHARED_CHARS = "文晓春秋新玉志家嘉雨海明永思子宏"
# Given names typical of people born before the mid-1960s.
OLD_MALE_NAMES = (
    "建国", "国庆", "建华", "卫东", "志强", "德胜", "振华", "国强", "保国", "长青", "建军", "卫国",
    "爱国", "学文", "树林", "宝山", "德福", "兴旺", "克勤", "永福", "文斌", "春生", "金山", "福林",
)
OLD_FEMALE_NAMES = (
    "秀英", "桂兰", "秀兰", "玉兰", "淑珍", "桂英", "凤兰", "玉梅", "秀珍", "春梅", "桂芳", "玉珍",
    "凤英", "秀芳", "桂珍", "翠兰", "素珍", "淑英", "金凤", "玉华",
)

# Place names: first and second characters of village and township names.
PLACE_FIRST = (
    "柳杨石桃王张李刘陈马黄周高孙何东西南北上下前后大小新老红青白金龙凤双三五枣梨杏松竹梅荷花"
    "茶桑沙泉清平安长永太槐柏蒋胡罗谢唐曹彭汪"
)
PLACE_SECOND = "河庄集湾桥岗店楼圩塘冲坝营寨铺岭坡沟洼湖山林园坪口堰墩埠畈"
TOWN_FIRST = "青白桃石龙金凤双高新古永安长宝华兴临清平三东西南北大上黄红铜槐杨柏仁义丰和"
TOWN_SECOND = "山沙源桥泉河湖岭店集阳城塘坝埠铺庙港口岗冲圩台岩"
COMMUNITY_NAMES = (
    "幸福里", "和平", "光明", "建设", "解放", "文化", "新华", "朝阳", "人民", "东风", "友谊", "团结",
    "春晖", "锦绣", "阳光", "花园", "翠竹", "金桥", "滨河", "龙湖", "清风", "桂园", "梧桐", "丽景",
    "紫荆", "长青", "振兴", "向阳", "育才", "学府", "书香", "康乐", "安居", "怡景", "明珠", "新桥",
    "南苑", "北苑", "东苑", "西苑", "兰亭", "凤凰", "银杏", "湖滨", "站前", "府前", "鼓楼", "钟楼",
    "古城", "江南", "河西", "双塘", "五里墩", "十里店", "杏花", "荷塘", "枫林", "松园", "碧桂",
    "天鹅湖", "玉兰", "青年", "工农", "胜利", "红星", "劳动", "先锋", "民主", "永安", "兴隆",
)
BRANDS = (
    "华信", "恒通", "瑞丰", "金源", "宏达", "天成", "鑫盛", "博远", "永昌", "盛世", "嘉禾", "汇通",
    "远航", "佳美", "绿源", "鸿运", "新峰", "众诚", "三和", "同心", "富民", "益农", "科瑞", "安泰",
    "德润", "荣昌", "兴业", "立信", "方圆", "正阳", "长风", "皖丰", "青禾", "云帆", "致远", "明德",
)
INDUSTRIES = (
    "科技", "食品", "纺织", "建材", "机械", "电子", "物流", "农业科技", "新材料", "环保科技", "服装",
    "包装", "医药", "汽车配件", "家具", "茶业", "米业", "建筑工程", "光电", "生物科技",
)
PRODUCTS = (
    "茶叶", "蔬菜种植", "水稻种植", "生猪养殖", "家禽养殖", "水产养殖", "中药材种植", "苗木花卉",
    "食用菌", "农机", "果品", "蚕桑", "油茶", "粮食种植",
)
STATE_ENTERPRISES = (
    "城市建设投资集团", "水务集团", "公共交通公司", "粮食储备库", "交通投资集团", "燃气公司",
    "国有资产运营公司", "文化旅游投资公司", "农业发展投资公司", "建筑设计院", "融资担保公司",
    "供销合作社联合社", "自来水公司", "城市管理服务公司", "国有林场", "工业投资集团", "人才发展集团",
)
HEALTH_UNITS = (
    "人民医院内科", "人民医院外科", "中医院", "妇幼保健院", "疾病预防控制中心", "人民医院医技",
    "人民医院行政后勤", "急救中心", "精神卫生中心", "卫生监督所", "人民医院护理", "血站",
)
CITY_SCHOOLS = (
    "第一中学", "第二中学", "实验小学", "职业技术学校", "实验幼儿园", "特殊教育学校", "教师进修学校",
)
SOCIAL_ASSOCIATIONS = (
    "律师协会", "个体劳动者协会", "私营企业协会", "志愿者协会", "会计学会", "物业管理协会",
    "餐饮行业协会", "社会工作者协会", "老年人协会", "慈善总会",
)
SOCIAL_FIRMS = ("律师事务所", "会计师事务所", "社会工作服务中心", "幼儿园", "职业培训学校")
DEPARTMENTS = (
    "委办公室", "政府办公室", "发展改革委", "财政局", "统计局", "审计局", "民政局", "司法局",
    "人力资源社会保障局", "自然资源和规划局", "生态环境局", "商务局", "市场监督管理局", "应急管理局",
    "医疗保障局", "退役军人事务局", "科技局", "信访局", "档案馆", "总工会", "团委", "妇联",
    "科协", "残联", "税务局", "林业局", "水利局", "数据资源局", "城市管理局", "政务服务中心",
)

# ID numbers carry the fictional city's region codes (34 = the seeds' province; 99 is unused).
REGION_CODES = ("349901", "349902", "349903", "349921", "349922", "349923", "349924", "349981")
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199",
)
# fmt: on


class SeedError(Exception):
    """The demo data cannot be written (e.g. hand-made data took one of its codes)."""


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五 (enough for 第N中学)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, unit = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[unit] if unit else "")
    return str(n)


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How the members of one kind of unit look: sex ratio, ages, posts, categories."""

    male_share: float
    years: tuple[int, int]
    posts: tuple[tuple[str, int], ...]
    categories: tuple[str, ...] = ()
    # Share of members who came from a village elsewhere (流动党员, inflow here).
    mobile_share: float = 0.0


# fmt: off
PROFILES: dict[str, Profile] = {
    Kind.VILLAGE: Profile(
        0.78, (1950, 2000),
        (("村民", 12), ("种植户", 4), ("养殖户", 2), ("外出务工人员", 2), ("村民小组长", 2),
         ("个体工商户", 1), ("村会计", 1), ("村委会委员", 1)),
        (Cat.FARMER,),
    ),
    Kind.COMMUNITY: Profile(
        0.55, (1950, 2000),
        (("社区居民", 6), ("退休职工", 5), ("社区网格员", 3), ("社区工作者", 3), ("个体工商户", 2),
         ("志愿者", 1)),
        (Cat.COMMUNITY,), 0.06,
    ),
    Kind.SCHOOL: Profile(
        0.42, (1962, 2000),
        (("教师", 14), ("班主任", 5), ("教研组长", 2), ("后勤管理员", 1), ("副校长", 1)),
    ),
    Kind.HEALTH_CENTRE: Profile(
        0.45, (1962, 2000),
        (("医生", 10), ("护士", 8), ("药剂师", 2), ("检验师", 2), ("公共卫生医师", 2),
         ("行政管理员", 1)),
    ),
    Kind.STATE_ENTERPRISE: Profile(
        0.70, (1962, 2000),
        (("技术员", 6), ("工程师", 5), ("车间主任", 2), ("会计", 2), ("安全员", 2), ("司机", 1),
         ("部门经理", 2)),
        (Cat.ENTERPRISE,), 0.03,
    ),
    Kind.PRIVATE_ENTERPRISE: Profile(
        0.68, (1968, 2000),
        (("技术员", 6), ("生产主管", 3), ("工人", 6), ("质检员", 2), ("销售经理", 2),
         ("行政专员", 2)),
        (Cat.ENTERPRISE,), 0.12,
    ),
    Kind.SOCIAL_ORGANIZATION: Profile(
        0.50, (1965, 2000),
        (("律师", 4), ("会计师", 3), ("社会工作者", 4), ("项目专员", 3), ("秘书长", 1)),
        (), 0.06,
    ),
    Kind.COOPERATIVE: Profile(
        0.75, (1955, 2000),
        (("社员", 8), ("种植户", 5), ("养殖户", 3), ("技术指导员", 2), ("农机手", 1),
         ("合作社理事", 1)),
        (Cat.FARMER,),
    ),
    Kind.ORGAN: Profile(
        0.65, (1962, 2000),
        (("科员", 8), ("科长", 3), ("副科长", 3), ("主任科员", 3), ("四级调研员", 1), ("办事员", 2)),
        (Cat.ORGAN,),
    ),
    Kind.OTHER: Profile(0.55, (1962, 2000), (("职工", 4), ("馆员", 2), ("技术员", 1))),
    # A branch of retired officials (离退休干部党支部).
    "veteran": Profile(0.72, (1950, 1962), (("退休干部", 1),), (Cat.ORGAN, Cat.VETERAN_CADRE)),
}
# fmt: on


@dataclass(frozen=True)
class Person:
    surname: str
    given_name: str
    gender: str
    birth_date: datetime.date

    @property
    def name(self) -> str:
        return self.surname + self.given_name


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


class People:
    """Makes plausible fictional people and members; ID numbers are unique across the run."""

    def __init__(self, rng: random.Random, today: datetime.date, taken_ids: Iterable[str] = ()):
        self.rng = rng
        self.today = today
        # First 17 characters of every ID number in use: the check character follows from them.
        self.taken = {value[:17] for value in taken_ids}
        self._posts = {
            key: ([p for p, _ in prof.posts], [w for _, w in prof.posts])
            for key, prof in PROFILES.items()
        }

    def given_name(self, gender: str, birth_year: int) -> str:
        rng = self.rng
        if birth_year < 1966 and rng.random() < 0.45:
            return rng.choice(OLD_MALE_NAMES if gender == "M" else OLD_FEMALE_NAMES)
        own = MALE_CHARS if gender == "M" else FEMALE_CHARS
        if rng.random() < 0.25:
            return rng.choice(own)
        first = rng.choice(own + SHARED_CHARS)
        second = rng.choice(own)
        if second == first and gender == "M":  # 叠字 names are mostly women's
            second = rng.choice(own)
        return first + second

    def birth_date(self, first_year: int, last_year: int) -> datetime.date:
        low = datetime.date(first_year, 1, 1).toordinal()
        high = datetime.date(last_year, 12, 31).toordinal()
        return datetime.date.fromordinal(self.rng.randint(low, high))

    def person(self, *, years: tuple[int, int], male_share: float = 0.7) -> Person:
        gender = "M" if self.rng.random() < male_share else "F"
        birth = self.birth_date(*years)
        surname = self.rng.choices(_SURNAME_CHARS, _SURNAME_WEIGHTS)[0]
        return Person(surname, self.given_name(gender, birth.year), gender, birth)

    def id_number(self, birth: datetime.date, gender: str) -> str:
        """Region code, birth date, a sequence whose last digit is odd for men, even for women."""
        rng = self.rng
        parity = 1 if gender == "M" else 0
        stem = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}"
        for _attempt in range(40):
            first17 = f"{stem}{rng.randrange(100):02d}{rng.randrange(parity, 10, 2)}"
            if first17 not in self.taken:
                break
        else:  # a crowded birthday: take the first free sequence of any region
            first17 = next(
                candidate
                for region in REGION_CODES
                for seq in range(parity, 1000, 2)
                if (candidate := f"{region}{birth:%Y%m%d}{seq:03d}") not in self.taken
            )
        self.taken.add(first17)
        return first17 + id_check_char(first17)

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def joined_on(self, birth: datetime.date, *, probationary: bool) -> datetime.date:
        """After the 18th birthday; probationary members joined within the last year."""
        if probationary:
            return self.today - datetime.timedelta(days=self.rng.randint(20, 350))
        eighteen = add_years(birth, 18)
        latest = self.today - datetime.timedelta(days=400)
        span = max((latest - eighteen).days, 2)
        # Most people join in their twenties or thirties.
        return eighteen + datetime.timedelta(
            days=1 + int((span - 1) * self.rng.betavariate(1.2, 3.5))
        )

    def member(
        self, *, branch_id: int, profile_key: str, outflow_ids: list[int]
    ) -> tuple[Member, tuple[str, ...]]:
        """An unsaved member of a branch of the given profile, and its category codes."""
        rng = self.rng
        profile = PROFILES[profile_key]
        years = profile.years
        # Probationary members joined within the year, so they are younger (never retirees).
        probationary = years[1] >= 1985 and rng.random() < 0.05
        if probationary:
            years = (max(years[0], 1985), years[1])
        person = self.person(years=years, male_share=profile.male_share)
        posts, weights = self._posts[profile_key]
        post = rng.choices(posts, weights)[0]
        if post.startswith("退休") and person.birth_date.year > 1964:
            post = posts[0]
        categories = profile.categories
        outflow_id = None
        if profile_key == Kind.VILLAGE and person.birth_date.year >= 1988 and rng.random() < 0.12:
            post, categories = "大学生村官", (Cat.VILLAGE_OFFICIAL,)
        elif person.birth_date.year <= 1960 and profile_key in (Kind.COMMUNITY, Kind.ORGAN):
            if rng.random() < 0.5:
                post, categories = "退休干部", (*categories, Cat.VETERAN_CADRE)
        elif outflow_ids and rng.random() < profile.mobile_share:
            outflow_id = rng.choice(outflow_ids)
            if outflow_id != branch_id:
                categories = (*categories, Cat.MOBILE)
            else:
                outflow_id = None
        member = Member(
            name=person.name,
            gender=person.gender,
            birth_date=person.birth_date,
            phone=self.phone(),
            id_number=self.id_number(person.birth_date, person.gender),
            branch_id=branch_id,
            outflow_organization_id=outflow_id,
            status=Member.Status.PROBATIONARY if probationary else Member.Status.FULL,
            joined_on=self.joined_on(person.birth_date, probationary=probationary),
            post=post,
        )
        return member, categories


# ---------------------------------------------------------------------------------------------
# The organisation tree
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class OrgPlan:
    """An organisation to be inserted, with its planned children and member count."""

    name: str
    level: str
    unit_kind: str
    profile: str = ""  # member profile (PROFILES key); the unit kind unless set
    key: str = ""  # a label to find it again ("login_branch"…)
    short_name: str = ""
    code: str = ""  # fixed code; otherwise the parent's code and the position
    weight: float = 1.0  # relative size when members are shared out
    members: int = 0  # members belonging directly to this organisation
    children: list[OrgPlan] = field(default_factory=list)
    pk: int | None = None
    path: str = ""

    def add(self, name: str, level: str, unit_kind: str, **kwargs) -> OrgPlan:
        child = OrgPlan(name, level, unit_kind, **kwargs)
        self.children.append(child)
        return child

    def walk(self) -> Iterator[OrgPlan]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def member_profile(self) -> str:
        return self.profile or self.unit_kind


def path_step(position: int) -> str:
    """The path step of the ``position``-th child (1-based): base 36, left-padded to steplen."""
    alphabet, steplen = Organization.alphabet, Organization.steplen
    digits = ""
    while position:
        position, rest = divmod(position, len(alphabet))
        digits = alphabet[rest] + digits
    if len(digits) > steplen:
        raise ValueError("Too many children for one organisation.")
    return digits.rjust(steplen, alphabet[0])


def last_child_position(parent: Organization) -> int:
    last = (
        Organization.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    return int(last[-Organization.steplen :], 36) if last else 0


def insert_subtrees(parent: Organization, plans: list[OrgPlan], *, batch_size: int) -> int:
    """Bulk-insert ``plans`` (with their descendants) as the parent's next children.

    Paths, depth and numchild are computed here, the parent's numchild is raised; returns the
    number of organisations inserted and sets ``pk`` and ``path`` on every plan.
    """
    start = last_child_position(parent)
    placed: list[tuple[OrgPlan, Organization]] = []

    def place(plan: OrgPlan, path: str, depth: int, code: str) -> None:
        plan.path = path
        plan.code = plan.code or code
        org = Organization(
            name=plan.name,
            short_name=plan.short_name,
            code=plan.code,
            level=plan.level,
            unit_kind=plan.unit_kind,
            path=path,
            depth=depth,
            numchild=len(plan.children),
        )
        placed.append((plan, org))
        width = 2 if len(plan.children) < 100 else 3
        for position, child in enumerate(plan.children, start=1):
            place(child, path + path_step(position), depth + 1, f"{plan.code}-{position:0{width}d}")

    for offset, plan in enumerate(plans, start=1):
        place(plan, parent.path + path_step(start + offset), parent.depth + 1, plan.code)

    codes = [org.code for _plan, org in placed]
    for chunk in range(0, len(codes), 1000):
        clash = list(
            Organization.objects.filter(code__in=codes[chunk : chunk + 1000]).values_list(
                "code", flat=True
            )[:5]
        )
        if clash:
            raise SeedError(f"Organisation codes already in use: {', '.join(clash)}")

    orgs = [org for _plan, org in placed]
    for chunk in range(0, len(orgs), batch_size):
        Organization.objects.bulk_create(orgs[chunk : chunk + batch_size])
    if any(org.pk is None for org in orgs):  # a backend that does not return ids
        ids = dict(
            Organization.objects.filter(path__startswith=parent.path).values_list("path", "pk")
        )
        for org in orgs:
            org.pk = ids[org.path]
    for plan, org in placed:
        plan.pk = org.pk
    Organization.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(plans))
    parent.numchild += len(plans)
    return len(orgs)


class Namer:
    """Names of branches by kind of unit, unique within each parent."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.towns: set[str] = set()

    def unique(
        self, make: Callable[[], str], used: set[str], fallback: Callable[[int], str]
    ) -> str:
        """A name from ``make()`` not yet in ``used`` (else ``fallback(2)``, ``fallback(3)``…)."""
        for _attempt in range(60):
            name = make()
            if name not in used:
                used.add(name)
                return name
        n = 2
        while True:
            name = fallback(n)
            if name not in used:
                used.add(name)
                return name
            n += 1

    def place(self, used: set[str]) -> str:
        """A two-character village-like place name (柳河, 杨庄…)."""
        rng = self.rng
        return self.unique(
            lambda: rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND),
            used,
            lambda n: rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND) + cn_number(n),
        )

    def town(self, suffix: str = "镇") -> str:
        rng = self.rng
        return self.unique(
            lambda: rng.choice(TOWN_FIRST) + rng.choice(TOWN_SECOND) + suffix,
            self.towns,
            lambda n: rng.choice(TOWN_FIRST) + rng.choice(TOWN_SECOND) + cn_number(n) + suffix,
        )


@dataclass
class UnitFiller:
    """Adds branches of mixed kinds to one committee or general branch.

    ``place`` is the unit's own place name used in branch names (青山镇, 东山县, 市).
    """

    unit: OrgPlan
    place: str
    namer: Namer
    is_town: bool = False  # a township: its own 中心小学, 卫生院…
    is_street: bool = False  # a street: schools as a township's, 社区卫生服务中心
    used: set[str] = field(default_factory=set)
    counters: Counter = field(default_factory=Counter)

    def add(self, kind: str, count: int = 1, *, name: str = "", **kwargs) -> list[OrgPlan]:
        """``count`` branches of ``kind``; ``name`` fixes the name of a single one."""
        added = []
        for _ in range(count):
            self.counters[kind] += 1
            branch_name = name or self.name_for(kind, self.counters[kind])
            added.append(self.unit.add(branch_name, Level.BRANCH, kind, **kwargs))
        return added

    def name_for(self, kind: str, n: int) -> str:
        rng, place = self.namer.rng, self.place
        used = self.used
        if kind == Kind.ORGAN:
            return f"{place}机关党支部" if n == 1 else f"{place}机关第{cn_number(n)}党支部"
        if kind == Kind.VILLAGE:
            return f"{self.namer.place(used)}村党支部"
        if kind == Kind.COMMUNITY:
            name = self.namer.unique(
                lambda: rng.choice(COMMUNITY_NAMES),
                used,
                lambda k: f"{rng.choice(COMMUNITY_NAMES)}{cn_number(k)}",
            )
            return f"{name}社区党支部"
        if kind == Kind.SCHOOL:
            if self.is_town or self.is_street:
                fixed = ("中心小学", "初级中学", "中心幼儿园")
                if n <= len(fixed):
                    return f"{place}{fixed[n - 1]}党支部"
                return f"{self.namer.place(used)}小学党支部"
            if n <= len(CITY_SCHOOLS):
                return f"{place}{CITY_SCHOOLS[n - 1]}党支部"
            k = n - len(CITY_SCHOOLS)  # then 第一小学, 第三中学, 第二小学, 第四中学…
            if k <= 60:
                if k % 2:
                    return f"{place}第{cn_number((k + 1) // 2)}小学党支部"
                return f"{place}第{cn_number(k // 2 + 2)}中学党支部"
            return f"{place}{self.namer.place(used)}小学党支部"
        if kind == Kind.HEALTH_CENTRE:
            if self.is_street:
                if n == 1:
                    return f"{place}社区卫生服务中心党支部"
                return f"{self.namer.place(used)}社区卫生服务站党支部"
            if self.is_town:
                return f"{place}卫生院党支部" if n == 1 else f"{place}卫生院第{cn_number(n)}党支部"
            if n <= len(HEALTH_UNITS):
                return f"{place}{HEALTH_UNITS[n - 1]}党支部"
            return f"{self.namer.place(used)}镇卫生院党支部"
        if kind == Kind.STATE_ENTERPRISE:
            if self.is_town:
                return f"{place}粮站党支部" if n == 1 else f"{place}国有企业第{cn_number(n)}党支部"
            if n <= len(STATE_ENTERPRISES):
                return f"{place}{STATE_ENTERPRISES[n - 1]}党支部"
            company = STATE_ENTERPRISES[(n - 1) % len(STATE_ENTERPRISES)]
            return f"{place}{company}第{cn_number((n - 1) // len(STATE_ENTERPRISES) + 1)}党支部"
        if kind == Kind.PRIVATE_ENTERPRISE:
            if n == 1 and not self.is_town:
                return f"{place}个体私营企业联合党支部"
            name = self.namer.unique(
                lambda: rng.choice(BRANDS) + rng.choice(INDUSTRIES),
                used,
                lambda k: rng.choice(BRANDS) + cn_number(k) + rng.choice(INDUSTRIES),
            )
            return f"{name}有限公司党支部"
        if kind == Kind.SOCIAL_ORGANIZATION:
            if n <= len(SOCIAL_ASSOCIATIONS) and not self.is_town:
                return f"{place}{SOCIAL_ASSOCIATIONS[n - 1]}党支部"
            name = self.namer.unique(
                lambda: rng.choice(BRANDS) + rng.choice(SOCIAL_FIRMS),
                used,
                lambda k: rng.choice(BRANDS) + cn_number(k) + rng.choice(SOCIAL_FIRMS),
            )
            return f"{name}党支部"
        if kind == Kind.COOPERATIVE:
            name = self.namer.unique(
                lambda: self.namer.place(set()) + rng.choice(PRODUCTS),
                used,
                lambda k: self.namer.place(set()) + cn_number(k) + rng.choice(PRODUCTS),
            )
            return f"{name}专业合作社党支部"
        return f"{place}第{cn_number(n)}党支部"

    def add_mix(self, total: int, mix: list[tuple[str, float]], main: str) -> None:
        """``total`` branches: each ``(kind, share)`` gets its share (at least one), the rest ``main``."""
        remaining = total
        for kind, share in mix:
            count = min(remaining, max(1, round(total * share)))
            self.add(kind, count)
            remaining -= count
        if remaining > 0:
            self.add(main, remaining)


def allocate(total: int, weights: list[float], minimums: list[int]) -> list[int]:
    """Share ``total`` out in proportion to ``weights`` with per-item minimums (largest remainder)."""
    spare = total - sum(minimums)
    if spare < 0:
        return list(minimums)
    weight_sum = sum(weights) or 1.0
    exact = [spare * w / weight_sum for w in weights]
    shares = [m + int(x) for m, x in zip(minimums, exact, strict=True)]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order[:left]:
        shares[i] += 1
    return shares


# Relative sizes of branches by kind (villages and hospitals are big, firms small).
KIND_SIZE = {
    Kind.VILLAGE: 1.4,
    Kind.COMMUNITY: 1.2,
    Kind.SCHOOL: 1.0,
    Kind.HEALTH_CENTRE: 1.2,
    Kind.STATE_ENTERPRISE: 1.2,
    Kind.PRIVATE_ENTERPRISE: 0.6,
    Kind.SOCIAL_ORGANIZATION: 0.5,
    Kind.COOPERATIVE: 0.5,
    Kind.ORGAN: 1.0,
    Kind.OTHER: 0.8,
}
GROUP_KINDS = (Kind.VILLAGE, Kind.COMMUNITY, Kind.SCHOOL, Kind.STATE_ENTERPRISE)


def add_groups(rng: random.Random, units: list[OrgPlan], count: int) -> None:
    """Give ``count`` 党小组 in all (2–4 per branch) to branches of big kinds, one branch per
    unit in turn so that they spread over the tree."""
    pools = []
    for unit in units:
        pool = [
            b
            for b in unit.walk()
            if b.level == Level.BRANCH and b.unit_kind in GROUP_KINDS and not b.children
        ]
        rng.shuffle(pool)
        pools.append(pool)
    rng.shuffle(pools)
    while count > 0 and any(pools):
        for pool in pools:
            if count <= 0 or not pool:
                continue
            branch = pool.pop()
            size = min(count, rng.randint(2, 4))
            stem = branch.name.removesuffix("党支部")
            for n in range(1, size + 1):
                branch.add(
                    f"{stem}第{cn_number(n)}党小组",
                    Level.GROUP,
                    branch.unit_kind,
                    profile=branch.profile,
                )
            count -= size


def share_members(rng: random.Random, branches: list[OrgPlan], total: int) -> None:
    """Set ``members`` on branches and their groups so that they add up to ``total``.

    Every branch keeps at least three members (the minimum for a 党支部); a branch with groups
    keeps its committee of three and shares the rest among its groups.
    """
    weights = [
        KIND_SIZE.get(b.unit_kind, 1.0)
        * b.weight
        * rng.uniform(0.5, 1.5)
        * (1 + 0.6 * len(b.children))
        for b in branches
    ]
    minimums = [3 + 3 * len(b.children) for b in branches]
    for branch, count in zip(branches, allocate(total, weights, minimums), strict=True):
        if not branch.children:
            branch.members = count
            continue
        branch.members = 3
        groups = branch.children
        for group, n in zip(
            groups, allocate(count - 3, [1.0] * len(groups), [3] * len(groups)), strict=True
        ):
            group.members = n


# ---------------------------------------------------------------------------------------------
# The demo tree
# ---------------------------------------------------------------------------------------------

ROOT_NAME = "中共示范市委员会"
ROOT_SHORT_NAME = "示范市委"


def build_demo_tree(rng: random.Random, namer: Namer) -> list[OrgPlan]:
    """The 20 committees and general branches under the city committee, with their branches."""
    units: list[OrgPlan] = []

    def unit(name: str, kind: str = Kind.ORGAN, level: str = Level.COMMITTEE, **kw) -> OrgPlan:
        plan = OrgPlan(name, level, kind, code=f"{ROOT_CODE}-{len(units) + 1:02d}", **kw)
        units.append(plan)
        return plan

    towns = [
        ("青山镇", 7),
        ("城关镇", 5),
        ("白沙镇", 6),
        ("桃源乡", 6),
        ("石桥镇", 5),
        ("龙泉镇", 5),
    ]
    namer.towns.update(name for name, _ in towns)
    for index, (town, villages) in enumerate(towns):
        committee = unit(f"{town}党委", key="login_committee" if index == 0 else "")
        fill = UnitFiller(committee, town, namer, is_town=True)
        if index == 0:
            # The branches the demo logins work in: the township organ branch (the township
            # secretary's own), 柳河村 (secretary, member) and its sibling 杨庄村 (secretary2).
            fill.used.update({"柳河", "杨庄"})
            fill.add(Kind.ORGAN, key="committee_branch")
            fill.add(Kind.VILLAGE, name="柳河村党支部", key="login_branch")
            fill.add(Kind.VILLAGE, name="杨庄村党支部", key="sibling_branch")
            fill.add(Kind.VILLAGE, villages - 2)
            fill.add(Kind.COOPERATIVE, name="柳河村茶叶专业合作社党支部")
        else:
            fill.add(Kind.ORGAN)
            fill.add(Kind.VILLAGE, villages)
            fill.add(Kind.COOPERATIVE if index % 2 else Kind.PRIVATE_ENTERPRISE)
        if town == "城关镇":
            fill.add(Kind.COMMUNITY, 2)
        fill.add(Kind.SCHOOL)
        fill.add(Kind.HEALTH_CENTRE)

    for street, communities, extra in (
        ("东城街道", 5, Kind.SOCIAL_ORGANIZATION),
        ("西城街道", 4, Kind.PRIVATE_ENTERPRISE),
        ("南湖街道", 4, Kind.SOCIAL_ORGANIZATION),
    ):
        fill = UnitFiller(unit(f"{street}党工委"), street, namer, is_street=True)
        fill.add(Kind.ORGAN)
        if street == "东城街道":
            fill.used.add("幸福里")
            fill.add(Kind.COMMUNITY, name="幸福里社区党支部")
            communities -= 1
        fill.add(Kind.COMMUNITY, communities)
        fill.counters[extra] = 3  # past the city-wide associations and the joint branch
        fill.add(extra)

    fill = UnitFiller(unit("市教育局党委"), "市", namer)
    fill.add(Kind.ORGAN, name="市教育局机关党支部")
    fill.add(Kind.SCHOOL, 5)
    fill = UnitFiller(unit("市卫生健康委党委"), "市", namer)
    fill.add(Kind.ORGAN, name="市卫生健康委机关党支部")
    fill.add(Kind.HEALTH_CENTRE, 4)
    fill = UnitFiller(unit("市国资委党委"), "市", namer)
    fill.add(Kind.ORGAN, name="市国资委机关党支部")
    fill.add(Kind.STATE_ENTERPRISE, 4)
    fill = UnitFiller(unit("市非公经济组织党委", Kind.PRIVATE_ENTERPRISE), "市", namer)
    fill.add(Kind.PRIVATE_ENTERPRISE, 6)
    fill = UnitFiller(unit("市社会组织党委", Kind.SOCIAL_ORGANIZATION), "市", namer)
    fill.add(Kind.SOCIAL_ORGANIZATION, 2)
    fill.counters[Kind.SOCIAL_ORGANIZATION] = 100  # then firms: 律师事务所…
    fill.add(Kind.SOCIAL_ORGANIZATION, 2)
    fill = UnitFiller(unit("市农业农村局党委"), "市", namer)
    fill.add(Kind.ORGAN, name="市农业农村局机关党支部")
    fill.add(Kind.COOPERATIVE, 3)
    agencies = unit("市直机关工委")
    for department in DEPARTMENTS[:5]:
        agencies.add(f"市{department}党支部", Level.BRANCH, Kind.ORGAN)
    agencies.add("市直机关离退休干部党支部", Level.BRANCH, Kind.ORGAN, profile="veteran")
    police = unit("市公安局党委")
    for name in ("市公安局机关党支部", "城关派出所党支部", "市公安局交通警察大队党支部"):
        police.add(name, Level.BRANCH, Kind.ORGAN)
    for bureau, second, kind in (
        ("市交通运输局", "市公路管理站党支部", Kind.ORGAN),
        ("市文化和旅游局", "市图书馆党支部", Kind.OTHER),
        ("市住房和城乡建设局", "市政工程管理处党支部", Kind.OTHER),
    ):
        general = unit(f"{bureau}党总支", level=Level.GENERAL_BRANCH)
        general.add(f"{bureau}机关党支部", Level.BRANCH, Kind.ORGAN)
        general.add(second, Level.BRANCH, kind)

    branches = [b for u in units for b in u.children]
    login_branch = next(b for b in branches if b.key == "login_branch")
    for n in range(1, 4):  # 柳河村 always has its 党小组
        login_branch.add(f"柳河村第{cn_number(n)}党小组", Level.GROUP, Kind.VILLAGE)
    add_groups(rng, units, DEMO_GROUPS - 3)
    # Four members more are made for the logins (step_members).
    share_members(rng, branches, DEMO_MEMBERS - 4)
    return units


# ---------------------------------------------------------------------------------------------
# The city scale: six counties and districts added to the demo
# ---------------------------------------------------------------------------------------------

COUNTIES = (
    ("东山县", "东山县委"),
    ("西河县", "西河县委"),
    ("南岭县", "南岭县委"),
    ("北塘区", "北塘区委"),
    ("新城区", "新城区委"),
    ("示范高新区", "示范高新区党工委"),
)

# Level-3 units of a county: (name suffix, kind of unit, level, relative number of branches).
COUNTY_DEPARTMENTS = (
    ("教育局党委", Kind.SCHOOL, Level.COMMITTEE, 0.9),
    ("卫生健康委党委", Kind.HEALTH_CENTRE, Level.COMMITTEE, 0.5),
    ("国资委党委", Kind.STATE_ENTERPRISE, Level.COMMITTEE, 0.5),
    ("非公经济组织党委", Kind.PRIVATE_ENTERPRISE, Level.COMMITTEE, 1.0),
    ("社会组织党委", Kind.SOCIAL_ORGANIZATION, Level.COMMITTEE, 0.35),
    ("农业农村局党委", Kind.COOPERATIVE, Level.COMMITTEE, 0.35),
    ("直机关工委", Kind.ORGAN, Level.COMMITTEE, 0.6),
    ("交通运输局党总支", Kind.ORGAN, Level.GENERAL_BRANCH, 0.06),
    ("住房和城乡建设局党总支", Kind.ORGAN, Level.GENERAL_BRANCH, 0.06),
    ("水利局党总支", Kind.ORGAN, Level.GENERAL_BRANCH, 0.06),
)
TOWN_MIX = [
    (Kind.ORGAN, 0.02),
    (Kind.SCHOOL, 0.05),
    (Kind.HEALTH_CENTRE, 0.02),
    (Kind.COOPERATIVE, 0.08),
    (Kind.PRIVATE_ENTERPRISE, 0.12),
    (Kind.SOCIAL_ORGANIZATION, 0.01),
    (Kind.COMMUNITY, 0.04),
    (Kind.STATE_ENTERPRISE, 0.01),
]
STREET_MIX = [
    (Kind.ORGAN, 0.03),
    (Kind.PRIVATE_ENTERPRISE, 0.30),
    (Kind.SOCIAL_ORGANIZATION, 0.12),
    (Kind.SCHOOL, 0.05),
    (Kind.HEALTH_CENTRE, 0.03),
]


def build_city_tree(
    rng: random.Random,
    namer: Namer,
    *,
    first_number: int,
    branches_total: int,
    organizations_total: int,
    members_total: int,
) -> list[OrgPlan]:
    """Counties with townships, streets, departments and general branches (two or three levels
    of committees below the city), ``branches_total`` branches and enough groups to make
    ``organizations_total`` organisations in all."""
    counties: list[OrgPlan] = []
    units: list[tuple[OrgPlan, str, str, float, bool]] = []  # (unit, place, kind, weight, town)
    for number, (county, committee_name) in enumerate(COUNTIES, start=first_number):
        county_plan = OrgPlan(
            committee_name, Level.COMMITTEE, Kind.ORGAN, code=f"{ROOT_CODE}-{number:02d}"
        )
        counties.append(county_plan)
        towns, streets = (5, 8) if county.endswith("区") else (10, 3)
        for _ in range(towns):
            town = namer.town("乡" if rng.random() < 0.2 else "镇")
            plan = county_plan.add(f"{town}党委", Level.COMMITTEE, Kind.ORGAN)
            units.append((plan, town, Kind.VILLAGE, rng.uniform(0.8, 1.2), True))
        for _ in range(streets):
            street = namer.town("街道")
            plan = county_plan.add(f"{street}党工委", Level.COMMITTEE, Kind.ORGAN)
            units.append((plan, street, Kind.COMMUNITY, rng.uniform(0.6, 1.0), False))
        for suffix, kind, level, weight in COUNTY_DEPARTMENTS:
            own_kind = (
                kind if kind in (Kind.PRIVATE_ENTERPRISE, Kind.SOCIAL_ORGANIZATION) else Kind.ORGAN
            )
            plan = county_plan.add(f"{county}{suffix}", level, own_kind)
            units.append((plan, county, kind, weight, False))

    counts = allocate(branches_total, [u[3] for u in units], [2] * len(units))
    all_branches: list[OrgPlan] = []
    for (plan, place, kind, _weight, is_town), count in zip(units, counts, strict=True):
        fill = UnitFiller(plan, place, namer, is_town=is_town)
        if is_town:
            under_general = 0
            if rng.random() < 0.22 and count > 20:
                # A big village with a 党总支 over several branches: a third level of committees.
                village = namer.place(fill.used)
                general = plan.add(f"{village}村党总支", Level.GENERAL_BRANCH, Kind.VILLAGE)
                under_general = rng.randint(3, 5)
                for n in range(1, under_general + 1):
                    general.add(f"{village}村第{cn_number(n)}党支部", Level.BRANCH, Kind.VILLAGE)
            fill.add_mix(count - under_general, TOWN_MIX, Kind.VILLAGE)
        elif kind == Kind.COMMUNITY:
            fill.is_street = True
            fill.add_mix(count, STREET_MIX, Kind.COMMUNITY)
        elif kind == Kind.STATE_ENTERPRISE:
            # The county's investment group has a committee of its own over its branches.
            group = plan.add(f"{place}城市建设投资集团党委", Level.COMMITTEE, Kind.STATE_ENTERPRISE)
            inner = max(2, count // 3)
            for n in range(1, inner + 1):
                group.add(
                    f"{place}城投集团第{cn_number(n)}党支部", Level.BRANCH, Kind.STATE_ENTERPRISE
                )
            fill.add(Kind.ORGAN, name=f"{place}国资委机关党支部")
            fill.counters[Kind.STATE_ENTERPRISE] = 1  # the investment group is taken
            fill.add(Kind.STATE_ENTERPRISE, max(0, count - inner - 1))
        elif plan.level == Level.GENERAL_BRANCH:
            bureau = plan.name.removesuffix("党总支")
            fill.add(Kind.ORGAN, name=f"{bureau}机关党支部")
            for n in range(2, count + 1):
                fill.add(Kind.ORGAN, name=f"{bureau}第{cn_number(n)}党支部")
        elif kind == Kind.ORGAN:  # 县直机关工委: the county's departments
            for n in range(count - 1):
                if n < len(DEPARTMENTS):
                    fill.add(Kind.ORGAN, name=f"{place}{DEPARTMENTS[n]}党支部")
                else:
                    extra = cn_number(n - len(DEPARTMENTS) + 1)
                    fill.add(Kind.ORGAN, name=f"{place}直属机关第{extra}党支部")
            fill.add(Kind.ORGAN, name=f"{place}直机关离退休干部党支部", profile="veteran")
        elif kind in (Kind.PRIVATE_ENTERPRISE, Kind.SOCIAL_ORGANIZATION):
            fill.add(kind, count)
        else:  # 教育局, 卫生健康委, 农业农村局: their own organ branch, then their field
            fill.add(Kind.ORGAN, name=f"{plan.name.removesuffix('党委')}机关党支部")
            fill.add(kind, count - 1)
        all_branches.extend(p for p in plan.walk() if p.level == Level.BRANCH)

    planned = sum(1 for county in counties for _ in county.walk())
    add_groups(rng, [unit for unit, *_rest in units], max(0, organizations_total - planned))
    share_members(rng, all_branches, members_total)
    return counties


# ---------------------------------------------------------------------------------------------
# Seeding steps
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedContext:
    """What the steps share. ``plans`` holds keyed organisations (``login_branch``…)."""

    scale: str
    today: datetime.date
    rng: random.Random
    batch_size: int
    log: Callable[[str], None]
    root: Organization | None = None
    users: dict[str, object] = field(default_factory=dict)
    user_people: dict[str, Person] = field(default_factory=dict)  # who each login is
    plans: dict[str, OrgPlan] = field(default_factory=dict)
    new_plans: list[OrgPlan] = field(default_factory=list)  # the step's tree, for members
    campaign: Campaign | None = None
    namer: Namer | None = None
    people: People | None = None
    counts: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class SeedStep:
    """One step. ``scale`` says when it runs: ``demo`` steps when the demo city is missing,
    ``city`` steps when the city scale is asked for and missing. ``reset`` removes what the step
    made (steps are reset in reverse order)."""

    name: str
    run: Callable[[SeedContext], None]
    reset: Callable[[Organization], None] | None = None
    scale: str = SCALE_DEMO


# One login per role, in the order they are printed.
DEMO_LOGINS = (
    "admin",
    "office",
    "leader",
    "inspector",
    "secretary",
    "secretary2",
    "committee",
    "member",
)
# Inspectors of the four inspection groups besides ``inspector`` (same password).
EXTRA_INSPECTORS = (
    "inspector1b",
    "inspector2",
    "inspector2b",
    "inspector3",
    "inspector3b",
    "inspector4",
    "inspector4b",
)


def find_root() -> Organization | None:
    return Organization.objects.filter(code=ROOT_CODE).first()


def city_present() -> bool:
    return Organization.objects.filter(code=CITY_MARKER_CODE).exists()


def step_users(ctx: SeedContext) -> None:
    """One login per role (password demo12345), with Chinese names; existing ones are updated."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    for username in (*DEMO_LOGINS, *EXTRA_INSPECTORS):
        person = ctx.people.person(years=(1962, 1990))
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "password": password,
                "last_name": person.surname,
                "first_name": person.given_name,
                "email": f"{username}@example.org",
                "is_active": True,
                "is_staff": username in ("admin", "office"),
                "is_superuser": username == "admin",
            },
        )
        ctx.users[username] = user
        ctx.user_people[username] = person
    ctx.counts["users"] = len(ctx.users)


def step_organisations(ctx: SeedContext) -> None:
    """The city committee and the demo tree below it."""
    root = Organization.objects.add_root(
        instance=Organization(
            name=ROOT_NAME,
            short_name=ROOT_SHORT_NAME,
            code=ROOT_CODE,
            level=Level.COMMITTEE,
            unit_kind=Kind.ORGAN,
        )
    )
    ctx.root = root
    units = build_demo_tree(ctx.rng, ctx.namer)
    ctx.counts["organisations"] += 1 + insert_subtrees(root, units, batch_size=ctx.batch_size)
    ctx.new_plans = units
    ctx.plans.update({p.key: p for u in units for p in u.walk() if p.key})
    ctx.plans["root"] = OrgPlan(root.name, root.level, root.unit_kind, pk=root.pk, path=root.path)


def _category_ids() -> dict[str, int]:
    ids = dict(MemberCategory.objects.values_list("code", "pk"))
    for code in Cat.values:  # the migration creates them; be safe on a hand-made database
        if code not in ids:
            ids[code] = MemberCategory.objects.create(code=code).pk
    return ids


def insert_members(
    ctx: SeedContext,
    plans: list[OrgPlan],
    preset: Iterable[Member] = (),
    outflow_first: Iterable[int] = (),
) -> int:
    """Bulk-insert the planned members of ``plans`` (and ``preset`` ones first), in batches,
    with their categories; returns how many were inserted. The first mobile members come
    from the ``outflow_first`` organisations, the others from any village of ``plans``."""
    category_ids = _category_ids()
    through = Member.categories.through
    village_ids = [
        p.pk
        for u in plans
        for p in u.walk()
        if p.unit_kind == Kind.VILLAGE and p.level == Level.BRANCH
    ]
    favoured = list(outflow_first)
    inserted = 0
    batch: list[tuple[Member, tuple[str, ...]]] = [(m, ()) for m in preset]

    def flush() -> None:
        nonlocal inserted
        members = [m for m, _ in batch]
        Member.objects.bulk_create(members, batch_size=ctx.batch_size)
        if any(m.pk is None for m in members):
            ids = dict(
                Member.objects.filter(id_number__in=[m.id_number for m in members]).values_list(
                    "id_number", "pk"
                )
            )
            for m in members:
                m.pk = ids[m.id_number]
        links = [
            through(member_id=m.pk, membercategory_id=category_ids[code])
            for m, codes in batch
            for code in codes
        ]
        through.objects.bulk_create(links, batch_size=ctx.batch_size)
        inserted += len(members)
        ctx.counts["category links"] += len(links)
        batch.clear()

    for unit in plans:
        for plan in unit.walk():
            for _ in range(plan.members):
                member, codes = ctx.people.member(
                    branch_id=plan.pk, profile_key=plan.member_profile, outflow_ids=village_ids
                )
                if member.outflow_organization_id and favoured:
                    member.outflow_organization_id = favoured.pop()
                batch.append((member, codes))
                if len(batch) >= ctx.batch_size:
                    flush()
    if batch:
        flush()
    return inserted


def step_members(ctx: SeedContext) -> None:
    """About 2,000 members, four of them linked to the demo logins."""
    people, plans, users = ctx.people, ctx.plans, ctx.users
    preset = []
    for username, branch_key, post in (
        ("secretary", "login_branch", "村党支部书记"),
        ("secretary2", "sibling_branch", "村党支部书记"),
        ("committee", "committee_branch", "镇党委书记"),
        ("member", "login_branch", "村民"),
    ):
        user, person = users[username], ctx.user_people[username]
        birth, gender = person.birth_date, person.gender
        member = Member(
            name=person.name,
            gender=gender,
            birth_date=birth,
            phone=people.phone(),
            id_number=people.id_number(birth, gender),
            branch_id=plans[branch_key].pk,
            status=Member.Status.FULL,
            joined_on=people.joined_on(birth, probationary=False),
            post=post,
            user=user,
        )
        preset.append(member)
    # Mobile members come from 柳河村 first, so that its secretary has some to assist.
    ctx.counts["members"] += insert_members(
        ctx, ctx.new_plans, preset, outflow_first=[plans["login_branch"].pk] * 4
    )
    # Their categories: village secretaries and the villager are farmer members.
    through = Member.categories.through
    farmer = _category_ids()[Cat.FARMER]
    organ = _category_ids()[Cat.ORGAN]
    through.objects.bulk_create(
        [
            through(member_id=m.pk, membercategory_id=organ if m.post == "镇党委书记" else farmer)
            for m in preset
        ]
    )


def step_roles(ctx: SeedContext) -> None:
    users, plans = ctx.users, ctx.plans
    root_id = ctx.root.pk
    assignments = [
        ("office", root_id, Role.OFFICE),
        ("leader", root_id, Role.LEADERSHIP),
        ("inspector", root_id, Role.INSPECTOR),
        ("secretary", plans["login_branch"].pk, Role.SECRETARY),
        ("secretary2", plans["sibling_branch"].pk, Role.SECRETARY),
        ("committee", plans["login_committee"].pk, Role.SECRETARY),
        *[(name, root_id, Role.INSPECTOR) for name in EXTRA_INSPECTORS],
    ]
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=users[username], organization_id=org_id, role=role)
            for username, org_id, role in assignments
        ],
        ignore_conflicts=True,
    )
    ctx.counts["role assignments"] = len(assignments)


PHASES = (
    # (kind, name, first day and last day relative to today, description)
    (
        Phase.Kind.MOBILISE,
        "广泛发动",
        -60,
        -41,
        "召开动员大会，层层部署，组织党员学习活动方案，做到目标要求、时间安排、方法步骤“五个清楚”。",
    ),
    (
        Phase.Kind.PLEDGE,
        "公开承诺",
        -40,
        10,
        "党组织和党员结合岗位职责作出承诺，经逐级审核后在公示栏、网上公开，接受群众监督。",
    ),
    (
        Phase.Kind.FULFIL,
        "履行承诺",
        11,
        100,
        "对照承诺事项逐项落实，建立履诺记实台账，按月报告进展，领导小组巡回检查。",
    ),
    (
        Phase.Kind.EVALUATE,
        "考核评价",
        101,
        130,
        "个人述职、民主评议、群众满意度测评相结合，评定等次并公示，表彰先进、督促后进。",
    ),
)

# fmt: off
LEADERSHIP = (
    # (body, position, official title, login)
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.LEADER, "市委书记", "leader"),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.DEPUTY_LEADER, "市委副书记", ""),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.DEPUTY_LEADER, "市委常委、组织部部长", ""),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.MEMBER, "市委常委、宣传部部长", ""),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.MEMBER, "市纪委副书记", ""),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.MEMBER, "市直机关工委书记", ""),
    (LeadershipPosition.Body.LEADERSHIP_GROUP, LeadershipPosition.Position.MEMBER, "市委组织部副部长", ""),
    (LeadershipPosition.Body.OFFICE, LeadershipPosition.Position.OFFICE_DIRECTOR, "市委组织部副部长", "office"),
    (LeadershipPosition.Body.OFFICE, LeadershipPosition.Position.OFFICE_DEPUTY_DIRECTOR, "市委组织部组织科科长", ""),
    (LeadershipPosition.Body.OFFICE, LeadershipPosition.Position.OFFICE_DEPUTY_DIRECTOR, "市直机关工委副书记", ""),
)
INSPECTION_GROUPS = (
    ("第一巡回检查组", ("inspector", "inspector1b")),
    ("第二巡回检查组", ("inspector2", "inspector2b")),
    ("第三巡回检查组", ("inspector3", "inspector3b")),
    ("第四巡回检查组", ("inspector4", "inspector4b")),
)
# fmt: on


def step_campaign(ctx: SeedContext) -> None:
    """示范市深入开展创先争优活动: phases around today (pledging now), leadership group and office,
    contact points, four inspection groups."""
    today, rng, root = ctx.today, ctx.rng, ctx.root
    day = lambda offset: today + datetime.timedelta(days=offset)  # noqa: E731
    campaign = Campaign.objects.create(
        name="示范市深入开展创先争优活动",
        theme="履职尽责促发展、推动跨越做贡献",
        sub_theme="我的岗位我负责、我的岗位请放心",
        root_organization=root,
        start_date=day(PHASES[0][2]),
        end_date=day(PHASES[-1][3]),
        status=Campaign.Status.ACTIVE,
    )
    ctx.campaign = campaign
    Phase.objects.bulk_create(
        [
            Phase(
                campaign=campaign,
                order=order,
                name=name,
                kind=kind,
                start_date=day(first),
                end_date=day(last),
                description=description,
            )
            for order, (kind, name, first, last, description) in enumerate(PHASES, start=1)
        ]
    )

    positions = []
    for order, (body, position, title, username) in enumerate(LEADERSHIP, start=1):
        user = ctx.users.get(username) if username else None
        name = (
            (user.last_name + user.first_name)
            if user
            else ctx.people.person(years=(1960, 1978)).name
        )
        positions.append(
            LeadershipPosition.objects.create(
                campaign=campaign,
                body=body,
                position=position,
                person_name=name,
                title=title,
                user=user,
                order=order,
            )
        )

    committees = list(
        Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1).order_by(
            "path"
        )
    )
    grassroots = list(
        Organization.objects.filter(
            path__startswith=root.path, depth=root.depth + 2, level=Level.BRANCH
        ).order_by("path")
    )
    login_branch = Organization.objects.get(pk=ctx.plans["login_branch"].pk)
    for position in positions:
        if position.body != LeadershipPosition.Body.LEADERSHIP_GROUP:
            continue
        point = ContactPoint.objects.create(
            campaign=campaign, leader=position, note="每季度至少到联系点调研指导一次"
        )
        chosen = [rng.choice(committees), *rng.sample(grassroots, rng.randint(1, 3))]
        if position.position == LeadershipPosition.Position.LEADER:
            chosen = [Organization.objects.get(pk=ctx.plans["login_committee"].pk), login_branch]
        point.organizations.add(*{o.pk: o for o in chosen}.values())

    for index, (name, inspectors) in enumerate(INSPECTION_GROUPS):
        group = InspectionGroup.objects.create(
            campaign=campaign,
            name=name,
            leader_name=ctx.people.person(years=(1960, 1975)).name,
        )
        group.inspectors.add(*[ctx.users[u] for u in inspectors])
        group.organizations.add(*committees[index :: len(INSPECTION_GROUPS)])
    ctx.counts["campaigns"] += 1


def step_city(ctx: SeedContext) -> None:
    """The counties and districts that bring the tree to the seeds' scale."""
    root = ctx.root
    subtree = Organization.objects.filter(path__startswith=root.path)
    # The counties are numbered after the demo's twenty committees (SF-21…), whatever else
    # was added to the city by hand: the first county's code marks the city scale as seeded.
    counties = build_city_tree(
        ctx.rng,
        ctx.namer,
        first_number=int(CITY_MARKER_CODE.rsplit("-", 1)[1]),
        branches_total=CITY_BRANCHES - subtree.filter(level=Level.BRANCH).count(),
        organizations_total=CITY_ORGANIZATIONS - subtree.count(),
        members_total=CITY_MEMBERS
        - Member.objects.filter(branch__path__startswith=root.path).count(),
    )
    started = time.perf_counter()
    ctx.counts["organisations"] += insert_subtrees(root, counties, batch_size=ctx.batch_size)
    ctx.log(f"  organisations inserted in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    ctx.counts["members"] += insert_members(ctx, counties)
    ctx.log(f"  members inserted in {time.perf_counter() - started:.1f} s")
    campaign = Campaign.objects.filter(root_organization=root).order_by("pk").first()
    if campaign:  # the inspection groups cover the counties too
        groups_ = list(campaign.inspection_groups.order_by("pk"))
        for index, county in enumerate(counties):
            if groups_:
                groups_[index % len(groups_)].organizations.add(county.pk)


def reset_campaigns(root: Organization) -> None:
    Campaign.objects.filter(root_organization__path__startswith=root.path).delete()


def reset_members(root: Organization) -> None:
    in_tree = Q(branch__path__startswith=root.path) | Q(
        outflow_organization__path__startswith=root.path
    )
    MemberTransfer.objects.filter(
        Q(from_branch__path__startswith=root.path) | Q(to_branch__path__startswith=root.path)
    ).delete()
    members = Member.objects.filter(in_tree)
    Member.categories.through.objects.filter(member__in=members.values("pk")).delete()
    delete_rows(members)


def delete_rows(queryset) -> None:
    """Delete with one statement when no other row points at these ones, else through the ORM.

    The ORM's cascade deletes 100 rows per statement after loading them all: 15 s for the
    city's 114,000 members. Rows of another app that point at them (pledges…) are that app's
    to remove in its own reset step first; if any are left, the ORM deletes or protects them
    as their foreign keys say.
    """
    for relation in queryset.model._meta.related_objects:
        referencing = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset.values("pk")}
        )
        if referencing.exists():
            queryset.delete()
            return
    queryset._raw_delete(queryset.db)


def reset_organisations(root: Organization) -> None:
    # treebeard's delete removes the whole subtree (role assignments go with it).
    Organization.objects.filter(pk=root.pk).delete()


STEPS: list[SeedStep] = [
    SeedStep("users", step_users),
    SeedStep("organisations", step_organisations, reset_organisations),
    SeedStep("members", step_members, reset_members),
    SeedStep("roles", step_roles),
    SeedStep("campaign", step_campaign, reset_campaigns),
    SeedStep("city", step_city, scale=SCALE_CITY),
]


def all_steps() -> list[SeedStep]:
    """The campaigns steps, then those of every other app with a ``demo`` module."""
    steps = list(STEPS)
    for config in apps.get_app_configs():
        if config.name == "campaigns" or not module_has_submodule(config.module, "demo"):
            continue
        module = importlib.import_module(f"{config.name}.demo")
        steps.extend(getattr(module, "STEPS", ()))
    return steps


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    ran: list[tuple[str, float]]  # (step, seconds)
    counts: Counter
    seconds: float

    @property
    def did_anything(self) -> bool:
        return bool(self.ran)


def reset_demo(log: Callable[[str], None] = lambda _line: None) -> bool:
    """Delete the demo city and everything hanging off it. Users are kept (they are updated on
    the next seeding), so that rows elsewhere that point at them survive."""
    root = find_root()
    if root is None:
        return False
    with transaction.atomic():
        for step in reversed(all_steps()):
            if step.reset is not None:
                started = time.perf_counter()
                step.reset(root)
                log(f"  reset {step.name}: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        # Reclaim the dead rows now: re-inserting the same ID numbers over them is twice as slow.
        with connection.cursor() as cursor:
            for model in (Organization, Member, Member.categories.through):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    return True


def seed(
    *,
    scale: str = SCALE_DEMO,
    batch_size: int = 5000,
    random_seed: int = DEFAULT_RANDOM_SEED,
    log: Callable[[str], None] = lambda _line: None,
) -> SeedResult:
    """Seed what is missing: the demo city if absent, and the city scale if asked for."""
    started = time.perf_counter()
    rng = random.Random(random_seed)
    root = find_root()
    wanted = []
    if root is None:
        wanted.append(SCALE_DEMO)
    if scale == SCALE_CITY and (root is None or not city_present()):
        wanted.append(SCALE_CITY)
    ctx = SeedContext(
        scale=scale, today=timezone.localdate(), rng=rng, batch_size=batch_size, log=log, root=root
    )
    ctx.namer = Namer(rng)
    ran: list[tuple[str, float]] = []
    if wanted:
        region_ids = Member.objects.filter(
            id_number__regex=r"^(" + "|".join(REGION_CODES) + ")"
        ).values_list("id_number", flat=True)
        ctx.people = People(rng, ctx.today, region_ids)
        if root is not None:
            ctx.namer.towns.update(
                name.removesuffix("党委").removesuffix("党工委")
                for name in Organization.objects.filter(
                    path__startswith=root.path, level=Level.COMMITTEE
                ).values_list("name", flat=True)
            )
        with transaction.atomic():
            for step in all_steps():
                if step.scale not in wanted:
                    continue
                step_started = time.perf_counter()
                log(f"{step.name}…")
                step.run(ctx)
                ran.append((step.name, time.perf_counter() - step_started))
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses badly on tables that just grew 50-fold.
            with connection.cursor() as cursor:
                for model in (Organization, Member, Member.categories.through):
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return SeedResult(ran=ran, counts=ctx.counts, seconds=time.perf_counter() - started)


def check_tree() -> tuple[list, ...]:
    """treebeard's own consistency check over the demo city (empty lists mean no problems)."""
    root = find_root()
    if root is None:
        return ()
    return Organization.objects.find_problems(parent=root)


def login_rows() -> list[tuple[str, str, str]]:
    """(username, role, organisation) of each demo login, as they are in the database now."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_LOGINS)}
    rows = []
    for username in DEMO_LOGINS:
        user = users.get(username)
        if user is None:
            continue
        assignments = list(user.role_assignments.select_related("organization").order_by("pk"))
        if user.is_superuser:
            role, org = "superuser", "(all)"
        elif assignments:
            role = ", ".join(str(a.get_role_display()) for a in assignments)
            org = ", ".join(a.organization.name for a in assignments)
        else:
            role, org = "member (no role)", ""
        member = Member.objects.filter(user=user).select_related("branch").first()
        if member is not None and not assignments and not user.is_superuser:
            org = member.branch.name
        groups = list(user.inspection_groups.values_list("name", flat=True))
        if groups:
            org += " · " + "、".join(groups)
        rows.append((user.username, role, org))
    return rows


def summary_counts() -> dict[str, int]:
    root = find_root()
    if root is None:
        return {}
    orgs = Organization.objects.filter(path__startswith=root.path)
    return {
        "organisations": orgs.count(),
        "committees and general branches": orgs.filter(
            level__in=[Level.COMMITTEE, Level.GENERAL_BRANCH]
        ).count(),
        "branches": orgs.filter(level=Level.BRANCH).count(),
        "groups": orgs.filter(level=Level.GROUP).count(),
        "members": Member.objects.filter(branch__path__startswith=root.path).count(),
        "probationary members": Member.objects.filter(
            branch__path__startswith=root.path, status=Member.Status.PROBATIONARY
        ).count(),
        "mobile members": Member.objects.filter(
            branch__path__startswith=root.path, outflow_organization__isnull=False
        ).count(),
    }


# ---------------------------------------------------------------------------------------------
# Seeding times, kept for the benchmark (a small JSON file per database)
# ---------------------------------------------------------------------------------------------

TIMINGS_FILE = Path(settings.VAR_DIR) / "bench" / "seed_timings.json"


def database_key() -> str:
    settings_dict = connection.settings_dict
    return f"{connection.vendor}:{settings_dict.get('HOST') or ''}:{settings_dict['NAME']}"


def record_seed_timing(*, scale: str, seconds: float) -> None:
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(TIMINGS_FILE.read_text())
    except (OSError, ValueError):
        data = {}
    data[f"{database_key()}:{scale}"] = {
        "seconds": round(seconds, 2),
        "at": timezone.now().isoformat(timespec="seconds"),
        **summary_counts(),
    }
    TIMINGS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2))


def last_seed_timing(scale: str = SCALE_CITY) -> dict | None:
    try:
        return json.loads(TIMINGS_FILE.read_text()).get(f"{database_key()}:{scale}")
    except (OSError, ValueError):
        return None
