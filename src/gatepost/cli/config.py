"""`gatepost config check`: validate settings and print problems with key paths."""

from __future__ import annotations

import typer

from gatepost.cli.context import cli_state, console

app = typer.Typer(help="Inspect and validate configuration.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Validate the settings from the environment; print each problem with its key path."""
    settings = cli_state.settings()
    console.print(f"[green]ok[/] settings are valid (env={settings.env.value})")
    console.print(f"  data dir   {settings.data_dir}")
    console.print(
        f"  database   {'sqlite' if settings.database_url.startswith('sqlite') else 'postgresql'}"
    )
    console.print(f"  media      {'s3' if settings.media.url.startswith('s3://') else 'local'}")
    console.print(f"  keys       {settings.keys.source}")
    console.print(f"  bind       {settings.server.host}:{settings.server.port}")
