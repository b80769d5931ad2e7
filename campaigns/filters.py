"""django-filter FilterSets for the staff lists. The querysets they receive are already scoped
to the user (``visible_to``); filters only narrow them down."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns import selectors
from campaigns.models import Member, MemberCategory, Organization


class MemberFilter(django_filters.FilterSet):
    """The member list's filters. ``active`` defaults to active members only; the search box
    matches ID numbers and phones only where the user may see them (``member_search_q``)."""

    ACTIVE_CHOICES = [
        ("yes", _("Active")),
        ("no", _("Deactivated")),
        ("all", _("All")),
    ]
    MOBILE_CHOICES = [
        ("yes", _("Mobile members only")),
        ("no", _("Without mobile members")),
    ]

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=60)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Member.Status.choices, empty_label=_("Any status")
    )
    gender = django_filters.ChoiceFilter(
        label=_("Gender"), choices=Member.Gender.choices, empty_label=_("Any gender")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        field_name="categories",
        queryset=MemberCategory.objects.order_by("id"),
        to_field_name="code",
        empty_label=_("Any category"),
    )
    active = django_filters.ChoiceFilter(
        label=_("Active"), choices=ACTIVE_CHOICES, method="filter_active", empty_label=None
    )
    mobile = django_filters.ChoiceFilter(
        label=_("Mobile"), choices=MOBILE_CHOICES, method="filter_mobile", empty_label=_("Any")
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"),
        field_name="branch__level",
        choices=[
            (level.value, level.label)
            for level in Organization.Level
            if level in Organization.MEMBER_LEVELS
        ],
        empty_label=_("Any level"),
    )

    class Meta:
        model = Member
        fields: list[str] = []  # every filter is declared above

    def __init__(self, data=None, *args, **kwargs) -> None:
        if data is not None and not data.get("active"):
            data = data.copy()
            data["active"] = "yes"  # deactivated members stay out of the list unless asked for
        super().__init__(data, *args, **kwargs)
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            )
        private = self.request is not None and selectors.member_private_search_allowed(
            user=self.request.user
        )
        self.form.fields["q"].widget.attrs.update(
            placeholder=_("Name, ID number or phone")
            if private
            else pgettext_lazy("person", "Name"),
            type="search",
            autocomplete="off",
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.member_search_q(user=self.request.user, term=value))

    def filter_active(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(is_active=True)
        if value == "no":
            return queryset.filter(is_active=False)
        return queryset

    def filter_mobile(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A mobile member is one with an outflow organisation (``Member.is_mobile``); the
        # column test needs no join, unlike the category.
        if value == "yes":
            return queryset.filter(outflow_organization__isnull=False)
        if value == "no":
            return queryset.filter(outflow_organization__isnull=True)
        return queryset

    @property
    def has_extra_filters(self) -> bool:
        """Whether a filter besides the search box and the default ``active`` is in use (the
        collapsed filter panel then opens)."""
        data = self.form.data
        return any(
            data.get(name) for name in ("status", "gender", "category", "mobile", "level")
        ) or (data.get("active") not in (None, "", "yes"))
