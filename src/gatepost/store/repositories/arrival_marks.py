"""Arrival marks: what each device decided on within the repeat window (keyed hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.store.tables import ArrivalMark

__all__ = ["ArrivalMarkRepository"]


class ArrivalMarkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def seen_since(self, *, tenant_id: str, device_id: str, mark: bytes, since: datetime) -> bool:
        at = self._session.scalar(
            select(ArrivalMark.at).where(
                ArrivalMark.tenant_id == tenant_id,
                ArrivalMark.device_id == device_id,
                ArrivalMark.mark == mark,
            )
        )
        return at is not None and at > since

    def set(self, *, tenant_id: str, device_id: str, mark: bytes, at: datetime) -> None:
        """Record that the device decided on ``mark`` at ``at`` (replacing an older time)."""
        self._session.merge(ArrivalMark(tenant_id=tenant_id, device_id=device_id, mark=mark, at=at))
        self._session.flush()

    def forget_before(
        self, *, tenant_id: str, before: datetime, device_id: str | None = None
    ) -> int:
        """Delete marks older than ``before`` (of one device, or of the whole tenant)."""
        query = delete(ArrivalMark).where(
            ArrivalMark.tenant_id == tenant_id, ArrivalMark.at < before
        )
        if device_id is not None:
            query = query.where(ArrivalMark.device_id == device_id)
        return int(self._session.execute(query).rowcount)  # type: ignore[attr-defined]
