"""Webhooks the Standard Webhooks way (https://www.standardwebhooks.com): signing,
verification, the retry schedule and the rules on endpoint URLs, as pure functions.

A delivery is an HTTP POST of a JSON body with three headers::

    webhook-id:        the delivery's id (the same on every retry: receivers de-duplicate on it)
    webhook-timestamp: seconds since the epoch, when this attempt was signed
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">

The key is the endpoint's secret, shown to its owner as ``whsec_<base64>``. A header
may carry several space-separated signatures (while a secret is rotated); a receiver
accepts the message when any ``v1`` one matches and the timestamp is within its
tolerance. Nothing here reads a clock or a socket: times, jitter and resolved
addresses are parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "Channel",
    "DeliveryStatus",
    "NOTIFY_PREFIX",
    "NOTIFY_USER_PREFIX",
    "NotificationSubscriber",
    "NotificationType",
    "RETRY_DELAYS",
    "SECRET_PREFIX",
    "SignatureInvalid",
    "WebhookDelivery",
    "WebhookEndpoint",
    "address_is_private",
    "decode_secret",
    "encode_secret",
    "notify_filter",
    "notify_topic",
    "private_among",
    "retry_delay",
    "sign",
    "signature_headers",
    "subscriber_username",
    "url_problem",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SIGNATURE_VERSION = "v1"

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
"""The wait before retry n (1-based: after the first failed attempt, wait 5 s)."""


class NotificationType(StrEnum):
    ACCESS_DECIDED = "access.decided"
    ALERT_RAISED = "alert.raised"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    WEBHOOK_TEST = "webhook.test"
    """Sent only to the endpoint it was asked for (``POST /webhooks/{id}/test``)."""


class Channel(StrEnum):
    WEBHOOK = "webhook"
    MQTT = "mqtt"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class SignatureInvalid(ValueError):
    """A message whose signature, timestamp or headers do not verify (``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookEndpoint:
    """A tenant's receiver; its secret stays sealed in the store (never here)."""

    tenant_id: str
    id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    """The notification types sent to it; empty: every type but ``webhook.test``."""
    enabled: bool
    created_at: datetime
    disabled_reason: str | None
    failure_streak: int

    def wants(self, kind: str) -> bool:
        return self.enabled and (not self.event_types or kind in self.event_types)


@dataclass(frozen=True)
class WebhookDelivery:
    """One notification to one endpoint (or to the MQTT notification topic)."""

    tenant_id: str
    id: str
    endpoint_id: str | None
    channel: Channel
    event_type: str
    payload: dict[str, object]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


# -- secrets and signatures -------------------------------------------------------------


def encode_secret(raw: bytes) -> str:
    """``whsec_`` and the key in standard base64 (what the owner pastes into a receiver)."""
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def decode_secret(text: str) -> bytes:
    """The key of a ``whsec_`` secret (the prefix is optional, as in the reference
    libraries); ValueError for one that is not base64."""
    body = text.removeprefix(SECRET_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is whsec_ and base64") from exc
    if not raw:
        raise ValueError("a webhook secret is not empty")
    return raw


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, msg_id, timestamp, body),
    }


def verify(
    key: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance: int = 300,
) -> None:
    """Check a received message (``headers`` with lower-case names); raises
    :class:`SignatureInvalid` naming what is wrong, returns None when it verifies."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not msg_id or not stamp or not given:
        raise SignatureInvalid("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureInvalid("webhook-timestamp is not whole seconds")
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance:
        raise SignatureInvalid("webhook-timestamp is outside the tolerance")
    expected = sign(key, msg_id, timestamp, body).encode()
    for candidate in given.split(" "):
        version, _, _ = candidate.partition(",")
        if version == SIGNATURE_VERSION and hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureInvalid("no signature matches")


# -- MQTT -----------------------------------------------------------------------------

NOTIFY_PREFIX = "gatepost-notify"


def notify_topic(tenant_id: str, kind: str) -> str:
    """``gatepost-notify/<tenant_id>/<type>``: where a tenant's notifications are
    published when MQTT is on (the gateway account writes ``gatepost-notify/#``)."""
    return f"{NOTIFY_PREFIX}/{tenant_id}/{kind}"


def notify_filter(tenant_id: str) -> str:
    """``gatepost-notify/<tenant_id>/#``: every notification topic of one tenant, the
    only thing its notification subscribers may read."""
    return f"{NOTIFY_PREFIX}/{tenant_id}/#"


NOTIFY_USER_PREFIX = "notify"


def subscriber_username(tenant_id: str, subscriber_id: str) -> str:
    """``notify.<tenant_id>.<subscriber_id>``: a notification subscriber's broker account.
    Device accounts are ``<tenant_id>.<device_id>`` (hex ids), so the two never meet."""
    return f"{NOTIFY_USER_PREFIX}.{tenant_id}.{subscriber_id}"


@dataclass(frozen=True)
class NotificationSubscriber:
    """A tenant's broker account that reads the tenant's notification topics only
    (its password is shown once; the broker keeps a hash)."""

    tenant_id: str
    id: str
    name: str
    created_at: datetime
    rotated_at: datetime | None

    @property
    def username(self) -> str:
        return subscriber_username(self.tenant_id, self.id)


# -- retries ------------------------------------------------------------------------------


def retry_delay(attempts: int, *, jitter: float, max_attempts: int) -> timedelta | None:
    """The wait after ``attempts`` failed attempts (1 after the first), or None when the
    delivery has had its ``max_attempts`` and fails. ``jitter`` in [0, 1) spreads the
    wait over +-20 % so endpoints recovering from an outage are not hit all at once."""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter is in [0, 1)")
    if attempts >= max_attempts:
        return None
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (0.8 + 0.4 * jitter)


# -- endpoint URLs ------------------------------------------------------------------------


def _parts(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return parts


def url_problem(url: str, *, allow_plain_http: bool) -> str | None:
    """Why ``url`` cannot be a webhook endpoint (None: it can, as far as its text goes;
    where it resolves to is checked with :func:`address_is_private`)."""
    if len(url) > 2000:
        return "is longer than 2000 characters"
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return "contains spaces or control characters"
    parts = _parts(url)
    if parts is None:
        return "is not a URL"
    allowed = ("https", "http") if allow_plain_http else ("https",)
    if parts.scheme not in allowed:
        return "must start with https://"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.fragment:
        return "must not have a #fragment"
    return None


_NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"),)
"""Blocks that Python 3.11's ``is_global`` misses (IETF protocol assignments)."""


def address_is_private(address: str) -> bool:
    """Whether an IP address is one a webhook must not reach: loopback, private,
    link-local (cloud metadata at 169.254.169.254), shared, multicast, reserved or
    unspecified, including an IPv4 address carried inside IPv6 (mapped ``::ffff:a.b.c.d``,
    6to4 ``2002:aabb:ccdd::``, or a Teredo client), which routes to that IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        teredo = ip.teredo[1] if ip.teredo else None
        carried = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour, teredo) if v4 is not None]
        if carried:
            return any(address_is_private(str(v4)) for v4 in carried)
    if any(ip in network for network in _NOT_GLOBAL):
        return True
    return bool(
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def private_among(addresses: Iterable[str]) -> str | None:
    """The first address of ``addresses`` that is private, if any."""
    return next((a for a in addresses if address_is_private(a)), None)
