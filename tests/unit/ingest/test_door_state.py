"""The door state the outbox sets with every lockdown and release: retained, signed, on
the device's state topic (the broker round trip is tests/integration/test_door_state.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from gatepost.domain.decisions import Command, CommandKind
from gatepost.domain.ports import FixedClock
from gatepost.ingest.gateway_commands import CommandOutbox, state_payload
from gatepost.services.commands import DeviceCommand

TENANT, DEVICE, EVENT, POINT = "a" * 32, "b" * 32, "c" * 32, "p" * 32
KEY = b"k" * 32
Sent = list[tuple[str, bytes, bytes | None]]


def _outbox(*, retained: bool = True) -> tuple[CommandOutbox, Sent, Sent]:
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    outbox = CommandOutbox(clock=clock, ttl=timedelta(seconds=10))
    plain: Sent = []
    kept: Sent = []

    def publish(topic: str, payload: bytes, key: bytes | None) -> bool:
        plain.append((topic, payload, key))
        return True

    def publish_retained(topic: str, payload: bytes, key: bytes | None) -> bool:
        kept.append((topic, payload, key))
        return True

    outbox.bind(
        publish=publish,
        key_of=lambda t, d: KEY if d == DEVICE else None,
        publish_retained=publish_retained if retained else None,
    )
    return outbox, plain, kept


def _command(kind: CommandKind, device_id: str = DEVICE) -> DeviceCommand:
    return DeviceCommand(TENANT, device_id, EVENT, Command(kind, POINT))


def test_a_lockdown_sets_the_retained_state_lockdown_signed_with_the_device_key() -> None:
    outbox, plain, kept = _outbox()
    outbox.send(_command(CommandKind.LOCKDOWN))
    ((command_topic, _, _),) = plain
    assert command_topic == f"gatepost/{TENANT}/{DEVICE}/commands"
    ((topic, payload, key),) = kept
    assert topic == f"gatepost/{TENANT}/{DEVICE}/state" and key == KEY
    assert payload == (
        b'{"v":1,"door_mode":"lockdown","since":"2026-03-01T08:00:00.000Z",'
        b'"command_id":"' + EVENT.encode() + b'"}'
    )
    assert outbox.counters["state.set"] == 1


def test_a_release_sets_the_state_normal() -> None:
    outbox, _, kept = _outbox()
    outbox.send(_command(CommandKind.RELEASE))
    ((_, payload, _),) = kept
    assert json.loads(payload)["door_mode"] == "normal"


def test_other_commands_and_unknown_devices_set_no_state() -> None:
    outbox, plain, kept = _outbox()
    for kind in (CommandKind.OPEN, CommandKind.DENY, CommandKind.RAISE_BARRIER):
        outbox.send(_command(kind))
    outbox.send(_command(CommandKind.LOCKDOWN, device_id="e" * 32))
    assert len(plain) == 3 and kept == []
    assert outbox.counters["command.unsigned"] == 1


def test_without_a_retained_publisher_the_command_still_goes() -> None:
    outbox, plain, kept = _outbox(retained=False)
    outbox.send(_command(CommandKind.LOCKDOWN))
    assert len(plain) == 1 and kept == [] and outbox.counters["state.set"] == 0


def test_a_state_the_client_does_not_take_is_counted() -> None:
    outbox, _, _ = _outbox()
    outbox.bind(
        publish=lambda t, p, k: True,
        key_of=lambda t, d: KEY,
        publish_retained=lambda t, p, k: False,
    )
    outbox.send(_command(CommandKind.LOCKDOWN))
    assert outbox.counters["state.unsent"] == 1 and outbox.counters["state.set"] == 0


def test_clearing_a_state_publishes_an_empty_retained_message_unsigned() -> None:
    outbox, _, kept = _outbox()
    assert outbox.clear_state(tenant_id=TENANT, device_id=DEVICE)
    assert kept == [(f"gatepost/{TENANT}/{DEVICE}/state", b"", None)]
    outbox.unbind()
    assert not outbox.clear_state(tenant_id=TENANT, device_id=DEVICE)


def test_the_state_payload_is_compact_json_in_a_fixed_order() -> None:
    payload = state_payload(door_mode="normal", since="2026-03-01T08:00:00.000Z", command_id="x")
    assert (
        payload
        == b'{"v":1,"door_mode":"normal","since":"2026-03-01T08:00:00.000Z","command_id":"x"}'
    )
