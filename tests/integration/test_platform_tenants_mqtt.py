"""A suspended tenant's devices against the real Mosquitto broker and MQTT gateway.

Suspending the tenant rewrites the broker's accounts: its connected device is dropped
and refused, so the gateway gets nothing from it to decide; resuming lets the same
credentials in again and arrivals are decided as before. (Without a broker:
test_platform_tenants.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.topics import Channel
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from tests.integration.test_mqtt_gateway import MAX_PAYLOAD, Door, _outbox, _start
from tests.support.api import Actor, add_tenant
from tests.support.mqtt import Broker, Connected, exclusive_broker, refused, wait_until
from tests.support.settings import test_settings

pytestmark = pytest.mark.slow


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
    with TestClient(compose_app(container), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def clients() -> Iterator[list[Connected]]:
    opened: list[Connected] = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def gateway(settings: Settings, container: Container) -> Iterator[MqttGateway]:
    started = _start(settings, container, "gw-suspend")
    yield started
    started.stop()


def test_suspended_tenants_device_is_dropped_and_gets_no_decision_until_resumed(
    admin: Actor,
    broker: Broker,
    clients: list[Connected],
    clock: FixedClock,
    container: Container,
    gateway: MqttGateway,
) -> None:
    beta = add_tenant(admin, "beta")
    door = Door(beta, broker, clients, clock)
    door.admin_container = container
    door.publish(door.body())
    assert door.expect(Channel.COMMANDS)["kind"] == "open"
    assert door.events() == 1

    response = admin.post(f"/api/v1/tenants/{beta.tenant_id}/suspend")
    assert response.status_code == 200, response.text
    assert wait_until(lambda: not door.client.connected, timeout=5), "still connected"
    assert refused(broker, door.issued["mqtt_username"], door.issued["mqtt_password"]) != 0
    assert container.devices.mac_key(tenant_id=beta.tenant_id, device_id=door.issued["id"]) is None

    response = admin.post(f"/api/v1/tenants/{beta.tenant_id}/resume")
    assert response.status_code == 200, response.text
    assert wait_until(
        lambda: refused(broker, door.issued["mqtt_username"], door.issued["mqtt_password"]) == 0
    )
    door.client = door.connect(door.issued, clients)
    door.publish(door.body())
    assert door.expect(Channel.COMMANDS)["kind"] == "open"
    assert door.events() == 2
