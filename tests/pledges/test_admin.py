"""The admin shows each staff user only the pledges in their scope, and never bypasses the
workflow (no adding or editing pledges, no editing history)."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.test import RequestFactory

from pledges.models import FulfilmentEntry, Pledge, PledgeHistory, ReturnReason
from tests.conftest import World
from tests.pledges.factories import FulfilmentEntryFactory


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_admin_querysets_are_scoped(world: World, make_pledge, reasons) -> None:
    mine = make_pledge("member", status=Pledge.Status.PUBLISHED)
    other = make_pledge("member", owner_member=world.member_c1, status=Pledge.Status.PUBLISHED)
    FulfilmentEntryFactory(pledge=mine)
    FulfilmentEntryFactory(pledge=other)
    secretary_a = world.users["secretary_a"]
    pledge_admin = site._registry[Pledge]
    entry_admin = site._registry[FulfilmentEntry]
    assert list(pledge_admin.get_queryset(_request(secretary_a))) == [mine]
    assert [e.pledge for e in entry_admin.get_queryset(_request(secretary_a))] == [mine]
    assert set(pledge_admin.get_queryset(_request(world.users["superuser"]))) == {mine, other}
    assert not pledge_admin.get_queryset(_request(world.users["secretary_b"])).exists()
    # Return reasons of campaigns the user takes part in.
    reason_admin = site._registry[ReturnReason]
    assert reason_admin.get_queryset(_request(world.users["secretary_b"])).count() == len(reasons)


def test_admin_never_bypasses_the_workflow(world: World) -> None:
    request = _request(world.users["superuser"])
    assert not site._registry[Pledge].has_add_permission(request)
    assert not site._registry[Pledge].has_change_permission(request)
    assert not site._registry[PledgeHistory].has_add_permission(request)
    assert not site._registry[PledgeHistory].has_delete_permission(request)
