"""Alerts as records: what an access decision raised (duress, blocked, watch list,
anti-passback, forced door), kept for operators until acknowledged with a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.decisions import AlertKind, Severity

__all__ = ["AlertRecord", "AlertState"]


class AlertState:
    """Filter values for listing: ``open`` (not yet acknowledged) or ``acknowledged``."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ALL = frozenset({OPEN, ACKNOWLEDGED})


@dataclass(frozen=True)
class AlertRecord:
    """One stored alert; ``acknowledged_*`` are None while it is open. The note is
    the acknowledging operator's own words and is shown only to those who may read
    alerts."""

    tenant_id: str
    id: str
    site_id: str
    access_point_id: str
    event_id: str
    kind: AlertKind
    severity: Severity
    silent: bool
    person_id: str | None
    vehicle_id: str | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str | None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None
