"""The MQTT device gateway (``gatepost.ingest.gateway``) against the real Mosquitto broker.

A device registered through the API connects with its own broker account, publishes
signed messages as docs/devices.md says, and reads its commands and errors topics; the
gateway decides through the arrival pipeline on the real database. Refused messages
are answered on the device's errors topic, counted, and store nothing.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.app import Gatepost, compose_app
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.ingest.topics import Channel, device_topic
from gatepost.security.device_mqtt import decode_key, message_mac
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.vision.fake_plates import fake_plate_image
from tests.support.api import Actor, add_site, admin_principal
from tests.support.leaks import remember
from tests.support.mqtt import Broker, Connected, Received, connect, exclusive_broker, wait_until
from tests.support.settings import test_settings

pytestmark = pytest.mark.slow

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
MAX_PAYLOAD = 64 * 1024


def _outbox(clock: FixedClock) -> CommandOutbox:
    # Short, so that the retry-and-expire test runs in seconds.
    return CommandOutbox(
        clock=clock, ttl=timedelta(seconds=2), first_retry=timedelta(milliseconds=300)
    )


@pytest.fixture
def broker() -> Iterator[Broker]:
    with exclusive_broker() as held:
        yield held


@pytest.fixture
def settings(tmp_path: Path, db_url: str, broker: Broker) -> Settings:
    base = test_settings(
        tmp_path / "data", db_url, allowed_hosts=["testserver", "127.0.0.1", "localhost"]
    )
    mqtt = {
        "enabled": True,
        "port": broker.port,
        "dir": str(broker.files.password_file.parent),
        "gateway_username": broker.gateway_username,
        "max_payload_bytes": MAX_PAYLOAD,
    }
    engines = {"faces": {"engine": {"type": "fake"}}, "plates": {"reader": {"type": "fake"}}}
    return Settings.model_validate(base.model_dump() | {"mqtt": mqtt} | engines)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    create_key_file(settings.key_file)
    built = build_container(
        settings,
        clock=clock,
        commands=_outbox(clock),
        broker_accounts=broker_accounts_for(settings),
    )
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The API without the composition root's gateway step: each test starts its own
    gateway workers."""
    with TestClient(compose_app(container), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def clients() -> Iterator[list[Connected]]:
    opened: list[Connected] = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def gateways() -> Iterator[list[MqttGateway]]:
    started: list[MqttGateway] = []
    yield started
    for gateway in started:
        gateway.stop()


def _start(settings: Settings, container: Container, name: str) -> MqttGateway:
    gateway = MqttGateway(settings, container, worker_name=f"{name}-{os.getpid()}", startup_wait=10)
    gateway.start()
    assert gateway.wait_ready(10), "the gateway did not subscribe"
    return gateway


@pytest.fixture
def gateway(settings: Settings, container: Container, gateways: list[MqttGateway]) -> MqttGateway:
    started = _start(settings, container, "gw-1")
    gateways.append(started)
    return started


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Door:
    """A site with one access point, a level that opens it always, a device bound to it
    (with its MQTT secrets) and a person with a card and the level."""

    CARD = "04A2B3C4D5"

    def __init__(self, admin: Actor, broker: Broker, clients: list[Connected], clock: FixedClock):
        site = add_site(admin)
        lobby = _ok(admin.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
        body = {"site_id": site, "name": "Front door", "into_zone_id": lobby["id"]}
        point = _ok(admin.post("/api/v1/access-points", json=body), 201)
        always = _ok(
            admin.post("/api/v1/schedules", json={"name": "Always", "intervals": ALWAYS}), 201
        )
        level = {"name": "Staff", "schedule_id": always["id"], "access_point_ids": [point["id"]]}
        level_id = _ok(admin.post("/api/v1/access-levels", json=level), 201)["id"]
        self.admin, self.broker, self.clock = admin, broker, clock
        self.issued = self.register(site, "Reader 1")
        url = f"/api/v1/devices/{self.issued['id']}/access-point"
        _ok(admin.put(url, json={"access_point_id": point["id"]}))
        person = _ok(admin.post("/api/v1/persons", json={"name": "Ada"}), 201)["id"]
        _ok(admin.put(f"/api/v1/persons/{person}/access-levels/{level_id}", json={}))
        card = {"kind": "card", "value": self.CARD}
        _ok(admin.post(f"/api/v1/persons/{person}/credentials", json=card), 201)
        self.site = site
        self.person_id = person
        self.key = decode_key(self.issued["mqtt_mac_key"])
        self.client = self.connect(self.issued, clients)
        self.sent = 0

    def register(self, site: str, name: str) -> dict[str, Any]:
        body = {"site_id": site, "name": name, "kind": "door_controller"}
        issued: dict[str, Any] = _ok(self.admin.post("/api/v1/devices", json=body), 201)
        for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
            remember(issued[secret])
        return issued

    def connect(self, issued: dict[str, Any], clients: list[Connected]) -> Connected:
        client = connect(self.broker, issued["mqtt_username"], issued["mqtt_password"])
        clients.append(client)
        for channel in (Channel.COMMANDS, Channel.ERRORS):
            assert client.subscribe(self.topic(channel, issued)) < 0x80
        return client

    def topic(self, channel: Channel, issued: dict[str, Any] | None = None) -> str:
        return device_topic(self.admin.tenant_id, (issued or self.issued)["id"], channel)

    def body(self, kind: str = "card", **fields: Any) -> bytes:
        self.sent += 1
        message = {
            "v": 1,
            "device_time": self.clock.now().isoformat(),
            "idempotency_key": f"door1-{self.sent}",
            "kind": kind,
            **({"card": self.CARD} if kind == "card" else {}),
            **fields,
        }
        return json.dumps(message).encode()

    def publish(
        self,
        payload: bytes,
        *,
        channel: Channel = Channel.EVENTS,
        key: bytes | None = None,
        client: Connected | None = None,
        topic: str | None = None,
    ) -> None:
        topic = topic or self.topic(channel)
        mac = message_mac(key or self.key, topic, payload)
        (client or self.client).publish(topic, payload, user_properties=[("mac", mac)])

    def expect(self, channel: Channel, timeout: float = 5) -> dict[str, Any]:
        """The next message on ``channel``, its MAC checked with the device's key."""
        got = self.client.expect(timeout)
        assert got.topic == self.topic(channel), (got.topic, got.payload)
        _check_mac(self.key, got)
        body: dict[str, Any] = json.loads(got.payload)
        return body

    def ack(self, command_id: str, result: str = "done") -> None:
        self.publish(self.body("ack", command_id=command_id, result=result), channel=Channel.ACKS)

    def events(self) -> int:
        return self.admin_container.events.count(admin_principal(self.admin))

    admin_container: Container


def _check_mac(key: bytes, got: Received) -> None:
    macs = [value for name, value in got.user_properties if name == "mac"]
    assert macs == [message_mac(key, got.topic, got.payload)], "the gateway's mac does not match"


@pytest.fixture
def door(
    admin: Actor, broker: Broker, clients: list[Connected], clock: FixedClock, container: Container
) -> Door:
    built = Door(admin, broker, clients, clock)
    built.admin_container = container
    return built


def test_a_card_arrival_is_decided_and_the_device_gets_a_signed_open_command(
    door: Door, gateway: MqttGateway, container: Container
) -> None:
    door.publish(door.body())
    command = door.expect(Channel.COMMANDS)
    assert command["v"] == 1 and command["kind"] == "open"
    assert command["command_id"] == command["event_id"]
    assert command["expires_at"].endswith("Z")
    event = _ok(door.admin.get(f"/api/v1/events/{command['event_id']}"))
    assert event["kind"] == "access.granted" and event["person_id"] == door.person_id
    assert event["data"]["arrival"] == "card" and Door.CARD not in str(event["data"])

    door.ack(command["command_id"])
    assert wait_until(lambda: gateway.counters.get("command.acked") == 1)
    assert gateway.counters["arrived"] == 1 and door.events() == 1
    outbox = container.arrivals.commands
    assert isinstance(outbox, CommandOutbox) and outbox.pending() == ()


def _refusal(door: Door) -> dict[str, Any]:
    refusal = door.expect(Channel.ERRORS)
    assert set(refusal) == {"v", "reason", "detail", "idempotency_key"}
    return refusal


def test_forged_stale_oversized_malformed_and_misaddressed_messages_are_refused(
    door: Door, gateway: MqttGateway, clients: list[Connected]
) -> None:
    # A wrong key: forged, and nothing from the payload comes back.
    door.publish(door.body(), key=b"\x00" * 32)
    forged = _refusal(door)
    assert forged["reason"] == "forged" and forged["idempotency_key"] is None
    assert Door.CARD not in json.dumps(forged)

    # No mac at all.
    door.client.publish(door.topic(Channel.EVENTS), door.body())
    assert _refusal(door)["reason"] == "forged"

    stale_time = (door.clock.now() - timedelta(days=30)).isoformat()
    stale = _refusal_of(door, door.body(device_time=stale_time))
    assert stale["reason"] == "stale" and stale["idempotency_key"] == f"door1-{door.sent}"
    assert stale["detail"].startswith("device_time:")

    oversized = _refusal_of(door, b"{" + b" " * MAX_PAYLOAD + b"}")
    assert oversized["reason"] == "oversized"
    assert _refusal_of(door, b'{"v": 1, "kind": "card",')["reason"] == "malformed"
    assert _refusal_of(door, door.body("teleport"))["reason"] == "unknown_kind"
    assert _refusal_of(door, door.body("exit_button", extra=1))["reason"] == "malformed"
    ack_on_events = door.body("ack", command_id="x", result="done")
    assert _refusal_of(door, ack_on_events)["reason"] == "wrong_topic"

    # Another device of the tenant: publishing as door A on B's topic is dropped by
    # the broker; B's topic with a body signed with A's key is forged.
    other = door.register(door.site, "Reader 2")
    other_client = door.connect(other, clients)
    door.publish(door.body(), topic=door.topic(Channel.EVENTS, other))
    other_client.expect_nothing(1.0)
    door.publish(door.body(), topic=door.topic(Channel.EVENTS, other), client=other_client)
    crossed = other_client.expect()
    assert crossed.topic == door.topic(Channel.ERRORS, other)
    _check_mac(decode_key(other["mqtt_mac_key"]), crossed)
    assert json.loads(crossed.payload)["reason"] == "forged"

    counters = gateway.counters
    assert counters["refused.forged"] == 3 and counters["refused.stale"] == 1
    assert counters["refused.oversized"] == 1 and counters["refused.malformed"] == 2
    assert counters["refused.unknown_kind"] == 1 and counters["refused.wrong_topic"] == 1
    assert "arrived" not in counters and door.events() == 0
    door.client.expect_nothing(0.3)


def _refusal_of(door: Door, payload: bytes) -> dict[str, Any]:
    door.publish(payload)
    return _refusal(door)


def test_a_replay_is_stored_once_and_a_reused_key_is_refused(
    door: Door, gateway: MqttGateway
) -> None:
    first = door.body()
    door.publish(first)
    command = door.expect(Channel.COMMANDS)
    door.publish(first)  # the same key and bytes: the same decision, the same command id
    again = door.expect(Channel.COMMANDS)
    assert (again["command_id"], again["kind"]) == (command["command_id"], "open")
    assert door.events() == 1 and gateway.counters["duplicate"] == 1
    door.ack(command["command_id"])

    reused = json.loads(first) | {"kind": "exit_button"}
    del reused["card"]
    refusal = _refusal_of(door, json.dumps(reused).encode())
    assert refusal["reason"] == "reused_key"
    assert refusal["idempotency_key"] == json.loads(first)["idempotency_key"]
    assert gateway.counters["refused.reused_key"] == 1 and door.events() == 1


def test_an_unacknowledged_command_is_retried_then_expires(
    door: Door, gateway: MqttGateway
) -> None:
    door.publish(door.body())
    first = door.client.expect()
    retried = door.client.expect(timeout=2)
    assert (retried.topic, retried.payload) == (first.topic, first.payload)  # same bytes
    assert wait_until(lambda: gateway.counters.get("command.expired") == 1, timeout=5)
    assert gateway.counters["command.retried"] >= 1
    while not door.client.inbox.empty():  # retries sent before it expired
        assert door.client.inbox.get().payload == first.payload
    door.client.expect_nothing(0.5)


def test_two_gateway_workers_share_a_stream_and_decide_each_arrival_once(
    door: Door,
    settings: Settings,
    container: Container,
    clock: FixedClock,
    gateways: list[MqttGateway],
) -> None:
    second_container = build_container(settings, clock=clock, commands=_outbox(clock))
    try:
        workers = [
            _start(settings, container, "gw-a"),
            _start(settings, second_container, "gw-b"),
        ]
        gateways.extend(workers)
        total = 40
        for _ in range(total):
            door.publish(door.body())
        commands: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 20
        while len(commands) < total and time.monotonic() < deadline:
            command = door.expect(Channel.COMMANDS, timeout=10)
            if command["command_id"] not in commands:
                door.ack(command["command_id"])
            commands[command["command_id"]] = command
        assert len(commands) == total
        assert {c["event_id"] for c in commands.values()} == set(commands)
        assert door.events() == total
        # A worker counts an arrival after handing its command over: wait for the count.
        assert wait_until(lambda: sum(w.counters.get("arrived", 0) for w in workers) == total)
        arrived = [worker.counters.get("arrived", 0) for worker in workers]
        assert min(arrived) > 0, arrived
        assert wait_until(lambda: sum(w.counters.get("command.acked", 0) for w in workers) == total)
        assert all(w.counters.get("duplicate", 0) == 0 for w in workers)
    finally:
        second_container.close()


def test_a_plate_frame_over_mqtt_is_read_decided_and_commanded(
    door: Door, gateway: MqttGateway
) -> None:
    plate = "京A12345"
    created = door.admin.post("/api/v1/vehicles", json={"plate": plate, "list": "allow"})
    assert created.status_code == 201, created.text
    frame = base64.b64encode(fake_plate_image(plate)).decode()
    door.publish(door.body("plate", frame=frame))
    command = door.expect(Channel.COMMANDS)
    event = _ok(door.admin.get(f"/api/v1/events/{command['event_id']}"))
    assert event["data"]["arrival"] == "plate" and event["kind"] == "access.granted"
    assert command["kind"] in {"open", "raise_barrier"}
    assert _refusal_of(door, door.body("face", frame="bm90IGFuIGltYWdl"))["reason"] == "malformed"
    assert door.events() == 1


def test_the_composition_root_runs_the_gateway_when_mqtt_is_enabled(
    settings: Settings, container: Container, clock: FixedClock
) -> None:
    with Gatepost(settings, clock=clock) as gatepost:
        assert gatepost.running[-1] == "gateway"
        assert isinstance(gatepost.container.arrivals.commands, CommandOutbox)
    off = settings.model_copy(update={"mqtt": settings.mqtt.model_copy(update={"enabled": False})})
    assert "gateway" not in [step.name for step in Gatepost(off).steps()]
