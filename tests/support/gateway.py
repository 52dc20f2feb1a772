"""The real Mosquitto broker and the MQTT device gateway, as the integration tests use
them (test_mqtt_gateway.py, test_mqtt_broker.py, test_platform_tenants_mqtt.py ...).

The fixtures hold gatepost's own broker for one test (``broker``), point the settings
at it with the gateway's payload limit and fake engines (``settings``), build a
container that rewrites the broker's accounts and keeps device commands in a short
outbox (``container``), close the test's MQTT clients (``clients``) and stop its
gateway workers (``gateways``, ``gateway``); ``door`` is a site whose one device is
connected (``Door``). A module takes a fixture by naming it at module level, e.g.
``broker = harness.broker`` after ``from tests.support import gateway as harness``; a
module with other settings builds them with ``broker_settings`` and ``broker_container``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
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
from gatepost.services.commands import CommandSink
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from tests.support.api import Actor, add_site, admin_principal
from tests.support.leaks import remember
from tests.support.mqtt import Broker, Connected, Received, connect, exclusive_broker
from tests.support.settings import test_settings

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
MAX_PAYLOAD = 64 * 1024


def command_outbox(clock: FixedClock) -> CommandOutbox:
    # Short, so that the retry-and-expire test runs in seconds.
    return CommandOutbox(
        clock=clock, ttl=timedelta(seconds=2), first_retry=timedelta(milliseconds=300)
    )


@pytest.fixture
def broker() -> Iterator[Broker]:
    with exclusive_broker() as held:
        yield held


def broker_settings(
    tmp_path: Path,
    db_url: str,
    broker: Broker,
    *,
    max_payload_bytes: int | None = None,
    fake_engines: bool = False,
) -> Settings:
    """The test settings with the broker's accounts kept in step (``mqtt.enabled``);
    for the gateway also its payload limit and the fake face and plate engines."""
    base = test_settings(
        tmp_path / "data", db_url, allowed_hosts=["testserver", "127.0.0.1", "localhost"]
    )
    mqtt: dict[str, Any] = {
        "enabled": True,
        "port": broker.port,
        "dir": str(broker.files.password_file.parent),
        "gateway_username": broker.gateway_username,
    }
    if max_payload_bytes is not None:
        mqtt["max_payload_bytes"] = max_payload_bytes
    engines = {"faces": {"engine": {"type": "fake"}}, "plates": {"reader": {"type": "fake"}}}
    return Settings.model_validate(
        base.model_dump() | {"mqtt": mqtt} | (engines if fake_engines else {})
    )


def broker_container(
    settings: Settings, clock: FixedClock, commands: CommandSink | None = None
) -> Iterator[Container]:
    """A container whose device changes rewrite the broker's accounts (for ``yield from``
    in a fixture)."""
    create_key_file(settings.key_file)
    built = build_container(
        settings, clock=clock, commands=commands, broker_accounts=broker_accounts_for(settings)
    )
    yield built
    built.close()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, broker: Broker) -> Settings:
    return broker_settings(
        tmp_path, db_url, broker, max_payload_bytes=MAX_PAYLOAD, fake_engines=True
    )


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    yield from broker_container(settings, clock, command_outbox(clock))


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


def start_gateway(settings: Settings, container: Container, name: str) -> MqttGateway:
    gateway = MqttGateway(settings, container, worker_name=f"{name}-{os.getpid()}", startup_wait=10)
    gateway.start()
    assert gateway.wait_ready(10), "the gateway did not subscribe"
    return gateway


@pytest.fixture
def gateway(settings: Settings, container: Container, gateways: list[MqttGateway]) -> MqttGateway:
    started = start_gateway(settings, container, "gw-1")
    gateways.append(started)
    return started


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Door:
    """A site with one access point, a level that opens it always, a device bound to it
    (with its MQTT secrets) and a person with a card and the level."""

    CARD = "04A2B3C4D5"

    def __init__(self, admin: Actor, broker: Broker, clients: list[Connected], clock: FixedClock):
        site = add_site(admin)
        lobby = ok(admin.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
        body = {"site_id": site, "name": "Front door", "into_zone_id": lobby["id"]}
        point = ok(admin.post("/api/v1/access-points", json=body), 201)
        always = ok(
            admin.post("/api/v1/schedules", json={"name": "Always", "intervals": ALWAYS}), 201
        )
        level = {"name": "Staff", "schedule_id": always["id"], "access_point_ids": [point["id"]]}
        level_id = ok(admin.post("/api/v1/access-levels", json=level), 201)["id"]
        self.admin, self.broker, self.clock = admin, broker, clock
        self.issued = self.register(site, "Reader 1")
        url = f"/api/v1/devices/{self.issued['id']}/access-point"
        ok(admin.put(url, json={"access_point_id": point["id"]}))
        person = ok(admin.post("/api/v1/persons", json={"name": "Ada"}), 201)["id"]
        ok(admin.put(f"/api/v1/persons/{person}/access-levels/{level_id}", json={}))
        card = {"kind": "card", "value": self.CARD}
        ok(admin.post(f"/api/v1/persons/{person}/credentials", json=card), 201)
        self.site = site
        self.person_id = person
        self.key = decode_key(self.issued["mqtt_mac_key"])
        self.client = self.connect(self.issued, clients)
        self.sent = 0

    def register(self, site: str, name: str) -> dict[str, Any]:
        body = {"site_id": site, "name": name, "kind": "door_controller"}
        issued: dict[str, Any] = ok(self.admin.post("/api/v1/devices", json=body), 201)
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
        check_mac(self.key, got)
        body: dict[str, Any] = json.loads(got.payload)
        return body

    def ack(self, command_id: str, result: str = "done") -> None:
        self.publish(self.body("ack", command_id=command_id, result=result), channel=Channel.ACKS)

    def events(self) -> int:
        return self.admin_container.events.count(admin_principal(self.admin))

    admin_container: Container


def check_mac(key: bytes, got: Received) -> None:
    macs = [value for name, value in got.user_properties if name == "mac"]
    assert macs == [message_mac(key, got.topic, got.payload)], "the gateway's mac does not match"


@pytest.fixture
def door(
    admin: Actor, broker: Broker, clients: list[Connected], clock: FixedClock, container: Container
) -> Door:
    built = Door(admin, broker, clients, clock)
    built.admin_container = container
    return built
