"""Lazily built settings and container shared by the CLI commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from gatepost.app import container_for
from gatepost.errors import GatepostError
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container
from gatepost.settings import Settings

__all__ = ["cli_state", "console", "fail", "format_validation_error", "prepare_data_dir"]

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def format_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: ``key.path: message`` (env var names use __)."""
    lines = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error.get("loc", ())) or "(root)"
        lines.append(f"{path}: {error.get('msg', 'invalid')}")
    return lines


def fail(message: str, *, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)  # paths stay whole
    return typer.Exit(code)


def prepare_data_dir(settings: Settings) -> bool:
    """Create the data directory (0700) and, for the file key source, the key file.

    Returns True when a new key file was created.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings.keys.source == "file":
        return create_key_file(settings.key_file)
    return False


@dataclass
class CliState:
    data_dir: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _container: Container | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            overrides = {"data_dir": self.data_dir} if self.data_dir else {}
            try:
                self._settings = Settings(**overrides)  # type: ignore[arg-type]
            except ValidationError as exc:
                for line in format_validation_error(exc):
                    err_console.print(f"[red]settings[/] {line}")
                raise fail("the configuration is invalid (see above)", code=2) from exc
        return self._settings

    def container(self) -> Container:
        """The container, with the KEK checked (a bad key file fails here, clearly)."""
        if self._container is None:
            try:
                container = container_for(self.settings())
                container.keys.check_kek()
            except GatepostError as exc:
                raise fail(exc.message) from exc
            self._container = container
        return self._container

    def ready(self) -> Container:
        """The container on an up-to-date schema, with any interrupted key rotation settled."""
        from gatepost.store.db import migrate

        container = self.container()
        try:
            migrate(container.db)
            finished = container.keys.finish_pending_rotation()
        except GatepostError as exc:
            raise fail(exc.message) from exc
        if finished:
            console.print("[yellow]keys[/] finished a key rotation that had been interrupted")
        return container


cli_state = CliState()
