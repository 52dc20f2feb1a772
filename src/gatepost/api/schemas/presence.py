"""Schemas of the muster list (who is on a site now)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gatepost.api.schemas.base import Output

__all__ = ["MusterPersonPublic", "MusterPublic", "MusterZonePublic"]


class MusterPersonPublic(Output):
    person_id: str
    name: str
    since: datetime = Field(description="When the platform placed them in this zone.")
    access_point_id: str = Field(description="The access point they came through.")


class MusterZonePublic(Output):
    zone_id: str
    name: str
    people: list[MusterPersonPublic]


class MusterPublic(Output):
    site_id: str
    site_name: str
    at: datetime = Field(description="When this list was made.")
    count: int = Field(description="People on the site, in every zone.")
    zones: list[MusterZonePublic] = Field(description="Zones with people in them.")
