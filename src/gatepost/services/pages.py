"""A page of results with an opaque cursor for the next one (keyset pagination)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, overload

from gatepost.errors import ValidationFailed
from gatepost.store.ids import is_id

__all__ = ["Page", "page_by_id", "parse_time_cursor", "time_cursor"]

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_HasId)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None
    limit: int


@overload
def page_by_id(rows: Sequence[R], limit: int) -> Page[R]: ...


@overload
def page_by_id(rows: Sequence[R], limit: int, view: Callable[[R], T]) -> Page[T]: ...


def page_by_id(
    rows: Sequence[Any], limit: int, view: Callable[[Any], Any] | None = None
) -> Page[Any]:
    """A page from ``limit + 1`` rows ordered by id: the extra row says there is more."""
    shown = rows[:limit]
    items = [view(row) for row in shown] if view else list(shown)
    return Page(items, shown[-1].id if len(rows) > limit else None, limit)


def time_cursor(at: datetime, row_id: str) -> str:
    """The cursor after a row of a newest-first (time, id) keyset listing."""
    return f"{at.isoformat()}|{row_id}"


def parse_time_cursor(cursor: str) -> tuple[datetime, str]:
    """(time, id) from :func:`time_cursor`, or ValidationFailed (``cursor``)."""
    try:
        at, row_id = cursor.rsplit("|", 1)
        parsed = datetime.fromisoformat(at)
    except ValueError as exc:
        raise ValidationFailed("cursor is malformed", field="cursor") from exc
    if not is_id(row_id) or parsed.tzinfo is None:
        raise ValidationFailed("cursor is malformed", field="cursor")
    return parsed, row_id
