"""The `gatepost` command line: one Typer sub-app per file, services built lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gatepost.cli import (
    audit,
    bench,
    config,
    demo,
    device,
    faces,
    init,
    keys,
    plates,
    retention,
    serve,
    tenants,
)
from gatepost.cli.context import cli_state

__all__ = ["app", "main"]

app = typer.Typer(
    name="gatepost",
    help="Privacy-first access control for people and vehicles.\n\n"
    "Start with `gatepost init`, then `gatepost serve`. `gatepost demo` shows a "
    "complete embedded instance at work.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def root(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory (database, media, key file). Env: GATEPOST_DATA_DIR.",
            envvar="GATEPOST_DATA_DIR",
        ),
    ] = None,
) -> None:
    cli_state.data_dir = data_dir


app.command("init")(init.init)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(config.app, name="config")
app.add_typer(bench.app, name="bench")
app.add_typer(device.app, name="device")
app.add_typer(faces.app, name="faces")
app.add_typer(plates.app, name="plates")
app.add_typer(retention.app, name="retention")
app.add_typer(tenants.app, name="tenants")


def main() -> None:
    app()
