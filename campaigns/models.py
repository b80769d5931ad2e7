"""The organisation tree, members, staff roles and campaigns.

Every other app hangs off these models. Scope (who may see what) is decided in one place:
the ``visible_to(user)`` queryset methods below, backed by :mod:`campaigns.scope`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from campaigns import scope
from campaigns.validators import (
    parse_day_list,
    validate_day_list,
    validate_id_number,
    validate_phone,
)


class OrganizationQuerySet(MP_NodeQuerySet):
    def visible_to(self, user) -> OrganizationQuerySet:
        """Organisations in the subtrees the user holds a role on (everything for superusers)."""
        return self.filter(scope.subtree_q(user, "path"))

    def subtree_of(self, org: Organization) -> OrganizationQuerySet:
        return self.filter(path__startswith=org.path)

    def active(self) -> OrganizationQuerySet:
        return self.filter(is_active=True)


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self) -> OrganizationQuerySet:
        # treebeard's manager builds a plain MP_NodeQuerySet; keep ours and its path order.
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(MP_Node):
    """A party organisation: 党委 › 党总支 › 党支部 › 党小组, to any depth.

    The tree is a materialised path (django-treebeard): a subtree is one indexed
    ``path LIKE 'prefix%'`` query and the ancestors are found from the path itself.
    """

    class Level(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General party branch")
        BRANCH = "branch", _("Party branch")
        GROUP = "group", _("Party group")

    class UnitKind(models.TextChoices):
        ORGAN = "organ", _("Government organ")
        VILLAGE = "village", _("Village")
        COMMUNITY = "community", _("Urban community")
        SCHOOL = "school", _("School")
        HEALTH_CENTRE = "health_centre", _("Health centre")
        STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
        PRIVATE_ENTERPRISE = "private_enterprise", _("Non-public enterprise")
        SOCIAL_ORGANIZATION = "social_organization", _("New social organisation")
        COOPERATIVE = "cooperative", _("Farmers' cooperative")
        OTHER = "other", _("Other")

    # Levels a member can belong to directly.
    MEMBER_LEVELS = (Level.BRANCH, Level.GROUP)

    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_(
            "Unique code used in public addresses, e.g. SF-0101. Letters, digits and hyphens."
        ),
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    unit_kind = models.CharField(
        _("kind of unit"), max_length=24, choices=UnitKind.choices, default=UnitKind.OTHER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = OrganizationManager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def accepts_members(self) -> bool:
        return self.level in self.MEMBER_LEVELS

    def ancestor_paths(self, include_self: bool = False) -> list[str]:
        """Paths of every ancestor, root first, computed from the path alone."""
        end = len(self.path) + (self.steplen if include_self else 0)
        return [self.path[:pos] for pos in range(self.steplen, end, self.steplen)]

    def ancestors(self, include_self: bool = False) -> OrganizationQuerySet:
        return Organization.objects.filter(
            path__in=self.ancestor_paths(include_self=include_self)
        ).order_by("depth")

    def is_in_subtree_of(self, other: Organization) -> bool:
        return self.path.startswith(other.path)


class RoleAssignment(models.Model):
    """A user's role on an organisation. The role covers the organisation's whole subtree."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
        COMMITTEE_MEMBER = "committee_member", _("Committee member")
        OFFICE = "office", _("Campaign office")
        LEADERSHIP = "leadership", _("Leadership group")
        INSPECTOR = "inspector", _("Inspector")

    # The organisation's own committee: manage members and pledges, review.
    COMMITTEE_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.COMMITTEE_MEMBER)
    # Roles that may see members' private fields unmasked (with the member themself).
    PRIVATE_FIELD_ROLES = (*COMMITTEE_ROLES, Role.OFFICE)
    # Roles that may change members and organisations in their scope.
    MANAGE_ROLES = (*COMMITTEE_ROLES, Role.OFFICE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("assigned"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="unique_role_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class MemberCategory(models.Model):
    """The groups of members the seeds single out (流动党员, 大学生村官…)."""

    class Code(models.TextChoices):
        MOBILE = "mobile", _("Mobile member")
        VILLAGE_OFFICIAL = "village_official", _("College-graduate village official")
        VETERAN_CADRE = "veteran_cadre", _("Retired cadre")
        FARMER = "farmer", _("Farmer member")
        ORGAN = "organ", _("Government-organ member")
        COMMUNITY = "community", _("Community member")
        ENTERPRISE = "enterprise", _("Enterprise member")

    code = models.CharField(_("code"), max_length=20, choices=Code.choices, unique=True)

    class Meta:
        verbose_name = _("member category")
        verbose_name_plural = _("member categories")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> MemberQuerySet:
        """Members of the user's subtrees, mobile members whose outflow organisation is in them,
        and the user's own member record."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        # Ids of the organisations in scope as a subquery: PostgreSQL answers the OR of two
        # IN (subquery) filters about twice as fast as the OR of two path joins.
        in_scope = Organization.objects.filter(scope.subtree_q(user, "path")).values("id")
        return self.filter(
            Q(branch_id__in=in_scope) | Q(outflow_organization_id__in=in_scope) | Q(user=user)
        )

    def active(self) -> MemberQuerySet:
        return self.filter(is_active=True)


class Member(models.Model):
    """A party member (党员). Phone, ID number and birth date are private fields."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Status(models.TextChoices):
        FULL = "full", _("Full member")
        PROBATIONARY = "probationary", _("Probationary member")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(
        _("ID number"), max_length=18, unique=True, validators=[validate_id_number]
    )
    branch = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("branch"),
        help_text=_(
            "The party branch or group the member belongs to; for a mobile member, the inflow organisation."
        ),
    )
    outflow_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="outflow_members",
        null=True,
        blank=True,
        verbose_name=_("outflow organisation"),
        help_text=_(
            "For a mobile member: the organisation they came from, which assists in managing them."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FULL
    )
    joined_on = models.DateField(_("date joined the party"))
    post = models.CharField(_("job or post"), max_length=80, blank=True)
    categories = models.ManyToManyField(
        MemberCategory, blank=True, related_name="members", verbose_name=_("categories")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("login"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_reason = models.CharField(_("reason for deactivation"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["branch__path", "name", "id"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.branch_id and not self.branch.accepts_members:
            errors["branch"] = _(
                "A member must belong to a party branch or party group, not to “%(org)s”."
            ) % {"org": self.branch.name}
        if self.outflow_organization_id and self.outflow_organization_id == self.branch_id:
            errors["outflow_organization"] = _(
                "The outflow organisation must differ from the inflow branch."
            )
        if self.birth_date and self.joined_on and self.joined_on < self.birth_date:
            errors["joined_on"] = _("The member cannot have joined before they were born.")
        if errors:
            raise ValidationError(errors)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_mobile(self) -> bool:
        return self.outflow_organization_id is not None


def mask_id_number(value: str) -> str:
    """``330102199001011234`` → ``3301**********1234``."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class MemberTransfer(models.Model):
    """A record of a member's move from one branch to another (e.g. a mobile member's inflow)."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("member")
    )
    from_branch = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_branch = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("member transfer")
        verbose_name_plural = _("member transfers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member} · {self.from_branch} → {self.to_branch}"


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user) -> CampaignQuerySet:
        """Campaigns whose root is in the user's scope or above it (the user takes part)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        paths = scope.scope_paths(user)
        member_path = scope.member_branch_path(user)
        if member_path:
            paths = [*paths, member_path]
        if not paths:
            return self.none()
        q = Q()
        for path in paths:
            # The root lies in the subtree, or is an ancestor of (or equal to) the scope root.
            q |= Q(root_organization__path__startswith=path)
            q |= Q(root_organization__path__in=_prefixes(path))
        return self.filter(q)


def _prefixes(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:pos] for pos in range(step, len(path) + 1, step)]


class Campaign(models.Model):
    """A 创先争优 campaign over a subtree of organisations, with its pledge guidance."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        ACTIVE = "active", _("Under way")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=120)
    theme = models.CharField(_("theme"), max_length=200)
    sub_theme = models.CharField(_("sub-theme"), max_length=200, blank=True)
    root_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("organising committee"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PREPARING
    )
    member_deed_min = models.PositiveSmallIntegerField(
        _("member practical deeds, at least"), default=2
    )
    member_deed_max = models.PositiveSmallIntegerField(
        _("member practical deeds, at most"), default=3
    )
    member_rectify_min = models.PositiveSmallIntegerField(
        _("member rectifications, at least"), default=1
    )
    member_rectify_max = models.PositiveSmallIntegerField(
        _("member rectifications, at most"), default=2
    )
    org_deed_min = models.PositiveSmallIntegerField(
        _("organisation practical deeds, at least"), default=3
    )
    org_deed_max = models.PositiveSmallIntegerField(
        _("organisation practical deeds, at most"), default=5
    )
    # Supervision (督办): when reminders go out, and when reports are due.
    reminder_days_before = models.CharField(
        _("due-soon reminders, days before the deadline"),
        max_length=40,
        default="7,1",
        validators=[validate_day_list],
        help_text=_("Comma-separated, e.g. 7,1"),
    )
    overdue_escalation_days = models.PositiveSmallIntegerField(
        _("escalate an overdue pledge to the superior after (days)"), default=7
    )
    review_waiting_days = models.PositiveSmallIntegerField(
        _("remind reviewers when a review waits longer than (days)"), default=5
    )
    monthly_report_day = models.PositiveSmallIntegerField(
        _("monthly report due on day of the following month"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    bulletin_day = models.PositiveSmallIntegerField(
        _("monthly bulletin issued on day of the following month"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    # Dashboard traffic lights (percentages).
    flag_fulfilment_red_below = models.PositiveSmallIntegerField(
        _("red flag: fulfilment rate below (%)"),
        default=40,
        validators=[MaxValueValidator(100)],
    )
    flag_fulfilment_amber_below = models.PositiveSmallIntegerField(
        _("amber flag: fulfilment rate below (%)"),
        default=60,
        validators=[MaxValueValidator(100)],
    )
    flag_overdue_red_above = models.PositiveSmallIntegerField(
        _("red flag: overdue rate above (%)"),
        default=15,
        validators=[MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        for low, high in (
            ("member_deed_min", "member_deed_max"),
            ("member_rectify_min", "member_rectify_max"),
            ("org_deed_min", "org_deed_max"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                errors[high] = _("The upper bound cannot be below the lower bound.")
        if (
            self.flag_fulfilment_red_below is not None
            and self.flag_fulfilment_amber_below is not None
            and self.flag_fulfilment_red_below > self.flag_fulfilment_amber_below
        ):
            errors["flag_fulfilment_amber_below"] = _(
                "The amber threshold cannot be below the red one."
            )
        if errors:
            raise ValidationError(errors)

    def reminder_days(self) -> list[int]:
        """The due-soon reminder offsets, largest first (e.g. [7, 1])."""
        return parse_day_list(self.reminder_days_before)

    def current_phase(self, on: datetime.date | None = None) -> Phase | None:
        on = on or timezone.localdate()
        return self.phases.filter(start_date__lte=on, end_date__gte=on).first()


class Phase(models.Model):
    """A dated stage of a campaign (广泛发动, 公开承诺, 履行承诺, 考核评价…)."""

    class Kind(models.TextChoices):
        MOBILISE = "mobilise", _("Mobilisation")
        PLEDGE = "pledge", _("Public pledging")
        FULFIL = "fulfil", _("Fulfilment")
        EVALUATE = "evaluate", _("Evaluation")
        SUMMARISE = "summarise", _("Summing up")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name=_("campaign")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="unique_phase_order")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})

    def state_on(self, day: datetime.date) -> str:
        if day < self.start_date:
            return "upcoming"
        if day > self.end_date:
            return "past"
        return "current"


class LeadershipPosition(models.Model):
    """A person in the campaign's leadership group or its office."""

    class Body(models.TextChoices):
        LEADERSHIP_GROUP = "leadership_group", _("Leadership group")
        OFFICE = "office", _("Campaign office")

    class Position(models.TextChoices):
        LEADER = "leader", _("Group leader")
        DEPUTY_LEADER = "deputy_leader", _("Deputy group leader")
        MEMBER = "member", _("Member")
        OFFICE_DIRECTOR = "office_director", _("Office director")
        OFFICE_DEPUTY_DIRECTOR = "office_deputy_director", _("Office deputy director")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="positions", verbose_name=_("campaign")
    )
    body = models.CharField(_("body"), max_length=20, choices=Body.choices)
    person_name = models.CharField(pgettext_lazy("person", "name"), max_length=40)
    title = models.CharField(_("official title"), max_length=80, blank=True)
    position = models.CharField(_("position"), max_length=24, choices=Position.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("login"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("leadership position")
        verbose_name_plural = _("leadership positions")
        ordering = ["campaign", "body", "order", "id"]

    def __str__(self) -> str:
        return f"{self.person_name}（{self.get_position_display()}）"


class ContactPoint(models.Model):
    """A leader's contact point (联系点): the organisations a leader personally follows."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="contact_points",
        verbose_name=_("campaign"),
    )
    leader = models.ForeignKey(
        LeadershipPosition,
        on_delete=models.CASCADE,
        related_name="contact_points",
        verbose_name=_("leader"),
    )
    organizations = models.ManyToManyField(
        Organization, related_name="contact_points", verbose_name=_("organisations")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["campaign", "leader__order", "id"]

    def __str__(self) -> str:
        return str(self.leader)


class InspectionGroup(models.Model):
    """A 督导检查组: its inspectors and the organisations it covers."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="inspection_groups",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=80)
    leader_name = models.CharField(_("group leader"), max_length=40, blank=True)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="inspection_groups",
        verbose_name=_("inspectors"),
    )
    organizations = models.ManyToManyField(
        Organization, related_name="inspection_groups", verbose_name=_("organisations covered")
    )

    class Meta:
        verbose_name = _("inspection group")
        verbose_name_plural = _("inspection groups")
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"], name="unique_inspection_group_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class OutboxTask(models.Model):
    """A Celery task recorded in the same transaction as the change that needs it.

    The web never waits on the broker: the row is written with the change, published after the
    commit, and if the broker is down it stays unsent until ``flush_outbox`` (beat, every
    minute) publishes it. See :mod:`campaigns.outbox`.
    """

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent to the broker"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class Notification(models.Model):
    """One entry in a user's inbox (站内消息). ``key`` names the occasion (e.g. "pledge 12 is due
    in 7 days"): the unique constraint on (recipient, key) is what makes every reminder go out
    once, however often or concurrently the sweeps run. The text is rendered from ``kind`` and
    ``params`` in the reader's language (see :mod:`campaigns.inbox`)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    key = models.CharField(_("occasion"), max_length=160)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unemailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}:{self.key}"


class NotificationPreference(models.Model):
    """A user's choices for notifications: whether the daily e-mail digest is sent, and in
    which language (the inbox follows the language the page is shown in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_digest = models.BooleanField(_("daily e-mail digest"), default=True)
    language = models.CharField(
        _("e-mail language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
