"""Running a script of steps through one simulated device, paced, until all is answered.

:func:`run_mqtt` and :func:`run_https` follow the steps of
:mod:`gatepost.simulator.script` with a :class:`Pace`: without a rate, like a door with
one person at a time, each arrival waits up to ``answer_wait`` seconds for its answer
(not while the device is offline: it keeps the arrival and goes on); with a rate, the
i-th arrival leaves at ``t0 + i / rate`` whatever the answers do. At the end both wait
up to ``drain`` seconds for the arrivals still kept (the HTTPS device flushes its
backlog every ``flush_every`` seconds meanwhile). They return how many arrivals are
left unanswered; what happened on the way went to the device's ``on_report``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gatepost.simulator.device import MqttDevice
from gatepost.simulator.https import HttpsDevice
from gatepost.simulator.script import Step

__all__ = ["Pace", "run_https", "run_mqtt"]


@dataclass(frozen=True)
class Pace:
    rate: float | None = None
    """Arrivals per second (open loop); None: one at a time, each waiting for its answer."""
    answer_wait: float = 5.0
    drain: float = 30.0
    flush_every: float = 0.5


class _Clock:
    """The schedule of a paced run: the i-th arrival at ``t0 + i / rate``."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.t0 = time.monotonic()
        self.count = 0

    def delay(self) -> float:
        if self.rate is None:
            return 0.0
        due = self.t0 + self.count / self.rate
        self.count += 1
        return max(0.0, due - time.monotonic())

    def paused(self, seconds: float) -> None:
        self.t0 += seconds  # a wait step shifts the schedule


def run_mqtt(device: MqttDevice, steps: Iterable[Step], pace: Pace) -> int:
    """Follow ``steps`` through ``device`` (see the module doc); arrivals left."""
    clock = _Clock(pace.rate)
    for step in steps:
        if step.arrival is None:
            time.sleep(step.wait)
            clock.paused(step.wait)
            continue
        time.sleep(clock.delay())
        key = device.send(step.arrival)
        if pace.rate is None:
            deadline = time.monotonic() + pace.answer_wait
            while device.online and key in device.waiting_keys():
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
    deadline = time.monotonic() + pace.drain
    while device.waiting and time.monotonic() < deadline:
        time.sleep(0.05)
    return device.waiting


async def _next(steps: Iterator[Step]) -> Step | None:
    # Steps may come from stdin: read them off the event loop.
    return await asyncio.to_thread(next, steps, None)


async def run_https(device: HttpsDevice, steps: Iterable[Step], pace: Pace) -> int:
    """Follow ``steps`` through ``device`` (see the module doc); arrivals left."""
    clock = _Clock(pace.rate)
    iterator = iter(steps)
    tasks: list[asyncio.Task[object]] = []
    while (step := await _next(iterator)) is not None:
        if step.arrival is None:
            await _flushing_sleep(device, step.wait, pace.flush_every)
            clock.paused(step.wait)
            continue
        await asyncio.sleep(clock.delay())
        if device.waiting:
            await device.flush()
        if pace.rate is None:
            await device.send(step.arrival)
        else:
            tasks.append(asyncio.create_task(device.send(step.arrival)))
    if tasks:
        await asyncio.gather(*tasks)
    deadline = time.monotonic() + pace.drain
    while device.waiting and time.monotonic() < deadline:
        await device.flush()
        if device.waiting:
            await asyncio.sleep(pace.flush_every)
    return device.waiting


async def _flushing_sleep(device: HttpsDevice, seconds: float, every: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(every, left))
        if device.waiting:
            await device.flush()
