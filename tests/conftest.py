"""The fixed world every test starts from: an organisation tree and a cast of users.

    city committee (CITY)                      office, leader, inspector hold their roles here
    ├── township committee A (TWN-A)           superior = secretary of committee A
    │   ├── branch A (BR-A)                    secretary_a, inactive (is_active=False)
    │   │   └── group A (GRP-A)                a 党小组 under branch A
    │   └── branch B (BR-B)                    secretary_b (the sibling outsider)
    └── township committee C (TWN-C)
        └── branch C (BR-C)                    inflow branch of the mobile member from branch A

``member_user`` is a member of branch A with a login and no role; ``superuser`` is a Django
superuser; ``anonymous`` is not logged in. A campaign hangs off the city with four phases, a
leadership position, a contact point and an inspection group.

Member names are distinctive so that a test can assert an outsider's page never shows them.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    Organization,
    Phase,
    RoleAssignment,
)
from tests.factories import (
    CampaignFactory,
    ContactPointFactory,
    InspectionGroupFactory,
    LeadershipPositionFactory,
    MemberFactory,
    OrganizationFactory,
    PhaseFactory,
    RoleAssignmentFactory,
    UserFactory,
    build_id_number,
)

Role = RoleAssignment.Role
Level = Organization.Level

# Every name a test can ask ``client_as`` / ``world.users`` for.
ROLES = (
    "anonymous",
    "secretary_a",
    "secretary_b",
    "superior",
    "office",
    "leader",
    "inspector",
    "member_user",
    "inactive",
    "superuser",
)

# A different area code from the factories' so that the cast's ID numbers never collide.
_CAST_AREA = 110101


def cast_id(birth: datetime.date, serial: int) -> str:
    return build_id_number(birth, serial, area=_CAST_AREA)


@dataclass
class World:
    city: Organization
    committee_a: Organization
    branch_a: Organization
    group_a: Organization
    branch_b: Organization
    committee_c: Organization
    branch_c: Organization
    users: dict[str, User | AnonymousUser]
    member_a1: Member
    member_a2: Member
    member_group_a: Member
    member_b1: Member
    member_c1: Member
    mobile_member: Member
    member_self: Member
    campaign: Campaign
    phases: list[Phase]
    leadership_position: LeadershipPosition
    contact_point: ContactPoint
    inspection_group: InspectionGroup
    # A committee-member role on branch A held by a spare user: the object of role-removal tests.
    spare_role: RoleAssignment
    orgs: dict[str, Organization] = field(default_factory=dict)

    def refresh(self) -> None:
        """Re-read every organisation (after a tree move changed paths in the database)."""
        for name in (
            "city",
            "committee_a",
            "branch_a",
            "group_a",
            "branch_b",
            "committee_c",
            "branch_c",
        ):
            getattr(self, name).refresh_from_db()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    # Seeding and journal tests save photos: keep them out of the project's var/media.
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    # PBKDF2 with Django's default iterations costs ~0.3 s per user: far too slow for a cast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _build_world() -> World:
    city = OrganizationFactory(name="示范市委", code="CITY", level=Level.COMMITTEE)
    committee_a = OrganizationFactory(
        name="甲镇党委", code="TWN-A", level=Level.COMMITTEE, parent=city
    )
    branch_a = OrganizationFactory(
        name="甲村党支部",
        code="BR-A",
        level=Level.BRANCH,
        parent=committee_a,
        unit_kind=Organization.UnitKind.VILLAGE,
    )
    group_a = OrganizationFactory(
        name="甲村第一党小组", code="GRP-A", level=Level.GROUP, parent=branch_a
    )
    branch_b = OrganizationFactory(
        name="乙村党支部",
        code="BR-B",
        level=Level.BRANCH,
        parent=committee_a,
        unit_kind=Organization.UnitKind.VILLAGE,
    )
    committee_c = OrganizationFactory(
        name="丙镇党委", code="TWN-C", level=Level.COMMITTEE, parent=city
    )
    branch_c = OrganizationFactory(
        name="丙社区党支部",
        code="BR-C",
        level=Level.BRANCH,
        parent=committee_c,
        unit_kind=Organization.UnitKind.COMMUNITY,
    )
    for org in (city, committee_a, branch_a, committee_c):
        org.refresh_from_db()  # numchild changed when children were added

    users: dict[str, User | AnonymousUser] = {"anonymous": AnonymousUser()}
    for name in ROLES[1:]:
        users[name] = UserFactory(
            username=name,
            is_active=name != "inactive",
            is_superuser=name == "superuser",
            is_staff=name == "superuser",
        )
    for user_name, org, role in (
        ("secretary_a", branch_a, Role.SECRETARY),
        ("secretary_b", branch_b, Role.SECRETARY),
        ("superior", committee_a, Role.SECRETARY),
        ("office", city, Role.OFFICE),
        ("leader", city, Role.LEADERSHIP),
        ("inspector", city, Role.INSPECTOR),
        ("inactive", branch_a, Role.SECRETARY),
    ):
        RoleAssignmentFactory(user=users[user_name], organization=org, role=role)
    spare_role = RoleAssignmentFactory(
        user=UserFactory(username="spare_committee_member"),
        organization=branch_a,
        role=Role.COMMITTEE_MEMBER,
    )

    def member(
        name: str, branch: Organization, birth: datetime.date, serial: int, phone: str, **kw
    ):
        return MemberFactory(
            name=name,
            branch=branch,
            birth_date=birth,
            id_number=cast_id(birth, serial),
            phone=phone,
            **kw,
        )

    member_a1 = member("张明华", branch_a, datetime.date(1980, 5, 17), 11, "13800000001")
    member_a2 = member(
        "李建国",
        branch_a,
        datetime.date(1975, 11, 2),
        21,
        "13800000002",
        status=Member.Status.PROBATIONARY,
    )
    member_group_a = member("王晓红", group_a, datetime.date(1990, 2, 28), 32, "13800000003")
    member_b1 = member("赵乙宝", branch_b, datetime.date(1968, 8, 8), 41, "13900000004")
    member_c1 = member("孙丙成", branch_c, datetime.date(1985, 12, 31), 51, "13700000005")
    # 流动党员: managed by the inflow branch C, assisted by the outflow branch A.
    mobile_member = member(
        "钱流动",
        branch_c,
        datetime.date(1992, 7, 1),
        61,
        "13600000006",
        outflow_organization=branch_a,
    )
    member_self = member(
        "周自己", branch_a, datetime.date(1988, 3, 15), 71, "13500000007", user=users["member_user"]
    )

    campaign = CampaignFactory(name="2024年创先争优活动", root_organization=city)
    phases = [
        PhaseFactory(
            campaign=campaign,
            order=1,
            name="广泛发动",
            kind=Phase.Kind.MOBILISE,
            start_date=datetime.date(2024, 7, 1),
            end_date=datetime.date(2024, 7, 31),
        ),
        PhaseFactory(
            campaign=campaign,
            order=2,
            name="公开承诺",
            kind=Phase.Kind.PLEDGE,
            start_date=datetime.date(2024, 8, 1),
            end_date=datetime.date(2024, 9, 15),
        ),
        PhaseFactory(
            campaign=campaign,
            order=3,
            name="履行承诺",
            kind=Phase.Kind.FULFIL,
            start_date=datetime.date(2024, 9, 16),
            end_date=datetime.date(2024, 11, 15),
        ),
        PhaseFactory(
            campaign=campaign,
            order=4,
            name="考核评价",
            kind=Phase.Kind.EVALUATE,
            start_date=datetime.date(2024, 11, 20),
            end_date=datetime.date(2024, 12, 10),
        ),
    ]
    leadership_position = LeadershipPositionFactory(
        campaign=campaign, person_name="陈领导", user=users["leader"]
    )
    contact_point = ContactPointFactory(
        campaign=campaign, leader=leadership_position, organizations=[branch_a]
    )
    inspection_group = InspectionGroupFactory(
        campaign=campaign,
        name="第一督导检查组",
        organizations=[committee_a],
        inspectors=[users["inspector"]],
    )

    world = World(
        city=city,
        committee_a=committee_a,
        branch_a=branch_a,
        group_a=group_a,
        branch_b=branch_b,
        committee_c=committee_c,
        branch_c=branch_c,
        users=users,
        member_a1=member_a1,
        member_a2=member_a2,
        member_group_a=member_group_a,
        member_b1=member_b1,
        member_c1=member_c1,
        mobile_member=mobile_member,
        member_self=member_self,
        campaign=campaign,
        phases=phases,
        leadership_position=leadership_position,
        contact_point=contact_point,
        inspection_group=inspection_group,
        spare_role=spare_role,
    )
    world.orgs = {
        org.code: org
        for org in (city, committee_a, branch_a, group_a, branch_b, committee_c, branch_c)
    }
    return world


@pytest.fixture
def world(db) -> World:
    return _build_world()


# One fixture per organisation and per person of the cast, for tests that need only a few.
@pytest.fixture
def city(world: World) -> Organization:
    return world.city


@pytest.fixture
def committee_a(world: World) -> Organization:
    return world.committee_a


@pytest.fixture
def branch_a(world: World) -> Organization:
    return world.branch_a


@pytest.fixture
def group_a(world: World) -> Organization:
    return world.group_a


@pytest.fixture
def branch_b(world: World) -> Organization:
    return world.branch_b


@pytest.fixture
def committee_c(world: World) -> Organization:
    return world.committee_c


@pytest.fixture
def branch_c(world: World) -> Organization:
    return world.branch_c


@pytest.fixture
def campaign(world: World) -> Campaign:
    return world.campaign


@pytest.fixture
def secretary_a(world: World) -> User:
    return world.users["secretary_a"]


@pytest.fixture
def secretary_b(world: World) -> User:
    return world.users["secretary_b"]


@pytest.fixture
def superior(world: World) -> User:
    return world.users["superior"]


@pytest.fixture
def office(world: World) -> User:
    return world.users["office"]


@pytest.fixture
def leader(world: World) -> User:
    return world.users["leader"]


@pytest.fixture
def inspector(world: World) -> User:
    return world.users["inspector"]


@pytest.fixture
def member_user(world: World) -> User:
    return world.users["member_user"]


@pytest.fixture
def inactive(world: World) -> User:
    return world.users["inactive"]


@pytest.fixture
def superuser(world: World) -> User:
    return world.users["superuser"]


@pytest.fixture
def anonymous(world: World) -> AnonymousUser:
    return world.users["anonymous"]


@pytest.fixture
def client_as(world: World) -> Callable[..., Client]:
    """``client_as("secretary_a")`` → a test client logged in as that person of the cast;
    ``client_as("leader", language="en")`` also picks the interface language (tests that read
    messages use English, which needs no catalogue).

    The inactive user is logged in too (their session exists) so that tests prove an inactive
    user's session does not authenticate.
    """

    def make(who: str, *, language: str | None = None) -> Client:
        client = Client()
        user = world.users[who]
        if user.is_authenticated:
            client.force_login(user)
        if language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


@contextlib.contextmanager
def running_worker():
    """A real Celery worker (solo pool, in a thread of this process) consuming from the broker
    the settings name: Redis in CI, the filesystem transport on a developer's machine. Tasks run
    exactly as in production — published, taken off the broker, executed — against the test
    database (the test must use ``transactional_db`` so the worker's thread sees its rows)."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connection

    from config.celery import app

    def close_connection(**kwargs) -> None:
        # The worker thread has its own database connection; close it after each task so the
        # test database can be dropped at the end (celery #4511).
        connection.close()

    # Messages left on the broker by earlier tests name rows that no longer exist.
    app.control.purge()
    task_postrun.connect(close_connection, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_connection)


@pytest.fixture
def celery_worker_thread(transactional_db):
    """:func:`running_worker` for the whole test; wait for effects with :func:`wait_for`."""
    with running_worker() as worker:
        yield worker


def wait_for(predicate: Callable[[], object], *, timeout: float = 60.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (then return it) or fail."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting after {timeout:.0f} s")
        time.sleep(interval)
