"""The notifier: sends queued notifications (webhooks and MQTT), retrying with backoff.

:meth:`WebhookDispatcher.run_once` claims due deliveries of every tenant with a lease
(``store.repositories.webhooks``: safe with several processes), sends each one outside
any transaction, and records the outcome. A suspended tenant's deliveries are not
claimed: they stay queued, unattempted, and go out once the tenant is resumed.

- a 2xx answer: delivered;
- anything else (another status, a timeout, a refused connection, a URL that now
  resolves somewhere private): the attempt failed and the delivery waits its turn in
  ``domain.webhooks.retry_delay`` (5 s, 30 s, 2 min, ... with jitter) until its
  ``webhooks.max_attempts``, then it fails;
- ``410 Gone``: the receiver asked to stop, and its endpoint is disabled at once.

An endpoint whose attempts failed ``webhooks.disable_after_failures`` times in a row
is disabled with the reason recorded, and its pending deliveries fail. Redirects are
never followed (a 3xx is a failure): a redirect could lead anywhere.

:class:`Notifier` runs ``run_once`` in a thread until stopped (the ``notifier`` step
of ``gatepost.app``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from gatepost.domain.ports import Clock
from gatepost.domain.webhooks import (
    Channel,
    DeliveryStatus,
    WebhookDelivery,
    notify_topic,
    retry_delay,
    signature_headers,
)
from gatepost.errors import ValidationFailed
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.services.webhooks import (
    SECRET_COLUMN,
    SECRET_TABLE,
    Resolver,
    resolve_host,
    target_addresses,
)
from gatepost.settings import WebhookSettings
from gatepost.store.ids import new_id

__all__ = [
    "Attempt",
    "HttpxSender",
    "NotificationPublisher",
    "Notifier",
    "WebhookDispatcher",
    "WebhookSender",
]

log = logging.getLogger(__name__)

_USER_AGENT = "gatepost-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: ``status_code`` (None when no answer came) and a short
    ``error`` when it failed."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    final: bool = False
    """No point retrying (the endpoint was deleted or disabled)."""


class WebhookSender(Protocol):
    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> Attempt:
        """POST ``body`` to ``url``, connecting to ``address`` (already checked)."""
        ...


class NotificationPublisher(Protocol):
    def publish(self, topic: str, body: bytes, properties: dict[str, str]) -> bool:
        """Publish at QoS 1; True once the broker has acknowledged it."""
        ...


def _pinned(url: str, address: str) -> tuple[str, str, str | None]:
    """``url`` with its host replaced by ``address``, the Host header to send, and the
    TLS server name (so the certificate is still checked against the host name)."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    sni = parts.hostname if parts.scheme == "https" else None
    return pinned, parts.netloc, sni


_MAX_ANSWER_BYTES = 64 * 1024
"""At most this much of a receiver's answer is read (and then thrown away)."""


class HttpxSender:
    """The real sender: httpx, a timeout, no redirects, connecting to the checked address.

    ``timeout`` bounds each connect, write and read; the answer's body is read in chunks
    and given up once it passes :data:`_MAX_ANSWER_BYTES` or the attempt runs past
    ``2 * timeout`` in all, so a receiver that drips bytes cannot hold the notifier (a
    drip of the status line or headers is still bounded only per read). A client per
    attempt: no connection checked against one host name is reused for another."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout

    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> Attempt:
        pinned, host, sni = _pinned(url, address)
        extensions: dict[str, Any] = {"sni_hostname": sni} if sni else {}
        deadline = time.monotonic() + 2 * self._timeout
        try:
            with (
                httpx.Client(timeout=self._timeout, follow_redirects=False) as client,
                client.stream(
                    "POST",
                    pinned,
                    content=body,
                    headers={**headers, "Host": host},
                    extensions=extensions,
                ) as response,
            ):
                status, read = response.status_code, 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read > _MAX_ANSWER_BYTES or time.monotonic() > deadline:
                        break  # the status is known: the rest of the answer is not needed
        except httpx.TimeoutException:
            return Attempt(False, None, "timed out")
        except httpx.HTTPError as exc:
            return Attempt(False, None, f"{type(exc).__name__}: {str(exc)[:120]}")
        ok = 200 <= status < 300
        return Attempt(ok, status, None if ok else f"HTTP {status}")

    def close(self) -> None:
        """Nothing is kept between attempts."""


class WebhookDispatcher:
    """Claims, sends and records due deliveries (see the module doc)."""

    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        settings: WebhookSettings,
        sender: WebhookSender,
        publisher: NotificationPublisher | None = None,
        resolve: Resolver = resolve_host,
        jitter: Callable[[], float] = random.random,  # noqa: S311 - spreading retries
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._settings = settings
        self._sender = sender
        self._publisher = publisher
        self._resolve = resolve
        self._jitter = jitter

    def run_once(self) -> int:
        """Send every due delivery this round may claim; returns how many it tried."""
        now = self._clock.now()
        owner = new_id()
        lease = self._lease()
        with self._tx.write() as uow:
            claimed = uow.webhooks.claim_due(
                now=now, lease_until=now + lease, owner=owner, limit=self._settings.batch_size
            )
        for delivery in claimed:
            if not self._renew(delivery, owner):
                continue  # the lease ran out while earlier ones were sent: another has it
            try:
                attempt = self._attempt(delivery)
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the round
                log.exception("delivery %s failed unexpectedly", delivery.id)
                attempt = Attempt(False, None, f"internal error: {type(exc).__name__}")
            self._record(delivery, attempt, owner)
        return len(claimed)

    def _lease(self) -> timedelta:
        """How long one attempt may hold its row: past the sender's whole deadline."""
        return timedelta(seconds=self._settings.timeout_seconds * 4 + 30)

    def _renew(self, delivery: WebhookDelivery, owner: str) -> bool:
        """Renew the row's lease right before its attempt; False when it is no longer
        ours (a batch can outlast the lease it was claimed with)."""
        now = self._clock.now()
        with self._tx.write() as uow:
            return uow.webhooks.renew_lease(
                tenant_id=delivery.tenant_id,
                delivery_id=delivery.id,
                owner=owner,
                now=now,
                lease_until=now + self._lease(),
            )

    # -- one attempt ----------------------------------------------------------------

    def _attempt(self, delivery: WebhookDelivery) -> Attempt:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        msg_id = str(delivery.payload.get("id", delivery.id))
        timestamp = int(self._clock.now().timestamp())
        if delivery.channel is Channel.MQTT:
            return self._publish(delivery, body, msg_id, timestamp)
        with self._tx.read() as uow:
            tenant_id, endpoint_id = delivery.tenant_id, delivery.endpoint_id or ""
            endpoint = uow.webhooks.endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
            sealed = uow.webhooks.sealed_secret(tenant_id=tenant_id, endpoint_id=endpoint_id)
            if endpoint is None or sealed is None:
                return Attempt(False, None, "the endpoint was deleted", final=True)
            key = uow.keys(tenant_id).open(
                sealed, table=SECRET_TABLE, column=SECRET_COLUMN, row_id=endpoint_id
            )
        if not endpoint.enabled and delivery.event_type != "webhook.test":
            return Attempt(False, None, "the endpoint is disabled", final=True)
        try:
            addresses = target_addresses(
                endpoint.url,
                allow_private=self._settings.allow_private_targets,
                resolve=self._resolve,
            )
        except ValidationFailed as exc:
            return Attempt(False, None, str(exc)[:200])
        headers = {
            **signature_headers(key, msg_id, timestamp, body),
            "content-type": "application/json",
            "user-agent": _USER_AGENT,
        }
        return self._sender.post(endpoint.url, addresses[0], body, headers)

    def _publish(
        self, delivery: WebhookDelivery, body: bytes, msg_id: str, timestamp: int
    ) -> Attempt:
        if self._publisher is None:
            return Attempt(False, None, "MQTT is not connected")
        topic = notify_topic(delivery.tenant_id, delivery.event_type)
        properties = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
        if self._publisher.publish(topic, body, properties):
            return Attempt(True)
        return Attempt(False, None, "the broker did not acknowledge the message")

    # -- the outcome ----------------------------------------------------------------

    def _record(self, delivery: WebhookDelivery, attempt: Attempt, owner: str) -> None:
        now = self._clock.now()
        attempts = delivery.attempts + 1
        next_at: datetime | None = None
        if attempt.ok:
            status = DeliveryStatus.DELIVERED
        else:
            wait = retry_delay(
                attempts, jitter=self._jitter(), max_attempts=self._settings.max_attempts
            )
            gone = attempt.status_code == 410 or attempt.final
            status = DeliveryStatus.FAILED if wait is None or gone else DeliveryStatus.PENDING
            next_at = now + wait if status is DeliveryStatus.PENDING and wait else None
        with self._tx.write() as uow:
            kept = uow.webhooks.record_attempt(
                tenant_id=delivery.tenant_id,
                delivery_id=delivery.id,
                owner=owner,
                status=status,
                attempts=attempts,
                next_attempt_at=next_at,
                status_code=attempt.status_code,
                error=(attempt.error or "")[:200] or None,
                delivered_at=now if attempt.ok else None,
            )
            if kept and delivery.endpoint_id is not None and not attempt.final:
                self._track_endpoint(uow, delivery, attempt)

    def _track_endpoint(self, uow: UnitOfWork, delivery: WebhookDelivery, attempt: Attempt) -> None:
        """Reset the endpoint's failure streak on success; on failure, count it and
        disable the endpoint after a long run (or at once on 410 Gone)."""
        tenant_id, endpoint_id = delivery.tenant_id, delivery.endpoint_id or ""
        endpoint = uow.webhooks.endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
        if endpoint is None:
            return
        if attempt.ok:
            if endpoint.failure_streak:
                uow.webhooks.update_endpoint(
                    tenant_id=tenant_id, endpoint_id=endpoint_id, failure_streak=0
                )
            return
        streak = endpoint.failure_streak + 1
        reason = None
        if attempt.status_code == 410:
            reason = "the receiver answered 410 Gone"
        elif streak >= self._settings.disable_after_failures:
            reason = f"{streak} failed attempts in a row (last: {attempt.error or 'failed'})"
        values: dict[str, Any] = {"failure_streak": streak}
        if reason is not None and endpoint.enabled:
            values.update(enabled=False, disabled_reason=reason[:200])
            log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
        uow.webhooks.update_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, **values)
        if reason is not None:
            uow.webhooks.fail_pending(
                tenant_id=tenant_id, endpoint_id=endpoint_id, reason="the endpoint was disabled"
            )


class Notifier:
    """Runs :meth:`WebhookDispatcher.run_once` in a thread until :meth:`stop`."""

    def __init__(self, dispatcher: WebhookDispatcher, *, poll_seconds: float) -> None:
        self._dispatcher = dispatcher
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gatepost-notifier", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self._dispatcher.run_once()
            except Exception:  # noqa: BLE001 - e.g. the database is away: try again later
                log.exception("the notifier's round failed")
                sent = 0
            if not sent:
                self._stop.wait(self._poll)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
