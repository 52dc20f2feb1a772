"""Schemas of remote door commands: the reason asked for, and what was sent where."""

from __future__ import annotations

from pydantic import Field

from gatepost.api.schemas.base import Input, Output
from gatepost.domain.access_points import DoorMode
from gatepost.domain.decisions import CommandKind
from gatepost.services.remote_commands import (
    MAX_REASON,
    MIN_REASON,
    RemoteAction,
    RemoteResult,
    ZoneResult,
)

__all__ = ["RemoteCommandPublic", "RemoteCommandRequest", "ZoneCommandPublic"]


class RemoteCommandRequest(Input):
    reason: str = Field(
        min_length=MIN_REASON,
        max_length=MAX_REASON,
        description=(
            "Why, in words (3-500 characters after trimming). Kept in the audit log only,"
            " never in events or logs."
        ),
    )


class RemoteCommandPublic(Output):
    action: RemoteAction
    access_point_id: str
    access_point_name: str
    door_mode: DoorMode = Field(description="The access point's door mode now.")
    command: CommandKind = Field(description="What the devices were told to do.")
    devices: int = Field(description="How many devices the command went to.")
    device_ids: list[str]
    event_ids: list[str] = Field(description="The event recorded for each device.")
    resent: bool = Field(
        description=(
            "True when the point was in that state already (a lockdown of a point in"
            " lockdown, a release of one that is not): nothing changed and the command"
            " for its state went to its devices again."
        )
    )

    @staticmethod
    def of(result: RemoteResult) -> RemoteCommandPublic:
        return RemoteCommandPublic(
            action=result.action,
            access_point_id=result.access_point_id,
            access_point_name=result.access_point_name,
            door_mode=result.door_mode,
            command=result.command,
            devices=len(result.device_ids),
            device_ids=list(result.device_ids),
            event_ids=list(result.event_ids),
            resent=result.resent,
        )


class ZoneCommandPublic(Output):
    action: RemoteAction
    zone_id: str
    access_points: list[RemoteCommandPublic] = Field(
        description="Every point of the zone and what it got (``resent``: no change)."
    )
    unchanged: int = Field(
        description="Points of the zone that were in that state already (command resent)."
    )
    devices: int = Field(description="How many devices got a command.")

    @staticmethod
    def of(result: ZoneResult) -> ZoneCommandPublic:
        return ZoneCommandPublic(
            action=result.action,
            zone_id=result.zone_id,
            access_points=[RemoteCommandPublic.of(p) for p in result.points],
            unchanged=result.unchanged,
            devices=result.device_count,
        )
