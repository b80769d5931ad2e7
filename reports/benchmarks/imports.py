"""Benchmark: importing 10,000 pledges (preview + confirm) against plain django-import-export.

Builds a 10,000-row pledge sheet (.xlsx) for members of the city, one new pledge each, and
times in the same run:

- this project's importer: ``reports.imports.preview`` then ``confirm`` (target: under 15 s
  together on PostgreSQL);
- the plain path most projects take: a default ``ModelResource`` for ``Pledge`` (no options),
  ``import_data(dry_run=True)`` then ``import_data(dry_run=False)`` on the same rows (its
  columns are the model's fields, foreign keys as ids, as its own export writes them).

Every pledge, history row and log entry the benchmark writes is deleted at the end in one
transaction, so the database is left as it was.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import tablib
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.utils import timezone
from import_export import resources

from campaigns.management.commands.bench import BenchContext, Figure, benchmark
from campaigns.models import Campaign, Member, Phase
from pledges.models import Pledge
from reports import columns as cols
from reports import imports

ROWS = 10_000


class PlainPledgeResource(resources.ModelResource):
    """django-import-export's defaults: every field, import id "id", row by row."""

    class Meta:
        model = Pledge


def _campaign(ctx: BenchContext) -> Campaign | None:
    today = timezone.localdate()
    return (
        Campaign.objects.filter(root_organization=ctx.root)
        .exclude(status=Campaign.Status.CLOSED)
        .filter(phases__kind=Phase.Kind.PLEDGE, phases__start_date__lte=today)
        .order_by("-start_date")
        .first()
    )


def _owners(ctx: BenchContext) -> list[Member]:
    return list(
        Member.objects.filter(
            is_active=True, branch__is_active=True, branch__path__startswith=ctx.root.path
        )
        .select_related("branch")
        .order_by("id")[:ROWS]
    )


def _sheet(owners: list[Member]) -> bytes:
    import openpyxl

    deadline = timezone.localdate().replace(month=12, day=31)
    keys = ("reference", "organization_code", "owner_id_number", "kind", "term", "content")
    keys += ("deadline", "expected_effect")
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(cols.column(cols.PLEDGES, key).header) for key in keys])
    for n, member in enumerate(owners):
        sheet.append(
            [
                "",
                member.branch.code,
                member.id_number,
                "实事承诺",
                "年度",
                f"基准测试承诺：为群众办实事第{n}件",
                deadline,
                "群众满意",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _plain_dataset(owners: list[Member], campaign: Campaign, author_id: int) -> tablib.Dataset:
    deadline = timezone.localdate().replace(month=12, day=31).isoformat()
    headers = ["id", "campaign", "owner_member", "owner_organization", "organization", "author"]
    headers += ["kind", "term", "content", "deadline", "expected_effect", "measures"]
    data = tablib.Dataset(headers=headers)
    for n, member in enumerate(owners):
        data.append(
            [
                "",
                campaign.pk,
                member.pk,
                "",
                member.branch_id,
                author_id,
                "deed",
                "annual",
                f"基准测试承诺（默认导入）：第{n}件",
                deadline,
                "群众满意",
                "",
            ]
        )
    return data


def _cleanup(campaign: Campaign, first_new_pk: int, first_log_pk: int) -> int:
    with transaction.atomic():
        created = Pledge.objects.filter(campaign=campaign, pk__gt=first_new_pk)
        count = created.count()
        created.delete()  # history rows go with them (on_delete=CASCADE)
        LogEntry.objects.filter(pk__gt=first_log_pk, change_message__startswith="Imported").delete()
        LogEntry.objects.filter(pk__gt=first_log_pk, change_message__startswith="已导入").delete()
    return count


@benchmark("pledge_import")
def pledge_import(ctx: BenchContext) -> Iterator[Figure]:
    if ctx.root is None or ctx.user is None:
        ctx.log("pledge_import: no city to import into; skipped")
        return
    campaign = _campaign(ctx)
    if campaign is None:
        ctx.log("pledge_import: no open campaign in its pledge phase; skipped")
        return
    owners = _owners(ctx)
    if len(owners) < ROWS:
        ctx.log(f"pledge_import: only {len(owners)} members; the figures are for that many rows")
    rows = len(owners)
    data = _sheet(owners)
    ctx.log(f"pledge_import: {rows} rows, {len(data) / 1024:.0f} KB of xlsx, campaign {campaign}")
    first_new_pk = Pledge.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    first_log_pk = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        started = time.perf_counter()
        report = imports.preview(
            kind=cols.PLEDGES, actor=ctx.user, name="bench.xlsx", data=data, campaign=campaign
        )
        preview_s = time.perf_counter() - started
        if report.errors:
            ctx.log(f"pledge_import: the preview found errors, e.g. {report.errors[:3]}")
        started = time.perf_counter()
        report = imports.confirm(
            kind=cols.PLEDGES, actor=ctx.user, name="bench.xlsx", data=data, campaign=campaign
        )
        confirm_s = time.perf_counter() - started
        written = report.count(imports.NEW)
        ctx.log(f"pledge_import: ours preview {preview_s:.1f} s, confirm {confirm_s:.1f} s")

        plain = _plain_dataset(owners, campaign, ctx.user.pk)
        started = time.perf_counter()
        dry = PlainPledgeResource().import_data(plain, dry_run=True)
        plain_dry_s = time.perf_counter() - started
        started = time.perf_counter()
        real = PlainPledgeResource().import_data(plain, dry_run=False, use_transactions=True)
        plain_real_s = time.perf_counter() - started
        if dry.has_errors() or real.has_errors():
            ctx.log("pledge_import: the plain import reported errors")
    finally:
        removed = _cleanup(campaign, first_new_pk, first_log_pk)
        ctx.log(f"pledge_import: cleaned up {removed} pledges")

    ours = preview_s + confirm_s
    theirs = plain_dry_s + plain_real_s
    yield Figure(
        "pledge import preview",
        round(rows / preview_s),
        "rows/s",
        f"{preview_s:.1f} s; plain dry run {rows / plain_dry_s:.0f} rows/s ({plain_dry_s:.1f} s)",
    )
    yield Figure(
        "pledge import confirm",
        round(rows / confirm_s),
        "rows/s",
        f"{confirm_s:.1f} s, {written} written; plain import {rows / plain_real_s:.0f} rows/s "
        f"({plain_real_s:.1f} s)",
    )
    yield Figure(
        "pledge import preview + confirm",
        round(ours, 1),
        "s",
        f"target < 15 s; plain django-import-export {theirs:.1f} s ({theirs / ours:.1f}× slower)",
    )
