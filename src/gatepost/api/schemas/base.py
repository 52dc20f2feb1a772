"""Shared schema bases: inputs forbid unknown fields; pages have a capped size."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Input", "Output", "PagePublic"]

T = TypeVar("T")


def _reject_nul(value: Any, path: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'value'} contains a NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, path)
            _reject_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_nul(item, f"{path}[{index}]")


class Input(BaseModel):
    """Request bodies: unknown fields, NUL characters and NaN/Infinity are refused."""

    model_config = ConfigDict(extra="forbid", str_max_length=4096, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def no_nul_characters(cls, data: Any) -> Any:
        _reject_nul(data, "")
        return data


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PagePublic(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int
