"""`gatepost demo`: an embedded instance doing the main job, end to end over HTTP and MQTT."""

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
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Afterwards keep the instance running on 127.0.0.1 and print a fresh "
            "administrator login for its UI; Ctrl-C stops it.",
        ),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="The HTTP port (default: a free one)."),
    ] = None,
) -> None:
    """Run a complete embedded gatepost over its real HTTP API and MQTT gateway.

    Sets up a fresh instance (SQLite + sealed local media) and its own Mosquitto broker,
    creates a tenant, site, staff, people, access rules and devices, runs arrivals at
    the site now (staff hours built around the current time) over MQTT with simulated
    devices, and prints every check.
    """
    from gatepost.demo.run import run_demo

    run_demo(data_dir, keep=keep, serve=serve, port=port)
