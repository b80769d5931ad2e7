"""Validators for members' identity fields."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    """An 18-character resident ID number: digits, a valid birth date, the right check character."""
    value = (value or "").strip().upper()
    if not _ID_RE.match(value):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a final digit or X."),
            code="id_format",
        )
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The date of birth inside this ID number is not a real date."), code="id_birth"
        ) from None
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("This ID number's check digit is wrong; please check it for typing errors."),
            code="id_checksum",
        )


def validate_phone(value: str) -> None:
    if value and not _PHONE_RE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number or a landline such as 0551-12345678."),
            code="phone",
        )


def parse_day_list(value: str) -> list[int]:
    """ "7, 1" → [7, 1]: distinct whole days, largest first. Invalid parts raise ValueError."""
    days = {int(part) for part in value.replace("，", ",").split(",") if part.strip()}
    return sorted(days, reverse=True)


def validate_day_list(value: str) -> None:
    try:
        days = parse_day_list(value)
    except ValueError:
        days = None
    if not days or any(day < 0 or day > 90 for day in days):
        raise ValidationError(
            _("Enter whole numbers of days from 0 to 90, separated by commas, e.g. 7,1.")
        )
