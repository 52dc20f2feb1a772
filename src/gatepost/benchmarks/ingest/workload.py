"""The events the benchmark sends: a gate's kind mix, drafts, and API request bodies.

Owns what is written, not how: deterministic :class:`EventDraft` lists with unique
idempotency keys (the same shape for the baseline, the service and the API runs),
their split into batches, and their JSON bodies for the device events endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gatepost.domain.devices import EventKind
from gatepost.services.events import EventDraft

__all__ = ["chunks", "event_bodies", "make_drafts"]

# A gate's day: mostly grants and card reads, some door cycles, few denials and alarms.
_KIND_MIX: tuple[tuple[EventKind, int], ...] = (
    (EventKind.ACCESS_GRANTED, 52),
    (EventKind.CARD_PRESENTED, 15),
    (EventKind.DOOR_OPENED, 15),
    (EventKind.ACCESS_DENIED, 8),
    (EventKind.FACE_CAPTURED, 4),
    (EventKind.PLATE_READ, 3),
    (EventKind.DOOR_HELD, 2),
    (EventKind.DEVICE_ONLINE, 1),
)
_KIND_CYCLE: tuple[str, ...] = tuple(k.value for k, weight in _KIND_MIX for _ in range(weight))
_WITH_PERSON = {EventKind.ACCESS_GRANTED.value, EventKind.FACE_CAPTURED.value}
_DENIAL_REASONS = ("expired", "outside_schedule", "unknown_card", "anti_passback")


def make_drafts(
    prefix: str, count: int, *, now: datetime, person_ids: Sequence[str]
) -> list[EventDraft]:
    """``count`` events with unique keys, a realistic kind mix and small data dicts."""
    drafts = []
    for i in range(count):
        kind = _KIND_CYCLE[(i * 37) % len(_KIND_CYCLE)]
        data: dict[str, Any] = {
            "reader": i % 4,
            "door": f"D{i % 3 + 1}",
            "direction": "in" if i % 2 else "out",
            "credential": "face" if kind == EventKind.FACE_CAPTURED.value else "card",
            "latency_ms": (i * 7) % 90 + 5,
        }
        if kind == EventKind.ACCESS_DENIED.value:
            data["reason"] = _DENIAL_REASONS[i % len(_DENIAL_REASONS)]
        if kind == EventKind.FACE_CAPTURED.value:
            data["score"] = round(0.80 + (i % 19) / 100, 2)
        drafts.append(
            EventDraft(
                idempotency_key=f"{prefix}-{i:08d}",
                kind=kind,
                # spread over the last hours, well inside the offline-backlog window
                occurred_at=now - timedelta(milliseconds=(count - i) * 250),
                person_id=person_ids[i % len(person_ids)] if kind in _WITH_PERSON else None,
                data=data,
            )
        )
    return drafts


def chunks(drafts: Sequence[EventDraft], size: int) -> list[Sequence[EventDraft]]:
    """``drafts`` cut into consecutive batches of at most ``size``."""
    return [drafts[i : i + size] for i in range(0, len(drafts), size)]


def event_bodies(count: int, person_ids: Sequence[str]) -> list[bytes]:
    """``count`` single-event JSON bodies for ``POST /api/v1/device/events``."""
    now = datetime.now(UTC)
    drafts = make_drafts("api", count, now=now, person_ids=person_ids)
    return [
        json.dumps(
            {
                "events": [
                    {
                        "idempotency_key": d.idempotency_key,
                        "kind": d.kind,
                        "occurred_at": d.occurred_at.isoformat(),
                        "person_id": d.person_id,
                        "data": d.data,
                    }
                ]
            }
        ).encode()
        for d in drafts
    ]
