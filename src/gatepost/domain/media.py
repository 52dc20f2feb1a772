"""Media objects: what kind of image a sealed object is, and its recorded facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["MediaKind", "MediaObject"]


class MediaKind(StrEnum):
    EVENT_SNAPSHOT = "event_snapshot"
    FACE_ENROLMENT = "face_enrolment"
    PLATE_FRAME = "plate_frame"


@dataclass(frozen=True)
class MediaObject:
    """The facts of a sealed image in the blob store (the bytes live there, sealed with
    the tenant's data key); it expires at ``expires_at`` (None: kept until deleted)."""

    tenant_id: str
    id: str
    kind: MediaKind
    content_type: str
    size: int
    width: int
    height: int
    created_at: datetime
    expires_at: datetime | None
    uploaded_by: str
