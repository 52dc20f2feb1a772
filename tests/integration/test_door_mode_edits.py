"""Door state that an edit owes the devices: a PATCH of an access point into or out of
``lockdown`` sends its live devices ``lockdown`` or ``release`` (recorded as their
events, like a remote lockdown), any other edit sends nothing; revoking a device clears
its retained door state where the command sink keeps one (the gateway's outbox).
"""

from __future__ import annotations

from typing import Any

import pytest

from gatepost.domain.decisions import CommandKind
from gatepost.domain.ports import FixedClock
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.services.commands import NullCommandSink, RecordingCommandSink, state_sink_of
from gatepost.services.container import Container
from tests.integration.test_device_arrivals import Door
from tests.support.api import Actor, add_device


@pytest.fixture
def sink(recorded_commands: RecordingCommandSink) -> RecordingCommandSink:
    return recorded_commands


@pytest.fixture
def container(recording_container: Container) -> Container:
    """The usual container, with its device commands recorded."""
    return recording_container


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _sent(sink: RecordingCommandSink) -> list[tuple[str, CommandKind]]:
    return [(c.device_id, c.command.kind) for c in sink.sent]


def test_an_edit_into_lockdown_sends_lockdown_and_an_edit_out_of_it_sends_release(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    revoked = add_device(admin, door.site, "Old reader")
    bind = {"access_point_id": door.point["id"]}
    _ok(admin.put(f"/api/v1/devices/{revoked.id}/access-point", json=bind))
    _ok(admin.post(f"/api/v1/devices/{revoked.id}/revoke"))
    url = f"/api/v1/access-points/{door.point['id']}"

    assert _ok(admin.patch(url, json={"door_mode": "lockdown"}))["door_mode"] == "lockdown"
    assert _sent(sink) == [(door.device.id, CommandKind.LOCKDOWN)]
    (lockdown,) = sink.sent
    assert lockdown.command.access_point_id == door.point["id"]
    assert lockdown.arrival_key is None
    event = _ok(admin.get(f"/api/v1/events/{lockdown.event_id}"))
    assert event["kind"] == "door.remote_lockdown"
    assert event["device_id"] == door.device.id
    assert event["data"]["reasons"] == "door_mode_edited"
    assert event["data"]["actor"] == f"user:{admin.id}"
    assert event["data"]["door_mode"] == "lockdown"

    # An edit that keeps the lockdown (a rename) sends nothing.
    _ok(admin.patch(url, json={"name": "Front door (north)"}))
    assert len(sink.sent) == 1

    _ok(admin.patch(url, json={"door_mode": "released"}))
    assert _sent(sink)[1:] == [(door.device.id, CommandKind.RELEASE)]
    event = _ok(admin.get(f"/api/v1/events/{sink.sent[1].event_id}"))
    assert event["kind"] == "door.remote_release"
    assert event["data"]["door_mode"] == "released"


def test_an_edit_that_does_not_touch_lockdown_sends_nothing(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    url = f"/api/v1/access-points/{door.point['id']}"
    _ok(admin.patch(url, json={"door_mode": "released"}))
    _ok(admin.patch(url, json={"name": "Side door", "door_mode": "normally_locked"}))
    assert sink.sent == []


def test_a_refused_edit_into_lockdown_sends_nothing(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    url = f"/api/v1/access-points/{door.point['id']}"
    response = admin.patch(url, json={"door_mode": "lockdown", "multi_factor_window_seconds": 0})
    assert response.status_code == 422, response.text
    assert sink.sent == []
    assert _ok(admin.get(url))["door_mode"] == "normally_locked"


def test_revoking_a_device_clears_its_retained_door_state(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    other = add_device(admin, door.site, "Reader 2")
    _ok(admin.post(f"/api/v1/devices/{door.device.id}/revoke"))
    assert sink.cleared == [(admin.tenant_id, door.device.id)]
    assert other.id not in {device for _, device in sink.cleared}


def test_only_a_sink_that_keeps_door_states_is_asked_to_clear_them(clock: FixedClock) -> None:
    outbox = CommandOutbox(clock=clock)
    assert state_sink_of(outbox) is outbox
    assert state_sink_of(NullCommandSink()) is None
    # No gateway client is bound yet: nothing could be handed over.
    assert outbox.clear_state(tenant_id="t", device_id="d") is False
