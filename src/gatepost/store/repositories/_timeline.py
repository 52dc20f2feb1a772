"""Newest-first keyset listings of the time-ordered tables (events, plate reads).

Both are read newest first and paged on ``(occurred_at, id)``: the cursor names the
last row shown, and the next page starts strictly after it in that order. Filters are
equalities on columns (skipped when None) and a half-open time range.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

__all__ = ["newest_first"]


def newest_first(
    table: Any,
    *,
    tenant_id: str,
    limit: int,
    before: tuple[datetime, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    equal: Mapping[str, object | None] | None = None,
) -> Select[Any]:
    """The listing query of ``table`` (a mapped class with ``tenant_id``, ``id`` and
    ``occurred_at``); ``equal`` maps column names to the value wanted (None: any)."""
    query = (
        select(table)
        .where(table.tenant_id == tenant_id)
        .order_by(table.occurred_at.desc(), table.id.desc())
        .limit(limit)
    )
    if before is not None:
        at, row_id = before
        query = query.where(
            (table.occurred_at < at) | ((table.occurred_at == at) & (table.id < row_id))
        )
    for column, value in (equal or {}).items():
        if value is not None:
            query = query.where(getattr(table, column) == value)
    if since is not None:
        query = query.where(table.occurred_at >= since)
    if until is not None:
        query = query.where(table.occurred_at < until)
    return query
