"""What a simulated device says and counts: arrivals, their payloads, acks, reports, stats.

Owns the device-side message shapes of docs/devices.md (:func:`arrival_payload`,
:func:`ack_payload`), the device's identity as registration showed it
(:class:`DeviceIdentity`), what it counted (:class:`DeviceStats`) and the one-line
account of each thing that happened to it (:class:`Report`), which ``gatepost device
simulate`` prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from gatepost.ingest.topics import Channel, device_topic

__all__ = [
    "ARRIVAL_KINDS",
    "Arrival",
    "DeviceIdentity",
    "DeviceStats",
    "Report",
    "ack_payload",
    "arrival_payload",
    "rfc3339",
]

ARRIVAL_KINDS: Final = ("card", "pin", "qr", "exit_button", "face", "plate")
_VALUE_FIELD: Final = {"card": "card", "pin": "pin", "qr": "qr"}
_FRAME_KINDS: Final = frozenset({"face", "plate"})


@dataclass(frozen=True, repr=False)
class DeviceIdentity:
    """What registration showed for one device (its secrets are never in a repr)."""

    tenant_id: str
    device_id: str
    mqtt_username: str
    mqtt_password: str
    mac_key: bytes
    credential: str = ""
    """The HTTPS bearer credential (only :class:`HttpsDevice` needs it)."""

    def __repr__(self) -> str:
        return f"DeviceIdentity(device_id={self.device_id})"

    def topic(self, channel: Channel) -> str:
        return device_topic(self.tenant_id, self.device_id, channel)


@dataclass(frozen=True, repr=False)
class Arrival:
    """What the device saw: a kind and its value (card number, PIN, QR text) or frame."""

    kind: str
    value: str | None = None
    frame: bytes | None = None

    def __post_init__(self) -> None:
        if self.kind not in ARRIVAL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(ARRIVAL_KINDS)}")
        if (self.kind in _VALUE_FIELD) != (self.value is not None):
            raise ValueError("card, pin and qr carry a value; other kinds none")
        if (self.kind in _FRAME_KINDS) != (self.frame is not None):
            raise ValueError("face and plate carry a frame; other kinds none")

    def __repr__(self) -> str:
        return f"Arrival(kind={self.kind})"


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC, milliseconds, with a ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def arrival_payload(arrival: Arrival, *, key: str, device_time: datetime) -> bytes:
    """The exact payload bytes of an arrival message (compact JSON)."""
    body: dict[str, Any] = {
        "v": 1,
        "device_time": rfc3339(device_time),
        "idempotency_key": key,
        "kind": arrival.kind,
    }
    if arrival.value is not None:
        body[_VALUE_FIELD[arrival.kind]] = arrival.value
    if arrival.frame is not None:
        body["frame"] = base64.b64encode(arrival.frame).decode("ascii")
    return json.dumps(body, separators=(",", ":")).encode()


def ack_payload(command_id: str, *, done: bool, device_time: datetime) -> bytes:
    """An acknowledgement of ``command_id``: ``done`` (carried out) or ``failed``. Its
    key is derived from the command id, so every ack of one command has one key."""
    body = {
        "v": 1,
        "device_time": rfc3339(device_time),
        "idempotency_key": f"ack-{hashlib.sha256(command_id.encode()).hexdigest()[:32]}",
        "kind": "ack",
        "command_id": command_id,
        "result": "done" if done else "failed",
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Report:
    """One thing that happened to a device, as ``gatepost device simulate`` prints it.

    ``what`` is one of: ``decision`` (an arrival's answer: its command, display text and
    latency), ``command`` (a command with no arrival waiting: remote open, lockdown,
    release), ``refused`` (an arrival refused, with the reason), ``ack`` (an
    acknowledgement sent), ``buffered`` (an arrival kept while the broker or server is
    unreachable), ``replayed`` (sent again after a reconnect), ``resent`` (sent again
    because no answer came in time), ``dropped`` (the oldest buffered arrival, to make
    room), ``expired`` (buffered longer than the server's backlog accepts),
    ``unanswered`` (a frame still unanswered after its last send: one with nobody in it
    decides nothing), ``state`` (the door state of the device's state topic, taken or
    not: ``action`` says), ``connected``, ``disconnected``.
    """

    what: str
    key: str | None = None
    arrival: str | None = None
    command: str | None = None
    command_id: str | None = None
    display: str | None = None
    action: str | None = None
    latency_ms: float | None = None
    reason: str | None = None
    detail: str | None = None
    duplicate: bool = False

    def as_json(self) -> dict[str, Any]:
        """The fields that are set (``duplicate`` only when true)."""
        body = {k: v for k, v in asdict(self).items() if v is not None}
        if not self.duplicate:
            body.pop("duplicate")
        if self.latency_ms is not None:
            body["latency_ms"] = round(self.latency_ms, 3)
        return body


@dataclass
class DeviceStats:
    """What one device counted. Latencies are milliseconds, one per answered arrival."""

    sent: int = 0
    answered: int = 0
    """Arrivals that got their command (MQTT) or decision (HTTPS)."""
    refused: Counter[str] = field(default_factory=Counter)
    """Arrivals refused on the errors topic (or with a 4xx), per reason."""
    duplicate_commands: int = 0
    """Copies of a command id received after the first (retries, redeliveries)."""
    unmatched_commands: int = 0
    """Commands with no arrival waiting for one (remote open, lockdown, release)."""
    forged_commands: int = 0
    """Commands whose mac did not match: never obeyed."""
    door_states: int = 0
    """Signed door states taken from the state topic (on every connect, and each time
    gatepost sets one)."""
    forged_states: int = 0
    """Door states whose mac did not match: ignored."""
    failed: int = 0
    """Sends that could not be handed to the transport (or HTTP errors)."""
    buffered: int = 0
    """Arrivals kept because the broker or server was unreachable when they happened."""
    replayed: int = 0
    """Sends of a buffered or unanswered arrival after a reconnect."""
    resent: int = 0
    """Sends of an arrival again because no answer came within the resend timeout."""
    dropped: int = 0
    """Buffered arrivals dropped (the oldest first) because the buffer was full."""
    expired: int = 0
    """Buffered arrivals dropped because they are older than the server's backlog."""
    given_up: int = 0
    """Frames given up: no answer after their last send (nobody in the frame)."""
    latencies_ms: list[float] = field(default_factory=list)
    max_lag_ms: float = 0.0
    """How late the worst send left after its scheduled time."""

    def merge(self, other: DeviceStats) -> None:
        self.sent += other.sent
        self.answered += other.answered
        self.refused.update(other.refused)
        self.duplicate_commands += other.duplicate_commands
        self.unmatched_commands += other.unmatched_commands
        self.forged_commands += other.forged_commands
        self.door_states += other.door_states
        self.forged_states += other.forged_states
        self.failed += other.failed
        self.buffered += other.buffered
        self.replayed += other.replayed
        self.resent += other.resent
        self.dropped += other.dropped
        self.expired += other.expired
        self.given_up += other.given_up
        self.latencies_ms.extend(other.latencies_ms)
        self.max_lag_ms = max(self.max_lag_ms, other.max_lag_ms)

    def summary(self) -> dict[str, Any]:
        """The counts (not the latencies), for a closing line."""
        return {
            "sent": self.sent,
            "answered": self.answered,
            "refused": dict(self.refused),
            "duplicate_commands": self.duplicate_commands,
            "unmatched_commands": self.unmatched_commands,
            "forged_commands": self.forged_commands,
            "door_states": self.door_states,
            "forged_states": self.forged_states,
            "buffered": self.buffered,
            "replayed": self.replayed,
            "resent": self.resent,
            "dropped": self.dropped,
            "expired": self.expired,
            "given_up": self.given_up,
        }
