"""`gatepost bench ingest`: event ingestion throughput and device API latency.

For each engine (SQLite in a temporary data directory; PostgreSQL in a temporary
database ``gatepost_bench_<pid>`` that is created and dropped here) a real instance is
built (key file, container, migrations, first-run setup, a site, a device and a few
persons, all through the services), then:

1. **raw executemany** (baseline): the DBAPI cursor of the same engine inserts the same
   rows into the same ``events`` table, one transaction per batch, with the values the
   service writes (JSON as text, naive-UTC timestamps in the engine's storage form).
   Building those rows (ids, JSON text, timestamps) is inside the timed region, since
   any writer has to do it.
2. **service, batched**: ``container.events.ingest(device, drafts)`` with ``--batch``
   events per call (validation, device and reference checks, idempotent insert).
   Baseline and service batches alternate, so both meet the same table size and the
   same background load; each side's time is summed separately.
3. the same two with one event per transaction (``single-row``).
4. **API latency**: the real app (``create_app``) under uvicorn in a child process on
   127.0.0.1, driven open-loop at ``--rate`` requests/s for ``--seconds``: first
   ``GET /health`` (framework and transport overhead), then single-event
   ``POST /api/v1/device/events`` with the device's bearer credential. Latency is
   measured from each request's *scheduled* send time, so a slow server cannot hide
   its queueing by delaying the client (no coordinated omission). The load generator
   is a minimal keep-alive HTTP/1.1 client on asyncio streams (``--client httpx`` for
   httpx), because on two cores the client's own cost shows up in every latency.

Targets (from the issue): batched ingestion >= 20,000 events/s and at least half the
baseline's throughput on each engine; single-event API p99 <= 20 ms at 100 requests/s.

The package's modules, in the order a run uses them:

- :mod:`.options`: what to run (``IngestOptions``), the targets, and the result types;
- :mod:`.instance`: the throw-away instance under test on one engine;
- :mod:`.workload`: the events sent (kind mix, drafts, API request bodies);
- :mod:`.baseline`: the raw DBAPI ``executemany`` writer;
- :mod:`.throughput`: baseline and service interleaved, timed and verified;
- :mod:`.server`: the real app under uvicorn in a child process;
- :mod:`.client`: the load generator's HTTP clients;
- :mod:`.latency`: the open-loop latency runs;
- :mod:`.report`: progress bars, tables and the environment line;
- :mod:`.runner`: the entry point, :func:`run`.
"""

from __future__ import annotations

from gatepost.benchmarks.children import app_from_environment
from gatepost.benchmarks.ingest.options import (
    CLIENTS,
    DEFAULT_POSTGRES_URL,
    ENGINES,
    EngineReport,
    IngestOptions,
    LatencyResult,
    ThroughputResult,
)
from gatepost.benchmarks.ingest.runner import run
from gatepost.benchmarks.ingest.workload import make_drafts

__all__ = [
    "CLIENTS",
    "DEFAULT_POSTGRES_URL",
    "ENGINES",
    "EngineReport",
    "IngestOptions",
    "LatencyResult",
    "ThroughputResult",
    "app_from_environment",
    "make_drafts",
    "run",
]
