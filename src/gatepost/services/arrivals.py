"""ArrivalPipeline: one path for every arrival at a door, turnstile or barrier.

Whatever the transport (HTTPS today; the MQTT gateway calls the same methods), an
arrival goes through the same stages:

1. **authenticate**: the transport resolves the device; its principal carries its
   site (and access point), so no stage reads the device row again;
2. **recognise**: a frame is read by the plate reader or the face engine (outside any
   transaction: it is the slow part);
3. **load the facts** in one read: the known vehicles (a per-tenant cache that opens
   the plates once per change, ``services.caches``), the person, the access point;
4. **decide**: :func:`gatepost.domain.access.decide`, a pure function;
5. **store** the decision as an event, with its effects (the gate log's read), in one
   transaction; a car waiting at a barrier is one arrival, stored once;
6. **act**: after the commit, the decision's command goes to the device through the
   :class:`~gatepost.services.commands.CommandSink`.

Until access points are configured (the access-rules part of issue 10), a device is its
own access point: a barrier camera opens for a valid allow-listed car and nobody else.
A user's test read (the admin UI's "test a gate frame") runs stages 2-4 only and stores
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gatepost.domain.access import Facts, decide
from gatepost.domain.access_points import AccessPoint, PersonFacts
from gatepost.domain.arrivals import (
    Arrival,
    ArrivalKind,
    FaceOutcome,
    FaceResult,
    PlateList,
    PlateResult,
)
from gatepost.domain.decisions import Decision, Outcome, Reason
from gatepost.domain.devices import Direction, EventKind
from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar
from gatepost.domain.ports import Clock
from gatepost.domain.schedules import SiteCalendar
from gatepost.domain.vehicles import AccessList, GateDecision, VehicleView
from gatepost.errors import AuthenticationFailed, NotFound
from gatepost.matching.plates import best_matches
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.commands import CommandSink, DeviceCommand
from gatepost.services.plate_log import LoggedRead, PlateLogService
from gatepost.services.recognition import Recognition, RecognitionService
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.services.vehicles import VehicleService
from gatepost.store.ids import new_id
from gatepost.vision.images import decode_rgb
from gatepost.vision.plates import PlateReader, PlateReading

__all__ = ["ArrivalPipeline", "FaceArrival", "PlateArrival", "PlateMatch", "PlateResultView"]


@dataclass(frozen=True)
class FaceArrival:
    """What a face frame gave: the recognition and, for a device, the decision and the
    event it was stored as (a user's test recognition decides and stores nothing)."""

    recognition: Recognition
    decision: Decision | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class PlateMatch:
    vehicle: VehicleView
    cost: float


@dataclass(frozen=True)
class PlateResultView:
    reading: PlateReading
    match: PlateMatch | None


@dataclass(frozen=True)
class PlateArrival:
    """What a plate frame gave: every reading with its match, the one the decision
    rests on, the decision (``gate`` is its allow/deny/unknown summary for barriers),
    and what was stored: the event and the gate log's read (or that it repeated one)."""

    plates: list[PlateResultView]
    decision: Decision
    gate: GateDecision
    reason: str
    deciding: PlateResultView | None = None
    event_id: str | None = None
    logged: LoggedRead = LoggedRead()


_REASON_TEXT = {
    Reason.GRANTED: "allow-listed vehicle",
    Reason.BLOCKED: "deny-listed vehicle",
    Reason.UNKNOWN_PLATE: "no known vehicle",
    Reason.VEHICLE_OUTSIDE_VALIDITY: "the vehicle is outside its validity",
}


def _gate(decision: Decision) -> GateDecision:
    """A barrier's summary: open, refused a listed car, or does not know the car."""
    if decision.outcome is Outcome.GRANT:
        return GateDecision.ALLOW
    if decision.reason in (Reason.UNKNOWN_PLATE, Reason.VEHICLE_OUTSIDE_VALIDITY):
        return GateDecision.UNKNOWN
    return GateDecision.DENY


def _own_access_point(device_id: str, *, barrier: bool) -> AccessPoint:
    """A device that is not bound to a configured access point is its own."""
    return AccessPoint(id=device_id, into_zone=None, direction=Direction.IN, barrier=barrier)


class ArrivalPipeline:
    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        vehicles: VehicleService,
        plate_log: PlateLogService,
        recognition: RecognitionService,
        reader: Callable[[], PlateReader],
        commands: CommandSink,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._vehicles = vehicles
        self._plate_log = plate_log
        self._recognition = recognition
        self._reader = reader
        self.commands = commands
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels

    @property
    def reader(self) -> PlateReader:
        """The plate reader (built on first use, shared by the process)."""
        return self._reader()

    # -- plates ---------------------------------------------------------------------

    def plate_frame(
        self, principal: Principal, data: bytes, *, site_id: str | None = None
    ) -> PlateArrival:
        """A gate camera's frame (or a user's test frame): read, decide and, for a
        device, store and command. ``site_id``: the site whose plate formats a user's
        test frame is read with (a device always reads with its own site's)."""
        image = decode_rgb(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        device = principal.kind is PrincipalKind.DEVICE
        if device:
            site_id = principal.site_id
            if site_id is None:
                raise AuthenticationFailed()
        grammars, time_zone = self._site_formats(principal.tenant_id, site_id)
        readings = self.reader.read(image, grammars=grammars)
        now = self._clock.now()
        with self._tx.read() as uow:
            results = self._match(uow, principal.tenant_id, readings)
        deciding = _deciding(results)
        point = _own_access_point(principal.id, barrier=True)
        decision = decide(_plate_arrival(point.id, now, deciding), _facts(point, time_zone))
        gate = _gate(decision)
        reason = "no plate found" if not readings else _REASON_TEXT.get(decision.reason, "")
        arrival = PlateArrival(results, decision, gate, reason or decision.reason.value, deciding)
        if not device or deciding is None:
            return arrival
        return self._store_plate(principal, arrival, data)

    def _site_formats(
        self, tenant_id: str, site_id: str | None
    ) -> tuple[tuple[PlateGrammar, ...], ZoneInfo]:
        if site_id is None:
            return DEFAULT_GRAMMARS, ZoneInfo("UTC")
        with self._tx.read() as uow:
            site = uow.sites.get(tenant_id=tenant_id, site_id=site_id)
        if site is None:
            raise NotFound("site")
        return site.plate_settings.grammars(), ZoneInfo(site.timezone)

    def _match(
        self, uow: UnitOfWork, tenant_id: str, readings: list[PlateReading]
    ) -> list[PlateResultView]:
        """Exact first (one blind-index lookup, the usual case at a gate); a reading no
        vehicle has exactly is compared with the tenant's known plates, which the
        vehicle service opens once per change of the tenant's vehicles, not per frame."""
        results = []
        for reading in readings:
            exact = self._vehicles.find_in(uow, tenant_id, reading.text)
            if exact is not None:
                results.append(PlateResultView(reading, PlateMatch(exact, 0.0)))
                continue
            known = self._vehicles.known_in(uow, tenant_id)
            found = best_matches(reading.text, known, limit=1)
            match = PlateMatch(known[found[0].plate], found[0].cost) if found else None
            results.append(PlateResultView(reading, match))
        return results

    def _store_plate(
        self, principal: Principal, arrival: PlateArrival, frame: bytes
    ) -> PlateArrival:
        """The gate log's read and the decision's event in one transaction, then the
        command; a repeat of a read stored a moment ago stores and sends nothing."""
        deciding = arrival.deciding
        assert deciding is not None  # noqa: S101 - checked by the caller
        event_id = new_id()
        vehicle = deciding.match.vehicle if deciding.match else None

        def store_event(uow: UnitOfWork) -> None:
            self._add_event(
                uow,
                principal,
                event_id=event_id,
                decision=arrival.decision,
                kind=ArrivalKind.PLATE,
                person_id=vehicle.person_id if vehicle else None,
                data={"vehicle_id": vehicle.id} if vehicle else {},
            )

        logged = self._plate_log.record(
            principal,
            device_id=principal.id,
            site_id=principal.site_id or "",
            reading=deciding.reading,
            decision=arrival.gate,
            vehicle_id=vehicle.id if vehicle else None,
            frame=frame,
            also=store_event,
        )
        if logged.repeat:
            return PlateArrival(
                arrival.plates,
                arrival.decision,
                arrival.gate,
                arrival.reason,
                deciding,
                logged=logged,
            )
        self._send(principal, event_id, arrival.decision)
        return PlateArrival(
            arrival.plates,
            arrival.decision,
            arrival.gate,
            arrival.reason,
            deciding,
            event_id=event_id,
            logged=logged,
        )

    # -- faces ----------------------------------------------------------------------

    def face_frame(
        self, principal: Principal, data: bytes, *, site_id: str | None = None
    ) -> FaceArrival:
        """A door camera's frame (or a user's test frame): identify, and for a device
        decide, store and command. A face alone opens only what the rules allow: the
        face policy's FPIR limit asks for a second factor, and a person whose face
        consent is not current is never let in by face."""
        recognition = self._recognition.identify(principal, data, site_id=site_id)
        if principal.kind is not PrincipalKind.DEVICE:
            return FaceArrival(recognition)
        now = self._clock.now()
        person_id = recognition.person_id
        if recognition.decision.outcome is FaceOutcome.SECOND_FACTOR and recognition.candidates:
            person_id = recognition.candidates[0].person_id
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            time_zone = self._time_zone(uow, tenant_id, principal.site_id)
            person = None
            consent = True
            if person_id is not None:
                stored = uow.persons.get(tenant_id=tenant_id, person_id=person_id)
                if stored is None:  # erased since the gallery was loaded
                    person_id = None
                else:
                    person = PersonFacts(id=person_id, status=stored.status)
                    consent = (
                        uow.persons.current_consent(
                            tenant_id=tenant_id, person_id=person_id, purpose=FACE_CONSENT_PURPOSE
                        )
                        is not None
                    )
        face = FaceResult(
            outcome=recognition.decision.outcome if person_id else FaceOutcome.NO_MATCH,
            person_id=person_id,
            consent_withdrawn=not consent,
        )
        point = _own_access_point(principal.id, barrier=False)
        arrival = Arrival(ArrivalKind.FACE, point.id, now, person_id=person_id, face=face)
        decision = decide(arrival, _facts(point, time_zone, person))
        event_id = new_id()
        with self._tx.write() as uow:
            self._add_event(
                uow,
                principal,
                event_id=event_id,
                decision=decision,
                kind=ArrivalKind.FACE,
                person_id=decision.person_id,
                data={},
            )
        self._send(principal, event_id, decision)
        return FaceArrival(recognition, decision, event_id)

    @staticmethod
    def _time_zone(uow: UnitOfWork, tenant_id: str, site_id: str | None) -> ZoneInfo:
        site = uow.sites.get(tenant_id=tenant_id, site_id=site_id) if site_id else None
        return ZoneInfo(site.timezone) if site is not None else ZoneInfo("UTC")

    # -- storing and acting ----------------------------------------------------------

    def _add_event(
        self,
        uow: UnitOfWork,
        principal: Principal,
        *,
        event_id: str,
        decision: Decision,
        kind: ArrivalKind,
        person_id: str | None,
        data: dict[str, str],
    ) -> None:
        now = self._clock.now()
        granted = decision.outcome in (Outcome.GRANT, Outcome.ALERT_ONLY)
        uow.events.insert(
            tenant_id=principal.tenant_id,
            site_id=principal.site_id or "",
            device_id=principal.id,
            received_at=now,
            events=[
                {
                    "id": event_id,
                    "kind": (
                        EventKind.ACCESS_GRANTED if granted else EventKind.ACCESS_DENIED
                    ).value,
                    "occurred_at": now,
                    "idempotency_key": f"gp:{event_id}",
                    "person_id": person_id
                    if person_id
                    and uow.persons.exists(tenant_id=principal.tenant_id, person_id=person_id)
                    else None,
                    "snapshot_id": None,
                    "data": {
                        "arrival": kind.value,
                        "outcome": decision.outcome.value,
                        "reasons": ",".join(r.value for r in decision.reasons),
                        **data,
                    },
                }
            ],
        )

    def _send(self, principal: Principal, event_id: str, decision: Decision) -> None:
        command = decision.command
        if command is not None:
            self.commands.send(DeviceCommand(principal.tenant_id, principal.id, event_id, command))


def _deciding(results: list[PlateResultView]) -> PlateResultView | None:
    """The reading the decision rests on: the closest match (most confident among
    equals), else the most confident reading."""
    matched = [r for r in results if r.match is not None]
    if matched:
        return min(matched, key=lambda r: (r.match.cost if r.match else 0, -r.reading.confidence))
    return results[0] if results else None


def _plate_arrival(point_id: str, at: datetime, deciding: PlateResultView | None) -> Arrival:
    vehicle = deciding.match.vehicle if deciding and deciding.match else None
    if vehicle is None:
        return Arrival(ArrivalKind.PLATE, point_id, at, plate=PlateResult())
    return Arrival(
        ArrivalKind.PLATE,
        point_id,
        at,
        person_id=None,
        plate=PlateResult(
            vehicle_id=vehicle.id,
            on_list=PlateList.DENY if vehicle.list is AccessList.DENY else PlateList.ALLOW,
            validity=vehicle.validity,
        ),
    )


def _facts(point: AccessPoint, time_zone: ZoneInfo, person: PersonFacts | None = None) -> Facts:
    return Facts(access_point=point, calendar=SiteCalendar(time_zone), person=person)
