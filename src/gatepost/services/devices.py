"""DeviceService: registering devices, rotating and revoking their credentials.

A device credential is a bearer token scoped to exactly one device (SECURITY.md 20):
only its SHA-256 is stored, it is shown once at registration or rotation, and a
revoked device is refused at once.

Beside it each device gets its MQTT secrets (``security.device_mqtt``): a broker
password, stored only as its Mosquitto hash, and a MAC key for signing messages, sealed
with the tenant's data key. All three are issued together and shown once. After a
registration, rotation or revocation has committed, the broker's accounts are refreshed
(:mod:`gatepost.services.broker_accounts`), so a revoked device is refused by the broker
as well, and its retained door state (``services.commands.DeviceStateSink``, the MQTT
gateway's outbox) is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatepost.domain.devices import Device, DeviceKind, DeviceRole, Direction
from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.device_mqtt import (
    MqttSecrets,
    broker_username,
    encode_key,
    issue_mqtt_secrets,
    mosquitto_hash,
)
from gatepost.security.policy import Principal
from gatepost.security.tokens import TokenKind, hash_token, issue_token
from gatepost.services.audit import AuditRecord
from gatepost.services.broker_accounts import (
    Account,
    BrokerAccountSink,
    NullBrokerAccounts,
    all_accounts,
)
from gatepost.services.commands import DeviceStateSink
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["DeviceDraft", "DeviceService", "IssuedDevice"]


@dataclass(frozen=True)
class DeviceDraft:
    site_id: str
    name: str
    kind: str
    direction: str = Direction.IN.value
    zone: str = "main"
    roles: tuple[str, ...] = (DeviceRole.ACCESS_POINT.value,)


_TABLE, _MAC_COLUMN = "devices", "mac_key"


@dataclass(frozen=True, repr=False)
class IssuedDevice:
    """A device with its new secrets, shown once: the HTTPS bearer ``credential``, the
    broker account (``mqtt_username``, ``mqtt_password``) and the ``mac_key`` (base64url)."""

    device: Device
    credential: str
    mqtt_username: str
    mqtt_password: str
    mac_key: str

    def __repr__(self) -> str:
        return f"IssuedDevice(id={self.device.id})"


def _issued(device: Device, credential: str, mqtt: MqttSecrets) -> IssuedDevice:
    return IssuedDevice(
        device=device,
        credential=credential,
        mqtt_username=broker_username(device.tenant_id, device.id),
        mqtt_password=mqtt.password,
        mac_key=encode_key(mqtt.mac_key),
    )


def _sealed_mac_key(keys: TenantKeys, mqtt: MqttSecrets, device_id: str) -> bytes:
    return keys.seal(mqtt.mac_key, table=_TABLE, column=_MAC_COLUMN, row_id=device_id)


def _validated(draft: DeviceDraft) -> DeviceDraft:
    name, zone = draft.name.strip(), draft.zone.strip()
    if not 1 <= len(name) <= 120:
        raise ValidationFailed("name must have 1-120 characters", field="name")
    if not 1 <= len(zone) <= 80:
        raise ValidationFailed("zone must have 1-80 characters", field="zone")
    visible_name(name)
    visible_name(zone, field="zone")
    for enum, value, field in (
        (DeviceKind, draft.kind, "kind"),
        (Direction, draft.direction, "direction"),
    ):
        if value not in {m.value for m in enum}:
            allowed = ", ".join(m.value for m in enum)
            raise ValidationFailed(
                "%(field)s must be one of: %(allowed)s",
                field=field,
                params={"field": field, "allowed": allowed},
            )
    allowed_roles = {r.value for r in DeviceRole}
    if not draft.roles or any(role not in allowed_roles for role in draft.roles):
        raise ValidationFailed(
            "roles must be a non-empty list of: %(allowed)s",
            field="roles",
            params={"allowed": ", ".join(sorted(allowed_roles))},
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
    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        broker: BrokerAccountSink | None = None,
        states: DeviceStateSink | None = None,
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._broker = broker or NullBrokerAccounts()
        self._states = states

    def register(self, principal: Principal, draft: DeviceDraft) -> IssuedDevice:
        draft = _validated(draft)
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            if uow.sites.get(tenant_id=tenant_id, site_id=draft.site_id) is None:
                raise ValidationFailed("no such site", field="site_id")
            if uow.devices.by_name(tenant_id=tenant_id, site_id=draft.site_id, name=draft.name):
                raise Conflict("this site already has a device with this name")
            credential = issue_token(TokenKind.DEVICE, tenant_id)
            mqtt = issue_mqtt_secrets()
            device = Device(
                tenant_id=tenant_id,
                id=new_id(),
                site_id=draft.site_id,
                name=draft.name,
                kind=DeviceKind(draft.kind),
                direction=Direction(draft.direction),
                zone=draft.zone,
                roles=tuple(DeviceRole(r) for r in draft.roles),
                created_at=now,
                credential_rotated_at=now,
            )
            uow.devices.add(
                device,
                credential_hash=hash_token(credential),
                mqtt_password_hash=mosquitto_hash(mqtt.password),
                mac_key_sealed=_sealed_mac_key(uow.keys(tenant_id), mqtt, device.id),
            )
            uow.audit(tenant_id, _audited(principal, "device.registered", device.id))
            uow.after_commit(self.sync_broker_accounts)
        return _issued(device, credential, mqtt)

    def get(self, principal: Principal, device_id: str) -> Device:
        with self._tx.read() as uow:
            return _device(uow, principal, device_id)

    def list(
        self, principal: Principal, *, limit: int, after: str | None, site_id: str | None = None
    ) -> Page[Device]:
        with self._tx.read() as uow:
            rows = uow.devices.list(
                tenant_id=principal.tenant_id, limit=limit + 1, after=after, site_id=site_id
            )
        return page_by_id(rows, limit)

    def count(self, principal: Principal) -> int:
        with self._tx.read() as uow:
            return uow.devices.count(tenant_id=principal.tenant_id)

    def rotate_credential(self, principal: Principal, device_id: str) -> IssuedDevice:
        now = self._clock.now()
        with self._tx.write() as uow:
            device = _device(uow, principal, device_id)
            if device.revoked:
                raise Conflict("a revoked device cannot get a new credential; register it again")
            credential = issue_token(TokenKind.DEVICE, principal.tenant_id)
            mqtt = issue_mqtt_secrets()
            uow.devices.set_credential(
                tenant_id=device.tenant_id,
                device_id=device.id,
                credential_hash=hash_token(credential),
                mqtt_password_hash=mosquitto_hash(mqtt.password),
                mac_key_sealed=_sealed_mac_key(uow.keys(device.tenant_id), mqtt, device.id),
                at=now,
            )
            uow.audit(
                principal.tenant_id, _audited(principal, "device.credential_rotated", device.id)
            )
            uow.after_commit(self.sync_broker_accounts)
        return _issued(replace(device, credential_rotated_at=now), credential, mqtt)

    def revoke(self, principal: Principal, device_id: str) -> Device:
        now = self._clock.now()
        with self._tx.write() as uow:
            device = _device(uow, principal, device_id)
            if not device.revoked:
                uow.devices.revoke(tenant_id=device.tenant_id, device_id=device.id, at=now)
                device = replace(device, revoked_at=now)
            uow.audit(principal.tenant_id, _audited(principal, "device.revoked", device.id))
            uow.after_commit(self.sync_broker_accounts)
        self._clear_door_state(device)
        return device

    # -- the MQTT side (for the device gateway, not for users) -----------------------

    def mac_key(self, *, tenant_id: str, device_id: str) -> bytes | None:
        """The device's message MAC key; None for an unknown or revoked device, a device
        of a suspended tenant, or one registered before MQTT whose credential was not
        rotated since. The broker has
        authenticated the device (its topic names it); this is the key to check its MACs.
        """
        with self._tx.read() as uow:
            tenant = uow.tenants.get(tenant_id=tenant_id)
            if tenant is None or tenant.suspended:
                return None
            sealed = uow.devices.sealed_mac_key(tenant_id=tenant_id, device_id=device_id)
            if sealed is None:
                return None
            return uow.keys(tenant_id).open(
                sealed, table=_TABLE, column=_MAC_COLUMN, row_id=device_id
            )

    def broker_accounts(self) -> tuple[Account, ...]:
        """Every unrevoked device's broker account, then every notification subscriber's,
        from committed data (all tenants)."""
        with self._tx.committed() as uow:
            return all_accounts(uow)

    def sync_broker_accounts(self) -> None:
        """Bring the broker's accounts in step with the registry (after each change
        commits, and when the gateway starts)."""
        self._broker.refresh(self.broker_accounts)

    def _clear_door_state(self, device: Device) -> None:
        """Remove the revoked device's retained door state from the broker (when the
        process runs the gateway's outbox): a revoked device is owed no door mode."""
        if self._states is not None:
            self._states.clear_state(tenant_id=device.tenant_id, device_id=device.id)


def _audited(principal: Principal, action: str, device_id: str) -> AuditRecord:
    return AuditRecord(actor=principal.actor, action=action, target=f"device:{device_id}")


def _device(uow: UnitOfWork, principal: Principal, device_id: str) -> Device:
    """The device in the caller's tenant, or NotFound (never another tenant's)."""
    device = uow.devices.get(tenant_id=principal.tenant_id, device_id=device_id)
    if device is None:
        raise NotFound("device")
    return device
