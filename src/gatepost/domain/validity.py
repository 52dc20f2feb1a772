"""Validity windows: from when until when a person, credential or vehicle may be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ValidityState", "ValidityWindow"]


class ValidityState(StrEnum):
    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ValidityWindow:
    """``[valid_from, valid_until]`` as aware instants; an open end is unbounded.

    Both ends are included, as the plate gate's ``vehicles.validity_at`` has them: a pass
    valid until 18:00 still opens at 18:00:00 and no longer a microsecond later.
    """

    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until"):
            value: datetime | None = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be an aware datetime")
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            raise ValueError("valid_until must not be before valid_from")

    def state(self, at: datetime) -> ValidityState:
        if self.valid_from is not None and at < self.valid_from:
            return ValidityState.NOT_YET_VALID
        if self.valid_until is not None and at > self.valid_until:
            return ValidityState.EXPIRED
        return ValidityState.VALID

    def contains(self, at: datetime) -> bool:
        return self.state(at) is ValidityState.VALID
