"""Tenant, site, person, consent, vehicle, device, event, media and audit schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, WithJsonSchema

from gatepost.api.schemas.base import Input, Output
from gatepost.domain.decisions import CommandKind, Outcome, Reason
from gatepost.domain.devices import (
    SERVER_EVENT_KINDS,
    DeviceKind,
    DeviceRole,
    Direction,
    EventKind,
)
from gatepost.domain.faces import Outcome as RecognitionOutcome
from gatepost.domain.identities import IdentityKind
from gatepost.domain.media import MediaKind
from gatepost.domain.persons import PersonKind, PersonStatus
from gatepost.domain.plates import PlateRegion
from gatepost.domain.vehicles import AccessList, GateDecision
from gatepost.security.audit_chain import ChainEntry, UnreadableEntry
from gatepost.vision.plates import PlateColor

__all__ = [
    "AuditEntryPublic",
    "AuditVerifyPublic",
    "ConsentCreate",
    "ConsentPublic",
    "DeviceCreate",
    "DeviceIssued",
    "DevicePublic",
    "EventBatch",
    "EventIn",
    "EventPublic",
    "CandidatePublic",
    "FaceBoxPublic",
    "FaceQualityPublic",
    "FaceEnrolmentPublic",
    "FacePolicyPublic",
    "FacePolicyUpdate",
    "FaceTemplatePublic",
    "PlateMatchPublic",
    "PlateReadPublic",
    "PlateReadingPublic",
    "RecognitionPublic",
    "RenewedPublic",
    "DeletedPublic",
    "IngestResultPublic",
    "MediaPublic",
    "MediaUrlPublic",
    "PersonCreate",
    "PersonPublic",
    "PersonSearch",
    "PersonUpdate",
    "RevealRequest",
    "RevealedPublic",
    "SiteCreate",
    "SitePublic",
    "TenantCreate",
    "TenantPublic",
    "VehicleCreate",
    "VehiclePublic",
    "VehicleSearch",
    "VehicleUpdate",
]

Scalar = str | int | float | bool


def _device_event_kind(kind: EventKind) -> EventKind:
    if kind in SERVER_EVENT_KINDS:
        raise ValueError("this kind is recorded by gatepost itself, never posted by a device")
    return kind


DeviceEventKind = Annotated[
    EventKind,
    AfterValidator(_device_event_kind),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(kind.value for kind in EventKind if kind not in SERVER_EVENT_KINDS),
            "title": "DeviceEventKind",
            "description": "An event kind a device may post (gatepost records the rest).",
        }
    ),
]
"""An :class:`EventKind` other than gatepost's own, declared as that enumeration."""

RecognitionDecision = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": [outcome.value for outcome in RecognitionOutcome],
            "title": "RecognitionDecision",
        }
    ),
]
"""A face match outcome (domain.faces.Outcome), an output only: declared as that
enumeration under its own name, apart from the access decision's ``Outcome``."""


class TenantCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=3, max_length=40)


class TenantPublic(Output):
    id: str
    slug: str
    name: str
    created_at: datetime
    suspended_at: datetime | None = None
    keys_shredded_at: datetime | None = None


class TenantShred(Input):
    confirm: str = Field(
        max_length=63, description="The tenant's slug, typed exactly: shredding is final."
    )


class TenantShredded(Output):
    id: str
    keys_destroyed: int


class SiteCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64, description="An IANA time zone.")
    address: str | None = Field(default=None, max_length=500)
    holiday_country: str | None = Field(
        default=None, max_length=8, description="ISO 3166 code of the public-holiday calendar."
    )
    holiday_subdivision: str | None = Field(
        default=None, max_length=16, description="A subdivision of that calendar (state etc.)."
    )


class SiteUpdate(Input):
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Omit: unchanged."
    )
    timezone: str | None = Field(default=None, max_length=64, description="Omit: unchanged.")
    address: str | None = Field(default=None, max_length=500, description="null: none.")
    holiday_country: str | None = Field(default=None, max_length=8, description="null: none.")
    holiday_subdivision: str | None = Field(default=None, max_length=16, description="null: none.")


class SitePublic(Output):
    id: str
    name: str
    timezone: str
    created_at: datetime
    address: str | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None


class PersonCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: PersonKind = PersonKind.EMPLOYEE
    site_id: str | None = Field(default=None, max_length=32)
    identity_kind: IdentityKind | None = None
    identity_number: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=24)
    notes: str | None = Field(default=None, max_length=2000)
    external_ref: str | None = Field(default=None, max_length=64)
    status: PersonStatus = PersonStatus.ACTIVE


class PersonUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: PersonKind | None = None
    site_id: str | None = Field(default=None, max_length=32)
    identity_kind: IdentityKind | None = None
    identity_number: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=24)
    notes: str | None = Field(default=None, max_length=2000)
    external_ref: str | None = Field(default=None, max_length=64)
    status: PersonStatus | None = None


class PersonPublic(Output):
    id: str
    kind: PersonKind
    site_id: str | None
    name: str
    identity_kind: IdentityKind | None
    identity_masked: str | None = Field(description="First 4 and last 4 characters only.")
    phone_masked: str | None
    notes: str | None
    external_ref: str | None
    status: PersonStatus
    created_at: datetime
    updated_at: datetime


class PersonSearch(Input):
    """Exact-match search; send personal search terms in a body, not in a URL."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=24)
    identity_number: str | None = Field(default=None, max_length=40)
    identity_kind: IdentityKind | None = None
    site_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class RevealRequest(Input):
    reason: str = Field(min_length=5, max_length=500, description="Why you need the full value.")


class RevealedPublic(Output):
    id: str
    identity_number: str | None
    phone: str | None


class ConsentCreate(Input):
    purpose: str = Field(min_length=1, max_length=40, examples=["biometric_face"])
    notice_version: str = Field(min_length=1, max_length=40)


class ConsentPublic(Output):
    id: str
    person_id: str
    purpose: str
    notice_version: str
    granted_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None


def _region() -> Any:
    return Field(default=None, description="Omit: any format.")


def _optional_id() -> Any:
    return Field(default=None, pattern=r"^[0-9a-f]{32}$")


class VehicleCreate(Input):
    plate: str = Field(min_length=1, max_length=32, examples=["京A12345"])
    region: PlateRegion | None = _region()
    list: AccessList = Field(
        default=AccessList.ALLOW,
        description="allow (let in), deny (turned away, alert) or watch (let in, alert).",
    )
    person_id: str | None = _optional_id()
    site_id: str | None = _optional_id()
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    description: str | None = Field(default=None, max_length=500)


class VehicleUpdate(Input):
    plate: str | None = Field(default=None, min_length=1, max_length=32)
    region: PlateRegion | None = _region()
    list: AccessList | None = None
    person_id: str | None = _optional_id()
    site_id: str | None = _optional_id()
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    description: str | None = Field(default=None, max_length=500)


class VehiclePublic(Output):
    id: str
    plate: str = Field(description="Normalised plate text.")
    region: PlateRegion = Field(description="Region of the plate format it matched.")
    list: AccessList
    person_id: str | None
    site_id: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class VehicleSearch(Input):
    """Exact-match search by plate; send the plate in a body, not in a URL."""

    plate: str | None = Field(default=None, max_length=32)
    site_id: str | None = _optional_id()
    person_id: str | None = _optional_id()
    list: AccessList | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class DeviceCreate(Input):
    site_id: str = Field(min_length=32, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    kind: DeviceKind
    direction: Direction = Direction.IN
    zone: str = Field(default="main", min_length=1, max_length=80)
    roles: list[DeviceRole] = Field(default_factory=lambda: [DeviceRole.ACCESS_POINT], max_length=4)


class DevicePublic(Output):
    id: str
    site_id: str
    name: str
    kind: DeviceKind
    direction: Direction
    zone: str
    roles: list[DeviceRole]
    credential_rotated_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    last_seen_at: datetime | None
    access_point_id: str | None = Field(
        default=None, description="The access point it controls (null: it stands for itself)."
    )


class DeviceIssued(DevicePublic):
    credential: str = Field(description="Device bearer credential; shown once.")
    mqtt_username: str = Field(description="The device's MQTT broker account.")
    mqtt_password: str = Field(description="The device's MQTT broker password; shown once.")
    mqtt_mac_key: str = Field(
        description="Key (base64url) that signs each MQTT message (docs/devices.md); shown once."
    )


class EventIn(Input):
    idempotency_key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    kind: DeviceEventKind
    occurred_at: AwareDatetime
    person_id: str | None = Field(default=None, min_length=32, max_length=32)
    snapshot_id: str | None = Field(default=None, min_length=32, max_length=32)
    data: dict[str, Scalar] = Field(default_factory=dict, max_length=32)


class DeviceArrivalIn(Input):
    """A card, PIN or QR value read at the device's access point, or its exit button."""

    kind: Literal["card", "pin", "qr", "exit_button"]
    value: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="The card number, PIN or QR text read (none for an exit button).",
    )
    idempotency_key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    device_time: AwareDatetime = Field(description="The device's clock when it read it.")


class CommandPublic(Output):
    kind: CommandKind = Field(description="What the device must do.")
    display: str = Field(description="A short text for the device's display (may be empty).")


class ArrivalDecisionPublic(Output):
    outcome: Outcome
    reasons: list[Reason] = Field(description="Machine-readable reasons; the first decided.")
    command: CommandPublic | None = Field(description="The command for the device, if any.")
    event_id: str = Field(description="The access event this arrival is stored as.")
    duplicate: bool = Field(
        description="The device sent this message before: this is that decision, stored "
        "once; act on it only if it was not acted on."
    )


class EventBatch(Input):
    events: list[EventIn] = Field(min_length=1, max_length=1000)


class IngestResultPublic(Output):
    idempotency_key: str
    event_id: str | None
    stored: bool = Field(description="False when this key was already stored (a duplicate).")


class EventPublic(Output):
    id: str
    site_id: str
    device_id: str
    kind: EventKind
    occurred_at: datetime
    received_at: datetime
    person_id: str | None
    snapshot_id: str | None
    data: dict[str, Any]


class MediaPublic(Output):
    id: str
    kind: MediaKind
    content_type: str
    size: int
    width: int
    height: int
    created_at: datetime
    expires_at: datetime | None


class MediaUrlPublic(Output):
    url: str
    expires: int


class AuditEntryPublic(Output):
    seq: int | None = Field(
        description="Position in the chain; null only for an unreadable entry whose "
        "sequence number is itself unreadable."
    )
    at: datetime | None = Field(description="When; null for an unreadable entry.")
    actor: str = ""
    action: str = ""
    purpose: str = ""
    target: str = ""
    outcome: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    unreadable: str | None = Field(
        default=None,
        description="Set when the stored row cannot be read back (it was written to the "
        "database directly): what is wrong with it. Its other fields are then empty.",
    )

    @classmethod
    def of(cls, entry: ChainEntry | UnreadableEntry) -> AuditEntryPublic:
        if isinstance(entry, UnreadableEntry):
            return cls(seq=entry.seq, at=None, unreadable=entry.problem)
        return cls.model_validate(entry)


class AuditVerifyPublic(Output):
    entries: int
    intact: bool
    problems: list[str]


class FaceTemplatePublic(Output):
    """A stored face template's metadata (the template itself never leaves the server)."""

    id: str
    model: str
    quality: float = Field(description="Sharpness of the enrolment photo's face.")
    face_width: int = Field(description="Face width in pixels in the enrolment photo.")
    created_at: datetime
    created_by: str


class FaceEnrolmentPublic(Output):
    person_id: str
    faces: list[FaceTemplatePublic] = Field(description="The templates stored (metadata).")
    replaced: int = Field(description="Templates deleted first (replace=true).")


class DeletedPublic(Output):
    deleted: int


class RenewedPublic(Output):
    renewed: int = Field(description="Templates moved to the new template key.")


class FaceQualityPublic(Output):
    size: int
    sharpness: float
    pose: float
    score: float


class FaceBoxPublic(Output):
    box: list[int] = Field(description="[left, top, right, bottom] in pixels.")
    quality: FaceQualityPublic


class CandidatePublic(Output):
    person_id: str
    distance: float


class AccessDecisionPublic(Output):
    """The access decision on a device's arrival, as stored in its access event."""

    outcome: Outcome = Field(description="grant, deny, second_factor or alert_only.")
    reasons: list[Reason] = Field(description="Machine-readable reasons; the first decided.")
    event_id: str | None = Field(description="The access event it was stored as.")
    duplicate: bool = Field(
        default=False,
        description="The device sent this frame before under its Idempotency-Key: this is "
        "that decision, stored once; act on it only if it was not acted on.",
    )


class RecognitionPublic(Output):
    decision: RecognitionDecision
    reason: str
    person_id: str | None = Field(
        description="The matched person (match), or the one to confirm with a second "
        "factor (second_factor_required); null for no_match."
    )
    distance: float | None
    threshold: float
    gallery_size: int = Field(description="Enrolled people searched.")
    fpir: float = Field(description="Expected false-positive identification rate.")
    faces_found: int
    face: FaceBoxPublic | None
    candidates: list[CandidatePublic] = Field(
        description="Nearest people, closest first (empty for devices)."
    )
    access: AccessDecisionPublic | None = Field(
        default=None, description="Devices only: the access decision on this arrival."
    )


class FacePolicyPublic(Output):
    model: str
    target_fmr: float
    max_fpir: float
    threshold: float
    face_only_up_to: int = Field(
        description="Largest gallery (people) in which a face alone may still decide."
    )
    photo_days: int = Field(
        description="Days enrolment photos are kept, sealed (0: discarded at enrolment)."
    )


class FacePolicyUpdate(Input):
    target_fmr: float = Field(ge=1e-7, le=1e-2, examples=[1e-4])
    max_fpir: float = Field(ge=1e-6, le=0.5, examples=[0.05])
    photo_days: int | None = Field(
        default=None, ge=0, le=3650, description="Omit to leave unchanged; 0 discards photos."
    )


class PlateMatchPublic(Output):
    vehicle_id: str
    plate: str = Field(description="The known vehicle's plate.")
    list: AccessList = Field(description="allow, deny or watch")
    cost: float = Field(description="Confusion-weighted edit distance (0: exact).")


class PlateReadingPublic(Output):
    text: str
    confidence: float
    box: list[int] = Field(description="[left, top, right, bottom] in pixels.")
    color: PlateColor
    region: PlateRegion
    vehicle: PlateMatchPublic | None


class PlateReadPublic(Output):
    decision: GateDecision = Field(description="The barrier's summary: allow, deny or unknown.")
    reason: str = Field(description="Why, in words.")
    outcome: Outcome = Field(description="The access decision's outcome.")
    reasons: list[Reason] = Field(description="Machine-readable reasons; the first decided.")
    event_id: str | None = Field(
        default=None, description="The access event a device's arrival was stored as."
    )
    plates: list[PlateReadingPublic] = Field(description="Most confident first.")
    read_id: str | None = Field(
        default=None, description="The gate log entry a device's read was stored as."
    )
    repeat: bool = Field(
        default=False,
        description="The device read this car moments ago: decided again, not stored again.",
    )
    duplicate: bool = Field(
        default=False,
        description="The device sent this frame before under its Idempotency-Key: this is "
        "that decision, stored once (the frame is not read again: no plates).",
    )
