"""Tenant and site naming rules."""

from __future__ import annotations

import re

from gatepost.domain.errors import InvalidSlug

__all__ = ["normalise_slug"]

_SLUG = re.compile(r"^[a-z][a-z0-9-]{2,39}$")


def normalise_slug(raw: str) -> str:
    """Lower-case and validate a tenant slug (used at login and in MQTT topics)."""
    slug = raw.strip().lower()
    if not _SLUG.match(slug):
        raise InvalidSlug()
    return slug
