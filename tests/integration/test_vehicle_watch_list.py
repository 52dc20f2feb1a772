"""Watch-listed vehicles (issue 10): a plate on the watch list is let in like an
allow-listed one and raises a ``watchlist`` alert naming the vehicle; a deny-listed plate
is still refused with a ``blocked`` alert; a change of list is seen on the next read.

A barrier camera posts frames to ``/api/v1/plates/read`` over the real API and database,
with the packaged fake plate reader (it reads the plate text a frame encodes, so the
tests choose exact reads and misreads); commands are recorded as the gateway would send
them, after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.domain.ports import FixedClock
from gatepost.security.kek import create_key_file
from gatepost.services.commands import RecordingCommandSink
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.vision.fake_plates import fake_plate_image
from tests.e2e.conftest import ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, call
from tests.support.leaks import remember
from tests.support.settings import test_settings

WATCHED, BANNED, ALLOWED = "京A12345", "粤B54321", "沪C11111"
MISREAD = "京A1234S"  # 5 read as S: no exact match, the confusion-aware match finds it
remember(WATCHED, BANNED, ALLOWED, MISREAD)  # a plate in any log line fails the run
LATER = timedelta(minutes=1)  # past the repeat window: every read is a new arrival


@pytest.fixture
def commands() -> RecordingCommandSink:
    return RecordingCommandSink()


@pytest.fixture
def container(
    tmp_path: Path, db_url: str, clock: FixedClock, commands: RecordingCommandSink
) -> Iterator[Container]:
    settings = Settings.model_validate(
        test_settings(tmp_path / "data", db_url, allowed_hosts=["testserver"]).model_dump()
        | {"plates": {"reader": {"type": "fake"}}}
    )
    create_key_file(settings.key_file)
    built = build_container(settings, clock=clock, commands=commands)
    yield built
    built.close()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _vehicle(admin: Actor, plate: str, access: str) -> str:
    created = _ok(admin.post("/api/v1/vehicles", json={"plate": plate, "list": access}), 201)
    assert created["list"] == access
    return str(created["id"])


def _read(gate: Actor, plate: str) -> Any:
    frame = {"file": ("gate.png", fake_plate_image(plate), "image/png")}
    return _ok(call(gate, "POST", "/api/v1/plates/read", files=frame))


def _alerts(admin: Actor, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _ok(admin.get("/api/v1/alerts", params=params))["items"]
    return items


def _event_reasons(admin: Actor, event_id: str) -> list[str]:
    event = _ok(admin.get(f"/api/v1/events/{event_id}"))
    return str(event["data"]["reasons"]).split(",")


def test_a_watch_listed_plate_raises_the_barrier_with_a_watchlist_alert(
    admin: Actor, commands: RecordingCommandSink
) -> None:
    vehicle_id = _vehicle(admin, WATCHED, "watch")
    gate = add_device(admin, add_site(admin, "Car park"), "Barrier 1")

    read = _read(gate, WATCHED)
    assert (read["decision"], read["outcome"]) == ("allow", "grant")
    assert read["reasons"] == ["granted", "watchlisted"]
    assert read["reason"] == "watch-listed vehicle: let in, alert raised"
    assert read["plates"][0]["vehicle"] == {
        "vehicle_id": vehicle_id,
        "plate": WATCHED,
        "list": "watch",
        "cost": 0.0,
    }
    (sent,) = commands.sent
    assert sent.command.kind.value == "raise_barrier" and sent.event_id == read["event_id"]

    (alert,) = _alerts(admin)
    assert (alert["kind"], alert["vehicle_id"], alert["person_id"]) == (
        "watchlist",
        vehicle_id,
        None,
    )
    assert alert["event_id"] == read["event_id"] and alert["acknowledged_at"] is None
    assert _alerts(admin, kind="watchlist") == [alert]
    assert _alerts(admin, kind="blocked") == []
    event = _ok(admin.get(f"/api/v1/events/{read['event_id']}"))
    assert event["kind"] == "access.granted" and event["data"]["vehicle_id"] == vehicle_id
    assert "watchlisted" in _event_reasons(admin, read["event_id"])
    assert WATCHED not in str(event) and WATCHED not in str(alert)


def test_moving_a_vehicle_from_allow_to_watch_takes_effect_on_the_next_read(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    vehicle_id = _vehicle(admin, WATCHED, "allow")
    gate = add_device(admin, add_site(admin, "Car park"), "Barrier 1")
    for plate in (WATCHED, MISREAD):  # exact (blind index), then inexact (the cache)
        read = _read(gate, plate)
        assert read["reasons"] == ["granted"], read
        assert read["plates"][0]["vehicle"]["vehicle_id"] == vehicle_id
        clock.advance(LATER)
    assert _alerts(admin) == [] and container.vehicles.known_builds == 1

    moved = _ok(admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": "watch"}))
    assert moved["list"] == "watch"
    for plate in (MISREAD, WATCHED):
        read = _read(gate, plate)
        assert (read["decision"], read["reasons"]) == ("allow", ["granted", "watchlisted"])
        assert read["plates"][0]["vehicle"]["list"] == "watch"
        clock.advance(LATER)
    assert container.vehicles.known_builds == 2  # the known plates were opened again
    alerts = _alerts(admin)
    assert [(a["kind"], a["vehicle_id"]) for a in alerts] == [("watchlist", vehicle_id)] * 2

    # And back: off the watch list, no more alerts.
    _ok(admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": "allow"}))
    assert _read(gate, MISREAD)["reasons"] == ["granted"]
    assert len(_alerts(admin)) == 2


def test_a_deny_listed_plate_is_still_refused_with_a_blocked_alert(
    admin: Actor, commands: RecordingCommandSink
) -> None:
    banned_id = _vehicle(admin, BANNED, "deny")
    watched_id = _vehicle(admin, WATCHED, "watch")
    gate = add_device(admin, add_site(admin, "Car park"), "Barrier 1")

    refused = _read(gate, BANNED)
    assert (refused["decision"], refused["outcome"]) == ("deny", "deny")
    assert refused["reasons"][0] == "blocked" and "watchlisted" not in refused["reasons"]
    assert commands.sent[-1].command.kind.value == "keep_closed"
    (alert,) = _alerts(admin)
    assert (alert["kind"], alert["vehicle_id"]) == ("blocked", banned_id)
    assert _read(gate, WATCHED)["decision"] == "allow"
    assert commands.sent[-1].command.kind.value == "raise_barrier"
    assert {(a["kind"], a["vehicle_id"]) for a in _alerts(admin)} == {
        ("blocked", banned_id),
        ("watchlist", watched_id),
    }


def test_vehicles_are_filtered_by_list_including_watch(admin: Actor) -> None:
    ids = {
        access: _vehicle(admin, plate, access)
        for plate, access in (
            (WATCHED, "watch"),
            (BANNED, "deny"),
            (ALLOWED, "allow"),
        )
    }
    for access, vehicle_id in ids.items():
        listed = _ok(admin.get("/api/v1/vehicles", params={"list": access}))["items"]
        assert [v["id"] for v in listed] == [vehicle_id]
        searched = _ok(admin.post("/api/v1/vehicles/search", json={"list": access}))["items"]
        assert [v["id"] for v in searched] == [vehicle_id]
    spec = _ok(admin.get("/api/openapi.json"))
    assert spec["components"]["schemas"]["AccessList"]["enum"] == ["allow", "deny", "watch"]


def _names(response: Any, field: str) -> bool:
    error = response.json()["error"]
    named = [error.get("field") or ""] + [d.get("field", "") for d in error.get("details") or []]
    return any(name.endswith(field) for name in named)


def test_a_bad_list_value_is_refused_naming_the_field_and_changes_nothing(admin: Actor) -> None:
    vehicle_id = _vehicle(admin, WATCHED, "watch")
    for bad in ("watchlist", "WATCH", "", "block", 1, None):
        created = admin.post("/api/v1/vehicles", json={"plate": BANNED, "list": bad})
        assert created.status_code == 422, (bad, created.text)
        assert _names(created, "list"), created.text
        if bad is None:  # an update's null list means "unchanged"
            continue
        patched = admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": bad})
        assert patched.status_code == 422, (bad, patched.text)
        assert _names(patched, "list"), patched.text
    listed = admin.get("/api/v1/vehicles", params={"list": "watchlist"})
    assert listed.status_code == 422 and _names(listed, "list"), listed.text
    searched = admin.post("/api/v1/vehicles/search", json={"list": "watchlist"})
    assert searched.status_code == 422 and _names(searched, "list"), searched.text
    items = _ok(admin.get("/api/v1/vehicles"))["items"]
    assert [(v["id"], v["list"]) for v in items] == [(vehicle_id, "watch")]


def _form(**fields: str) -> dict[str, str]:
    blank = dict.fromkeys(
        ("plate", "region", "valid_from", "valid_until", "person_id", "site_id", "description"),
        "",
    )
    return blank | {"list": "allow"} | fields


def test_the_vehicle_form_puts_a_car_on_the_watch_list_and_the_list_shows_it(
    client: TestClient, admin: Actor
) -> None:
    csrf = ui_login(client, "acme", "admin", STRONG_PASSWORD)

    def submit(path: str, **fields: str) -> Any:
        headers = {"X-CSRF-Token": csrf}
        return client.post(path, data=_form(**fields), headers=headers, follow_redirects=False)

    blank = client.get("/ui/vehicles/new")
    assert blank.status_code == 200
    assert 'value="watch"' in blank.text and "let it in and raise an alert" in blank.text

    refused = submit("/ui/vehicles", plate=WATCHED, list="nope")
    assert refused.status_code == 422 and "Choose allow, deny or watch." in refused.text
    assert _ok(admin.get("/api/v1/vehicles"))["items"] == []

    created = submit("/ui/vehicles", plate=WATCHED, list="watch")
    assert created.status_code == 303, created.text
    (vehicle,) = _ok(admin.get("/api/v1/vehicles"))["items"]
    assert vehicle["list"] == "watch"
    detail = client.get(created.headers["location"])
    assert 'badge-warn badge-dot">Watch<' in detail.text
    assert "Gate cameras let it in and raise an alert" in detail.text
    watch = client.get("/ui/vehicles", params={"list": "watch"})
    assert WATCHED in watch.text and '<option value="watch" selected>' in watch.text
    assert WATCHED not in client.get("/ui/vehicles", params={"list": "allow"}).text

    moved = submit(f"/ui/vehicles/{vehicle['id']}/edit", plate=WATCHED, list="deny")
    assert moved.status_code == 303, moved.text
    assert _ok(admin.get(f"/api/v1/vehicles/{vehicle['id']}"))["list"] == "deny"
