"""The gate log: plate reads by devices (plates sealed, found through blind indexes).

Reads go in and come out as :class:`StoredPlateRead` records, the plate as ciphertext;
the service (``services.plate_log``) seals and opens them with the tenant's keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gatepost.domain.vehicles import GateDecision
from gatepost.store.repositories._timeline import newest_first
from gatepost.store.tables import MediaObject, PlateRead

__all__ = ["PlateReadRepository", "StoredPlateRead"]


@dataclass(frozen=True, repr=False)
class StoredPlateRead:
    tenant_id: str
    id: str
    site_id: str
    device_id: str
    occurred_at: datetime
    plate_sealed: bytes
    plate_index: bytes
    confidence: float
    color: str
    region: str
    decision: GateDecision
    vehicle_id: str | None
    frame_id: str | None
    expires_at: datetime

    def __repr__(self) -> str:
        return f"StoredPlateRead(id={self.id})"


def _stored(row: PlateRead) -> StoredPlateRead:
    return StoredPlateRead(
        **{f.name: getattr(row, f.name) for f in fields(StoredPlateRead) if f.name != "decision"},
        decision=GateDecision(row.decision),
    )


class PlateReadRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, read: StoredPlateRead) -> None:
        self._session.add(
            PlateRead(
                **{f.name: getattr(read, f.name) for f in fields(read)}
                | {"decision": read.decision.value}
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, read_id: str) -> StoredPlateRead | None:
        row = self._session.get(PlateRead, (tenant_id, read_id))
        return _stored(row) if row is not None else None

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        before: tuple[datetime, str] | None = None,
        site_id: str | None = None,
        device_id: str | None = None,
        decision: GateDecision | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        plate_index: bytes | None = None,
        vehicle_ids: Sequence[str] = (),
    ) -> Sequence[StoredPlateRead]:
        """Newest first, keyset-paginated on (occurred_at, id). ``plate_index`` and
        ``vehicle_ids`` together: reads of that plate or matched to those vehicles."""
        query = newest_first(
            PlateRead,
            tenant_id=tenant_id,
            limit=limit,
            before=before,
            since=since,
            until=until,
            equal={
                "site_id": site_id or None,
                "device_id": device_id or None,
                "decision": decision.value if decision else None,
            },
        )
        if plate_index is not None:
            plate = PlateRead.plate_index == plate_index
            if vehicle_ids:
                plate = plate | PlateRead.vehicle_id.in_(list(vehicle_ids))
            query = query.where(plate)
        return [_stored(row) for row in self._session.scalars(query)]

    def expired_reads(
        self,
        *,
        tenant_id: str,
        now: datetime,
        known_before: datetime,
        stranger_before: datetime,
        limit: int,
    ) -> Sequence[tuple[str, str | None]]:
        """(read id, frame id) of up to ``limit`` reads expired at ``now``, or read before
        the current policy's cut-off (of known vehicles' reads, or of unknown plates')."""
        rows = self._session.execute(
            select(PlateRead.id, PlateRead.frame_id)
            .where(
                PlateRead.tenant_id == tenant_id,
                (PlateRead.expires_at <= now)
                | (PlateRead.vehicle_id.is_not(None) & (PlateRead.occurred_at <= known_before))
                | (PlateRead.vehicle_id.is_(None) & (PlateRead.occurred_at <= stranger_before)),
            )
            .limit(limit)
        )
        return [(read_id, frame_id) for read_id, frame_id in rows]

    def expired_frames(
        self, *, tenant_id: str, now: datetime, read_before: datetime, limit: int
    ) -> Sequence[str]:
        """Frame ids of up to ``limit`` reads whose frame expired at ``now`` or whose read
        is older than the current policy keeps frames."""
        return list(
            self._session.scalars(
                select(MediaObject.id)
                .join(
                    PlateRead,
                    (PlateRead.tenant_id == MediaObject.tenant_id)
                    & (PlateRead.frame_id == MediaObject.id),
                )
                .where(
                    MediaObject.tenant_id == tenant_id,
                    (MediaObject.expires_at <= now) | (PlateRead.occurred_at <= read_before),
                )
                .limit(limit)
            )
        )

    def delete(self, *, tenant_id: str, read_ids: Sequence[str]) -> None:
        if read_ids:
            self._session.execute(
                delete(PlateRead).where(
                    PlateRead.tenant_id == tenant_id, PlateRead.id.in_(list(read_ids))
                )
            )

    def unlink_frames(self, *, tenant_id: str, frame_ids: Sequence[str]) -> None:
        """Forget these frames on the reads that point to them (the reads stay)."""
        if frame_ids:
            self._session.execute(
                update(PlateRead)
                .where(PlateRead.tenant_id == tenant_id, PlateRead.frame_id.in_(list(frame_ids)))
                .values(frame_id=None)
            )
