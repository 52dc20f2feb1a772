"""Row counts of the tables a request could write to, and the blobs in the media store,
for "nothing changed" and "not stored" checks (read from the store, not the API)."""

from __future__ import annotations

from sqlalchemy import func, select

from gatepost.services.container import Container
from gatepost.store import tables
from gatepost.store.media import LocalBlobStore

__all__ = ["COUNTED", "NOT_COUNTED", "blob_count", "row_counts"]

#: Every table a refused request must leave as it was.
COUNTED = (
    tables.Tenant,
    tables.User,
    tables.ApiKey,
    tables.Site,
    tables.Person,
    tables.Consent,
    tables.FaceTemplate,
    tables.Vehicle,
    tables.PlateRead,
    tables.Device,
    tables.Event,
    tables.MediaObject,
    tables.AuditEntry,
    tables.UserSession,
    tables.Zone,
    tables.AccessPoint,
    tables.Schedule,
    tables.AccessLevel,
    tables.AccessLevelPoint,
    tables.PersonAccessLevel,
    tables.SiteHoliday,
    tables.Credential,
    tables.TenantKey,
    tables.SetupToken,
    tables.LoginThrottle,
    tables.InvitationRow,
    tables.AlertRow,
    tables.WebhookEndpointRow,
    tables.NotificationSubscriberRow,
    tables.WebhookDeliveryRow,
)

#: Tables left out of :data:`COUNTED`, and why: runtime state that an accepted arrival
#: writes as a side effect, not data a request creates. Every other table is counted
#: (``tests/security/test_suite_rules.py`` checks).
NOT_COUNTED = {
    "arrival_marks": "anti-passback marks, written by arrivals",
    "recent_factors": "the arrival pipeline's short-term memory of presented factors",
    "presence": "who is on site, written by arrivals",
}


def row_counts(container: Container) -> dict[str, int]:
    """The number of rows in each of :data:`COUNTED`, by table name."""
    with container.db.session() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in COUNTED
        }


def blob_count(container: Container) -> int:
    """The number of blobs in the container's (local) media store, counted on disk."""
    store = container.blobs
    assert isinstance(store, LocalBlobStore), f"counts the local store only, not {store!r}"
    root = store.root
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0
