"""Forms of the campaigns app. Forms parse and validate input; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import (  # noqa: F401  (sections below use these)
    Campaign,
    ContactPoint,
    InspectionGroup,
    LeadershipPosition,
    Member,
    MemberCategory,
    Organization,
    Phase,
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
