"""The import pages: ledger index, templates, upload → preview → confirm through the client."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Member
from pledges.models import Pledge
from reports import imports
from tests.conftest import World, cast_id
from tests.reports.import_helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

NEW_ID = cast_id(datetime.date(1994, 6, 6), 93)
ROSTER = [
    ["身份证号", "姓名", "性别", "支部代码", "入党日期"],
    [NEW_ID, "网页导入", "男", "BR-A", "2018-07-01"],
]


def upload(client, data: bytes, name: str = "roster.xlsx", kind: str = "members", **extra):
    return client.post(
        reverse("reports:import_start"),
        {"kind": kind, "file": SimpleUploadedFile(name, data), **extra},
    )


def test_ledger_index_lists_import_cards_for_importers(client_as) -> None:
    response = client_as("secretary_a").get(reverse("reports:ledger_index"))
    assert response.status_code == 200
    assert reverse("reports:import_start") in response.content.decode()
    response = client_as("leader").get(reverse("reports:ledger_index"))
    assert reverse("reports:import_start") not in response.content.decode()


@pytest.mark.parametrize("kind", ["organizations", "members", "pledges"])
def test_xlsx_template_has_headers_example_and_frozen_row(client_as, kind: str) -> None:
    response = client_as("office").get(reverse("reports:import_template", args=[kind, "xlsx"]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet[1][0].font.bold
    # The template imports back: its headers are recognised and its required ones present.
    sheet_obj = imports.read_sheet(kind=kind, name="t.xlsx", data=response.content)
    assert len(sheet_obj.dataset) == 1
    assert len(headers) == len(sheet_obj.headers)


def test_csv_template_has_bom_and_example_row(client_as) -> None:
    response = client_as("office").get(reverse("reports:import_template", args=["members", "csv"]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert len(text.strip().splitlines()) == 2


def test_upload_preview_confirm(world: World, client_as) -> None:
    client = client_as("secretary_a")
    response = upload(client, xlsx_bytes(ROSTER))
    assert response.status_code == 302
    preview_url = response["Location"]
    assert not Member.objects.filter(id_number=NEW_ID).exists()
    page = client.get(preview_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "网页导入" in body
    # Someone else cannot open or confirm it.
    assert client_as("office").get(preview_url).status_code == 404
    response = client.post(preview_url + "confirm/")
    assert response.status_code == 302
    assert Member.objects.filter(id_number=NEW_ID, branch=world.branch_a).exists()
    # The upload is gone once confirmed.
    assert client.get(preview_url).status_code == 404


def test_preview_shows_errors_with_row_and_column(world: World, client_as) -> None:
    rows = [ROSTER[0], [NEW_ID, "错", "男", "BR-B", "2018-07-01"]]
    client = client_as("secretary_a")
    response = upload(client, xlsx_bytes(rows))
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "支部代码" in body and "BR-B" in body
    assert reverse("reports:import_confirm", args=[response["Location"].split("/")[-2]]) not in body


def test_bad_file_is_shown_on_the_form(world: World, client_as) -> None:
    response = upload(client_as("office"), b"not a workbook")
    assert response.status_code == 200
    assert (
        "not a valid Excel workbook" in response.content.decode()
        or response.context["form"].errors["file"]
    )


def test_pledges_need_a_campaign(world: World, client_as) -> None:
    rows = [["组织代码", "承诺类型", "承诺期限", "承诺内容"], ["BR-A", "实事承诺", "年度", "x"]]
    response = upload(client_as("office"), xlsx_bytes(rows), kind="pledges")
    assert response.status_code == 200
    assert response.context["form"].errors["campaign"]
    response = upload(
        client_as("office"), xlsx_bytes(rows), kind="pledges", campaign=world.campaign.pk
    )
    assert response.status_code == 302
    assert Pledge.objects.count() == 0


def test_preview_is_paginated(world: World, client_as, settings) -> None:
    rows = [ROSTER[0]] + [
        [cast_id(datetime.date(1980, 1, 1) + datetime.timedelta(days=i), 101), f"人{i}", "男"]
        + ["BR-A", "2018-07-01"]
        for i in range(130)
    ]
    client = client_as("office")
    response = upload(client, xlsx_bytes(rows))
    page = client.get(response["Location"])
    assert page.context["rows_page"].paginator.num_pages == 2
    assert len(page.context["rows_page"].object_list) == 100
    page2 = client.get(response["Location"] + "?page=2")
    assert len(page2.context["rows_page"].object_list) == 30


def test_expired_upload_is_404(world: World, client_as) -> None:
    client = client_as("secretary_a")
    response = upload(client, xlsx_bytes(ROSTER))
    token = response["Location"].rstrip("/").split("/")[-1]
    imports.discard_upload(token)
    assert client.get(response["Location"]).status_code == 404
    assert client.post(response["Location"] + "confirm/").status_code == 404
    assert not Member.objects.filter(id_number=NEW_ID).exists()


def test_round_trip_through_the_browser_changes_nothing(world: World, client_as) -> None:
    """A secretary downloads the pledge ledger, uploads it again unchanged: the preview shows
    every row unchanged, and confirming writes nothing — also for text that starts with "=",
    which the ledger writes as text, never as a formula."""
    from django.contrib.admin.models import LogEntry

    from pledges.models import PledgeHistory
    from tests.pledges.factories import PledgeFactory

    author = world.users["secretary_a"]
    PledgeFactory(campaign=world.campaign, owner_member=world.member_a1, author=author)
    PledgeFactory(
        campaign=world.campaign,
        owner_member=world.member_a1,
        author=author,
        content="=每月走访困难户不少于两次",
        expected_effect="-群众满意率达到95%以上",
    )
    client = client_as("secretary_a")
    exported = client.get(reverse("reports:export_pledges"))
    assert exported.status_code == 200
    ledger = b"".join(exported.streaming_content)

    def snapshot():
        return (
            list(Pledge.objects.order_by("pk").values()),
            PledgeHistory.objects.count(),
            list(Member.objects.order_by("pk").values()),
        )

    before = snapshot()
    response = upload(client, ledger, name="台账.xlsx", kind="pledges", campaign=world.campaign.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    report = preview.context["report"]
    assert report.ok, report.errors
    assert report.writes == 0
    assert report.count(imports.UNCHANGED) == 2
    logs = LogEntry.objects.count()
    client.post(response["Location"] + "confirm/")
    assert snapshot() == before
    assert LogEntry.objects.count() <= logs + 1  # at most the import's own audit entry
