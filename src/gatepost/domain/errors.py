"""Errors raised by domain rules."""

from __future__ import annotations

from gatepost.errors import ValidationFailed

__all__ = ["InvalidIdentityNumber", "InvalidPhoneNumber", "InvalidSlug"]


class InvalidIdentityNumber(ValidationFailed):
    code = "invalid_identity_number"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid identity number: {reason}", field="identity_number")


class InvalidPhoneNumber(ValidationFailed):
    code = "invalid_phone_number"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid phone number: {reason}", field="phone")


class InvalidSlug(ValidationFailed):
    code = "invalid_slug"

    def __init__(self) -> None:
        super().__init__(
            "slug must be 3-40 characters: lowercase letters, digits and hyphens, "
            "starting with a letter",
            field="slug",
        )
