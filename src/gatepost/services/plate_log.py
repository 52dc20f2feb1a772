"""PlateLogService: the gate log of plates read by devices, and the tenant's plate policy.

A device's plate read is stored with its plate sealed with the tenant's data key (bound
to table, column and row) and a blind index of the normalised plate made with the same
tenant key and purpose as known vehicles' (``services.vehicles``), so the log is found
by plate and joins the registry without ever holding a plate in clear (SECURITY.md 6-8).

What is kept, and for how long, is the tenant's plate policy (SECURITY.md 28):

- ``read_days`` (default 90): reads of known vehicles (allow or deny) are kept this
  long; 0 keeps no gate log at all. Ninety days covers a quarter's parking disputes
  and invoices, the common horizon of car-park systems' passage records.
- ``stranger_days`` (default 0): reads of plates on no list are not stored unless the
  tenant sets a retention for them (ARCHITECTURE.md, "Secure by default"); a paid car
  park that bills unknown cars sets one.
- ``image_days`` (default 0): the frame of a stored read is kept, sealed, this many
  days (never longer than the read). Off by default: the plate text and the decision
  are what a gate log needs, and a frame also shows the car, its occupants and
  bystanders, so keeping it is the tenant's explicit choice (data protection by
  default, GDPR 25(2)); HikCentral-style evidence pictures are one setting away.

Reads are written by the arrival pipeline (``services.arrivals``) in the transaction
that stores the decision's event: :meth:`PlateLogService.prepare` seals the read and
keeps the frame, :meth:`PlateLogService.add` stores it. A car waiting at a barrier is
one arrival: the pipeline stores nothing for a repeat within ``repeat_window``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gatepost.domain.media import MediaKind
from gatepost.domain.plates import normalise_plate
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import Tenant
from gatepost.domain.vehicles import GateDecision
from gatepost.errors import NotFound, ServiceUnavailable, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal, authorize
from gatepost.services.audit import AuditRecord
from gatepost.services.media import MediaService, SignedMediaUrl
from gatepost.services.pages import Page, parse_time_cursor, time_cursor
from gatepost.services.tenants import tenant_of
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.services.vehicles import PLATE_INDEX_PURPOSE
from gatepost.store.ids import new_id
from gatepost.store.repositories.plate_reads import StoredPlateRead
from gatepost.vision.plates import PlateReading

__all__ = [
    "FRAME_KIND",
    "PlateLogEntry",
    "PlateLogFilter",
    "PlateLogService",
    "PlatePolicy",
    "PreparedRead",
]

log = logging.getLogger(__name__)

FRAME_KIND = MediaKind.PLATE_FRAME
MAX_DAYS = 3650
_TABLE = "plate_reads"


@dataclass(frozen=True)
class PlatePolicy:
    read_days: int
    stranger_days: int
    image_days: int


@dataclass(frozen=True, repr=False)
class PreparedRead:
    """A device's read as it will be stored (plate sealed), its frame already kept."""

    read: StoredPlateRead

    @property
    def id(self) -> str:
        return self.read.id

    def __repr__(self) -> str:
        return f"PreparedRead(id={self.read.id})"


@dataclass(frozen=True)
class PlateLogFilter:
    site_id: str | None = None
    device_id: str | None = None
    decision: GateDecision | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, repr=False)
class PlateLogEntry:
    id: str
    site_id: str
    device_id: str
    occurred_at: datetime
    plate: str
    confidence: float
    color: str
    region: str
    decision: GateDecision
    vehicle_id: str | None
    frame_id: str | None
    expires_at: datetime
    frame_url: SignedMediaUrl | None

    def __repr__(self) -> str:
        return f"PlateLogEntry(id={self.id})"


def _policy_of(tenant: Tenant) -> PlatePolicy:
    return PlatePolicy(
        read_days=tenant.plate_read_days,
        stranger_days=tenant.plate_stranger_days,
        image_days=tenant.plate_image_days,
    )


def _policy_text(policy: PlatePolicy) -> str:
    return (
        f"read_days={policy.read_days} stranger_days={policy.stranger_days} "
        f"image_days={policy.image_days}"
    )


class PlateLogService:
    def __init__(
        self,
        *,
        tx: Transactions,
        media: MediaService,
        clock: Clock,
        repeat_window: timedelta,
    ) -> None:
        self._tx = tx
        self._media = media
        self._clock = clock
        self.repeat_window = repeat_window  # reported with the policy; the pipeline applies it

    # -- policy -----------------------------------------------------------------

    def policy(self, principal: Principal) -> PlatePolicy:
        with self._tx.read() as uow:
            return _policy_of(tenant_of(uow, principal.tenant_id))

    def set_policy(
        self,
        principal: Principal,
        *,
        read_days: int | None = None,
        stranger_days: int | None = None,
        image_days: int | None = None,
    ) -> PlatePolicy:
        """Change the retention of plate reads and frames (None: unchanged); audited.
        A shorter period also applies to what is stored already, at the next purge
        (``services.retention``); a longer one applies to reads stored from now on."""
        for field, value in (
            ("read_days", read_days),
            ("stranger_days", stranger_days),
            ("image_days", image_days),
        ):
            if value is not None and not 0 <= value <= MAX_DAYS:
                raise ValidationFailed(
                    "%(field)s must be between 0 and %(max)s",
                    field=field,
                    params={"field": field, "max": MAX_DAYS},
                )
        with self._tx.write() as uow:
            before = _policy_of(tenant_of(uow, principal.tenant_id))
            after = PlatePolicy(
                read_days=before.read_days if read_days is None else read_days,
                stranger_days=before.stranger_days if stranger_days is None else stranger_days,
                image_days=before.image_days if image_days is None else image_days,
            )
            uow.tenants.set_plate_policy(
                tenant_id=principal.tenant_id,
                read_days=after.read_days,
                stranger_days=after.stranger_days,
                image_days=after.image_days,
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="plate.policy_changed",
                    target=f"tenant:{principal.tenant_id}",
                    details={"before": _policy_text(before), "after": _policy_text(after)},
                ),
            )
            return after

    # -- writing ----------------------------------------------------------------

    def prepare(
        self, principal: Principal, *, reading: PlateReading, vehicle_id: str | None, frame: bytes
    ) -> PreparedRead | None:
        """What a device's read would be stored as, or None if the tenant's policy
        keeps no such reads. The frame is stored now (sealed, outside any transaction)
        when the policy keeps frames; :meth:`add` stores the read in the caller's
        transaction, :meth:`discard` removes the frame if that transaction does not
        commit it (a repeat, a failure)."""
        now = self._clock.now()
        plate = normalise_plate(reading.text)
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            policy = _policy_of(tenant_of(uow, tenant_id))
            keys = uow.keys(tenant_id)
        days = policy.read_days if vehicle_id is not None else policy.stranger_days
        if days == 0:
            return None
        read_id = new_id()
        frame_id = None
        if policy.image_days > 0:
            try:
                frame_id = self._media.store_image(
                    principal,
                    data=frame,
                    declared_type=None,
                    kind=FRAME_KIND,
                    retention=timedelta(days=min(policy.image_days, days)),
                ).id
            except ServiceUnavailable:  # the gate still gets its decision; the log its read
                log.warning("media store unavailable: plate read %s logged without frame", read_id)
        return PreparedRead(
            StoredPlateRead(
                tenant_id=tenant_id,
                id=read_id,
                site_id=principal.site_id or "",
                device_id=principal.id,
                occurred_at=now,
                plate_sealed=keys.seal_text(plate, table=_TABLE, column="plate", row_id=read_id),
                plate_index=keys.blind_index(plate, purpose=PLATE_INDEX_PURPOSE),
                confidence=round(reading.confidence, 4),
                color=reading.color.value,
                region=reading.region[:8],
                decision=GateDecision.UNKNOWN,
                vehicle_id=vehicle_id,
                frame_id=frame_id,
                expires_at=now + timedelta(days=days),
            )
        )

    @staticmethod
    def add(uow: UnitOfWork, prepared: PreparedRead, *, decision: GateDecision) -> None:
        """Store the prepared read, with the gate's decision, in the caller's unit of work."""
        uow.plate_reads.add(replace(prepared.read, decision=decision))

    def discard(self, prepared: PreparedRead) -> None:
        """Remove the frame of a prepared read that was not stored."""
        if prepared.read.frame_id is not None:
            self._media.delete(
                tenant_id=prepared.read.tenant_id, media_ids=[prepared.read.frame_id]
            )

    # -- reading ----------------------------------------------------------------

    def _entries(
        self, principal: Principal, keys: TenantKeys, rows: Sequence[StoredPlateRead]
    ) -> list[PlateLogEntry]:
        frames = [row.frame_id for row in rows if row.frame_id]
        urls = (
            self._media.signed_urls(principal, frames)
            if frames and authorize(principal, Permission.MEDIA_READ).allowed
            else {}
        )
        return [
            PlateLogEntry(
                id=row.id,
                site_id=row.site_id,
                device_id=row.device_id,
                occurred_at=row.occurred_at,
                plate=keys.open_text(row.plate_sealed, table=_TABLE, column="plate", row_id=row.id),
                confidence=row.confidence,
                color=row.color,
                region=row.region,
                decision=row.decision,
                vehicle_id=row.vehicle_id,
                frame_id=row.frame_id,
                expires_at=row.expires_at,
                frame_url=urls.get(row.frame_id) if row.frame_id else None,
            )
            for row in rows
        ]

    def get(self, principal: Principal, read_id: str) -> PlateLogEntry:
        with self._tx.read() as uow:
            row = uow.plate_reads.get(tenant_id=principal.tenant_id, read_id=read_id)
            if row is None:
                raise NotFound("plate read")
            keys = uow.keys(principal.tenant_id)
        (entry,) = self._entries(principal, keys, [row])
        return entry

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        cursor: str | None,
        where: PlateLogFilter,
        plate: str | None = None,
    ) -> Page[PlateLogEntry]:
        """Newest first. ``plate`` finds, through the blind index, the reads of exactly
        that (normalised) plate and those matched to the vehicle registered with it
        (a misread of a known car included)."""
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            keys = uow.keys(tenant_id)
            index = None
            vehicle_ids: list[str] = []
            if plate is not None:
                text = normalise_plate(plate)
                if not 1 <= len(text) <= 16:
                    raise ValidationFailed("plate must have 1-16 characters", field="plate")
                index = keys.blind_index(text, purpose=PLATE_INDEX_PURPOSE)
                vehicle = uow.vehicles.by_plate_index(tenant_id=tenant_id, index=index)
                vehicle_ids = [vehicle.id] if vehicle is not None else []
            rows = uow.plate_reads.list(
                tenant_id=tenant_id,
                limit=limit + 1,
                before=parse_time_cursor(cursor) if cursor else None,
                site_id=where.site_id,
                device_id=where.device_id,
                decision=where.decision,
                since=where.since,
                until=where.until,
                plate_index=index,
                vehicle_ids=vehicle_ids,
            )
        shown = list(rows[:limit])
        next_cursor = (
            time_cursor(shown[-1].occurred_at, shown[-1].id) if len(rows) > limit else None
        )
        return Page(self._entries(principal, keys, shown), next_cursor, limit)
