"""A device that reconnects learns its door's mode: the retained, signed state topic.

On the real broker (scripts/mosquitto.sh) with the real gateway and a simulated device:
a lockdown sent while the device is offline expires as a command, yet the device that
connects later gets the retained ``lockdown`` state at once and holds its door; a
release sets ``normal``; a state with a wrong MAC (published with the gateway's own
account) is ignored and counted; a device cannot read another device's state; the
state survives a broker restart; clearing it leaves nothing for the next subscriber.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.ingest.topics import Channel, device_topic
from gatepost.security.device_mqtt import decode_key, message_mac
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from gatepost.settings import Settings
from gatepost.simulator.device import DeviceIdentity, MqttDevice
from tests.support.api import Actor, add_site, setup_platform
from tests.support.leaks import remember
from tests.support.mqtt import Broker, Connected, connect, exclusive_broker, wait_until

REASON = "Intruder reported in the east wing"

pytestmark = pytest.mark.slow


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _device(admin: Actor, site: str, point: str, name: str) -> DeviceIdentity:
    body = {"site_id": site, "name": name, "kind": "door_controller"}
    issued = _ok(admin.post("/api/v1/devices", json=body), 201)
    for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
        remember(issued[secret])
    path = f"/api/v1/devices/{issued['id']}/access-point"
    _ok(admin.put(path, json={"access_point_id": point}))
    return DeviceIdentity(
        tenant_id=admin.tenant_id,
        device_id=issued["id"],
        mqtt_username=issued["mqtt_username"],
        mqtt_password=issued["mqtt_password"],
        mac_key=decode_key(issued["mqtt_mac_key"]),
    )


def _state_of(broker: Broker, identity: DeviceIdentity) -> Connected:
    """A bare client with the device's own account, subscribed to its state topic."""
    client = connect(
        broker,
        identity.mqtt_username,
        identity.mqtt_password,
        client_id=f"{identity.mqtt_username}.probe",
    )
    client.subscribe(identity.topic(Channel.STATE))
    return client


@contextmanager
def _gateway(settings: Settings, clock: FixedClock) -> Iterator[tuple[Broker, Any, Any, Any]]:
    """The broker, an API client as admin, the started gateway and its outbox (commands
    live one second here, so a lockdown expires while the device is away)."""
    with exclusive_broker() as broker:
        mqtt = {
            "enabled": True,
            "port": broker.port,
            "dir": str(broker.files.password_file.parent),
            "gateway_username": broker.gateway_username,
        }
        with_mqtt = Settings.model_validate(settings.model_dump() | {"mqtt": mqtt})
        create_key_file(with_mqtt.key_file)
        outbox = CommandOutbox(
            clock=clock, ttl=timedelta(seconds=1), first_retry=timedelta(milliseconds=200)
        )
        built = build_container(
            with_mqtt, clock=clock, commands=outbox, broker_accounts=broker_accounts_for(with_mqtt)
        )
        gateway = MqttGateway(with_mqtt, built, worker_name=f"state-{os.getpid()}", startup_wait=10)
        try:
            with TestClient(compose_app(built), base_url="https://testserver") as client:
                admin = setup_platform(client, built)
                gateway.start()
                assert gateway.wait_ready(10), "the gateway did not subscribe"
                yield broker, admin, gateway, outbox
        finally:
            gateway.stop()
            built.close()


def test_a_device_that_connects_after_a_lockdown_expired_learns_it_from_the_retained_state(
    settings: Settings, clock: FixedClock
) -> None:
    with _gateway(settings, clock) as (broker, admin, gateway, outbox):
        site = add_site(admin)
        point = _ok(
            admin.post("/api/v1/access-points", json={"site_id": site, "name": "East"}), 201
        )["id"]
        door = _device(admin, site, point, "East door")
        other = _device(admin, site, point, "East side door")

        # Lockdown while the device is offline: the command expires unacknowledged.
        _ok(admin.post(f"/api/v1/access-points/{point}/lockdown", json={"reason": REASON}))
        assert wait_until(lambda: not outbox.pending(), timeout=10), "the command did not expire"
        assert outbox.counters["command.expired"] == 2
        assert outbox.counters["state.set"] == 2

        # The device connects later: no command reaches it, the retained state does.
        commands: list[dict[str, Any]] = []
        device = MqttDevice(door, host=broker.host, port=broker.port, on_command=commands.append)
        try:
            device.connect()
            assert wait_until(lambda: device.stats.door_states == 1, timeout=10), "no state"
            assert device.door.locked_down and commands == []
            card = {"kind": "open", "expires_at": "2999-01-01T00:00:00Z"}
            held = device.door.obey(card, answering="card", now=datetime.now(UTC))
            assert not held.done and "locked down" in held.text

            # Release: the state becomes normal (and the door follows it).
            _ok(admin.post(f"/api/v1/access-points/{point}/release", json={"reason": REASON}))
            assert wait_until(lambda: device.stats.door_states == 2, timeout=10)
            assert not device.door.locked_down

            # A state with a wrong MAC, though published with the gateway's account.
            forger = connect(
                broker,
                broker.gateway_username,
                broker.gateway_password,
                client_id=f"forger-{os.getpid()}",
            )
            try:
                topic = door.topic(Channel.STATE)
                since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                body = {"v": 1, "door_mode": "lockdown", "since": since, "command_id": "x"}
                payload = json.dumps(body).encode()
                forged_mac = message_mac(b"\x00" * 32, topic, payload)
                forger.publish(topic, payload, user_properties=[("mac", forged_mac)])
            finally:
                forger.close()
            assert wait_until(lambda: device.stats.forged_states == 1, timeout=10)
            assert not device.door.locked_down and device.stats.door_states == 2
            assert device.stats.forged_commands == 0
        finally:
            device.close()

        # A device reads its own state and never another device's.
        nosy = _state_of(broker, other)
        try:
            own = nosy.expect()
            assert own.topic == other.topic(Channel.STATE)
            assert json.loads(own.payload)["door_mode"] == "normal"
            assert dict(own.user_properties)["mac"] == message_mac(
                other.mac_key, own.topic, own.payload
            )
            nosy.subscribe(door.topic(Channel.STATE))
            nosy.expect_nothing(1.0)
        finally:
            nosy.close()

        # The retained state survives a broker restart (persistence in the data dir).
        broker.script("stop")
        broker.script("start")
        probe = _state_of(broker, door)
        try:
            kept = probe.expect()
            assert json.loads(kept.payload)["door_mode"] == "normal"
        finally:
            probe.close()

        # Clearing a state (e.g. of a revoked device) leaves nothing to hand over.
        assert gateway.wait_ready(20), "the gateway did not come back after the restart"
        for identity in (door, other):
            assert outbox.clear_state(tenant_id=identity.tenant_id, device_id=identity.device_id)
        cleared_topic = device_topic(door.tenant_id, door.device_id, Channel.STATE)
        assert wait_until(lambda: _nothing_retained(broker, door), timeout=10), cleared_topic


def _nothing_retained(broker: Broker, identity: DeviceIdentity) -> bool:
    probe = _state_of(broker, identity)
    try:
        probe.expect_nothing(0.5)
    except AssertionError:
        return False
    finally:
        probe.close()
    return True
