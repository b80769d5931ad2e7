"""Fixtures for the quarterly inspections, on top of the shared world in tests/conftest.py.

    第一督导检查组 (world.inspection_group)   covers 甲镇党委 (TWN-A); inspector: ``inspector``
    第二督导检查组 (other_group)              covers 丙镇党委 (TWN-C); inspector: ``other_inspector``

``secretary_c`` is the secretary of 丙镇党委, the sibling committee of 甲镇党委. The score sheet
has five items of 20 points. Today is pinned inside the campaign's third quarter (2024).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from assessments import services
from assessments.models import Inspection, ScoreItem
from campaigns.models import InspectionGroup, RoleAssignment
from tests.conftest import World
from tests.factories import InspectionGroupFactory, RoleAssignmentFactory, UserFactory

ITEMS = (
    ("组织建设", 20, "班子健全、制度落实、三会一课"),
    ("创先争优", 20, "公开承诺、践诺记实、争创活动"),
    ("党员队伍", 20, "党员教育管理、发展党员"),
    ("制度落实", 20, "承诺台账、月报、季度考核"),
    ("群众满意", 20, "群众评议、满意度测评"),
)
TODAY = datetime.date(2024, 9, 20)  # 2024 Q3, ten days before the quarter ends


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def today(monkeypatch) -> datetime.date:
    """Pin ``timezone.localdate()`` (and ``now``) to :data:`TODAY`, noon."""
    moment = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12, 0)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: TODAY)
    return TODAY


@pytest.fixture
def items(world: World) -> list[ScoreItem]:
    return services.score_sheet_set(
        campaign=world.campaign,
        actor=world.users["office"],
        items=[
            services.ScoreItemData(id=None, order=n, name=name, weight=weight, description=desc)
            for n, (name, weight, desc) in enumerate(ITEMS, start=1)
        ],
    )


@pytest.fixture
def other_inspector(world: World) -> User:
    user = UserFactory(username="other_inspector")
    RoleAssignmentFactory(user=user, organization=world.city, role=RoleAssignment.Role.INSPECTOR)
    return user


@pytest.fixture
def other_group(world: World, other_inspector: User) -> InspectionGroup:
    return InspectionGroupFactory(
        campaign=world.campaign,
        name="第二督导检查组",
        organizations=[world.committee_c],
        inspectors=[other_inspector],
    )


@pytest.fixture
def secretary_c(world: World) -> User:
    user = UserFactory(username="secretary_c")
    RoleAssignmentFactory(
        user=user, organization=world.committee_c, role=RoleAssignment.Role.SECRETARY
    )
    return user


def full_scores(items: list[ScoreItem], value: str = "18") -> list[services.ScoreData]:
    return [services.ScoreData(item_id=i.pk, score=Decimal(value), comment="") for i in items]


@pytest.fixture
def record(world: World, items: list[ScoreItem], today) -> Callable[..., Inspection]:
    """``record(submit=True, **data)`` — 第一督导检查组's inspection of 甲镇党委 for 2024 Q3,
    through the services."""

    def make(*, submit: bool = False, group=None, organization=None, **overrides) -> Inspection:
        group = group or world.inspection_group
        actor = group.inspectors.first()
        data = {
            "date": datetime.date(2024, 9, 12),
            "inspector_ids": [actor.pk],
            "findings": "甲镇党委承诺公开栏规范，党员践诺记实完整",
            "problems": "个别村承诺事项过于笼统",
            "scores": full_scores(items),
            "rectifications": [
                services.RectificationData(
                    id=None, text="细化村级承诺事项", deadline=datetime.date(2024, 9, 25)
                )
            ],
        }
        data.update(overrides)
        inspection = services.inspection_create(
            group=group,
            organization=organization or world.committee_a,
            year=2024,
            quarter=3,
            actor=actor,
            data=services.InspectionData(**data),
        )
        if submit:
            inspection = services.inspection_submit(inspection=inspection, actor=actor)
        return inspection

    return make
