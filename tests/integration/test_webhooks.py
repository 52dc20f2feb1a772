"""Webhooks end to end against a REAL local HTTP receiver (http.server in a thread on
127.0.0.1) that verifies the Standard Webhooks signature of every request: a duress PIN
is delivered as ``alert.raised``; failures are retried with backoff until delivered or
failed; timeouts, 410 and 500 answers; endpoints disabled after a run of failures; SSRF
refusals at create and send time; one claim per delivery with two notifiers; the
``notifier`` step of a running Gatepost; and MQTT notifications on the real broker."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.app import Gatepost, compose_app
from gatepost.domain.ports import FixedClock
from gatepost.domain.webhooks import SignatureInvalid, decode_secret, verify
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.notify_publisher import MqttNotificationPublisher
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from gatepost.services.webhook_dispatch import HttpxSender, WebhookDispatcher
from gatepost.services.webhooks import WebhookService
from gatepost.settings import Settings, WebhookSettings
from tests.integration.test_device_arrivals import Door, _ok
from tests.support.api import Actor, add_tenant, admin_principal, setup_platform
from tests.support.mqtt import connect, exclusive_broker

DURESS_PIN = "135791"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """A webhook receiver: answers each request with the next planned status (200 once
    the plan is used up); ``"sleep"`` holds the answer past the sender's timeout."""

    secret: str = ""
    plan: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gatepost"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verify(decode_secret(receiver.secret), headers, body, now=int(time.time()))
                    verified = True
                except (SignatureInvalid, ValueError):
                    verified = False
                receiver.received.append(Received(self.path, headers, body, verified))
                answer = receiver.plan.pop(0) if receiver.plan else 200
                if answer == "sleep":
                    time.sleep(1.5)
                    answer = 200
                if answer == "drip":  # a 200 whose body comes one byte every 0.3 s
                    self.send_response(200)
                    self.send_header("content-length", "100")
                    self.end_headers()
                    for _ in range(100):
                        try:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                        except OSError:
                            return  # the sender gave up: that is the point
                        time.sleep(0.3)
                    return
                assert isinstance(answer, int)
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def _dispatcher(container: Container, **settings: Any) -> WebhookDispatcher:
    hooks = WebhookSettings(**{"allow_private_targets": True, "timeout_seconds": 0.5} | settings)
    return WebhookDispatcher(
        tx=container.tx,
        clock=container.clock,
        settings=hooks,
        sender=HttpxSender(timeout=hooks.timeout_seconds),
        jitter=lambda: 0.0,
    )


def _endpoint(admin: Actor, receiver: Receiver, **body: Any) -> dict[str, Any]:
    created = _ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, **body}), 201)
    assert created["secret"].startswith("whsec_")
    receiver.secret = created["secret"]
    return dict(created)


def _deliveries(admin: Actor, endpoint_id: str) -> list[dict[str, Any]]:
    return list(_ok(admin.get(f"/api/v1/webhooks/{endpoint_id}/deliveries"))["items"])


def _duress_arrival(admin: Actor) -> dict[str, Any]:
    door = Door(admin)
    ada = door.person("Ada Lovelace")
    door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)
    return dict(_ok(door.arrive("pin", DURESS_PIN)))


def test_a_duress_pin_is_delivered_as_a_signed_alert_raised_webhook(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver, description="Control room")
    assert "secret" not in _ok(admin.get(f"/api/v1/webhooks/{endpoint['id']}"))
    decided = _duress_arrival(admin)
    alert = _ok(admin.get("/api/v1/alerts"))["items"][0]
    assert _dispatcher(container).run_once() == 2
    assert [r.verified for r in receiver.received] == [True, True]
    assert {r.path for r in receiver.received} == {"/hooks/gatepost"}
    bodies = {b["type"]: b for b in receiver.bodies()}
    assert set(bodies) == {"access.decided", "alert.raised"}
    raised = bodies["alert.raised"]
    assert raised["tenant_id"] == admin.tenant_id and raised["id"].startswith("msg_")
    assert raised["data"]["alert_id"] == alert["id"] and raised["data"]["kind"] == "duress"
    assert raised["data"]["event_id"] == decided["event_id"]
    assert bodies["access.decided"]["data"]["outcome"] == "grant"
    assert "Ada" not in str(receiver.bodies())  # ids and codes only
    header_ids = {r.headers["webhook-id"] for r in receiver.received}
    assert header_ids == {b["id"] for b in receiver.bodies()}
    log = _deliveries(admin, endpoint["id"])
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in log} == {
        ("delivered", 1, 200)
    }
    # Acknowledging queues alert.acknowledged (without the note).
    url = f"/api/v1/alerts/{alert['id']}/acknowledge"
    _ok(admin.post(url, json={"note": "Police informed"}))
    assert _dispatcher(container).run_once() == 1
    acked = receiver.bodies()[-1]
    assert acked["type"] == "alert.acknowledged" and "Police" not in json.dumps(acked)


def test_failures_are_retried_with_backoff_until_delivered_with_the_same_id(
    admin: Actor, container: Container, clock: FixedClock, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver, event_types=["alert.raised"])
    receiver.plan = [500, 503]
    _duress_arrival(admin)
    dispatcher = _dispatcher(container)
    assert dispatcher.run_once() == 1
    (pending,) = _deliveries(admin, endpoint["id"])
    assert (pending["status"], pending["attempts"], pending["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    assert dispatcher.run_once() == 0  # not due yet: 5 s (jitter 0: 4 s) later
    clock.advance(timedelta(seconds=4))
    assert dispatcher.run_once() == 1
    clock.advance(timedelta(seconds=24))
    assert dispatcher.run_once() == 1
    (done,) = _deliveries(admin, endpoint["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 3, 200)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert all(r.verified for r in receiver.received)
    assert _ok(admin.get(f"/api/v1/webhooks/{endpoint['id']}"))["failure_streak"] == 0


def test_a_timeout_counts_as_a_failed_attempt(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    receiver.plan = ["sleep"]
    _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    assert _dispatcher(container).run_once() == 1
    (delivery,) = _deliveries(admin, endpoint["id"])
    assert delivery["event_type"] == "webhook.test"
    assert (delivery["status"], delivery["last_error"]) == ("pending", "timed out")
    assert delivery["last_status_code"] is None


def test_a_receiver_dripping_its_answer_cannot_hold_the_notifier(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    receiver.plan = ["drip"]  # 100 bytes at 0.3 s each: 30 s if read to the end
    _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    began = time.monotonic()
    assert _dispatcher(container).run_once() == 1
    assert time.monotonic() - began < 5  # the 2 x 0.5 s deadline, plus one read
    (delivery,) = _deliveries(admin, endpoint["id"])
    assert (delivery["status"], delivery["last_status_code"]) == ("delivered", 200)


def test_a_lease_that_ran_out_or_was_taken_is_not_renewed(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    now = container.clock.now()
    with container.tx.write() as uow:
        (claimed,) = uow.webhooks.claim_due(
            now=now, lease_until=now + timedelta(seconds=40), owner="a" * 32, limit=4
        )
    key = {"tenant_id": claimed.tenant_id, "delivery_id": claimed.id}
    later = now + timedelta(minutes=1)
    with container.tx.write() as uow:
        assert not uow.webhooks.renew_lease(**key, owner="b" * 32, now=now, lease_until=later)
        assert not uow.webhooks.renew_lease(  # ours, but it ran out: another may hold it
            **key, owner="a" * 32, now=now + timedelta(seconds=41), lease_until=later
        )
        assert uow.webhooks.renew_lease(**key, owner="a" * 32, now=now, lease_until=later)


def test_410_disables_the_endpoint_and_500s_fail_after_the_last_attempt(
    admin: Actor, container: Container, clock: FixedClock, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    receiver.plan = [410]
    _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    _dispatcher(container).run_once()
    gone = _ok(admin.get(f"/api/v1/webhooks/{endpoint['id']}"))
    assert gone["enabled"] is False and "410" in gone["disabled_reason"]
    assert _deliveries(admin, endpoint["id"])[0]["status"] == "failed"
    # Re-enabled, a receiver answering 500 gets max_attempts tries, then the delivery fails.
    _ok(admin.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}))
    receiver.plan = [500] * 10
    second = _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)["id"]
    dispatcher = _dispatcher(container, max_attempts=3)
    for _ in range(3):
        assert dispatcher.run_once() == 1
        clock.advance(timedelta(minutes=5))
    assert dispatcher.run_once() == 0
    (latest,) = [d for d in _deliveries(admin, endpoint["id"]) if d["id"] == second]
    assert (latest["status"], latest["attempts"], latest["last_status_code"]) == ("failed", 3, 500)
    # A manual retry sends it again now.
    receiver.plan = []
    retried = _ok(admin.post(f"/api/v1/webhooks/deliveries/{latest['id']}/retry"), 202)
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    assert dispatcher.run_once() == 1
    statuses = {d["id"]: d["status"] for d in _deliveries(admin, endpoint["id"])}
    assert statuses[second] == "delivered"
    audit = _ok(admin.get("/api/v1/audit", params={"limit": 200}))["items"]
    actions = {e["action"] for e in audit}
    assert {"webhook.created", "webhook.updated", "webhook.test_sent"} <= actions
    assert "webhook.delivery_retried" in actions


def test_an_endpoint_is_disabled_after_a_long_run_of_failures(
    admin: Actor, container: Container, clock: FixedClock, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    receiver.plan = [500] * 10
    for _ in range(2):
        _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    dispatcher = _dispatcher(container, disable_after_failures=3)
    dispatcher.run_once()
    clock.advance(timedelta(seconds=10))
    dispatcher.run_once()
    disabled = _ok(admin.get(f"/api/v1/webhooks/{endpoint['id']}"))
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"].startswith("3 failed attempts in a row")
    assert {d["status"] for d in _deliveries(admin, endpoint["id"])} == {"failed"}
    _duress_arrival(admin)  # a disabled endpoint is sent nothing
    assert len(_deliveries(admin, endpoint["id"])) == 2


def test_private_and_plain_http_targets_are_refused_unless_allowed(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    strict = WebhookService(
        tx=container.tx,
        clock=container.clock,
        notifications=container.notifications,
        allow_private=False,
    )
    principal = admin_principal(admin)
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1:8443/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
        receiver.url,
    ):
        with pytest.raises(Exception) as refused:  # noqa: PT011 - checked below
            strict.create(principal, url=url, description="", event_types=[])
        assert getattr(refused.value, "field", None) == "url", url
    assert _ok(admin.get("/api/v1/webhooks")) == []
    # Through the API: 422 naming the field, nothing stored.
    response = admin.post("/api/v1/webhooks", json={"url": "ftp://example.com/x"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "url"
    assert _ok(admin.get("/api/v1/webhooks")) == []


def test_the_target_is_checked_again_at_send_time(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    assert _dispatcher(container, allow_private_targets=False).run_once() == 1
    (delivery,) = _deliveries(admin, endpoint["id"])
    assert delivery["status"] == "pending" and "url" in delivery["last_error"]
    assert receiver.received == []


def test_a_suspended_tenants_deliveries_stay_queued_until_it_is_resumed(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    beta = add_tenant(admin, "beta")
    theirs = _endpoint(beta, receiver)
    ours_receiver = Receiver().start()
    try:
        ours = _endpoint(admin, ours_receiver)
        _ok(beta.post(f"/api/v1/webhooks/{theirs['id']}/test"), 202)
        _ok(admin.post(f"/api/v1/webhooks/{ours['id']}/test"), 202)
        _ok(admin.post(f"/api/v1/tenants/{beta.tenant_id}/suspend"))
        dispatcher = _dispatcher(container)
        assert dispatcher.run_once() == 1  # the other tenant's still goes out
        assert len(ours_receiver.received) == 1
        assert dispatcher.run_once() == 0
        assert receiver.received == []
        with container.tx.read() as uow:
            (queued,) = uow.webhooks.deliveries(
                tenant_id=beta.tenant_id, endpoint_id=theirs["id"], limit=10, before=None
            )
        assert (queued.status.value, queued.attempts) == ("pending", 0)
        _ok(admin.post(f"/api/v1/tenants/{beta.tenant_id}/resume"))
        assert dispatcher.run_once() == 1
        assert [r.verified for r in receiver.received] == [True]
        assert receiver.bodies()[0]["type"] == "webhook.test"
        (sent,) = _deliveries(beta, theirs["id"])
        assert (sent["status"], sent["attempts"]) == ("delivered", 1)
    finally:
        ours_receiver.stop()


def test_two_notifiers_never_claim_the_same_delivery(
    admin: Actor, container: Container, receiver: Receiver
) -> None:
    endpoint = _endpoint(admin, receiver)
    for _ in range(6):
        _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    now = container.clock.now()
    with container.tx.write() as uow:
        first = uow.webhooks.claim_due(
            now=now, lease_until=now + timedelta(minutes=1), owner="a" * 32, limit=4
        )
    with container.tx.write() as uow:
        second = uow.webhooks.claim_due(
            now=now, lease_until=now + timedelta(minutes=1), owner="b" * 32, limit=4
        )
    assert len(first) == 4 and len(second) == 2
    assert not {d.id for d in first} & {d.id for d in second}
    with container.tx.write() as uow:
        third = uow.webhooks.claim_due(
            now=now, lease_until=now + timedelta(minutes=1), owner="c" * 32, limit=4
        )
    assert third == []
    # Two dispatchers at once send each message once.
    for _ in range(6):
        _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
    dispatchers = [_dispatcher(container), _dispatcher(container)]
    threads = [threading.Thread(target=d.run_once) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 6


def test_a_running_gatepost_delivers_through_its_notifier_step(
    tmp_path: Path, db_url: str, clock: FixedClock, receiver: Receiver, settings: Settings
) -> None:
    live = Settings.model_validate(
        settings.model_dump() | {"webhooks": {"allow_private_targets": True, "poll_seconds": 0.05}}
    )
    create_key_file(live.key_file)
    with (
        Gatepost(live, clock=clock) as gatepost,
        TestClient(gatepost.app, base_url="https://testserver") as client,
    ):
        assert gatepost.running[-1] == "notifier"
        admin = setup_platform(client, gatepost.container)
        endpoint = _endpoint(admin, receiver)
        _ok(admin.post(f"/api/v1/webhooks/{endpoint['id']}/test"), 202)
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.verified for r in receiver.received] == [True]
        assert receiver.bodies()[0]["type"] == "webhook.test"


def test_notifications_are_published_on_the_tenant_topic_of_the_real_broker(
    tmp_path: Path, settings: Settings, clock: FixedClock
) -> None:
    with exclusive_broker() as broker:
        mqtt = {
            "enabled": True,
            "port": broker.port,
            "dir": str(broker.files.password_file.parent),
            "gateway_username": broker.gateway_username,
        }
        live = Settings.model_validate(settings.model_dump() | {"mqtt": mqtt})
        create_key_file(live.key_file)
        container = build_container(live, clock=clock, broker_accounts=broker_accounts_for(live))
        publisher = MqttNotificationPublisher(live, worker_name=f"test-{os.getpid()}")
        subscriber = None
        try:
            with TestClient(compose_app(container), base_url="https://testserver") as client:
                admin = setup_platform(client, container)
                door = Door(admin)  # registering its device rewrites the broker's files
                ada = door.person("Ada Lovelace")
                door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)
                url = "/api/v1/notification-subscribers"
                account = _ok(admin.post(url, json={"name": "Test"}), 201)
                subscriber = connect(broker, account["username"], account["password"])
                assert subscriber.subscribe(f"gatepost-notify/{admin.tenant_id}/#") == 1
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
                raised = got[f"gatepost-notify/{admin.tenant_id}/alert.raised"]
                body = json.loads(raised.payload)
                assert body["type"] == "alert.raised" and body["data"]["kind"] == "duress"
                assert ("webhook-id", body["id"]) in raised.user_properties
                assert f"gatepost-notify/{admin.tenant_id}/access.decided" in got
                with container.tx.write() as uow:
                    rows = uow.webhooks.claim_due(
                        now=clock.now(), lease_until=clock.now(), owner="x" * 32, limit=10
                    )
                assert rows == []  # both delivered
        finally:
            if subscriber is not None:
                subscriber.close()
            publisher.stop()
            container.devices.sync_broker_accounts()
            container.close()
