"""WebhookService: a tenant's webhook endpoints, their secrets and delivery logs.

An endpoint is a URL that receives the tenant's notifications (docs/notifications.md),
signed the Standard Webhooks way with a secret that is shown once, when the endpoint is
created and whenever it is rotated, and otherwise kept sealed with the tenant's key.

SSRF: an endpoint URL must be https and resolve to public addresses only, unless
``webhooks.allow_private_targets`` is set (tests, closed networks). The URL is checked
when the endpoint is created and again before every attempt (``target_addresses``),
and the notifier connects to the address it checked.

Every change is audited; the audit entry names the endpoint, never its URL's secret
parts (a URL carrying a user name or password is refused outright).
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from gatepost.domain.ports import Clock
from gatepost.domain.webhooks import (
    DeliveryStatus,
    NotificationType,
    WebhookDelivery,
    WebhookEndpoint,
    encode_secret,
    private_among,
    url_problem,
)
from gatepost.errors import NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.notifications import Notifications
from gatepost.services.pages import Page, parse_time_cursor, time_cursor
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = [
    "EVENT_TYPES",
    "IssuedEndpoint",
    "Resolver",
    "TargetRefused",
    "WebhookService",
    "resolve_host",
    "target_addresses",
]

SECRET_TABLE, SECRET_COLUMN = "webhook_endpoints", "secret"
EVENT_TYPES = (
    NotificationType.ACCESS_DECIDED.value,
    NotificationType.ALERT_RAISED.value,
    NotificationType.ALERT_ACKNOWLEDGED.value,
)
_SECRET_BYTES = 32

Resolver = Callable[[str, int], list[str]]
"""host, port -> the IP addresses it resolves to (OSError when it does not)."""


class TargetRefused(ValidationFailed):
    """An endpoint URL gatepost will not call (``field`` is ``url``)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"url {message}", field="url")


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def target_addresses(url: str, *, allow_private: bool, resolve: Resolver) -> list[str]:
    """The addresses to connect to for ``url``, or TargetRefused: not https (unless
    private targets are allowed), unresolvable, or (unless allowed) resolving to a
    loopback, private, link-local or otherwise non-public address."""
    problem = url_problem(url, allow_plain_http=allow_private)
    if problem:
        raise TargetRefused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused("host does not resolve") from exc
    if not addresses:
        raise TargetRefused("host does not resolve")
    if not allow_private and private_among(addresses) is not None:
        raise TargetRefused(
            "resolves to a loopback, private or link-local address "
            "(webhooks.allow_private_targets is off)"
        )
    return addresses


@dataclass(frozen=True)
class IssuedEndpoint:
    """An endpoint with its secret (``whsec_...``), shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def _checked_types(event_types: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            "event_types: %(type)r is not one of %(known)s",
            field="event_types",
            params={"type": unknown[0], "known": ", ".join(EVENT_TYPES)},
        )
    return tuple(sorted(set(event_types)))


def _audited(principal: Principal, action: str, endpoint_id: str) -> AuditRecord:
    return AuditRecord(actor=principal.actor, action=action, target=f"webhook:{endpoint_id}")


class WebhookService:
    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        notifications: Notifications,
        allow_private: bool,
        resolve: Resolver = resolve_host,
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._notifications = notifications
        self._allow_private = allow_private
        self._resolve = resolve

    def _check_url(self, url: str) -> str:
        url = url.strip()
        target_addresses(url, allow_private=self._allow_private, resolve=self._resolve)
        return url

    @staticmethod
    def _endpoint(uow: UnitOfWork, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
        endpoint = uow.webhooks.endpoint(tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
        if endpoint is None:
            raise NotFound("webhook")
        return endpoint

    @staticmethod
    def _sealed(uow: UnitOfWork, tenant_id: str, endpoint_id: str) -> tuple[str, bytes]:
        raw = secrets.token_bytes(_SECRET_BYTES)
        sealed = uow.keys(tenant_id).seal(
            raw, table=SECRET_TABLE, column=SECRET_COLUMN, row_id=endpoint_id
        )
        return encode_secret(raw), sealed

    # -- endpoints ------------------------------------------------------------------

    def create(
        self, principal: Principal, *, url: str, description: str, event_types: Sequence[str]
    ) -> IssuedEndpoint:
        url = self._check_url(url)
        endpoint = WebhookEndpoint(
            tenant_id=principal.tenant_id,
            id=new_id(),
            url=url,
            description=description.strip(),
            event_types=_checked_types(event_types),
            enabled=True,
            created_at=self._clock.now(),
            disabled_reason=None,
            failure_streak=0,
        )
        with self._tx.write() as uow:
            secret, sealed = self._sealed(uow, principal.tenant_id, endpoint.id)
            uow.webhooks.add_endpoint(endpoint, secret_sealed=sealed)
            uow.audit(principal.tenant_id, _audited(principal, "webhook.created", endpoint.id))
        return IssuedEndpoint(endpoint, secret)

    def list(self, principal: Principal) -> list[WebhookEndpoint]:
        with self._tx.read() as uow:
            return uow.webhooks.endpoints(tenant_id=principal.tenant_id)

    def get(self, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
        with self._tx.read() as uow:
            return self._endpoint(uow, principal, endpoint_id)

    def update(
        self,
        principal: Principal,
        endpoint_id: str,
        *,
        url: str | None = None,
        description: str | None = None,
        event_types: Sequence[str] | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        """Change what is given. Enabling an endpoint clears why it was disabled and
        its failure count; disabling one by hand records that reason."""
        changes: dict[str, object] = {}
        if url is not None:
            changes["url"] = self._check_url(url)
        if description is not None:
            changes["description"] = description.strip()
        if event_types is not None:
            changes["event_types"] = _checked_types(event_types)
        if enabled is not None:
            changes["enabled"] = enabled
            changes["disabled_reason"] = None if enabled else "disabled by a user"
            if enabled:
                changes["failure_streak"] = 0
        with self._tx.write() as uow:
            endpoint = self._endpoint(uow, principal, endpoint_id)
            if changes:
                uow.webhooks.update_endpoint(
                    tenant_id=principal.tenant_id, endpoint_id=endpoint_id, **changes
                )
                uow.audit(principal.tenant_id, _audited(principal, "webhook.updated", endpoint_id))
        return replace(endpoint, **changes)  # type: ignore[arg-type]

    def delete(self, principal: Principal, endpoint_id: str) -> None:
        """Delete an endpoint and its delivery log."""
        with self._tx.write() as uow:
            self._endpoint(uow, principal, endpoint_id)
            uow.webhooks.delete_endpoint(tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
            uow.audit(principal.tenant_id, _audited(principal, "webhook.deleted", endpoint_id))

    def rotate_secret(self, principal: Principal, endpoint_id: str) -> IssuedEndpoint:
        """A new secret, shown this once; the old one stops signing at once."""
        with self._tx.write() as uow:
            endpoint = self._endpoint(uow, principal, endpoint_id)
            secret, sealed = self._sealed(uow, principal.tenant_id, endpoint_id)
            uow.webhooks.update_endpoint(
                tenant_id=principal.tenant_id, endpoint_id=endpoint_id, secret_sealed=sealed
            )
            uow.audit(
                principal.tenant_id, _audited(principal, "webhook.secret_rotated", endpoint_id)
            )
        return IssuedEndpoint(endpoint, secret)

    # -- deliveries -----------------------------------------------------------------

    def deliveries(
        self, principal: Principal, endpoint_id: str, *, limit: int, cursor: str | None
    ) -> Page[WebhookDelivery]:
        """The endpoint's delivery log, newest first."""
        with self._tx.read() as uow:
            self._endpoint(uow, principal, endpoint_id)
            rows = uow.webhooks.deliveries(
                tenant_id=principal.tenant_id,
                endpoint_id=endpoint_id,
                limit=limit + 1,
                before=parse_time_cursor(cursor) if cursor else None,
            )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = time_cursor(last.created_at, last.id)
        return Page(rows[:limit], next_cursor, limit)

    def send_test(self, principal: Principal, endpoint_id: str) -> WebhookDelivery:
        """Queue a ``webhook.test`` message for this endpoint alone (even a disabled one,
        so its owner can check a fix before enabling it)."""
        with self._tx.write() as uow:
            endpoint = self._endpoint(uow, principal, endpoint_id)
            rows = self._notifications.enqueue(
                uow,
                principal.tenant_id,
                NotificationType.WEBHOOK_TEST,
                {"endpoint_id": endpoint_id},
                only=endpoint,
            )
            uow.audit(principal.tenant_id, _audited(principal, "webhook.test_sent", endpoint_id))
        return rows[0]

    def retry(self, principal: Principal, delivery_id: str) -> WebhookDelivery:
        """Send a delivery again now, with a fresh attempt count (failed or delivered)."""
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            delivery = uow.webhooks.delivery(tenant_id=tenant_id, delivery_id=delivery_id)
            if delivery is None or delivery.endpoint_id is None:
                raise NotFound("delivery")
            uow.webhooks.requeue(tenant_id=tenant_id, delivery_id=delivery_id, at=now)
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="webhook.delivery_retried",
                    target=f"webhook:{delivery.endpoint_id}",
                    details={"delivery_id": delivery_id},
                ),
            )
        return replace(
            delivery,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            delivered_at=None,
        )
