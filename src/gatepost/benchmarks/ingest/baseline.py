"""The baseline writer: raw DBAPI ``executemany`` into the same ``events`` table.

Owns :class:`RawWriter`: one prepared INSERT in the engine's parameter style, the
values the service would store (JSON as text, naive-UTC timestamps in the engine's
storage form), one transaction per batch. Building the rows is part of its cost, as
it is for any writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from gatepost.benchmarks.ingest.instance import Instance
from gatepost.services.events import EventDraft
from gatepost.store.ids import new_id

__all__ = ["RawWriter"]

_COLUMNS = (
    "tenant_id",
    "id",
    "site_id",
    "device_id",
    "kind",
    "occurred_at",
    "received_at",
    "idempotency_key",
    "person_id",
    "snapshot_id",
    "data",
)


def _placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle in ("format", "pyformat"):
        return ", ".join(["%s"] * count)
    if paramstyle == "numeric":
        return ", ".join(f":{n}" for n in range(1, count + 1))
    raise ValueError(f"unsupported DBAPI paramstyle {paramstyle!r}")


def _timestamp_writer(dialect: str) -> Callable[[datetime], object]:
    """How UTCDateTime stores an aware datetime on this engine (naive UTC)."""
    if dialect == "sqlite":
        # SQLAlchemy's SQLite DATETIME storage format, microseconds always present.
        return lambda value: value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda value: value.astimezone(UTC).replace(tzinfo=None)


class RawWriter:
    """The baseline: one prepared INSERT, ``cursor.executemany``, one commit per batch."""

    def __init__(self, instance: Instance) -> None:
        engine = instance.container.db.engine
        self._dialect = engine.dialect.name
        self._stamp = _timestamp_writer(self._dialect)
        self._sql = (
            f"INSERT INTO events ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant names
            f"VALUES ({_placeholders(engine.dialect.paramstyle, len(_COLUMNS))})"
        )
        self._tenant_id = instance.device.tenant_id
        self._device_id = instance.device.id
        self._site_id = instance.site_id
        self._raw = engine.raw_connection()
        self._cursor = self._raw.cursor()

    def write(self, drafts: Sequence[EventDraft]) -> None:
        stamp = self._stamp
        received_at = stamp(datetime.now(UTC))
        rows = [
            (
                self._tenant_id,
                new_id(),
                self._site_id,
                self._device_id,
                d.kind,
                stamp(d.occurred_at),
                received_at,
                d.idempotency_key,
                d.person_id,
                d.snapshot_id,
                json.dumps(d.data),
            )
            for d in drafts
        ]
        if self._dialect == "sqlite":
            # The engine runs pysqlite in autocommit mode and opens transactions itself
            # (BEGIN IMMEDIATE); do the same so a batch is one transaction.
            self._cursor.execute("BEGIN IMMEDIATE")
        self._cursor.executemany(self._sql, rows)
        self._raw.commit()

    def close(self) -> None:
        self._cursor.close()
        self._raw.close()
