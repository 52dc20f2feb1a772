"""The gateway's command outbox without a broker: what it publishes, signs, retries,
settles and expires (the broker round trip is tests/integration/test_mqtt_gateway.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import Command, CommandKind, Decision, Outcome, Reason
from gatepost.domain.ports import FixedClock
from gatepost.ingest.gateway_commands import CommandOutbox, replayed_command
from gatepost.services.commands import DeviceCommand

TENANT, DEVICE, EVENT = "a" * 32, "b" * 32, "c" * 32
KEY = b"k" * 32


def _outbox() -> tuple[CommandOutbox, list[tuple[str, bytes, bytes | None]]]:
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    outbox = CommandOutbox(
        clock=clock, ttl=timedelta(milliseconds=400), first_retry=timedelta(milliseconds=50)
    )
    sent: list[tuple[str, bytes, bytes | None]] = []

    def publish(topic: str, payload: bytes, key: bytes | None) -> bool:
        sent.append((topic, payload, key))
        return True

    outbox.bind(publish=publish, key_of=lambda t, d: KEY if d == DEVICE else None)
    return outbox, sent


def _open(device_id: str = DEVICE) -> DeviceCommand:
    return DeviceCommand(TENANT, device_id, EVENT, Command(CommandKind.OPEN, "p" * 32))


def test_a_command_is_published_signed_with_its_event_id_and_expiry() -> None:
    outbox, sent = _outbox()
    outbox.send(_open())
    ((topic, payload, key),) = sent
    assert topic == f"gatepost/{TENANT}/{DEVICE}/commands" and key == KEY
    assert json.loads(payload) == {
        "v": 1,
        "command_id": EVENT,
        "kind": "open",
        "display": "",
        "event_id": EVENT,
        "arrival_key": None,
        "expires_at": "2026-03-01T08:00:00.400Z",
    }
    assert outbox.settle(tenant_id=TENANT, device_id=DEVICE, command_id=EVENT, done=True)
    assert not outbox.settle(tenant_id=TENANT, device_id=DEVICE, command_id=EVENT, done=True)
    assert outbox.counters["command.acked"] == 1 and outbox.pending() == ()


def test_a_decision_command_names_the_arrival_it_answers() -> None:
    outbox, sent = _outbox()
    command = Command(CommandKind.DENY, "p" * 32, "Not recognised")
    outbox.send(DeviceCommand(TENANT, DEVICE, EVENT, command, arrival_key="door1-42"))
    ((_, payload, _),) = sent
    body = json.loads(payload)
    assert (body["arrival_key"], body["kind"], body["display"]) == (
        "door1-42",
        "deny",
        "Not recognised",
    )


def test_an_unacknowledged_command_is_retried_with_backoff_then_expires() -> None:
    outbox, sent = _outbox()
    outbox.send(_open())
    deadline = time.monotonic() + 2
    while outbox.pending() and time.monotonic() < deadline:
        outbox.tick()
        time.sleep(0.01)
    assert outbox.pending() == () and outbox.counters["command.expired"] == 1
    # 50 ms, then 100 ms, then 200 ms after each: three retries fit in 400 ms.
    assert 2 <= outbox.counters["command.retried"] <= 3
    assert len({payload for _, payload, _ in sent}) == 1  # the same bytes each time


def test_an_ack_of_another_device_settles_nothing_and_unknown_devices_get_nothing() -> None:
    outbox, sent = _outbox()
    outbox.send(_open())
    assert not outbox.settle(tenant_id=TENANT, device_id="d" * 32, command_id=EVENT, done=True)
    outbox.send(_open(device_id="e" * 32))
    assert len(sent) == 1 and outbox.counters["command.unsigned"] == 1


def test_a_stored_decision_gives_back_its_command() -> None:
    grant = Decision(Outcome.GRANT, (Reason.GRANTED,))
    deny = Decision(Outcome.DENY, (Reason.UNKNOWN_CREDENTIAL,))
    point = "p" * 32
    kind = ArrivalKind.CARD
    door = replayed_command(grant, kind=kind, access_point_id=point, barrier=False)
    gate = replayed_command(grant, kind=kind, access_point_id=point, barrier=True)
    refused = replayed_command(deny, kind=kind, access_point_id=point, barrier=False)
    assert door == Command(CommandKind.OPEN, point)
    assert gate == Command(CommandKind.RAISE_BARRIER, point)
    assert refused == Command(CommandKind.DENY, point, "Not recognised")
