"""AccessRuleService: zones, access points, devices bound to access points, and the
tenant's :class:`~gatepost.domain.rule_sets.RuleSet` for the arrival pipeline.

Every change is audited and bumps the tenant's ``rules_version`` in the same
transaction (:func:`rules_changed`), so each process rebuilds its cached rule set once
per version (``services.rule_sets``), never once per arrival. Schedules and holidays are
in :mod:`.schedules`, access levels and who holds them in :mod:`.access_levels`,
credentials in :mod:`.credentials`; they share the helpers at the end of this module.

References to other objects in a body (a site, a parent zone, a schedule) are checked
in the caller's tenant and refused with 422 naming the field, exactly as for an id that
names nothing; an object named in the path is 404 unless it is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from gatepost.domain.access_points import DoorMode, RequiredFactors
from gatepost.domain.decisions import CommandKind
from gatepost.domain.devices import Device, Direction, EventKind
from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.domain.rule_sets import RuleSet
from gatepost.domain.schedules import WeeklySchedule
from gatepost.domain.validity import ValidityWindow
from gatepost.domain.zones import AntiPassbackMode, check_zone_tree
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.commands import CommandSink, NullCommandSink
from gatepost.services.door_commands import (
    DoorCommands,
    bound_devices,
    record_door_commands,
    send_door_commands,
)
from gatepost.services.pages import Page, page_by_id
from gatepost.services.rule_sets import RuleSetCache, domain_access_point
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.access_rules import StoredAccessPoint, StoredZone

__all__ = [
    "AccessPointDraft",
    "AccessRuleService",
    "ZoneDraft",
    "checked_name",
    "rule_change",
    "rules_changed",
    "validity_of",
]

MAX_MULTI_FACTOR_WINDOW_SECONDS = 300
MAX_ANTI_PASSBACK_RESET_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class ZoneDraft:
    site_id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class AccessPointDraft:
    """An access point as a client gives it (see ``domain.access_points.AccessPoint``)."""

    site_id: str
    name: str
    into_zone_id: str | None = None
    out_of_zone_id: str | None = None
    direction: Direction = Direction.IN
    door_mode: DoorMode = DoorMode.NORMALLY_LOCKED
    unlock_schedule_id: str | None = None
    required_factors: RequiredFactors = RequiredFactors.ANY
    multi_factor_window_seconds: int = 10
    anti_passback: AntiPassbackMode = AntiPassbackMode.NONE
    anti_passback_reset_minutes: int | None = None
    first_person_in: bool = False
    barrier: bool = False


# -- helpers shared by the access-rule services -------------------------------------------


def rules_changed(uow: UnitOfWork, principal: Principal, record: AuditRecord) -> None:
    """Every change to access rules: audited, and the tenant's rules version bumped."""
    uow.access_rules.bump_version(tenant_id=principal.tenant_id)
    uow.audit(principal.tenant_id, record)


def checked_name(value: str, *, field: str = "name", longest: int = 120) -> str:
    name = " ".join(value.split())
    if not 1 <= len(name) <= longest:
        raise ValidationFailed(
            "%(field)s must have 1-%(max)s characters",
            field=field,
            params={"field": field, "max": longest},
        )
    return visible_name(name, field=field)


def validity_of(valid_from: datetime | None, valid_until: datetime | None) -> ValidityWindow:
    """The window, in UTC; times without a time zone and inverted windows are refused."""
    for value, field in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("times need a time zone", field=field)
    start = valid_from.astimezone(UTC) if valid_from is not None else None
    end = valid_until.astimezone(UTC) if valid_until is not None else None
    if start is not None and end is not None and end <= start:
        raise ValidationFailed("valid_until must be after valid_from", field="valid_until")
    return ValidityWindow(start, end)


def rule_change(principal: Principal, action: str, target: str, **details: str) -> AuditRecord:
    """The audit record of a change to access rules (ids and codes in ``details``)."""
    return AuditRecord(actor=principal.actor, action=action, target=target, details=details or None)


def _zone(uow: UnitOfWork, principal: Principal, zone_id: str) -> StoredZone:
    zone = uow.access_rules.get_zone(tenant_id=principal.tenant_id, zone_id=zone_id)
    if zone is None:
        raise NotFound("zone")
    return zone


def _access_point(uow: UnitOfWork, principal: Principal, point_id: str) -> StoredAccessPoint:
    point = uow.access_rules.get_access_point(
        tenant_id=principal.tenant_id, access_point_id=point_id
    )
    if point is None:
        raise NotFound("access point")
    return point


def _door_mode_commands(
    uow: UnitOfWork,
    principal: Principal,
    before: StoredAccessPoint,
    after: StoredAccessPoint,
    at: datetime,
) -> DoorCommands | None:
    """The lockdown or release that an edit of the door mode owes the point's devices
    (recorded as their events); None when the edit neither enters nor leaves lockdown."""
    was, now = before.door_mode is DoorMode.LOCKDOWN, after.door_mode is DoorMode.LOCKDOWN
    if was == now:
        return None
    return record_door_commands(
        uow,
        point=after,
        devices=bound_devices(uow, after),
        command=CommandKind.LOCKDOWN if now else CommandKind.RELEASE,
        kind=EventKind.REMOTE_LOCKDOWN if now else EventKind.REMOTE_RELEASE,
        actor=principal.actor,
        reason_code="door_mode_edited",
        door_mode=after.door_mode,
        at=at,
    )


def _site_exists(uow: UnitOfWork, principal: Principal, site_id: str) -> None:
    if uow.sites.get(tenant_id=principal.tenant_id, site_id=site_id) is None:
        raise ValidationFailed("no such site", field="site_id")


class AccessRuleService:
    def __init__(
        self, *, tx: Transactions, clock: Clock, commands: CommandSink | None = None
    ) -> None:
        self._tx = tx
        self._clock = clock
        self.commands: CommandSink = commands or NullCommandSink()
        self._rules = RuleSetCache()

    # -- zones --------------------------------------------------------------------------

    def _checked_zone(self, uow: UnitOfWork, principal: Principal, zone: StoredZone) -> StoredZone:
        """The zone with its name tidied, after checking its parent and the zone tree."""
        tenant_id = principal.tenant_id
        zone = replace(zone, name=checked_name(zone.name))
        if zone.parent_id is not None:
            parent = uow.access_rules.get_zone(tenant_id=tenant_id, zone_id=zone.parent_id)
            if parent is None or parent.site_id != zone.site_id:
                raise ValidationFailed("no such zone at this site", field="parent_id")
        others = uow.access_rules.all_zones(tenant_id=tenant_id, site_id=zone.site_id)
        check_zone_tree([zone.zone, *(z.zone for z in others if z.id != zone.id)])
        clash = uow.access_rules.zone_by_name(
            tenant_id=tenant_id, site_id=zone.site_id, name=zone.name
        )
        if clash is not None and clash.id != zone.id:
            raise Conflict("this site already has a zone with this name")
        return zone

    def create_zone(self, principal: Principal, draft: ZoneDraft) -> StoredZone:
        now = self._clock.now()
        with self._tx.write() as uow:
            _site_exists(uow, principal, draft.site_id)
            zone = StoredZone(
                tenant_id=principal.tenant_id,
                id=new_id(),
                site_id=draft.site_id,
                name=draft.name,
                parent_id=draft.parent_id,
                created_at=now,
                updated_at=now,
            )
            zone = self._checked_zone(uow, principal, zone)
            uow.access_rules.save_zone(zone)
            rules_changed(uow, principal, rule_change(principal, "zone.created", f"zone:{zone.id}"))
            return zone

    def get_zone(self, principal: Principal, zone_id: str) -> StoredZone:
        with self._tx.read() as uow:
            return _zone(uow, principal, zone_id)

    def list_zones(
        self, principal: Principal, *, limit: int, after: str | None, site_id: str | None = None
    ) -> Page[StoredZone]:
        with self._tx.read() as uow:
            rows = uow.access_rules.zones(
                tenant_id=principal.tenant_id, limit=limit + 1, after=after, site_id=site_id
            )
        return page_by_id(rows, limit)

    def update_zone(
        self, principal: Principal, zone_id: str, changes: Mapping[str, object]
    ) -> StoredZone:
        """Rename a zone or move it under another parent (``changes``: name, parent_id)."""
        with self._tx.write() as uow:
            zone = _zone(uow, principal, zone_id)
            changed = replace(zone, **changes, updated_at=self._clock.now())  # type: ignore[arg-type]
            changed = self._checked_zone(uow, principal, changed)
            uow.access_rules.save_zone(changed)
            fields = ",".join(sorted(changes))
            rules_changed(
                uow,
                principal,
                rule_change(principal, "zone.updated", f"zone:{zone.id}", fields=fields),
            )
            return changed

    def delete_zone(self, principal: Principal, zone_id: str) -> None:
        with self._tx.write() as uow:
            zone = _zone(uow, principal, zone_id)
            if uow.access_rules.zone_in_use(tenant_id=zone.tenant_id, zone_id=zone.id):
                raise Conflict("zones or access points still refer to this zone")
            uow.access_rules.delete_zone(tenant_id=zone.tenant_id, zone_id=zone.id)
            rules_changed(uow, principal, rule_change(principal, "zone.deleted", f"zone:{zone.id}"))

    # -- access points ------------------------------------------------------------------

    def _checked_point(
        self, uow: UnitOfWork, principal: Principal, point: StoredAccessPoint
    ) -> StoredAccessPoint:
        tenant_id = principal.tenant_id
        point = replace(point, name=checked_name(point.name))
        for field in ("into_zone_id", "out_of_zone_id"):
            zone_id: str | None = getattr(point, field)
            if zone_id is None:
                continue
            zone = uow.access_rules.get_zone(tenant_id=tenant_id, zone_id=zone_id)
            if zone is None or zone.site_id != point.site_id:
                raise ValidationFailed("no such zone at this site", field=field)
        if point.into_zone_id is not None and point.into_zone_id == point.out_of_zone_id:
            raise ValidationFailed(
                "an access point leads into another zone than it leads out of",
                field="into_zone_id",
            )
        schedules: dict[str, WeeklySchedule] = {}
        if point.unlock_schedule_id is not None:
            stored = uow.schedules.get(tenant_id=tenant_id, schedule_id=point.unlock_schedule_id)
            if stored is None:
                raise ValidationFailed("no such schedule", field="unlock_schedule_id")
            schedules[stored.id] = stored.schedule
        elif point.door_mode is DoorMode.SCHEDULED_UNLOCK:
            raise ValidationFailed(
                "a scheduled unlock needs an unlock schedule", field="unlock_schedule_id"
            )
        if not 1 <= point.multi_factor_window_seconds <= MAX_MULTI_FACTOR_WINDOW_SECONDS:
            raise ValidationFailed(
                "the window must be 1-%(max)s seconds",
                params={"max": MAX_MULTI_FACTOR_WINDOW_SECONDS},
                field="multi_factor_window_seconds",
            )
        reset = point.anti_passback_reset_minutes
        if reset is not None and not 1 <= reset <= MAX_ANTI_PASSBACK_RESET_MINUTES:
            raise ValidationFailed(
                "the reset must be 1-%(max)s minutes",
                params={"max": MAX_ANTI_PASSBACK_RESET_MINUTES},
                field="anti_passback_reset_minutes",
            )
        domain_access_point(point, schedules)  # the decision core's own checks
        clash = uow.access_rules.access_point_by_name(
            tenant_id=tenant_id, site_id=point.site_id, name=point.name
        )
        if clash is not None and clash.id != point.id:
            raise Conflict("this site already has an access point with this name")
        return point

    def create_access_point(
        self, principal: Principal, draft: AccessPointDraft
    ) -> StoredAccessPoint:
        now = self._clock.now()
        with self._tx.write() as uow:
            _site_exists(uow, principal, draft.site_id)
            point = StoredAccessPoint(
                tenant_id=principal.tenant_id,
                id=new_id(),
                **vars(draft),
                created_at=now,
                updated_at=now,
            )
            point = self._checked_point(uow, principal, point)
            uow.access_rules.save_access_point(point)
            rules_changed(
                uow,
                principal,
                rule_change(principal, "access_point.created", f"access_point:{point.id}"),
            )
            return point

    def get_access_point(self, principal: Principal, access_point_id: str) -> StoredAccessPoint:
        with self._tx.read() as uow:
            return _access_point(uow, principal, access_point_id)

    def list_access_points(
        self,
        principal: Principal,
        *,
        limit: int,
        after: str | None,
        site_id: str | None = None,
        zone_id: str | None = None,
    ) -> Page[StoredAccessPoint]:
        with self._tx.read() as uow:
            rows = uow.access_rules.access_points(
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                after=after,
                site_id=site_id,
                zone_id=zone_id,
            )
        return page_by_id(rows, limit)

    def update_access_point(
        self, principal: Principal, access_point_id: str, changes: Mapping[str, object]
    ) -> StoredAccessPoint:
        """Apply a partial update (any field of :class:`AccessPointDraft` but the site).
        An edit that moves the point into or out of ``lockdown`` sends its live devices
        ``lockdown`` or ``release`` after the commit, as a remote lockdown does."""
        with self._tx.write() as uow:
            point = _access_point(uow, principal, access_point_id)
            changed = replace(point, **changes, updated_at=self._clock.now())  # type: ignore[arg-type]
            changed = self._checked_point(uow, principal, changed)
            uow.access_rules.save_access_point(changed)
            record = rule_change(
                principal,
                "access_point.updated",
                f"access_point:{point.id}",
                fields=",".join(sorted(changes)),
            )
            rules_changed(uow, principal, record)
            sent = _door_mode_commands(uow, principal, point, changed, self._clock.now())
        if sent is not None:
            send_door_commands(self.commands, sent)
        return changed

    def delete_access_point(self, principal: Principal, access_point_id: str) -> None:
        """Delete an access point (it leaves every access level); refused while a device
        is bound to it."""
        with self._tx.write() as uow:
            point = _access_point(uow, principal, access_point_id)
            if uow.access_rules.devices_bound_to(
                tenant_id=point.tenant_id, access_point_id=point.id
            ):
                raise Conflict("devices are bound to this access point; unbind them first")
            uow.access_rules.delete_access_point(
                tenant_id=point.tenant_id, access_point_id=point.id
            )
            rules_changed(
                uow,
                principal,
                rule_change(principal, "access_point.deleted", f"access_point:{point.id}"),
            )

    def bind_device(
        self, principal: Principal, device_id: str, access_point_id: str | None
    ) -> Device:
        """Bind a device to an access point of its site (None: unbind it)."""
        with self._tx.write() as uow:
            device = uow.devices.get(tenant_id=principal.tenant_id, device_id=device_id)
            if device is None:
                raise NotFound("device")
            if access_point_id is not None:
                point = uow.access_rules.get_access_point(
                    tenant_id=principal.tenant_id, access_point_id=access_point_id
                )
                if point is None or point.site_id != device.site_id:
                    raise ValidationFailed(
                        "no such access point at the device's site", field="access_point_id"
                    )
            uow.access_rules.bind_device(
                tenant_id=device.tenant_id, device_id=device.id, access_point_id=access_point_id
            )
            record = rule_change(
                principal,
                "device.access_point_bound",
                f"device:{device.id}",
                access_point_id=access_point_id or "",
            )
            rules_changed(uow, principal, record)
            return replace(device, access_point_id=access_point_id)

    # -- the rule set -------------------------------------------------------------------

    def rules_in(self, uow: UnitOfWork, tenant_id: str) -> RuleSet:
        """Every access rule of the tenant as domain objects, inside the caller's unit of
        work. Built once per ``rules_version`` and process, not once per arrival."""
        return self._rules.rules_in(uow, tenant_id)

    def rules(self, principal: Principal) -> RuleSet:
        """:meth:`rules_in` in a read of its own."""
        with self._tx.read() as uow:
            return self.rules_in(uow, principal.tenant_id)

    @property
    def rule_set_builds(self) -> int:
        """How often this process built a tenant's rule set (the cache's misses)."""
        return self._rules.builds
