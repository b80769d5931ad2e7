"""Forms of the campaigns app. Forms parse and validate input; the rules live in services.py."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
from campaigns.selectors import (
    campaign_root_choices,
    member_branch_choices,
    normalize_id_number,
    organization_by_code,
)
from campaigns.services import (
    CAMPAIGN_EDITABLE_FIELDS,
    PhaseData,
    PositionData,
    phase_plan_errors,
    position_plan_errors,
)

# ---------------------------------------------------------------------------------------------
# Organisations and roles
# ---------------------------------------------------------------------------------------------


class OrganizationForm(forms.ModelForm):
    """An organisation's own fields. The service checks every rule again; the form only offers
    the levels allowed under the parent and locks what the user may not change."""

    class Meta:
        model = Organization
        fields = ["name", "short_name", "code", "level", "unit_kind", "is_active"]

    def __init__(
        self,
        *args,
        parent: Organization | None = None,
        can_change_status: bool = True,
        **kwargs,
    ) -> None:
        from campaigns.services import LEVEL_RANK, allowed_child_levels

        super().__init__(*args, **kwargs)
        self.fields["short_name"].help_text = _("Optional; shown where space is short.")
        if self.instance.pk is None:
            allowed = allowed_child_levels(parent)
            self.fields["level"].choices = [
                (value, label) for value, label in Organization.Level.choices if value in allowed
            ]
            if parent is not None:
                self.fields["level"].error_messages["invalid_choice"] = _(
                    "A sub-organisation cannot rank above its parent, a %(parent_level)s."
                ) % {"parent_level": parent.get_level_display()}
            if parent is not None and not self.is_bound:
                # Suggest the level just below the parent's (a branch under a general branch).
                rank = min(LEVEL_RANK[parent.level] + 1, max(LEVEL_RANK.values()))
                self.initial.setdefault(
                    "level", next(lv for lv, r in LEVEL_RANK.items() if r == rank)
                )
        else:
            # Printed pledge cards and QR codes carry the code: it stays as it was created.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _(
                "The code cannot be changed here: printed pledge cards and QR codes use it."
            )
            if not can_change_status:
                for name in ("level", "is_active"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Only the superior organisation can change this."
                    )

    def clean_code(self) -> str:
        from campaigns.services import organization_code_taken

        code = self.cleaned_data["code"].strip()
        if self.instance.pk is None and organization_code_taken(code):
            raise forms.ValidationError(
                _("The code “%(code)s” is already used by another organisation."),
                params={"code": code},
                code="code_taken",
            )
        return code


class RoleGrantForm(forms.Form):
    """Give a role on an organisation to an existing login, found by its username."""

    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (value, label) for value, label in RoleAssignment.Role.choices if value in roles
        ]

    def clean_username(self):
        from django.contrib.auth import get_user_model

        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(
                _("There is no login with the username “%(username)s”."),
                params={"username": username},
                code="unknown_user",
            )
        return user


class OrganizationSearchForm(forms.Form):
    """The search box of the organisation tree and of the organisation picker."""

    q = forms.CharField(label=_("Name, short name or code"), required=False, max_length=100)
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("All levels")), *Organization.Level.choices],
    )


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


class MemberBranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.name} ({obj.code})"


class MemberForm(forms.ModelForm):
    """Register or edit a member. The branch list is limited to the branches and groups the user
    manages; the outflow organisation is typed as a code because a mobile member comes from
    elsewhere, usually outside that scope. The rules themselves are in ``member_create`` /
    ``member_update``."""

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,  # room for the spaces people type; normalised to 18 characters
        error_messages={"unique": _("This ID number is already registered.")},
    )
    outflow_organization = forms.CharField(
        label=_("Outflow organisation"),
        required=False,
        max_length=32,
        help_text=_(
            "For a mobile member: the organisation they came from, anywhere in the city "
            "(type part of its name, or its code such as SF-0101)."
        ),
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "gender",
            "id_number",
            "birth_date",
            "phone",
            "branch",
            "status",
            "joined_on",
            "post",
            "categories",
        ]
        field_classes = {"branch": MemberBranchChoiceField}
        widgets = {
            "gender": forms.RadioSelect,
            "status": forms.RadioSelect,
            "categories": forms.CheckboxSelectMultiple,
            "birth_date": forms.DateInput,
            "joined_on": forms.DateInput,
        }
        help_texts = {
            "birth_date": _("Leave empty to take it from the ID number."),
            "phone": _("An 11-digit mobile number or a landline such as 0551-12345678."),
        }

    PRIVATE_FIELDS = ("id_number", "birth_date", "phone")
    # Above this many branches the branch is chosen with the organisation picker, not a list.
    BRANCH_SELECT_LIMIT = 60

    def __init__(
        self, *args, user, show_private: bool = True, branch_locked: bool = False, **kwargs
    ) -> None:
        """``show_private=False`` leaves out the private fields (a user who manages a mobile
        member through the outflow organisation may not see them); ``branch_locked`` keeps
        the branch as it is (moving a member needs their current branch in the user's scope)."""
        super().__init__(*args, **kwargs)
        current = self.instance.branch if self.instance.pk else None
        branch = self.fields["branch"]
        branch.queryset = member_branch_choices(user=user, current=current)
        branch.help_text = _("A party branch or party group that you manage.")
        branch.error_messages["invalid_choice"] = _(
            "Choose a party branch or party group that you manage."
        )
        self.branch_picker = False
        if branch_locked:
            branch.disabled = True
            branch.help_text = _("Use “Transfer” to move the member elsewhere.")
        elif branch.queryset.count() > self.BRANCH_SELECT_LIMIT:
            # Thousands of <option>s would make the page heavy: pick by name instead.
            self.branch_picker = True
            branch.widget = forms.HiddenInput()
        self.branch_label = self._branch_label()
        self.fields["gender"].choices = Member.Gender.choices  # radios without a blank choice
        self.fields["birth_date"].required = False
        categories = self.fields["categories"]
        categories.queryset = MemberCategory.objects.order_by("id")
        # Codes as values let the stylesheet show the outflow field only when "mobile" is ticked.
        categories.to_field_name = "code"
        self.fields["id_number"].widget.attrs.update(
            autocomplete="off", autocapitalize="characters", spellcheck="false"
        )
        self.fields["phone"].widget.input_type = "tel"
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        self.fields["outflow_organization"].widget.attrs.update(autocomplete="off")
        if self.instance.pk and self.instance.outflow_organization_id and not self.is_bound:
            self.initial["outflow_organization"] = self.instance.outflow_organization.code
        if not show_private:
            for name in self.PRIVATE_FIELDS:
                del self.fields[name]
        code = self["outflow_organization"].value()
        outflow = organization_by_code(code=code) if code else None
        self.outflow_label = outflow.name if outflow else ""

    def _branch_label(self) -> str:
        """The name of the branch currently in the field (for the picker's text box)."""
        value = self["branch"].value()
        if isinstance(value, Organization):
            return value.name
        try:
            org = self.fields["branch"].queryset.filter(pk=int(value)).first() if value else None
        except (TypeError, ValueError):
            org = None
        return org.name if org else ""

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_outflow_organization(self) -> Organization | None:
        code = self.cleaned_data["outflow_organization"].strip()
        if not code:
            return None
        org = organization_by_code(code=code)
        if org is None:
            raise forms.ValidationError(
                _("No active organisation has the code “%(code)s”."), params={"code": code}
            )
        return org

    def clean(self) -> dict:
        data = super().clean()
        mobile = any(c.code == MemberCategory.Code.MOBILE for c in data.get("categories") or [])
        if not mobile:
            data["outflow_organization"] = None  # the field is hidden unless "mobile" is ticked
        elif "outflow_organization" in data and data["outflow_organization"] is None:
            self.add_error(
                "outflow_organization",
                _(
                    "A mobile member needs the organisation they came from "
                    "(the outflow organisation)."
                ),
            )
        return data

    def service_fields(self) -> dict:
        """The cleaned values as keyword arguments for member_create / member_update."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


class MemberDeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("E.g. moved away without a transfer, deceased, left the party."),
    )


class MemberTransferForm(forms.Form):
    """The transfer target is a code chosen from search results (any active branch or group in
    the city); whether it may receive the member is decided by ``member_transfer``."""

    to_branch = forms.CharField(label=_("New branch or group"), max_length=32)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    mark_mobile = forms.BooleanField(
        label=_("Mark as a mobile member"),
        required=False,
        help_text=_(
            "The branch they leave becomes their outflow organisation, which keeps seeing them "
            "and helps to manage them."
        ),
    )

    def clean_to_branch(self) -> Organization:
        code = self.cleaned_data["to_branch"].strip()
        org = organization_by_code(code=code)
        if org is None:
            raise forms.ValidationError(
                _("No active organisation has the code “%(code)s”."), params={"code": code}
            )
        return org


# ---------------------------------------------------------------------------------------------
# Campaign set-up
# ---------------------------------------------------------------------------------------------


class OrganizationCodesField(forms.Field):
    """Organisations entered as their codes (one per line, or separated by spaces, commas or
    、), resolved within ``queryset``. Unknown codes are named one by one in the error, so a
    typing error in a long list is easy to find. Cleans to a list of organisations."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "off"})
    default_error_messages = {
        "unknown": _("Unknown codes, or not part of this campaign: %(codes)s."),
    }

    def __init__(self, *, queryset: models.QuerySet | None = None, **kwargs) -> None:
        self.queryset = queryset
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str) or value is None:
            return value
        return "\n".join(org.code if isinstance(org, Organization) else str(org) for org in value)

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if not isinstance(value, str):
            value = " ".join(str(v) for v in value)
        codes = [code for code in re.split(r"[\s,;，；、]+", value) if code]
        return list(dict.fromkeys(codes))  # keep the order, drop repeats

    def clean(self, value) -> list[Organization]:
        codes = super().clean(value)
        if not codes:
            return []
        # Codes are matched ignoring case, as everywhere else people type them.
        matches = Q()
        for code in codes:
            matches |= Q(code__iexact=code)
        found = {org.code.upper(): org for org in self.queryset.filter(matches)}
        unknown = [code for code in codes if code.upper() not in found]
        if unknown:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"codes": ", ".join(unknown)}
            )
        return list({found[code.upper()].pk: found[code.upper()] for code in codes}.values())

    def has_changed(self, initial, data) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


class UsernamesField(forms.Field):
    """Logins entered by username (one per line or separated by spaces or commas); every name
    must exist. Cleans to a list of users."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"})

    def prepare_value(self, value):
        if isinstance(value, str) or value is None:
            return value
        return "\n".join(u.get_username() if hasattr(u, "get_username") else str(u) for u in value)

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        return list(dict.fromkeys(n for n in re.split(r"[\s,;，；、]+", value) if n))

    def clean(self, value) -> list:
        names = super().clean(value)
        if not names:
            return []
        user_model = get_user_model()
        found = {
            u.get_username(): u
            for u in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": names})
        }
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ValidationError(
                _("No login with these usernames: %(names)s."),
                code="unknown",
                params={"names": ", ".join(unknown)},
            )
        return [found[n] for n in names]


class CampaignRootChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        # Indent by depth so the select reads as a tree (committees above their general branches).
        return "\u2003" * max(obj.depth - 1, 0) + f"{obj.name} ({obj.code})"


class CampaignForm(forms.ModelForm):
    """A campaign's fields; bounds and dates are checked by ``Campaign.clean`` (through the
    ModelForm's model validation) and again by the services."""

    root_organization = CampaignRootChoiceField(
        queryset=Organization.objects.none(), label=_("Organising committee")
    )

    class Meta:
        model = Campaign
        fields = list(CAMPAIGN_EDITABLE_FIELDS)
        widgets = {"start_date": forms.DateInput(), "end_date": forms.DateInput()}
        help_texts = {
            "theme": _("e.g. 履职尽责促发展、推动跨越做贡献"),
            "sub_theme": _("e.g. 我的岗位我负责、我的岗位请放心"),
        }

    GUIDANCE_PAIRS = (
        ("member_deed_min", "member_deed_max"),
        ("member_rectify_min", "member_rectify_max"),
        ("org_deed_min", "org_deed_max"),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = campaign_root_choices(user=user)
        if self.instance.pk:
            # Keep the current root selectable even if it is no longer a committee.
            choices = choices | Organization.objects.filter(pk=self.instance.root_organization_id)
        self.fields["root_organization"].queryset = choices.order_by("path")
        self.fields["root_organization"].help_text = _(
            "A party committee or general branch where you hold the campaign office role."
        )

    def guidance_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[low], self[high]) for low, high in self.GUIDANCE_PAIRS]


class PhaseForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=999)
    name = forms.CharField(label=_("Name"), max_length=80)
    # A blank first choice, so that the formset's empty extra row counts as unchanged.
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *Phase.Kind.choices])
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput())
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return data


class CampaignPlanFormSet(forms.BaseFormSet):
    """All rows of one of a campaign's plans at once (phases, leadership line-up)."""

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        self.campaign = campaign
        super().__init__(*args, **kwargs)

    def _kept_forms(self) -> list[forms.Form]:
        """Readable rows that stay: every existing row unless marked for deletion, and the new
        rows that were filled in (an untouched blank row is ignored)."""
        initial = self.initial_form_count()
        return [
            form
            for i, form in enumerate(self.forms)
            if (i < initial or form.has_changed())
            and form.is_valid()
            and not self._should_delete_form(form)
        ]


class BasePhaseFormSet(CampaignPlanFormSet):
    """All phases of a campaign at once; the plan as a whole is checked by
    ``services.phase_plan_errors`` (within the campaign, no overlaps, unique orders)."""

    def phase_data(self) -> list[PhaseData]:
        return [
            PhaseData(
                id=form.cleaned_data.get("id"),
                order=form.cleaned_data["order"],
                name=form.cleaned_data["name"].strip(),
                kind=form.cleaned_data["kind"],
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                description=form.cleaned_data.get("description", ""),
            )
            for form in self._kept_forms()
        ]

    def clean(self) -> None:
        # Check the plan made of the rows that are readable, so that every problem shows at
        # once (rows with their own errors are left out until they are fixed).
        errors = phase_plan_errors(campaign=self.campaign, phases=self.phase_data())
        if errors:
            raise ValidationError(errors)


PhaseFormSet = forms.formset_factory(
    PhaseForm, formset=BasePhaseFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


class PositionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    body = forms.ChoiceField(
        label=_("Body"), choices=[("", "---------"), *LeadershipPosition.Body.choices]
    )
    person_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=40)
    title = forms.CharField(
        label=_("Official title"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 县委书记")}),
    )
    position = forms.ChoiceField(
        label=_("Position"), choices=[("", "---------"), *LeadershipPosition.Position.choices]
    )
    username = forms.CharField(
        label=_("Login (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("username"), "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        if not name:
            self.cleaned_data["user"] = None
            return ""
        user_model = get_user_model()
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: name}).first()
        if user is None:
            raise ValidationError(
                _("No login with the username “%(name)s”."), params={"name": name}
            )
        self.cleaned_data["user"] = user
        return name


class BasePositionFormSet(CampaignPlanFormSet):
    """The whole leadership group and office at once; the line-up is checked by
    ``services.position_plan_errors``."""

    def position_data(self) -> list[PositionData]:
        return [
            PositionData(
                id=form.cleaned_data.get("id"),
                body=form.cleaned_data["body"],
                person_name=form.cleaned_data["person_name"].strip(),
                title=form.cleaned_data.get("title", "").strip(),
                position=form.cleaned_data["position"],
                user=form.cleaned_data.get("user"),
                order=form.cleaned_data.get("order") or 0,
            )
            for form in self._kept_forms()
        ]

    def clean(self) -> None:
        # As for phases: every problem of the readable rows at once.
        errors = position_plan_errors(campaign=self.campaign, positions=self.position_data())
        if errors:
            raise ValidationError(errors)


PositionFormSet = forms.formset_factory(
    PositionForm,
    formset=BasePositionFormSet,
    extra=1,
    can_delete=True,
    max_num=100,
    validate_max=True,
)


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LeadershipPosition) -> str:
        return f"{obj.person_name} · {obj.get_position_display()}" + (
            f" · {obj.title}" if obj.title else ""
        )


class ContactPointForm(forms.Form):
    """A leader of the campaign and the organisations (by code) they personally follow."""

    leader = LeaderChoiceField(queryset=LeadershipPosition.objects.none(), label=_("Leader"))
    organizations = OrganizationCodesField(
        label=_("Organisations"),
        help_text=_("Organisation codes, one per line (or separated by spaces or commas)."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["leader"].queryset = campaign.positions.order_by("body", "order", "id")
        self.fields["organizations"].queryset = Organization.objects.subtree_of(
            campaign.root_organization
        )


class InspectionGroupForm(forms.Form):
    """An inspection group: unique name within the campaign, inspectors by username, and the
    organisations it covers (by code, within the campaign)."""

    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("e.g. 第一督导检查组"))
    leader_name = forms.CharField(label=_("Group leader"), max_length=40, required=False)
    inspectors = UsernamesField(
        label=_("Inspectors (usernames)"),
        required=False,
        help_text=_("Portal logins of the inspectors, one per line."),
    )
    organizations = OrganizationCodesField(
        label=_("Organisations covered"),
        help_text=_("Organisation codes, one per line (or separated by spaces or commas)."),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["organizations"].queryset = Organization.objects.subtree_of(
            campaign.root_organization
        )
