"""The entry point of ``gatepost bench ingest``: every selected engine, in turn.

Owns :func:`run`: the console, the environment line, and per engine a throw-away
instance, the throughput runs and, unless skipped, the latency runs, each followed by
its table; an unreachable PostgreSQL is reported and skipped, not an error.
"""

from __future__ import annotations

from rich.console import Console
from sqlalchemy.engine import make_url

from gatepost.benchmarks.ingest.instance import EngineUnavailable, instance_for
from gatepost.benchmarks.ingest.latency import measure_latency
from gatepost.benchmarks.ingest.options import EngineReport, IngestOptions
from gatepost.benchmarks.ingest.report import (
    latency_table,
    load_average,
    print_environment,
    server_version,
    throughput_table,
)
from gatepost.benchmarks.ingest.throughput import measure_throughput

__all__ = ["run"]


def run(options: IngestOptions, console: Console | None = None) -> list[EngineReport]:
    """Run every selected engine, print its tables, and return the reports."""
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=max(console.width, 132))
    print_environment(console, options)
    reports = []
    for engine in options.engines:
        report = EngineReport(engine)
        reports.append(report)
        console.rule(f"[bold]{engine}")
        try:
            with instance_for(engine, options.postgres_url) as instance:
                console.print(f"[dim]{server_version(instance)}[/]")
                report.throughput = measure_throughput(instance, options, console)
                console.print(throughput_table(engine, report.throughput))
                if not options.skip_api:
                    report.latency = measure_latency(instance, options, console)
                    console.print(latency_table(engine, report.latency, options.rate))
                    for r in report.latency:
                        if r.first_error:
                            console.print(f"[red]{r.mode}: first error: {r.first_error}[/]")
                console.print(f"[dim]{engine} done; {load_average()}[/]")
        except EngineUnavailable as exc:
            url = make_url(options.postgres_url).render_as_string(hide_password=True)
            report.skipped = f"PostgreSQL unreachable at {url} ({exc}); skipped"
            console.print(f"[yellow]{report.skipped}[/]")
    return reports
