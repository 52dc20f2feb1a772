"""Verifying one device message: pure, no I/O, no clock reads (the caller passes ``now``).

A device message is the exact payload bytes of an MQTT PUBLISH (a UTF-8 JSON object, see
:mod:`gatepost.ingest.messages`) and one MQTT 5 user property ``mac``: the lowercase hex
HMAC-SHA256 over ``topic + "\\n" + payload`` with the device's MAC key
(:func:`gatepost.security.device_mqtt.message_mac`).

:func:`verify` checks, in this order, and refuses with the first reason that applies:

==============  ==========================================================================
reason          when
==============  ==========================================================================
oversized       the payload is longer than ``max_payload_bytes``
forged          no ``mac`` (or more than one), or it is not the MAC of this topic and
                payload with the device's key: any changed byte of either is caught here
wrong_topic     the topic is not the authenticated device's events or acks topic, or the
                kind does not belong on it (an ack on events, an arrival on acks)
malformed       not UTF-8 JSON, not an object, a field missing, extra, of the wrong type
                or out of bounds, ``v`` other than 1
unknown_kind    ``kind`` names no message kind
stale           ``device_time`` is further in the future than the tolerated clock skew
                or older than the accepted offline backlog (``domain.devices``' rule)
==============  ==========================================================================

The MAC is checked before anything in the payload is parsed, so nothing an outsider
sends reaches the JSON parser. A refusal never quotes the payload (it may hold a card
number or a PIN): ``detail`` names the field and the rule.

Replays: the same idempotency key from the same device again is not a refusal here: the
events table stores one row per (tenant, device, idempotency key) (SECURITY.md 33), so a
redelivered message, a frame as much as a card, is stored once and answered with the
first decision. The other case, *the same key with a different message*, is the arrival
pipeline's to tell (:mod:`gatepost.services.arrival_keys`): it keeps a keyed digest of
what the message said with its event, the same whatever the transport, and the gateway
refuses a message under a stored key with another digest (reason ``reused_key``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import ValidationError

from gatepost.domain.devices import clock_problem
from gatepost.ingest.messages import AckMessage, ArrivalMessage, channel_of, device_messages
from gatepost.ingest.topics import DeviceTopic, TopicRefused, parse_inbound
from gatepost.security.device_mqtt import message_mac

__all__ = [
    "EnvelopeRules",
    "MAC_PROPERTY",
    "Refusal",
    "RefusalReason",
    "Sender",
    "Verified",
    "mac_property",
    "verify",
]

MAC_PROPERTY = "mac"
"""The MQTT 5 user property that carries the message's MAC."""

_MAC = re.compile(r"^[0-9a-fA-F]{64}$")
_MESSAGES = device_messages()


class RefusalReason(StrEnum):
    OVERSIZED = "oversized"
    FORGED = "forged"
    WRONG_TOPIC = "wrong_topic"
    MALFORMED = "malformed"
    UNKNOWN_KIND = "unknown_kind"
    STALE = "stale"
    REUSED_KEY = "reused_key"
    """Decided by the gateway, not by :func:`verify`: an idempotency key this device
    already used, with a different payload."""


@dataclass(frozen=True)
class EnvelopeRules:
    """The limits a message must keep (from settings: ``mqtt.max_payload_bytes``,
    ``security.device_clock_skew_seconds``, ``security.device_backlog_days``)."""

    max_payload_bytes: int
    max_skew: timedelta
    max_backlog: timedelta


@dataclass(frozen=True, repr=False)
class Sender:
    """The device the broker authenticated, with its MAC key."""

    tenant_id: str
    device_id: str
    mac_key: bytes

    def __repr__(self) -> str:
        return f"Sender(tenant_id={self.tenant_id}, device_id={self.device_id})"


@dataclass(frozen=True)
class Verified:
    """A message that passed every check."""

    topic: DeviceTopic
    message: ArrivalMessage | AckMessage

    @property
    def idempotency_key(self) -> str:
        return self.message.idempotency_key

    @property
    def device_time(self) -> datetime:
        return self.message.device_time


@dataclass(frozen=True)
class Refusal:
    """Why a message was refused; ``idempotency_key`` once the payload was readable."""

    reason: RefusalReason
    detail: str
    idempotency_key: str | None = None


def mac_property(user_properties: Iterable[tuple[str, str]]) -> str | None:
    """The one ``mac`` user property's value; None if there is none or more than one."""
    values = [value for name, value in user_properties if name == MAC_PROPERTY]
    return values[0] if len(values) == 1 else None


def _mac_matches(sender: Sender, topic: str, payload: bytes, mac: str | None) -> bool:
    if mac is None or not _MAC.fullmatch(mac):
        return False
    try:
        expected = message_mac(sender.mac_key, topic, payload)
    except UnicodeEncodeError:  # a topic no device could have signed (lone surrogates)
        return False
    return hmac.compare_digest(expected, mac.lower())


def _validation_refusal(exc: ValidationError) -> Refusal:
    """A refusal naming the first failed field and rule, never the value sent."""
    error = exc.errors(include_url=False, include_input=False)[0]
    if error["type"] == "union_tag_invalid":
        return Refusal(RefusalReason.UNKNOWN_KIND, "kind names no message kind")
    if error["type"] == "union_tag_not_found":
        return Refusal(RefusalReason.MALFORMED, "kind: field required")
    if error["type"] in {"json_invalid", "json_type", "dict_type", "model_type"}:
        return Refusal(RefusalReason.MALFORMED, "the payload must be a UTF-8 JSON object")
    field = ".".join(str(part) for part in error["loc"][1:]) or "payload"
    return Refusal(RefusalReason.MALFORMED, f"{field}: {error['msg']}")


def verify(
    *,
    topic: str,
    payload: bytes,
    mac: str | None,
    sender: Sender,
    now: datetime,
    rules: EnvelopeRules,
) -> Verified | Refusal:
    """The verified message, or the first reason to refuse it (see the module doc)."""
    if len(payload) > rules.max_payload_bytes:
        return Refusal(
            RefusalReason.OVERSIZED, f"the payload is larger than {rules.max_payload_bytes} bytes"
        )
    if not _mac_matches(sender, topic, payload, mac):
        return Refusal(RefusalReason.FORGED, "the mac does not match the topic and payload")
    try:
        where = parse_inbound(topic)
    except TopicRefused as exc:
        return Refusal(RefusalReason.WRONG_TOPIC, exc.reason)
    if (where.tenant_id, where.device_id) != (sender.tenant_id, sender.device_id):
        return Refusal(RefusalReason.WRONG_TOPIC, "the topic names another device")
    try:
        message = _MESSAGES.validate_json(payload)
    except ValidationError as exc:
        return _validation_refusal(exc)
    key = message.idempotency_key
    if channel_of(message) is not where.channel:
        detail = f"a {message.kind} message belongs on the {channel_of(message).value} topic"
        return Refusal(RefusalReason.WRONG_TOPIC, detail, key)
    problem = clock_problem(
        occurred_at=message.device_time,
        now=now,
        max_skew=rules.max_skew,
        max_backlog=rules.max_backlog,
    )
    if problem is not None:
        return Refusal(RefusalReason.STALE, f"device_time: {problem}", key)
    return Verified(topic=where, message=message)
