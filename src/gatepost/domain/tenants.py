"""Tenants: the tenant record with its policies, and the slug rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.errors import InvalidSlug

__all__ = ["Tenant", "normalise_slug"]


@dataclass(frozen=True)
class Tenant:
    """A customer of the operator, with its per-tenant policies.

    Face policy: the false-match rate the face threshold is set for, the highest
    false-positive identification rate at which a face alone may decide, and how many
    days enrolment photos are kept. Plate policy: days reads of known vehicles, reads
    of unknown plates and frames are kept. ``face_gallery_version`` counts changes to
    the tenant's templates, so each process can tell whether its galleries are current
    (known vehicles and access rules keep their own counters, read by their
    repositories).
    """

    id: str
    slug: str
    name: str
    created_at: datetime
    keys_shredded_at: datetime | None = None
    suspended_at: datetime | None = None
    face_target_fmr: float = 1e-4
    face_max_fpir: float = 0.05
    face_photo_days: int = 0
    face_gallery_version: int = 0
    plate_read_days: int = 90
    plate_stranger_days: int = 0
    plate_image_days: int = 0
    # IANA time zone in which the tenant's dates and times are shown.
    timezone: str = "UTC"

    @property
    def shredded(self) -> bool:
        return self.keys_shredded_at is not None

    @property
    def suspended(self) -> bool:
        """Suspended by a platform operator: no sign-in, session, API key or device."""
        return self.suspended_at is not None


_SLUG = re.compile(r"^[a-z][a-z0-9-]{2,39}$")


def normalise_slug(raw: str) -> str:
    """Lower-case and validate a tenant slug (used at login and in MQTT topics)."""
    slug = raw.strip().lower()
    if not _SLUG.match(slug):
        raise InvalidSlug()
    return slug
