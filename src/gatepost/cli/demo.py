"""`gatepost demo`: an embedded instance doing the main job, end to end over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option("--demo-dir", help="Use this (empty) directory instead of a temporary one."),
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the temporary data directory.")] = False,
) -> None:
    """Run a complete embedded gatepost over its real HTTP API and show what happens.

    Sets up a fresh instance (SQLite + sealed local media), creates a tenant, site,
    staff, people and devices, posts device events, and prints the results.
    """
    from gatepost.demo.run import run_demo

    run_demo(data_dir, keep=keep)
