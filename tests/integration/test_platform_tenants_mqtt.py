"""A suspended tenant's devices against the real Mosquitto broker and MQTT gateway.

Suspending the tenant rewrites the broker's accounts: its connected device is dropped
and refused, so the gateway gets nothing from it to decide; resuming lets the same
credentials in again and arrivals are decided as before. (Without a broker:
test_platform_tenants.py.)
"""

from __future__ import annotations

import pytest

from gatepost.domain.ports import FixedClock
from gatepost.ingest.gateway import MqttGateway
from gatepost.ingest.topics import Channel
from gatepost.services.container import Container
from tests.support import gateway as harness
from tests.support.api import Actor, add_tenant
from tests.support.gateway import Door
from tests.support.mqtt import Broker, Connected, refused, wait_until

pytestmark = pytest.mark.slow

# The broker and the gateway of test_mqtt_gateway.py (tests/support/gateway.py).
broker = harness.broker
settings = harness.settings
container = harness.container
client = harness.client
clients = harness.clients
gateways = harness.gateways
gateway = harness.gateway


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
