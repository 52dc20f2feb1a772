"""What the benchmark prints: progress bars, result tables and the environment line.

Owns the console output of ``gatepost bench ingest``: the transient progress bar the
runs share, the throughput and latency tables with their PASS/FAIL column, the line
describing the machine and library versions (with a warning when it looks busy), the
load average, and the database server's version.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence

import sqlalchemy
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from gatepost.benchmarks.ingest.instance import Instance
from gatepost.benchmarks.ingest.options import (
    TARGET_EVENTS_PER_S,
    TARGET_P99_MS,
    TARGET_RATIO,
    IngestOptions,
    LatencyResult,
    ThroughputResult,
)

__all__ = [
    "latency_table",
    "load_average",
    "print_environment",
    "progress_bar",
    "server_version",
    "throughput_table",
]


def progress_bar(console: Console) -> Progress:
    """The transient progress display the throughput and latency runs share."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        refresh_per_second=4,
    )


def _check(passed: bool | None, text_if_none: str = "") -> str:
    if passed is None:
        return f"[dim]{text_if_none}[/]"
    return "[green]PASS[/]" if passed else "[red]FAIL[/]"


def throughput_table(engine: str, results: Sequence[ThroughputResult]) -> Table:
    table = Table(
        title=f"{engine}: event ingestion (target: batched >= {TARGET_EVENTS_PER_S:,.0f}/s "
        f"and >= {TARGET_RATIO:.1f}x baseline)",
        title_justify="left",
    )
    for name in (
        "mode",
        "events",
        "batch",
        "seconds",
        "cpu %",
        "events/s",
        "vs baseline",
        "target",
    ):
        table.add_column(name, justify="left" if name in ("mode", "target") else "right")
    table.caption = (
        "baseline and service batches run interleaved; cpu % = this process's CPU time / "
        "wall time (PostgreSQL's own work is not in it; well under 100 on SQLite means "
        "other processes took the CPU)"
    )
    for r in results:
        ratio = "1.00 (base)" if r.baseline is None else f"{r.ratio:.2f}"
        detail = ""
        if r.passed is not None:
            detail = (
                f" ({'>=' if r.rate >= TARGET_EVENTS_PER_S else '<'} 20k/s, "
                f"ratio {'>=' if (r.ratio or 0) >= TARGET_RATIO else '<'} {TARGET_RATIO})"
            )
        table.add_row(
            r.mode,
            f"{r.events:,}",
            f"{r.batch:,}",
            f"{r.seconds:.2f}",
            f"{100 * r.cpu_seconds / r.seconds:.0f}" if r.seconds else "-",
            f"{r.rate:,.0f}",
            ratio,
            _check(r.passed, "baseline" if r.baseline is None else "info") + detail,
        )
    return table


def latency_table(engine: str, results: Sequence[LatencyResult], rate: float) -> Table:
    table = Table(
        title=f"{engine}: API latency, open loop at {rate:g} requests/s "
        f"(target: events p99 <= {TARGET_P99_MS:g} ms)",
        title_justify="left",
    )
    for name in (
        "request",
        "ok",
        "errors",
        "achieved/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "client lag ms",
        "target",
    ):
        table.add_column(name, justify="left" if name in ("request", "target") else "right")
    for r in results:
        table.add_row(
            r.mode,
            f"{len(r.latencies_ms):,}",
            f"{r.errors:,}",
            f"{r.achieved_rate:.1f}",
            f"{r.percentile(50):.2f}",
            f"{r.percentile(95):.2f}",
            f"{r.percentile(99):.2f}",
            f"{max(r.latencies_ms, default=math.nan):.2f}",
            f"{r.max_lag_ms:.2f}",
            _check(r.passed, "baseline"),
        )
    return table


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load n/a"
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def print_environment(console: Console, options: IngestOptions) -> None:
    """One line on the machine and versions; a warning if the machine looks busy."""
    import psycopg

    console.print(
        f"[bold]gatepost bench ingest[/]  cpus={os.cpu_count()}  "
        f"python={platform.python_version()}  sqlalchemy={sqlalchemy.__version__}  "
        f"sqlite={_sqlite_version()}  psycopg={psycopg.__version__}  "
        f"machine={platform.machine()}  {load_average()}"
    )
    try:
        busy = os.getloadavg()[0] > 0.75 * (os.cpu_count() or 1)
    except OSError:
        busy = False
    if busy:
        console.print(
            "[yellow]the machine looks busy (the load average also counts a benchmark that "
            "just finished): if other processes compete for the CPUs, the numbers below are "
            "low and noisy; the cpu % column shows how much CPU this process got[/]"
        )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def server_version(instance: Instance) -> str:
    with instance.container.db.engine.connect() as conn:
        if instance.engine == "sqlite":
            return f"SQLite {conn.exec_driver_sql('select sqlite_version()').scalar()}"
        version = conn.exec_driver_sql("show server_version").scalar()
        fsync = conn.exec_driver_sql("show synchronous_commit").scalar()
        return f"PostgreSQL {version} (synchronous_commit={fsync})"
