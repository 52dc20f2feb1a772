"""`gatepost bench <name>`: benchmarks that compare against a baseline in the same run."""

from __future__ import annotations

import typer

app = typer.Typer(help="Benchmarks (numbers, not tests).", no_args_is_help=True)
