"""The score sheet (考核评分表): the office configures items and points per campaign; the
configuration is refused unless the points add up to exactly 100."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import ScoreItem
from tests.conftest import World


def data(*weights: int) -> list[services.ScoreItemData]:
    names = ["组织建设", "创先争优", "党员队伍", "制度落实", "群众满意", "其他"]
    return [
        services.ScoreItemData(id=None, order=n, name=names[n], weight=w)
        for n, w in enumerate(weights)
    ]


@pytest.mark.parametrize("weights", [(20, 20, 20, 20), (20, 20, 20, 20, 20, 1), (30, 30, 30, 30)])
def test_sheet_refused_unless_points_add_up_to_100(world: World, weights) -> None:
    with pytest.raises(ValidationError) as exc:
        services.score_sheet_set(
            campaign=world.campaign, actor=world.users["office"], items=data(*weights)
        )
    assert f"add up to {sum(weights)}; they must add up to exactly 100" in " ".join(
        exc.value.messages
    )
    assert not ScoreItem.objects.exists()


def test_sheet_of_100_points_is_saved(world: World) -> None:
    saved = services.score_sheet_set(
        campaign=world.campaign, actor=world.users["office"], items=data(20, 20, 20, 20, 20)
    )
    assert [i.weight for i in saved] == [20] * 5
    assert sum(world.campaign.score_items.values_list("weight", flat=True)) == 100


def test_only_the_office_configures(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.score_sheet_set(
            campaign=world.campaign, actor=world.users["superior"], items=data(50, 50)
        )


def test_an_item_already_scored_stays(world: World, items, record) -> None:
    record()
    kept = [
        services.ScoreItemData(id=i.pk, order=i.order, name=i.name, weight=i.weight)
        for i in items[1:]
    ]
    kept[0] = services.ScoreItemData(id=items[1].pk, order=2, name=items[1].name, weight=40)
    with pytest.raises(ValidationError) as exc:
        services.score_sheet_set(campaign=world.campaign, actor=world.users["office"], items=kept)
    assert "has been used in inspections and cannot be removed" in " ".join(exc.value.messages)
    # Lowering an item's points below a score already given is refused too.
    lowered = [
        services.ScoreItemData(id=i.pk, order=i.order, name=i.name, weight=i.weight) for i in items
    ]
    lowered[0] = services.ScoreItemData(id=items[0].pk, order=1, name=items[0].name, weight=10)
    lowered[1] = services.ScoreItemData(id=items[1].pk, order=2, name=items[1].name, weight=30)
    with pytest.raises(ValidationError) as exc:
        services.score_sheet_set(
            campaign=world.campaign, actor=world.users["office"], items=lowered
        )
    assert "cannot go below that" in " ".join(exc.value.messages)


def _post(weights: list[int]) -> dict:
    payload = {
        "items-TOTAL_FORMS": len(weights),
        "items-INITIAL_FORMS": 0,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 30,
    }
    for n, w in enumerate(weights):
        payload.update(
            {f"items-{n}-order": n + 1, f"items-{n}-name": f"项目{n}", f"items-{n}-weight": w}
        )
    return payload


def test_office_page_refuses_90_and_saves_100(world: World, client_as) -> None:
    url = reverse("assessments:score_sheet", args=[world.campaign.pk])
    client = client_as("office", language="en")
    response = client.post(url, _post([30, 30, 30]))
    assert response.status_code == 200
    assert "add up to 90; they must add up to exactly 100" in response.content.decode()
    assert not ScoreItem.objects.exists()
    response = client.post(url, _post([40, 30, 30]))
    assert response.status_code == 302
    assert list(ScoreItem.objects.values_list("weight", flat=True)) == [40, 30, 30]
    assert client.get(url).status_code == 200


def test_admin_refuses_a_sheet_not_adding_up(world: World, client_as) -> None:
    url = reverse("admin:assessments_scoresheet_change", args=[world.campaign.pk])
    client = client_as("superuser", language="en")
    assert client.get(url).status_code == 200
    prefix = "score_items"
    payload = {
        f"{prefix}-TOTAL_FORMS": 2,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
        f"{prefix}-0-order": 1,
        f"{prefix}-0-name": "组织建设",
        f"{prefix}-0-weight": 60,
        f"{prefix}-1-order": 2,
        f"{prefix}-1-name": "创先争优",
        f"{prefix}-1-weight": 20,
    }
    response = client.post(url, payload)
    assert response.status_code == 200
    assert "add up to 80" in response.content.decode()
    assert not ScoreItem.objects.exists()
    payload[f"{prefix}-0-weight"] = 80
    assert client.post(url, payload).status_code == 302
    assert ScoreItem.objects.count() == 2
