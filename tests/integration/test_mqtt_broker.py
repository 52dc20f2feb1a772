"""gatepost's own Mosquitto broker with the accounts gatepost writes (``make mqtt-start``).

Devices are registered, rotated and revoked through the API against a real database;
each change rewrites the broker's password and ACL files and reloads the broker, and
real MQTT 5 clients then find out what the broker lets them do. The broker drops a
publish or a delivery its ACL forbids without telling the client, so "must not arrive"
is checked by a subscriber that waits a short, bounded time. The worked example of
docs/devices.md runs here as written, with mosquitto_pub, mosquitto_sub and openssl.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gatepost.domain.ports import FixedClock
from gatepost.ingest.envelope import EnvelopeRules, Sender, Verified, mac_property, verify
from gatepost.ingest.messages import CardMessage
from gatepost.ingest.topics import Channel, device_topic, shared_subscription
from gatepost.security.device_mqtt import decode_key, message_mac
from gatepost.services.container import Container
from gatepost.settings import Settings
from tests.support import gateway as harness
from tests.support.api import Actor, add_site
from tests.support.gateway import broker_container, broker_settings
from tests.support.leaks import remember
from tests.support.mqtt import (
    NEVER_EXPIRES,
    Broker,
    Connected,
    connect,
    forget_session,
    refused,
    wait_until,
)
from tests.support.services import REPO_ROOT

pytestmark = pytest.mark.slow

RULES = EnvelopeRules(
    max_payload_bytes=1536 * 1024, max_skew=timedelta(minutes=5), max_backlog=timedelta(days=14)
)


# The held broker and the clients closed after each test (tests/support/gateway.py).
broker = harness.broker
clients = harness.clients


@pytest.fixture
def settings(tmp_path: Path, db_url: str, broker: Broker) -> Settings:
    """The test settings with the broker's accounts kept in step (``mqtt.enabled``)."""
    return broker_settings(tmp_path, db_url, broker)


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    yield from broker_container(settings, clock)


def register(admin: Actor, site_id: str, name: str) -> dict[str, Any]:
    response = admin.post(
        "/api/v1/devices", json={"site_id": site_id, "name": name, "kind": "door_controller"}
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
        remember(issued[secret])
    assert issued["mqtt_username"] == f"{admin.tenant_id}.{issued['id']}"
    return issued


def as_device(broker: Broker, issued: dict[str, Any], clients: list[Connected]) -> Connected:
    client = connect(broker, issued["mqtt_username"], issued["mqtt_password"])
    clients.append(client)
    return client


def as_gateway(broker: Broker, clients: list[Connected], name: str = "gateway-1") -> Connected:
    client = connect(
        broker, broker.gateway_username, broker.gateway_password, client_id=f"{name}-{os.getpid()}"
    )
    clients.append(client)
    return client


def topic(admin: Actor, issued: dict[str, Any], channel: Channel) -> str:
    return device_topic(admin.tenant_id, issued["id"], channel)


def test_anonymous_and_wrong_credentials_are_refused(broker: Broker, admin: Actor) -> None:
    issued = register(admin, add_site(admin), "Door")
    assert refused(broker, None, None) != 0
    assert refused(broker, issued["mqtt_username"], "wrong-password") != 0
    assert refused(broker, issued["mqtt_username"], issued["credential"]) != 0  # the bearer
    assert refused(broker, broker.gateway_username, issued["mqtt_password"]) != 0
    assert refused(broker, issued["mqtt_username"], issued["mqtt_password"]) == 0


def test_device_publishes_its_events_and_receives_its_commands(
    broker: Broker, admin: Actor, container: Container, clients: list[Connected], clock: FixedClock
) -> None:
    issued = register(admin, add_site(admin), "Door")
    gateway = as_gateway(broker, clients)
    assert gateway.subscribe(shared_subscription(Channel.EVENTS)) < 0x80
    device = as_device(broker, issued, clients)
    assert device.subscribe(topic(admin, issued, Channel.COMMANDS)) < 0x80

    mac_key = decode_key(issued["mqtt_mac_key"])
    events = topic(admin, issued, Channel.EVENTS)
    payload = json.dumps(
        {
            "v": 1,
            "device_time": clock.now().isoformat(),
            "idempotency_key": "door-1",
            "kind": "card",
            "card": "04A2B3C4D5",
        }
    ).encode()
    device.publish(
        events, payload, user_properties=[("mac", message_mac(mac_key, events, payload))]
    )
    got = gateway.expect()
    assert (got.topic, got.payload) == (events, payload)
    stored_key = container.devices.mac_key(tenant_id=admin.tenant_id, device_id=issued["id"])
    assert stored_key == mac_key
    sender = Sender(tenant_id=admin.tenant_id, device_id=issued["id"], mac_key=stored_key)
    result = verify(
        topic=got.topic,
        payload=got.payload,
        mac=mac_property(got.user_properties),
        sender=sender,
        now=clock.now(),
        rules=RULES,
    )
    assert isinstance(result, Verified) and isinstance(result.message, CardMessage)

    command = b'{"v":1,"command_id":"c-1","kind":"open"}'
    gateway.publish(topic(admin, issued, Channel.COMMANDS), command)
    assert device.expect().payload == command


def test_device_cannot_publish_or_read_another_devices_topics(
    broker: Broker, admin: Actor, clients: list[Connected]
) -> None:
    site = add_site(admin)
    mine, theirs = register(admin, site, "Door A"), register(admin, site, "Door B")
    gateway = as_gateway(broker, clients)
    gateway.subscribe(shared_subscription(Channel.EVENTS))
    gateway.subscribe(shared_subscription(Channel.ACKS))
    me, them = as_device(broker, mine, clients), as_device(broker, theirs, clients)
    # Subscriptions to another device's topics are granted by the broker, and stay empty.
    for channel in (Channel.COMMANDS, Channel.ERRORS):
        me.subscribe(topic(admin, theirs, channel))
        them.subscribe(topic(admin, theirs, channel))
    me.subscribe("gatepost/#")  # every topic: it must still see only its own

    # Publishing as the other device, or where only the gateway writes, is dropped.
    me.publish(topic(admin, theirs, Channel.EVENTS), b"as them")
    me.publish(topic(admin, theirs, Channel.ACKS), b"as them")
    me.publish(topic(admin, theirs, Channel.COMMANDS), b"open their door")
    me.publish(topic(admin, mine, Channel.COMMANDS), b"open my own door")
    me.publish(device_topic(admin.tenant_id, "f" * 32, Channel.EVENTS), b"as nobody")
    me.publish(topic(admin, mine, Channel.EVENTS), b"mine")  # the one that may pass
    assert gateway.expect().payload == b"mine"
    gateway.expect_nothing(0.5)
    them.expect_nothing(0.5)

    # The other device's commands and events reach the gateway and that device only.
    gateway.publish(topic(admin, theirs, Channel.COMMANDS), b"for them")
    them.publish(topic(admin, theirs, Channel.EVENTS), b"their arrival")
    assert them.expect().payload == b"for them"
    assert gateway.expect().payload == b"their arrival"
    me.expect_nothing(1.0)


def test_revoked_device_is_dropped_and_refused_after_reload(
    broker: Broker, admin: Actor, container: Container, clients: list[Connected]
) -> None:
    site = add_site(admin)
    revoked, kept = register(admin, site, "Door A"), register(admin, site, "Door B")
    device = as_device(broker, revoked, clients)
    other = as_device(broker, kept, clients)
    response = admin.post(f"/api/v1/devices/{revoked['id']}/revoke")
    assert response.status_code == 200, response.text
    assert [a.device_id for a in container.devices.broker_accounts()] == [kept["id"]]
    assert wait_until(lambda: not device.connected, timeout=5), "still connected after revoke"
    assert refused(broker, revoked["mqtt_username"], revoked["mqtt_password"]) != 0
    assert other.connected
    assert container.devices.mac_key(tenant_id=admin.tenant_id, device_id=revoked["id"]) is None


def test_rotation_replaces_the_broker_password_and_the_mac_key(
    broker: Broker, admin: Actor, container: Container
) -> None:
    before = register(admin, add_site(admin), "Door")
    response = admin.post(f"/api/v1/devices/{before['id']}/rotate-credential")
    assert response.status_code == 200, response.text
    after = response.json()
    for secret in ("credential", "mqtt_password", "mqtt_mac_key"):
        remember(after[secret])
        assert after[secret] != before[secret]
    assert after["mqtt_username"] == before["mqtt_username"]
    assert wait_until(lambda: refused(broker, after["mqtt_username"], after["mqtt_password"]) == 0)
    assert refused(broker, before["mqtt_username"], before["mqtt_password"]) != 0
    key = container.devices.mac_key(tenant_id=admin.tenant_id, device_id=before["id"])
    assert key == decode_key(after["mqtt_mac_key"])


def test_gateways_in_the_share_group_each_get_a_message_once(
    broker: Broker, admin: Actor, clients: list[Connected]
) -> None:
    issued = register(admin, add_site(admin), "Door")
    first, second = as_gateway(broker, clients, "gw-a"), as_gateway(broker, clients, "gw-b")
    for gateway in (first, second):
        gateway.subscribe(shared_subscription(Channel.EVENTS))
    device = as_device(broker, issued, clients)
    sent = [f"arrival-{n}".encode() for n in range(20)]
    for payload in sent:
        device.publish(topic(admin, issued, Channel.EVENTS), payload)
    received: list[bytes] = []
    deadline = time.monotonic() + 5
    while len(received) < len(sent) and time.monotonic() < deadline:
        for gateway in (first, second):
            while not gateway.inbox.empty():
                received.append(gateway.inbox.get().payload)
        time.sleep(0.02)
    assert sorted(received) == sorted(sent)  # every one, none twice
    first.expect_nothing(0.3)
    second.expect_nothing(0.3)


def test_broker_restart_keeps_a_persistent_sessions_queued_qos1_message(
    broker: Broker, admin: Actor, clients: list[Connected]
) -> None:
    issued = register(admin, add_site(admin), "Door")
    username, password = issued["mqtt_username"], issued["mqtt_password"]
    commands = topic(admin, issued, Channel.COMMANDS)

    def resume() -> Connected:
        # A session that never expires: the kind of persistent session the broker supports.
        return connect(
            broker,
            username,
            password,
            client_id=username,
            clean_start=False,
            session_expiry=NEVER_EXPIRES,
        )

    device = resume()
    device.subscribe(commands, qos=1)
    device.close()
    gateway = connect(broker, broker.gateway_username, broker.gateway_password, client_id="gw-r")
    gateway.publish(commands, b"queued while offline", qos=1)
    gateway.close()

    broker.script("stop")
    broker.script("start")

    device = resume()
    clients.append(device)
    assert device.expect(timeout=5).payload == b"queued while offline"
    device.close()
    clients.remove(device)
    forget_session(broker, username, password, client_id=username)


def _example(name: str) -> str:
    """The shell block after ``<!-- example: name -->`` in docs/devices.md, verbatim."""
    doc = (REPO_ROOT / "docs" / "devices.md").read_text()
    found = re.search(rf"<!-- example: {name} -->\n```sh\n(.*?)```", doc, re.S)
    assert found is not None, f"docs/devices.md has no '{name}' example"
    return found.group(1)


def _shell_env(broker: Broker, admin: Actor, issued: dict[str, Any]) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "BROKER": broker.host,
        "PORT": str(broker.port),
        "TENANT": admin.tenant_id,
        "DEVICE": issued["id"],
        "PASSWORD": issued["mqtt_password"],
        "MAC_KEY": issued["mqtt_mac_key"],
    }


def test_documented_shell_example_sends_a_message_that_verifies(
    broker: Broker, admin: Actor, container: Container, clients: list[Connected], clock: FixedClock
) -> None:
    issued = register(admin, add_site(admin), "Door")
    gateway = as_gateway(broker, clients)
    gateway.subscribe(shared_subscription(Channel.EVENTS))
    env = _shell_env(broker, admin, issued)
    script = "set -euo pipefail\n" + _example("publish")
    run = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    got = gateway.expect()
    key = container.devices.mac_key(tenant_id=admin.tenant_id, device_id=issued["id"])
    assert key is not None
    result = verify(
        topic=got.topic,
        payload=got.payload,
        mac=mac_property(got.user_properties),
        sender=Sender(tenant_id=admin.tenant_id, device_id=issued["id"], mac_key=key),
        now=clock.now(),
        rules=RULES,
    )
    assert isinstance(result, Verified), result
    assert isinstance(result.message, CardMessage) and result.message.card == "04A2B3C4D5"


def test_documented_shell_example_receives_commands(
    broker: Broker, admin: Actor, clients: list[Connected]
) -> None:
    issued = register(admin, add_site(admin), "Door")
    gateway = as_gateway(broker, clients)
    # The block as written, with mosquitto_sub told to stop after one message.
    script = (
        "set -euo pipefail\n"
        'mosquitto_sub() { command mosquitto_sub -C 1 -W 15 "$@"; }\n' + _example("subscribe")
    )
    listener = subprocess.Popen(
        ["bash", "-c", script],
        env=_shell_env(broker, admin, issued),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        command = topic(admin, issued, Channel.COMMANDS)
        deadline = time.monotonic() + 10
        while listener.poll() is None and time.monotonic() < deadline:
            gateway.publish(command, b'{"v":1,"kind":"open"}')  # until it has subscribed
            time.sleep(0.2)
        out, err = listener.communicate(timeout=15)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert listener.returncode == 0, err
    assert out.strip() == f'{command} {{"v":1,"kind":"open"}}'
    username = issued["mqtt_username"]  # the example's persistent session (-c -i USERNAME)
    forget_session(broker, username, issued["mqtt_password"], client_id=username)
