"""The MQTT device gateway (``gatepost.ingest.gateway``) against the real Mosquitto broker.

A device registered through the API connects with its own broker account, publishes
signed messages as docs/devices.md says, and reads its commands and errors topics; the
gateway decides through the arrival pipeline on the real database. Refused messages
are answered on the device's errors topic, counted, and store nothing.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import pytest

from gatepost.app import Gatepost
from gatepost.domain.ports import FixedClock
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.ingest.topics import Channel
from gatepost.security.device_mqtt import decode_key
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.vision.fake_plates import fake_plate_image
from tests.support import gateway as harness
from tests.support.gateway import MAX_PAYLOAD, Door, check_mac, command_outbox, ok, start_gateway
from tests.support.mqtt import Connected, wait_until

pytestmark = pytest.mark.slow

# The broker, the gateway and a connected door (tests/support/gateway.py).
broker = harness.broker
settings = harness.settings
container = harness.container
client = harness.client
clients = harness.clients
gateways = harness.gateways
gateway = harness.gateway
door = harness.door


def test_a_card_arrival_is_decided_and_the_device_gets_a_signed_open_command(
    door: Door, gateway: MqttGateway, container: Container
) -> None:
    door.publish(door.body())
    command = door.expect(Channel.COMMANDS)
    assert command["v"] == 1 and command["kind"] == "open"
    assert command["command_id"] == command["event_id"]
    assert command["expires_at"].endswith("Z")
    event = ok(door.admin.get(f"/api/v1/events/{command['event_id']}"))
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
    check_mac(decode_key(other["mqtt_mac_key"]), crossed)
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
    second_container = build_container(settings, clock=clock, commands=command_outbox(clock))
    try:
        workers = [
            start_gateway(settings, container, "gw-a"),
            start_gateway(settings, second_container, "gw-b"),
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
    event = ok(door.admin.get(f"/api/v1/events/{command['event_id']}"))
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
