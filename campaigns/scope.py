"""Who may see and do what: the one place where role assignments become scope.

A role held on an organisation covers that organisation's whole subtree, so a user's scope is a
short list of path prefixes. Every ``visible_to(user)`` queryset method and every permission check
goes through the functions here; they are cached on the user object for the length of a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from campaigns.models import Member, Organization

_CACHE_ATTR = "_portal_roles"


def _assignments(user) -> list[tuple[str, str]]:
    """``(path, role)`` for each of the user's roles on an active organisation."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from campaigns.models import RoleAssignment

        cached = list(
            RoleAssignment.objects.filter(user=user, organization__is_active=True).values_list(
                "organization__path", "role"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user) -> None:
    """Drop the cached roles (after assignments change within one request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    if hasattr(user, "_portal_member_path"):
        delattr(user, "_portal_member_path")


def _minimal(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def scope_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """Root paths of the subtrees where the user holds one of ``roles`` (any role if None)."""
    wanted = set(roles) if roles is not None else None
    return _minimal(path for path, role in _assignments(user) if wanted is None or role in wanted)


def roles_of(user) -> set[str]:
    return {role for _path, role in _assignments(user)}


def subtree_q(user, field: str, roles: Iterable[str] | None = None) -> Q:
    """A filter on ``field`` (an organisation path) to the user's scope."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser:
        return Q()
    paths = scope_paths(user, roles)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def has_role_on(user, org: Organization, roles: Iterable[str] | None = None) -> bool:
    """Whether the user holds one of ``roles`` on ``org`` or one of its ancestors."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(org.path.startswith(path) for path in scope_paths(user, roles))


def member_branch_path(user) -> str | None:
    """The path of the branch of the user's own member record, if any."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_portal_member_path"):
        from campaigns.models import Member

        user._portal_member_path = (
            Member.objects.filter(user=user, is_active=True)
            .values_list("branch__path", flat=True)
            .first()
        )
    return user._portal_member_path


def can_manage_org(user, org: Organization) -> bool:
    """Committee roles and the office manage members and organisations of their subtree."""
    from campaigns.models import RoleAssignment

    return has_role_on(user, org, RoleAssignment.MANAGE_ROLES)


def can_manage_member(user, member: Member) -> bool:
    return can_manage_org(user, member.branch) or (
        member.outflow_organization is not None
        and can_manage_org(user, member.outflow_organization)
    )


def can_view_private(user, member: Member) -> bool:
    """Phone, ID number and birth date: the member, the committees of their branch and its
    ancestors, and the office. Everyone else sees them masked."""
    from campaigns.models import RoleAssignment

    if getattr(user, "is_authenticated", False) and member.user_id == user.pk and user.is_active:
        return True
    return has_role_on(user, member.branch, RoleAssignment.PRIVATE_FIELD_ROLES)


def is_office(user) -> bool:
    from campaigns.models import RoleAssignment

    if getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser:
        return True
    return RoleAssignment.Role.OFFICE in roles_of(user)


def is_staff_user(user) -> bool:
    """Anyone with a role (or a superuser) reaches the staff pages."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(_assignments(user))
