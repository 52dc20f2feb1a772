"""Row writing and keyset paging shared by the repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
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
    which a read-then-write (``session.merge``) lets happen."""
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(
        model
    )
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=list(key),
        set_={name: value for name, value in values.items() if name not in key},
    )
    session.execute(statement)


def keyset_page(
    query: Select[R], column: InstrumentedAttribute[str], *, limit: int, after: str | None
) -> Select[R]:
    """``query`` ordered by ``column``, from after the cursor ``after``, ``limit`` rows."""
    query = query.order_by(column).limit(limit)
    return query.where(column > after) if after else query
