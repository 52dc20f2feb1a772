"""Persons of a tenant and their consents: kinds, statuses, the person, the consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatepost.domain.identities import IdentityKind

__all__ = ["Consent", "Person", "PersonKind", "PersonStatus"]


class PersonKind(StrEnum):
    EMPLOYEE = "employee"
    CONTRACTOR = "contractor"
    VISITOR = "visitor"
    RESIDENT = "resident"
    STUDENT = "student"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, repr=False)
class Person:
    """A person with their personal data in the clear (never logged: the repr shows the
    id only). Stored sealed; the identity number and phone are normalised."""

    tenant_id: str
    id: str
    kind: PersonKind
    status: PersonStatus
    site_id: str | None
    name: str
    identity_kind: IdentityKind | None
    identity_number: str | None
    phone: str | None
    notes: str | None
    external_ref: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"Person(id={self.id})"


@dataclass(frozen=True)
class Consent:
    """A separate, recorded consent of a person for one purpose (e.g. biometric face
    access); a withdrawn consent stays on record with the time it was withdrawn."""

    tenant_id: str
    id: str
    person_id: str
    purpose: str
    notice_version: str
    granted_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
