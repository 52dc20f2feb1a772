"""Database files are owner-only, and `gatepost config check` refuses what `serve` would
(SECURITY.md 2): a public bind without TLS or a proxy, and database files other users
can read."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gatepost.store.db import Database, migrate, sqlite_files
from tests.support.cli import run_cli_env

ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - the unsafe bind these tests refuse


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask (022), under which new files are world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {"GATEPOST_DATA_DIR": str(data_dir), **extra}


def test_new_sqlite_database_and_its_wal_and_shm_are_owner_only(
    tmp_path: Path, permissive_umask: None
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'gatepost.db'}"
    database = Database(url)
    try:
        migrate(database)
        with database.engine.connect() as conn:  # held open: SQLite keeps -wal and -shm
            conn.execute(text("SELECT count(*) FROM tenants"))
            files = sqlite_files(url)
            assert [path.exists() for path in files] == [True, True, True]
            assert {path.name: _mode(path) for path in files} == {
                path.name: 0o600 for path in files
            }
    finally:
        database.dispose()


def test_existing_world_readable_database_is_narrowed_to_owner_on_open(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "gatepost.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    database = Database(f"sqlite:///{path}")
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            assert _mode(path) == 0o600
            assert _mode(path.with_name("gatepost.db-wal")) == 0o600
    finally:
        database.dispose()


def test_config_check_reports_a_database_file_other_users_can_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    database = data_dir / "gatepost.db"
    sqlite3.connect(database).close()
    database.chmod(0o600)
    ok = run_cli_env(["config", "check"], _env(data_dir))
    assert ok.exit_code == 0, ok.output
    assert "settings are valid" in ok.output

    database.chmod(0o644)
    result = run_cli_env(["config", "check"], _env(data_dir))
    assert result.exit_code == 2, result.output
    assert "can be read or written by other users" in result.output
    assert "gatepost.db" in result.output
    assert "settings are valid" not in result.output


def test_config_check_refuses_public_bind_without_tls_or_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    def started(*_args: object, **_kwargs: object) -> None:
        pytest.fail("uvicorn was started despite the refusal")

    monkeypatch.setattr(uvicorn, "run", started)
    env = _env(tmp_path / "data", GATEPOST_SERVER__HOST=ANY_ADDRESS)
    result = run_cli_env(["config", "check"], env)
    assert result.exit_code == 2, result.output
    assert f"server.host={ANY_ADDRESS} is not loopback" in result.output
    assert "settings are valid" not in result.output
    # the same rule as `gatepost serve`, which refuses this bind with the same words
    served = run_cli_env(["serve"], env)
    assert served.exit_code == 2, served.output
    assert f"server.host={ANY_ADDRESS} is not loopback" in served.output


def test_config_check_accepts_public_bind_behind_a_trusted_proxy(tmp_path: Path) -> None:
    env = _env(
        tmp_path / "data",
        GATEPOST_SERVER__HOST=ANY_ADDRESS,
        GATEPOST_SERVER__TRUSTED_PROXY="10.0.0.5",
        GATEPOST_SERVER__ALLOWED_HOSTS='["gate.example.com"]',
    )
    result = run_cli_env(["config", "check"], env)
    assert result.exit_code == 0, result.output
    assert "settings are valid" in result.output
