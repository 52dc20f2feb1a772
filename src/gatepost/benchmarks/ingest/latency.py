"""API latency runs: open-loop load against the served app, per request kind.

Owns the open loop (request ``i`` is due at ``t0 + i/rate`` whatever the earlier ones
are doing, and its latency counts from that due time, so queueing is not hidden) and
:func:`measure_latency`, which serves the instance and runs ``GET /health`` (the
framework baseline) and then single-event ``POST /api/v1/device/events``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.progress import Progress, TaskID

from gatepost.benchmarks.ingest.client import HttpxClient, Request, StreamClient
from gatepost.benchmarks.ingest.instance import Instance
from gatepost.benchmarks.ingest.options import IngestOptions, LatencyResult
from gatepost.benchmarks.ingest.report import progress_bar
from gatepost.benchmarks.ingest.server import serve
from gatepost.benchmarks.ingest.workload import event_bodies

__all__ = ["measure_latency"]


@dataclass(frozen=True)
class _LoopResult:
    latencies_ms: list[float]
    errors: int
    achieved_rate: float
    max_lag_ms: float
    first_error: str


async def _open_loop(
    base_url: str,
    request: Request,
    *,
    client_kind: str,
    rate: float,
    count: int,
    progress: Progress,
    task: TaskID,
) -> _LoopResult:
    """Send ``count`` requests at ``t0 + i/rate`` whatever the previous ones are doing.

    Latency runs from each request's scheduled time to its response, so when the
    server (or the client) falls behind, the wait is counted, not hidden.
    """
    client = StreamClient(base_url) if client_kind == "stream" else HttpxClient(base_url)
    latencies: list[float] = []
    errors: list[str] = []
    sent_at: list[float] = []
    try:
        send = client.sender(request)
        for i in range(5):  # open a connection and warm the route: not counted
            await send(count + i if request.bodies is not None else 0)

        async def one(i: int, due: float) -> None:
            sent_at.append(time.perf_counter())
            try:
                response = await asyncio.wait_for(send(i), timeout=30)
                finished = time.perf_counter()
                if response.status != 200 or request.expect not in response.body:
                    errors.append(f"HTTP {response.status}: {response.body[:200]!r}")
                else:
                    latencies.append((finished - due) * 1000)
            except (OSError, TimeoutError, RuntimeError, httpx.HTTPError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            except asyncio.IncompleteReadError as exc:
                errors.append(f"connection closed early: {exc}")
            progress.advance(task)

        # The load generator must not pause: a collection of this process's large heap
        # (the benchmark's own instance) would delay sends and be charged to the server.
        gc.collect()
        gc.freeze()
        gc.disable()
        t0 = time.perf_counter() + 0.05
        tasks = []
        max_lag = 0.0
        for i in range(count):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, time.perf_counter() - due)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
        gc.unfreeze()
        await client.aclose()
    span = max(sent_at) - min(sent_at) if len(sent_at) > 1 else math.nan
    achieved = (len(sent_at) - 1) / span if span and span > 0 else math.nan
    return _LoopResult(
        latencies, len(errors), achieved, max_lag * 1000, errors[0] if errors else ""
    )


def measure_latency(
    instance: Instance, options: IngestOptions, console: Console
) -> list[LatencyResult]:
    """Serve ``instance`` and run each request kind open-loop at ``options.rate``."""
    count = max(1, round(options.rate * options.seconds))
    requests = [
        ("GET /health (baseline)", Request("GET", "/health", {}, None, b'"ok"'), False),
        (
            "POST /api/v1/device/events (1 event)",
            Request(
                "POST",
                "/api/v1/device/events",
                {
                    "Authorization": f"Bearer {instance.credential}",
                    "Content-Type": "application/json",
                },
                event_bodies(count + 5, instance.person_ids),  # 5 more for the warm-up
                b'"stored":true',
            ),
            True,
        ),
    ]
    results = []
    with serve(instance) as base_url, progress_bar(console) as progress:
        for mode, request, targeted in requests:
            task = progress.add_task(
                f"{instance.engine}: {mode}", total=count, unit=f"@{options.rate:g}/s"
            )
            loop = asyncio.run(
                _open_loop(
                    base_url,
                    request,
                    client_kind=options.client,
                    rate=options.rate,
                    count=count,
                    progress=progress,
                    task=task,
                )
            )
            progress.remove_task(task)
            results.append(
                LatencyResult(
                    mode,
                    loop.latencies_ms,
                    loop.errors,
                    loop.achieved_rate,
                    loop.max_lag_ms,
                    targeted,
                    loop.first_error,
                )
            )
    return results
