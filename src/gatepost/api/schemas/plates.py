"""Plate schemas: site plate formats, the tenant's plate policy and the gate log."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from gatepost.api.schemas.base import Input, Output
from gatepost.api.schemas.resources import MediaUrlPublic
from gatepost.domain.plates import PlateRegion
from gatepost.domain.vehicles import GateDecision
from gatepost.vision.plates import PlateColor

__all__ = [
    "PlateLogEntryPublic",
    "PlateLogSearch",
    "PlatePatternIn",
    "PlatePatternPublic",
    "PlatePolicyPublic",
    "PlatePolicyUpdate",
    "SitePlateSettingsPublic",
    "SitePlateSettingsUpdate",
]

_ID = r"^[0-9a-f]{32}$"


class PlatePatternIn(Input):
    name: str = Field(min_length=1, max_length=40, examples=["uk_current"])
    region: PlateRegion
    pattern: str = Field(
        min_length=1,
        max_length=200,
        examples=["[A-Z]{2}[0-9]{2}[A-Z]{3}"],
        description="A regular expression over the normalised plate (upper case, no "
        "spaces, dots or dashes), matched against the whole text.",
    )


class PlatePatternPublic(Output):
    name: str
    region: PlateRegion
    pattern: str


class SitePlateSettingsUpdate(Input):
    regions: list[PlateRegion] | None = Field(
        max_length=8,
        description="Regions whose plate formats the site's cameras read; null: every "
        "region (the default).",
        examples=[["eu"]],
    )
    patterns: list[PlatePatternIn] = Field(
        default_factory=list,
        max_length=10,
        description="The site's own formats (replaces the earlier ones), tried first.",
    )


class SitePlateSettingsPublic(Output):
    site_id: str
    regions: list[PlateRegion] | None = Field(description="null: every region.")
    patterns: list[PlatePatternPublic]


class PlatePolicyPublic(Output):
    read_days: int = Field(description="Days reads of known vehicles are kept (0: none).")
    stranger_days: int = Field(description="Days reads of unknown plates are kept (0: none).")
    image_days: int = Field(
        description="Days the frame of a stored read is kept, sealed (0: not kept)."
    )
    repeat_window_seconds: int = Field(
        description="A device's repeated read of one car within this window is stored once."
    )


class PlatePolicyUpdate(Input):
    read_days: int | None = Field(default=None, ge=0, le=3650, description="Omit: unchanged.")
    stranger_days: int | None = Field(default=None, ge=0, le=3650, description="Omit: unchanged.")
    image_days: int | None = Field(default=None, ge=0, le=3650, description="Omit: unchanged.")


class PlateLogEntryPublic(Output):
    id: str
    site_id: str
    device_id: str
    occurred_at: datetime
    plate: str = Field(description="The plate as read (normalised).")
    confidence: float
    color: PlateColor
    region: PlateRegion
    decision: GateDecision = Field(description="allow, deny or unknown.")
    vehicle_id: str | None = Field(description="The known vehicle it matched, if any.")
    has_frame: bool = Field(description="Whether the frame is kept.")
    frame: MediaUrlPublic | None = Field(
        description="A short-lived URL of the kept frame, for callers who may read media."
    )
    expires_at: datetime


class PlateLogSearch(Input):
    """Reads of one plate (exact, normalised), or of the vehicle registered with it;
    send the plate in a body, not in a URL."""

    plate: str = Field(min_length=1, max_length=32, examples=["京A12345"])
    site_id: str | None = Field(default=None, pattern=_ID)
    device_id: str | None = Field(default=None, pattern=_ID)
    decision: GateDecision | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)
