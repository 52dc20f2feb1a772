"""RetentionService: purge what has outlived its retention, and leave a receipt.

Every stored record has an expiry set when it was written (``expires_at``), from the
tenant's policy for its data class; the purge deletes what expired at ``now`` and
what the tenant's current policy no longer keeps (a shortened period applies to what
is stored already; a longer one does not extend it), and nothing else (SECURITY.md 28).
Data classes handled here:

- plate reads (the gate log, ``services.plate_log``), with their frames;
- frames of plate reads that expire before their read (the read stays, without it);
- arrival marks and the first steps of two-step arrivals older than an hour (transient:
  what a silent device last decided on, as keyed hashes; which factor a person showed at
  a point; not receipted);
- the notification outbox (``webhook_deliveries``): delivered rows older than
  ``webhooks.keep_delivered_days`` (30) and failed ones older than
  ``webhooks.keep_failed_days`` (90), by when they were queued. Pending rows stay.

Rows go in batches, each batch in one transaction with its audit receipt (counts and
the cut-off time only, no personal data), so a deletion never commits without its
receipt; the sealed blobs are removed after the commit (MediaService.discard). A
tenant whose keys were shredded is skipped: its data is unreadable already and its
audit chain cannot be extended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatepost.domain.tenants import Tenant
from gatepost.domain.webhooks import DeliveryStatus
from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.media import MediaService
from gatepost.services.uow import Transactions

__all__ = ["DATA_CLASSES", "DataClass", "PurgeReceipt", "Retained", "RetentionService"]

ACTOR = "system:retention"
BATCH = 500
# Arrival marks (keyed hashes of what a device decided on) and recent factors (a two-step
# arrival's first step) matter for minutes at most (services.arrivals); leftovers go here.
MARKS_KEPT = timedelta(hours=1)


@dataclass(frozen=True)
class DataClass:
    """One kind of data a tenant keeps: how long (``kept``: from the tenant's policy and
    the service's settings; None until it is erased, zero not stored) and the
    permission that guards reading it."""

    key: str
    read: Permission
    kept: Callable[[Tenant, RetentionService], timedelta | None]


def _days(days: int) -> timedelta:
    return timedelta(days=days)


DATA_CLASSES: tuple[DataClass, ...] = (
    DataClass("persons", Permission.PERSONS_READ, lambda t, s: None),
    DataClass("identity_numbers", Permission.PERSONS_REVEAL, lambda t, s: None),
    DataClass("enrolment_photos", Permission.FACES_ENROL, lambda t, s: _days(t.face_photo_days)),
    DataClass("face_templates", Permission.FACES_ENROL, lambda t, s: None),
    DataClass("face_strangers", Permission.EVENTS_READ, lambda t, s: timedelta(0)),
    DataClass("vehicles", Permission.VEHICLES_READ, lambda t, s: None),
    DataClass("events", Permission.EVENTS_READ, lambda t, s: None),
    DataClass("event_images", Permission.MEDIA_READ, lambda t, s: s.event_images),
    DataClass(
        "plate_reads_known", Permission.PLATE_READS_READ, lambda t, s: _days(t.plate_read_days)
    ),
    DataClass(
        "plate_reads_unknown",
        Permission.PLATE_READS_READ,
        lambda t, s: _days(t.plate_stranger_days),
    ),
    DataClass("plate_frames", Permission.MEDIA_READ, lambda t, s: _days(t.plate_image_days)),
    DataClass("presence", Permission.PRESENCE_READ, lambda t, s: None),
    DataClass("arrival_marks", Permission.DEVICES_READ, lambda t, s: MARKS_KEPT),
    DataClass(
        "webhook_deliveries",
        Permission.WEBHOOKS_READ,
        lambda t, s: s.keep(DeliveryStatus.FAILED),
    ),
    DataClass("audit_log", Permission.AUDIT_READ, lambda t, s: None),
)
"""Every data class the privacy page lists (``web.views.policies``): add one here when a
new kind of record is kept."""


@dataclass(frozen=True)
class Retained:
    """A data class as one tenant keeps it: how long, and which roles may read it."""

    key: str
    kept: timedelta | None
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class PurgeReceipt:
    """What one tenant's purge removed (counts only)."""

    tenant_id: str
    slug: str
    plate_reads: int = 0
    plate_frames: int = 0
    deliveries: int = 0  # notification outbox rows (delivered or failed)
    skipped: str | None = None  # why the tenant was not purged

    @property
    def removed(self) -> int:
        return self.plate_reads + self.plate_frames + self.deliveries


def _receipt(tenant_id: str, expired_before: datetime, **counts: int) -> AuditRecord:
    """The ``retention.purged`` audit entry of one batch: what expired before when, and
    how many of each (counts only)."""
    return AuditRecord(
        actor=ACTOR,
        action="retention.purged",
        target=f"tenant:{tenant_id}",
        purpose="retention period ended",
        details={"expired_before": expired_before.isoformat()}
        | {what: str(count) for what, count in counts.items()},
    )


class RetentionService:
    def __init__(
        self,
        *,
        tx: Transactions,
        media: MediaService,
        batch: int = BATCH,
        keep_delivered: timedelta = timedelta(days=30),
        keep_failed: timedelta = timedelta(days=90),
    ) -> None:
        self._tx = tx
        self._media = media
        self._batch = batch
        self._keep = {
            DeliveryStatus.DELIVERED: keep_delivered,
            DeliveryStatus.FAILED: keep_failed,
        }

    @property
    def event_images(self) -> timedelta:
        """How long event snapshots are kept (the media settings)."""
        return self._media.retention

    def keep(self, status: DeliveryStatus) -> timedelta:
        """How long notification outbox rows of ``status`` are kept."""
        return self._keep[status]

    def retained(self, principal: Principal) -> list[Retained]:
        """Every data class of the caller's tenant: how long it is kept under the
        tenant's current policy, and the roles whose permissions let them read it."""
        with self._tx.read() as uow:
            tenant = uow.tenants.get(tenant_id=principal.tenant_id)
        if tenant is None:
            return []
        return [
            Retained(
                key=item.key,
                kept=item.kept(tenant, self),
                roles=tuple(
                    r for r in Role if r is not Role.DEVICE and item.read in ROLE_PERMISSIONS[r]
                ),
            )
            for item in DATA_CLASSES
        ]

    def purge_expired(self, now: datetime) -> list[PurgeReceipt]:
        """Purge every tenant's data that expired at ``now``; one receipt per tenant."""
        with self._tx.read() as uow:
            tenants = [
                (t.id, t.slug, t.shredded) for t in uow.tenants.list(limit=1_000_000, after=None)
            ]
        return [
            PurgeReceipt(tenant_id, slug, skipped="keys shredded")
            if shredded
            else self.purge_tenant(tenant_id, now, slug=slug)
            for tenant_id, slug, shredded in tenants
        ]

    def purge_tenant(self, tenant_id: str, now: datetime, *, slug: str = "") -> PurgeReceipt:
        """Purge one tenant's expired data; each batch is audited as ``retention.purged``."""
        reads = frames = 0
        with self._tx.write() as uow:
            uow.arrival_marks.forget_before(tenant_id=tenant_id, before=now - MARKS_KEPT)
            uow.recent_factors.forget_before(tenant_id=tenant_id, before=now - MARKS_KEPT)
        deliveries = self._purge_deliveries(tenant_id, now)
        while True:
            with self._tx.write() as uow:
                tenant = uow.tenants.get(tenant_id=tenant_id)
                if tenant is None:
                    return PurgeReceipt(tenant_id, slug, skipped="no such tenant")
                expired = uow.plate_reads.expired_reads(
                    tenant_id=tenant_id,
                    now=now,
                    known_before=now - timedelta(days=tenant.plate_read_days),
                    stranger_before=now - timedelta(days=tenant.plate_stranger_days),
                    limit=self._batch,
                )
                read_ids = [read_id for read_id, _ in expired]
                dropped = [frame_id for _, frame_id in expired if frame_id]
                uow.plate_reads.delete(tenant_id=tenant_id, read_ids=read_ids)
                stale = uow.plate_reads.expired_frames(
                    tenant_id=tenant_id,
                    now=now,
                    read_before=now - timedelta(days=tenant.plate_image_days),
                    limit=self._batch,
                )
                uow.plate_reads.unlink_frames(tenant_id=tenant_id, frame_ids=stale)
                media_ids = dropped + list(stale)
                uow.media.delete_rows(tenant_id=tenant_id, media_ids=media_ids)
                if read_ids or media_ids:
                    uow.audit(
                        tenant_id,
                        _receipt(
                            tenant_id,
                            now,
                            plate_reads=len(read_ids),
                            plate_frames=len(media_ids),
                        ),
                    )
            self._media.discard(tenant_id=tenant_id, media_ids=media_ids)
            reads += len(read_ids)
            frames += len(media_ids)
            if len(read_ids) < self._batch and len(stale) < self._batch:
                return PurgeReceipt(
                    tenant_id, slug, plate_reads=reads, plate_frames=frames, deliveries=deliveries
                )

    def _purge_deliveries(self, tenant_id: str, now: datetime) -> int:
        """Delete the tenant's delivered and failed outbox rows past their keep, a batch
        per transaction, each with its ``retention.purged`` receipt (counts only)."""
        removed = 0
        for status, keep in self._keep.items():
            before = now - keep
            while True:
                with self._tx.write() as uow:
                    ids = uow.webhooks.finished_before(
                        tenant_id=tenant_id, status=status, before=before, limit=self._batch
                    )
                    if ids:
                        uow.webhooks.delete_deliveries(tenant_id=tenant_id, delivery_ids=ids)
                        counts = {f"{status.value}_deliveries": len(ids)}
                        uow.audit(tenant_id, _receipt(tenant_id, before, **counts))
                removed += len(ids)
                if len(ids) < self._batch:
                    break
        return removed
