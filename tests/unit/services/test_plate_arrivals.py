"""A plate arrival carries the matched vehicle's list (allow, deny or watch) to the pure
decision, and the barrier's summary and the gate log's words follow from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gatepost.domain.access import AccessPoint, Facts, decide
from gatepost.domain.arrivals import PlateList
from gatepost.domain.decisions import AlertKind, CommandKind, Outcome, Reason
from gatepost.domain.schedules import SiteCalendar
from gatepost.domain.vehicles import AccessList, GateDecision, VehicleView
from gatepost.services.plate_arrivals import (
    PlateMatch,
    PlateResultView,
    gate_summary,
    plate_arrival,
    reason_text,
)
from gatepost.vision.plates import PlateColor, PlateReading

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
GATE = AccessPoint("gate-1", into_zone=None, barrier=True)
FACTS = Facts(GATE, SiteCalendar(ZoneInfo("Asia/Shanghai")), None, ())


def _vehicle(access: AccessList, *, valid_until: datetime | None = None) -> VehicleView:
    return VehicleView(
        id="car-1",
        plate="京A12345",
        region="cn",
        list=access,
        person_id=None,
        site_id=None,
        valid_from=None,
        valid_until=valid_until,
        description=None,
        created_at=NOW,
        updated_at=NOW,
    )


def _read(vehicle: VehicleView) -> PlateResultView:
    reading = PlateReading(vehicle.plate, 0.99, (0, 0, 10, 10), PlateColor.BLUE, "cn")
    return PlateResultView(reading, PlateMatch(vehicle, 0.0))


@pytest.mark.parametrize("access", list(AccessList))
def test_every_vehicle_list_is_a_list_the_decision_knows(access: AccessList) -> None:
    arrival = plate_arrival(GATE.id, NOW, _read(_vehicle(access)))
    assert arrival.plate is not None and arrival.plate.vehicle_id == "car-1"
    assert arrival.plate.on_list is PlateList(access.value) is access.plate_list


def test_a_watch_listed_vehicle_is_let_in_with_a_watchlist_alert() -> None:
    decision = decide(plate_arrival(GATE.id, NOW, _read(_vehicle(AccessList.WATCH))), FACTS)
    assert decision.outcome is Outcome.GRANT
    assert decision.reasons == (Reason.GRANTED, Reason.WATCHLISTED)
    assert decision.command is not None and decision.command.kind is CommandKind.RAISE_BARRIER
    ((alert,),) = [decision.alerts]
    assert (alert.kind, alert.vehicle_id, alert.person_id) == (AlertKind.WATCHLIST, "car-1", None)
    assert gate_summary(decision) is GateDecision.ALLOW
    assert reason_text(decision, plates_found=True) == "watch-listed vehicle: let in, alert raised"


def test_an_allow_listed_vehicle_raises_no_alert_and_a_deny_listed_one_is_blocked() -> None:
    allowed = decide(plate_arrival(GATE.id, NOW, _read(_vehicle(AccessList.ALLOW))), FACTS)
    assert allowed.reasons == (Reason.GRANTED,) and allowed.alerts == ()
    assert reason_text(allowed, plates_found=True) == "allow-listed vehicle"
    denied = decide(plate_arrival(GATE.id, NOW, _read(_vehicle(AccessList.DENY))), FACTS)
    assert denied.outcome is Outcome.DENY and denied.reason is Reason.BLOCKED
    assert [a.kind for a in denied.alerts] == [AlertKind.BLOCKED]
    assert gate_summary(denied) is GateDecision.DENY


def test_a_watch_listed_vehicle_outside_its_validity_is_unknown_and_still_alerts() -> None:
    expired = _vehicle(AccessList.WATCH, valid_until=NOW - timedelta(days=1))
    decision = decide(plate_arrival(GATE.id, NOW, _read(expired)), FACTS)
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.VEHICLE_OUTSIDE_VALIDITY, Reason.WATCHLISTED)
    assert [a.kind for a in decision.alerts] == [AlertKind.WATCHLIST]
    assert gate_summary(decision) is GateDecision.UNKNOWN
