"""ID numbers, masking and phone numbers."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from campaigns.models import Member, mask_id_number
from campaigns.validators import id_check_char, validate_id_number, validate_phone
from tests.factories import MemberFactory, build_id_number

# Real published examples of the GB 11643 check character.
VALID_IDS = [
    "11010519491231002X",
    "440524188001010014",
    build_id_number(datetime.date(1990, 1, 1), 123),
    build_id_number(datetime.date(2000, 2, 29), 7),  # a leap day is a real date
]


def _id_ending_in_x() -> str:
    for serial in range(1000):
        candidate = build_id_number(datetime.date(1985, 6, 15), serial)
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no serial gives a check character X")


def _message(value: str, validator=validate_id_number, language: str = "en") -> tuple[str, str]:
    with translation.override(language):
        with pytest.raises(ValidationError) as excinfo:
            validator(value)
        error = excinfo.value
        # The message is lazy: turn it into text while the language is active.
        return error.code, str(error.messages[0])


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_id_numbers(value: str) -> None:
    validate_id_number(value)


def test_check_character_x_in_either_case() -> None:
    value = _id_ending_in_x()
    assert id_check_char(value[:17]) == "X"
    validate_id_number(value)
    validate_id_number(value.lower())  # people type a lower-case x
    validate_id_number(f"  {value} ")  # and paste spaces


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "1101051949123100A2",  # a letter inside
        "X10105194912310021",  # X not at the end
        "110105 19491231002X",
    ],
)
def test_id_number_with_bad_format(value: str) -> None:
    code, message = _message(value)
    assert code == "id_format"
    assert message == "An ID number has 18 characters: 17 digits and a final digit or X."


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490001", "19900229"])
def test_id_number_with_impossible_birth_date(birth: str) -> None:
    first17 = f"110105{birth}002"
    code, message = _message(first17 + id_check_char(first17))
    assert code == "id_birth"
    assert message == "The date of birth inside this ID number is not a real date."


def test_id_number_with_bad_checksum() -> None:
    good = "11010519491231002X"
    code, message = _message(good[:17] + "3")
    assert code == "id_checksum"
    assert message == "This ID number's check digit is wrong; please check it for typing errors."
    # One mistyped digit anywhere is caught by the check character.
    code, _ = _message("11010519491231012X")
    assert code == "id_checksum"


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_messages_are_translated(language: str) -> None:
    _code, message = _message("11010519491231002" + "3", language=language)
    assert message != "This ID number's check digit is wrong; please check it for typing errors."
    assert "身份證" in message or "身份证" in message
    _code, message = _message("12345", validator=validate_phone, language=language)
    assert "0551-12345678" in message
    assert not message.startswith("Enter")


def test_member_field_runs_the_id_validator(db) -> None:
    member = MemberFactory.build(id_number="11010519491231002X"[:17] + "0")
    with pytest.raises(ValidationError) as excinfo:
        member.full_clean(exclude=["branch"])
    assert "id_number" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("330102199001011234", "3301**********1234"),
        ("11010519491231002X", "1101**********002X"),
        ("12345678", "********"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


def test_member_masked_id_number() -> None:
    member = Member(id_number="11010519491231002X")
    assert member.masked_id_number == "1101**********002X"
    assert "19491231" not in member.masked_id_number


@pytest.mark.parametrize(
    "value", ["", "13812345678", "19912345678", "0551-12345678", "055112345678", "010-1234567"]
)
def test_valid_phones(value: str) -> None:
    validate_phone(value)


@pytest.mark.parametrize(
    "value",
    ["1381234567", "138123456789", "23812345678", "138-1234-5678", "+8613812345678", "phone"],
)
def test_invalid_phones(value: str) -> None:
    code, message = _message(value, validator=validate_phone)
    assert code == "phone"
    assert message == "Enter an 11-digit mobile number or a landline such as 0551-12345678."


def test_factory_members_are_valid_and_birth_date_matches_id(db) -> None:
    members = MemberFactory.create_batch(5)
    assert len({m.id_number for m in members}) == 5
    for member in members:
        member.full_clean()
        assert member.id_number[6:14] == f"{member.birth_date:%Y%m%d}"
        # The 17th digit gives the sex: odd for men.
        assert (int(member.id_number[16]) % 2 == 1) == (member.gender == Member.Gender.MALE)
