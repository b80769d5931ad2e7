"""Reads for the campaigns app, always scoped to a user.

``access_*`` functions return one object the user may see, or raise ``Http404`` — the same
answer whether the object is missing or outside the user's scope, so nothing leaks.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from campaigns import scope
from campaigns.models import (
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberQuerySet,
    Organization,
    OrganizationQuerySet,
    Phase,
    RoleAssignment,
)

User = get_user_model()


def access_organization_by_code(*, user, code: str) -> Organization:
    org = Organization.objects.visible_to(user).filter(code=code).first()
    if org is None:
        raise Http404
    return org


def access_member_by_id(*, user, member_id: int) -> Member:
    member = (
        Member.objects.visible_to(user)
        .select_related("branch", "outflow_organization", "user")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


def access_campaign_by_id(*, user, campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("root_organization")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


# ---------------------------------------------------------------------------------------------
# Organisations, roles and the home page
# ---------------------------------------------------------------------------------------------

#: Roles that see the campaign overview on the home page rather than "my branches".
OVERVIEW_ROLES = (RoleAssignment.Role.OFFICE, RoleAssignment.Role.LEADERSHIP)


def organization_scope_roots(*, user) -> OrganizationQuerySet:
    """The top organisations of the user's scope: the real roots for a superuser, otherwise the
    outermost organisations the user holds a role on."""
    if user.is_superuser:
        return Organization.objects.filter(depth=1).order_by("path")
    return Organization.objects.filter(path__in=scope.scope_paths(user)).order_by("path")


def organization_children(*, org: Organization) -> OrganizationQuerySet:
    """The direct children of ``org`` (which the caller has already checked the user may see:
    a role covers the whole subtree, so its children are in scope too)."""
    return Organization.objects.filter(depth=org.depth + 1, path__startswith=org.path).order_by(
        "path"
    )


def organization_search(
    *, user, query: str, levels: list[str] | None = None, active_only: bool = False
) -> OrganizationQuerySet:
    """Organisations in the user's scope whose name, short name or code contains ``query``
    (ignoring case), in tree order; optionally only some levels, or only active ones."""
    query = query.strip()
    qs = Organization.objects.visible_to(user)
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__icontains=query)
        )
    if levels:
        qs = qs.filter(level__in=levels)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("path")


def organization_attach_ancestors(*, user, orgs) -> list[Organization]:
    """Set ``ancestor_list`` (root first) and ``in_scope`` on every organisation of a page and
    ``in_scope`` on each ancestor, fetching all the ancestors in one query (never treebeard's
    ``get_ancestors``, a full scan in some versions)."""
    orgs = list(orgs)
    wanted = {path for org in orgs for path in org.ancestor_paths()}
    by_path = {
        anc.path: anc
        for anc in Organization.objects.filter(path__in=wanted).only(
            "id", "path", "depth", "numchild", "name", "short_name", "code", "level", "is_active"
        )
    }
    for anc in by_path.values():
        anc.in_scope = scope.has_role_on(user, anc)
    for org in orgs:
        org.ancestor_list = [by_path[p] for p in org.ancestor_paths() if p in by_path]
        org.in_scope = scope.has_role_on(user, org)
    return orgs


def organization_detail(*, user, org: Organization, member_sample: int = 10) -> dict:
    """What the organisation page shows besides its children: ancestors (with ``in_scope``),
    the number of active members in its subtree and the first few of them, its role
    assignments, and what the user may do here."""
    from campaigns import services  # the rules of who may change what live there

    organization_attach_ancestors(user=user, orgs=[org])
    members = Member.objects.visible_to(user).filter(
        is_active=True, branch__path__startswith=org.path
    )
    return {
        "ancestors": org.ancestor_list,
        "member_count": members.count(),
        "members": list(
            members.select_related("branch").order_by("branch__path", "name", "id")[:member_sample]
        ),
        "direct_member_count": (
            Member.objects.filter(is_active=True, branch=org).count() if org.accepts_members else 0
        ),
        "assignments": list(
            RoleAssignment.objects.filter(organization=org)
            .select_related("user")
            .order_by("role", "user__username")
        ),
        "can_manage": scope.can_manage_org(user, org),
        "can_change_status": services.can_change_org_status(user, org),
        "grantable_roles": services.grantable_roles(actor=user, organization=org),
    }


def access_role_assignment(
    *, user, organization: Organization, assignment_id: int
) -> RoleAssignment:
    """A role assignment on ``organization`` (already checked as visible), or 404."""
    assignment = (
        RoleAssignment.objects.select_related("user", "organization")
        .filter(pk=assignment_id, organization=organization)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def _with_timeline(campaigns: list[Campaign]) -> list[Campaign]:
    """Set ``timeline`` (each prefetched phase with ``state``) and ``current`` (today's phase)."""
    today = timezone.localdate()
    for campaign in campaigns:
        campaign.timeline = sorted(campaign.phases.all(), key=lambda p: (p.order, p.start_date))
        for phase in campaign.timeline:
            phase.state = phase.state_on(today)
        campaign.current = next((p for p in campaign.timeline if p.state == "current"), None)
    return campaigns


def _campaigns_for_home(user, statuses) -> list[Campaign]:
    return _with_timeline(
        list(
            Campaign.objects.visible_to(user)
            .filter(status__in=statuses)
            .select_related("root_organization")
            .prefetch_related("phases")
            .order_by("-start_date", "id")
        )
    )


def home_summary(*, user) -> dict:
    """What the home page shows, by who is looking:

    - ``overview`` (office, leadership, superusers): campaigns not yet closed with their phase
      timelines, and counts of organisations (by level) and members in scope;
    - ``branches`` (committee roles, inspectors): the organisations of the user's roles with
      their member counts, and the campaigns under way;
    - ``member`` (a login without a role): the user's own member record and the campaigns
      under way that it takes part in.

    A fixed handful of aggregate queries, whatever the size of the tree.
    """
    roles = scope.roles_of(user)
    if user.is_superuser or roles & set(OVERVIEW_ROLES):
        org_counts = Organization.objects.visible_to(user).aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(is_active=True)),
            **{
                level: Count("pk", filter=Q(level=level, is_active=True))
                for level in Organization.Level.values
            },
        )
        members = Member.objects.visible_to(user).aggregate(
            active=Count("pk", filter=Q(is_active=True)),
            probationary=Count("pk", filter=Q(is_active=True, status=Member.Status.PROBATIONARY)),
            mobile=Count("pk", filter=Q(is_active=True, outflow_organization__isnull=False)),
        )
        level_counts = [(label, org_counts[value]) for value, label in Organization.Level.choices]
        return {
            "kind": "overview",
            "campaigns": _campaigns_for_home(
                user, [Campaign.Status.ACTIVE, Campaign.Status.PREPARING]
            ),
            "org_counts": org_counts,
            "level_counts": level_counts,
            "member_counts": members,
            "roots": list(organization_scope_roots(user=user)[:20]),
        }

    if roles:
        assignments = list(
            RoleAssignment.objects.filter(user=user, organization__is_active=True)
            .select_related("organization")
            .order_by("organization__path", "role")
        )
        orgs: dict[int, Organization] = {}
        for assignment in assignments:
            org = orgs.setdefault(assignment.organization_id, assignment.organization)
            org.my_roles = [*getattr(org, "my_roles", []), assignment.get_role_display()]
        # One aggregate query counting the members of every subtree at once.
        counts = (
            Member.objects.filter(is_active=True).aggregate(
                **{
                    f"org{pk}": Count("pk", filter=Q(branch__path__startswith=org.path))
                    for pk, org in orgs.items()
                }
            )
            if orgs
            else {}
        )
        for pk, org in orgs.items():
            org.member_count = counts[f"org{pk}"]
        return {
            "kind": "branches",
            "organizations": list(orgs.values()),
            "campaigns": _campaigns_for_home(user, [Campaign.Status.ACTIVE]),
        }

    member = Member.objects.filter(user=user).select_related("branch").first()
    if member is not None:
        organization_attach_ancestors(user=user, orgs=[member.branch])
    return {
        "kind": "member",
        "member": member,
        "campaigns": _campaigns_for_home(user, [Campaign.Status.ACTIVE]) if member else [],
    }


# ---------------------------------------------------------------------------------------------
# Campaign set-up
# ---------------------------------------------------------------------------------------------


# Levels that may organise a campaign (a branch runs its pledges inside a superior's campaign).
CAMPAIGN_ROOT_LEVELS = (Organization.Level.COMMITTEE, Organization.Level.GENERAL_BRANCH)


def can_manage_campaign(user, campaign: Campaign) -> bool:
    """The one rule for changing a campaign's set-up (dates, phases, leadership, contact points,
    inspection groups): the office role on the campaign's root organisation or one of its
    ancestors, or a superuser (``has_role_on`` already lets superusers through)."""
    return scope.has_role_on(user, campaign.root_organization, [RoleAssignment.Role.OFFICE])


def access_campaign_for_change(*, user, campaign_id: int) -> Campaign:
    """The campaign if the user may change it: 404 if they cannot see it at all (nothing leaks),
    403 if they can see it but may not change it."""
    campaign = access_campaign_by_id(user=user, campaign_id=campaign_id)
    if not can_manage_campaign(user, campaign):
        raise PermissionDenied
    return campaign


def office_organizations(*, user) -> OrganizationQuerySet:
    """Organisations in the subtrees where the user holds the office role (all for superusers):
    what the office may change, as opposed to what it may see (``visible_to``)."""
    return Organization.objects.filter(scope.subtree_q(user, "path", [RoleAssignment.Role.OFFICE]))


def manageable_campaigns(*, user) -> QuerySet[Campaign]:
    """Campaigns whose set-up the user may change (see ``can_manage_campaign``), as a query."""
    return Campaign.objects.filter(
        scope.subtree_q(user, "root_organization__path", [RoleAssignment.Role.OFFICE])
    )


def campaign_root_choices(*, user) -> OrganizationQuerySet:
    """Organisations that may organise a campaign for this user: committees and general
    branches inside the subtrees where the user holds the office role."""
    return (
        office_organizations(user=user)
        .filter(level__in=CAMPAIGN_ROOT_LEVELS, is_active=True)
        .order_by("path")
    )


def campaign_list(*, user) -> list[Campaign]:
    """Campaigns the user may see, newest first, each with ``current`` (today's phase or None)
    and ``can_manage`` set, in two queries whatever the number of campaigns."""
    today = timezone.localdate()
    campaigns = list(
        Campaign.objects.visible_to(user)
        .select_related("root_organization")
        .prefetch_related("phases")
    )
    for campaign in campaigns:
        campaign.current = next(
            (p for p in campaign.phases.all() if p.start_date <= today <= p.end_date), None
        )
        campaign.can_manage = can_manage_campaign(user, campaign)
    return campaigns


def campaign_phases(*, campaign: Campaign) -> list[Phase]:
    """The campaign's phases in order, each with ``state`` (past/current/upcoming) for today
    and ``days_done`` of ``days_total``."""
    today = timezone.localdate()
    phases = list(campaign.phases.order_by("order", "start_date"))
    for phase in phases:
        phase.state = phase.state_on(today)
        # Day n of N, for the progress bar of the current phase.
        phase.days_total = (phase.end_date - phase.start_date).days + 1
        phase.days_done = min(max((today - phase.start_date).days + 1, 0), phase.days_total)
    return phases


def campaign_positions(*, campaign: Campaign) -> dict[str, list[LeadershipPosition]]:
    """Leadership group and office, each in rank order (group leader first, then deputies…)."""
    rank = {code: i for i, code in enumerate(LeadershipPosition.Position.values)}
    grouped: dict[str, list[LeadershipPosition]] = {
        LeadershipPosition.Body.LEADERSHIP_GROUP: [],
        LeadershipPosition.Body.OFFICE: [],
    }
    positions = campaign.positions.select_related("user")
    for position in sorted(positions, key=lambda p: (rank.get(p.position, 99), p.order, p.id)):
        grouped.setdefault(position.body, []).append(position)
    return grouped


def campaign_contact_points(*, campaign: Campaign) -> list[ContactPoint]:
    """Contact points with their leader and organisations (one query each)."""
    return list(
        campaign.contact_points.select_related("leader").prefetch_related(
            Prefetch("organizations", queryset=Organization.objects.order_by("path"))
        )
    )


def campaign_inspection_groups(
    *, campaign: Campaign, with_organizations: bool = False
) -> list[InspectionGroup]:
    """Inspection groups with ``org_count`` and ``inspector_count`` and their inspectors; the
    organisations themselves (possibly hundreds per group) only ``with_organizations``."""
    groups = (
        campaign.inspection_groups.annotate(
            org_count=Count("organizations", distinct=True),
            inspector_count=Count("inspectors", distinct=True),
        )
        .prefetch_related(Prefetch("inspectors", queryset=User.objects.order_by("username")))
        .order_by("name")
    )
    if with_organizations:
        groups = groups.prefetch_related(
            Prefetch("organizations", queryset=Organization.objects.order_by("path"))
        )
    return list(groups)


def access_contact_point(*, campaign: Campaign, contact_point_id: int) -> ContactPoint:
    """A contact point of this campaign (the campaign was already checked), or 404."""
    item = (
        campaign.contact_points.select_related("leader")
        .prefetch_related("organizations")
        .filter(pk=contact_point_id)
        .first()
    )
    if item is None:
        raise Http404
    return item


def access_inspection_group(*, campaign: Campaign, group_id: int) -> InspectionGroup:
    """An inspection group of this campaign (the campaign was already checked), or 404."""
    item = (
        campaign.inspection_groups.prefetch_related("organizations", "inspectors")
        .filter(pk=group_id)
        .first()
    )
    if item is None:
        raise Http404
    return item


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPrivateFields:
    """A member's private fields as one user may see them: real values only when ``unmasked``."""

    unmasked: bool
    phone: str
    id_number: str
    birth_date: datetime.date | None  # None when masked: templates then show ``birth_year``
    birth_year: int | None


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; landlines keep their first three and last four too."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def member_private_fields(*, user, member: Member) -> MemberPrivateFields:
    """The private fields of ``member`` for ``user``, masked unless ``scope.can_view_private``.

    ``can_view_private`` reads the user's role paths cached on the request's user object, so calling
    this once per row of a list costs no query (the member's branch must be select_related)."""
    if scope.can_view_private(user, member):
        return MemberPrivateFields(
            unmasked=True,
            phone=member.phone,
            id_number=member.id_number,
            birth_date=member.birth_date,
            birth_year=member.birth_date.year if member.birth_date else None,
        )
    return MemberPrivateFields(
        unmasked=False,
        phone=mask_phone(member.phone),
        id_number=member.masked_id_number,
        birth_date=None,
        birth_year=member.birth_date.year if member.birth_date else None,
    )


def member_search_q(*, user, term: str) -> Q:
    """The search box of the member list: a name fragment for everyone; an exact ID number or
    phone number only among members whose private fields the user may see.

    Matching a private value the user would otherwise see masked would let them confirm a
    masked number by guessing it, so those matches are limited to the private-field scope (the
    queryset being searched is already limited to the user's visible members)."""
    term = term.strip()
    if not term:
        return Q()
    q = Q(name__icontains=term)
    if not member_private_search_allowed(user=user):
        return q
    private_scope = scope.subtree_q(user, "branch__path", RoleAssignment.PRIVATE_FIELD_ROLES)
    id_number = normalize_id_number(term)
    private = Q(phone=term)
    if _ID_LIKE_RE.match(id_number):
        private |= Q(id_number=id_number)
    return q | (private & private_scope)


def member_private_search_allowed(*, user) -> bool:
    """Whether the search box also matches ID numbers and phones (some private-field scope)."""
    return user.is_superuser or bool(scope.scope_paths(user, RoleAssignment.PRIVATE_FIELD_ROLES))


_ID_LIKE_RE = re.compile(r"^\d{17}[\dX]$")


def normalize_id_number(value: str) -> str:
    """ID numbers are stored upper-case without spaces (people type ``x`` and group digits)."""
    return re.sub(r"\s+", "", value or "").upper()


def member_list_queryset(*, user, org: Organization | None = None) -> MemberQuerySet:
    """Members the user may see, ordered by branch path then name, ready for a page of rows.

    With ``org`` (already access-checked), only members of its subtree — and mobile members who
    flowed out of it, who stay visible to their outflow organisation."""
    members = Member.objects.visible_to(user)
    if org is not None:
        members = members.filter(
            Q(branch__path__startswith=org.path)
            | Q(outflow_organization__path__startswith=org.path)
        )
    return (
        members.select_related("branch", "outflow_organization")
        .prefetch_related("categories")
        .order_by("branch__path", "name", "id")
    )


def member_decorate(*, user, members: Iterable[Member]) -> list[Member]:
    """Attach ``private`` (:class:`MemberPrivateFields`), ``branch_trail`` (the branch's short
    path) and ``branch_full_path`` to each member of a page, in one query for all the names."""
    members = list(members)
    branches = {m.branch.path: m.branch for m in members}
    names = organization_names(
        path for branch in branches.values() for path in branch.ancestor_paths()
    )
    for member in members:
        member.private = member_private_fields(user=user, member=member)
        member.branch_trail, member.branch_full_path = _trail(member.branch, names)
    return members


def organization_names(paths: Iterable[str]) -> dict[str, str]:
    """``path → display name`` for the given paths, in one query."""
    wanted = set(paths)
    if not wanted:
        return {}
    rows = Organization.objects.filter(path__in=wanted).values_list("path", "name", "short_name")
    return {path: short_name or name for path, name, short_name in rows}


_TRAIL_ANCESTORS = 2  # ancestors shown before the branch in lists (below the root)


def _trail(org: Organization, names: dict[str, str]) -> tuple[str, str]:
    """A short trail (the nearest ancestors below the root, then the organisation) and the full
    path, both as ``A › B › C``."""
    ancestors = [names[p] for p in org.ancestor_paths() if p in names]
    full = " › ".join([*ancestors, org.display_name])
    short = " › ".join([*ancestors[1:][-_TRAIL_ANCESTORS:], org.display_name])
    return short, full


def can_create_members(*, user, org: Organization | None = None) -> bool:
    """Whether to offer "new member": the user manages ``org`` (or, without one, anything)."""
    if org is not None:
        return scope.can_manage_org(user, org)
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(scope.scope_paths(user, RoleAssignment.MANAGE_ROLES))


def member_branch_choices(*, user, current: Organization | None = None) -> OrganizationQuerySet:
    """Branches and groups a member may be attached to by this user: active, in the user's manage
    scope. ``current`` (the member's present branch) is kept so an unchanged value validates even
    when the user manages the member only through its outflow organisation."""
    choices = Organization.objects.visible_to(user).filter(
        scope.subtree_q(user, "path", RoleAssignment.MANAGE_ROLES),
        is_active=True,
        level__in=Organization.MEMBER_LEVELS,
    )
    if current is not None:
        choices = choices | Organization.objects.filter(pk=current.pk)
    return choices.order_by("path")


def member_detail_context(*, user, member: Member) -> dict:
    """Everything the member page shows besides the member itself (already access-checked)."""
    transfers = list(
        member.transfers.select_related("from_branch", "to_branch", "actor").order_by(
            "-created_at", "-id"
        )
    )
    paths = set(member.branch.ancestor_paths())
    if member.outflow_organization is not None:
        paths.update(member.outflow_organization.ancestor_paths())
    names = organization_names(paths)
    member.private = member_private_fields(user=user, member=member)
    member.branch_trail, member.branch_full_path = _trail(member.branch, names)
    outflow_path = (
        _trail(member.outflow_organization, names)[1] if member.outflow_organization else ""
    )
    return {
        "categories": list(member.categories.all()),
        "transfers": transfers,
        "outflow_full_path": outflow_path,
        "history": member_history(member=member),
        # Organisation pages are linked only when the user may open them (else they would 404).
        "branch_in_scope": scope.has_role_on(user, member.branch),
        "outflow_in_scope": member.outflow_organization is not None
        and scope.has_role_on(user, member.outflow_organization),
        "can_manage": scope.can_manage_member(user, member),
        # A transfer needs the member's current branch (not only the outflow organisation).
        "can_transfer": member.is_active and scope.can_manage_org(user, member.branch),
    }


def member_history(*, member: Member, limit: int = 20) -> list[LogEntry]:
    """The latest audit entries the member services wrote (who, when, what), newest first."""
    content_type = ContentType.objects.get_for_model(Member)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_id=str(member.pk))
        .select_related("user")
        .order_by("-action_time", "-id")[:limit]
    )


def organization_by_code(*, code: str) -> Organization | None:
    """Any active organisation by its code, whatever the user's scope, for fields where the
    organisation lies elsewhere by nature (a mobile member's outflow organisation, a transfer
    target). Organisation names and codes are public; nothing about members is read here."""
    code = (code or "").strip()
    if not code:
        return None
    return Organization.objects.filter(code__iexact=code, is_active=True).first()


def transfer_target_search(*, query: str, limit: int = 20) -> list[dict]:
    """Active branches and groups anywhere in the city matching a name fragment or a code, as
    ``{"id", "name", "code", "path"}`` dicts (``path``: the names of its ancestors, root first).

    A member can move across districts, so the target is searched outside the actor's scope;
    that is why this returns only public organisation data and never touches members."""
    return organization_directory_search(
        query=query, levels=list(Organization.MEMBER_LEVELS), limit=limit
    )


def organization_directory_search(
    *, query: str, levels: list[str] | None = None, limit: int = 20
) -> list[dict]:
    """Active organisations anywhere in the city (not only in the user's scope) whose name,
    short name or code matches, with public fields only (see ``transfer_target_search``):
    for a mobile member's outflow organisation and for transfer targets."""
    term = (query or "").strip()
    if not term:
        return []
    orgs = Organization.objects.filter(is_active=True).filter(
        Q(name__icontains=term) | Q(short_name__icontains=term) | Q(code__iexact=term)
    )
    if levels:
        orgs = orgs.filter(level__in=levels)
    rows = list(
        orgs.order_by("path").values("id", "name", "short_name", "code", "path", "level")[:limit]
    )
    return _with_trails(rows)


def transfer_target_for_display(*, code: str) -> dict | None:
    """The same public fields for one organisation chosen earlier (to keep it checked)."""
    row = (
        Organization.objects.filter(code__iexact=(code or "").strip(), is_active=True)
        .values("id", "name", "short_name", "code", "path", "level")
        .first()
    )
    return _with_trails([row])[0] if row else None


def _with_trails(rows: list[dict]) -> list[dict]:
    step = Organization.steplen
    names = organization_names(
        row["path"][:pos] for row in rows for pos in range(step, len(row["path"]), step)
    )
    result = []
    for row in rows:
        path = row["path"]
        trail = [names[path[:pos]] for pos in range(step, len(path), step) if path[:pos] in names]
        result.append(
            {
                "id": row["id"],
                "name": row["name"],
                "code": row["code"],
                "level": Organization.Level(row["level"]).label,
                "path": " › ".join(trail),
            }
        )
    return result


def member_visible(*, user, member_id: int) -> bool:
    """Whether the user can still see the member (e.g. after transferring them away)."""
    return Member.objects.visible_to(user).filter(pk=member_id).exists()
