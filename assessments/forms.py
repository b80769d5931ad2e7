"""Forms of the assessments app. They parse and show errors; the rules are the services'
(``score_sheet_errors``, ``inspection_errors``), called from ``clean`` so that every problem
shows at once next to its field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assessments import services
from assessments.models import (
    PHOTOS_PER_INSPECTION,
    InspectionPhoto,
    ScoreItem,
    validate_photo,
)
from campaigns.models import Campaign, InspectionGroup
from campaigns.people import person_name

# ---------------------------------------------------------------------------------------------
# Score sheet
# ---------------------------------------------------------------------------------------------


class ScoreItemForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=99)
    name = forms.CharField(label=_("Item"), max_length=60)
    weight = forms.IntegerField(
        label=_("Points"),
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = forms.CharField(
        label=_("What is checked"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class BaseScoreSheetFormSet(forms.BaseFormSet):
    """All items of a campaign's score sheet at once; the sheet as a whole is checked by
    ``services.score_sheet_errors`` (weights add up to exactly 100)."""

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        self.campaign = campaign
        super().__init__(*args, **kwargs)

    def _kept_forms(self) -> list[forms.Form]:
        initial = self.initial_form_count()
        return [
            form
            for i, form in enumerate(self.forms)
            if (i < initial or form.has_changed())
            and form.is_valid()
            and not self._should_delete_form(form)
        ]

    def item_data(self) -> list[services.ScoreItemData]:
        return [
            services.ScoreItemData(
                id=form.cleaned_data.get("id"),
                order=form.cleaned_data["order"],
                name=form.cleaned_data["name"].strip(),
                weight=form.cleaned_data["weight"],
                description=form.cleaned_data.get("description", ""),
            )
            for form in self._kept_forms()
        ]

    def clean(self) -> None:
        if any(form.errors for form in self.forms if form.has_changed()):
            return
        errors = services.score_sheet_errors(campaign=self.campaign, items=self.item_data())
        if errors:
            raise ValidationError(errors)


ScoreSheetFormSet = forms.formset_factory(
    ScoreItemForm,
    formset=BaseScoreSheetFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


# ---------------------------------------------------------------------------------------------
# Inspection
# ---------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; each is checked by ``validate_photo``."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files if item]
        errors = []
        for item in cleaned:
            try:
                validate_photo(item)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class InspectionForm(forms.Form):
    """Date, inspectors, one score and comment per item of the sheet, findings and problems,
    and photos. Rectifications come in their own formset (:data:`RectificationFormSet`)."""

    date = forms.DateField(
        label=_("Date of the inspection"), widget=forms.DateInput(attrs={"type": "date"})
    )
    inspectors = forms.ModelMultipleChoiceField(
        label=_("Inspectors"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What the group saw: work done, pledges kept, how members and the public judge it."
        ),
    )
    problems = forms.CharField(
        label=_("Problems found"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(
        label=_("Add photos"),
        required=False,
        help_text=_("JPG, PNG or WebP, at most 8 MB each."),
    )
    remove_photos = forms.ModelMultipleChoiceField(
        label=_("Remove photos"),
        queryset=InspectionPhoto.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args,
        group: InspectionGroup,
        year: int,
        quarter: int,
        items: list[ScoreItem],
        inspection=None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.group, self.year, self.quarter = group, year, quarter
        self.items, self.inspection = items, inspection
        self.fields["inspectors"].queryset = group.inspectors.filter(is_active=True).order_by(
            "username"
        )
        self.fields["inspectors"].label_from_instance = person_name
        for item in items:
            self.fields[f"score_{item.pk}"] = forms.DecimalField(
                label=item.name,
                required=False,
                max_digits=4,
                decimal_places=1,
                help_text=_("0 to %(max)s points") % {"max": item.weight},
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": item.weight,
                        "step": "0.5",
                        "inputmode": "decimal",
                        "class": "score-input",
                    }
                ),
            )
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label=_("Comment on %(item)s") % {"item": item.name},
                required=False,
                max_length=300,
            )
        if inspection is not None:
            self.fields["remove_photos"].queryset = inspection.photos.all()
        else:
            del self.fields["remove_photos"]

    def score_rows(self) -> list[tuple[ScoreItem, forms.BoundField, forms.BoundField]]:
        return [(item, self[f"score_{item.pk}"], self[f"comment_{item.pk}"]) for item in self.items]

    def inspection_data(
        self, rectifications: list[services.RectificationData] | None = None
    ) -> services.InspectionData:
        data = self.cleaned_data
        return services.InspectionData(
            date=data["date"],
            inspector_ids=[u.pk for u in data.get("inspectors") or []],
            findings=data.get("findings", "").strip(),
            problems=data.get("problems", "").strip(),
            scores=[
                services.ScoreData(
                    item_id=item.pk,
                    score=data.get(f"score_{item.pk}"),
                    comment=data.get(f"comment_{item.pk}", "").strip(),
                )
                for item in self.items
            ],
            rectifications=rectifications or [],
        )

    def clean(self) -> dict:
        data = super().clean()
        photos = data.get("photos") or []
        existing = self.inspection.photos.count() if self.inspection is not None else 0
        removed = len(data.get("remove_photos") or [])
        if existing - removed + len(photos) > PHOTOS_PER_INSPECTION:
            self.add_error(
                "photos",
                _("An inspection can have at most %(count)s photos.")
                % {"count": PHOTOS_PER_INSPECTION},
            )
        if data.get("date") is None:
            return data
        errors = services.inspection_errors(
            group=self.group,
            year=self.year,
            quarter=self.quarter,
            data=self.inspection_data(),
            inspection=self.inspection,
        )
        for key, messages in errors.items():
            field = key if key in self.fields else None
            for message in messages:
                if field is None or field not in self.errors:
                    self.add_error(field, message)
        return data


class RectificationForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("What must be rectified"), widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class BaseRectificationFormSet(forms.BaseFormSet):
    def rectification_data(self) -> list[services.RectificationData]:
        initial = self.initial_form_count()
        return [
            services.RectificationData(
                id=form.cleaned_data.get("id"),
                text=form.cleaned_data["text"].strip(),
                deadline=form.cleaned_data["deadline"],
            )
            for i, form in enumerate(self.forms)
            if (i < initial or form.has_changed())
            and form.is_valid()
            and not self._should_delete_form(form)
        ]


RectificationFormSet = forms.formset_factory(
    RectificationForm,
    formset=BaseRectificationFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


# ---------------------------------------------------------------------------------------------
# Quarterly reports
# ---------------------------------------------------------------------------------------------


class ReportRequestForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Committee"), coerce=int)
    quarter = forms.ChoiceField(label=_("Quarter"))

    def __init__(self, *args, committees, quarters: list[tuple[int, int]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from assessments.models import quarter_label

        self.committees = {org.pk: org for org in committees}
        self.fields["organization"].choices = (
            [
                (org.pk, "\u2003" * max(org.depth - committees[0].depth, 0) + org.name)
                for org in committees
            ]
            if committees
            else []
        )
        self.fields["quarter"].choices = [(f"{y}-{q}", quarter_label(y, q)) for y, q in quarters]

    def cleaned_choice(self):
        org = self.committees[self.cleaned_data["organization"]]
        year, quarter = (int(x) for x in self.cleaned_data["quarter"].split("-"))
        return org, year, quarter
