"""PlateReadService: read the plates in a gate camera's frame and decide.

The frame is read (``gatepost.vision.plate_reader``), each reading is matched to the
tenant's known vehicles with the confusion-aware distance of
``gatepost.matching.plates`` (a misread 8/B still finds its car, another plate does
not), and the best match decides: ``allow`` or ``deny`` from the vehicle's list while it
is valid, ``unknown`` otherwise (no plate, no known vehicle, or outside its validity).
Neither the frame nor an unknown plate is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from gatepost.domain.ports import Clock
from gatepost.matching.plates import best_matches
from gatepost.security.policy import Principal
from gatepost.services.vehicles import VehicleService, VehicleView
from gatepost.vision.images import decode_rgb
from gatepost.vision.plates import PlateReader, PlateReading

__all__ = ["GateDecision", "PlateMatch", "PlateReadService", "PlateResult"]


class GateDecision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PlateMatch:
    vehicle: VehicleView
    cost: float


@dataclass(frozen=True)
class PlateResult:
    reading: PlateReading
    match: PlateMatch | None


@dataclass(frozen=True)
class PlateRead:
    plates: list[PlateResult]
    decision: GateDecision
    reason: str


class PlateReadService:
    def __init__(
        self,
        *,
        vehicles: VehicleService,
        clock: Clock,
        reader: Callable[[], PlateReader],
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._vehicles = vehicles
        self._clock = clock
        self._reader = reader
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels

    @property
    def reader(self) -> PlateReader:
        """The reader: the factory builds it on first use and shares it after (see
        ``services.container.shared_plate_reader``)."""
        return self._reader()

    def _match(
        self, principal: Principal, text: str, opened: Callable[[], dict[str, VehicleView]]
    ) -> PlateMatch | None:
        """Exact first (one blind-index lookup, the usual case at a gate); only a reading
        no vehicle has exactly is compared with every known plate (``opened``, read and
        opened at most once per frame)."""
        exact = self._vehicles.find(principal, text)
        if exact is not None:
            return PlateMatch(exact, 0.0)
        known = opened()
        found = best_matches(text, known, limit=1)
        return PlateMatch(known[found[0].plate], found[0].cost) if found else None

    def read(self, principal: Principal, data: bytes) -> PlateRead:
        image = decode_rgb(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        readings = self.reader.read(image)
        if not readings:
            return PlateRead([], GateDecision.UNKNOWN, "no plate found")
        opened = cache(lambda: {view.plate: view for view in self._vehicles.known(principal)})
        results = [PlateResult(r, self._match(principal, r.text, opened)) for r in readings]
        matched = [r for r in results if r.match is not None]
        if not matched:
            return PlateRead(results, GateDecision.UNKNOWN, "no known vehicle")
        best = min(matched, key=lambda r: (r.match.cost if r.match else 0, -r.reading.confidence))
        assert best.match is not None  # noqa: S101 - filtered above
        vehicle = best.match.vehicle
        now = self._clock.now()
        if (vehicle.valid_from and now < vehicle.valid_from) or (
            vehicle.valid_until and now > vehicle.valid_until
        ):
            return PlateRead(results, GateDecision.UNKNOWN, "the vehicle is outside its validity")
        decision = GateDecision(vehicle.list)
        return PlateRead(results, decision, f"{vehicle.list}-listed vehicle")
