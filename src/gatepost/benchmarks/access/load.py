"""The load: open-loop arrivals over MQTT and HTTPS, and the broker's own round trip.

Owns the phases a run is made of and what each measures (:class:`PhaseResult`):

- :func:`floor_phase`: a bare device client publishes (QoS 1, TCP_NODELAY, the same
  payload size) on its events topic; a bare client on the gateway's account echoes each
  message to the device's commands topic; latency is publish -> echo received. Run
  before the gateway starts, so nothing else reads those messages.
- :func:`mqtt_phase`: arrivals spread round-robin over the simulated devices
  (:class:`gatepost.simulator.MqttDevice`); latency is scheduled send -> signed command
  received; the device acknowledges every command.
- :func:`https_phase`: the same arrivals as ``POST /api/v1/device/arrivals`` over httpx;
  latency is scheduled send -> decision received.

The i-th arrival is scheduled at ``t0 + i / rate`` whatever earlier ones are doing, and
latency counts from that time (no coordinated omission). ``decided`` is the number of
access events the phase stored (counted in the database); ``lost`` = sent - answered;
``duplicated`` = command copies received after the first plus events stored beyond
those sent. Python's collector is frozen and off during a phase.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import paho.mqtt.client as paho

from gatepost.benchmarks.access.instance import Instance
from gatepost.ingest.broker_accounts import BrokerFiles
from gatepost.ingest.topics import Channel
from gatepost.simulator import Arrival, DeviceStats, HttpsDevice, MqttDevice, mqtt_client

__all__ = ["PhaseResult", "floor_phase", "https_phase", "mqtt_phase", "percentile"]

_DRAIN_S = 5.0
_SETTLE_S = 1.5  # long enough for a command's first retry (1 s) to show as a duplicate


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass
class PhaseResult:
    transport: str
    rate: float
    seconds: float
    sent: int
    decided: int
    lost: int
    duplicated: int
    latencies_ms: list[float]
    max_lag_ms: float
    refused: dict[str, int] = field(default_factory=dict)
    floor_p99_ms: float = math.nan

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def as_json(self) -> dict[str, Any]:
        def ms(value: float) -> float | None:
            return None if math.isnan(value) else round(value, 3)

        return {
            "transport": self.transport,
            "rate": self.rate,
            "seconds": self.seconds,
            "sent": self.sent,
            "decided": self.decided,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "p50_ms": ms(self.p(50)),
            "p99_ms": ms(self.p(99)),
            "max_ms": ms(max(self.latencies_ms, default=math.nan)),
            "floor_p99_ms": ms(self.floor_p99_ms),
            "max_lag_ms": round(self.max_lag_ms, 3),
            "refused": self.refused,
        }


@contextmanager
def _quiet_heap() -> Iterator[None]:
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _pace(rate: float, seconds: float, send: Callable[[int, float], object]) -> None:
    """Call ``send(i, scheduled)`` at ``t0 + i / rate`` for ``seconds``."""
    total = max(1, round(rate * seconds))
    t0 = time.perf_counter() + 0.05
    for i in range(total):
        target = t0 + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(i, target)


def _events(instance: Instance) -> int:
    return instance.container.events.count(instance.admin)


def floor_phase(
    instance: Instance, *, rate: float, seconds: float, payload_size: int
) -> PhaseResult:
    """The broker's own round trip (see the module doc)."""
    broker, device = instance.broker, instance.floor_device
    events, commands = device.topic(Channel.EVENTS), device.topic(Channel.COMMANDS)
    started: dict[int, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    echo: list[paho.Client] = []

    def on_echo(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        echo[0].publish(commands, bytes(message.payload), qos=1)

    def on_back(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        received = time.perf_counter()
        number = int(bytes(message.payload)[:12])
        with lock:
            start = started.pop(number, None)
            if start is not None:
                latencies.append((received - start) * 1000)

    echo.append(
        mqtt_client(
            host=broker.host,
            port=broker.port,
            username=broker.gateway_username,
            password=BrokerFiles.in_dir(broker.dir).gateway_password(),
            client_id="bench-floor-echo",
            subscriptions=[events],
            on_message=on_echo,
        )
    )
    publisher = mqtt_client(
        host=broker.host,
        port=broker.port,
        username=device.mqtt_username,
        password=device.mqtt_password,
        client_id="bench-floor-device",
        subscriptions=[commands],
        on_message=on_back,
    )
    padding = b" " * max(0, payload_size - 12)
    lag = 0.0

    def send(i: int, scheduled: float) -> None:
        nonlocal lag
        with lock:
            started[i] = scheduled
        lag = max(lag, (time.perf_counter() - scheduled) * 1000)
        publisher.publish(events, b"%012d" % i + padding, qos=1)

    try:
        with _quiet_heap():
            _pace(rate, seconds, send)
            deadline = time.monotonic() + _DRAIN_S
            while started and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        for client in (publisher, echo[0]):
            client.disconnect()
            client.loop_stop()
    sent = max(1, round(rate * seconds))
    return PhaseResult("floor", rate, seconds, sent, 0, len(started), 0, latencies, lag)


def _result(
    transport: str, rate: float, seconds: float, stats: DeviceStats, decided: int
) -> PhaseResult:
    lost = stats.sent - stats.answered
    duplicated = stats.duplicate_commands + max(0, decided - stats.sent)
    refused = dict(stats.refused)
    if stats.failed:
        refused["send_failed"] = stats.failed
    return PhaseResult(
        transport, rate, seconds, stats.sent, decided, lost, duplicated,
        stats.latencies_ms, stats.max_lag_ms, refused,
    )  # fmt: skip


def mqtt_phase(
    instance: Instance,
    devices: Sequence[MqttDevice],
    *,
    transport: str,
    rate: float,
    seconds: float,
    arrival: Callable[[int], Arrival],
) -> PhaseResult:
    """Arrivals over MQTT (see the module doc)."""
    for device in devices:
        device.reset()
    before = _events(instance)
    with _quiet_heap():
        _pace(rate, seconds, lambda i, t: devices[i % len(devices)].send(arrival(i), scheduled=t))
        deadline = time.monotonic() + _DRAIN_S
        while any(d.waiting for d in devices) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(_SETTLE_S)
    stats = DeviceStats()
    for device in devices:
        stats.merge(device.reset())
    return _result(transport, rate, seconds, stats, _events(instance) - before)


async def _https_run(
    urls: Sequence[str],
    instance: Instance,
    rate: float,
    seconds: float,
    arrival: Callable[[int], Arrival],
) -> DeviceStats:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for url in urls]
    devices = [
        HttpsDevice(identity, clients[n % len(clients)])
        for n, identity in enumerate(instance.devices)
    ]
    total = max(1, round(rate * seconds))
    tasks: list[asyncio.Task[dict[str, Any]]] = []
    try:
        t0 = time.perf_counter() + 0.05
        for i in range(total):
            target = t0 + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            device = devices[i % len(devices)]
            tasks.append(asyncio.create_task(device.send(arrival(i), scheduled=target)))
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    stats = DeviceStats()
    for device in devices:
        stats.merge(device.stats)
    return stats


def https_phase(
    instance: Instance,
    urls: Sequence[str],
    *,
    rate: float,
    seconds: float,
    arrival: Callable[[int], Arrival],
) -> PhaseResult:
    """Arrivals over HTTPS (see the module doc); the workers share the devices."""
    before = _events(instance)
    with _quiet_heap():
        stats = asyncio.run(_https_run(urls, instance, rate, seconds, arrival))
    return _result("https", rate, seconds, stats, _events(instance) - before)


def payload_size(arrival: Arrival) -> int:
    """About the size of an arrival message (for the floor's payloads)."""
    body = {"v": 1, "device_time": "2026-01-01T00:00:00.000Z", "idempotency_key": "x" * 24}
    return len(json.dumps(body | {"kind": arrival.kind, "card": arrival.value or ""}))
