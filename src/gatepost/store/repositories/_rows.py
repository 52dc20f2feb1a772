"""Row writing and keyset paging shared by the access-rule repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["keyset_page", "upsert"]

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


def keyset_page(
    query: Select[R], column: InstrumentedAttribute[str], *, limit: int, after: str | None
) -> Select[R]:
    """``query`` ordered by ``column``, from after the cursor ``after``, ``limit`` rows."""
    query = query.order_by(column).limit(limit)
    return query.where(column > after) if after else query
