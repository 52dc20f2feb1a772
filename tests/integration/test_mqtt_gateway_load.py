"""The MQTT gateway while its decision thread is busy, against the real Mosquitto broker.

Acknowledgements are settled on their own connection as they arrive, so a command
acknowledged while arrivals are being decided is not sent again. An arrival that finds
the inbox full (Mosquitto 2.0.11 does not hold to the gateway's Receive Maximum) is
refused as ``busy``, naming its key, never dropped silently, and is decided when the
device sends it again. The decision
thread is slowed by wrapping the gateway's hand-over to the real pipeline (real
database, real broker).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from typing import Any

import pytest

from gatepost.ingest.gateway import BUSY, MqttGateway
from gatepost.ingest.topics import Channel
from gatepost.services.container import Container
from gatepost.settings import Settings
from tests.support import gateway as harness
from tests.support.gateway import Door
from tests.support.mqtt import wait_until

pytestmark = pytest.mark.slow

# The gateway tests' fixtures: a held broker, the API, a device at a door, a gateway.
broker = harness.broker
settings = harness.settings
container = harness.container
client = harness.client
clients = harness.clients
gateways = harness.gateways
gateway = harness.gateway
door = harness.door


class _Slowed:
    """Wraps a gateway's hand-over of card arrivals to the pipeline: each arrival takes
    ``delay`` seconds longer; records how many arrivals the inbox held at most (those
    waiting in it and those the handler took from it together)."""

    def __init__(self, gateway: MqttGateway, delay: float) -> None:
        self.delay = delay
        self.most_waiting = 0
        self.handed = 0
        self._lock = threading.Lock()
        self._inner = gateway._decide_together
        self._inbox: queue.Queue[Any] = gateway._inbox
        gateway._decide_together = self  # type: ignore[method-assign]

    def __call__(self, waiting: list[Any]) -> None:
        with self._lock:
            self.most_waiting = max(self.most_waiting, self._inbox.qsize() + len(waiting))
            self.handed += len(waiting)
        time.sleep(self.delay * len(waiting))
        self._inner(waiting)


def _start(settings: Settings, container: Container, window: int) -> MqttGateway:
    started = MqttGateway(
        settings, container, worker_name=f"gw-load-{os.getpid()}", startup_wait=10, window=window
    )
    started.start()
    assert started.wait_ready(10), "the gateway did not subscribe"
    return started


def _drain(door: Door, seconds: float) -> list[dict[str, Any]]:
    """Every message the device gets within ``seconds`` (commands and refusals)."""
    got: list[dict[str, Any]] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            message = door.client.inbox.get(timeout=left)
        except queue.Empty:
            break
        got.append({"topic": message.topic} | json.loads(message.payload))
    return got


def test_an_ack_is_settled_while_the_decision_thread_is_busy(
    door: Door, gateway: MqttGateway
) -> None:
    door.publish(door.body())
    first = door.expect(Channel.COMMANDS)
    _Slowed(gateway, delay=2.0)
    door.publish(door.body())  # the decision thread is busy with this one for 2 s
    time.sleep(0.05)  # the handler has taken it
    door.ack(first["command_id"])
    # Settled well before the decision thread is free again (2 s): the ack did not wait.
    assert wait_until(lambda: gateway.counters.get("command.acked") == 1, timeout=1.5)
    assert first["command_id"] not in gateway._outbox.pending()
    # Once settled it is never sent again (the fixture retries every 0.3 s otherwise; on
    # a loaded machine one retry may have gone out before the ack arrived).
    retried = gateway.counters.get("command.retried", 0)
    assert retried <= 1
    _drain(door, 1.0)
    assert gateway.counters.get("command.retried", 0) == retried


def test_an_arrival_that_finds_the_inbox_full_is_refused_as_busy_and_decided_when_resent(
    door: Door, settings: Settings, container: Container, gateways: list[MqttGateway]
) -> None:
    worker = _start(settings, container, window=3)
    gateways.append(worker)
    slowed = _Slowed(worker, delay=0.05)
    sent: dict[str, bytes] = {}
    for _ in range(30):
        body = door.body()
        sent[json.loads(body)["idempotency_key"]] = body
        door.publish(body)
    assert wait_until(
        lambda: worker.counters.get("arrived", 0) + worker.counters.get("arrival.busy", 0) == 30,
        timeout=30,
    ), worker.counters
    got = _drain(door, 1.0)
    busy = {m["idempotency_key"] for m in got if m.get("reason") == BUSY}
    decided = {m["arrival_key"] for m in got if "arrival_key" in m}
    # Every arrival is answered once: decided, or refused as busy (never dropped silently).
    assert busy and not busy & decided and busy | decided == set(sent), got
    refusal = next(m for m in got if m.get("reason") == BUSY)
    assert refusal["topic"] == door.topic(Channel.ERRORS) and "again" in refusal["detail"]
    assert worker.counters["arrival.busy"] == len(busy) and door.events() == len(decided)
    assert slowed.most_waiting <= 3 and "failed" not in worker.counters
    slowed.delay = 0.0
    for stored, key in enumerate(sorted(busy), start=len(decided) + 1):
        door.publish(sent[key])  # the device sends it again later, the same bytes
        assert wait_until(lambda: door.events() == stored, timeout=5), key  # noqa: B023
    again = {m["arrival_key"] for m in _drain(door, 0.5) if "arrival_key" in m}
    assert busy <= again and door.events() == 30
