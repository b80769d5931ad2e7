"""The authorization truth table: every URL of the project × every person of the cast.

``EXPECTATIONS`` declares, for each URL name, the answer to a GET for each role. The first test
walks the project's URL configuration and fails on any URL name missing from the table, so a new
page cannot be added without saying who may open it. ``POST_CHECKS`` then tries every
state-changing endpoint as each person who must be refused, checks the answer and that nothing in
the database changed, and finally as someone allowed, to prove the payload was a real attempt.

Codes: an int is the expected status; ``LOGIN`` is a 302 to the login page (``ADMIN_LOGIN`` to
the admin's); ``REDIRECT`` is a 302 anywhere else.

Choices adopted from the views (reasonable, not bugs):
- GET on a POST-only endpoint is 405 for any logged-in staff user, before the scope check (so a
  sibling secretary gets 405, not 404: nothing is read or revealed); ``member_reactivate``
  checks the method even before the login, so anonymous gets 405 there too.
- ``member_user`` (a login without a role) gets 403 on every staff page, even their own record's
  page: members have their own pages in the pledges app.
- ``organization_create`` needs ``?parent=<code>``; without it only a superuser may create a root.
- Every staff user may read the campaigns they take part in (detail, contact points, inspection
  groups); only the office edits them: a secretary gets 403, not 404, on the edit pages of a
  campaign they can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberTransfer,
    Notification,
    NotificationPreference,
    Organization,
    Phase,
    RoleAssignment,
)
from pledges.models import (
    Evaluation,
    Feedback,
    FulfilmentEntry,
    Pledge,
    PledgeAdjustment,
    PledgeHistory,
)
from reports.models.ledgers import ExportJob
from reports.models.monthly import Bulletin, MonthlyReport, MonthlyReportHistory
from tests.conftest import ROLES, World

LOGIN = "302→login"
ADMIN_LOGIN = "302→admin login"
REDIRECT = "302"

Expected = int | str


def row(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    """One row of the table: ``default`` for every role not named."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


def staff(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    """A staff page: anonymous and inactive go to the login page, a member without a role gets
    403, everyone with a role gets ``default`` unless named."""
    base: dict[str, Expected] = {"anonymous": LOGIN, "inactive": LOGIN, "member_user": 403}
    base.update(overrides)
    return row(default, **base)


# Readable by every staff user (each sees only their scope on the page).
STAFF_PAGE = staff(200)
# An object of branch A, readable: the sibling secretary is an outsider (404).
BRANCH_A_READ = staff(200, secretary_b=404)
# An object of branch A, changeable by its committee, the superior committee and the office;
# leadership and inspectors read but do not change (403); the sibling secretary is an outsider.
BRANCH_A_MANAGE = staff(200, secretary_b=404, leader=403, inspector=403)
# The city campaign's set-up: the office (and superusers) only; everyone else sees the campaign.
OFFICE_ONLY = staff(403, office=200, superuser=200)
# POST-only endpoints: GET is 405 for any staff user.
POST_ONLY = staff(405)

# A member pledge of branch A (authoring pages): read by everyone with a role in scope; changed
# by branch A's committee and above; the sibling secretary and another member are outsiders.
PLEDGE_READ = row(200, anonymous=LOGIN, inactive=LOGIN, secretary_b=404, member_user=404)
PLEDGE_EDIT = row(
    200,
    anonymous=LOGIN,
    inactive=LOGIN,
    secretary_b=404,
    member_user=404,
    office=403,
    leader=403,
    inspector=403,
)
# POST-only pledge endpoints: the login comes first, then the method.
PLEDGE_POST_ONLY = row(405, anonymous=LOGIN, inactive=LOGIN)

EXPECTATIONS: dict[str, dict[str, Expected]] = {
    "home": row(200, anonymous=LOGIN, inactive=LOGIN),
    # Inbox: every logged-in user has one; a notification is its recipient's alone (secretary_a's).
    "campaigns:inbox": row(200, anonymous=LOGIN, inactive=LOGIN),
    "campaigns:inbox_settings": row(200, anonymous=LOGIN, inactive=LOGIN),
    "campaigns:inbox_open": row(404, anonymous=LOGIN, inactive=LOGIN, secretary_a=REDIRECT),
    "campaigns:inbox_mark_read": row(405, anonymous=LOGIN, inactive=LOGIN),
    "campaigns:inbox_mark_all_read": row(405, anonymous=LOGIN, inactive=LOGIN),
    "login": row(REDIRECT, anonymous=200, inactive=200),
    # Django 5 logs out by POST only.
    "logout": row(405),
    "password_change": row(200, anonymous=LOGIN, inactive=LOGIN),
    "password_change_done": row(200, anonymous=LOGIN, inactive=LOGIN),
    "admin:index": row(ADMIN_LOGIN, superuser=200),
    # Organisations
    "campaigns:organization_tree": STAFF_PAGE,
    "campaigns:organization_search": STAFF_PAGE,
    # With ?parent=BR-A (see QUERY): whoever manages branch A.
    "campaigns:organization_create": BRANCH_A_MANAGE,
    "campaigns:organization_detail": BRANCH_A_READ,
    # Requested as htmx (see HEADERS); a plain GET redirects to the detail page.
    "campaigns:organization_children": BRANCH_A_READ,
    "campaigns:organization_edit": BRANCH_A_MANAGE,
    "campaigns:organization_role_add": POST_ONLY,
    "campaigns:organization_role_remove": POST_ONLY,
    # Members
    "campaigns:member_list": STAFF_PAGE,
    # The outflow-organisation picker: public organisation fields over the whole city.
    "campaigns:member_org_lookup": STAFF_PAGE,
    # Every committee may register members in its own branch; leadership and inspectors may not.
    "campaigns:member_create": staff(200, leader=403, inspector=403),
    "campaigns:member_detail": BRANCH_A_READ,
    "campaigns:member_edit": BRANCH_A_MANAGE,
    "campaigns:member_deactivate": BRANCH_A_MANAGE,
    # require_POST sits outside staff_required here, so even anonymous gets 405 (nothing read).
    "campaigns:member_reactivate": row(405),
    "campaigns:member_transfer": BRANCH_A_MANAGE,
    # Campaign set-up
    "campaigns:campaign_list": STAFF_PAGE,
    "campaigns:campaign_create": OFFICE_ONLY,
    "campaigns:campaign_detail": STAFF_PAGE,
    "campaigns:campaign_edit": OFFICE_ONLY,
    "campaigns:campaign_phases": OFFICE_ONLY,
    "campaigns:campaign_leadership": OFFICE_ONLY,
    "campaigns:contact_point_list": STAFF_PAGE,
    "campaigns:contact_point_create": OFFICE_ONLY,
    "campaigns:contact_point_edit": OFFICE_ONLY,
    # GET shows a confirmation page; POST deletes.
    "campaigns:contact_point_delete": OFFICE_ONLY,
    "campaigns:inspection_group_list": STAFF_PAGE,
    "campaigns:inspection_group_create": OFFICE_ONLY,
    "campaigns:inspection_group_edit": OFFICE_ONLY,
    "campaigns:inspection_group_delete": OFFICE_ONLY,
    # Public pages (公示栏): no login, the same for everyone; a published pledge of branch A.
    "public:board": row(200),
    # A member's public page (张明华 of branch A, who has the published pledge).
    "public:member": row(200),
    "public:pledge": row(200),
    "public:attachment": row(200),
    "public:feedback": row(405),
    # Feedback moderation: every staff user opens the page (each sees their committee scope);
    # deciding is POST-only.
    "pledges:feedback_moderation": STAFF_PAGE,
    "pledges:feedback_decide": POST_ONLY,
    # Authoring and fulfilment (pledges/views/authoring.py). The list and "new pledge" are for
    # everyone with a role or a member record (a member without a role sees their own); the
    # pledge pages are about a member pledge of branch A (AUTHORING_STATE): branch A's committee
    # and the superior committee act, the office, leadership and inspectors read (403 on the
    # forms), the sibling secretary and another member are outsiders (404).
    "pledges:pledge_list": row(200, anonymous=LOGIN, inactive=LOGIN),
    # With ?member=<张明华> (see QUERY).
    "pledges:pledge_create": PLEDGE_EDIT,
    "pledges:pledge_detail": PLEDGE_READ,
    "pledges:pledge_edit": PLEDGE_EDIT,
    "pledges:pledge_submit": PLEDGE_POST_ONLY,
    "pledges:pledge_resubmit": PLEDGE_POST_ONLY,
    "pledges:pledge_recall": PLEDGE_POST_ONLY,
    # The reviewing level (branch A's committee and above) or the office.
    "pledges:pledge_withdraw": row(
        200,
        anonymous=LOGIN,
        inactive=LOGIN,
        secretary_b=404,
        member_user=404,
        leader=403,
        inspector=403,
    ),
    "pledges:entry_add": PLEDGE_EDIT,
    "pledges:pledge_mark_fulfilled": PLEDGE_POST_ONLY,
    "pledges:self_report": PLEDGE_EDIT,
    "pledges:adjustment_request": PLEDGE_EDIT,
    # The journal photo of the published pledge of branch A, through the access check.
    "pledges:attachment": PLEDGE_READ,
    # The branch page: every staff user in scope reads it; quick entry for its committee.
    "pledges:branch_pledges": BRANCH_A_READ,
    # GET (with ?owner=<张明华>&campaign=…, see QUERY): the row's empty form, for whoever may
    # enter pledges there (branch A's committee and above; not the office).
    "pledges:branch_quick_add": {**BRANCH_A_MANAGE, "office": 403},
    "pledges:branch_submit_drafts": POST_ONLY,
    # Printing (pledges/views/printing.py), PDFs of public data. A member's card and desk sign
    # (周自己, see url_kwargs): whoever can see the member — any role on branch A or above — and
    # the member themself; the sibling secretary is an outsider. A branch's batch and board:
    # staff in scope.
    "pledges:print_member_card": row(200, anonymous=LOGIN, inactive=LOGIN, secretary_b=404),
    "pledges:print_desk_sign": row(200, anonymous=LOGIN, inactive=LOGIN, secretary_b=404),
    "pledges:print_branch_cards": BRANCH_A_READ,
    "pledges:print_board": BRANCH_A_READ,
    # Review, publication and evaluation (pledges/views/review.py), about objects of branch A
    # (REVIEW_STATE). The queue and bulk approval are for reviewers (committee roles, office);
    # leadership and inspectors do not review (403). Reviewing a pledge or an adjustment: the
    # reviewers in scope; the office reads member pledges but does not review them.
    "pledges:review_queue": staff(200, leader=403, inspector=403),
    "pledges:review_bulk_approve": staff(405, leader=403, inspector=403),
    "pledges:review_pledge": BRANCH_A_MANAGE,
    "pledges:review_publish": POST_ONLY,
    # The secretary of branch A or above, or the office.
    "pledges:review_publish_org": BRANCH_A_MANAGE,
    "pledges:review_adjustment": BRANCH_A_MANAGE,
    # Evaluation: committee roles and the office (appraisal), leadership and office (grades).
    "pledges:review_evaluation_list": staff(200, inspector=403),
    "pledges:review_evaluate": staff(200, secretary_b=404, inspector=403),
    "pledges:review_appraisal": BRANCH_A_MANAGE,
    # Quarterly inspections (assessments app), about township committee A, which the world's
    # inspection group (inspector) covers: the group's inspectors record and read everything of
    # theirs; a submitted inspection is read by the inspected organisation's committee and above
    # (superior), the office and the leadership group; drafts stay the group's (404 for others).
    # Branch secretaries below the committee are outsiders (404).
    "assessments:inspection_list": STAFF_PAGE,
    "assessments:my_groups": STAFF_PAGE,
    "assessments:inspection_record": staff(404, inspector=200, superuser=200),
    "assessments:inspection_detail": staff(
        404, inspector=200, superior=200, office=200, leader=200, superuser=200
    ),
    "assessments:inspection_edit": staff(404, inspector=200, superuser=200),
    "assessments:inspection_submit": POST_ONLY,
    "assessments:rectification_done": POST_ONLY,
    "assessments:photo": staff(
        404, inspector=200, superior=200, office=200, leader=200, superuser=200
    ),
    # The campaign's score sheet: the office only (others see the campaign: 403).
    "assessments:score_sheet": OFFICE_ONLY,
    # Quarterly reports of township committee A: its committee and above, the office and the
    # leadership group (inspectors and the branches below: 404); the list is every staff user's.
    "assessments:report_list": STAFF_PAGE,
    "assessments:report_generate": POST_ONLY,
    "assessments:report_status": staff(404, superior=200, office=200, leader=200, superuser=200),
    "assessments:report_download": staff(404, superior=200, office=200, leader=200, superuser=200),
    # Ledgers (台账): the index for every staff user; imports for the committees and the office
    # (leadership and inspectors only read). An upload (token) is its uploader's alone
    # (secretary_a's here): anyone else gets 404, as for an expired one.
    "reports:ledger_index": STAFF_PAGE,
    "reports:import_start": staff(200, leader=403, inspector=403),
    "reports:import_template": staff(200, leader=403, inspector=403),
    "reports:import_preview": staff(404, secretary_a=200, leader=403, inspector=403),
    "reports:import_confirm": POST_ONLY,
    # Ledger exports: every staff user exports within their own scope (with no data, the small
    # ledger downloads at once); a job's status and file reach only its owner (secretary_a's
    # here): anyone else gets 404, as for a missing job.
    "reports:export_list": STAFF_PAGE,
    "reports:export_pledges": STAFF_PAGE,
    "reports:export_journal": STAFF_PAGE,
    "reports:export_members": STAFF_PAGE,
    "reports:export_monthly": STAFF_PAGE,
    "reports:export_status": staff(404, secretary_a=200),
    "reports:export_download": staff(404, secretary_a=200),
    # Leadership dashboard: every staff user, at the top of their own scope; an organisation's
    # dashboard (branch A) for whoever holds a role on it or above (the sibling gets 404).
    "reports:dashboard": STAFF_PAGE,
    "reports:dashboard_org": BRANCH_A_READ,
    # Monthly reports (月报) of branch A (MONTHLY_STATE): written and submitted by branch A's own
    # committee only (the superior, the office and the rest read: 403 on the form); the sibling
    # secretary is an outsider. Bulletins (通报) of township committee A: anyone with a role on it
    # or above reads them; branch secretaries below it are outsiders (404).
    "reports:monthly_list": STAFF_PAGE,
    "reports:monthly_edit": staff(403, secretary_a=200, superuser=200, secretary_b=404),
    "reports:monthly_detail": BRANCH_A_READ,
    "reports:monthly_submit": POST_ONLY,
    "reports:monthly_review": POST_ONLY,
    "reports:bulletin_list": STAFF_PAGE,
    "reports:bulletin_detail": staff(200, secretary_a=404, secretary_b=404),
    "reports:bulletin_generate": POST_ONLY,
    "reports:bulletin_pdf": staff(200, secretary_a=404, secretary_b=404),
}

# Public machinery with nothing to protect: declared, not requested.
PUBLIC = {"set_language", "javascript-catalog"}
# URL prefixes of unnamed patterns that serve files (static/media in development).
PUBLIC_PREFIXES = ("static/", "media/", "^static/", "^media/")

# The Django admin: only its index is checked; the rest is Django's own, guarded by is_staff
# and model permissions.
ADMIN_PREFIX = "admin/"

QUERY: dict[str, Callable[[World], str]] = {
    "pledges:pledge_create": lambda w: f"?member={w.member_a1.pk}",
    "pledges:branch_quick_add": lambda w: f"?owner={w.member_a1.pk}&campaign={w.campaign.pk}",
    "campaigns:organization_create": lambda w: f"?parent={w.branch_a.code}",
}
HEADERS: dict[str, dict[str, str]] = {
    "campaigns:organization_children": {"HTTP_HX_REQUEST": "true"},
}


@dataclass(frozen=True)
class Route:
    name: str | None
    route: str
    params: tuple[str, ...]


def iter_routes(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from iter_routes(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            params = tuple(
                getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex
            )
            name = pattern.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(name=name, route=prefix + str(pattern.pattern), params=params)


def project_routes() -> dict[str, Route]:
    """Every named route of the project, the admin reduced to its index page (the rest of the
    admin is Django's own, guarded by is_staff and model permissions)."""
    routes: dict[str, Route] = {}
    for route in iter_routes(get_resolver().url_patterns):
        if route.route.startswith(ADMIN_PREFIX) and route.name != "admin:index":
            continue
        if route.name is None:
            assert route.route.startswith(PUBLIC_PREFIXES), (
                f"URL pattern {route.route!r} has no name: name it and add it to EXPECTATIONS"
            )
            continue
        routes.setdefault(route.name, route)
    return routes


def _public_objects(world: World) -> dict[str, int]:
    """A published pledge of branch A with a journal photo and a pending feedback comment (made
    once per world)."""
    if not hasattr(world, "_public_objects"):
        from django.core.files.base import ContentFile

        from pledges.models import Attachment, Feedback, Pledge
        from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory

        pledge = PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_a1,
            author=world.users["secretary_a"],
            status=Pledge.Status.PUBLISHED,
        )
        entry = FulfilmentEntryFactory(pledge=pledge)
        photo = Attachment(entry=entry, original_name="photo.png", size=16)
        photo.file.save("photo.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8), save=False)
        photo.save()
        feedback = Feedback.objects.create(
            pledge=pledge,
            rating=Feedback.Rating.SATISFIED,
            comment="很好",
            status=Feedback.Status.PENDING,
            fingerprint="matrix",
        )
        world._public_objects = {
            "pledge": pledge.pk,
            "attachment": photo.pk,
            "feedback": feedback.pk,
        }
    return world._public_objects


# Authoring pages: the state of the member pledge of branch A (张明华, no login, written by
# secretary_a) that each page is asked about.
AUTHORING_STATE = {
    "pledges:pledge_detail": "published",
    "pledges:pledge_edit": "draft",
    "pledges:pledge_submit": "draft",
    "pledges:pledge_resubmit": "returned",
    "pledges:pledge_recall": "submitted",
    "pledges:pledge_withdraw": "submitted",
    "pledges:entry_add": "published",
    "pledges:pledge_mark_fulfilled": "published",  # with one journal entry
    "pledges:self_report": "published",
    "pledges:adjustment_request": "published",
}


def _authoring_pledge(name: str, world: World) -> int:
    """The pledge an authoring URL is about (made once per world and URL name)."""
    made = world.__dict__.setdefault("_authoring_pledges", {})
    if name not in made:
        from tests.pledges.factories import FulfilmentEntryFactory, PledgeFactory

        pledge = PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_a1,
            author=world.users["secretary_a"],
            status=AUTHORING_STATE[name],
        )
        if name == "pledges:pledge_mark_fulfilled":
            FulfilmentEntryFactory(pledge=pledge)
        made[name] = pledge.pk
    return made[name]


# Review pages: the object of branch A each URL is about — a member pledge of 周自己 written by
# the member (so branch A's committee reviews it) in the state named, or its pending adjustment.
REVIEW_STATE = {
    "pledges:review_pledge": "submitted",
    "pledges:review_bulk_approve": "submitted",
    "pledges:review_publish": "approved",
    "pledges:review_publish_org": "approved",
    "pledges:review_adjustment": "published",  # with an adjustment asked for by the member
    "pledges:review_evaluate": "fulfilled",  # with its self-report
}


def _review_object(name: str, world: World) -> int:
    """The pledge (or, for review_adjustment, the adjustment) a review URL is about, made once
    per world and URL name."""
    made = world.__dict__.setdefault("_review_objects", {})
    if name not in made:
        from tests.pledges.factories import (
            EvaluationFactory,
            PledgeAdjustmentFactory,
            PledgeFactory,
        )

        pledge = PledgeFactory(
            campaign=world.campaign,
            owner_member=world.member_self,
            author=world.users["member_user"],
            status=REVIEW_STATE[name],
        )
        made[name] = pledge.pk
        if name == "pledges:review_adjustment":
            made[name] = PledgeAdjustmentFactory(
                pledge=pledge, requested_by=world.users["member_user"]
            ).pk
        elif name == "pledges:review_evaluate":
            EvaluationFactory(pledge=pledge)
    return made[name]


def _approved_pledge_of_branch_a(w: World) -> None:
    _review_object("pledges:review_publish_org", w)


def _appraisal_payload(w: World) -> dict[str, Any]:
    """Votes for every published or fulfilled member pledge of branch A (one made here)."""
    from tests.pledges.factories import PledgeFactory

    PledgeFactory(
        campaign=w.campaign,
        owner_member=w.member_a1,
        author=w.users["secretary_a"],
        status=Pledge.Status.PUBLISHED,
    )
    ids = list(
        Pledge.objects.filter(
            organization=w.branch_a,
            owner_member__isnull=False,
            status__in=(Pledge.Status.PUBLISHED, Pledge.Status.FULFILLED),
        ).values_list("pk", flat=True)
    )
    data: dict[str, Any] = {
        "votes-TOTAL_FORMS": len(ids),
        "votes-INITIAL_FORMS": len(ids),
        "votes-MIN_NUM_FORMS": 0,
        "votes-MAX_NUM_FORMS": 1000,
    }
    for i, pk in enumerate(ids):
        data.update({f"votes-{i}-pledge": pk, f"votes-{i}-good": 6, f"votes-{i}-poor": 1})
    return data


def _export_job_of_secretary_a(world: World) -> int:
    """A finished ledger export of secretary_a, its file written (made once per world)."""
    if not hasattr(world, "_export_job"):
        from reports import export_jobs

        job = export_jobs.export_job_create(
            user=world.users["secretary_a"], kind="members", filters=""
        )
        export_jobs.export_job_run(job_id=job.pk)
        world._export_job = job.pk
    return world._export_job


# Monthly report pages: the report of branch A each URL is about — (state, month of 2024).
MONTHLY_STATE = {
    "reports:monthly_detail": ("submitted", 7),
    "reports:monthly_submit": ("draft", 8),
    "reports:monthly_review": ("submitted", 10),
}


def _monthly_report(name: str, world: World) -> int:
    """Branch A's monthly report in the state MONTHLY_STATE names (made once per world and URL
    name), complete enough to be submitted; a submitted one was submitted by secretary_a."""
    made = world.__dict__.setdefault("_monthly_reports", {})
    if name not in made:
        import datetime

        from django.utils import timezone

        from reports.models.monthly import MonthlyReport

        status, month = MONTHLY_STATE[name]
        sent = timezone.now() if status == "submitted" else None
        made[name] = MonthlyReport.objects.create(
            campaign=world.campaign,
            organization=world.branch_a,
            month=datetime.date(2024, month, 1),
            due_date=datetime.date(2024, month + 1, 5),
            status=status,
            main_work="组织党员走访困难群众",
            next_month_plan="开展承诺兑现回头看",
            submitted_by=world.users["secretary_a"] if sent else None,
            submitted_at=sent,
            first_submitted_at=sent,
        ).pk
    return made[name]


def _bulletin_of_committee_a(world: World) -> None:
    """Township committee A's bulletin for September 2024, generated (made once per world)."""
    if not hasattr(world, "_bulletin"):
        import datetime

        from django.core.files.base import ContentFile

        from reports import selectors as report_selectors
        from reports.models.monthly import Bulletin

        month = datetime.date(2024, 9, 1)
        bulletin = Bulletin(
            campaign=world.campaign,
            organization=world.committee_a,
            month=month,
            status=Bulletin.Status.DONE,
            figures=report_selectors.bulletin_figures(
                campaign=world.campaign, committee=world.committee_a, month=month
            ),
        )
        bulletin.pdf.save("bulletin.pdf", ContentFile(b"%PDF-1.4\n% matrix\n"), save=False)
        bulletin.generated_at = bulletin.requested_at
        bulletin.save()
        world._bulletin = bulletin.pk


# Quarterly inspections: a score sheet of five items, a submitted inspection of township
# committee A (2024 Q2, with a rectification and a photo) and a draft (2024 Q3), by the world's
# inspection group; a finished quarterly report of committee A. Made once per world.
ASSESSMENT_PARAMS = (
    "group_id",
    "code",
    "inspection_id",
    "rectification_id",
    "photo_id",
    "report_id",
)
ASSESSMENT_DRAFT_URLS = ("assessments:inspection_edit", "assessments:inspection_submit")


def _assessment_objects(world: World) -> dict[str, int]:
    if not hasattr(world, "_assessment_objects"):
        import datetime

        from django.core.files.base import ContentFile

        from assessments.models import (
            Inspection,
            InspectionPhoto,
            InspectionScore,
            QuarterlyReport,
            Rectification,
            ScoreItem,
        )

        inspector = world.users["inspector"]
        items = [
            ScoreItem.objects.create(campaign=world.campaign, order=n, name=name, weight=20)
            for n, name in enumerate(("组织建设", "创先争优", "党员队伍", "制度落实", "群众满意"))
        ]

        def inspection(quarter: int, status: str) -> Inspection:
            made = Inspection.objects.create(
                campaign=world.campaign,
                group=world.inspection_group,
                organization=world.committee_a,
                year=2024,
                quarter=quarter,
                date=datetime.date(2024, 3 * quarter - 1, 10),
                status=status,
                total_score=90,
                created_by=inspector,
            )
            made.inspectors.add(inspector)
            for item in items:
                InspectionScore.objects.create(inspection=made, item=item, score=18)
            return made

        submitted = inspection(2, Inspection.Status.SUBMITTED)
        draft = inspection(3, Inspection.Status.DRAFT)
        rectification = Rectification.objects.create(
            inspection=submitted, text="完善承诺台账", deadline=datetime.date(2024, 7, 31)
        )
        photo = InspectionPhoto(
            inspection=submitted, original_name="photo.png", size=16, uploaded_by=inspector
        )
        photo.file.save("photo.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8), save=False)
        photo.save()
        report = QuarterlyReport(
            campaign=world.campaign,
            organization=world.committee_a,
            year=2024,
            quarter=2,
            status=QuarterlyReport.Status.DONE,
            pages=1,
            size=9,
        )
        report.file.save("report.pdf", ContentFile(b"%PDF-1.7\n"), save=False)
        report.save()
        world._assessment_objects = {
            "submitted": submitted.pk,
            "draft": draft.pk,
            "rectification": rectification.pk,
            "photo": photo.pk,
            "report": report.pk,
        }
    return world._assessment_objects


def _assessment_object(name: str, param: str, world: World) -> int | str:
    objects = _assessment_objects(world)
    if param == "group_id":
        return world.inspection_group.pk
    if param == "code":
        return world.committee_a.code
    if param == "inspection_id":
        return objects["draft" if name in ASSESSMENT_DRAFT_URLS else "submitted"]
    if param == "rectification_id":
        return objects["rectification"]
    if param == "photo_id":
        return objects["photo"]
    return objects["report"]


def _assessment_state() -> dict[str, list]:
    from assessments.models import Inspection, QuarterlyReport, Rectification, ScoreItem

    return {
        "score_items": list(ScoreItem.objects.order_by("pk").values()),
        "inspections": list(Inspection.objects.order_by("pk").values()),
        "rectifications": list(Rectification.objects.order_by("pk").values()),
        "quarterly_reports": list(QuarterlyReport.objects.order_by("pk").values()),
    }


def _report_quarter_payload(w: World) -> dict[str, Any]:
    from django.utils import timezone

    from assessments.models import quarter_of

    year, quarter = quarter_of(timezone.localdate())
    return {"organization": w.committee_a.pk, "quarter": f"{year}-{quarter}"}


def _score_sheet_payload(w: World) -> dict[str, Any]:
    data: dict[str, Any] = {
        "items-TOTAL_FORMS": 4,
        "items-INITIAL_FORMS": 0,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 30,
    }
    for n, (name, weight) in enumerate(
        (("组织建设", 30), ("创先争优", 20), ("党员队伍", 25), ("群众满意", 25))
    ):
        data.update(
            {f"items-{n}-order": n + 1, f"items-{n}-name": name, f"items-{n}-weight": weight}
        )
    return data


def url_kwargs(name: str, params: tuple[str, ...], world: World) -> dict[str, Any]:
    """Fill a URL's parameters from the fixtures: everything points into branch A / the city
    campaign, so the sibling secretary is always the outsider."""
    values: dict[str, Any] = {}
    if name.startswith("reports:bulletin_") and name != "reports:bulletin_list":
        _bulletin_of_committee_a(world)
    for param in params:
        if name.startswith("assessments:") and param in ASSESSMENT_PARAMS:
            values[param] = _assessment_object(name, param, world)
        elif param == "code" and name.startswith("reports:bulletin_"):
            values[param] = world.committee_a.code
        elif param == "code":
            values[param] = world.branch_a.code
        elif param == "campaign_id":
            values[param] = world.campaign.pk
        elif param == "year" and name.startswith("reports:"):
            values[param] = 2024
        elif param == "month" and name.startswith("reports:"):
            values[param] = 9
        elif param == "pk" and name in MONTHLY_STATE:
            values[param] = _monthly_report(name, world)
        elif param == "pk" and name in ("public:pledge", "public:feedback"):
            values[param] = _public_objects(world)["pledge"]
        elif param == "pk" and name == "public:attachment":
            values[param] = _public_objects(world)["attachment"]
        elif param == "pk" and name == "pledges:feedback_decide":
            values[param] = _public_objects(world)["feedback"]
        elif param == "pk" and name in AUTHORING_STATE:
            values[param] = _authoring_pledge(name, world)
        elif param == "pk" and name in REVIEW_STATE:
            values[param] = _review_object(name, world)
        elif param == "pk" and name == "pledges:attachment":
            values[param] = _public_objects(world)["attachment"]
        elif param == "member_id" and name == "public:member":
            _public_objects(world)  # 张明华's published pledge: the page exists
            values[param] = world.member_a1.pk
        elif param == "member_id" and name.startswith("pledges:print_"):
            values[param] = world.member_self.pk
        elif param == "pk" and name.startswith("campaigns:inbox_"):
            values[param] = _notification_of_secretary_a(world)
        elif param == "pk" and name == "campaigns:organization_role_remove":
            values[param] = world.spare_role.pk
        elif param == "pk" and name.startswith("campaigns:member_"):
            values[param] = world.member_a1.pk
        elif param == "pk" and name in ("reports:export_status", "reports:export_download"):
            values[param] = _export_job_of_secretary_a(world)
        elif param == "token":
            values[param] = _import_upload_of_secretary_a(world)
        elif param == "kind":
            values[param] = "members"
        elif param == "fmt":
            values[param] = "xlsx"
        elif param == "pk":
            values[param] = world.campaign.pk
        elif param == "item" and "contact_point" in name:
            values[param] = world.contact_point.pk
        elif param == "item" and "inspection_group" in name:
            values[param] = world.inspection_group.pk
        else:
            raise AssertionError(f"{name}: no fixture value for URL parameter {param!r}")
    return values


def _import_upload_of_secretary_a(world: World) -> str:
    """A roster with one new member of branch A, uploaded (previewed) by secretary_a."""
    import datetime
    import io

    import openpyxl

    from reports import imports
    from tests.conftest import cast_id

    workbook = openpyxl.Workbook()
    workbook.active.append(["身份证号", "姓名", "性别", "支部代码", "入党日期"])
    workbook.active.append(
        [cast_id(datetime.date(1993, 4, 5), 91), "吴导入", "男", "BR-A", "2016-07-01"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    user = world.users["secretary_a"]
    upload = imports.new_upload(
        user=user, kind="members", name="roster.xlsx", data=buffer.getvalue(), campaign=None
    )
    upload.report = imports.preview(kind="members", actor=user, name=upload.name, data=upload.data)
    imports.store_upload(upload)
    return upload.token


def _notification_of_secretary_a(world: World) -> int:
    from django.utils.translation import gettext_lazy

    from campaigns import inbox

    kind = inbox.KINDS.get("matrix_test") or inbox.register("matrix_test", gettext_lazy("Test"))
    inbox.deliver(
        [inbox.Notice(recipient_id=world.users["secretary_a"].pk, kind=kind, key="m", url="/")]
    )
    return Notification.objects.get(key="m").pk


def url_for(name: str, world: World) -> str:
    route = project_routes()[name]
    url = reverse(name, kwargs=url_kwargs(name, route.params, world))
    return url + QUERY.get(name, lambda w: "")(world)


def outcome(response) -> Expected:
    """The response as a table value."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return response.status_code


def test_every_url_has_declared_expectations() -> None:
    names = set(project_routes())
    missing = sorted(names - set(EXPECTATIONS) - PUBLIC)
    assert not missing, (
        "URL names with no row in EXPECTATIONS (tests/test_authorization_matrix.py): "
        + ", ".join(missing)
    )
    stale = sorted(set(EXPECTATIONS) - names)
    assert not stale, f"EXPECTATIONS names URLs the project no longer has: {', '.join(stale)}"


def test_every_row_covers_every_role() -> None:
    for name, expectations in EXPECTATIONS.items():
        assert set(expectations) == set(ROLES), name


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_get_matrix(world: World, client_as, name: str) -> None:
    url = url_for(name, world)
    mismatches = []
    for role in ROLES:
        response = client_as(role).get(url, **HEADERS.get(name, {}))
        got = outcome(response)
        if got != EXPECTATIONS[name][role]:
            mismatches.append(f"{role}: expected {EXPECTATIONS[name][role]}, got {got}")
    assert not mismatches, f"GET {url} ({name}):\n  " + "\n  ".join(mismatches)


# ---------------------------------------------------------------------------------------------
# POST: refused attempts change nothing
# ---------------------------------------------------------------------------------------------


def db_state() -> dict[str, list]:
    """Everything a campaigns endpoint could change, as plain rows."""
    return {
        "organizations": list(Organization.objects.order_by("pk").values()),
        "members": list(Member.objects.order_by("pk").values()),
        "member_categories": list(
            Member.categories.through.objects.order_by("pk").values_list(
                "member_id", "membercategory_id"
            )
        ),
        "transfers": list(MemberTransfer.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "campaigns": list(Campaign.objects.order_by("pk").values()),
        "phases": list(Phase.objects.order_by("pk").values()),
        "positions": list(LeadershipPosition.objects.order_by("pk").values()),
        "contact_points": list(ContactPoint.objects.order_by("pk").values()),
        "contact_point_orgs": list(
            ContactPoint.organizations.through.objects.order_by("pk").values_list(
                "contactpoint_id", "organization_id"
            )
        ),
        "inspection_groups": list(InspectionGroup.objects.order_by("pk").values()),
        "inspection_group_orgs": list(
            InspectionGroup.organizations.through.objects.order_by("pk").values_list(
                "inspectiongroup_id", "organization_id"
            )
        ),
        "log_entries": list(LogEntry.objects.order_by("pk").values_list("pk", flat=True)),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "notification_preferences": list(NotificationPreference.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
        # The pledge cycle (authoring endpoints).
        "pledges": list(Pledge.objects.order_by("pk").values()),
        "pledge_history": list(PledgeHistory.objects.order_by("pk").values_list("pk", flat=True)),
        "fulfilment_entries": list(FulfilmentEntry.objects.order_by("pk").values()),
        "adjustments": list(PledgeAdjustment.objects.order_by("pk").values()),
        "evaluations": list(Evaluation.objects.order_by("pk").values()),
        # Quarterly inspections, score sheets and reports (assessments app).
        **_assessment_state(),
        # Ledger exports (a POST queues a job).
        "export_jobs": list(ExportJob.objects.order_by("pk").values_list("pk", flat=True)),
        # Monthly reports and bulletins.
        "monthly_reports": list(MonthlyReport.objects.order_by("pk").values()),
        "monthly_history": list(
            MonthlyReportHistory.objects.order_by("pk").values_list("pk", flat=True)
        ),
        "bulletins": list(Bulletin.objects.order_by("pk").values()),
    }


def _member_payload(w: World) -> dict[str, Any]:
    m = w.member_a1
    return {
        "name": "张明华（改）",
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "phone": m.phone,
        "id_number": m.id_number,
        "branch": m.branch_id,
        "status": m.status,
        "joined_on": m.joined_on.isoformat(),
        "post": "村主任",
    }


def _new_member_payload(w: World) -> dict[str, Any]:
    from tests.conftest import cast_id

    birth = m_birth = w.member_a1.birth_date.replace(year=1991)
    return {
        **_member_payload(w),
        "name": "新党员",
        "birth_date": m_birth.isoformat(),
        "id_number": cast_id(birth, 901),
        "phone": "13800009999",
    }


def _campaign_payload(w: World) -> dict[str, Any]:
    c = w.campaign
    return {
        "name": "2024年创先争优活动（修订）",
        "theme": c.theme,
        "sub_theme": c.sub_theme,
        "root_organization": w.city.pk,
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "status": c.status,
        "member_deed_min": 2,
        "member_deed_max": 3,
        "member_rectify_min": 1,
        "member_rectify_max": 2,
        "org_deed_min": 3,
        "org_deed_max": 5,
        "reminder_days_before": "7,1",
        "overdue_escalation_days": 7,
        "review_waiting_days": 5,
        "monthly_report_day": 5,
        "bulletin_day": 10,
        "flag_fulfilment_red_below": 40,
        "flag_fulfilment_amber_below": 60,
        "flag_overdue_red_above": 15,
    }


def _phases_payload(w: World) -> dict[str, Any]:
    phases = w.phases
    data: dict[str, Any] = {
        "phases-TOTAL_FORMS": len(phases),
        "phases-INITIAL_FORMS": len(phases),
        "phases-MIN_NUM_FORMS": 0,
        "phases-MAX_NUM_FORMS": 1000,
    }
    for i, phase in enumerate(phases):
        data.update(
            {
                f"phases-{i}-id": phase.pk,
                f"phases-{i}-order": phase.order,
                f"phases-{i}-name": phase.name + "（改）",
                f"phases-{i}-kind": phase.kind,
                f"phases-{i}-start_date": phase.start_date.isoformat(),
                f"phases-{i}-end_date": phase.end_date.isoformat(),
                f"phases-{i}-description": "",
            }
        )
    return data


def _positions_payload(w: World) -> dict[str, Any]:
    p = w.leadership_position
    return {
        "positions-TOTAL_FORMS": 1,
        "positions-INITIAL_FORMS": 1,
        "positions-MIN_NUM_FORMS": 0,
        "positions-MAX_NUM_FORMS": 1000,
        "positions-0-id": p.pk,
        "positions-0-body": p.body,
        "positions-0-person_name": p.person_name + "（改）",
        "positions-0-title": p.title,
        "positions-0-position": p.position,
        "positions-0-username": "leader",
        "positions-0-order": p.order,
    }


def _contact_point_payload(w: World) -> dict[str, Any]:
    return {
        "leader": w.leadership_position.pk,
        "organizations": f"{w.branch_a.code}\n{w.branch_b.code}",
        "note": "每月走访一次",
    }


def _new_contact_point_payload(w: World) -> dict[str, Any]:
    from tests.factories import LeadershipPositionFactory

    other_leader = LeadershipPositionFactory(
        campaign=w.campaign,
        person_name="刘副组长",
        position=LeadershipPosition.Position.DEPUTY_LEADER,
    )
    return {**_contact_point_payload(w), "leader": other_leader.pk}


def _inspection_group_payload(w: World, name: str = "第一督导检查组") -> dict[str, Any]:
    return {
        "name": name,
        "leader_name": "检查组长",
        "inspectors": "inspector",
        "organizations": f"{w.committee_a.code}\n{w.committee_c.code}",
    }


@dataclass(frozen=True)
class PostCheck:
    payload: Callable[[World], dict[str, Any]]
    # Who must be refused, and how.
    refused: dict[str, Expected]
    # Someone allowed: their POST must change the database (proof the payload is a real attempt).
    allowed: str
    prepare: Callable[[World], None] | None = None


def _deactivate_member_a1(w: World) -> None:
    Member.objects.filter(pk=w.member_a1.pk).update(is_active=False, deactivated_reason="迁出")


# Refusals for an object of branch A / for the city campaign's set-up.
REFUSED_BRANCH_A: dict[str, Expected] = {
    "anonymous": LOGIN,
    "inactive": LOGIN,
    "member_user": 403,
    "secretary_b": 404,
    "leader": 403,
    "inspector": 403,
}
REFUSED_CAMPAIGN: dict[str, Expected] = {
    "anonymous": LOGIN,
    "inactive": LOGIN,
    "member_user": 403,
    "secretary_a": 403,
    "secretary_b": 403,
    "superior": 403,
    "leader": 403,
    "inspector": 403,
}

# Refusals for a member pledge of branch A (authoring endpoints).
REFUSED_PLEDGE_EDIT: dict[str, Expected] = {
    "anonymous": LOGIN,
    "inactive": LOGIN,
    "member_user": 404,
    "secretary_b": 404,
    "office": 403,
    "leader": 403,
    "inspector": 403,
}


def _draft_of_member_a1(w: World) -> None:
    """A complete draft for the branch page's "submit all drafts"."""
    from tests.pledges.factories import PledgeFactory

    PledgeFactory(campaign=w.campaign, owner_member=w.member_a1, author=w.users["secretary_a"])


POST_CHECKS: dict[str, PostCheck] = {
    # Someone else's notification is a 404; "mark all" only ever touches one's own.
    "campaigns:inbox_mark_read": PostCheck(
        payload=lambda w: {},
        refused={"anonymous": LOGIN, "inactive": LOGIN, "secretary_b": 404, "office": 404},
        allowed="secretary_a",
    ),
    "campaigns:inbox_mark_all_read": PostCheck(
        payload=lambda w: {},
        prepare=lambda w: _notification_of_secretary_a(w),
        refused={"anonymous": LOGIN, "inactive": LOGIN, "secretary_b": REDIRECT},
        allowed="secretary_a",
    ),
    "campaigns:inbox_settings": PostCheck(
        payload=lambda w: {"email_digest": "on", "language": "en"},
        refused={"anonymous": LOGIN, "inactive": LOGIN},
        allowed="secretary_a",
    ),
    "campaigns:organization_create": PostCheck(
        payload=lambda w: {
            "parent": w.branch_a.code,
            "name": "甲村第二党小组",
            "code": "GRP-A2",
            "level": Organization.Level.GROUP,
            "unit_kind": Organization.UnitKind.VILLAGE,
            "is_active": "on",
        },
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
    ),
    "campaigns:organization_edit": PostCheck(
        payload=lambda w: {
            "name": "甲村党支部（改）",
            "short_name": "",
            "code": w.branch_a.code,
            "level": w.branch_a.level,
            "unit_kind": w.branch_a.unit_kind,
            "is_active": "on",
        },
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
    ),
    "campaigns:organization_role_add": PostCheck(
        payload=lambda w: {"username": "member_user", "role": RoleAssignment.Role.COMMITTEE_MEMBER},
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
    ),
    "campaigns:organization_role_remove": PostCheck(
        payload=lambda w: {},
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
    ),
    "campaigns:member_create": PostCheck(
        payload=_new_member_payload,
        # Creating in branch A: the sibling secretary's form refuses the branch (no 404: the
        # page is theirs too); leadership and inspectors may not create at all.
        refused={**REFUSED_BRANCH_A, "secretary_b": 200},
        allowed="secretary_a",
    ),
    "campaigns:member_edit": PostCheck(
        payload=_member_payload, refused=REFUSED_BRANCH_A, allowed="secretary_a"
    ),
    "campaigns:member_deactivate": PostCheck(
        payload=lambda w: {"reason": "迁往外地"}, refused=REFUSED_BRANCH_A, allowed="secretary_a"
    ),
    "campaigns:member_reactivate": PostCheck(
        payload=lambda w: {},
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
        prepare=_deactivate_member_a1,
    ),
    "campaigns:member_transfer": PostCheck(
        payload=lambda w: {"to_branch": w.branch_b.code, "reason": "工作调动"},
        refused=REFUSED_BRANCH_A,
        allowed="superior",
    ),
    "campaigns:campaign_create": PostCheck(
        payload=lambda w: {**_campaign_payload(w), "name": "2025年创先争优活动"},
        refused=REFUSED_CAMPAIGN,
        allowed="office",
    ),
    "campaigns:campaign_edit": PostCheck(
        payload=_campaign_payload, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:campaign_phases": PostCheck(
        payload=_phases_payload, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:campaign_leadership": PostCheck(
        payload=_positions_payload, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:contact_point_create": PostCheck(
        payload=_new_contact_point_payload, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:contact_point_edit": PostCheck(
        payload=_contact_point_payload, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:contact_point_delete": PostCheck(
        payload=lambda w: {}, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    "campaigns:inspection_group_create": PostCheck(
        payload=lambda w: _inspection_group_payload(w, name="第二督导检查组"),
        refused=REFUSED_CAMPAIGN,
        allowed="office",
    ),
    "campaigns:inspection_group_edit": PostCheck(
        payload=lambda w: _inspection_group_payload(w, name="第一督导检查组（改）"),
        refused=REFUSED_CAMPAIGN,
        allowed="office",
    ),
    "campaigns:inspection_group_delete": PostCheck(
        payload=lambda w: {}, refused=REFUSED_CAMPAIGN, allowed="office"
    ),
    # Moderation is the committee's (of the pledge's organisation or above): the office, the
    # leadership and inspectors have no committee role, so the comment is outside their scope.
    "pledges:feedback_decide": PostCheck(
        payload=lambda w: {"decision": "approve"},
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_b": 404,
            "office": 404,
            "leader": 404,
            "inspector": 404,
        },
        allowed="secretary_a",
    ),
    # Authoring and fulfilment: the member pledge of branch A in the state AUTHORING_STATE
    # names. A refusal from the workflow about who the user is answers 403.
    "pledges:pledge_create": PostCheck(
        payload=lambda w: {
            "campaign": w.campaign.pk,
            "kind": "deed",
            "term": "annual",
            "content": "为村里修一条便道",
        },
        refused=REFUSED_PLEDGE_EDIT,
        allowed="secretary_a",
    ),
    "pledges:pledge_edit": PostCheck(
        payload=lambda w: {"kind": "deed", "term": "annual", "content": "改过的承诺内容"},
        refused=REFUSED_PLEDGE_EDIT,
        allowed="secretary_a",
    ),
    "pledges:pledge_submit": PostCheck(
        payload=lambda w: {}, refused=REFUSED_PLEDGE_EDIT, allowed="secretary_a"
    ),
    "pledges:pledge_resubmit": PostCheck(
        payload=lambda w: {}, refused=REFUSED_PLEDGE_EDIT, allowed="secretary_a"
    ),
    # Only the author recalls (secretary_a wrote it; the superior did not).
    "pledges:pledge_recall": PostCheck(
        payload=lambda w: {},
        refused={**REFUSED_PLEDGE_EDIT, "superior": 403},
        allowed="secretary_a",
    ),
    "pledges:pledge_withdraw": PostCheck(
        payload=lambda w: {"reason": "该党员已迁出"},
        refused={k: v for k, v in REFUSED_PLEDGE_EDIT.items() if k != "office"},
        allowed="superior",
    ),
    "pledges:entry_add": PostCheck(
        payload=lambda w: {
            "date": w.campaign.start_date.isoformat(),
            "text": "走访三户",
            "progress": 30,
        },
        refused=REFUSED_PLEDGE_EDIT,
        allowed="secretary_a",
    ),
    "pledges:pledge_mark_fulfilled": PostCheck(
        payload=lambda w: {}, refused=REFUSED_PLEDGE_EDIT, allowed="secretary_a"
    ),
    "pledges:self_report": PostCheck(
        payload=lambda w: {"text": "按期完成了承诺"},
        refused=REFUSED_PLEDGE_EDIT,
        allowed="secretary_a",
    ),
    "pledges:adjustment_request": PostCheck(
        payload=lambda w: {
            "content": "调整后的内容",
            "deadline": "2099-12-31",
            "expected_effect": "效果",
            "reason": "上级部署调整",
        },
        refused=REFUSED_PLEDGE_EDIT,
        allowed="secretary_a",
    ),
    "pledges:branch_quick_add": PostCheck(
        payload=lambda w: {
            "owner": w.member_a1.pk,
            "campaign": w.campaign.pk,
            f"m{w.member_a1.pk}-kind": "deed",
            f"m{w.member_a1.pk}-term": "annual",
            f"m{w.member_a1.pk}-content": "为村里修一条便道",
        },
        refused={**REFUSED_BRANCH_A, "office": 403},
        allowed="secretary_a",
    ),
    "pledges:branch_submit_drafts": PostCheck(
        payload=lambda w: {"campaign": w.campaign.pk},
        refused={**REFUSED_BRANCH_A, "office": 403},
        allowed="secretary_a",
        prepare=_draft_of_member_a1,
    ),
    # Review, publication and evaluation (REVIEW_STATE). A refusal from the workflow about who
    # the user is answers 403; a refusal about the pledge's state is shown on the page.
    "pledges:review_pledge": PostCheck(
        payload=lambda w: {"decision": "approve", "comment": "同意"},
        # The office does not review member pledges.
        refused={**REFUSED_BRANCH_A, "office": 403},
        allowed="secretary_a",
    ),
    "pledges:review_bulk_approve": PostCheck(
        payload=lambda w: {"pledge": [_review_object("pledges:review_bulk_approve", w)]},
        # Bulk approval reports each pledge it could not approve (out of scope: "not found";
        # not the reviewing level: "not allowed") and goes back to the queue.
        refused={**REFUSED_BRANCH_A, "secretary_b": REDIRECT, "office": REDIRECT},
        allowed="secretary_a",
    ),
    "pledges:review_publish": PostCheck(
        payload=lambda w: {}, refused=REFUSED_BRANCH_A, allowed="secretary_a"
    ),
    "pledges:review_publish_org": PostCheck(
        payload=lambda w: {
            "expected": Pledge.objects.filter(
                organization=w.branch_a, status=Pledge.Status.APPROVED
            ).count()
        },
        refused=REFUSED_BRANCH_A,
        allowed="secretary_a",
        prepare=_approved_pledge_of_branch_a,
    ),
    "pledges:review_adjustment": PostCheck(
        payload=lambda w: {"decision": "approve", "comment": ""},
        refused={**REFUSED_BRANCH_A, "office": 403},
        allowed="secretary_a",
    ),
    "pledges:review_evaluate": PostCheck(
        payload=lambda w: {"grade": "good"},
        # Only the leadership group and the office confirm grades.
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_b": 404,
            "inspector": 403,
            "secretary_a": 403,
            "superior": 403,
        },
        allowed="leader",
    ),
    "pledges:review_appraisal": PostCheck(
        payload=_appraisal_payload, refused=REFUSED_BRANCH_A, allowed="secretary_a"
    ),
    # Quarterly inspections: only the group's inspectors submit their draft (404 for everyone
    # else: a draft is the group's own); the inspected committee (superior) checks off a
    # rectification, which leadership and the office read but may not (403); the office saves
    # the score sheet; a committee's report is asked for by its committee, office, leadership.
    "assessments:inspection_submit": PostCheck(
        payload=lambda w: {},
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_a": 404,
            "secretary_b": 404,
            "superior": 404,
            "office": 404,
            "leader": 404,
        },
        allowed="inspector",
    ),
    "assessments:rectification_done": PostCheck(
        payload=lambda w: {},
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_a": 404,
            "secretary_b": 404,
            "office": 403,
            "leader": 403,
        },
        allowed="superior",
    ),
    "assessments:score_sheet": PostCheck(
        payload=_score_sheet_payload,
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_a": 403,
            "secretary_b": 403,
            "superior": 403,
            "leader": 403,
            "inspector": 403,
        },
        allowed="office",
    ),
    "assessments:report_generate": PostCheck(
        payload=_report_quarter_payload,
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_a": 403,
            "secretary_b": 403,
            "inspector": 403,
        },
        allowed="superior",
    ),
    # Confirming secretary_a's upload: nobody else may (their own uploads only).
    "reports:import_confirm": PostCheck(
        payload=lambda w: {},
        refused={
            "anonymous": LOGIN,
            "inactive": LOGIN,
            "member_user": 403,
            "secretary_b": 404,
            "office": 404,
            "leader": 403,
            "inspector": 403,
        },
        allowed="secretary_a",
    ),
    # Monthly reports of branch A: its own committee writes and submits; the superior committee
    # (and the office) acknowledges or returns — never secretary_a, who submitted it.
    "reports:monthly_edit": PostCheck(
        payload=lambda w: {"main_work": "组织党员开展承诺践诺", "next_month_plan": "回头看"},
        refused={**REFUSED_BRANCH_A, "superior": 403, "office": 403},
        allowed="secretary_a",
    ),
    "reports:monthly_submit": PostCheck(
        payload=lambda w: {},
        refused={**REFUSED_BRANCH_A, "superior": 403, "office": 403},
        allowed="secretary_a",
    ),
    "reports:monthly_review": PostCheck(
        payload=lambda w: {"decision": "acknowledge", "comment": "已阅"},
        refused={**REFUSED_BRANCH_A, "secretary_a": 403},
        allowed="superior",
    ),
    # Generating township committee A's bulletin: its committee and above, and the office.
    "reports:bulletin_generate": PostCheck(
        payload=lambda w: {},
        refused={**REFUSED_BRANCH_A, "secretary_a": 404},
        allowed="superior",
    ),
    # Preparing a large ledger in the background: any staff user, within their own scope.
    "reports:export_pledges": PostCheck(
        payload=lambda w: {"filters": "status=published"},
        refused={"anonymous": LOGIN, "inactive": LOGIN, "member_user": 403},
        allowed="secretary_a",
    ),
}


def test_every_state_changing_endpoint_has_a_post_check() -> None:
    # Every campaigns URL that is not a plain page must appear in POST_CHECKS.
    read_only = {
        "campaigns:organization_tree",
        "campaigns:organization_search",
        "campaigns:organization_detail",
        "campaigns:organization_children",
        "campaigns:member_list",
        "campaigns:member_org_lookup",
        "campaigns:member_detail",
        "campaigns:campaign_list",
        "campaigns:campaign_detail",
        "campaigns:contact_point_list",
        "campaigns:inspection_group_list",
        "campaigns:inbox",
        "campaigns:inbox_open",
    }
    campaign_urls = {name for name in project_routes() if name.startswith("campaigns:")}
    missing = sorted(campaign_urls - read_only - set(POST_CHECKS))
    assert not missing, f"state-changing URLs without a POST check: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(POST_CHECKS))
def test_post_refused_changes_nothing(world: World, client_as, name: str) -> None:
    check = POST_CHECKS[name]
    if check.prepare:
        check.prepare(world)
    url = url_for(name, world)
    payload = check.payload(world)
    before = db_state()
    mismatches = []
    for role, expected in check.refused.items():
        response = client_as(role).post(url, payload)
        got = outcome(response)
        if got != expected:
            mismatches.append(f"{role}: expected {expected}, got {got}")
        after = db_state()
        changed = [table for table in before if before[table] != after[table]]
        if changed:
            mismatches.append(f"{role}: a refused POST changed {', '.join(changed)}")
            before = after
    assert not mismatches, f"POST {url} ({name}):\n  " + "\n  ".join(mismatches)

    response = client_as(check.allowed).post(url, payload)
    assert response.status_code in (200, 302), response.status_code
    after = db_state()
    assert before != after, (
        f"POST {url} as {check.allowed} changed nothing: the test payload is not a real attempt "
        f"(status {response.status_code}; form errors: {_form_errors(response)})"
    )


def _form_errors(response) -> str:
    context = getattr(response, "context", None)
    if not context:
        return "-"
    found = []
    for key in ("form", "formset"):
        if key in context and context[key] is not None:
            form = context[key]
            errors = getattr(form, "errors", None)
            found.append(f"{key}: {errors}")
            non_form = getattr(form, "non_form_errors", None)
            if non_form:
                found.append(f"{key} non-form: {non_form()}")
    return "; ".join(found) or "-"
