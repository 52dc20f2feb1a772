"""Zones of a site, the zone-tree check, presence in a zone, and anti-passback.

A zone is an area whose doors, turnstiles and barriers are its access points: each access
point leads *out of* one zone *into* another (``None`` is "outside the site"). Zones may
nest (a server room inside a floor inside a building) through ``parent_id``; the tree is
checked when zones are saved, and a cycle is refused naming the zone
(:class:`~gatepost.domain.errors.ZoneCycle`).

Anti-passback (ZKBio's "anti-passback", HikCentral's "area anti-passback") stops one card
being handed back through the fence to let a second person in: a person the platform
already places in a zone may not enter that zone again until they have left it.

- ``hard``: the re-entry is denied and raises an alert.
- ``soft``: the re-entry is granted, and raises an alert (a guard follows up).
- ``reset_after`` (timed reset, optional): a presence older than this no longer counts,
  so a person whose exit went unrecorded (tailgating out, a fire door) is not locked out
  for ever (``reset_after=24h`` works like a nightly reset).

A person whose presence is unknown (first arrival ever, or after a reset of the presence
table) is never refused by anti-passback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatepost.domain.errors import InvalidZone, ZoneCycle

__all__ = [
    "AntiPassback",
    "AntiPassbackMode",
    "AntiPassbackVerdict",
    "Presence",
    "Zone",
    "anti_passback_verdict",
    "check_zone_tree",
    "tree_order",
    "zone_ancestors",
]


@dataclass(frozen=True)
class Zone:
    """An area of a site; ``parent_id`` is the zone it lies inside (None at the top)."""

    id: str
    parent_id: str | None = None
    name: str = ""


def check_zone_tree(zones: Iterable[Zone]) -> None:
    """Refuse a set of zones whose parents are unknown or form a cycle.

    Raises :class:`InvalidZone` (field ``parent_id``) for a parent that is not among the
    zones, and :class:`ZoneCycle` naming the first zone (in the order given) found on a
    cycle, with the cycle's path. A zone that is its own parent is a cycle of one.
    """
    parents: dict[str, str | None] = {}
    for zone in zones:
        if zone.id in parents:
            raise InvalidZone("the zone appears twice", zone_id=zone.id, field="id")
        parents[zone.id] = zone.parent_id
    for zone_id, parent_id in parents.items():
        if parent_id is not None and parent_id not in parents:
            raise InvalidZone(f"unknown parent zone {parent_id!r}", zone_id=zone_id)
    settled: set[str] = set()  # zones known to reach the top without a cycle
    for start in parents:
        path: list[str] = []
        current: str | None = start
        while current is not None and current not in settled:
            if current in path:
                cycle = (*path[path.index(current) :], current)
                raise ZoneCycle(zone_id=start if start in cycle else current, path=cycle)
            path.append(current)
            current = parents[current]
        settled.update(path)


def tree_order(zones: Iterable[Zone]) -> list[tuple[Zone, int]]:
    """The zones depth-first with their depth: each zone before the zones inside it,
    siblings by name. A zone whose parent is not among them is at the top; zones on a
    cycle (the service never saves one) come last, at the top, so none is lost."""
    given = list(zones)
    known = {zone.id for zone in given}
    children: dict[str | None, list[Zone]] = {}
    for zone in given:
        parent = zone.parent_id if zone.parent_id in known else None
        children.setdefault(parent, []).append(zone)
    for siblings in children.values():
        siblings.sort(key=lambda z: (z.name.casefold(), z.id))
    ordered: list[tuple[Zone, int]] = []
    seen: set[str] = set()
    stack = [(zone, 0) for zone in reversed(children.get(None, []))]
    while stack:
        zone, depth = stack.pop()
        if zone.id in seen:
            continue
        seen.add(zone.id)
        ordered.append((zone, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(zone.id, [])))
    stray = sorted((z for z in given if z.id not in seen), key=lambda z: (z.name.casefold(), z.id))
    ordered.extend((zone, 0) for zone in stray)
    return ordered


def zone_ancestors(zone_id: str, zones: Iterable[Zone]) -> tuple[str, ...]:
    """The zones that contain ``zone_id``, nearest first (for a checked tree)."""
    parents = {zone.id: zone.parent_id for zone in zones}
    found: list[str] = []
    current = parents.get(zone_id)
    while current is not None and current not in found and current != zone_id:
        found.append(current)
        current = parents.get(current)
    return tuple(found)


@dataclass(frozen=True)
class Presence:
    """Where the platform last placed a person: ``zone_id`` (None: outside the site)
    since the aware instant ``since``."""

    zone_id: str | None
    since: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.since.utcoffset() is None:
            raise ValueError("since must be an aware datetime")


class AntiPassbackMode(StrEnum):
    NONE = "none"
    SOFT = "soft"
    HARD = "hard"


@dataclass(frozen=True)
class AntiPassback:
    """A zone's anti-passback rule (see the module docstring)."""

    mode: AntiPassbackMode = AntiPassbackMode.NONE
    reset_after: timedelta | None = None

    def __post_init__(self) -> None:
        if self.reset_after is not None and self.reset_after <= timedelta(0):
            raise ValueError("reset_after must be positive")


class AntiPassbackVerdict(StrEnum):
    CLEAR = "clear"
    SOFT_VIOLATION = "soft_violation"
    HARD_VIOLATION = "hard_violation"


def anti_passback_verdict(
    rule: AntiPassback, presence: Presence | None, *, into_zone: str | None, at: datetime
) -> AntiPassbackVerdict:
    """Whether passing into ``into_zone`` at ``at`` breaks the rule.

    A violation is a move into the zone the person is already placed in, unless the
    placement is older than the timed reset. Unknown presence is always clear.
    """
    if rule.mode is AntiPassbackMode.NONE or presence is None:
        return AntiPassbackVerdict.CLEAR
    if presence.zone_id != into_zone:
        return AntiPassbackVerdict.CLEAR
    if rule.reset_after is not None and at - presence.since >= rule.reset_after:
        return AntiPassbackVerdict.CLEAR
    if rule.mode is AntiPassbackMode.HARD:
        return AntiPassbackVerdict.HARD_VIOLATION
    return AntiPassbackVerdict.SOFT_VIOLATION
