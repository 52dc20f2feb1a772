"""Shared schema bases: inputs forbid unknown fields; pages have a capped size."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Input", "Output", "PagePublic"]

T = TypeVar("T")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PagePublic(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int
