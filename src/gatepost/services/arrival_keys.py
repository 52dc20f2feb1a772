"""A device's idempotency key on an arrival: one message, stored once, answered alike.

A device names every arrival it sends with its own idempotency key and sends it again,
under the same key, when no answer came (docs/devices.md). The arrival pipeline stores
one access event per (device, key), with a keyed *digest* of what the message said, and
answers a later message under that key from the stored event:

- the same message again (same digest) is a redelivery: the stored decision, marked
  ``duplicate``, with no second recognition, no second event, read or frame;
- another message under the key (another digest) is refused: :class:`ReusedKey`.

The digest is an HMAC with the tenant's blind-index key (a card number or PIN is never
hashed without a key) over what the message says, not over its bytes, so it does not
depend on the transport or on how the JSON was written: a card, PIN or QR arrival's
kind, value and ``device_time``; a face or plate frame's kind, the SHA-256 of the frame
and its ``device_time`` when the device sent one (MQTT does, HTTPS does not).

A face event stored under a key also keeps the recognition's summary (outcome, reason,
distance, threshold, gallery size, FPIR, faces found: numbers and codes, no template and
no image), so that an HTTPS redelivery is answered as the first delivery was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import Decision, Outcome, Reason
from gatepost.domain.events import Event
from gatepost.domain.faces import FaceDecision
from gatepost.domain.faces import Outcome as FaceOutcome
from gatepost.errors import Conflict
from gatepost.security.crypto import TenantKeys
from gatepost.services.recognition import Recognition

__all__ = [
    "FrameKey",
    "ReusedKey",
    "earlier_decision",
    "frame_digest",
    "recognition_data",
    "stored_recognition",
    "value_digest",
]

_PURPOSE = "arrival-body"


class ReusedKey(Conflict):
    """A device sent another message under an idempotency key it used before."""

    code = "reused_key"

    def __init__(self) -> None:
        super().__init__("this idempotency key was used for another message")


@dataclass(frozen=True)
class FrameKey:
    """A device's idempotency key for a face or plate frame, and the ``device_time`` it
    sent with it (None over HTTPS, where a frame carries no time)."""

    idempotency_key: str
    device_time: datetime | None = None


def _keyed(keys: TenantKeys, body: str) -> str:
    return keys.blind_index(body, purpose=_PURPOSE).hex()[:32]


def value_digest(
    keys: TenantKeys, kind: ArrivalKind, value: str | None, device_time: datetime
) -> str:
    """The digest of a card, PIN, QR or exit-button arrival (see the module doc)."""
    return _keyed(keys, f"{kind.value}|{value or ''}|{device_time.isoformat()}")


def frame_digest(keys: TenantKeys, kind: ArrivalKind, frame: bytes, key: FrameKey) -> str:
    """The digest of a face or plate frame sent under ``key`` (see the module doc)."""
    moment = key.device_time.isoformat() if key.device_time is not None else ""
    return _keyed(keys, f"{kind.value}|{hashlib.sha256(frame).hexdigest()}|{moment}")


def earlier_decision(event: Event, digest: str) -> Decision:
    """The decision stored for the message the device sent before under this key;
    ReusedKey when that message said something else."""
    if event.data.get("digest") != digest:
        raise ReusedKey()
    reasons = tuple(Reason(r) for r in str(event.data["reasons"]).split(","))
    return Decision(Outcome(str(event.data["outcome"])), reasons, person_id=event.person_id)


def recognition_data(recognition: Recognition) -> dict[str, Any]:
    """What a keyed face event keeps of its recognition (see the module doc)."""
    decision = recognition.decision
    return {
        "recognition": {
            "outcome": decision.outcome.value,
            "reason": decision.reason,
            "distance": decision.distance,
            "threshold": decision.threshold,
            "gallery_size": decision.gallery_size,
            "fpir": decision.fpir,
            "faces_found": recognition.faces_found,
        }
    }


def stored_recognition(event: Event) -> Recognition:
    """The recognition a keyed face event was decided on, as far as it was kept (the
    face's box and the candidates are not: a device is shown no candidates anyway)."""
    kept = event.data.get("recognition")
    if not isinstance(kept, dict):  # pragma: no cover - every keyed face event keeps it
        kept = {}
    distance = kept.get("distance")
    decision = FaceDecision(
        outcome=FaceOutcome(str(kept.get("outcome", FaceOutcome.NO_MATCH.value))),
        distance=float(distance) if isinstance(distance, int | float) else None,
        threshold=float(kept.get("threshold", 0.0)),
        gallery_size=int(kept.get("gallery_size", 0)),
        fpir=float(kept.get("fpir", 0.0)),
        reason=str(kept.get("reason", "")),
    )
    return Recognition(
        face=None,
        faces_found=int(kept.get("faces_found", 1)),
        candidates=[],
        decision=decision,
        person_id=event.person_id if decision.outcome is not FaceOutcome.NO_MATCH else None,
    )
