"""The database schema as SQLAlchemy 2 mapped classes.

Every tenant-owned table has a non-null ``tenant_id`` that leads its primary key and
every unique key and foreign key, so the schema can be distributed by tenant. Columns
named ``*_sealed`` hold AES-GCM ciphertext (see ``gatepost.security.crypto``); columns
named ``*_index`` hold blind indexes. Two tables are platform-wide by nature and carry
no tenant: ``setup_tokens`` (first-run, before any tenant exists) and
``login_throttle`` (keyed by a hash of account or client).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gatepost.store.types import UTCDateTime

__all__ = [
    "AccessLevel",
    "AccessLevelPoint",
    "AccessPoint",
    "AlertRow",
    "ApiKey",
    "ArrivalMark",
    "AuditEntry",
    "Base",
    "Consent",
    "Credential",
    "Device",
    "Event",
    "FaceTemplate",
    "InvitationRow",
    "LoginThrottle",
    "MediaObject",
    "Person",
    "PersonAccessLevel",
    "PlateRead",
    "PresenceRow",
    "RecentFactor",
    "Schedule",
    "SetupToken",
    "Site",
    "SiteHoliday",
    "Tenant",
    "TenantKey",
    "User",
    "UserSession",
    "Vehicle",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
    "Zone",
]

ID = String(32)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        bytes: LargeBinary,
    }


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[bytes] = mapped_column(LargeBinary(32))
    keys_shredded_at: Mapped[datetime | None]
    # IANA time zone in which the tenant's dates and times are shown.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Set while a platform operator has suspended the tenant (services.tenants).
    suspended_at: Mapped[datetime | None]
    # Face matching policy (see gatepost.domain.faces): the false-match rate the
    # distance threshold is set for, the highest false-positive identification rate at
    # which a face alone may decide, and how many days enrolment photos are kept
    # (0: discarded once the template exists).
    face_target_fmr: Mapped[float] = mapped_column(Float, default=1e-4, server_default="0.0001")
    face_max_fpir: Mapped[float] = mapped_column(Float, default=0.05, server_default="0.05")
    face_photo_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped with every change to the tenant's face templates, so each process can tell
    # whether its in-memory galleries are current.
    face_gallery_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Plate gate log retention (see gatepost.services.plate_log): days a read of a known
    # vehicle is kept, days a read of an unknown plate is kept (0: not stored), and days
    # the frame of a stored read is kept, sealed (0: not kept).
    plate_read_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    plate_stranger_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    plate_image_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped with every change to the tenant's known vehicles (see face_gallery_version).
    vehicle_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped with every change to the tenant's access rules: zones, access points,
    # schedules, levels and their assignments, holidays, credentials and persons'
    # access flags (see face_gallery_version).
    rules_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped with every change to the tenant's webhook endpoints (the notifications'
    # endpoint cache, services.notifications; see face_gallery_version).
    webhooks_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TenantKey(Base):
    """A data key wrapped by the KEK; purposes: data and template (by generation),
    index, mac."""

    __tablename__ = "tenant_keys"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrapped: Mapped[bytes]
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        UniqueConstraint("tenant_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # Plate formats this site's cameras read: regions (None: every region) and the
    # site's own named patterns ([{"name", "region", "pattern"}]; None: none).
    plate_regions: Mapped[list[str] | None] = mapped_column(JSON)
    plate_patterns: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    # Postal address (free text) and the public-holiday calendar the site follows: a
    # country code and optional subdivision of the `holidays` package.
    address: Mapped[str | None] = mapped_column(String(500))
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        UniqueConstraint("tenant_id", "username"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_sealed: Mapped[bytes | None]
    totp_pending_sealed: Mapped[bytes | None]
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_enforced: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class UserSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        UniqueConstraint("tenant_id", "token_hash"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        UniqueConstraint("tenant_id", "token_hash"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        UniqueConstraint("tenant_id", "identity_index"),
        Index(None, "tenant_id", "phone_index"),
        Index(None, "tenant_id", "name_index"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    name_sealed: Mapped[bytes]
    name_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    identity_kind: Mapped[str | None] = mapped_column(String(16))
    identity_sealed: Mapped[bytes | None]
    identity_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_sealed: Mapped[bytes | None]
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    notes_sealed: Mapped[bytes | None]
    external_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Access flags (see gatepost.domain.access_points.PersonFacts), changed only through
    # the person-access repository, so saving a person's data keeps them.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    watchlisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    first_in_privileged: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]


class Vehicle(Base):
    """A known vehicle of a tenant: its plate sealed and found through a blind index of
    the normalised text; on an allow, deny or watch list (``list``: the
    ``domain.vehicles.AccessList`` value), optionally tied to a person and site."""

    __tablename__ = "vehicles"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        UniqueConstraint("tenant_id", "plate_index"),
        Index(None, "tenant_id", "person_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str | None] = mapped_column(ID)
    site_id: Mapped[str | None] = mapped_column(ID)
    plate_sealed: Mapped[bytes]
    plate_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    region: Mapped[str] = mapped_column(String(8))
    list: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    description_sealed: Mapped[bytes | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlateRead(Base):
    """The gate log: one plate read by a device's camera, its plate sealed and found
    through the same blind index as known vehicles; the frame optionally kept as a
    sealed media object. Expires (``expires_at``) by the tenant's retention."""

    __tablename__ = "plate_reads"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        ForeignKeyConstraint(["tenant_id", "device_id"], ["devices.tenant_id", "devices.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "frame_id"], ["media_objects.tenant_id", "media_objects.id"]
        ),
        Index(None, "tenant_id", "occurred_at"),
        Index(None, "tenant_id", "device_id", "occurred_at"),
        Index(None, "tenant_id", "plate_index"),
        Index(None, "tenant_id", "vehicle_id"),
        Index(None, "tenant_id", "expires_at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    device_id: Mapped[str] = mapped_column(ID)
    occurred_at: Mapped[datetime]
    plate_sealed: Mapped[bytes]
    plate_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    confidence: Mapped[float] = mapped_column(Float)
    color: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(8))
    decision: Mapped[str] = mapped_column(String(8))
    # The matched vehicle when the read was made; not a foreign key, so deleting a
    # vehicle keeps the log (the id then names nothing).
    vehicle_id: Mapped[str | None] = mapped_column(ID)
    frame_id: Mapped[str | None] = mapped_column(ID)
    expires_at: Mapped[datetime]


class Consent(Base):
    """A separate, recorded consent for one purpose (e.g. biometric face access)."""

    __tablename__ = "consents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        Index(None, "tenant_id", "person_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID)
    purpose: Mapped[str] = mapped_column(String(40))
    notice_version: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(80))
    withdrawn_at: Mapped[datetime | None]


class FaceTemplate(Base):
    """A protected face template: the embedding rotated by the tenant's template key
    (generation ``key_generation``) and sealed; never a photo and never a raw embedding."""

    __tablename__ = "face_templates"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "photo_id"], ["media_objects.tenant_id", "media_objects.id"]
        ),
        Index(None, "tenant_id", "person_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID)
    model: Mapped[str] = mapped_column(String(40))
    key_generation: Mapped[int] = mapped_column(Integer)
    template_sealed: Mapped[bytes]
    quality: Mapped[float] = mapped_column(Float)
    face_width: Mapped[int] = mapped_column(Integer)
    photo_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        UniqueConstraint("tenant_id", "site_id", "name"),
        UniqueConstraint("tenant_id", "credential_hash"),
        Index(None, "tenant_id", "access_point_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(8))
    zone: Mapped[str] = mapped_column(String(80))
    roles: Mapped[list[str]] = mapped_column(JSON)
    credential_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    credential_rotated_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    # The access point the device controls (None: not bound; it then stands for itself).
    # Not a foreign key: SQLite adds one only by rebuilding the table, which its events
    # and plate reads refer to; the access-rule service checks it (same tenant and site)
    # and refuses to delete a point a device is bound to.
    access_point_id: Mapped[str | None] = mapped_column(ID)
    # MQTT: the broker password's Mosquitto "$7$" hash (the broker's password file is
    # built from it) and the message MAC key, sealed; None for a device registered before
    # MQTT until its credential is rotated.
    mqtt_password_hash: Mapped[str | None] = mapped_column(String(160))
    mac_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class MediaObject(Base):
    """Metadata of a sealed object in the blob store; the bytes live there."""

    __tablename__ = "media_objects"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "expires_at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    uploaded_by: Mapped[str] = mapped_column(String(80))


class Event(Base):
    """Append-only: an UPDATE is refused by a trigger (see the initial migration)."""

    __tablename__ = "events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "device_id"], ["devices.tenant_id", "devices.id"]),
        UniqueConstraint("tenant_id", "device_id", "idempotency_key"),
        Index(None, "tenant_id", "occurred_at"),
        Index(None, "tenant_id", "received_at"),  # the live feed reads what arrived since
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    device_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(ID)
    snapshot_id: Mapped[str | None] = mapped_column(ID)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ArrivalMark(Base):
    """What a device decided on a moment ago: a keyed hash of the subject (plate or
    person) and the outcome, so the same car or person waiting at the same device is
    one arrival. Kept for the repeat window only (older marks are deleted with the
    device's next arrival and by the retention purge); never the subject in clear."""

    __tablename__ = "arrival_marks"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "device_id"], ["devices.tenant_id", "devices.id"]),
        Index(None, "tenant_id", "at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ID, primary_key=True)
    mark: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    at: Mapped[datetime]


class RecentFactor(Base):
    """A factor a person showed at an access point a moment ago, kept for the point's
    multi-factor window so a second step (card now, face next) completes the first;
    deleted once used and by the retention purge."""

    __tablename__ = "recent_factors"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        Index(None, "tenant_id", "at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    access_point_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, primary_key=True)
    factor: Mapped[str] = mapped_column(String(8), primary_key=True)
    at: Mapped[datetime]
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)


class PresenceRow(Base):
    """Where the platform last placed a person, from the access decisions (a granted
    passage into a zone): the muster list, and the facts anti-passback and first-person-
    in rules need. One row per person; leaving the site deletes it."""

    __tablename__ = "presence"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        ForeignKeyConstraint(["tenant_id", "zone_id"], ["zones.tenant_id", "zones.id"]),
        Index(None, "tenant_id", "zone_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, primary_key=True)
    zone_id: Mapped[str] = mapped_column(ID)
    since: Mapped[datetime]
    access_point_id: Mapped[str] = mapped_column(ID)
    event_id: Mapped[str] = mapped_column(ID)


class AuditEntry(Base):
    """Append-only hash chain per tenant; UPDATE and DELETE are refused by triggers."""

    __tablename__ = "audit_log"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class SetupToken(Base):
    __tablename__ = "setup_tokens"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class InvitationRow(Base):
    """A one-time invitation to join the tenant with a role: only the SHA-256 of its
    token is kept (like sessions and setup tokens); spent, revoked or expired, it opens
    nothing."""

    __tablename__ = "invitations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        UniqueConstraint("tenant_id", "token_hash"),
        Index(None, "tenant_id", "created_at"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_user_id: Mapped[str | None] = mapped_column(ID)
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]


# -- access rules (see gatepost.domain.access_points, .schedules, .zones) ------------------


class Zone(Base):
    """An area of a site; ``parent_id`` is the zone it lies inside (None at the top)."""

    __tablename__ = "zones"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["zones.tenant_id", "zones.id"]),
        UniqueConstraint("tenant_id", "site_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Schedule(Base):
    """A weekly schedule of a tenant: ``week`` maps ``mon`` ... ``sun`` to lists of
    ``"HH:MM-HH:MM"``; ``holiday`` lists the intervals used on a site holiday."""

    __tablename__ = "schedules"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        UniqueConstraint("tenant_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    week: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    holiday: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AccessPoint(Base):
    """One controlled passage of a site (a door, a turnstile lane, a barrier) and its
    rules: door mode, required factors, anti-passback and first-person-in."""

    __tablename__ = "access_points"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        ForeignKeyConstraint(["tenant_id", "into_zone_id"], ["zones.tenant_id", "zones.id"]),
        ForeignKeyConstraint(["tenant_id", "out_of_zone_id"], ["zones.tenant_id", "zones.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "unlock_schedule_id"], ["schedules.tenant_id", "schedules.id"]
        ),
        UniqueConstraint("tenant_id", "site_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(120))
    into_zone_id: Mapped[str | None] = mapped_column(ID)
    out_of_zone_id: Mapped[str | None] = mapped_column(ID)
    direction: Mapped[str] = mapped_column(String(8))
    door_mode: Mapped[str] = mapped_column(String(24))
    unlock_schedule_id: Mapped[str | None] = mapped_column(ID)
    required_factors: Mapped[str] = mapped_column(String(24))
    multi_factor_window_seconds: Mapped[int] = mapped_column(Integer)
    anti_passback: Mapped[str] = mapped_column(String(8))
    anti_passback_reset_minutes: Mapped[int | None] = mapped_column(Integer)
    first_person_in: Mapped[bool] = mapped_column(Boolean)
    barrier: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The door mode an operator's remote lockdown replaced, restored by its release
    # (services.remote_commands); None while no remote lockdown is in force.
    mode_before_lockdown: Mapped[str | None] = mapped_column(String(24))


class AccessLevel(Base):
    """Which access points (``access_level_points``) a holder may pass, and when."""

    __tablename__ = "access_levels"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "schedule_id"], ["schedules.tenant_id", "schedules.id"]),
        UniqueConstraint("tenant_id", "name"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    schedule_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AccessLevelPoint(Base):
    """An access point of an access level."""

    __tablename__ = "access_level_points"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "access_level_id"], ["access_levels.tenant_id", "access_levels.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "access_point_id"], ["access_points.tenant_id", "access_points.id"]
        ),
        Index(None, "tenant_id", "access_point_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    access_level_id: Mapped[str] = mapped_column(ID, primary_key=True)
    access_point_id: Mapped[str] = mapped_column(ID, primary_key=True)


class PersonAccessLevel(Base):
    """An access level held by a person, within an optional validity window."""

    __tablename__ = "person_access_levels"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "access_level_id"], ["access_levels.tenant_id", "access_levels.id"]
        ),
        Index(None, "tenant_id", "access_level_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, primary_key=True)
    access_level_id: Mapped[str] = mapped_column(ID, primary_key=True)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SiteHoliday(Base):
    """A holiday in a site's calendar (a local date)."""

    __tablename__ = "site_holidays"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        UniqueConstraint("tenant_id", "site_id", "date"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    date: Mapped[date]
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class Credential(Base):
    """A person's card, PIN or QR code, never stored in clear: ``value_index`` is a blind
    index of the normalised value (a purpose per kind). ``active_index`` repeats it while
    the credential is not revoked, so a value is held by one live credential per tenant
    (NULLs do not clash) while revoked ones still resolve. ``label`` (cards only) is the
    card number's last characters, as printed on the card."""

    __tablename__ = "credentials"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "person_id"], ["persons.tenant_id", "persons.id"]),
        UniqueConstraint("tenant_id", "active_index"),
        Index(None, "tenant_id", "value_index"),
        Index(None, "tenant_id", "person_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(8))
    value_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    active_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    label: Mapped[str | None] = mapped_column(String(16))
    duress: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AlertRow(Base):
    """An alert an access decision raised, written with its event; open until an
    operator acknowledges it with a note (sealed: free text). ``person_id`` and
    ``vehicle_id`` are not foreign keys, as on events: an erased person leaves an id
    that names no one."""

    __tablename__ = "alerts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "raised_at"),
        Index(None, "tenant_id", "event_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    access_point_id: Mapped[str] = mapped_column(ID)
    event_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(12))
    silent: Mapped[bool] = mapped_column(Boolean)
    person_id: Mapped[str | None] = mapped_column(ID)
    vehicle_id: Mapped[str | None] = mapped_column(ID)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    acknowledged_note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class WebhookEndpointRow(Base):
    """A tenant's webhook receiver. The signing secret is sealed with the tenant's key;
    ``failure_streak`` counts failed attempts since the last success (a long run
    disables the endpoint, with the reason)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)


class NotificationSubscriberRow(Base):
    """A tenant's MQTT notification subscriber: a broker account that may only read
    ``gatepost-notify/<tenant_id>/#``. Only the password's Mosquitto hash is kept."""

    __tablename__ = "notification_subscribers"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]


class WebhookDeliveryRow(Base):
    """The notification outbox and delivery log: one row per notification and
    receiver (an endpoint, or ``channel`` mqtt: the tenant's notification topic),
    written in the transaction of what it reports. A notifier claims due rows by
    setting a lease (``lease_owner``, ``lease_until``) in one conditional UPDATE, so two
    processes never send the same attempt. The due-rows index leads with the tenant, as
    every key here does (the notifier serves every tenant and scans it whole)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        Index(None, "tenant_id", "endpoint_id", "created_at"),
        Index(None, "tenant_id", "status", "next_attempt_at"),
        Index(None, "tenant_id", "status", "created_at"),  # retention's purge
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    endpoint_id: Mapped[str | None] = mapped_column(ID)
    channel: Mapped[str] = mapped_column(String(8))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
