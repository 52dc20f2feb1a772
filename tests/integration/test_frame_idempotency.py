"""Face and plate frames under a device's idempotency key (SECURITY.md 33).

A device that got no answer sends its frame again under the same key, possibly long
after the repeat window (docs/devices.md). The frame is stored once: one event, one
gate-log read, one kept frame, and the redelivery is answered with the stored decision
(over MQTT, the stored decision's command again, same ``command_id``, naming the
arrival's key; over HTTPS, ``duplicate``). It is not recognised again: the tests change
what a second recognition would find (the vehicle's list, the person's face) before
resending. Another frame under a used key is refused (``reused_key`` / 409) and stores
nothing. MQTT runs against the real Mosquitto broker and gateway; both on the real
database, with the packaged fake engines (they read what a frame encodes).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.ingest.topics import Channel, device_topic
from gatepost.security.device_mqtt import decode_key, message_mac
from gatepost.security.kek import create_key_file
from gatepost.services.commands import CommandSink, RecordingCommandSink
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.vision.fake_faces import fake_face_image
from gatepost.vision.fake_plates import fake_plate_image
from tests.support.api import Actor, add_device, add_site, call
from tests.support.leaks import remember
from tests.support.mqtt import Broker, Connected, connect, exclusive_broker, wait_until
from tests.support.rows import row_counts
from tests.support.settings import test_settings

KNOWN, STRANGER = "京A12345", "沪C11111"
LATER = timedelta(seconds=30)  # past the repeat window (10 s): only the key can tell


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> Settings:
    """Fake engines; the broker's settings only for a test that uses the broker."""
    base = test_settings(
        tmp_path / "data", db_url, allowed_hosts=["testserver", "127.0.0.1", "localhost"]
    ).model_dump() | {"faces": {"engine": {"type": "fake"}}, "plates": {"reader": {"type": "fake"}}}
    if "broker" in request.fixturenames:
        broker: Broker = request.getfixturevalue("broker")
        base |= {
            "mqtt": {
                "enabled": True,
                "port": broker.port,
                "dir": str(broker.files.password_file.parent),
                "gateway_username": broker.gateway_username,
            }
        }
    return Settings.model_validate(base)


@pytest.fixture
def broker() -> Iterator[Broker]:
    with exclusive_broker() as held:
        yield held


@pytest.fixture
def commands(request: pytest.FixtureRequest, clock: FixedClock) -> CommandSink:
    if "broker" in request.fixturenames:
        return CommandOutbox(clock=clock)
    return RecordingCommandSink()


@pytest.fixture
def container(settings: Settings, clock: FixedClock, commands: CommandSink) -> Iterator[Container]:
    create_key_file(settings.key_file)
    built = build_container(
        settings, clock=clock, commands=commands, broker_accounts=broker_accounts_for(settings)
    )
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(compose_app(container), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def gateway(settings: Settings, container: Container, broker: Broker) -> Iterator[MqttGateway]:
    started = MqttGateway(settings, container, worker_name=f"frames-{os.getpid()}", startup_wait=10)
    started.start()
    assert started.wait_ready(10), "the gateway did not subscribe"
    yield started
    started.stop()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _enrol_ada(admin: Actor) -> str:
    person = _ok(admin.post("/api/v1/persons", json={"name": "Ada"}), 201)["id"]
    consent = {"purpose": "biometric_face", "notice_version": "v1"}
    _ok(admin.post(f"/api/v1/persons/{person}/consents", json=consent), 201)
    photo = [("files", ("ada.png", fake_face_image("ada"), "image/png"))]
    _ok(admin.post(f"/api/v1/persons/{person}/faces", files=photo), 201)
    return str(person)


def _stored(container: Container) -> dict[str, int]:
    """Events, gate-log reads and kept frames."""
    counts = row_counts(container)
    return {k: counts[k] for k in ("events", "plate_reads", "media_objects")}


def _keys_stored(container: Container) -> list[str]:
    with container.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT idempotency_key FROM events")).scalars().all()
    return [str(row) for row in rows]


# -- MQTT ------------------------------------------------------------------------------


class Camera:
    """A device registered through the API (bound to no access point: its own, a
    barrier for plates), connected to the broker on its own account, listening on its
    commands and errors topics."""

    def __init__(self, admin: Actor, broker: Broker, clock: FixedClock) -> None:
        body = {"site_id": add_site(admin), "name": "Lane 1", "kind": "camera"}
        self.issued: dict[str, Any] = _ok(admin.post("/api/v1/devices", json=body), 201)
        for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
            remember(self.issued[secret])
        self.tenant_id, self.clock = admin.tenant_id, clock
        self.key = decode_key(self.issued["mqtt_mac_key"])
        self.client: Connected = connect(
            broker, self.issued["mqtt_username"], self.issued["mqtt_password"]
        )
        for channel in (Channel.COMMANDS, Channel.ERRORS):
            assert self.client.subscribe(self.topic(channel)) < 0x80
        self.sent = 0

    def topic(self, channel: Channel) -> str:
        return device_topic(self.tenant_id, self.issued["id"], channel)

    def frame(self, kind: str, frame: bytes) -> bytes:
        self.sent += 1
        return json.dumps(
            {
                "v": 1,
                "device_time": self.clock.now().isoformat(),
                "idempotency_key": f"cam1-{self.sent}",
                "kind": kind,
                "frame": base64.b64encode(frame).decode(),
            }
        ).encode()

    def publish(self, payload: bytes, channel: Channel = Channel.EVENTS) -> None:
        topic = self.topic(channel)
        mac = message_mac(self.key, topic, payload)
        self.client.publish(topic, payload, user_properties=[("mac", mac)])

    def expect(self, channel: Channel) -> dict[str, Any]:
        got = self.client.expect(5)
        assert got.topic == self.topic(channel), (got.topic, got.payload)
        macs = [value for name, value in got.user_properties if name == "mac"]
        assert macs == [message_mac(self.key, got.topic, got.payload)]
        body: dict[str, Any] = json.loads(got.payload)
        return body

    def settle(self, command: dict[str, Any], outbox: CommandOutbox) -> None:
        """Acknowledge ``command`` and wait until its retries stopped, then drop them."""
        self.sent += 1
        ack = {
            "v": 1,
            "device_time": self.clock.now().isoformat(),
            "idempotency_key": f"ack-{self.sent}",
            "kind": "ack",
            "command_id": command["command_id"],
            "result": "done",
        }
        self.publish(json.dumps(ack).encode(), Channel.ACKS)
        assert wait_until(lambda: outbox.pending() == ())
        while not self.client.inbox.empty():
            assert (
                json.loads(self.client.inbox.get().payload)["command_id"] == (command["command_id"])
            )


@pytest.fixture
def camera(admin: Actor, broker: Broker, clock: FixedClock) -> Iterator[Camera]:
    built = Camera(admin, broker, clock)
    yield built
    built.client.close()


def test_a_plate_frame_resent_over_mqtt_is_stored_once_and_gets_the_same_command(
    admin: Actor, camera: Camera, container: Container, gateway: MqttGateway, clock: FixedClock
) -> None:
    _ok(admin.put("/api/v1/plates/policy", json={"image_days": 7}))  # frames are kept
    vehicle = _ok(admin.post("/api/v1/vehicles", json={"plate": KNOWN, "list": "allow"}), 201)
    outbox = container.arrivals.commands
    assert isinstance(outbox, CommandOutbox)
    first = camera.frame("plate", fake_plate_image(KNOWN))
    key = json.loads(first)["idempotency_key"]
    camera.publish(first)
    command = camera.expect(Channel.COMMANDS)
    assert (command["kind"], command["arrival_key"]) == ("raise_barrier", key)
    camera.settle(command, outbox)
    stored = _stored(container)
    assert stored == {"events": 1, "plate_reads": 1, "media_objects": 1}

    # Long after the repeat window, and with the car deny-listed meanwhile: a second
    # read would refuse it. The resend is answered from the stored decision.
    clock.advance(LATER)
    _ok(admin.patch(f"/api/v1/vehicles/{vehicle['id']}", json={"list": "deny"}))
    camera.publish(first)
    again = camera.expect(Channel.COMMANDS)
    assert again["command_id"] == command["command_id"] == again["event_id"]
    assert (again["kind"], again["arrival_key"]) == ("raise_barrier", key)
    camera.settle(again, outbox)
    assert _stored(container) == stored and gateway.counters["duplicate"] == 1

    # The same key with another frame: refused, nothing stored, no command.
    other = json.loads(first) | {"frame": base64.b64encode(fake_plate_image(STRANGER)).decode()}
    camera.publish(json.dumps(other).encode())
    refusal = camera.expect(Channel.ERRORS)
    assert (refusal["reason"], refusal["idempotency_key"]) == ("reused_key", key)
    assert _stored(container) == stored and gateway.counters["refused.reused_key"] == 1
    camera.client.expect_nothing(0.5)


def test_a_face_frame_resent_over_mqtt_is_stored_once_and_gets_the_same_command(
    admin: Actor, camera: Camera, container: Container, gateway: MqttGateway, clock: FixedClock
) -> None:
    person = _enrol_ada(admin)
    outbox = container.arrivals.commands
    assert isinstance(outbox, CommandOutbox)
    first = camera.frame("face", fake_face_image("ada"))
    key = json.loads(first)["idempotency_key"]
    camera.publish(first)
    command = camera.expect(Channel.COMMANDS)
    assert command["arrival_key"] == key
    event = _ok(admin.get(f"/api/v1/events/{command['event_id']}"))
    assert event["person_id"] == person and event["data"]["arrival"] == "face"
    camera.settle(command, outbox)
    stored = _stored(container)

    # Long after the repeat window, and with Ada's face deleted meanwhile: a second
    # recognition would find nobody.
    clock.advance(LATER)
    _ok(admin.delete(f"/api/v1/persons/{person}/faces"))
    camera.publish(first)
    again = camera.expect(Channel.COMMANDS)
    assert (again["command_id"], again["kind"], again["display"], again["arrival_key"]) == (
        command["command_id"],
        command["kind"],
        command["display"],
        key,
    )
    camera.settle(again, outbox)
    assert _stored(container) == stored and stored["events"] == 1
    assert gateway.counters["duplicate"] == 1

    other = json.loads(first) | {"frame": base64.b64encode(fake_face_image("mallory")).decode()}
    camera.publish(json.dumps(other).encode())
    assert camera.expect(Channel.ERRORS)["reason"] == "reused_key"
    assert _stored(container) == stored
    camera.client.expect_nothing(0.5)


def test_a_card_key_is_not_a_frame_key(
    admin: Actor, camera: Camera, container: Container, gateway: MqttGateway
) -> None:
    """One key names one message of any kind: a frame under a card arrival's key is
    refused, and so is a card under a frame's."""
    card = {
        "v": 1,
        "device_time": camera.clock.now().isoformat(),
        "idempotency_key": "cam1-shared",
        "kind": "card",
        "card": "04A2B3C4D5",
    }
    outbox = container.arrivals.commands
    assert isinstance(outbox, CommandOutbox)
    camera.publish(json.dumps(card).encode())
    command = camera.expect(Channel.COMMANDS)
    assert command["arrival_key"] == "cam1-shared"
    camera.settle(command, outbox)
    frame = card | {"kind": "plate", "frame": base64.b64encode(fake_plate_image(KNOWN)).decode()}
    del frame["card"]
    camera.publish(json.dumps(frame).encode())
    assert camera.expect(Channel.ERRORS)["reason"] == "reused_key"
    assert _keys_stored(container) == ["cam1-shared"]


# -- HTTPS -----------------------------------------------------------------------------


def _post_frame(device: Actor, path: str, frame: bytes, key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return call(
        device, "POST", path, files={"file": ("f.png", frame, "image/png")}, headers=headers
    )


def test_a_plate_frame_resent_over_https_is_stored_once_and_answered_as_a_duplicate(
    admin: Actor, container: Container, commands: RecordingCommandSink, clock: FixedClock
) -> None:
    _ok(admin.put("/api/v1/plates/policy", json={"image_days": 7}))
    vehicle = _ok(admin.post("/api/v1/vehicles", json={"plate": KNOWN, "list": "allow"}), 201)
    gate = add_device(admin, add_site(admin))
    first = _ok(_post_frame(gate, "/api/v1/plates/read", fake_plate_image(KNOWN), "gate-1"))
    assert first["decision"] == "allow" and not first["duplicate"]
    stored = _stored(container)
    assert stored == {"events": 1, "plate_reads": 1, "media_objects": 1}
    ((command,),) = [commands.sent]
    assert (command.event_id, command.arrival_key) == (first["event_id"], "gate-1")

    clock.advance(LATER)
    _ok(admin.patch(f"/api/v1/vehicles/{vehicle['id']}", json={"list": "deny"}))
    again = _ok(_post_frame(gate, "/api/v1/plates/read", fake_plate_image(KNOWN), "gate-1"))
    assert again["duplicate"] and again["event_id"] == first["event_id"]
    assert (again["decision"], again["outcome"], again["reasons"]) == (
        "allow",
        "grant",
        first["reasons"],
    )
    assert again["plates"] == [] and again["read_id"] is None
    assert _stored(container) == stored and len(commands.sent) == 1

    reused = _post_frame(gate, "/api/v1/plates/read", fake_plate_image(STRANGER), "gate-1")
    assert reused.status_code == 409, reused.text
    assert reused.json()["error"]["code"] == "reused_key"
    assert _stored(container) == stored and len(commands.sent) == 1

    # Without a key, the repeat window alone decides, as before.
    unkeyed = _ok(_post_frame(gate, "/api/v1/plates/read", fake_plate_image(STRANGER), None))
    assert unkeyed["event_id"] is not None and not unkeyed["duplicate"]


def test_a_face_frame_resent_over_https_is_stored_once_and_answered_as_a_duplicate(
    admin: Actor, container: Container, commands: RecordingCommandSink, clock: FixedClock
) -> None:
    person = _enrol_ada(admin)
    door = add_device(admin, add_site(admin))
    first = _ok(_post_frame(door, "/api/v1/faces/identify", fake_face_image("ada"), "door-7"))
    assert first["person_id"] == person and not first["access"]["duplicate"]
    stored = _stored(container)
    assert stored["events"] == 1 and commands.sent[-1].arrival_key == "door-7"

    clock.advance(LATER)
    _ok(admin.delete(f"/api/v1/persons/{person}/faces"))
    again = _ok(_post_frame(door, "/api/v1/faces/identify", fake_face_image("ada"), "door-7"))
    assert again["access"] == first["access"] | {"duplicate": True}
    kept = ("decision", "reason", "person_id", "distance", "threshold", "gallery_size", "fpir")
    assert {k: again[k] for k in kept} == {k: first[k] for k in kept}
    assert again["face"] is None and again["faces_found"] == first["faces_found"]
    assert _stored(container) == stored and len(commands.sent) == 1

    reused = _post_frame(door, "/api/v1/faces/identify", fake_face_image("mallory"), "door-7")
    assert reused.status_code == 409, reused.text
    assert _stored(container) == stored


def test_a_bad_idempotency_key_header_is_refused_naming_it(admin: Actor) -> None:
    gate = add_device(admin, add_site(admin))
    for path in ("/api/v1/plates/read", "/api/v1/faces/identify"):
        refused = _post_frame(gate, path, fake_plate_image(KNOWN), "no spaces allowed")
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "Idempotency-Key"


def test_a_user_test_frame_ignores_the_key_and_stores_nothing(
    admin: Actor, container: Container
) -> None:
    before = _stored(container)
    for _ in range(2):
        tested = _ok(_post_frame(admin, "/api/v1/plates/read", fake_plate_image(KNOWN), "k-1"))
        assert tested["event_id"] is None and not tested["duplicate"]
    assert _stored(container) == before
