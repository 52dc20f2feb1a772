"""The MQTT device's side of commands without a broker: a decision's command answers the
arrival its ``arrival_key`` names, whatever the order, with several arrivals in flight;
a command naming none is a remote command (gatepost.simulator.device)."""

from __future__ import annotations

import json
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gatepost.ingest.topics import Channel
from gatepost.security.device_mqtt import message_mac
from gatepost.simulator import Arrival, DeviceIdentity, MqttDevice, Report

TENANT, DEVICE = "a" * 32, "b" * 32
IDENTITY = DeviceIdentity(
    tenant_id=TENANT,
    device_id=DEVICE,
    mqtt_username=f"{TENANT}.{DEVICE}",
    mqtt_password="p" * 43,
    mac_key=b"k" * 32,
)


def _device() -> tuple[MqttDevice, list[Report]]:
    reports: list[Report] = []
    device = MqttDevice(  # not connected: nothing is published
        IDENTITY, host="127.0.0.1", port=1, key_prefix="d", ack=False, on_report=reports.append
    )
    return device, reports


def _deliver(device: MqttDevice, body: dict[str, Any]) -> None:
    topic = IDENTITY.topic(Channel.COMMANDS)
    payload = json.dumps(body).encode()
    message = paho.MQTTMessage(topic=topic.encode())
    message.payload = payload
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.UserProperty = [("mac", message_mac(IDENTITY.mac_key, topic, payload))]
    message.properties = properties
    device._on_message(None, None, message)  # type: ignore[arg-type]


def _command(command_id: str, kind: str = "open", **fields: Any) -> dict[str, Any]:
    return {"v": 1, "command_id": command_id, "kind": kind, "display": "", **fields}


def test_commands_answer_the_arrivals_they_name_in_any_order() -> None:
    device, reports = _device()
    keys = [device.send(Arrival("card", value=f"0{n}")) for n in (1, 2, 3)]
    assert keys == ["d-1", "d-2", "d-3"]
    _deliver(device, _command("e3", arrival_key="d-3"))
    _deliver(device, _command("e1", "deny", arrival_key="d-1"))
    _deliver(device, _command("e3", arrival_key="d-3"))  # a retry: answered already
    assert device.waiting_keys() == ("d-2",)
    decisions = [(r.key, r.command_id) for r in reports if r.what == "decision"]
    assert decisions == [("d-3", "e3"), ("d-1", "e1")]
    stats = device.stats
    assert (stats.answered, stats.duplicate_commands, stats.unmatched_commands) == (2, 1, 0)


def test_a_command_naming_no_arrival_is_a_remote_command() -> None:
    device, reports = _device()
    device.send(Arrival("card", value="01"))
    _deliver(device, _command("r1", arrival_key=None))
    _deliver(device, _command("r2", arrival_key="d-99"))  # not waiting (given up, say)
    assert device.waiting_keys() == ("d-1",)
    assert [r.what for r in reports if r.command_id] == ["command", "command"]
    assert device.stats.unmatched_commands == 2 and device.stats.answered == 0
