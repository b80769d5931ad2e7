"""factory_boy factories for the campaigns app.

Organisations live in a django-treebeard materialised-path tree, so they cannot be created with a
plain ``Model.objects.create``: the factory hands the unsaved instance to the manager's
``add_root`` / ``add_child``, which compute ``path`` and ``depth`` and keep ``numchild`` right.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory

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
from campaigns.validators import id_check_char

# A password every factory user has; tests log in with it when they need a real login form.
PASSWORD = "portal-test-password"

# Area codes of real districts (杭州 上城区…): the first six digits of the ID numbers we build.
_AREA_BASE = 330102


def build_id_number(birth_date: datetime.date, serial: int, area: int = _AREA_BASE) -> str:
    """A valid 18-character ID number for ``birth_date``.

    ``serial`` picks the three-digit sequence code (its last digit is odd for men, even for
    women, as on real cards); bigger serials move on to the next area code so that any
    ``serial`` below 100,000 gives a distinct number for a given birth date.
    """
    area_code = f"{area + serial // 1000:06d}"
    first17 = f"{area_code}{birth_date:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def _birth_date(n: int) -> datetime.date:
    # Spread over ~55 years so that lists are not all born on the same day.
    return datetime.date(1955, 1, 1) + datetime.timedelta(days=(n * 379) % 20_000)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)
    is_active = True


class OrganizationFactory(DjangoModelFactory[Organization]):
    """``OrganizationFactory(parent=org)`` adds a child of ``org``; without a parent, a root."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"第{n}党支部")
    code = factory.Sequence(lambda n: f"ORG-{n:05d}")
    level = Organization.Level.BRANCH
    unit_kind = Organization.UnitKind.OTHER
    parent: Organization | None = None

    @classmethod
    def _build(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        # An unsaved organisation has no place in the tree yet: the parent is simply dropped.
        kwargs.pop("parent", None)
        return model_class(*args, **kwargs)

    @classmethod
    def _create(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        parent: Organization | None = kwargs.pop("parent", None)
        instance = model_class(*args, **kwargs)
        if parent is None:
            return model_class.objects.add_root(instance=instance)
        # Re-read the parent: its numchild may be stale if siblings were added through
        # another instance, and treebeard derives the new path from it.
        parent = model_class.objects.get(pk=parent.pk)
        return model_class.objects.add_child(parent, instance=instance)


class MemberFactory(DjangoModelFactory[Member]):
    """A member with a valid, unique ID number whose birth date matches ``birth_date``."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"党员{n:04d}")
    birth_date = factory.Sequence(_birth_date)
    id_number = factory.LazyAttributeSequence(lambda o, n: build_id_number(o.birth_date, n))
    # The 17th digit of the ID number gives the sex: odd for men.
    gender = factory.LazyAttribute(
        lambda o: Member.Gender.MALE if int(o.id_number[16]) % 2 else Member.Gender.FEMALE
    )
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    branch = factory.SubFactory(OrganizationFactory, level=Organization.Level.BRANCH)
    status = Member.Status.FULL
    joined_on = factory.LazyAttribute(lambda o: o.birth_date + datetime.timedelta(days=25 * 365))
    post = ""
    is_active = True


class RoleAssignmentFactory(DjangoModelFactory[RoleAssignment]):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = RoleAssignment.Role.SECRETARY


class CampaignFactory(DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"创先争优活动 {n}")
    theme = "履职尽责促发展、推动跨越做贡献"
    sub_theme = "我的岗位我负责、我的岗位请放心"
    root_organization = factory.SubFactory(OrganizationFactory, level=Organization.Level.COMMITTEE)
    start_date = datetime.date(2024, 7, 1)
    end_date = datetime.date(2024, 12, 31)
    status = Campaign.Status.ACTIVE


class PhaseFactory(DjangoModelFactory[Phase]):
    class Meta:
        model = Phase

    campaign = factory.SubFactory(CampaignFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"阶段{n}")
    kind = Phase.Kind.OTHER
    start_date = factory.LazyAttribute(lambda o: o.campaign.start_date)
    end_date = factory.LazyAttribute(lambda o: o.campaign.end_date)
    description = ""


class LeadershipPositionFactory(DjangoModelFactory[LeadershipPosition]):
    class Meta:
        model = LeadershipPosition

    campaign = factory.SubFactory(CampaignFactory)
    body = LeadershipPosition.Body.LEADERSHIP_GROUP
    person_name = factory.Sequence(lambda n: f"领导{n}")
    title = "市委副书记"
    position = LeadershipPosition.Position.LEADER
    user = None
    order = factory.Sequence(lambda n: n)


class InspectionGroupFactory(DjangoModelFactory[InspectionGroup]):
    """``InspectionGroupFactory(organizations=[...], inspectors=[...])`` sets the many-to-many."""

    class Meta:
        model = InspectionGroup
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"第{n}督导检查组")
    leader_name = "检查组长"

    @factory.post_generation
    def organizations(self, create: bool, extracted: list[Organization] | None, **kwargs: Any):
        if create and extracted:
            self.organizations.set(extracted)

    @factory.post_generation
    def inspectors(self, create: bool, extracted: list[User] | None, **kwargs: Any):
        if create and extracted:
            self.inspectors.set(extracted)


class ContactPointFactory(DjangoModelFactory[ContactPoint]):
    """A leader's contact point; the leader belongs to the same campaign."""

    class Meta:
        model = ContactPoint
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    leader = factory.SubFactory(
        LeadershipPositionFactory, campaign=factory.SelfAttribute("..campaign")
    )
    note = ""

    @factory.post_generation
    def organizations(self, create: bool, extracted: list[Organization] | None, **kwargs: Any):
        if create and extracted:
            self.organizations.set(extracted)
