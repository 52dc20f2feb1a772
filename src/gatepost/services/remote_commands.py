"""RemoteCommandService: an operator opens, locks down or releases a door from afar.

Every remote command states a reason (3-500 characters), is audited with it (the
reason is the audit entry's ``purpose``, the one place free text is kept) and is
recorded as an event of each device it went to, with the user's id and a reason
*code*, never the text (events feed the live view, webhooks and exports).

- **open**: the bound devices get ``open`` (``raise_barrier`` at a barrier). It passes
  a lockdown: letting someone through is the operator's call. A point with no live
  device bound to it cannot be opened (409): nothing would happen.
- **lockdown**: the point's door mode becomes ``lockdown`` (the decision core then
  refuses every arrival but an exit button) and its devices get ``lockdown``. The mode
  it replaced is kept and restored by **release**, which sends ``release``. Both bump
  the tenant's rules version with the change, so every process decides the next
  arrival with the new mode.
- **resend**: locking down a point in lockdown, or releasing one that is not, changes
  nothing in the rules but sends the command for the point's state again (``resent``
  in the result, the event and the audit entry). Commands live for seconds, so a
  device that was offline when the first one went out would otherwise never get it,
  and the operator would have no way to send it again. Over MQTT the gateway also
  publishes each lockdown or release as the device's retained, signed door state
  (``gatepost/<tenant>/<device>/state``, docs/devices.md), which a device gets on
  every reconnect.
- **zone lockdown / release**: the same for every access point into or out of a zone,
  in one transaction and one audit entry; points already in the wanted state get the
  command again.

Commands go to the :class:`~gatepost.services.commands.CommandSink` after the commit,
as decisions' commands do: a device is never told to act on what was not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatepost.domain.access_points import DoorMode
from gatepost.domain.decisions import CommandKind
from gatepost.domain.devices import EventKind
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.access_rules import rules_changed
from gatepost.services.audit import AuditRecord
from gatepost.services.commands import CommandSink
from gatepost.services.door_commands import (
    DoorCommands,
    bound_devices,
    record_door_commands,
    send_door_commands,
)
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.repositories.access_rules import StoredAccessPoint, StoredZone
from gatepost.store.repositories.door_control import BoundDevice

__all__ = [
    "DoorBoard",
    "MAX_REASON",
    "MIN_REASON",
    "PointState",
    "RemoteAction",
    "RemoteCommandService",
    "RemoteResult",
    "ZoneResult",
    "ZoneState",
    "checked_reason",
]

MIN_REASON = 3
MAX_REASON = 500
_ZONE_POINTS = 10_000  # more access points than any one zone has


class RemoteAction(StrEnum):
    OPEN = "open"
    LOCKDOWN = "lockdown"
    RELEASE = "release"


_EVENT_KIND = {
    RemoteAction.OPEN: EventKind.REMOTE_OPEN,
    RemoteAction.LOCKDOWN: EventKind.REMOTE_LOCKDOWN,
    RemoteAction.RELEASE: EventKind.REMOTE_RELEASE,
}
_REASON_CODE = {
    RemoteAction.OPEN: "remote_open",
    RemoteAction.LOCKDOWN: "remote_lockdown",
    RemoteAction.RELEASE: "remote_release",
}


@dataclass(frozen=True)
class RemoteResult:
    """What one access point got: its door mode now, the command and the devices it
    went to (an event each)."""

    action: RemoteAction
    access_point_id: str
    access_point_name: str
    door_mode: DoorMode
    command: CommandKind
    device_ids: tuple[str, ...]
    event_ids: tuple[str, ...]
    resent: bool = False
    """The point was in that state already: the command went out again, nothing changed."""


@dataclass(frozen=True)
class ZoneResult:
    action: RemoteAction
    zone_id: str
    points: tuple[RemoteResult, ...]
    """Every point of the zone and what it got (``resent``: it was in that state)."""

    @property
    def unchanged(self) -> int:
        return sum(1 for p in self.points if p.resent)

    @property
    def device_count(self) -> int:
        return sum(len(p.device_ids) for p in self.points)


@dataclass(frozen=True)
class ZoneState:
    zone: StoredZone
    people: int
    """How many people the decisions place in the zone now."""


@dataclass(frozen=True)
class PointState:
    point: StoredAccessPoint
    devices: tuple[BoundDevice, ...]


@dataclass(frozen=True)
class DoorBoard:
    """What an operator watches: zones with how many are inside, access points with
    their door mode and live devices."""

    zones: tuple[ZoneState, ...]
    points: tuple[PointState, ...]


def checked_reason(value: str) -> str:
    """The reason with its white space tidied; 422 naming ``reason`` unless 3-500."""
    reason = " ".join(value.split())
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(
            "state a reason of %(min)s-%(max)s characters",
            field="reason",
            params={"min": MIN_REASON, "max": MAX_REASON},
        )
    return reason


def _command_of(action: RemoteAction, point: StoredAccessPoint) -> CommandKind:
    if action is RemoteAction.OPEN:
        return CommandKind.RAISE_BARRIER if point.barrier else CommandKind.OPEN
    return CommandKind.LOCKDOWN if action is RemoteAction.LOCKDOWN else CommandKind.RELEASE


class RemoteCommandService:
    def __init__(self, *, tx: Transactions, clock: Clock, commands: CommandSink) -> None:
        self._tx = tx
        self._clock = clock
        self.commands = commands

    def board(self, principal: Principal, *, site_id: str | None = None) -> DoorBoard:
        """Every zone and access point of the tenant (of one site), by name."""
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            zones = uow.access_rules.all_zones(tenant_id=tenant_id, site_id=site_id)
            points = [
                p
                for p in uow.access_rules.all_access_points(tenant_id=tenant_id)
                if site_id is None or p.site_id == site_id
            ]
            devices = uow.door_control.bound_devices(
                tenant_id=tenant_id, access_point_ids=[p.id for p in points]
            )
            people = uow.door_control.people_by_zone(tenant_id=tenant_id)
        return DoorBoard(
            zones=tuple(
                ZoneState(z, people.get(z.id, 0)) for z in sorted(zones, key=lambda z: z.name)
            ),
            points=tuple(
                PointState(p, tuple(d for d in devices if d.access_point_id == p.id))
                for p in sorted(points, key=lambda p: p.name)
            ),
        )

    # -- one access point -----------------------------------------------------------------

    def open(self, principal: Principal, access_point_id: str, *, reason: str) -> RemoteResult:
        return self._one(principal, access_point_id, RemoteAction.OPEN, reason)

    def lockdown(self, principal: Principal, access_point_id: str, *, reason: str) -> RemoteResult:
        return self._one(principal, access_point_id, RemoteAction.LOCKDOWN, reason)

    def release(self, principal: Principal, access_point_id: str, *, reason: str) -> RemoteResult:
        return self._one(principal, access_point_id, RemoteAction.RELEASE, reason)

    def _one(
        self, principal: Principal, point_id: str, action: RemoteAction, reason: str
    ) -> RemoteResult:
        with self._tx.write() as uow:
            point = uow.access_rules.get_access_point(
                tenant_id=principal.tenant_id, access_point_id=point_id
            )
            if point is None:
                raise NotFound("access point")
            reason = checked_reason(reason)
            devices = bound_devices(uow, point)
            if action is RemoteAction.OPEN and not devices:
                raise Conflict("no device is bound to this access point, so nothing could open")
            result = self._apply(uow, principal, point, action, devices)
            details = {
                "command": result.command.value,
                "devices": str(len(result.device_ids)),
                "door_mode": result.door_mode.value,
            }
            if result.resent:
                details["resent"] = "true"
            record = AuditRecord(
                actor=principal.actor,
                action=f"access_point.remote_{action.value}",
                target=f"access_point:{point.id}",
                purpose=reason,
                details=details,
            )
            if action is RemoteAction.OPEN or result.resent:
                uow.audit(principal.tenant_id, record)
            else:
                rules_changed(uow, principal, record)
        self._send(principal, result)
        return result

    # -- every access point of a zone -----------------------------------------------------

    def lockdown_zone(self, principal: Principal, zone_id: str, *, reason: str) -> ZoneResult:
        return self._zone(principal, zone_id, RemoteAction.LOCKDOWN, reason)

    def release_zone(self, principal: Principal, zone_id: str, *, reason: str) -> ZoneResult:
        return self._zone(principal, zone_id, RemoteAction.RELEASE, reason)

    def _zone(
        self, principal: Principal, zone_id: str, action: RemoteAction, reason: str
    ) -> ZoneResult:
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            if uow.access_rules.get_zone(tenant_id=tenant_id, zone_id=zone_id) is None:
                raise NotFound("zone")
            reason = checked_reason(reason)
            points = uow.access_rules.access_points(
                tenant_id=tenant_id, limit=_ZONE_POINTS, zone_id=zone_id
            )
            if not points:
                raise Conflict("no access point leads into or out of this zone")
            devices = uow.door_control.bound_devices(
                tenant_id=tenant_id, access_point_ids=[p.id for p in points]
            )
            results = tuple(
                self._apply(
                    uow,
                    principal,
                    point,
                    action,
                    [d for d in devices if d.access_point_id == point.id],
                )
                for point in points
            )
            zone = ZoneResult(action, zone_id, results)
            details = {
                "access_points": ",".join(p.access_point_id for p in results if not p.resent),
                "devices": str(zone.device_count),
            }
            if zone.unchanged:
                details["resent"] = ",".join(p.access_point_id for p in results if p.resent)
            record = AuditRecord(
                actor=principal.actor,
                action=f"zone.remote_{action.value}",
                target=f"zone:{zone_id}",
                purpose=reason,
                details=details,
            )
            if zone.unchanged == len(results):
                uow.audit(tenant_id, record)
            else:
                rules_changed(uow, principal, record)
        for result in results:
            self._send(principal, result)
        return zone

    # -- shared steps -----------------------------------------------------------------------

    def _apply(
        self,
        uow: UnitOfWork,
        principal: Principal,
        point: StoredAccessPoint,
        action: RemoteAction,
        devices: list[BoundDevice],
    ) -> RemoteResult:
        """Change the point's mode (lockdown, release) and record an event per device;
        ``resent`` when the point was in that state already (nothing changed)."""
        now = self._clock.now()
        tenant_id = principal.tenant_id
        mode, resent = point.door_mode, False
        if action is RemoteAction.LOCKDOWN:
            resent = not uow.door_control.lock_down(
                tenant_id=tenant_id, access_point_id=point.id, at=now
            )
            mode = DoorMode.LOCKDOWN
        elif action is RemoteAction.RELEASE:
            restored = uow.door_control.release(
                tenant_id=tenant_id, access_point_id=point.id, at=now
            )
            resent = restored is None
            mode = restored or uow.door_control.door_mode(
                tenant_id=tenant_id, access_point_id=point.id
            )
        command = _command_of(action, point)
        sent = record_door_commands(
            uow,
            point=point,
            devices=devices,
            command=command,
            kind=_EVENT_KIND[action],
            actor=principal.actor,
            reason_code=_REASON_CODE[action],
            door_mode=mode,
            at=now,
            resent=resent,
        )
        return RemoteResult(
            action=action,
            access_point_id=point.id,
            access_point_name=point.name,
            door_mode=mode,
            command=command,
            device_ids=sent.device_ids,
            event_ids=sent.event_ids,
            resent=resent,
        )

    def _send(self, principal: Principal, result: RemoteResult) -> None:
        """Hand each device its command (after the commit)."""
        send_door_commands(
            self.commands,
            DoorCommands(
                tenant_id=principal.tenant_id,
                access_point_id=result.access_point_id,
                command=result.command,
                device_ids=result.device_ids,
                event_ids=result.event_ids,
            ),
        )
