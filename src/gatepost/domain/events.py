"""Events: what happened at a device, as stored (append-only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatepost.domain.devices import EventKind

__all__ = ["Event"]


@dataclass(frozen=True)
class Event:
    """One stored event of a device. ``data`` holds codes and numbers, never personal
    data; ``idempotency_key`` is the device's own key (stored once per device)."""

    tenant_id: str
    id: str
    site_id: str
    device_id: str
    kind: EventKind
    occurred_at: datetime
    received_at: datetime
    idempotency_key: str
    person_id: str | None = None
    snapshot_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
