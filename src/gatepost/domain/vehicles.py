"""Known vehicles: the allow, deny and watch lists and the validity window of a
registration.

A gate lets an allow-listed vehicle in and turns a deny-listed one away (with a
``blocked`` alert); a watch-listed vehicle is let in like an allow-listed one and raises
a ``watchlist`` alert (``domain.access``), for a car the site wants to know about
without stopping it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatepost.domain.arrivals import PlateList
from gatepost.domain.validity import ValidityState, ValidityWindow

__all__ = ["AccessList", "GateDecision", "VehicleView"]


class AccessList(StrEnum):
    """The list a known vehicle is on: let in, turned away, or let in with an alert."""

    ALLOW = "allow"
    DENY = "deny"
    WATCH = "watch"

    @property
    def plate_list(self) -> PlateList:
        """The list as the access decision knows it (``domain.arrivals.PlateList``)."""
        return PlateList(self.value)


class GateDecision(StrEnum):
    """What a plate gate decided: a listed, valid vehicle's list, else unknown."""

    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@dataclass(frozen=True, repr=False)
class VehicleView:
    """A known vehicle with its plate opened (never logged: the repr masks it)."""

    id: str
    plate: str
    region: str
    list: AccessList
    person_id: str | None
    site_id: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    description: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"VehicleView(id={self.id})"

    @property
    def validity(self) -> ValidityWindow:
        return ValidityWindow(self.valid_from, self.valid_until)

    def validity_at(self, now: datetime) -> ValidityState:
        """Outside its validity an allow- or watch-listed vehicle is unknown to a gate
        (a watch-listed one still raises its alert, as a deny-listed one does); a
        deny-listed one stays refused (``domain.access``: the block list comes first)."""
        return self.validity.state(now)
