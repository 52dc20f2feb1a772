"""Devices: kinds, directions and roles, the registered device, and the device clock rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "Device",
    "DeviceKind",
    "DeviceRole",
    "Direction",
    "EventKind",
    "SERVER_EVENT_KINDS",
    "clock_problem",
]


class DeviceKind(StrEnum):
    DOOR_CONTROLLER = "door_controller"
    TURNSTILE = "turnstile"
    BARRIER_GATE = "barrier_gate"
    CAMERA = "camera"
    KIOSK = "kiosk"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    BOTH = "both"


class DeviceRole(StrEnum):
    ACCESS_POINT = "access_point"
    ATTENDANCE_POINT = "attendance_point"
    PARKING_ENTRY = "parking_entry"
    PARKING_EXIT = "parking_exit"


@dataclass(frozen=True)
class Device:
    """A registered device of a tenant's site (its credential is never part of it)."""

    tenant_id: str
    id: str
    site_id: str
    name: str
    kind: DeviceKind
    direction: Direction
    zone: str
    roles: tuple[DeviceRole, ...]
    created_at: datetime
    credential_rotated_at: datetime
    revoked_at: datetime | None = None
    last_seen_at: datetime | None = None
    access_point_id: str | None = None  # the access point it controls (None: itself)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class EventKind(StrEnum):
    ACCESS_GRANTED = "access.granted"
    ACCESS_DENIED = "access.denied"
    DOOR_OPENED = "door.opened"
    DOOR_FORCED = "door.forced"
    DOOR_HELD = "door.held_open"
    CARD_PRESENTED = "card.presented"
    FACE_CAPTURED = "face.captured"
    PLATE_READ = "plate.read"
    DEVICE_ONLINE = "device.online"
    DEVICE_OFFLINE = "device.offline"
    TAMPER = "device.tamper"
    REMOTE_OPEN = "door.remote_open"
    REMOTE_LOCKDOWN = "door.remote_lockdown"
    REMOTE_RELEASE = "door.remote_release"


SERVER_EVENT_KINDS = frozenset(
    {EventKind.REMOTE_OPEN, EventKind.REMOTE_LOCKDOWN, EventKind.REMOTE_RELEASE}
)
"""Kinds only gatepost itself records (an operator's remote command to the device), so a
device cannot post an event that names a user as having opened its door."""


def clock_problem(
    *, occurred_at: datetime, now: datetime, max_skew: timedelta, max_backlog: timedelta
) -> str | None:
    """Why a device timestamp is unacceptable, or None if it is fine.

    Devices may upload events recorded while offline (up to ``max_backlog`` old) but
    never events from the future beyond the tolerated clock skew.
    """
    if occurred_at.tzinfo is None:
        return "timestamp must carry a time zone"
    if occurred_at - now > max_skew:
        return "timestamp is in the future beyond the tolerated clock skew"
    if now - occurred_at > max_backlog:
        return "timestamp is older than the accepted offline backlog"
    return None
