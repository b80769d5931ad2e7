"""Writes of the campaigns app. Each service states the rule it enforces, checks the actor's
scope, and runs in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401
from django.db import transaction  # noqa: F401
from django.utils.translation import gettext as _  # noqa: F401

from campaigns import scope  # noqa: F401
from campaigns.models import (  # noqa: F401
    Campaign,
    Member,
    MemberTransfer,
    Organization,
    RoleAssignment,
)

# ---------------------------------------------------------------------------------------------
# Organisations and roles
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Campaign set-up
# ---------------------------------------------------------------------------------------------
