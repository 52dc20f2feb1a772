"""MQTT notification subscribers against the REAL broker (scripts/mosquitto.sh): an
account created through the API receives its tenant's ``alert.raised`` after a duress
PIN; it cannot read another tenant's notification topics nor publish anything; a
rotated password replaces the old one at once, and a deleted account is refused at
connect (and with no subscriber left nothing is queued for the topic). The accounts
live in the broker's files with the devices' (a device change keeps them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.notify_publisher import MqttNotificationPublisher
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from gatepost.services.webhook_dispatch import HttpxSender, WebhookDispatcher
from gatepost.settings import Settings
from tests.integration.test_device_arrivals import Door, _ok
from tests.support.api import add_tenant, setup_platform
from tests.support.mqtt import Broker, Connected, connect, exclusive_broker, refused

DURESS_PIN = "246802"
URL = "/api/v1/notification-subscribers"


def _live(settings: Settings, broker: Broker) -> Settings:
    mqtt = {
        "enabled": True,
        "port": broker.port,
        "dir": str(broker.files.password_file.parent),
        "gateway_username": broker.gateway_username,
    }
    return Settings.model_validate(settings.model_dump() | {"mqtt": mqtt})


def _connected(broker: Broker, issued: dict[str, Any]) -> Connected:
    return connect(broker, issued["username"], issued["password"])


def test_a_subscriber_reads_its_tenant_notifications_only_and_is_revoked_at_once(
    tmp_path: Path, settings: Settings, clock: FixedClock
) -> None:
    with exclusive_broker() as broker:
        live = _live(settings, broker)
        create_key_file(live.key_file)
        container = build_container(live, clock=clock, broker_accounts=broker_accounts_for(live))
        publisher = MqttNotificationPublisher(live, worker_name=f"test-{os.getpid()}")
        clients: list[Connected] = []
        try:
            with TestClient(compose_app(container), base_url="https://testserver") as client:
                admin = setup_platform(client, container)
                other = add_tenant(admin, "globex")
                issued = _ok(admin.post(URL, json={"name": "Control room"}), 201)
                tenant = admin.tenant_id
                assert issued["username"] == f"notify.{tenant}.{issued['id']}"
                assert issued["topic_filter"] == f"gatepost-notify/{tenant}/#"
                listed = _ok(admin.get(URL))
                assert [s["id"] for s in listed] == [issued["id"]]
                assert "password" not in listed[0]
                assert _ok(other.get(URL)) == []
                # Registering a device rewrites the broker's files: the subscriber stays.
                door = Door(admin)
                ada = door.person("Ada Lovelace")
                door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)

                subscriber = _connected(broker, issued)
                clients.append(subscriber)
                assert subscriber.subscribe(f"gatepost-notify/{tenant}/#") == 1
                subscriber.subscribe(f"gatepost-notify/{other.tenant_id}/#")
                subscriber.subscribe("gatepost/#")
                publisher.start()
                _ok(door.arrive("pin", DURESS_PIN))
                dispatcher = WebhookDispatcher(
                    tx=container.tx,
                    clock=clock,
                    settings=live.webhooks,
                    sender=HttpxSender(timeout=1),
                    publisher=publisher,
                )
                assert dispatcher.run_once() == 2
                got = {m.topic: m for m in (subscriber.expect(), subscriber.expect())}
                raised = got[f"gatepost-notify/{tenant}/alert.raised"]
                body = json.loads(raised.payload)
                assert body["type"] == "alert.raised" and body["data"]["kind"] == "duress"
                assert f"gatepost-notify/{tenant}/access.decided" in got
                subscriber.expect_nothing(0.5)

                # Another tenant's notifications (the gateway may write every tenant's
                # topic) never reach it, whatever it subscribed to.
                gateway = connect(broker, broker.gateway_username, broker.gateway_password)
                clients.append(gateway)
                assert gateway.subscribe("gatepost/+/+/events") == 1
                gateway.publish(f"gatepost-notify/{other.tenant_id}/alert.raised", b"{}")
                subscriber.expect_nothing(0.5)

                # It may publish nothing: not on its own notification topics (it would
                # read them back), not as a device (the gateway would read it).
                fake = f"gatepost-notify/{tenant}/alert.raised"
                subscriber.client.publish(fake, b'{"type": "alert.raised"}', qos=0)
                events = f"gatepost/{tenant}/{door.device.id}/events"
                subscriber.client.publish(events, b"{}", qos=0)
                subscriber.expect_nothing(0.5)
                gateway.expect_nothing(0.5)

                # Rotation: the new password connects, the old one is refused.
                rotated = _ok(admin.post(f"{URL}/{issued['id']}/rotate"))
                assert rotated["password"] != issued["password"]
                assert rotated["rotated_at"] is not None
                assert refused(broker, issued["username"], issued["password"]) != 0
                _connected(broker, rotated).close()
                # Another tenant cannot see, rotate or delete it.
                assert other.post(f"{URL}/{issued['id']}/rotate").status_code == 404
                assert other.delete(f"{URL}/{issued['id']}").status_code == 404

                # Revoked: refused at connect from the moment the DELETE answers.
                assert admin.delete(f"{URL}/{issued['id']}").status_code == 204
                assert refused(broker, rotated["username"], rotated["password"]) != 0
                assert _ok(admin.get(URL)) == []
                # No subscriber left (and no endpoint): an arrival queues nothing at all.
                _ok(door.arrive("pin", DURESS_PIN))
                assert dispatcher.run_once() == 0
                audit = _ok(admin.get("/api/v1/audit", params={"limit": 200}))["items"]
                actions = {e["action"] for e in audit}
                assert {
                    "notification_subscriber.created",
                    "notification_subscriber.rotated",
                    "notification_subscriber.deleted",
                } <= actions
                assert issued["password"] not in json.dumps(audit)
        finally:
            for connected in clients:
                connected.close()
            publisher.stop()
            container.devices.sync_broker_accounts()
            container.close()


def test_bad_names_are_refused_naming_the_field(admin: Any) -> None:
    for name in ("", "x" * 101):
        response = admin.post(URL, json={"name": name})
        assert response.status_code == 422, response.text
        assert "name" in response.text
    assert admin.post(URL, json={"name": "   "}).status_code == 422
    assert _ok(admin.get(URL)) == []
