"""Engine and session factories, and migrations, for SQLite (embedded) and PostgreSQL.

An SQLite database file is created owner-only (0600) before SQLite first opens it, and
an existing one is narrowed to owner-only; SQLite gives its ``-wal`` and ``-shm`` files
the database file's permissions, so they are owner-only too.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gatepost.errors import Conflict, ServiceUnavailable, ValidationFailed

__all__ = ["Database", "exposed_database_files", "migrate", "sqlite_files"]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
_READ_ONLY = "gatepost_read_only"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def sqlite_files(url: str) -> list[Path]:
    """The files of the SQLite database at ``url`` (the database, its ``-wal`` and
    ``-shm``); empty for PostgreSQL and for an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    path = Path(parsed.database)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def exposed_database_files(url: str) -> list[Path]:
    """The existing SQLite database files that users other than the owner may read or
    write (any group or other permission bit)."""
    exposed: list[Path] = []
    for path in sqlite_files(url):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            exposed.append(path)
    return exposed


def _owner_only(url: str) -> None:
    """Create the SQLite database file 0600 when missing; narrow existing files to the
    owner (SQLite copies the database file's mode to its -wal and -shm)."""
    files = sqlite_files(url)
    if not files:
        return
    files[0].parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:  # only when missing: an existing file may be read-only, or not ours
        os.close(os.open(files[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for path in files:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                path.chmod(mode & stat.S_IRWXU)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file: `gatepost config check` says so
            log.warning("cannot narrow %s to its owner", path.name)


def _sqlite_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN so read-then-write transactions never deadlock;
    # autocommit connections (see Database.read_committed) start no transaction, and
    # read-only ones (Database.reading) a deferred one that takes no write lock.
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN" if options.get(_READ_ONLY) else "BEGIN IMMEDIATE")


class Database:
    """Owns the engine; hands out sessions as units of work."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _owner_only(url)
            self.engine: Engine = create_engine(
                url, echo=echo, connect_args={"check_same_thread": False, "timeout": 10}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # Let SQLAlchemy, not pysqlite, drive transactions so BEGIN IMMEDIATE applies.
            event.listen(
                self.engine,
                "connect",
                lambda dbapi_conn, _rec: setattr(dbapi_conn, "isolation_level", None),
            )
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=pool_size, pool_pre_ping=True, max_overflow=10
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise ServiceUnavailable("the database is unavailable") from exc
        except IntegrityError as exc:
            # A concurrent request won a uniqueness race: report it as the conflict it is.
            raise Conflict("this conflicts with data that already exists") from exc
        except DataError as exc:
            raise ValidationFailed(
                "a value could not be stored (out of range or malformed)"
            ) from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: one consistent view, no write lock; writes fail."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(**{_READ_ONLY: True})
                if self.is_sqlite:  # SQLite has no read-only transactions: a pragma
                    conn.exec_driver_sql("PRAGMA query_only = ON")
                try:
                    with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                        if not self.is_sqlite:
                            session.execute(text("SET TRANSACTION READ ONLY"))
                        yield session
                finally:
                    if self.is_sqlite:
                        conn.exec_driver_sql("PRAGMA query_only = OFF")
        except OperationalError as exc:
            raise ServiceUnavailable("the database is unavailable") from exc

    @contextmanager
    def read_committed(self) -> Iterator[Session]:
        """A read-only view of committed data on its own connection (no write lock)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                with Session(bind=conn) as session:
                    yield session
        except OperationalError as exc:
            raise ServiceUnavailable("the database is unavailable") from exc

    def check(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            raise ServiceUnavailable("the database is unavailable") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def migrate(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
