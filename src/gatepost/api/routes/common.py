"""Query and path parameter aliases shared by routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

__all__ = ["CursorQuery", "IdPath", "LimitQuery"]

IdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A 32-hex-digit id.")]
LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size (max 200).")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="From next_cursor.")]
