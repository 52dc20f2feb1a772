"""The entry point of ``gatepost bench access``: the run's order, the report and the JSON.

Order: instance (broker, database, rules, persons, devices) -> the broker's round trip
(floor) -> gatepost worker process(es) -> warm-up -> for each transport: the fixed-rate
run, then (``--find-max``) a sweep of rising rates -> face and plate frames over MQTT at
``--frame-rate``. The last line with ``--json`` is one JSON object: the first
transport's result at the top level, and every run (floor, transports, sweep steps,
face, plate) under ``runs``; ``max_rate`` maps each swept transport to the highest rate
held with p99 <= 15 ms, nothing lost and nothing duplicated.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from gatepost.benchmarks.access.instance import card_number, instance
from gatepost.benchmarks.access.load import (
    PhaseResult,
    floor_phase,
    https_phase,
    mqtt_phase,
    payload_size,
)
from gatepost.benchmarks.access.server import serve
from gatepost.simulator import Arrival, MqttDevice
from gatepost.vision.fake_faces import fake_face_image
from gatepost.vision.fake_plates import fake_plate_image

__all__ = ["AccessOptions", "TARGET_P99_MS", "run"]

TARGET_P99_MS = 15.0
_SWEEP = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000)
_FRAMES = 50  # distinct frames of each kind (unknown faces, unknown plates)


@dataclass(frozen=True)
class AccessOptions:
    transports: tuple[str, ...] = ("mqtt",)
    rate: float = 500.0
    seconds: float = 60.0
    persons: int = 200
    devices: int = 20
    workers: int = 1
    db: str = "sqlite"
    own_broker: bool = True
    find_max: bool = False
    sweep_seconds: float = 10.0
    frame_rate: float = 10.0
    frame_seconds: float = 10.0
    json: bool = False


def _held(result: PhaseResult) -> bool:
    return result.lost == 0 and result.duplicated == 0 and result.p(99) <= TARGET_P99_MS


def _table(results: list[PhaseResult]) -> Table:
    table = Table(title="gatepost bench access (latency: scheduled send -> command/decision)")
    for name in ("run", "rate/s", "s", "sent", "decided", "lost", "dup", "p50 ms", "p99 ms",
                 "max ms", "lag ms", "p99 / floor"):  # fmt: skip
        table.add_column(name, justify="left" if name == "run" else "right")
    for r in results:
        ratio = r.p(99) / r.floor_p99_ms if r.floor_p99_ms > 0 else math.nan
        table.add_row(
            r.transport, f"{r.rate:g}", f"{r.seconds:g}", str(r.sent),
            "-" if r.transport == "floor" else str(r.decided), str(r.lost), str(r.duplicated),
            f"{r.p(50):.2f}", f"{r.p(99):.2f}", f"{max(r.latencies_ms, default=math.nan):.2f}",
            f"{r.max_lag_ms:.1f}", "-" if r.transport == "floor" else f"{ratio:.1f}x",
        )  # fmt: skip
    return table


def _cycle(arrivals: list[Arrival]) -> Callable[[int], Arrival]:
    return lambda i: arrivals[i % len(arrivals)]


def _warm_up(devices: list[MqttDevice], arrival: Arrival) -> None:
    """One arrival per device, until every device has its command (the gateway is up)."""
    deadline = time.monotonic() + 30
    for device in devices:
        device.reset()
        device.send(arrival)
    while any(d.waiting for d in devices):
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway answered no command within 30 s (see worker-*.log)")
        time.sleep(0.05)
        if time.monotonic() > deadline - 20:  # resend once: a worker subscribed late
            for device in devices:
                if device.waiting:
                    device.reset()
                    device.send(arrival)
    for device in devices:
        device.reset()


def run(options: AccessOptions) -> list[PhaseResult]:
    """Run the benchmark (see the module doc); print the table (and JSON); the results."""
    console = Console(stderr=options.json, width=140)
    results: list[PhaseResult] = []
    max_rate: dict[str, float] = {}
    cards = options.persons

    def card(i: int) -> Arrival:
        return Arrival("card", value=card_number(i % cards))

    faces = [Arrival("face", frame=fake_face_image(f"stranger-{n}")) for n in range(_FRAMES)]
    plates = [Arrival("plate", frame=fake_plate_image(f"京A{n:05d}")) for n in range(_FRAMES)]
    console.print(
        f"[bold]gatepost bench access[/] load {os.getloadavg()[0]:.2f}, {os.cpu_count()} cpus, "
        f"db {options.db.split('://')[0]}, {options.workers} worker(s), {options.devices} "
        f"devices, {options.persons} persons"
    )
    with instance(
        db=options.db,
        own_broker=options.own_broker,
        persons=options.persons,
        devices=options.devices,
    ) as built:
        floor = floor_phase(
            built, rate=options.rate, seconds=options.seconds, payload_size=payload_size(card(0))
        )
        results.append(floor)
        with serve(built.settings, workers=options.workers) as urls:
            broker = built.broker
            devices = [
                MqttDevice(identity, host=broker.host, port=broker.port).connect()
                for identity in built.devices
            ]
            try:
                _warm_up(devices, card(0))
                for transport in options.transports:
                    rates = [options.rate]
                    if options.find_max:
                        rates += [r for r in _SWEEP if r != options.rate]
                    for step, rate in enumerate(rates):
                        seconds = options.seconds if step == 0 else options.sweep_seconds
                        label = transport if step == 0 else f"{transport} sweep"
                        if transport == "mqtt":
                            result = mqtt_phase(
                                built, devices, transport=label, rate=rate, seconds=seconds,
                                arrival=card,
                            )  # fmt: skip
                        else:
                            result = https_phase(
                                built, urls, rate=rate, seconds=seconds, arrival=card
                            )
                            result.transport = label
                        result.floor_p99_ms = floor.p(99)
                        results.append(result)
                        console.print(
                            f"  {label} {rate:g}/s: p99 {result.p(99):.2f} ms, lost "
                            f"{result.lost}, duplicated {result.duplicated}"
                        )
                        if step > 0 and _held(result):
                            max_rate[transport] = max(max_rate.get(transport, 0.0), rate)
                        if step == 0 and _held(result):
                            max_rate[transport] = rate
                        if step > 0 and not _held(result):
                            break
                for name, frames in (("face", faces), ("plate", plates)):
                    if options.frame_rate <= 0:
                        break
                    result = mqtt_phase(
                        built, devices, transport=name, rate=options.frame_rate,
                        seconds=options.frame_seconds,
                        arrival=_cycle(frames),
                    )  # fmt: skip
                    result.floor_p99_ms = floor.p(99)
                    results.append(result)
            finally:
                for device in devices:
                    device.close()
    console.print(_table(results))
    if options.find_max:
        for transport, rate in max_rate.items():
            console.print(f"highest rate held over {transport} (p99 <= 15 ms, 0 lost): {rate:g}/s")
    if options.json:
        main = next((r for r in results if r.transport in options.transports), results[0])
        document: dict[str, Any] = main.as_json() | {
            "runs": [r.as_json() for r in results],
            "max_rate": max_rate if options.find_max else None,
            "workers": options.workers,
            "devices": options.devices,
        }
        print(json.dumps(document))  # noqa: T201 - the --json contract: stdout, last line
    return results
