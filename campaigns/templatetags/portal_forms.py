"""Render form widgets with Bootstrap 5 classes, for ``templates/includes/form_fields.html``.

Django's templates cannot add attributes to a widget, and the project has no form-rendering
library, so one small filter does it: ``{{ field|bootstrap_widget }}``.
"""

from __future__ import annotations

import copy

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()

# widget_type (BoundField.widget_type) → the Bootstrap class its control needs.
_CLASS_BY_TYPE = {
    "select": "form-select",
    "nullbooleanselect": "form-select",
    "selectmultiple": "form-select",
    "checkbox": "form-check-input",
    "range": "form-range",
    "color": "form-control form-control-color",
}


@register.filter
def bootstrap_widget(field: forms.BoundField) -> SafeString:
    """The field's widget with Bootstrap classes; dates and times as native pickers."""
    widget = field.field.widget
    widget_type = field.widget_type
    css = _CLASS_BY_TYPE.get(widget_type, "form-control")
    if field.errors:
        css += " is-invalid"
    own = widget.attrs.get("class", "")
    attrs = {"class": f"{own} {css}".strip()}

    # Native pickers need ISO values whatever the active language's formats are. Copy the
    # widget so the form class's shared widget is never changed.
    if isinstance(widget, forms.DateTimeInput) and widget.input_type == "text":
        widget = copy.deepcopy(widget)
        widget.input_type = "datetime-local"
        widget.format = "%Y-%m-%dT%H:%M"
    elif isinstance(widget, forms.DateInput) and widget.input_type == "text":
        widget = copy.deepcopy(widget)
        widget.input_type = "date"
        widget.format = "%Y-%m-%d"
    elif isinstance(widget, forms.TimeInput) and widget.input_type == "text":
        widget = copy.deepcopy(widget)
        widget.input_type = "time"
        widget.format = "%H:%M"
    return field.as_widget(widget=widget, attrs=attrs)
