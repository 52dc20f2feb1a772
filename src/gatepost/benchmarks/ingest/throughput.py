"""Throughput runs: the baseline writer and the service layer, interleaved and timed.

Owns the service-side writer (``container.events.ingest`` with the benchmark's
device), the per-writer wall and CPU clocks, the batch-by-batch alternation of
baseline and service, the batched and single-row plans, and the check afterwards that
every event arrived and that baseline rows read back exactly like service rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import Progress, TaskID
from sqlalchemy import func, select, text

from gatepost.benchmarks.ingest.baseline import RawWriter
from gatepost.benchmarks.ingest.instance import Instance
from gatepost.benchmarks.ingest.options import IngestOptions, ThroughputResult
from gatepost.benchmarks.ingest.report import progress_bar
from gatepost.benchmarks.ingest.workload import chunks, make_drafts
from gatepost.services.events import EventDraft
from gatepost.store.tables import Event

__all__ = ["measure_throughput"]

_WARMUP_EVENTS = 200

Writer = Callable[[Sequence[EventDraft]], None]


@dataclass
class _Clock:
    """Wall and process-CPU seconds spent inside one writer."""

    wall: float = 0.0
    cpu: float = 0.0

    def run(self, write: Writer, batch: Sequence[EventDraft]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        write(batch)
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall


def _service_writer(instance: Instance) -> Writer:
    ingest = instance.container.events.ingest
    device = instance.device

    def write(drafts: Sequence[EventDraft]) -> None:
        results = ingest(device, drafts)
        if not all(r.stored for r in results):
            raise RuntimeError("the service reported fresh events as duplicates")

    return write


def _interleaved(
    raw: Writer,
    service: Writer,
    raw_batches: Sequence[Sequence[EventDraft]],
    service_batches: Sequence[Sequence[EventDraft]],
    progress: Progress,
    task: TaskID,
) -> tuple[_Clock, _Clock]:
    """Alternate baseline and service batch by batch (who goes first alternates too).

    Both then meet the same table size, page cache and background load: inserts slow
    down as the table and its random-UUID primary key outgrow the page cache, and a
    run-one-then-the-other design would hand that slowdown to whichever ran second.
    """
    raw_clock, service_clock = _Clock(), _Clock()
    for i, (raw_batch, service_batch) in enumerate(zip(raw_batches, service_batches, strict=True)):
        steps = [(raw_clock, raw, raw_batch), (service_clock, service, service_batch)]
        for clock, write, batch in steps if i % 2 == 0 else steps[::-1]:
            clock.run(write, batch)
        progress.update(task, advance=len(raw_batch))
    return raw_clock, service_clock


def measure_throughput(
    instance: Instance, options: IngestOptions, console: Console
) -> list[ThroughputResult]:
    """Baseline and service, batched and single-row, on one instance."""
    now = datetime.now(UTC)
    persons = instance.person_ids
    raw = RawWriter(instance)
    service = _service_writer(instance)
    results: list[ThroughputResult] = []
    try:
        # Warm up both paths (connections, statement caches, first pages): not timed.
        for prefix, write in (("warm-raw", raw.write), ("warm-svc", service)):
            drafts = make_drafts(prefix, _WARMUP_EVENTS, now=now, person_ids=persons)
            for batch in chunks(drafts, options.batch):
                write(batch)
        plans = [("batched", "b", options.events, options.batch)]
        if options.single_events:
            plans.append(("single-row", "s", options.single_events, 1))
        with progress_bar(console) as progress:
            for label, tag, count, size in plans:
                raw_batches = chunks(
                    make_drafts(f"raw-{tag}", count, now=now, person_ids=persons), size
                )
                service_batches = chunks(
                    make_drafts(f"svc-{tag}", count, now=now, person_ids=persons), size
                )
                task = progress.add_task(
                    f"{instance.engine}: {label}, baseline and service interleaved",
                    total=count,
                    unit=f"{size}/batch",
                )
                raw_clock, service_clock = _interleaved(
                    raw.write, service, raw_batches, service_batches, progress, task
                )
                progress.remove_task(task)
                baseline = ThroughputResult(
                    f"raw executemany, {label}", count, size, raw_clock.wall, raw_clock.cpu
                )
                results.append(baseline)
                results.append(
                    ThroughputResult(
                        f"service ingest, {label}",
                        count,
                        size,
                        service_clock.wall,
                        service_clock.cpu,
                        baseline=baseline,
                        targeted=label == "batched",
                    )
                )
    finally:
        raw.close()
    _verify(instance, expected=2 * _WARMUP_EVENTS + 2 * (options.events + options.single_events))
    return results


def _verify(instance: Instance, *, expected: int) -> None:
    """Every event arrived, and baseline rows read back exactly like service rows."""
    with instance.container.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Event))
        if stored != expected:
            raise RuntimeError(f"expected {expected} events in the table, found {stored}")
        pair = session.scalars(
            select(Event).where(Event.idempotency_key.in_(["raw-b-00000000", "svc-b-00000000"]))
        ).all()
        shapes = {
            (type(e.occurred_at), e.occurred_at.tzinfo, type(e.received_at), type(e.data))
            for e in pair
        }
        if len(shapes) > 1:
            raise RuntimeError(f"baseline and service rows differ in shape: {shapes}")
        if instance.engine == "sqlite":
            forms = session.execute(
                text(
                    "SELECT DISTINCT typeof(occurred_at), length(occurred_at), "
                    "typeof(received_at), length(received_at), typeof(data) FROM events"
                )
            ).all()
            if len(forms) > 1:
                raise RuntimeError(f"baseline and service store values differently: {forms}")
