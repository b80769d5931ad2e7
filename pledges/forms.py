"""Forms of the pledge pages, one section per area. Forms parse and check input only; the rules
(who may, in which state) are the services' (``pledges.services``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Organization
from pledges.models import (
    ATTACHMENT_SIGNATURES,
    Pledge,
    ReturnReason,
    validate_attachment,
    validate_not_in_future,
)
from pledges.selectors import PledgeListFilters

# ---------------------------------------------------------------------------------------------
# Authoring (定诺, 践诺)
# ---------------------------------------------------------------------------------------------


PLEDGE_FILE_LIMIT = 10  # attachments per journal entry


def _date_widget() -> forms.DateInput:
    # A native date picker needs ISO values whatever the active language's formats are.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PledgeListForm(forms.Form):
    """The pledge list's filters (GET). ``org`` is an organisation code, resolved and
    access-checked by the view; campaign and phase choices are limited to the user's."""

    OVERDUE_CHOICES = [
        ("", _("Overdue or not")),
        ("yes", _("Overdue only")),
        ("no", _("Not overdue")),
    ]
    OWNER_CHOICES = [
        ("", _("Any owner")),
        ("member", _("Members' pledges")),
        ("organization", _("Organisations' pledges")),
        ("mine", _("My own pledges")),
    ]
    DUE_CHOICES = [("", _("Any deadline")), ("soon", _("Due within 14 days"))]
    SORT_CHOICES = [("", _("Newest first")), ("deadline", _("Soonest deadline first"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    org = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=None, required=False, empty_label=_("Any campaign")
    )
    phase = forms.ModelChoiceField(
        label=_("Phase"),
        queryset=None,
        required=False,
        empty_label=_("Any phase"),
        help_text=_(
            "Pledges whose deadline falls within the phase (drafts without a deadline: created in it)."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    term = forms.ChoiceField(label=_("Term"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.ChoiceField(label=_("Overdue"), choices=OVERDUE_CHOICES, required=False)
    due = forms.ChoiceField(label=_("Deadline"), choices=DUE_CHOICES, required=False)
    owner = forms.ChoiceField(label=_("Owner"), choices=OWNER_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("Order"), choices=SORT_CHOICES, required=False)

    # Filters besides the search box: any of them in use opens the filter panel.
    EXTRA = ("campaign", "phase", "kind", "term", "status", "overdue", "due", "owner", "sort")

    def __init__(self, *args, campaigns, phases, is_member: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["phase"].queryset = phases
        several = len({phase.campaign_id for phase in phases}) > 1
        self.fields["phase"].label_from_instance = (
            (lambda p: f"{p.campaign.name} · {p.name}") if several else (lambda p: p.name)
        )
        self.fields["kind"].choices = [("", _("Any kind")), *Pledge.Kind.choices]
        self.fields["term"].choices = [("", _("Any term")), *Pledge.Term.choices]
        self.fields["status"].choices = [("", _("Any status")), *Pledge.Status.choices]
        if not is_member:
            self.fields["owner"].choices = self.OWNER_CHOICES[:3]
        for name, field in self.fields.items():
            if name == "q":
                field.widget.attrs.update(
                    {
                        "class": "form-control form-control-sm",
                        "type": "search",
                        "placeholder": _("What will be done, or the owner's name"),
                        "autocomplete": "off",
                    }
                )
            elif name != "org":
                field.widget.attrs["class"] = "form-select form-select-sm"

    @property
    def has_extra_filters(self) -> bool:
        data = self.data
        return any(data.get(name) for name in self.EXTRA)

    def filters(self, *, org: Organization | None) -> PledgeListFilters:
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # an invalid value drops that filter only: cleaned_data keeps the rest
            data = self.cleaned_data
        return PledgeListFilters(
            q=data.get("q") or "",
            org=org,
            campaign=data.get("campaign"),
            phase=data.get("phase"),
            kind=data.get("kind") or "",
            term=data.get("term") or "",
            status=data.get("status") or "",
            overdue=data.get("overdue") or "",
            due=data.get("due") or "",
            owner=data.get("owner") or "",
            sort=data.get("sort") or "",
        )


class PledgeContentForm(forms.Form):
    """What an author writes: kind, term, what will be done, deadline, expected effect and, for
    a rectification, the measures. A draft may leave the deadline and the effect for later;
    submitting needs them (the workflow's ``content_complete``)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Pledge.Kind.choices)
    term = forms.ChoiceField(
        label=_("Term"), choices=Pledge.Term.choices, initial=Pledge.Term.ANNUAL
    )
    content = forms.CharField(
        label=_("What will be done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=_date_widget())
    expected_effect = forms.CharField(
        label=_("Expected effect"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    measures = forms.CharField(
        label=_("Measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("For a rectification pledge: how the shortcoming will be corrected."),
    )

    def clean_content(self) -> str:
        return self.cleaned_data["content"].strip()

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if (
            deadline is not None
            and deadline < timezone.localdate()
            and self.initial.get("deadline") != deadline
        ):
            raise ValidationError(_("The deadline has already passed; choose a later date."))
        return deadline

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Pledge.Kind.RECTIFY and not (data.get("measures") or "").strip():
            self.add_error("measures", _("A rectification pledge needs its measures."))
        return data

    def content_fields(self) -> dict:
        """The cleaned content as ``pledge_create`` / ``pledge_update`` keyword arguments."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "term": data["term"],
            "content": data["content"],
            "deadline": data.get("deadline"),
            "expected_effect": (data.get("expected_effect") or "").strip(),
            "measures": (data.get("measures") or "").strip()
            if data["kind"] == Pledge.Kind.RECTIFY
            else "",
        }


class PledgeForm(PledgeContentForm):
    """The full create/edit form: the content, and on creation the campaign."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, empty_label=None)

    field_order = ["campaign", "kind", "term", "content", "deadline", "expected_effect", "measures"]

    def __init__(self, *args, campaigns=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if campaigns is None:
            del self.fields["campaign"]  # editing: the campaign never changes
        else:
            self.fields["campaign"].queryset = campaigns
        self.fields["kind"].widget = forms.RadioSelect(choices=Pledge.Kind.choices)
        self.fields["term"].widget = forms.RadioSelect(choices=Pledge.Term.choices)


class QuickPledgeForm(PledgeContentForm):
    """The branch page's compact inline form, one per row (``prefix`` keeps ids apart)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content"].widget.attrs.update(rows=2, placeholder=_("What will be done"))
        self.fields["expected_effect"].widget.attrs.update(rows=1, placeholder=_("Expected effect"))
        self.fields["measures"].widget.attrs.update(rows=1, placeholder=_("Measures"))
        self.fields["kind"].initial = Pledge.Kind.DEED
        for name, field in self.fields.items():
            size = "form-select-sm" if name in ("kind", "term") else "form-control-sm"
            field.widget.attrs["class"] = size


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); returns a list."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        if not data:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        single = super().clean
        return [
            single(item, initial) for item in (data if isinstance(data, list | tuple) else [data])
        ]


class FulfilmentEntryForm(forms.Form):
    """A record in the fulfilment journal (履诺记实). Files are checked here for quick feedback
    and again by the service (type by name and content, 10 MB each)."""

    date = forms.DateField(
        label=_("Date"), widget=_date_widget(), validators=[validate_not_in_future]
    )
    text = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=_("How far the whole pledge has come, from 0 to 100."),
    )
    files = MultipleFileField(label=_("Photos and documents"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Formatted per request, in the user's language.
        self.fields["files"].help_text = gettext(
            "Optional, up to %(count)d files: JPG, PNG or WebP photos, PDF, Word (docx) or "
            "Excel (xlsx) documents, 10 MB each."
        ) % {"count": PLEDGE_FILE_LIMIT}
        self.fields["files"].widget.attrs["accept"] = ",".join(ATTACHMENT_SIGNATURES)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_text(self) -> str:
        return self.cleaned_data["text"].strip()

    def clean_files(self) -> list:
        files = self.cleaned_data.get("files") or []
        if len(files) > PLEDGE_FILE_LIMIT:
            raise ValidationError(
                gettext("Attach at most %(count)d files to one record.")
                % {"count": PLEDGE_FILE_LIMIT}
            )
        errors = []
        for upload in files:
            try:
                validate_attachment(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return files


class SelfReportForm(forms.Form):
    text = forms.CharField(
        label=_("Self-report"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=8000,
        help_text=_("How the pledge was fulfilled, in the owner's own words (述职)."),
    )


class AdjustmentRequestForm(forms.Form):
    """A request to change a published pledge (调诺): the new text and why."""

    content = forms.CharField(
        label=_("What will be done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    deadline = forms.DateField(label=_("Deadline"), widget=_date_widget())
    expected_effect = forms.CharField(
        label=_("Expected effect"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    measures = forms.CharField(
        label=_("Measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, rectification: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if rectification:
            self.fields["measures"].required = True
        else:
            del self.fields["measures"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the member has left, or the pledge no longer applies."),
    )


# ---------------------------------------------------------------------------------------------
# Review (审诺, 亮诺, 评诺)
# ---------------------------------------------------------------------------------------------

# Forms of the review pages parse input only: who may act and in which state is the
# workflow's (pledges.workflow), whose refusals the views show on these forms' fields.


class ReviewFilterForm(forms.Form):
    """Filters of the review queue and of the evaluation list. ``org`` is an organisation code,
    resolved (and access-checked, 404 when out of scope) by the view."""

    org = forms.CharField(label=_("Organisation"), required=False, max_length=32)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Pledge.Kind.choices]
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        required=False,
        queryset=Campaign.objects.none(),
        empty_label=_("Any campaign"),
    )

    def __init__(self, *args, campaigns=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if campaigns is not None:
            self.fields["campaign"].queryset = campaigns
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm" if name == "org" else "form-select form-select-sm"
            )


class ReviewApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewReturnForm(forms.Form):
    """Returning a pledge: one or more of the campaign's reasons and a comment."""

    reasons = forms.ModelMultipleChoiceField(
        label=_("Reasons"),
        queryset=ReturnReason.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one reason for returning the pledge.")},
    )
    comment = forms.CharField(
        label=_("Comment for the author"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a comment explaining the decision.")},
    )

    def __init__(self, *args, reasons=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = ReturnReason.objects.filter(
            pk__in=[reason.pk for reason in reasons]
        ).order_by("order", "id")


class AdjustmentDecisionForm(forms.Form):
    """Approving (comment optional) or returning (comment required) an adjustment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, decision: str = "approve", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decision = decision

    def clean(self):
        cleaned = super().clean()
        if self.decision == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Write a comment explaining the decision."))
        return cleaned


class PublishOrganizationForm(forms.Form):
    include_subtree = forms.BooleanField(label=_("Include the organisations below"), required=False)
    # The count the user confirmed: if the list changed meanwhile, confirm again.
    expected = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AppraisalRowForm(forms.Form):
    """One pledge's democratic appraisal tallies (votes per grade)."""

    pledge = forms.IntegerField(widget=forms.HiddenInput)
    good = forms.IntegerField(label=_("Good"), required=False, min_value=0, max_value=100000)
    fairly_good = forms.IntegerField(
        label=_("Fairly good"), required=False, min_value=0, max_value=100000
    )
    average = forms.IntegerField(label=_("Average"), required=False, min_value=0, max_value=100000)
    poor = forms.IntegerField(label=_("Poor"), required=False, min_value=0, max_value=100000)

    VOTE_FIELDS = ("good", "fairly_good", "average", "poor")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.VOTE_FIELDS:
            self.fields[name].widget.attrs.update(
                {"class": "form-control form-control-sm appraisal-votes", "inputmode": "numeric"}
            )

    def tallies(self) -> dict[str, int]:
        return {name: self.cleaned_data.get(name) or 0 for name in self.VOTE_FIELDS}


AppraisalFormSet = forms.formset_factory(AppraisalRowForm, extra=0)


class GradeForm(forms.Form):
    """Confirming a grade. The rules (justification when differing from the suggestion, an
    improvement deadline for “poor”) are the workflow's; its refusals land on these fields."""

    grade = forms.ChoiceField(
        label=_("Grade"), choices=Pledge.Grade.choices, widget=forms.RadioSelect
    )
    justification = forms.CharField(
        label=_("Reason for differing from the suggested grade"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    improvement_deadline = forms.DateField(label=_("Improve by"), required=False)
    publicity_start = forms.DateField(label=_("Publicity from"), required=False)
    publicity_end = forms.DateField(label=_("Publicity until"), required=False)


# ---------------------------------------------------------------------------------------------
# Public (公示栏, feedback)
# ---------------------------------------------------------------------------------------------

import time  # noqa: E402

from django.core import signing  # noqa: E402

from pledges.models import Feedback  # noqa: E402

# The spam trap needs no outside service: a hidden field people never fill (bots fill every
# field) and a signed timestamp of when the form was shown. A person needs more than a few
# seconds to read a pledge and choose; a form older than a day is stale and is shown again.
FEEDBACK_MIN_SECONDS = 3
FEEDBACK_MAX_AGE_SECONDS = 24 * 3600
FEEDBACK_HONEYPOT = "hp_note"
_FEEDBACK_SALT = "pledges.feedback.form"


def feedback_token(pledge_id: int, now: float | None = None) -> str:
    """A signed "pledge id : time shown" for the feedback form."""
    shown = int(now if now is not None else time.time())
    return signing.Signer(salt=_FEEDBACK_SALT).sign(f"{pledge_id}:{shown}")


class FeedbackForm(forms.Form):
    """A visitor's rating and optional comment. After ``is_valid()``, ``trapped`` is True for a
    submission the spam trap caught: the view discards it silently."""

    rating = forms.ChoiceField(
        label=_("How satisfied are you with this pledge?"),
        choices=Feedback.Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three ratings.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=Feedback.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": Feedback.COMMENT_MAX_LENGTH}),
        help_text=_(
            "At most 500 characters. Your comment appears here after the branch committee "
            "has reviewed it. Do not write personal details."
        ),
    )
    # The honeypot and the token are rendered by hand in the template (hidden from people).
    hp_note = forms.CharField(required=False)
    token = forms.CharField(required=False)

    def __init__(self, *args, pledge_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pledge_id = pledge_id
        self.trapped = False

    def clean(self) -> dict:
        cleaned = super().clean()
        if (self.data.get(FEEDBACK_HONEYPOT) or "").strip():
            self.trapped = True
            return cleaned
        try:
            value = signing.Signer(salt=_FEEDBACK_SALT).unsign(self.data.get("token") or "")
            pledge_id, shown = (int(part) for part in value.split(":"))
        except (signing.BadSignature, ValueError):
            self.trapped = True  # forged or missing: not a form this site served
            return cleaned
        age = time.time() - shown
        if pledge_id != self.pledge_id or age < FEEDBACK_MIN_SECONDS:
            self.trapped = True
        elif age > FEEDBACK_MAX_AGE_SECONDS:
            raise ValidationError(
                _(
                    "This page was open for a long time. Please choose your rating again and send it."
                ),
                code="stale",
            )
        return cleaned


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------
