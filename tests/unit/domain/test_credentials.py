"""Credentials: card numbers normalised, PIN and QR formats, labels, duress PINs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.domain import credentials
from gatepost.domain.credentials import (
    Credential,
    CredentialKind,
    index_purpose,
    label_of,
    normalised_value,
)
from gatepost.domain.validity import ValidityWindow
from gatepost.errors import ValidationFailed

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_all_is_sorted_and_complete() -> None:
    assert credentials.__all__ == sorted(credentials.__all__)
    assert all(hasattr(credentials, name) for name in credentials.__all__)


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("04a1b2c3", "04A1B2C3"),
        ("04-A1 B2-C3", "04A1B2C3"),
        ("  1234 5678 ", "12345678"),
        ("0123456789", "0123456789"),
    ],
)
def test_card_numbers_are_normalised_when_spelled_differently(
    given_value: str, expected: str
) -> None:
    assert normalised_value(CredentialKind.CARD, given_value) == expected
    assert label_of(CredentialKind.CARD, expected) == expected[-4:]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (CredentialKind.CARD, "04A1-XY"),
        (CredentialKind.CARD, "123"),
        (CredentialKind.CARD, "F" * 33),
        (CredentialKind.PIN, "123"),
        (CredentialKind.PIN, "1" * 13),
        (CredentialKind.PIN, "12 34"),
        (CredentialKind.PIN, "1234\n"),
        (CredentialKind.PIN, "١٢٣٤"),  # Arabic-Indic digits are not what a keypad sends
        (CredentialKind.QR, "short"),
        (CredentialKind.QR, "gpq1.has space in it......"),
    ],
)
def test_malformed_values_are_refused_naming_the_value(kind: CredentialKind, value: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalised_value(kind, value)
    assert raised.value.field == "value"


@given(st.from_regex(r"\A[0-9]{4,12}\Z"))
def test_pins_are_kept_exactly_as_typed(pin: str) -> None:
    assert normalised_value(CredentialKind.PIN, pin) == pin
    assert label_of(CredentialKind.PIN, pin) is None


def test_each_kind_indexes_under_its_own_purpose() -> None:
    assert len({index_purpose(kind) for kind in CredentialKind}) == len(CredentialKind)


def test_only_a_pin_can_be_a_duress_pin() -> None:
    def credential(kind: CredentialKind, *, duress: bool) -> Credential:
        return Credential("t", "c", "p", kind, None, duress, ValidityWindow(), NOW)

    assert credential(CredentialKind.PIN, duress=True).resolved.duress
    for kind in (CredentialKind.CARD, CredentialKind.QR):
        with pytest.raises(ValidationFailed) as raised:
            credential(kind, duress=True)
        assert raised.value.field == "duress"


def test_resolved_credential_carries_revocation_and_validity() -> None:
    window = ValidityWindow(valid_until=NOW)
    card = Credential("t", "c", "p", CredentialKind.CARD, "C3D4", False, window, NOW, NOW)
    resolved = card.resolved
    assert resolved.revoked and resolved.validity == window and not resolved.duress
    assert (card.valid_from, card.valid_until) == (None, NOW)
