"""Writes of the campaigns app. Each service states the rule it enforces, checks the actor's
scope, and runs in one transaction."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401
from django.db import IntegrityError, transaction  # noqa: F401
from django.db.models import ProtectedError, Q
from django.utils import formats
from django.utils.translation import gettext as _  # noqa: F401
from django.utils.translation import ngettext

from campaigns import scope  # noqa: F401
from campaigns.models import (  # noqa: F401
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberCategory,
    MemberTransfer,
    Organization,
    Phase,
    RoleAssignment,
)
from campaigns.people import person_name
from campaigns.selectors import CAMPAIGN_ROOT_LEVELS, can_manage_campaign, normalize_id_number

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# ---------------------------------------------------------------------------------------------
# Organisations and roles
# ---------------------------------------------------------------------------------------------

#: The levels of the tree, top first. A child may sit at its parent's level (a township
#: committee under a county committee) or below it, never above it.
LEVEL_RANK: dict[str, int] = {
    Organization.Level.COMMITTEE: 0,
    Organization.Level.GENERAL_BRANCH: 1,
    Organization.Level.BRANCH: 2,
    Organization.Level.GROUP: 3,
}

#: Roles only the campaign office (or a superuser) may grant or revoke: they open wide read
#: access (leadership, inspectors) or the set-up of campaigns (office).
OFFICE_GRANTED_ROLES = (
    RoleAssignment.Role.OFFICE,
    RoleAssignment.Role.LEADERSHIP,
    RoleAssignment.Role.INSPECTOR,
)


def audit(*, actor: User, obj, flag: int, message: str) -> None:
    """Record a change in Django's admin log, so it shows in the object's admin history."""
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def allowed_child_levels(parent: Organization | None) -> list[str]:
    """The levels a new organisation may have under ``parent`` (any level for a root)."""
    if parent is None:
        return list(LEVEL_RANK)
    return [level for level, rank in LEVEL_RANK.items() if rank >= LEVEL_RANK[parent.level]]


def organization_code_taken(code: str, *, exclude_pk: int | None = None) -> bool:
    """Codes are unique regardless of case, since they appear in public addresses and QR codes."""
    qs = Organization.objects.filter(code__iexact=code.strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def can_change_org_status(user, org: Organization) -> bool:
    """An organisation's level and active flag are decided by its superior: whoever manages its
    parent (a superuser for a root). A branch secretary cannot deactivate their own branch."""
    parent_path = org.path[: -org.steplen]
    if not parent_path:
        return bool(getattr(user, "is_superuser", False) and user.is_active)
    return any(
        parent_path.startswith(path)
        for path in scope.scope_paths(user, RoleAssignment.MANAGE_ROLES)
    ) or bool(getattr(user, "is_superuser", False) and user.is_active)


def _check_level(*, level: str, parent: Organization | None) -> None:
    if level not in LEVEL_RANK:
        raise ValidationError({"level": _("Choose a valid level.")})
    if parent is not None and LEVEL_RANK[level] < LEVEL_RANK[parent.level]:
        raise ValidationError(
            {
                "level": _(
                    "A %(level)s cannot be placed under a %(parent_level)s: a sub-organisation "
                    "cannot rank above its parent."
                )
                % {
                    "level": Organization.Level(level).label,
                    "parent_level": Organization.Level(parent.level).label,
                }
            }
        )


_ORG_FIELDS = ("name", "short_name", "code", "level", "unit_kind", "is_active")


@transaction.atomic
def organization_create(*, parent: Organization | None, actor: User, **fields) -> Organization:
    """Create an organisation under ``parent``.

    Rules: the actor manages ``parent`` (committee roles or the office on it or above); only a
    superuser creates a root (``parent`` None); the parent is active; the new level does not rank
    above the parent's; the code is unique (ignoring case).
    """
    unknown = set(fields) - set(_ORG_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if parent is None:
        if not (actor.is_active and actor.is_superuser):
            raise PermissionDenied(_("Only an administrator can create a top-level organisation."))
    else:
        if not scope.can_manage_org(actor, parent):
            raise PermissionDenied(_("You may not add sub-organisations here."))
        if not parent.is_active:
            raise ValidationError(
                _("“%(org)s” is inactive: activate it before adding sub-organisations.")
                % {"org": parent.name}
            )
    _check_level(level=fields.get("level", ""), parent=parent)
    fields["code"] = (fields.get("code") or "").strip()
    if organization_code_taken(fields["code"]):
        raise ValidationError(
            {
                "code": _("The code “%(code)s” is already used by another organisation.")
                % {"code": fields["code"]}
            }
        )
    org = Organization(**fields)
    # Validate the fields the form may not have covered (lengths, slug format, choices). The
    # tree fields are filled in by treebeard.
    org.full_clean(exclude=["path", "depth", "numchild"], validate_unique=False)
    # treebeard locks the parent row, so concurrent additions to one parent get distinct paths.
    org = (
        Organization.objects.add_child(parent, instance=org)
        if parent is not None
        else Organization.objects.add_root(instance=org)
    )
    audit(actor=actor, obj=org, flag=ADDITION, message=_("Created in the portal."))
    return org


@transaction.atomic
def organization_update(*, org: Organization, actor: User, **fields) -> Organization:
    """Change an organisation's fields (never its place in the tree).

    Rules: the actor manages the organisation; the level and the active flag are changed only by
    whoever manages the parent (``can_change_org_status``); the level stays at or below the
    parent's and at or above every child's; an organisation whose subtree still has active
    members cannot be deactivated; the code stays unique (ignoring case).
    """
    unknown = set(fields) - set(_ORG_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if not scope.can_manage_org(actor, org):
        raise PermissionDenied(_("You may not change this organisation."))
    changes_status = ("level" in fields and fields["level"] != org.level) or (
        "is_active" in fields and fields["is_active"] != org.is_active
    )
    if changes_status and not can_change_org_status(actor, org):
        raise PermissionDenied(
            _("Only the superior organisation can change this organisation's level or status.")
        )
    if "level" in fields and fields["level"] != org.level:
        parent = org.get_parent()
        _check_level(level=fields["level"], parent=parent)
        child_levels = set(
            Organization.objects.filter(depth=org.depth + 1, path__startswith=org.path)
            .values_list("level", flat=True)
            .distinct()
        )
        too_low = [lv for lv in child_levels if LEVEL_RANK[lv] < LEVEL_RANK[fields["level"]]]
        if too_low:
            raise ValidationError(
                {
                    "level": _(
                        "This organisation has sub-organisations of level “%(child)s”, which "
                        "cannot rank above it."
                    )
                    % {"child": Organization.Level(too_low[0]).label}
                }
            )
    if fields.get("is_active") is False and org.is_active:
        active_members = Member.objects.filter(
            is_active=True, branch__path__startswith=org.path
        ).count()
        if active_members:
            raise ValidationError(
                {
                    "is_active": ngettext(
                        "“%(org)s” still has %(count)d active member in it or below it: "
                        "transfer or deactivate them first.",
                        "“%(org)s” still has %(count)d active members in it or below it: "
                        "transfer or deactivate them first.",
                        active_members,
                    )
                    % {"org": org.name, "count": active_members}
                }
            )
    if "code" in fields:
        fields["code"] = fields["code"].strip()
        if organization_code_taken(fields["code"], exclude_pk=org.pk):
            raise ValidationError(
                {
                    "code": _("The code “%(code)s” is already used by another organisation.")
                    % {"code": fields["code"]}
                }
            )
    changed = [name for name, value in fields.items() if getattr(org, name) != value]
    for name in changed:
        setattr(org, name, fields[name])
    if changed:
        org.full_clean(exclude=["path", "depth", "numchild"], validate_unique=False)
        org.save(update_fields=changed)
        audit(
            actor=actor,
            obj=org,
            flag=CHANGE,
            message=_("Changed %(fields)s.") % {"fields": ", ".join(changed)},
        )
    return org


def grantable_roles(*, actor: User, organization: Organization) -> list[str]:
    """The roles ``actor`` may grant or revoke on ``organization``: nothing unless they manage
    it; committee roles for its committees; every role for the office and superusers."""
    if not scope.can_manage_org(actor, organization):
        return []
    roles = list(RoleAssignment.COMMITTEE_ROLES)
    if scope.has_role_on(actor, organization, [RoleAssignment.Role.OFFICE]):
        roles += list(OFFICE_GRANTED_ROLES)
    return roles


@transaction.atomic
def role_grant(*, organization: Organization, user: User, role: str, actor: User) -> RoleAssignment:
    """Give ``user`` a role on ``organization`` (covering its subtree).

    Rules: the actor manages the organisation; office, leadership and inspector roles are
    granted only by the office (on the organisation or above) or a superuser; nobody but a
    superuser changes their own roles; the organisation and the user are active; a user holds
    a given role on an organisation once.
    """
    if role not in RoleAssignment.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if not scope.can_manage_org(actor, organization):
        raise PermissionDenied(_("You may not manage roles on this organisation."))
    if role not in grantable_roles(actor=actor, organization=organization):
        raise PermissionDenied(_("Only the campaign office can grant this role."))
    if user.pk == actor.pk and not actor.is_superuser:
        raise PermissionDenied(
            _("You cannot change your own roles; ask your superior organisation.")
        )
    if not organization.is_active:
        raise ValidationError(_("Roles cannot be granted on an inactive organisation."))
    if not user.is_active:
        raise ValidationError({"username": _("This login is disabled.")})
    if RoleAssignment.objects.filter(user=user, organization=organization, role=role).exists():
        raise ValidationError(
            _("%(user)s already holds this role here.") % {"user": person_name(user)}
        )
    assignment = RoleAssignment.objects.create(user=user, organization=organization, role=role)
    scope.forget(user)
    audit(
        actor=actor,
        obj=organization,
        flag=CHANGE,
        message=_("Granted %(role)s to %(user)s.")
        % {"role": assignment.get_role_display(), "user": user.get_username()},
    )
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: User) -> None:
    """Take a role away.

    Rules: the same as granting it (the actor manages the organisation, and office, leadership
    and inspector roles are revoked only by the office or a superuser); nobody but a superuser
    revokes their own role, so no one locks themself out by mistake.
    """
    organization = assignment.organization
    if not scope.can_manage_org(actor, organization):
        raise PermissionDenied(_("You may not manage roles on this organisation."))
    if assignment.role not in grantable_roles(actor=actor, organization=organization):
        raise PermissionDenied(_("Only the campaign office can revoke this role."))
    if assignment.user_id == actor.pk and not actor.is_superuser:
        raise PermissionDenied(
            _("You cannot change your own roles; ask your superior organisation.")
        )
    message = _("Revoked %(role)s from %(user)s.") % {
        "role": assignment.get_role_display(),
        "user": assignment.user.get_username(),
    }
    assignment.delete()
    scope.forget(assignment.user)
    audit(actor=actor, obj=organization, flag=CHANGE, message=message)


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


# Fields a member form may set through member_create / member_update.
MEMBER_FIELDS = frozenset(
    {
        "name",
        "gender",
        "birth_date",
        "phone",
        "id_number",
        "branch",
        "status",
        "joined_on",
        "post",
        "categories",
        "outflow_organization",
    }
)

PRIVATE_MEMBER_FIELDS = ("phone", "id_number", "birth_date")


def _id_birth_date(id_number: str) -> datetime.date | None:
    """The date of birth embedded in an 18-character ID number (None if it has none)."""
    try:
        return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, IndexError):
        return None


def _mobile_category() -> MemberCategory:
    category, _created = MemberCategory.objects.get_or_create(code=MemberCategory.Code.MOBILE)
    return category


def _log_member(actor, member: Member, flag: int, message: str) -> None:
    """One audit row per change (who, when, what: shown on the member page and in the admin
    history). Never put private field values in ``message``."""
    audit(actor=actor, obj=member, flag=flag, message=message)


def _lock_member(member: Member) -> Member:
    return (
        # Lock the member row only: PostgreSQL refuses FOR UPDATE on the nullable side of the
        # outer join that the optional outflow organisation needs.
        Member.objects.select_for_update(of=("self",))
        .select_related("branch", "outflow_organization")
        .get(pk=member.pk)
    )


def _member_validate(
    member: Member, categories: list[MemberCategory], *, previous: Member | None
) -> None:
    """The rules shared by create and update; ``member`` already carries the new values."""
    errors: dict[str, list] = {}
    member.name = (member.name or "").strip()
    member.phone = re.sub(r"\s+", "", member.phone or "")
    member.id_number = normalize_id_number(member.id_number)

    embedded = _id_birth_date(member.id_number)
    if member.birth_date is None and embedded is not None:
        member.birth_date = embedded
    elif member.birth_date is None:
        errors["birth_date"] = [_("Enter the date of birth.")]
    elif embedded is not None and member.birth_date != embedded:
        errors["birth_date"] = [
            _("The date of birth differs from the one in the ID number (%(date)s).")
            % {"date": embedded.isoformat()}
        ]

    # The 17th character of an ID number is odd for men and even for women (GB 11643).
    if len(member.id_number) == 18 and member.id_number[16].isdigit() and member.gender:
        id_gender = Member.Gender.MALE if int(member.id_number[16]) % 2 else Member.Gender.FEMALE
        if member.gender != id_gender:
            errors["gender"] = [
                _("The gender differs from the one in the ID number (%(gender)s).")
                % {"gender": id_gender.label}
            ]

    if (
        member.branch_id
        and not member.branch.is_active
        and (previous is None or previous.branch_id != member.branch_id)
    ):
        errors["branch"] = [_("This organisation is no longer active.")]

    is_mobile = any(c.code == MemberCategory.Code.MOBILE for c in categories)
    if is_mobile and member.outflow_organization_id is None:
        errors["outflow_organization"] = [
            _("A mobile member needs the organisation they came from (the outflow organisation).")
        ]
    elif not is_mobile and member.outflow_organization_id is not None:
        errors["outflow_organization"] = [
            _("Only a mobile member has an outflow organisation; tick “Mobile member” or clear it.")
        ]
    elif (
        member.outflow_organization_id is not None
        and not member.outflow_organization.is_active
        and (previous is None or previous.outflow_organization_id != member.outflow_organization_id)
    ):
        errors["outflow_organization"] = [_("This organisation is no longer active.")]

    # The message says only that the number is taken: never whose it is or where they are.
    if (
        member.id_number
        and Member.objects.filter(id_number=member.id_number).exclude(pk=member.pk).exists()
    ):
        errors["id_number"] = [_("This ID number is already registered.")]

    try:
        # Fields already refused above are left out, so each gets one clear message.
        member.full_clean(exclude=list(errors), validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _member_save(member: Member) -> None:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        # Two people registering the same number at once: the unique index catches the second.
        raise ValidationError({"id_number": _("This ID number is already registered.")}) from None


@transaction.atomic
def member_create(*, actor, **fields) -> Member:
    """Register a member in a branch or group the actor manages (committee roles or the office on
    it or an ancestor). The ID number is normalised and unique, the date of birth agrees with
    it (taken from it when left empty), and a mobile member has an outflow organisation."""
    unknown = set(fields) - MEMBER_FIELDS
    if unknown:
        raise TypeError(f"member_create() got unexpected fields: {sorted(unknown)}")
    categories = list(fields.pop("categories", None) or [])
    member = Member(**fields)
    if member.branch_id is None:
        raise ValidationError({"branch": _("Choose the member's party branch or group.")})
    if not scope.can_manage_org(actor, member.branch):
        raise PermissionDenied(_("You cannot add members to this organisation."))
    _member_validate(member, categories, previous=None)
    _member_save(member)
    member.categories.set(categories)
    _log_member(actor, member, ADDITION, _("Member registered."))
    return member


@transaction.atomic
def member_update(*, member: Member, actor, **fields) -> Member:
    """Change a member's details. The actor must manage the member (their branch, or their
    outflow organisation for a mobile member); moving them to another branch here also needs
    the current and the new branch to be in the actor's manage scope, and is recorded as a
    transfer like one made on the transfer page."""
    unknown = set(fields) - MEMBER_FIELDS
    if unknown:
        raise TypeError(f"member_update() got unexpected fields: {sorted(unknown)}")
    previous = _lock_member(member)
    if not scope.can_manage_member(actor, previous):
        raise PermissionDenied(_("You cannot change this member."))
    updated = _lock_member(member)  # a second copy keeps ``previous`` intact for comparisons
    previous_categories = set(previous.categories.all())
    categories = fields.pop("categories", None)
    categories = list(previous_categories) if categories is None else list(categories)
    for name, value in fields.items():
        setattr(updated, name, value)
    if not scope.can_view_private(actor, previous) and any(
        getattr(previous, name) != getattr(updated, name) for name in PRIVATE_MEMBER_FIELDS
    ):
        # Those who see them masked (the outflow organisation) may not change them either.
        raise PermissionDenied(_("You cannot change this member's private fields."))
    moved = updated.branch_id != previous.branch_id
    if moved and not (
        scope.can_manage_org(actor, previous.branch) and scope.can_manage_org(actor, updated.branch)
    ):
        raise PermissionDenied(_("You cannot move this member to that organisation."))
    _member_validate(updated, categories, previous=previous)
    _member_save(updated)
    updated.categories.set(categories)
    if moved:
        MemberTransfer.objects.create(
            member=updated,
            from_branch=previous.branch,
            to_branch=updated.branch,
            reason=_("Branch changed while editing the member's details."),
            actor=actor,
        )
    changed = [
        str(Member._meta.get_field(name).verbose_name)
        for name in sorted(fields)
        if getattr(previous, name) != getattr(updated, name)
    ]
    if set(categories) != previous_categories:
        changed.append(str(Member._meta.get_field("categories").verbose_name))
    _log_member(
        actor,
        updated,
        CHANGE,
        _("Details changed: %(fields)s.") % {"fields": ", ".join(changed)}
        if changed
        else _("Details saved."),
    )
    return updated


@transaction.atomic
def member_deactivate(*, member: Member, actor, reason: str) -> Member:
    """Take a member off the active roll (moved away, died, left the party…) with a reason. The
    record and its history stay; only those who manage the member may do it."""
    locked = _lock_member(member)
    if not scope.can_manage_member(actor, locked):
        raise PermissionDenied(_("You cannot change this member."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for deactivating this member.")})
    if not locked.is_active:
        raise ValidationError(_("This member is already deactivated."))
    locked.is_active = False
    locked.deactivated_reason = reason[:200]
    locked.save(update_fields=["is_active", "deactivated_reason", "updated_at"])
    _log_member(actor, locked, CHANGE, _("Deactivated: %(reason)s") % {"reason": reason[:200]})
    return locked


@transaction.atomic
def member_reactivate(*, member: Member, actor) -> Member:
    """Put a deactivated member back on the active roll (the reason is kept in the history)."""
    locked = _lock_member(member)
    if not scope.can_manage_member(actor, locked):
        raise PermissionDenied(_("You cannot change this member."))
    if locked.is_active:
        raise ValidationError(_("This member is already active."))
    if not locked.branch.is_active:
        raise ValidationError(
            _("The member's branch is no longer active: reactivate them, then transfer them.")
        )
    locked.is_active = True
    locked.deactivated_reason = ""
    locked.save(update_fields=["is_active", "deactivated_reason", "updated_at"])
    _log_member(actor, locked, CHANGE, _("Reactivated."))
    return locked


@transaction.atomic
def member_transfer(
    *, member: Member, to_branch: Organization, actor, reason: str, mark_mobile: bool = False
) -> MemberTransfer:
    """Move an active member to another party branch or group anywhere in the city.

    Only those who manage the member's current branch may send them (the outflow organisation
    of a mobile member assists but does not move them). With ``mark_mobile`` the member becomes a
    mobile member whose outflow organisation is the branch they leave (unless one is already
    recorded); a mobile member moving back to their outflow organisation is no longer mobile."""
    locked = _lock_member(member)
    if not scope.can_manage_org(actor, locked.branch):
        raise PermissionDenied(
            _("Only the committee of the member's branch (or above) can transfer them.")
        )
    errors: dict[str, list] = {}
    reason = (reason or "").strip()
    if not locked.is_active:
        raise ValidationError(_("Reactivate this member before transferring them."))
    if to_branch.pk == locked.branch_id:
        errors["to_branch"] = [_("The member already belongs to this organisation.")]
    elif not to_branch.accepts_members:
        errors["to_branch"] = [
            _("Members can only move to a party branch or party group; “%(org)s” is a %(level)s.")
            % {"org": to_branch.name, "level": to_branch.get_level_display()}
        ]
    elif not to_branch.is_active:
        errors["to_branch"] = [_("This organisation is no longer active.")]
    if not reason:
        errors["reason"] = [_("Give the reason for the transfer.")]
    if errors:
        raise ValidationError(errors)

    old_branch = locked.branch
    mobile = _mobile_category()
    locked.branch = to_branch
    if locked.outflow_organization_id == to_branch.pk:
        # Back home: the branch they once came from now holds them again.
        locked.outflow_organization = old_branch if mark_mobile else None
        if not mark_mobile:
            locked.categories.remove(mobile)
    elif mark_mobile and locked.outflow_organization_id is None:
        locked.outflow_organization = old_branch
    if mark_mobile:
        locked.categories.add(mobile)
    locked.clean()  # the model's relational rules (branch level, outflow differs from branch)
    locked.save(update_fields=["branch", "outflow_organization", "updated_at"])
    transfer = MemberTransfer.objects.create(
        member=locked, from_branch=old_branch, to_branch=to_branch, reason=reason[:200], actor=actor
    )
    _log_member(
        actor,
        locked,
        CHANGE,
        _("Transferred from %(from)s to %(to)s: %(reason)s")
        % {"from": old_branch.name, "to": to_branch.name, "reason": reason[:200]},
    )
    return transfer


# ---------------------------------------------------------------------------------------------
# Campaign set-up
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseData:
    """One row of a campaign's phase plan; ``id`` is set for a phase that already exists."""

    order: int
    name: str
    kind: str
    start_date: datetime.date
    end_date: datetime.date
    description: str = ""
    id: int | None = None


@dataclass(frozen=True)
class PositionData:
    """One person of the leadership group or the office; ``id`` set for an existing row."""

    body: str
    person_name: str
    position: str
    title: str = ""
    user: AbstractBaseUser | None = None
    order: int = 0
    id: int | None = None


# Fields of a campaign that its set-up form may change.
# Reminders, report due days and the dashboard's traffic lights (督办 settings).
SUPERVISION_FIELDS = (
    "reminder_days_before",
    "overdue_escalation_days",
    "review_waiting_days",
    "monthly_report_day",
    "bulletin_day",
    "flag_fulfilment_red_below",
    "flag_fulfilment_amber_below",
    "flag_overdue_red_above",
)
CAMPAIGN_EDITABLE_FIELDS = (
    "name",
    "theme",
    "sub_theme",
    "root_organization",
    "start_date",
    "end_date",
    "status",
    "member_deed_min",
    "member_deed_max",
    "member_rectify_min",
    "member_rectify_max",
    "org_deed_min",
    "org_deed_max",
    *SUPERVISION_FIELDS,
)
PHASE_ORDER_MAX = 999
# Positions that exist only in one body: leaders lead the group, directors run the office.
LEADERSHIP_GROUP_ONLY = (
    LeadershipPosition.Position.LEADER,
    LeadershipPosition.Position.DEPUTY_LEADER,
)
OFFICE_ONLY = (
    LeadershipPosition.Position.OFFICE_DIRECTOR,
    LeadershipPosition.Position.OFFICE_DEPUTY_DIRECTOR,
)


def _require_campaign_manager(*, actor: User, campaign: Campaign) -> None:
    if not can_manage_campaign(actor, campaign):
        raise PermissionDenied(_("You may not change the set-up of this campaign."))


def _fmt(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def check_campaign_root_level(root: Organization) -> None:
    """A campaign is organised by a party committee or a general party branch."""
    if root.level not in CAMPAIGN_ROOT_LEVELS:
        raise ValidationError(
            _("A campaign is organised by a party committee or a general party branch.")
        )


def _check_campaign_root(*, actor: User, root: Organization) -> None:
    """A campaign is organised by a committee or general branch in the actor's office scope."""
    try:
        check_campaign_root_level(root)
    except ValidationError as error:
        raise ValidationError({"root_organization": error}) from None
    if not root.is_active:
        raise ValidationError(
            {"root_organization": _("“%(org)s” is no longer active.") % {"org": root.name}}
        )
    if not scope.has_role_on(actor, root, [RoleAssignment.Role.OFFICE]):
        raise PermissionDenied(
            _("Only the campaign office of “%(org)s” or above may organise a campaign for it.")
            % {"org": root.name}
        )


def check_organizations_in_campaign(
    *, campaign: Campaign, organizations: Iterable[Organization], field: str = "organizations"
) -> list[Organization]:
    """Contact points and inspection groups cover organisations of the campaign's subtree only."""
    orgs = list(organizations)
    if not orgs:
        raise ValidationError({field: _("Choose at least one organisation.")})
    root = campaign.root_organization
    outside = [org.name for org in orgs if not org.is_in_subtree_of(root)]
    if outside:
        raise ValidationError(
            {
                field: _("Not part of “%(root)s”: %(names)s.")
                % {"root": root.name, "names": "、".join(outside)}
            }
        )
    return orgs


def campaign_create(
    *,
    actor: User,
    name: str,
    theme: str,
    root_organization: Organization,
    start_date: datetime.date,
    end_date: datetime.date,
    sub_theme: str = "",
    status: str = Campaign.Status.PREPARING,
    member_deed_min: int = 2,
    member_deed_max: int = 3,
    member_rectify_min: int = 1,
    member_rectify_max: int = 2,
    org_deed_min: int = 3,
    org_deed_max: int = 5,
    **supervision: Any,
) -> Campaign:
    """Create a campaign. The actor needs the office role on the root organisation (or above);
    the root is a committee or general branch; dates and guidance bounds are checked by
    ``Campaign.clean`` (end ≥ start, each lower bound ≤ its upper bound). ``supervision`` holds
    any of ``SUPERVISION_FIELDS`` (the model's defaults otherwise)."""
    unknown = set(supervision) - set(SUPERVISION_FIELDS)
    if unknown:
        raise TypeError(f"campaign_create() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_campaign_root(actor=actor, root=root_organization)
    campaign = Campaign(
        name=name,
        theme=theme,
        sub_theme=sub_theme,
        root_organization=root_organization,
        start_date=start_date,
        end_date=end_date,
        status=status,
        member_deed_min=member_deed_min,
        member_deed_max=member_deed_max,
        member_rectify_min=member_rectify_min,
        member_rectify_max=member_rectify_max,
        org_deed_min=org_deed_min,
        org_deed_max=org_deed_max,
        **supervision,
    )
    campaign.full_clean()
    with transaction.atomic():
        campaign.save()
        audit(actor=actor, obj=campaign, flag=ADDITION, message=_("Campaign created."))
    return campaign


def campaign_update(*, campaign: Campaign, actor: User, **changes: Any) -> Campaign:
    """Change a campaign's fields (``CAMPAIGN_EDITABLE_FIELDS``). The actor must manage the
    campaign, and also hold the office role on a new root organisation. The new dates must
    still contain every phase, and a new root must still contain every organisation of the
    contact points and inspection groups."""
    unknown = set(changes) - set(CAMPAIGN_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"campaign_update() cannot change {sorted(unknown)}")
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update()
            .select_related("root_organization")
            .get(pk=campaign.pk)
        )
        _require_campaign_manager(actor=actor, campaign=locked)
        new_root = changes.get("root_organization", locked.root_organization)
        if new_root.pk != locked.root_organization_id:
            _check_campaign_root(actor=actor, root=new_root)
        changed = [f for f in changes if getattr(locked, f) != changes[f]]
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()

        errors: dict[str, list[str]] = {}
        for phase in locked.phases.all():
            if phase.start_date < locked.start_date or phase.end_date > locked.end_date:
                errors.setdefault("start_date", []).append(
                    _("Phase “%(phase)s” (%(start)s – %(end)s) would fall outside the campaign.")
                    % {
                        "phase": phase.name,
                        "start": _fmt(phase.start_date),
                        "end": _fmt(phase.end_date),
                    }
                )
        if new_root.pk != campaign.root_organization_id:
            outside = (
                Organization.objects.filter(
                    Q(contact_points__campaign=locked) | Q(inspection_groups__campaign=locked)
                )
                .exclude(path__startswith=new_root.path)
                .distinct()
            )
            names = list(outside.values_list("name", flat=True)[:5])
            if names:
                errors.setdefault("root_organization", []).append(
                    _(
                        "Contact points or inspection groups cover organisations outside "
                        "“%(root)s”, e.g. %(names)s. Change them first."
                    )
                    % {"root": new_root.name, "names": "、".join(names)}
                )
        if errors:
            raise ValidationError(errors)
        locked.save()
        if changed:
            audit(
                actor=actor,
                obj=locked,
                flag=CHANGE,
                message=_("Changed %(fields)s.")
                % {
                    "fields": ", ".join(
                        str(Campaign._meta.get_field(f).verbose_name) for f in changed
                    )
                },
            )
    return locked


def phase_plan_errors(*, campaign: Campaign, phases: Sequence[PhaseData]) -> list[str]:
    """Why a phase plan is refused (empty if it is fine): every phase lies within the campaign's
    dates and ends on or after its start, no two phases overlap, orders are unique and in
    1–999, and only the campaign's own phases are changed."""
    errors: list[str] = []
    seen_orders: dict[int, str] = {}
    for phase in phases:
        label = phase.name or str(phase.order)
        if not 1 <= phase.order <= PHASE_ORDER_MAX:
            errors.append(
                _("“%(phase)s”: the order must be between 1 and %(max)s.")
                % {"phase": label, "max": PHASE_ORDER_MAX}
            )
        if phase.order in seen_orders:
            errors.append(
                _("“%(first)s” and “%(second)s” both have order %(order)s; orders must be unique.")
                % {"first": seen_orders[phase.order], "second": label, "order": phase.order}
            )
        seen_orders.setdefault(phase.order, label)
        if phase.end_date < phase.start_date:
            errors.append(_("“%(phase)s” ends before it starts.") % {"phase": label})
        if phase.start_date < campaign.start_date:
            errors.append(
                _("“%(phase)s” starts on %(day)s, before the campaign starts (%(bound)s).")
                % {
                    "phase": label,
                    "day": _fmt(phase.start_date),
                    "bound": _fmt(campaign.start_date),
                }
            )
        if phase.end_date > campaign.end_date:
            errors.append(
                _("“%(phase)s” ends on %(day)s, after the campaign ends (%(bound)s).")
                % {"phase": label, "day": _fmt(phase.end_date), "bound": _fmt(campaign.end_date)}
            )
    ordered = sorted(phases, key=lambda p: (p.start_date, p.end_date))
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start_date > first.end_date:
                break
            errors.append(
                _(
                    "“%(first)s” (%(first_start)s – %(first_end)s) overlaps “%(second)s” "
                    "(%(second_start)s – %(second_end)s)."
                )
                % {
                    "first": first.name,
                    "first_start": _fmt(first.start_date),
                    "first_end": _fmt(first.end_date),
                    "second": second.name,
                    "second_start": _fmt(second.start_date),
                    "second_end": _fmt(second.end_date),
                }
            )
    own_ids = set(campaign.phases.values_list("pk", flat=True))
    if any(p.id is not None and p.id not in own_ids for p in phases):
        errors.append(_("The phase list has changed meanwhile; reload the page and try again."))
    return errors


def campaign_set_phases(
    *, campaign: Campaign, actor: User, phases: Sequence[PhaseData]
) -> list[Phase]:
    """Replace the campaign's phase plan in one go: rows with an ``id`` are updated, rows without
    are created, existing phases missing from ``phases`` are deleted. Refused as a whole (with
    every reason, see ``phase_plan_errors``) if any rule is broken."""
    with transaction.atomic():
        # Lock the campaign so two editors cannot interleave plans or change its dates meanwhile.
        locked = (
            Campaign.objects.select_for_update()
            .select_related("root_organization")
            .get(pk=campaign.pk)
        )
        _require_campaign_manager(actor=actor, campaign=locked)
        errors = phase_plan_errors(campaign=locked, phases=phases)
        if errors:
            raise ValidationError(errors)
        existing = {p.pk: p for p in locked.phases.all()}
        kept_ids = {p.id for p in phases if p.id is not None}
        removed = [p for pk, p in existing.items() if pk not in kept_ids]
        try:
            for phase in removed:
                phase.delete()
        except ProtectedError:
            raise ValidationError(
                _("A phase that other records refer to cannot be deleted.")
            ) from None
        # Park kept phases on orders above the allowed range first, so that swapping two orders
        # never trips the (campaign, order) unique constraint half-way through.
        for offset, pk in enumerate(sorted(kept_ids), start=PHASE_ORDER_MAX + 1):
            Phase.objects.filter(pk=pk).update(order=offset)
        saved: list[Phase] = []
        for data in phases:
            phase = existing[data.id] if data.id is not None else Phase(campaign=locked)
            phase.order = data.order
            phase.name = data.name
            phase.kind = data.kind
            phase.start_date = data.start_date
            phase.end_date = data.end_date
            phase.description = data.description
            phase.full_clean(exclude=["campaign"], validate_unique=False)
            phase.save()
            saved.append(phase)
        audit(
            actor=actor,
            obj=locked,
            flag=CHANGE,
            message=_("Phase plan saved: %(phases)s.")
            % {"phases": "、".join(p.name for p in sorted(saved, key=lambda p: p.order)) or "—"},
        )
    return sorted(saved, key=lambda p: p.order)


def position_plan_errors(*, campaign: Campaign, positions: Sequence[PositionData]) -> list[str]:
    """Why a leadership line-up is refused (empty if fine): office director and deputy director
    sit only in the office, group leader and deputy leader only in the leadership group, the
    group has at most one leader, and only the campaign's own rows are changed."""
    errors: list[str] = []
    body = LeadershipPosition.Body
    for item in positions:
        if item.position in OFFICE_ONLY and item.body != body.OFFICE:
            errors.append(
                _(
                    "“%(name)s”: an office director or deputy director belongs to the campaign office."
                )
                % {"name": item.person_name}
            )
        if item.position in LEADERSHIP_GROUP_ONLY and item.body != body.LEADERSHIP_GROUP:
            errors.append(
                _(
                    "“%(name)s”: a group leader or deputy group leader belongs to the leadership group."
                )
                % {"name": item.person_name}
            )
    leaders = [p.person_name for p in positions if p.position == LeadershipPosition.Position.LEADER]
    if len(leaders) > 1:
        errors.append(
            _("The leadership group has one group leader, but %(names)s are all marked as leader.")
            % {"names": "、".join(leaders)}
        )
    own_ids = set(campaign.positions.values_list("pk", flat=True))
    if any(p.id is not None and p.id not in own_ids for p in positions):
        errors.append(_("The list has changed meanwhile; reload the page and try again."))
    return errors


def campaign_set_positions(
    *, campaign: Campaign, actor: User, positions: Sequence[PositionData]
) -> list[LeadershipPosition]:
    """Replace the leadership group and office line-up in one go (rows with ``id`` updated, new
    rows created, missing rows deleted). A person who leads a contact point cannot be removed
    until the contact point is reassigned or deleted, so no contact point vanishes silently."""
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update()
            .select_related("root_organization")
            .get(pk=campaign.pk)
        )
        _require_campaign_manager(actor=actor, campaign=locked)
        errors = position_plan_errors(campaign=locked, positions=positions)
        existing = {p.pk: p for p in locked.positions.all()}
        kept_ids = {p.id for p in positions if p.id is not None}
        removed = [p for pk, p in existing.items() if pk not in kept_ids]
        busy = [p.person_name for p in removed if p.contact_points.exists()]
        if busy:
            errors.append(
                _(
                    "Still leading a contact point: %(names)s. Reassign or delete those contact "
                    "points first."
                )
                % {"names": "、".join(busy)}
            )
        if errors:
            raise ValidationError(errors)
        for position in removed:
            position.delete()
        saved: list[LeadershipPosition] = []
        for data in positions:
            position = (
                existing[data.id] if data.id is not None else LeadershipPosition(campaign=locked)
            )
            position.body = data.body
            position.person_name = data.person_name
            position.title = data.title
            position.position = data.position
            position.user = data.user
            position.order = data.order
            position.full_clean(exclude=["campaign"])
            position.save()
            saved.append(position)
        audit(
            actor=actor,
            obj=locked,
            flag=CHANGE,
            message=ngettext(
                "Leadership group and office saved (%(count)s person).",
                "Leadership group and office saved (%(count)s people).",
                len(saved),
            )
            % {"count": len(saved)},
        )
    return saved


def check_contact_point_leader(
    *, campaign: Campaign, leader: LeadershipPosition, exclude_pk: int | None = None
) -> None:
    if leader.campaign_id != campaign.pk:
        raise ValidationError({"leader": _("Choose a person of this campaign's leadership.")})
    others = ContactPoint.objects.filter(campaign=campaign, leader=leader)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            {
                "leader": _("%(name)s already has a contact point; edit that one instead.")
                % {"name": leader.person_name}
            }
        )


def _contact_point_save(
    *,
    contact_point: ContactPoint,
    actor: User,
    leader: LeadershipPosition,
    organizations: Iterable[Organization],
    note: str,
) -> int:
    """Check and save a new or existing contact point; returns the number of its organisations."""
    campaign = contact_point.campaign
    _require_campaign_manager(actor=actor, campaign=campaign)
    check_contact_point_leader(campaign=campaign, leader=leader, exclude_pk=contact_point.pk)
    orgs = check_organizations_in_campaign(campaign=campaign, organizations=organizations)
    contact_point.leader = leader
    contact_point.note = note
    contact_point.full_clean(exclude=["campaign", "leader"])
    contact_point.save()
    contact_point.organizations.set(orgs)
    return len(orgs)


def contact_point_create(
    *,
    campaign: Campaign,
    actor: User,
    leader: LeadershipPosition,
    organizations: Iterable[Organization],
    note: str = "",
) -> ContactPoint:
    """Link a leader of the campaign to the organisations they personally follow. One contact
    point per leader; every organisation within the campaign's root subtree."""
    item = ContactPoint(campaign=campaign)
    with transaction.atomic():
        count = _contact_point_save(
            contact_point=item,
            actor=actor,
            leader=leader,
            organizations=organizations,
            note=note,
        )
        audit(
            actor=actor,
            obj=campaign,
            flag=CHANGE,
            message=ngettext(
                "Contact point of %(name)s added (%(count)s organisation).",
                "Contact point of %(name)s added (%(count)s organisations).",
                count,
            )
            % {"name": leader.person_name, "count": count},
        )
    return item


def contact_point_update(
    *,
    contact_point: ContactPoint,
    actor: User,
    leader: LeadershipPosition,
    organizations: Iterable[Organization],
    note: str = "",
) -> ContactPoint:
    """Change a contact point's leader, organisations or note (rules as for creating one)."""
    with transaction.atomic():
        count = _contact_point_save(
            contact_point=contact_point,
            actor=actor,
            leader=leader,
            organizations=organizations,
            note=note,
        )
        audit(
            actor=actor,
            obj=contact_point.campaign,
            flag=CHANGE,
            message=ngettext(
                "Contact point of %(name)s changed (%(count)s organisation).",
                "Contact point of %(name)s changed (%(count)s organisations).",
                count,
            )
            % {"name": leader.person_name, "count": count},
        )
    return contact_point


def contact_point_delete(*, contact_point: ContactPoint, actor: User) -> None:
    """Remove a contact point (the leader stays in the leadership)."""
    campaign = contact_point.campaign
    with transaction.atomic():
        _require_campaign_manager(actor=actor, campaign=campaign)
        name = contact_point.leader.person_name
        contact_point.delete()
        audit(
            actor=actor,
            obj=campaign,
            flag=CHANGE,
            message=_("Contact point of %(name)s deleted.") % {"name": name},
        )


def check_inspection_group_name(
    *, campaign: Campaign, name: str, exclude_pk: int | None = None
) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the inspection group a name.")})
    others = InspectionGroup.objects.filter(campaign=campaign, name__iexact=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            {
                "name": _("This campaign already has an inspection group called “%(name)s”.")
                % {"name": name}
            }
        )
    return name


def _check_inspectors(inspectors: Iterable[AbstractBaseUser]) -> list[AbstractBaseUser]:
    users = list(inspectors)
    inactive = [u.get_username() for u in users if not u.is_active]
    if inactive:
        raise ValidationError(
            {
                "inspectors": _("These logins are disabled: %(names)s.")
                % {"names": ", ".join(inactive)}
            }
        )
    return users


def _inspection_group_save(
    *,
    group: InspectionGroup,
    actor: User,
    name: str,
    organizations: Iterable[Organization],
    leader_name: str,
    inspectors: Iterable[AbstractBaseUser],
) -> int:
    """Check and save a new or existing group; returns the number of its organisations."""
    campaign = group.campaign
    _require_campaign_manager(actor=actor, campaign=campaign)
    name = check_inspection_group_name(campaign=campaign, name=name, exclude_pk=group.pk)
    users = _check_inspectors(inspectors)
    orgs = check_organizations_in_campaign(campaign=campaign, organizations=organizations)
    group.name = name
    group.leader_name = leader_name.strip()
    group.full_clean(exclude=["campaign"], validate_unique=False)
    group.save()
    group.inspectors.set(users)
    group.organizations.set(orgs)
    return len(orgs)


def inspection_group_create(
    *,
    campaign: Campaign,
    actor: User,
    name: str,
    organizations: Iterable[Organization],
    leader_name: str = "",
    inspectors: Iterable[AbstractBaseUser] = (),
) -> InspectionGroup:
    """Create an inspection group: a name unique within the campaign (ignoring case), active
    inspector logins, and organisations within the campaign's root subtree."""
    group = InspectionGroup(campaign=campaign)
    with transaction.atomic():
        count = _inspection_group_save(
            group=group,
            actor=actor,
            name=name,
            organizations=organizations,
            leader_name=leader_name,
            inspectors=inspectors,
        )
        audit(
            actor=actor,
            obj=campaign,
            flag=CHANGE,
            message=ngettext(
                "Inspection group “%(name)s” added (%(count)s organisation).",
                "Inspection group “%(name)s” added (%(count)s organisations).",
                count,
            )
            % {"name": group.name, "count": count},
        )
    return group


def inspection_group_update(
    *,
    group: InspectionGroup,
    actor: User,
    name: str,
    organizations: Iterable[Organization],
    leader_name: str = "",
    inspectors: Iterable[AbstractBaseUser] = (),
) -> InspectionGroup:
    """Change an inspection group (rules as for creating one)."""
    with transaction.atomic():
        count = _inspection_group_save(
            group=group,
            actor=actor,
            name=name,
            organizations=organizations,
            leader_name=leader_name,
            inspectors=inspectors,
        )
        audit(
            actor=actor,
            obj=group.campaign,
            flag=CHANGE,
            message=ngettext(
                "Inspection group “%(name)s” changed (%(count)s organisation).",
                "Inspection group “%(name)s” changed (%(count)s organisations).",
                count,
            )
            % {"name": group.name, "count": count},
        )
    return group


def inspection_group_delete(*, group: InspectionGroup, actor: User) -> None:
    """Delete an inspection group; refused while other records (e.g. inspections) refer to it."""
    campaign = group.campaign
    with transaction.atomic():
        _require_campaign_manager(actor=actor, campaign=campaign)
        name = group.name
        try:
            group.delete()
        except ProtectedError:
            raise ValidationError(
                _("“%(name)s” has recorded inspections and cannot be deleted.") % {"name": name}
            ) from None
        audit(
            actor=actor,
            obj=campaign,
            flag=CHANGE,
            message=_("Inspection group “%(name)s” deleted.") % {"name": name},
        )
