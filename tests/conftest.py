"""Fixtures shared by every suite.

``container`` runs each test against a real database: SQLite (a fresh file) and
PostgreSQL (one database per xdist worker, emptied between tests). Choose with
``GATEPOST_TEST_DBS=sqlite,postgres`` (the default runs both). Media goes to a local
directory unless a test asks for the S3 store through ``blob_store``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gatepost.app import Gatepost
from gatepost.domain.ports import FixedClock
from gatepost.security.kek import create_key_file
from gatepost.services.broker_accounts import RecordingBrokerAccounts
from gatepost.services.commands import CommandSink, RecordingCommandSink
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.store.db import Database, migrate
from gatepost.store.tables import Base
from tests.support import leaks
from tests.support.api import STRONG_PASSWORD, Actor, setup_platform
from tests.support.leaks import remember
from tests.support.services import POSTGRES_URL, missing
from tests.support.settings import test_settings

DB_KINDS = [k.strip() for k in os.environ.get("GATEPOST_TEST_DBS", "sqlite,postgres").split(",")]


def pytest_configure(config: pytest.Config) -> None:
    # One id per run, inherited by xdist workers: concurrent runs get separate databases.
    os.environ.setdefault("GATEPOST_TEST_RUN_ID", str(os.getpid()))
    # SECURITY.md 25: the log-leak gate, checked in every test's own report (xdist-safe).
    if not config.pluginmanager.has_plugin(leaks.__name__):
        config.pluginmanager.register(leaks, leaks.__name__)
    remember(STRONG_PASSWORD)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "gatepost.db"
    database = Database(f"sqlite:///{path}")
    migrate(database)
    database.dispose()  # closing the last connection checkpoints and removes the WAL
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A migrated PostgreSQL database for this xdist worker (None if unreachable)."""
    admin_url = make_url(POSTGRES_URL)
    name = f"gatepost_test_{os.environ['GATEPOST_TEST_RUN_ID']}_{_worker()}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        yield None
        return
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    migrate(database)
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=DB_KINDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_url: str | None,
) -> str:
    if request.param == "sqlite":
        path = tmp_path / "gatepost.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_url is None:
        missing("PostgreSQL")
    assert postgres_url is not None
    _empty_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """The smallest valid configuration, with the OWASP-minimum argon2 cost for speed."""
    return test_settings(
        tmp_path / "data", db_url, allowed_hosts=["testserver", "127.0.0.1", "localhost"]
    )


def _built(
    settings: Settings,
    clock: FixedClock,
    commands: CommandSink | None = None,
    broker_accounts: RecordingBrokerAccounts | None = None,
) -> Iterator[Container]:
    create_key_file(settings.key_file)
    built = build_container(
        settings, clock=clock, commands=commands, broker_accounts=broker_accounts
    )
    yield built
    built.close()


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    yield from _built(settings, clock)


@pytest.fixture
def recorded_commands() -> RecordingCommandSink:
    """The device commands a ``recording_container`` sent (after each commit)."""
    return RecordingCommandSink()


@pytest.fixture
def recording_container(
    settings: Settings, clock: FixedClock, recorded_commands: RecordingCommandSink
) -> Iterator[Container]:
    """The usual container with its device commands recorded in ``recorded_commands``
    (a module that checks commands makes it its ``container``)."""
    yield from _built(settings, clock, recorded_commands)


@pytest.fixture
def accounts() -> RecordingBrokerAccounts:
    """The MQTT broker's accounts as each refresh of an ``accounts_container`` wrote
    them (after each commit), without a broker."""
    return RecordingBrokerAccounts()


@pytest.fixture
def accounts_container(
    settings: Settings, clock: FixedClock, accounts: RecordingBrokerAccounts
) -> Iterator[Container]:
    """The usual container with its broker account refreshes recorded in ``accounts``
    (a module that checks them makes it its ``container``)."""
    yield from _built(settings, clock, broker_accounts=accounts)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with (
        Gatepost.with_container(container) as gatepost,
        TestClient(gatepost.app, base_url="https://testserver") as test_client,
    ):
        yield test_client


@pytest.fixture
def admin(client: TestClient, container: Container) -> Actor:
    """The platform's first administrator, logged in (tenant ``acme``)."""
    return setup_platform(client, container)
