"""What a plate frame gives the arrival pipeline: readings matched to known vehicles,
the one the decision rests on, and the barrier's summary of the decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.arrivals import Arrival, ArrivalKind, PlateResult
from gatepost.domain.decisions import Decision, Outcome, Reason
from gatepost.domain.vehicles import GateDecision, VehicleView
from gatepost.matching.plates import best_matches
from gatepost.services.uow import UnitOfWork
from gatepost.services.vehicles import VehicleService
from gatepost.vision.plates import PlateReading

__all__ = [
    "PlateArrival",
    "PlateMatch",
    "PlateResultView",
    "deciding_result",
    "gate_summary",
    "match_readings",
    "plate_arrival",
    "reason_text",
]


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
    and what was stored: the event and the gate log's read (or that it was a repeat).
    ``duplicate``: the device sent this frame before under its idempotency key; this is
    the stored decision (the frame was not read again: no plates, no read)."""

    plates: list[PlateResultView]
    decision: Decision
    gate: GateDecision
    reason: str
    deciding: PlateResultView | None = None
    event_id: str | None = None
    read_id: str | None = None  # the gate log's entry, when the policy keeps the read
    repeat: bool = False  # the device decided on this car a moment ago: nothing stored
    duplicate: bool = False


_REASON_TEXT = {
    Reason.GRANTED: "allow-listed vehicle",
    Reason.BLOCKED: "deny-listed vehicle",
    Reason.UNKNOWN_PLATE: "no known vehicle",
    Reason.VEHICLE_OUTSIDE_VALIDITY: "the vehicle is outside its validity",
}


def reason_text(decision: Decision, *, plates_found: bool) -> str:
    """The decision in words, as the gate log and the test page show it."""
    if not plates_found:
        return "no plate found"
    if decision.reason is Reason.GRANTED and Reason.WATCHLISTED in decision.reasons:
        return "watch-listed vehicle: let in, alert raised"
    return _REASON_TEXT.get(decision.reason, decision.reason.value.replace("_", " "))


def gate_summary(decision: Decision) -> GateDecision:
    """A barrier's summary: open, refused a listed car, or does not know the car."""
    if decision.outcome is Outcome.GRANT:
        return GateDecision.ALLOW
    if decision.reason in (Reason.UNKNOWN_PLATE, Reason.VEHICLE_OUTSIDE_VALIDITY):
        return GateDecision.UNKNOWN
    return GateDecision.DENY


def match_readings(
    uow: UnitOfWork, vehicles: VehicleService, tenant_id: str, readings: list[PlateReading]
) -> list[PlateResultView]:
    """Exact first (one blind-index lookup, the usual case at a gate); a reading no
    vehicle has exactly is compared with the tenant's known plates, which the vehicle
    service opens once per change of the tenant's vehicles, not per frame."""
    results = []
    for reading in readings:
        exact = vehicles.find_in(uow, tenant_id, reading.text)
        if exact is not None:
            results.append(PlateResultView(reading, PlateMatch(exact, 0.0)))
            continue
        known = vehicles.known_in(uow, tenant_id)
        found = best_matches(reading.text, known, limit=1)
        match = PlateMatch(known[found[0].plate], found[0].cost) if found else None
        results.append(PlateResultView(reading, match))
    return results


def deciding_result(results: list[PlateResultView]) -> PlateResultView | None:
    """The reading the decision rests on: the closest match (most confident among
    equals), else the most confident reading."""
    matched = [r for r in results if r.match is not None]
    if matched:
        return min(matched, key=lambda r: (r.match.cost if r.match else 0, -r.reading.confidence))
    return results[0] if results else None


def plate_arrival(point_id: str, at: datetime, deciding: PlateResultView | None) -> Arrival:
    """The arrival a plate read makes: the matched vehicle's list (allow, deny or
    watch) and validity, or an unknown plate. The vehicle lists decide plates (no
    person or access level); a watch-listed vehicle is let in and raises an alert."""
    vehicle = deciding.match.vehicle if deciding and deciding.match else None
    if vehicle is None:
        return Arrival(ArrivalKind.PLATE, point_id, at, plate=PlateResult())
    return Arrival(
        ArrivalKind.PLATE,
        point_id,
        at,
        plate=PlateResult(
            vehicle_id=vehicle.id,
            on_list=vehicle.list.plate_list,
            validity=vehicle.validity,
        ),
    )
