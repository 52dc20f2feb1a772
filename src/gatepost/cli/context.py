"""Lazily built settings and container shared by the CLI commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from gatepost.errors import GatepostError
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings

__all__ = ["cli_state", "console", "fail", "format_validation_error"]

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
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


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
        if self._container is None:
            try:
                self._container = build_container(self.settings())
            except GatepostError as exc:
                raise fail(exc.message) from exc
        return self._container


cli_state = CliState()
