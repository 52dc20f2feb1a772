"""Identity and phone numbers: validation, normalisation and masking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatepost.domain.errors import InvalidIdentityNumber, InvalidPhoneNumber
from gatepost.domain.identities import (
    IdentityKind,
    cn_resident_check_digit,
    mask_identity_number,
    mask_phone,
    normalise_identity_number,
    normalise_phone,
)

CN = IdentityKind.CN_RESIDENT
GENERIC = IdentityKind.GENERIC


def _iso7064_mod11_2(first17: str) -> str:
    """An independent MOD 11-2: weights are 2^(n-1) mod 11 from the right."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _with_check(first17: str) -> str:
    return first17 + cn_resident_check_digit(first17)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # GB 11643 example, trailing X
        "440524188001010014",
        _with_check("11010120000229001"),  # 29 February of a leap year
        _with_check("44030519870715731"),
        _with_check("65010219991231000"),
    ],
)
def test_valid_resident_numbers_are_accepted(number: str) -> None:
    assert normalise_identity_number(number, CN) == number


def test_resident_number_is_normalised_from_lower_case_and_separators() -> None:
    assert normalise_identity_number("11010519491231002x", CN) == "11010519491231002X"
    assert normalise_identity_number(" 110105 19491231 002X ", CN) == "11010519491231002X"
    assert normalise_identity_number("110105-19491231-002x", CN) == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check digit"),  # bad checksum
        ("11010519491231002Y", "17 digits"),
        (_with_check("11010519490231002"), "date"),  # 31 February does not exist
        (_with_check("11010519490229002"), "date"),  # 1949 is not a leap year
        (_with_check("11010519491301002"), "date"),  # month 13
        (_with_check("11010519491200002"), "date"),  # day 0
        ("11010519491231002", "18 characters"),  # 17 long
        ("11010519491231002X1", "18 characters"),  # 19 long
        ("", "18 characters"),
        ("01010519491231002X", "17 digits"),  # leading zero
        ("1101051949123100AX", "17 digits"),  # letters
        ("X10105194912310021", "17 digits"),
        ("11010519491231002\u00d7", "17 digits"),
    ],
)
def test_invalid_resident_numbers_are_refused(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdentityNumber) as caught:
        normalise_identity_number(number, CN)
    assert reason in caught.value.message
    assert caught.value.field == "identity_number"


def test_birth_date_19490231_is_refused_even_with_a_valid_check_digit() -> None:
    number = _with_check("11010519490231002")
    with pytest.raises(InvalidIdentityNumber, match="date"):
        normalise_identity_number(number, CN)


@pytest.mark.parametrize(
    "translate",
    [
        lambda c: chr(ord(c) + 0xFEE0) if c.isdigit() else c,  # full-width digits
        lambda c: chr(0x0660 + int(c)) if c.isdigit() else c,  # Arabic-Indic digits
        lambda c: chr(0x0966 + int(c)) if c.isdigit() else c,  # Devanagari digits
    ],
    ids=["fullwidth", "arabic-indic", "devanagari"],
)
def test_non_ascii_digits_never_yield_a_second_spelling_of_a_number(
    translate: Callable[[str], str],
) -> None:
    """Otherwise one person's number has several blind indexes (duplicates, missed search)."""
    ascii_number = "11010519491231002X"
    exotic = ascii_number[0] + "".join(translate(c) for c in ascii_number[1:])
    try:
        normalised = normalise_identity_number(exotic, CN)
    except InvalidIdentityNumber:
        return
    assert normalised == ascii_number


def test_non_ascii_digits_in_phone_never_yield_a_second_spelling() -> None:
    exotic = "+" + "".join(chr(ord(c) + 0xFEE0) for c in "8613907314159")
    try:
        phone = normalise_phone(exotic)
    except InvalidPhoneNumber:
        return
    assert phone == "+8613907314159"


@settings(max_examples=300, deadline=None)
@given(
    region=st.integers(min_value=100000, max_value=999999),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_check_digit_round_trips_for_any_valid_date(
    region: int, birth: date, sequence: int
) -> None:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    assert len(first17) == 17
    check = cn_resident_check_digit(first17)
    assert check == _iso7064_mod11_2(first17)
    number = first17 + check
    assert normalise_identity_number(number, CN) == number
    assert normalise_identity_number(number.lower(), CN) == number
    for other in "0123456789X":
        if other != check:
            with pytest.raises(InvalidIdentityNumber):
                normalise_identity_number(first17 + other, CN)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16))
def test_changing_one_digit_breaks_the_check(first17: str, position: int) -> None:
    number = first17 + cn_resident_check_digit(first17)
    digit = int(number[position])
    altered = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
    assert cn_resident_check_digit(altered[:17]) != altered[17]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("E12345678", "E12345678"),
        ("e1234-5678", "E12345678"),
        ("ab12", "AB12"),
        ("A" * 32, "A" * 32),
    ],
)
def test_generic_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_identity_number(raw, GENERIC) == expected


@pytest.mark.parametrize("raw", ["AB1", "A" * 33, "E1234567!", "E12345678\x00", "护照12345"])
def test_invalid_generic_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentityNumber):
        normalise_identity_number(raw, GENERIC)


def test_resident_number_is_masked_to_region_and_last_four() -> None:
    assert mask_identity_number("11010519491231002X") == "1101**********002X"


@pytest.mark.parametrize(
    "number", ["E12345678", "AB12", "ABCDEFGHIJKLMNO", "A" * 32, "11010519491231002X"]
)
def test_masking_shows_at_most_a_third_of_short_numbers_or_the_ends_of_long_ones(
    number: str,
) -> None:
    masked = mask_identity_number(number)
    assert len(masked) == len(number)
    shown = sum(1 for c in masked if c != "*")
    if len(number) >= 16:
        assert shown == 8 and masked[:4] == number[:4] and masked[-4:] == number[-4:]
    else:
        assert shown <= len(number) // 3
        assert masked.endswith(number[len(number) - shown :] if shown else "")
    assert masked != number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 139-0731-4159", "+8613907314159"),
        ("(010) 6552 9988", "01065529988"),
        ("12345", "12345"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1234", "+1" + "2" * 17, "call me", "139O7314159", "++861390"])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw)


def test_phone_is_masked_to_last_four() -> None:
    assert mask_phone("+8613907314159") == "**********4159"
    assert mask_phone("12345") == "*2345"
