"""DeviceService: registering devices, rotating and revoking their credentials.

A device credential is a bearer token scoped to exactly one device (SECURITY.md 20):
only its SHA-256 is stored, it is shown once at registration or rotation, and a
revoked device is refused at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gatepost.domain.devices import DeviceKind, DeviceRole, Direction
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.security.tokens import TokenKind, hash_token, issue_token
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import devices as device_repo
from gatepost.store.repositories import sites as site_repo
from gatepost.store.tables import Device

__all__ = ["DeviceDraft", "DeviceService", "IssuedDevice"]


@dataclass(frozen=True)
class DeviceDraft:
    site_id: str
    name: str
    kind: str
    direction: str = Direction.IN.value
    zone: str = "main"
    roles: tuple[str, ...] = (DeviceRole.ACCESS_POINT.value,)


@dataclass(frozen=True, repr=False)
class IssuedDevice:
    device: Device
    credential: str

    def __repr__(self) -> str:
        return f"IssuedDevice(id={self.device.id})"


def _validated(draft: DeviceDraft) -> DeviceDraft:
    name, zone = draft.name.strip(), draft.zone.strip()
    if not 1 <= len(name) <= 120:
        raise ValidationFailed("name must have 1-120 characters", field="name")
    if not 1 <= len(zone) <= 80:
        raise ValidationFailed("zone must have 1-80 characters", field="zone")
    for enum, value, field in (
        (DeviceKind, draft.kind, "kind"),
        (Direction, draft.direction, "direction"),
    ):
        if value not in {m.value for m in enum}:
            allowed = ", ".join(m.value for m in enum)
            raise ValidationFailed(f"{field} must be one of: {allowed}", field=field)
    allowed_roles = {r.value for r in DeviceRole}
    if not draft.roles or any(role not in allowed_roles for role in draft.roles):
        raise ValidationFailed(
            f"roles must be a non-empty list of: {', '.join(sorted(allowed_roles))}", field="roles"
        )
    return DeviceDraft(
        site_id=draft.site_id,
        name=name,
        kind=draft.kind,
        direction=draft.direction,
        zone=zone,
        roles=tuple(sorted(set(draft.roles))),
    )


class DeviceService:
    def __init__(self, *, db: Database, clock: Clock, audit: AuditService) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def register(self, principal: Principal, draft: DeviceDraft) -> IssuedDevice:
        draft = _validated(draft)
        now = self._clock.now()
        with self._db.session() as session:
            if (
                site_repo.get_site(session, tenant_id=principal.tenant_id, site_id=draft.site_id)
                is None
            ):
                raise ValidationFailed("no such site", field="site_id")
            if device_repo.by_name(
                session, tenant_id=principal.tenant_id, site_id=draft.site_id, name=draft.name
            ):
                raise Conflict("this site already has a device with this name")
            device_id = new_id()
            credential = issue_token(TokenKind.DEVICE, principal.tenant_id)
            device = Device(
                tenant_id=principal.tenant_id,
                id=device_id,
                site_id=draft.site_id,
                name=draft.name,
                kind=draft.kind,
                direction=draft.direction,
                zone=draft.zone,
                roles=list(draft.roles),
                credential_hash=hash_token(credential),
                credential_rotated_at=now,
                revoked_at=None,
                created_at=now,
                last_seen_at=None,
            )
            device_repo.add_device(session, device)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="device.registered", target=f"device:{device.id}"
                ),
            )
        return IssuedDevice(device=device, credential=credential)

    def get(self, principal: Principal, device_id: str) -> Device:
        with self._db.session() as session:
            device = _device(session, principal, device_id)
        return device

    def list(
        self, principal: Principal, *, limit: int, after: str | None, site_id: str | None = None
    ) -> Page[Device]:
        with self._db.session() as session:
            rows = device_repo.list_devices(
                session,
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                after=after,
                site_id=site_id,
            )
        return page_by_id(rows, limit)

    def count(self, principal: Principal) -> int:
        with self._db.session() as session:
            return device_repo.count_devices(session, tenant_id=principal.tenant_id)

    def rotate_credential(self, principal: Principal, device_id: str) -> IssuedDevice:
        now = self._clock.now()
        with self._db.session() as session:
            device = _device(session, principal, device_id)
            if device.revoked_at is not None:
                raise Conflict("a revoked device cannot get a new credential; register it again")
            credential = issue_token(TokenKind.DEVICE, principal.tenant_id)
            device.credential_hash = hash_token(credential)
            device.credential_rotated_at = now
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="device.credential_rotated",
                    target=f"device:{device.id}",
                ),
            )
        return IssuedDevice(device=device, credential=credential)

    def revoke(self, principal: Principal, device_id: str) -> Device:
        with self._db.session() as session:
            device = _device(session, principal, device_id)
            if device.revoked_at is None:
                device.revoked_at = self._clock.now()
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="device.revoked", target=f"device:{device.id}"
                ),
            )
        return device


def _device(session: Session, principal: Principal, device_id: str) -> Device:
    """The device in the caller's tenant, or NotFound (never another tenant's)."""
    device = device_repo.get_device(session, tenant_id=principal.tenant_id, device_id=device_id)
    if device is None:
        raise NotFound("device")
    return device
