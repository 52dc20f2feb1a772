"""Running ``gatepost ...`` commands in-process with Typer's ``CliRunner``.

The CLI builds one container per process and keeps it in ``cli_state``; the tests run
many commands in one process, so the state is reset before and after each command.
"""

from __future__ import annotations

from typer.testing import CliRunner, Result

from gatepost.cli import app as cli_app
from gatepost.cli.context import cli_state
from gatepost.settings import Settings

__all__ = ["reset_cli_state", "run_cli", "run_cli_env"]


def reset_cli_state() -> None:
    """Close and forget the CLI's container and settings."""
    if cli_state._container is not None:
        cli_state._container.close()
    cli_state._container = None
    cli_state._settings = None
    cli_state.data_dir = None


def run_cli_env(args: list[str], env: dict[str, str]) -> Result:
    """Run ``gatepost *args`` with exactly the given ``GATEPOST_*`` environment."""
    reset_cli_state()
    try:
        return CliRunner().invoke(cli_app, args, env=env)
    finally:
        reset_cli_state()


def run_cli(settings: Settings, *args: str) -> Result:
    """Run `gatepost ...` against the same data directory and database as ``settings``."""
    env = {
        "GATEPOST_DATA_DIR": str(settings.data_dir),
        "GATEPOST_DB__URL": settings.database_url,
        "GATEPOST_ENV": "test",
        "GATEPOST_SECURITY__ARGON2_MEMORY_KIB": "19456",
        "GATEPOST_SECURITY__ARGON2_TIME_COST": "2",
    }
    return run_cli_env(list(args), env)
