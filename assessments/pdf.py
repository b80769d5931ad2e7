"""The quarterly inspection report as PDF (WeasyPrint), rendered by the worker.

Typesetting follows pledges/pdf.py (shared/PITFALLS.md, WeasyPrint): ``<meta charset="utf-8">``;
"Noto Serif CJK SC" / "Noto Sans CJK SC" named in every font stack (body, headings, tables,
@page margin boxes, the charts' SVG text); subset fonts; the template's own small stylesheet.
Charts are inline SVG drawn here (:mod:`assessments.svg`); the renderer may fetch nothing but
``data:`` URIs, so no text a user typed can make the worker read a file or call a URL.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from assessments import svg
from assessments.models import quarter_label
from assessments.report_data import MAX_CHART_BARS, ReportData, quarterly_report_data
from campaigns.models import Campaign, Organization
from pledges.models import Pledge
from pledges.pdf import css_page_counter, css_string, font_stacks

logger = logging.getLogger(__name__)

FLAG_COLORS = {"red": "#b5121b", "amber": "#d9822b", "green": "#3f8f4f", "none": "#9e9e9e"}
STATUS_COLORS = {
    "submitted": "#6b5b95",
    "returned": "#d9822b",
    "approved": "#2f6f9f",
    "published": "#e0b400",
    "overdue": "#b5121b",
    "fulfilled": "#3f8f4f",
    "evaluated": "#1b5e20",
    "withdrawn": "#9e9e9e",
}


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    note: str = ""
    alert: bool = False


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _key_figures(data: ReportData) -> list[KeyFigure]:
    counts = data.figures.counts
    campaign = data.campaign
    rate = counts.fulfilment.percent
    overdue_rate = counts.overdue.percent
    return [
        KeyFigure(_("Pledges"), f"{counts.total:,}", _("submitted, not withdrawn")),
        KeyFigure(
            _("Fulfilled"),
            f"{counts.fulfilled:,}",
            _("fulfilment rate %(rate)s") % {"rate": _percent(rate)},
            alert=rate is not None and rate < campaign.flag_fulfilment_red_below,
        ),
        KeyFigure(
            _("Overdue"),
            f"{counts['n_overdue']:,}",
            _("overdue rate %(rate)s") % {"rate": _percent(overdue_rate)},
            alert=overdue_rate is not None and overdue_rate > campaign.flag_overdue_red_above,
        ),
        KeyFigure(
            _("Awaiting review"),
            f"{counts.backlog:,}",
            _("oldest %(days)s days") % {"days": data.figures.backlog_oldest_days}
            if data.figures.backlog_oldest_days is not None
            else "",
        ),
        KeyFigure(_("Returned for revision"), f"{counts.returned:,}"),
        KeyFigure(
            _("Public satisfaction"),
            _percent(counts.satisfaction.percent),
            _("%(count)s ratings") % {"count": f"{counts['feedback_total']:,}"},
        ),
        KeyFigure(
            _("Monthly reports on time"),
            _percent(counts.reports.percent) if data.figures.reports_available else "—",
            _("%(part)s of %(whole)s")
            % {"part": counts.reports.part, "whole": counts.reports.whole}
            if data.figures.reports_available
            else "",
        ),
        KeyFigure(
            _("Inspected this quarter"),
            f"{data.inspections_total}/{data.covered_total}",
            _("average score %(score)s") % {"score": data.average_total.quantize(1)}
            if data.average_total is not None
            else "",
        ),
    ]


def _status_chart(data: ReportData, font: str):
    counts = data.figures.counts
    published_on_time = max(counts["n_published"] - counts["n_overdue"], 0)
    values = [
        ("submitted", _("Awaiting review"), counts["n_submitted"]),
        ("returned", _("Returned for revision"), counts["n_returned"]),
        ("approved", _("Approved and filed"), counts["n_approved"]),
        ("published", _("Being fulfilled"), published_on_time),
        ("overdue", _("Overdue"), counts["n_overdue"]),
        ("fulfilled", _("Fulfilled"), counts["n_fulfilled"]),
        ("evaluated", _("Evaluated"), counts["n_evaluated"]),
    ]
    slices = [
        svg.Slice(label=str(label), value=value, color=STATUS_COLORS[key])
        for key, label, value in values
    ]
    return svg.donut_chart(
        slices,
        font=font,
        size=170,
        legend_width=230,
        center_value=_percent(counts.fulfilment.percent),
        center_label=_("fulfilment rate"),
    )


def _children_chart(data: ReportData, font: str) -> tuple[object, str]:
    rows = [r for r in data.children.rows if r.counts.total]
    rows.sort(key=lambda r: (-(r.counts.fulfilment.percent or 0), r.organization.path))
    note = ""
    if len(rows) > MAX_CHART_BARS:
        half = MAX_CHART_BARS // 2
        note = _("The %(best)s highest and %(worst)s lowest of %(count)s organisations.") % {
            "best": half,
            "worst": half,
            "count": len(rows),
        }
        rows = rows[:half] + rows[-half:]
    if not rows:
        return None, note
    bars = [
        svg.Bar(
            label=r.organization.display_name,
            value=r.counts.fulfilment.percent or 0,
            color=FLAG_COLORS.get(r.flag, FLAG_COLORS["none"]),
            note=f"{r.counts.fulfilled:,}/{r.counts.total:,}",
        )
        for r in rows
    ]
    chart = svg.bar_chart(
        bars,
        font=font,
        width=480,
        thresholds=[
            (data.campaign.flag_fulfilment_red_below, FLAG_COLORS["red"]),
            (data.campaign.flag_fulfilment_amber_below, FLAG_COLORS["amber"]),
        ],
    )
    return chart, note


def _row(name: str, counts, flag: str, flag_label: str, score) -> dict:
    """A children-table row as plain values (Counts answers any key with 0 through
    ``__getitem__``, which Django templates try before attributes, so its properties cannot be
    read from a template)."""
    return {
        "name": name,
        "total": counts.total,
        "fulfilled": counts.fulfilled,
        "rate": _percent(counts.fulfilment.percent),
        "overdue": counts["n_overdue"],
        "backlog": counts.backlog,
        "returned": counts.returned,
        "satisfaction": _percent(counts.satisfaction.percent),
        "reports": _percent(counts.reports.percent),
        "score": "—" if score is None else f"{score:.1f}",
        "flag": flag,
        "flag_label": flag_label,
    }


def _children_rows(data: ReportData) -> list[dict]:
    rows = []
    for row in data.children.rows:
        score = data.child_scores.get(row.organization.pk)
        rows.append(
            _row(
                row.organization.name,
                row.counts,
                row.flag,
                row.flag_label,
                score[0] if score else None,
            )
        )
    own = data.children.own
    if own is not None:
        rows.append(
            _row(str(_("The committee itself")), own.counts, own.flag, own.flag_label, None)
            | {"own": True}
        )
    return rows


def report_context(data: ReportData) -> dict:
    fonts = font_stacks()
    # SVG presentation attributes take a plain family list (no CSS quotes inside quotes).
    svg_font = fonts["sans"].replace('"', "'")
    chart, chart_note = _children_chart(data, svg_font)
    title = _("Quarterly inspection report of the Strive for Excellence campaign")
    quarter = quarter_label(data.year, data.quarter)
    return {
        "data": data,
        "fonts": fonts,
        "title": title,
        "quarter": quarter,
        "printed_at": timezone.localtime(),
        "page_counter": css_page_counter(),
        "header_left": css_string(f"{data.organization.name} · {quarter}"),
        "header_right": css_string(str(title)),
        "key_figures": _key_figures(data),
        "summary": {
            "total": f"{data.figures.counts.total:,}",
            "fulfilled": f"{data.figures.counts.fulfilled:,}",
            "rate": _percent(data.figures.counts.fulfilment.percent),
        },
        "children_rows": _children_rows(data),
        "status_chart": _status_chart(data, svg_font),
        "children_chart": chart,
        "children_chart_note": chart_note,
        "flag_colors": FLAG_COLORS,
        "overdue_status": Pledge.Status.PUBLISHED,
    }


def _render(html: str) -> tuple[bytes, int]:
    # Only data: URIs: nothing else may be fetched while rendering.
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, encoding="utf-8", url_fetcher=fetcher).render()
    return document.write_pdf(), len(document.pages)


def quarterly_report_html(
    *,
    campaign: Campaign,
    organization: Organization,
    year: int,
    quarter: int,
    today: datetime.date | None = None,
) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        data = quarterly_report_data(
            campaign=campaign, organization=organization, year=year, quarter=quarter, today=today
        )
        return render_to_string("assessments/pdf/quarterly_report.html", report_context(data))


def quarterly_report_pdf(
    *,
    campaign: Campaign,
    organization: Organization,
    year: int,
    quarter: int,
    today: datetime.date | None = None,
) -> tuple[bytes, int]:
    """The report as PDF bytes and its number of pages, in the portal's default language."""
    html = quarterly_report_html(
        campaign=campaign, organization=organization, year=year, quarter=quarter, today=today
    )
    return _render(html)
