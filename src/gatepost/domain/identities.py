"""Identity numbers and phone numbers: validation, normalisation and masking.

Identity documents are typed. ``cn_resident`` is the 18-character PRC resident identity
number (GB 11643-1999) whose last character is an ISO 7064 MOD 11-2 check digit;
``generic`` accepts 4-32 letters and digits for passports and foreign documents.
Masking keeps only what a guard needs to compare against a card in hand.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from gatepost.domain.errors import InvalidIdentityNumber, InvalidPhoneNumber

__all__ = [
    "IdentityKind",
    "cn_resident_check_digit",
    "mask_identity_number",
    "mask_phone",
    "normalise_identity_number",
    "normalise_phone",
]

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
_CN_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)
_GENERIC_PATTERN = re.compile(r"^[A-Z0-9]{4,32}$", re.ASCII)
_PHONE_PATTERN = re.compile(r"^\+?\d{5,17}$", re.ASCII)


class IdentityKind(StrEnum):
    CN_RESIDENT = "cn_resident"
    GENERIC = "generic"


def cn_resident_check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def _check_cn_resident(number: str) -> None:
    if len(number) != 18:
        raise InvalidIdentityNumber("a resident identity number has 18 characters")
    if not _CN_PATTERN.match(number):
        raise InvalidIdentityNumber("17 digits followed by a digit or X are expected")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdentityNumber("the birth date inside the number is not a date") from exc
    if cn_resident_check_digit(number[:17]) != number[17]:
        raise InvalidIdentityNumber("check digit does not match")


def normalise_identity_number(raw: str, kind: IdentityKind) -> str:
    """Upper-case, strip separators and validate; raises InvalidIdentityNumber."""
    number = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw)).upper()
    if kind is IdentityKind.CN_RESIDENT:
        _check_cn_resident(number)
    elif not _GENERIC_PATTERN.match(number):
        raise InvalidIdentityNumber("4-32 letters or digits are expected")
    return number


def mask_identity_number(number: str) -> str:
    """Show at most a third of the characters.

    Long numbers (16+, e.g. a resident ID) keep the first 4 (region) and last 4:
    ``1101**********123X``; shorter documents keep only the last 3: ``******736``.
    """
    if len(number) >= 16:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    keep = min(3, len(number) // 3)
    return "*" * (len(number) - keep) + (number[-keep:] if keep else "")


def normalise_phone(raw: str) -> str:
    """Digits with an optional leading +; raises InvalidPhoneNumber."""
    phone = re.sub(r"[\s().-]", "", unicodedata.normalize("NFKC", raw))
    if not _PHONE_PATTERN.match(phone):
        raise InvalidPhoneNumber("5-17 digits with an optional leading + are expected")
    return phone


def mask_phone(phone: str) -> str:
    """Keep the last 4 digits: ``*******5678``."""
    return "*" * max(len(phone) - 4, 0) + phone[-4:]
