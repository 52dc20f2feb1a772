"""Remote door commands (POST /api/v1/access-points/{id}/open|lockdown|release and the
zone-wide lockdown and release): a reason is required and audited, each bound device
gets its command (recorded as an event without the reason's text), lockdown refuses the
next arrival and release restores the door mode it replaced. The real MQTT path (the
gateway's outbox publishing to a simulated device on the real broker) is at the end.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.app import compose_app
from gatepost.domain.decisions import CommandKind
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.security.device_mqtt import decode_key
from gatepost.security.kek import create_key_file
from gatepost.services.commands import RecordingCommandSink
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.simulator.device import DeviceIdentity, MqttDevice
from tests.integration.test_device_arrivals import Door
from tests.support.api import Actor, add_device, add_site, add_user, setup_platform
from tests.support.leaks import remember
from tests.support.mqtt import exclusive_broker, wait_until

REASON = "Courier stuck at the loading bay door"
remember(REASON)


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


def _audit(admin: Actor, action: str) -> list[dict[str, Any]]:
    page = _ok(admin.get("/api/v1/audit", params={"action": action, "limit": 50}))
    return list(page["items"])


def test_a_remote_open_sends_open_to_every_bound_device_and_is_audited_with_its_reason(
    admin: Actor, sink: RecordingCommandSink, container: Container
) -> None:
    door = Door(admin)
    second = add_device(admin, door.site, "Reader 2")
    _ok(
        admin.put(
            f"/api/v1/devices/{second.id}/access-point",
            json={"access_point_id": door.point["id"]},
        )
    )
    revoked = add_device(admin, door.site, "Old reader")
    _ok(
        admin.put(
            f"/api/v1/devices/{revoked.id}/access-point",
            json={"access_point_id": door.point["id"]},
        )
    )
    _ok(admin.post(f"/api/v1/devices/{revoked.id}/revoke"))
    sent = _ok(
        admin.post(
            f"/api/v1/access-points/{door.point['id']}/open", json={"reason": f"  {REASON}  "}
        )
    )
    assert sent["command"] == "open" and sent["devices"] == 2
    assert sorted(sent["device_ids"]) == sorted([door.device.id, second.id])
    assert sent["door_mode"] == "normally_locked"
    assert sorted((c.device_id, c.command.kind) for c in sink.sent) == sorted(
        [(door.device.id, CommandKind.OPEN), (second.id, CommandKind.OPEN)]
    )
    assert {c.event_id for c in sink.sent} == set(sent["event_ids"])
    event = _ok(admin.get(f"/api/v1/events/{sent['event_ids'][0]}"))
    assert event["kind"] == "door.remote_open"
    assert event["data"]["actor"] == f"user:{admin.id}"
    assert event["data"]["reasons"] == "remote_open"
    assert REASON not in str(event) and "Courier" not in str(event)
    (entry,) = _audit(admin, "access_point.remote_open")
    assert entry["purpose"] == REASON  # trimmed
    assert entry["actor"] == f"user:{admin.id}"
    assert entry["target"] == f"access_point:{door.point['id']}"
    assert entry["details"] == {"command": "open", "devices": "2", "door_mode": "normally_locked"}


def test_a_barrier_is_raised_and_a_point_without_devices_cannot_be_opened(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    gate = Door(admin, barrier=True)
    sent = _ok(
        admin.post(f"/api/v1/access-points/{gate.point['id']}/open", json={"reason": "Taxi"})
    )
    assert sent["command"] == "raise_barrier"
    assert [c.command.kind for c in sink.sent] == [CommandKind.RAISE_BARRIER]
    empty = _ok(
        admin.post("/api/v1/access-points", json={"site_id": gate.site, "name": "Side door"}),
        201,
    )
    refused = admin.post(f"/api/v1/access-points/{empty['id']}/open", json={"reason": "Taxi"})
    assert refused.status_code == 409 and "no device" in refused.json()["error"]["message"]
    assert len(sink.sent) == 1 and _audit(admin, "access_point.remote_open") != []


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "  "}, {"reason": " a  "}, {"reason": "x" * 501}],
)
def test_a_command_without_a_proper_reason_is_refused_naming_reason_and_sends_nothing(
    admin: Actor, sink: RecordingCommandSink, body: dict[str, Any]
) -> None:
    door = Door(admin)
    for action in ("open", "lockdown", "release"):
        url = f"/api/v1/access-points/{door.point['id']}/{action}"
        response = admin.post(url, json=body)
        assert response.status_code == 422, response.text
        assert "reason" in str(response.json()["error"]), response.text
    assert sink.sent == []
    assert _ok(admin.get(f"/api/v1/access-points/{door.point['id']}"))["door_mode"] == (
        "normally_locked"
    )
    assert _audit(admin, "access_point.remote_open") == []


def test_lockdown_refuses_the_next_card_and_release_restores_the_mode_it_replaced(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin, door_mode="released")
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="04A1B2")
    assert _ok(door.arrive("card", "04A1B2"))["outcome"] == "grant"
    url = f"/api/v1/access-points/{door.point['id']}"

    sink.sent.clear()  # the arrival's own command
    locked = _ok(admin.post(f"{url}/lockdown", json={"reason": "Intruder reported"}))
    assert locked["door_mode"] == "lockdown" and locked["command"] == "lockdown"
    assert [(c.device_id, c.command.kind) for c in sink.sent] == [
        (door.device.id, CommandKind.LOCKDOWN)
    ]
    assert _ok(admin.get(url))["door_mode"] == "lockdown"
    denied = _ok(door.arrive("card", "04A1B2"))
    assert denied["outcome"] == "deny" and denied["reasons"][0] == "lockdown"
    assert _ok(door.arrive("exit_button"))["outcome"] == "grant"  # egress stays

    # Locked down already: nothing changes, the command goes out again (a device that
    # was offline at the first one gets it now).
    sink.sent.clear()
    again = _ok(admin.post(f"{url}/lockdown", json={"reason": "Reader was offline"}))
    assert again["resent"] is True and again["door_mode"] == "lockdown"
    assert [(c.device_id, c.command.kind) for c in sink.sent] == [
        (door.device.id, CommandKind.LOCKDOWN)
    ]
    assert locked["resent"] is False

    # An operator's remote open passes a lockdown; the point stays locked down.
    _ok(admin.post(f"{url}/open", json={"reason": "Police let in"}))
    assert _ok(admin.get(url))["door_mode"] == "lockdown"

    released = _ok(admin.post(f"{url}/release", json={"reason": "All clear"}))
    assert released["door_mode"] == "released" and released["command"] == "release"
    assert sink.sent[-1].command.kind is CommandKind.RELEASE
    assert _ok(admin.get(url))["door_mode"] == "released"
    assert _ok(door.arrive("card", "04A1B2"))["outcome"] == "grant"
    twice = _ok(admin.post(f"{url}/release", json={"reason": "Resend the release"}))
    assert twice["resent"] is True and twice["door_mode"] == "released"
    assert twice["command"] == "release" and sink.sent[-1].command.kind is CommandKind.RELEASE
    assert _ok(admin.get(url))["door_mode"] == "released"
    resent_event = _ok(admin.get(f"/api/v1/events/{twice['event_ids'][0]}"))
    assert resent_event["data"]["resent"] is True

    resend, entry = _audit(admin, "access_point.remote_lockdown")  # newest first
    assert entry["purpose"] == "Intruder reported" and entry["details"]["devices"] == "1"
    assert "resent" not in entry["details"]
    assert resend["purpose"] == "Reader was offline" and resend["details"]["resent"] == "true"
    resend, entry = _audit(admin, "access_point.remote_release")
    assert entry["purpose"] == "All clear" and entry["details"]["door_mode"] == "released"
    assert resend["details"]["resent"] == "true"
    kinds = [e["kind"] for e in _ok(admin.get("/api/v1/events", params={"limit": 50}))["items"]]
    assert {"door.remote_lockdown", "door.remote_open", "door.remote_release"} <= set(kinds)


def test_an_edit_of_the_door_mode_forgets_the_mode_a_remote_lockdown_replaced(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin, door_mode="released")
    url = f"/api/v1/access-points/{door.point['id']}"
    _ok(admin.post(f"{url}/lockdown", json={"reason": "Intruder reported"}))
    # A rename keeps the lockdown and what it replaced.
    _ok(admin.patch(url, json={"name": "Front door (north)"}))
    assert _ok(admin.post(f"{url}/release", json={"reason": "All clear"}))["door_mode"] == (
        "released"
    )
    # Locked down remotely, then edited to normally locked and later to lockdown: the
    # release must not bring back "released" from before the edits.
    _ok(admin.post(f"{url}/lockdown", json={"reason": "Intruder reported"}))
    _ok(admin.patch(url, json={"door_mode": "normally_locked"}))
    _ok(admin.patch(url, json={"door_mode": "lockdown"}))
    released = _ok(admin.post(f"{url}/release", json={"reason": "All clear"}))
    assert released["door_mode"] == "normally_locked" and released["resent"] is False
    assert _ok(admin.get(url))["door_mode"] == "normally_locked"


def test_a_zone_lockdown_locks_every_point_of_the_zone_and_its_release_restores_them(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    lobby = door.lobby
    inner = _ok(admin.post("/api/v1/zones", json={"site_id": door.site, "name": "Lab"}), 201)
    way_out = {
        "site_id": door.site,
        "name": "Lobby exit",
        "out_of_zone_id": lobby,
        "direction": "out",
        "door_mode": "released",
    }
    exit_point = _ok(admin.post("/api/v1/access-points", json=way_out), 201)
    into_lab = {"site_id": door.site, "name": "Lab door", "into_zone_id": inner["id"]}
    lab_door = _ok(admin.post("/api/v1/access-points", json=into_lab), 201)

    locked = _ok(admin.post(f"/api/v1/zones/{lobby}/lockdown", json={"reason": "Fire drill"}))
    ids = {p["access_point_id"] for p in locked["access_points"]}
    assert ids == {door.point["id"], exit_point["id"]} and locked["unchanged"] == 0
    assert locked["devices"] == 1 and [c.command.kind for c in sink.sent] == [CommandKind.LOCKDOWN]
    for point_id in ids:
        assert _ok(admin.get(f"/api/v1/access-points/{point_id}"))["door_mode"] == "lockdown"
    assert _ok(admin.get(f"/api/v1/access-points/{lab_door['id']}"))["door_mode"] == (
        "normally_locked"
    )
    sink.sent.clear()
    again = _ok(admin.post(f"/api/v1/zones/{lobby}/lockdown", json={"reason": "Again"}))
    assert again["unchanged"] == 2 and all(p["resent"] for p in again["access_points"])
    assert [c.command.kind for c in sink.sent] == [CommandKind.LOCKDOWN]

    released = _ok(admin.post(f"/api/v1/zones/{lobby}/release", json={"reason": "Drill over"}))
    assert {p["access_point_id"] for p in released["access_points"]} == ids
    modes = {p["access_point_id"]: p["door_mode"] for p in released["access_points"]}
    assert modes == {door.point["id"]: "normally_locked", exit_point["id"]: "released"}
    resend, entry = _audit(admin, "zone.remote_lockdown")  # newest first
    assert entry["purpose"] == "Fire drill" and entry["target"] == f"zone:{lobby}"
    assert set(resend["details"]["resent"].split(",")) == ids


def test_guards_operate_doors_and_hr_clerks_cannot(
    admin: Actor, sink: RecordingCommandSink
) -> None:
    door = Door(admin)
    url = f"/api/v1/access-points/{door.point['id']}"
    guard = add_user(admin, "guard", "night-guard")
    _ok(guard.post(f"{url}/open", json={"reason": "Visitor at the door"}))
    clerk = add_user(admin, "hr", "payroll-clerk")
    for action in ("open", "lockdown", "release"):
        refused = clerk.post(f"{url}/{action}", json={"reason": "Let me in"})
        assert refused.status_code == 403, refused.text
    refused = clerk.post(f"/api/v1/zones/{door.lobby}/lockdown", json={"reason": "Let me in"})
    assert refused.status_code == 403
    assert len(sink.sent) == 1


def test_concurrent_lockdowns_of_one_point_change_it_once(
    admin: Actor, sink: RecordingCommandSink, container: Container
) -> None:
    door = Door(admin)
    url = f"/api/v1/access-points/{door.point['id']}/lockdown"
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def lock() -> None:
        barrier.wait()
        statuses.append(admin.post(url, json={"reason": "Alarm"}).status_code)

    threads = [threading.Thread(target=lock) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200, 200]
    assert len(sink.sent) == 4  # one lockdown, three resends
    entries = _audit(admin, "access_point.remote_lockdown")
    assert sorted("resent" in e["details"] for e in entries) == [False, True, True, True]


def test_the_reason_never_reaches_the_logs(
    admin: Actor, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    door = Door(admin)
    with caplog.at_level("DEBUG"):
        _ok(admin.post(f"/api/v1/access-points/{door.point['id']}/open", json={"reason": REASON}))
    assert REASON not in caplog.text


@pytest.mark.slow
def test_a_remote_open_reaches_a_simulated_device_over_the_real_broker(
    settings: Settings, clock: FixedClock
) -> None:
    """The real path: the API's remote open goes to the gateway's outbox, which
    publishes the signed command on the real broker to a simulated device (which checks
    the signature and acknowledges it)."""
    with exclusive_broker() as broker:
        mqtt = {
            "enabled": True,
            "port": broker.port,
            "dir": str(broker.files.password_file.parent),
            "gateway_username": broker.gateway_username,
        }
        with_mqtt = Settings.model_validate(settings.model_dump() | {"mqtt": mqtt})
        create_key_file(with_mqtt.key_file)
        outbox = CommandOutbox(clock=clock)
        built = build_container(
            with_mqtt,
            clock=clock,
            commands=outbox,
            broker_accounts=broker_accounts_for(with_mqtt),
        )
        gateway: MqttGateway | None = None
        device: MqttDevice | None = None
        try:
            with TestClient(compose_app(built), base_url="https://testserver") as client:
                admin = setup_platform(client, built)
                site = add_site(admin)
                point = _ok(
                    admin.post("/api/v1/access-points", json={"site_id": site, "name": "Gate"}), 201
                )
                body = {"site_id": site, "name": "Controller", "kind": "door_controller"}
                issued = _ok(admin.post("/api/v1/devices", json=body), 201)
                for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
                    remember(issued[secret])
                _ok(
                    admin.put(
                        f"/api/v1/devices/{issued['id']}/access-point",
                        json={"access_point_id": point["id"]},
                    )
                )
                gateway = MqttGateway(
                    with_mqtt, built, worker_name=f"remote-{os.getpid()}", startup_wait=10
                )
                gateway.start()
                assert gateway.wait_ready(10), "the gateway did not subscribe"
                received: list[dict[str, Any]] = []
                identity = DeviceIdentity(
                    tenant_id=admin.tenant_id,
                    device_id=issued["id"],
                    mqtt_username=issued["mqtt_username"],
                    mqtt_password=issued["mqtt_password"],
                    mac_key=decode_key(issued["mqtt_mac_key"]),
                )
                device = MqttDevice(
                    identity, host=broker.host, port=broker.port, on_command=received.append
                ).connect()
                sent = _ok(
                    admin.post(f"/api/v1/access-points/{point['id']}/open", json={"reason": REASON})
                )
                assert wait_until(lambda: bool(received), timeout=10), "no command arrived"
                (command,) = received
                assert command["kind"] == "open"
                assert command["command_id"] == command["event_id"] == sent["event_ids"][0]
                assert device.stats.forged_commands == 0
                # The device acknowledged it: the outbox stops resending.
                assert wait_until(lambda: not outbox.pending(), timeout=10)
        finally:
            if device is not None:
                device.close()
            if gateway is not None:
                gateway.stop()
            built.close()
