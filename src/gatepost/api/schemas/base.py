"""Shared schema bases: inputs forbid unknown fields; pages have a capped size."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gatepost.services.pages import Page

__all__ = ["ERROR_RESPONSES", "ErrorDetail", "ErrorPublic", "Input", "Output", "PagePublic"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


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

    @staticmethod
    def of(page: Page[Any], model: type[M]) -> PagePublic[M]:
        """Map a service page onto its public schema."""
        items = [model.model_validate(item) for item in page.items]
        return PagePublic(items=items, next_cursor=page.next_cursor, limit=page.limit)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, invalid.")
    message: str = Field(description="What went wrong, for people.")
    field: str | None = Field(default=None, description="The offending field, if one.")
    details: list[dict[str, Any]] | None = Field(default=None, description="Per-field errors.")
    model_config = ConfigDict(extra="forbid")


class ErrorPublic(BaseModel):
    """Every error response has this shape."""

    error: ErrorDetail
    model_config = ConfigDict(extra="forbid")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": text}
    for status, text in (
        (400, "Malformed request"),
        (401, "Not authenticated"),
        (403, "Not allowed (permission or CSRF)"),
        (404, "Not found in your tenant"),
        (409, "Conflict with existing data"),
        (413, "Body too large"),
        (415, "Unsupported content type"),
        (422, "Invalid input"),
        (429, "Too many attempts"),
        (503, "A backing service is unavailable"),
    )
}
