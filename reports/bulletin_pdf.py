"""The monthly bulletin (通报) as PDF, rendered by WeasyPrint in the worker.

Typesetting follows pledges/pdf.py (and shared/PITFALLS.md): the template declares
``<meta charset="utf-8">``, every font stack (the @page margin boxes included) names Noto CJK,
fonts are subset, the stylesheet is the template's own, and the renderer may fetch nothing (no
text a user typed can make the server read a file or call a URL).
"""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from campaigns.models import Campaign, Organization
from pledges.pdf import css_page_counter, css_string, font_stacks


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def bulletin_context(figures: dict) -> dict:
    """The figures snapshot with dates and labels ready for the page and the PDF."""
    levels = dict(Organization.Level.choices)
    children = [{**row, "level_label": levels.get(row["level"], "")} for row in figures["children"]]
    return {
        **figures,
        "children": children,
        "month_date": _date(figures["month"]),
        "reference_date": _date(figures["reference_day"]),
        "due": _date(figures["due_date"]),
        "late_organizations": [
            {
                **row,
                "level_label": levels.get(row["level"], ""),
                "submitted": (
                    datetime.datetime.fromisoformat(row["submitted_at"])
                    if row.get("submitted_at")
                    else None
                ),
            }
            for row in figures["late_organizations"]
        ],
        "missing_organizations": [
            {**row, "level_label": levels.get(row["level"], "")}
            for row in figures["missing_organizations"]
        ],
        "overdue_pledges": [
            {**row, "deadline_date": _date(row["deadline"])} for row in figures["overdue_pledges"]
        ],
    }


def bulletin_pdf(*, figures: dict, campaign: Campaign | None = None) -> bytes:
    """A committee's bulletin on A4 pages: a summary, filing by organisation, rates and ranking,
    the late and missing organisations and the most overdue pledges; the committee and month
    at the top of every page, page numbers at the bottom."""
    context = bulletin_context(figures)
    html = render_to_string(
        "reports/pdf/bulletin.html",
        {
            "b": context,
            "campaign": campaign,
            "fonts": font_stacks(),
            "printed_at": timezone.localtime(),
            "page_counter": css_page_counter(),
            "header_text": css_string(f"{figures['committee']} · {figures['campaign']}"),
        },
    )
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, encoding="utf-8", url_fetcher=fetcher).write_pdf()
