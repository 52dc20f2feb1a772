"""`gatepost config check`: validate settings and print problems with key paths.

Besides validation it applies the rules ``serve`` applies before binding
(``Settings.exposure_problems``) and reports SQLite database files that other users
may read, so a configuration that ``serve`` would refuse never checks out as ok.
"""

from __future__ import annotations

import typer

from gatepost.cli.context import cli_state, console, fail
from gatepost.settings import Settings
from gatepost.store.db import exposed_database_files

app = typer.Typer(help="Inspect and validate configuration.", no_args_is_help=True)


def _problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe to run: the bind rule ``serve`` enforces (an
    administrator is assumed to exist; ``serve`` checks that itself), and database files
    open to other users."""
    problems = settings.exposure_problems(admin_exists=True)
    problems += [
        f"{path} can be read or written by other users: chmod 600 it"
        for path in exposed_database_files(settings.database_url)
    ]
    return problems


@app.command("check")
def check() -> None:
    """Validate the settings from the environment; print each problem with its key path.

    Exits 2 when the settings are invalid or unsafe (a bind ``serve`` would refuse, a
    database file open to other users).
    """
    settings = cli_state.settings()
    problems = _problems(settings)
    for problem in problems:
        console.print(f"[red]problem[/] {problem}", soft_wrap=True)
    if problems:
        raise fail("the configuration is unsafe (see above)", code=2)
    console.print(f"[green]ok[/] settings are valid (env={settings.env.value})")
    console.print(f"  data dir   {settings.data_dir}")
    console.print(
        f"  database   {'sqlite' if settings.database_url.startswith('sqlite') else 'postgresql'}"
    )
    console.print(f"  media      {'s3' if settings.media.url.startswith('s3://') else 'local'}")
    console.print(f"  keys       {settings.keys.source}")
    console.print(f"  bind       {settings.server.host}:{settings.server.port}")
