"""Row writing and keyset paging shared by the repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["keyset_page", "upsert", "upsert_atomic"]

R = TypeVar("R")


def upsert(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """Insert a row of ``model`` with ``values``, or replace every given column of the row
    with its primary key (``tenant_id`` and ``id``)."""
    row = session.get(model, (values["tenant_id"], values["id"]))
    if row is None:
        session.add(model(**values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def upsert_atomic(
    session: Session, model: type[Any], values: dict[str, Any], *, key: tuple[str, ...]
) -> None:
    """Insert a row of ``model``, or update the given columns of the row with the same
    ``key`` columns, in one statement (``INSERT ... ON CONFLICT DO UPDATE``, PostgreSQL
    and SQLite alike): two transactions writing the same key at once cannot both insert,
    which a read-then-write (``session.merge``) lets happen. The statement is built once
    per dialect, model and columns, and bound to ``values`` on each call."""
    dialect = session.get_bind().dialect.name
    shape = (dialect, model.__name__, tuple(values), key)
    statement = _UPSERTS.get(shape)
    if statement is None:
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
        bound = insert.values({name: bindparam(name) for name in values})
        statement = _UPSERTS[shape] = bound.on_conflict_do_update(
            index_elements=list(key),
            set_={name: bound.excluded[name] for name in values if name not in key},
        )
    session.execute(statement, values)


_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}
"""upsert_atomic's statements by dialect, model, columns and key (a handful)."""


def keyset_page(
    query: Select[R], column: InstrumentedAttribute[str], *, limit: int, after: str | None
) -> Select[R]:
    """``query`` ordered by ``column``, from after the cursor ``after``, ``limit`` rows."""
    query = query.order_by(column).limit(limit)
    return query.where(column > after) if after else query
