"""SECURITY.md 34: killing the broker or the server mid-stream loses and duplicates nothing.

Each test streams card arrivals from simulated devices (:mod:`gatepost.simulator`, as
many arrivals in flight per device as the stream brings, each command matched to its
arrival by the ``arrival_key`` it names, resent with the same idempotency key when
unanswered, kept while offline and replayed after a reconnect) into a real gatepost child process
(``uvicorn`` running the composition root with the MQTT gateway step) on its own
Mosquitto (scripts/mosquitto.sh on a free port in the test's directory, never the
shared broker), and SIGKILLs the broker or the server part-way through. Afterwards the
store must hold exactly one event per (device, idempotency key) sent (lost = 0,
duplicated = 0) and every device must have its answer for every arrival.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from gatepost.benchmarks.access.instance import Instance, card_number, instance
from gatepost.simulator import Arrival, DeviceStats, HttpsDevice, MqttDevice
from tests.support.children import ServerChild, broker_script, kill_broker, need_mosquitto
from tests.support.services import POSTGRES_URL, missing

pytestmark = pytest.mark.slow

PERSONS = 10
DEVICES = 4
ARRIVALS = 200
RATE = 50.0  # arrivals per second: the stream lasts 4 s, the fault hits after 1.2 s
DB_KINDS = [k.strip() for k in os.environ.get("GATEPOST_TEST_DBS", "sqlite,postgres").split(",")]


def _database(kind: str) -> str:
    if kind == "sqlite":
        return "sqlite"
    try:
        create_engine(POSTGRES_URL).connect().close()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        missing("PostgreSQL")
    return POSTGRES_URL


@contextmanager
def _running(db: str, tmp_path: Path) -> Iterator[tuple[Instance, ServerChild]]:
    need_mosquitto()
    with instance(db=db, own_broker=True, persons=PERSONS, devices=DEVICES) as built:
        server = ServerChild(built.settings, log=tmp_path / "server.log")
        server.start()
        try:
            yield built, server
        finally:
            server.stop()


def _card(i: int) -> Arrival:
    return Arrival("card", value=card_number(i % PERSONS))


def _mqtt_devices(built: Instance) -> list[MqttDevice]:
    broker = built.broker
    return [
        MqttDevice(
            identity,
            host=broker.host,
            port=broker.port,
            key_prefix=f"res{n}",
            resend_after=2.0,
        ).connect()
        for n, identity in enumerate(built.devices)
    ]


def _wait(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


def _stream_mqtt(devices: Sequence[MqttDevice], fault: Callable[[], None]) -> None:
    """A warm-up arrival per device, answered; then the stream with ``fault`` running
    beside it; then until every arrival is answered."""
    for device in devices:
        device.send(_card(0))
    _wait(lambda: not any(d.waiting for d in devices), 20, "the warm-up is not answered")
    problems: list[BaseException] = []

    def run_fault() -> None:
        try:
            time.sleep(ARRIVALS / RATE * 0.3)
            fault()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            problems.append(exc)

    faulty = threading.Thread(target=run_fault)
    faulty.start()
    start = time.monotonic()
    for i in range(ARRIVALS):
        time.sleep(max(0.0, start + i / RATE - time.monotonic()))
        devices[i % len(devices)].send(_card(i))
    faulty.join()
    assert not problems, problems
    _wait(lambda: not any(d.waiting for d in devices), 40, "arrivals are still unanswered")


def _stored(url: str) -> Counter[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT device_id, idempotency_key FROM events"))
            return Counter((str(device), str(key)) for device, key in rows)
    finally:
        engine.dispose()


def _check_exactly_once(
    built: Instance, prefixes: dict[str, str], stats: dict[str, DeviceStats]
) -> None:
    """Lost = sent keys with no event; duplicated = events beyond one per key, or
    events of keys never sent. Both must be 0."""
    stored = _stored(built.settings.database_url)
    sent = {
        (device_id, f"{prefix}-{n}")
        for device_id, prefix in prefixes.items()
        for n in range(1, stats[device_id].sent + 1)
    }
    lost = sent - set(stored)
    duplicated = sum(count - 1 for count in stored.values()) + len(set(stored) - sent)
    assert (len(lost), duplicated) == (0, 0), (sorted(lost)[:5], stored.most_common(3))
    assert sum(s.sent for s in stats.values()) == ARRIVALS + len(prefixes)
    for device_id, counted in stats.items():
        assert counted.answered == counted.sent, (device_id, counted.summary())
        assert counted.unmatched_commands == 0 and counted.forged_commands == 0, counted.summary()
        assert not counted.refused, counted.summary()


def _finish_mqtt(built: Instance, devices: Sequence[MqttDevice]) -> dict[str, DeviceStats]:
    for device in devices:
        device.close()
    stats = {d.identity.device_id: d.stats for d in devices}
    prefixes = {d.identity.device_id: f"res{n}" for n, d in enumerate(devices)}
    _check_exactly_once(built, prefixes, stats)
    return stats


def test_killing_the_broker_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with _running("sqlite", tmp_path) as (built, _server):
        broker = built.broker
        devices = _mqtt_devices(built)

        def fault() -> None:
            kill_broker(broker.dir)
            time.sleep(1.0)
            broker_script("start", broker.dir, broker.port, broker.gateway_username)

        try:
            _stream_mqtt(devices, fault)
        finally:
            stats = _finish_mqtt(built, devices)
    kept = sum(s.buffered + s.replayed + s.resent for s in stats.values())
    assert kept > 0, "the broker's death went unnoticed: the test did not test anything"


@pytest.mark.parametrize("kind", DB_KINDS)
def test_killing_the_server_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, kind: str
) -> None:
    with _running(_database(kind), tmp_path) as (built, server):
        devices = _mqtt_devices(built)

        def fault() -> None:
            server.kill()
            time.sleep(0.5)
            server.start()

        try:
            _stream_mqtt(devices, fault)
        finally:
            stats = _finish_mqtt(built, devices)
    assert server.starts == 2
    assert sum(s.resent for s in stats.values()) > 0, "no arrival needed a resend"


async def _stream_https(devices: Sequence[HttpsDevice], fault: Callable[[], None]) -> None:
    async def later() -> None:
        await asyncio.sleep(ARRIVALS / RATE * 0.3)
        await asyncio.to_thread(fault)

    for device in devices:
        await device.send(_card(0))
    faulty = asyncio.create_task(later())
    sends = []
    start = time.monotonic()
    for i in range(ARRIVALS):
        await asyncio.sleep(max(0.0, start + i / RATE - time.monotonic()))
        sends.append(asyncio.create_task(devices[i % len(devices)].send(_card(i))))
    await asyncio.gather(faulty, *sends)
    deadline = time.monotonic() + 40
    while any(d.waiting for d in devices):
        assert time.monotonic() < deadline, "arrivals are still kept"
        for device in devices:
            await device.flush()
        await asyncio.sleep(0.2)


def test_restarting_the_server_mid_stream_over_https_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    with _running("sqlite", tmp_path) as (built, server):

        def fault() -> None:
            server.kill()
            time.sleep(0.5)
            server.start()

        async def run() -> list[HttpsDevice]:
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
                devices = [
                    HttpsDevice(identity, client, key_prefix=f"res{n}")
                    for n, identity in enumerate(built.devices)
                ]
                await _stream_https(devices, fault)
                return devices

        devices = asyncio.run(run())
        stats = {d.identity.device_id: d.stats for d in devices}
        prefixes = {d.identity.device_id: f"res{n}" for n, d in enumerate(devices)}
        _check_exactly_once(built, prefixes, stats)
    assert sum(s.replayed for s in stats.values()) > 0, "nothing was kept and replayed"
