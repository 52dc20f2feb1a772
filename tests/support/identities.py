"""Valid PRC resident identity numbers for tests (checksum and birth date right)."""

from __future__ import annotations

from gatepost.domain.identities import cn_resident_check_digit

__all__ = ["cn_identity", "cn_number"]


def cn_number(first17: str) -> str:
    """``first17`` followed by its check digit: valid if its date and region are."""
    return first17 + cn_resident_check_digit(first17)


def cn_identity(seq: int) -> str:
    """A valid PRC resident identity number (checksum and date) for ``seq`` 0-999."""
    return cn_number(f"110105{1950 + seq % 50:04d}0101{seq % 1000:03d}")
