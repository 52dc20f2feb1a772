"""PlateReadService: read the plates in a gate camera's frame and decide.

The frame is read (``gatepost.vision.plate_reader``), each reading is matched to the
tenant's known vehicles with the confusion-aware distance of
``gatepost.matching.plates`` (a misread 8/B still finds its car, another plate does
not), and the best match decides: ``allow`` or ``deny`` from the vehicle's list while it
is valid, ``unknown`` otherwise (no plate, no known vehicle, or outside its validity).

The frame is read with the plate formats of its site (``services.sites``): a device's
own site, or the site an administrator names when testing a frame; with no site, every
default format. A device's reads go to the gate log (``services.plate_log``), which
keeps what the tenant's plate policy says and stores a car waiting at the barrier once;
reads by users (testing a frame) store nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar
from gatepost.domain.ports import Clock
from gatepost.errors import AuthenticationFailed, NotFound
from gatepost.matching.plates import best_matches
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.plate_log import LoggedRead, PlateLogService
from gatepost.services.sites import plate_settings_of
from gatepost.services.vehicles import VehicleService, VehicleView
from gatepost.store.db import Database
from gatepost.store.repositories import devices as device_repo
from gatepost.store.repositories import sites as site_repo
from gatepost.store.tables import Device
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
    deciding: PlateResult | None = None  # the reading the decision rests on
    logged: LoggedRead = LoggedRead()


class PlateReadService:
    def __init__(
        self,
        *,
        db: Database,
        vehicles: VehicleService,
        log: PlateLogService,
        clock: Clock,
        reader: Callable[[], PlateReader],
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._db = db
        self._vehicles = vehicles
        self._log = log
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

    def _where(
        self, principal: Principal, site_id: str | None
    ) -> tuple[Device | None, tuple[PlateGrammar, ...]]:
        """The posting device (None for users) and the grammars of the frame's site: a
        device's own (any ``site_id`` it sends is ignored), else ``site_id``'s, which
        must be a site of the caller's tenant; no site: every default grammar."""
        tenant_id = principal.tenant_id
        with self._db.reading() as session:
            device = None
            if principal.kind is PrincipalKind.DEVICE:
                device = device_repo.get_device(
                    session, tenant_id=tenant_id, device_id=principal.id
                )
                if device is None:
                    raise AuthenticationFailed()
                site_id = device.site_id
            if site_id is None:
                return device, DEFAULT_GRAMMARS
            site = site_repo.get_site(session, tenant_id=tenant_id, site_id=site_id)
            if site is None:
                raise NotFound("site")
            return device, plate_settings_of(site).grammars()

    def read(self, principal: Principal, data: bytes, *, site_id: str | None = None) -> PlateRead:
        """Read and decide; a device's read is logged (see ``services.plate_log``)."""
        image = decode_rgb(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        device, grammars = self._where(principal, site_id)
        readings = self.reader.read(image, grammars=grammars)
        result = self._decide(principal, readings)
        if device is None or not result.plates:
            return result
        deciding = result.deciding or result.plates[0]
        logged = self._log.record(
            principal,
            device=device,
            reading=deciding.reading,
            decision=result.decision.value,
            vehicle_id=deciding.match.vehicle.id if deciding.match else None,
            frame=data,
        )
        return replace(result, logged=logged)

    def _decide(self, principal: Principal, readings: list[PlateReading]) -> PlateRead:
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
        if vehicle.validity_at(self._clock.now()) != "valid":
            return PlateRead(
                results, GateDecision.UNKNOWN, "the vehicle is outside its validity", best
            )
        decision = GateDecision(vehicle.list)
        return PlateRead(results, decision, f"{vehicle.list}-listed vehicle", best)
