"""Fixtures for the pledge cycle, on top of the shared world in tests/conftest.py.

The pledge owners used throughout:
    member pledge       周自己 (member_self, login ``member_user``) of branch A
    branch pledge       branch A itself (its committee: secretary_a, spare committee member)
    committee pledge    township committee A itself (its committee: superior)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from campaigns.models import Campaign
from pledges.models import Pledge, ReturnReason
from pledges.services import ensure_default_return_reasons
from tests.conftest import World
from tests.pledges.factories import PledgeFactory


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Assertions on refusal messages read the English msgids; the default language is zh-hans
    (``test_refusals_are_translated`` checks that side)."""
    with translation.override("en"):
        yield


@pytest.fixture
def spare(world: World) -> User:
    """A committee member (not the secretary) of branch A."""
    return world.spare_role.user


@pytest.fixture
def reasons(campaign: Campaign) -> list[ReturnReason]:
    return ensure_default_return_reasons(campaign)


@pytest.fixture
def make_pledge(world: World) -> Callable[..., Pledge]:
    """``make_pledge("member", status=..., author=...)`` — a pledge written straight to the
    database in any state. Owners: "member" (member_self), "branch" (branch A), "committee"
    (township committee A); ``owner_member=`` in ``kwargs`` picks another member. The default
    author is the owner's own side."""

    def make(owner: str = "member", *, author: User | None = None, **kwargs: Any) -> Pledge:
        if owner == "member":
            owner_kw = {"owner_member": world.member_self, "owner_organization": None}
            default_author = world.users["member_user"]
        elif owner == "branch":
            owner_kw = {"owner_member": None, "owner_organization": world.branch_a}
            default_author = world.users["secretary_a"]
        elif owner == "committee":
            owner_kw = {"owner_member": None, "owner_organization": world.committee_a}
            default_author = world.users["superior"]
        else:
            raise ValueError(owner)
        return PledgeFactory(
            **{"campaign": world.campaign, "author": author or default_author, **owner_kw, **kwargs}
        )

    return make
