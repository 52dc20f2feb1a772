"""The devices as the MQTT gateway sees them: principal and MAC key, cached briefly.

The gateway looks a device up by the ids its topic names (the broker has authenticated
the device for that topic) on every message, so the answer is kept per process for a
short time (``ttl``): a revoked device is refused by the broker at once and by the
gateway within ``ttl``. Unknown and revoked devices, and devices without MQTT secrets,
are cached as None too, so a flood of messages for them costs one read per ``ttl``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from gatepost.domain.arrivals import ArrivalKind
from gatepost.errors import NotFound
from gatepost.ingest.messages import CardMessage, ExitButtonMessage, PinMessage, QrMessage
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.devices import DeviceService

__all__ = ["DeviceDirectory", "GatewayDevice", "arrival_value"]

_MAX_CACHED = 10_000


@dataclass(frozen=True, repr=False)
class GatewayDevice:
    """A device as the gateway needs it: its principal (tenant, site, access point) and
    its MAC key."""

    principal: Principal
    mac_key: bytes

    def __repr__(self) -> str:
        return f"GatewayDevice(id={self.principal.id})"


class DeviceDirectory:
    """Devices by (tenant, device id), from :class:`DeviceService`, cached for ``ttl``."""

    def __init__(self, devices: DeviceService, *, ttl: timedelta) -> None:
        self._devices = devices
        self._ttl = ttl.total_seconds()
        self._lock = threading.Lock()
        self._cached: dict[tuple[str, str], tuple[float, GatewayDevice | None]] = {}

    def get(self, tenant_id: str, device_id: str) -> GatewayDevice | None:
        """The device with its key; None when it is unknown, revoked, or has no MQTT
        secrets (a device registered before MQTT, whose credential was not rotated)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cached.get((tenant_id, device_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self._load(tenant_id, device_id)
        with self._lock:
            if len(self._cached) >= _MAX_CACHED:
                self._cached.clear()
            self._cached[(tenant_id, device_id)] = (now + self._ttl, found)
        return found

    def mac_key(self, tenant_id: str, device_id: str) -> bytes | None:
        found = self.get(tenant_id, device_id)
        return found.mac_key if found else None

    def _load(self, tenant_id: str, device_id: str) -> GatewayDevice | None:
        key = self._devices.mac_key(tenant_id=tenant_id, device_id=device_id)
        if key is None:
            return None
        itself = Principal(
            kind=PrincipalKind.DEVICE, id=device_id, tenant_id=tenant_id, role=Role.DEVICE, name=""
        )
        try:
            record = self._devices.get(itself, device_id)
        except NotFound:
            return None
        if record.revoked:
            return None
        principal = Principal(
            kind=PrincipalKind.DEVICE,
            id=record.id,
            tenant_id=record.tenant_id,
            role=Role.DEVICE,
            name=record.name,
            site_id=record.site_id,
            access_point_id=record.access_point_id,
        )
        return GatewayDevice(principal, key)


def arrival_value(
    message: CardMessage | PinMessage | QrMessage | ExitButtonMessage,
) -> tuple[ArrivalKind, str | None]:
    """The pipeline's arrival kind and value of a card, PIN, QR or exit-button message."""
    if isinstance(message, CardMessage):
        return ArrivalKind.CARD, message.card
    if isinstance(message, PinMessage):
        return ArrivalKind.PIN, message.pin
    if isinstance(message, QrMessage):
        return ArrivalKind.QR, message.qr
    return ArrivalKind.EXIT_BUTTON, None
