"""Door commands for the devices bound to an access point: recorded, then sent.

Whatever sets a door's state from afar (an operator's remote open, lockdown or release,
:mod:`.remote_commands`; an edit that moves an access point into or out of
``lockdown``, :mod:`.access_rules`) does it in two steps through this module:

1. :func:`record_door_commands`, inside the change's unit of work: one server event per
   live (unrevoked) device bound to the point, whose id is also the command's id;
2. :func:`send_door_commands`, after the commit: each device's command goes to the
   :class:`~gatepost.services.commands.CommandSink` (over MQTT the gateway also
   publishes a lockdown or release as the device's retained door state), so a device
   is never told to act on what was not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.access_points import DoorMode
from gatepost.domain.decisions import Command, CommandKind
from gatepost.domain.devices import EventKind
from gatepost.services.commands import CommandSink, DeviceCommand
from gatepost.services.uow import UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.access_rules import StoredAccessPoint
from gatepost.store.repositories.door_control import BoundDevice

__all__ = ["DoorCommands", "bound_devices", "record_door_commands", "send_door_commands"]


@dataclass(frozen=True)
class DoorCommands:
    """One command for the devices of one access point, each with its event."""

    tenant_id: str
    access_point_id: str
    command: CommandKind
    device_ids: tuple[str, ...]
    event_ids: tuple[str, ...]


def bound_devices(uow: UnitOfWork, point: StoredAccessPoint) -> list[BoundDevice]:
    """The live devices bound to ``point``, by name."""
    return uow.door_control.bound_devices(tenant_id=point.tenant_id, access_point_ids=[point.id])


def record_door_commands(
    uow: UnitOfWork,
    *,
    point: StoredAccessPoint,
    devices: Sequence[BoundDevice],
    command: CommandKind,
    kind: EventKind,
    actor: str,
    reason_code: str,
    door_mode: DoorMode,
    at: datetime,
    resent: bool = False,
) -> DoorCommands:
    """Record an event of ``kind`` per device (the actor and a reason *code*, never
    free text); the commands to send once the unit of work has committed."""
    event_ids = []
    for device in devices:
        event_id = new_id()
        uow.events.insert(
            tenant_id=point.tenant_id,
            site_id=point.site_id,
            device_id=device.id,
            received_at=at,
            events=[
                {
                    "id": event_id,
                    "kind": kind.value,
                    "occurred_at": at,
                    "idempotency_key": f"gp:{event_id}",
                    "person_id": None,
                    "snapshot_id": None,
                    "data": {
                        "command": command.value,
                        "access_point_id": point.id,
                        "actor": actor,
                        "reasons": reason_code,
                        "door_mode": door_mode.value,
                        **({"resent": True} if resent else {}),
                    },
                }
            ],
        )
        event_ids.append(event_id)
    return DoorCommands(
        tenant_id=point.tenant_id,
        access_point_id=point.id,
        command=command,
        device_ids=tuple(d.id for d in devices),
        event_ids=tuple(event_ids),
    )


def send_door_commands(sink: CommandSink, commands: DoorCommands) -> None:
    """Hand each device its command (call after the commit)."""
    command = Command(commands.command, commands.access_point_id)
    for device_id, event_id in zip(commands.device_ids, commands.event_ids, strict=True):
        sink.send(DeviceCommand(commands.tenant_id, device_id, event_id, command))
