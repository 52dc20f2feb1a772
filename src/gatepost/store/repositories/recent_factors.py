"""Recent factors: what a person showed at an access point within its multi-factor
window (the first step of a two-step arrival)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from gatepost.domain.arrivals import Factor, RecentFactor
from gatepost.store.repositories._rows import upsert_atomic
from gatepost.store.tables import RecentFactor as RecentFactorRow

__all__ = ["RecentFactorRepository"]


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_OF = select(RecentFactorRow).where(
    RecentFactorRow.tenant_id == bindparam("tenant_id"),
    RecentFactorRow.access_point_id == bindparam("access_point_id"),
    RecentFactorRow.person_id == bindparam("person_id"),
    RecentFactorRow.at >= bindparam("since"),
)


class RecentFactorRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of(
        self, *, tenant_id: str, access_point_id: str, person_id: str, since: datetime
    ) -> tuple[RecentFactor, ...]:
        params = {
            "tenant_id": tenant_id,
            "access_point_id": access_point_id,
            "person_id": person_id,
            "since": since,
        }
        rows = self._session.scalars(_OF, params)
        return tuple(
            RecentFactor(row.person_id, Factor(row.factor), row.at, uncertain=row.uncertain)
            for row in rows
        )

    def remember(
        self, *, tenant_id: str, access_point_id: str, factors: Sequence[RecentFactor]
    ) -> None:
        for factor in factors:
            upsert_atomic(
                self._session,
                RecentFactorRow,
                {
                    "tenant_id": tenant_id,
                    "access_point_id": access_point_id,
                    "person_id": factor.person_id,
                    "factor": factor.factor.value,
                    "at": factor.at,
                    "uncertain": factor.uncertain,
                },
                key=("tenant_id", "access_point_id", "person_id", "factor"),
            )

    def forget(self, *, tenant_id: str, access_point_id: str, person_id: str) -> None:
        """The person passed (or was refused for good): their first steps are used up."""
        self._session.execute(
            delete(RecentFactorRow).where(
                RecentFactorRow.tenant_id == tenant_id,
                RecentFactorRow.access_point_id == access_point_id,
                RecentFactorRow.person_id == person_id,
            )
        )

    def forget_before(self, *, tenant_id: str, before: datetime) -> int:
        result = self._session.execute(
            delete(RecentFactorRow).where(
                RecentFactorRow.tenant_id == tenant_id, RecentFactorRow.at < before
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
