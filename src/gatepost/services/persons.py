"""PersonService: people of a tenant with sealed names, identity numbers and phones.

Names, identity numbers, phone numbers and notes are sealed with the tenant's data key,
bound to (tenant, table, column, row). Exact search goes through blind indexes.
Identity numbers and phones are returned masked; revealing them needs the reveal
permission and a stated reason, and is audited (SECURITY.md 15).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.identities import (
    IdentityKind,
    mask_identity_number,
    mask_phone,
    normalise_identity_number,
    normalise_phone,
)
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import persons as person_repo
from gatepost.store.repositories import sites as site_repo
from gatepost.store.tables import Consent, Person

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class BiometricPurge:
    """What a purge removed: the face-data version it committed (0: nothing) and kept
    enrolment photos whose blobs go once the transaction has committed."""

    version: int = 0
    photo_ids: tuple[str, ...] = ()


class BiometricStore(Protocol):
    """Where a person's biometric templates live (FaceService): erased with the person
    and when their biometric consent is withdrawn (SECURITY.md 26, 29)."""

    def purge(self, session: Session, *, tenant_id: str, person_id: str) -> BiometricPurge:
        """Delete inside the caller's transaction; hand the result to :meth:`purged`."""

    def purged(self, *, tenant_id: str, person_id: str, purge: BiometricPurge) -> None:
        """After the commit: forget the templates in memory too."""

    def regroup(self, session: Session, *, tenant_id: str) -> None:
        """Inside the caller's transaction: galleries must be rebuilt (a site changed)."""


__all__ = [
    "BiometricPurge",
    "ConsentView",
    "PersonDraft",
    "PersonKind",
    "PersonService",
    "PersonView",
    "RevealedIdentity",
    "normalise_name",
    "person_in_tenant",
]


class PersonKind(StrEnum):
    EMPLOYEE = "employee"
    CONTRACTOR = "contractor"
    VISITOR = "visitor"
    RESIDENT = "resident"
    STUDENT = "student"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


def normalise_name(name: str) -> str:
    """NFKC, trimmed, single spaces; used for sealing and (case-folded) for indexing."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


@dataclass(frozen=True, repr=False)
class PersonDraft:
    """Fields of a person as given by a client (create or update)."""

    name: str
    kind: str = PersonKind.EMPLOYEE.value
    site_id: str | None = None
    identity_kind: str | None = None
    identity_number: str | None = None
    phone: str | None = None
    notes: str | None = None
    external_ref: str | None = None
    status: str = PersonStatus.ACTIVE.value

    def __repr__(self) -> str:
        return "PersonDraft(<personal data>)"


@dataclass(frozen=True, repr=False)
class PersonView:
    id: str
    kind: str
    site_id: str | None
    name: str
    identity_kind: str | None
    identity_masked: str | None
    phone_masked: str | None
    notes: str | None
    external_ref: str | None
    status: str
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"PersonView(id={self.id})"


@dataclass(frozen=True, repr=False)
class RevealedIdentity:
    id: str
    identity_number: str | None
    phone: str | None

    def __repr__(self) -> str:
        return f"RevealedIdentity(id={self.id})"


@dataclass(frozen=True)
class ConsentView:
    id: str
    person_id: str
    purpose: str
    notice_version: str
    granted_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None


def _choice(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationFailed(f"{field} must be one of: {allowed}", field=field) from exc


class PersonService:
    def __init__(
        self,
        *,
        db: Database,
        keys: KeyService,
        audit: AuditService,
        clock: Clock,
        biometrics: BiometricStore,
    ) -> None:
        self._db = db
        self._keys = keys
        self._audit = audit
        self._clock = clock
        self._biometrics = biometrics

    # -- sealing ----------------------------------------------------------------

    @staticmethod
    def _seal(keys: TenantKeys, person_id: str, column: str, value: str) -> bytes:
        return keys.seal_text(value, table="persons", column=column, row_id=person_id)

    @staticmethod
    def _open(keys: TenantKeys, person: Person, column: str, value: bytes | None) -> str | None:
        if value is None:
            return None
        return keys.open_text(value, table="persons", column=column, row_id=person.id)

    def _view(self, keys: TenantKeys, person: Person) -> PersonView:
        identity = self._open(keys, person, "identity", person.identity_sealed)
        phone = self._open(keys, person, "phone", person.phone_sealed)
        return PersonView(
            id=person.id,
            kind=person.kind,
            site_id=person.site_id,
            name=self._open(keys, person, "name", person.name_sealed) or "",
            identity_kind=person.identity_kind,
            identity_masked=mask_identity_number(identity) if identity else None,
            phone_masked=mask_phone(phone) if phone else None,
            notes=self._open(keys, person, "notes", person.notes_sealed),
            external_ref=person.external_ref,
            status=person.status,
            created_at=person.created_at,
            updated_at=person.updated_at,
        )

    def _apply(
        self, session: Session, keys: TenantKeys, person: Person, draft: PersonDraft
    ) -> None:
        name = normalise_name(draft.name)
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        person.kind = _choice(PersonKind, draft.kind, "kind").value
        person.status = _choice(PersonStatus, draft.status, "status").value
        if (
            draft.site_id is not None
            and site_repo.get_site(session, tenant_id=person.tenant_id, site_id=draft.site_id)
            is None
        ):
            raise ValidationFailed("no such site", field="site_id")
        person.site_id = draft.site_id
        person.name_sealed = self._seal(keys, person.id, "name", name)
        person.name_index = keys.blind_index(name.casefold(), purpose="person.name")
        if draft.identity_number:
            kind = _choice(IdentityKind, draft.identity_kind or "", "identity_kind")
            number = normalise_identity_number(draft.identity_number, kind)
            index = keys.blind_index(f"{kind.value}:{number}", purpose="person.identity")
            clash = person_repo.by_identity_index(session, tenant_id=person.tenant_id, index=index)
            if clash is not None and clash.id != person.id:
                raise Conflict("another person has this identity number")
            person.identity_kind = kind.value
            person.identity_sealed = self._seal(keys, person.id, "identity", number)
            person.identity_index = index
        else:
            person.identity_kind = person.identity_sealed = person.identity_index = None
        if draft.phone:
            phone = normalise_phone(draft.phone)
            person.phone_sealed = self._seal(keys, person.id, "phone", phone)
            person.phone_index = keys.blind_index(phone, purpose="person.phone")
        else:
            person.phone_sealed = person.phone_index = None
        notes = (draft.notes or "").strip()
        if len(notes) > 2000:
            raise ValidationFailed("notes must have at most 2000 characters", field="notes")
        person.notes_sealed = self._seal(keys, person.id, "notes", notes) if notes else None
        ref = (draft.external_ref or "").strip() or None
        if ref is not None and len(ref) > 64:
            raise ValidationFailed(
                "external_ref must have at most 64 characters", field="external_ref"
            )
        person.external_ref = ref

    # -- use cases --------------------------------------------------------------

    def create(self, principal: Principal, draft: PersonDraft) -> PersonView:
        now = self._clock.now()
        with self._db.session() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            person = Person(
                tenant_id=principal.tenant_id, id=new_id(), created_at=now, updated_at=now
            )
            self._apply(session, keys, person, draft)
            person_repo.add_person(session, person)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="person.created", target=f"person:{person.id}"
                ),
            )
            return self._view(keys, person)

    def get(self, principal: Principal, person_id: str) -> PersonView:
        with self._db.session() as session:
            person = person_in_tenant(session, principal, person_id)
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            return self._view(keys, person)

    def update(
        self, principal: Principal, person_id: str, changes: dict[str, object]
    ) -> PersonView:
        """Apply a partial update; ``changes`` holds only the fields the client sent."""
        now = self._clock.now()
        with self._db.session() as session:
            person = person_in_tenant(session, principal, person_id)
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            current = self._view(keys, person)
            identity = self._open(keys, person, "identity", person.identity_sealed)
            phone = self._open(keys, person, "phone", person.phone_sealed)
            draft = PersonDraft(
                name=current.name,
                kind=current.kind,
                site_id=current.site_id,
                identity_kind=current.identity_kind,
                identity_number=identity,
                phone=phone,
                notes=current.notes,
                external_ref=current.external_ref,
                status=current.status,
            )
            draft = replace(draft, **changes)  # type: ignore[arg-type]
            self._apply(session, keys, person, draft)
            if person.site_id != current.site_id:
                # The person's face templates now belong in another site's gallery.
                self._biometrics.regroup(session, tenant_id=principal.tenant_id)
            person.updated_at = now
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="person.updated",
                    target=f"person:{person.id}",
                    details={"fields": ",".join(sorted(changes))},
                ),
            )
            return self._view(keys, person)

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        after: str | None,
        site_id: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        identity_number: str | None = None,
        identity_kind: str | None = None,
    ) -> Page[PersonView]:
        with self._db.session() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            identity_index = None
            if identity_number:
                kind = _choice(IdentityKind, identity_kind or "cn_resident", "identity_kind")
                number = normalise_identity_number(identity_number, kind)
                identity_index = keys.blind_index(
                    f"{kind.value}:{number}", purpose="person.identity"
                )
            rows = person_repo.list_persons(
                session,
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                after=after,
                site_id=site_id,
                name_index=keys.blind_index(normalise_name(name).casefold(), purpose="person.name")
                if name
                else None,
                phone_index=keys.blind_index(normalise_phone(phone), purpose="person.phone")
                if phone
                else None,
                identity_index=identity_index,
            )
            return page_by_id(rows, limit, lambda row: self._view(keys, row))

    def count(self, principal: Principal) -> int:
        with self._db.session() as session:
            return person_repo.count_persons(session, tenant_id=principal.tenant_id)

    def reveal(self, principal: Principal, person_id: str, *, reason: str) -> RevealedIdentity:
        reason = " ".join(reason.split())
        if len(reason) < 5:
            raise ValidationFailed("state a reason of at least 5 characters", field="reason")
        if len(reason) > 500:
            raise ValidationFailed("the reason must have at most 500 characters", field="reason")
        with self._db.session() as session:
            person = person_in_tenant(session, principal, person_id)
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            revealed = RevealedIdentity(
                id=person.id,
                identity_number=self._open(keys, person, "identity", person.identity_sealed),
                phone=self._open(keys, person, "phone", person.phone_sealed),
            )
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="person.identity_revealed",
                    target=f"person:{person.id}",
                    purpose=reason,
                ),
            )
        return revealed

    def delete(self, principal: Principal, person_id: str) -> None:
        with self._db.session() as session:
            person_in_tenant(session, principal, person_id)
            purge = self._biometrics.purge(
                session, tenant_id=principal.tenant_id, person_id=person_id
            )
            person_repo.delete_person(session, tenant_id=principal.tenant_id, person_id=person_id)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="person.erased", target=f"person:{person_id}"
                ),
            )
        self._biometrics.purged(tenant_id=principal.tenant_id, person_id=person_id, purge=purge)

    # -- consents ---------------------------------------------------------------

    def record_consent(
        self, principal: Principal, person_id: str, *, purpose: str, notice_version: str
    ) -> ConsentView:
        purpose, notice_version = purpose.strip(), notice_version.strip()
        if not 1 <= len(purpose) <= 40:
            raise ValidationFailed("purpose must have 1-40 characters", field="purpose")
        if not 1 <= len(notice_version) <= 40:
            raise ValidationFailed(
                "notice_version must have 1-40 characters", field="notice_version"
            )
        with self._db.session() as session:
            person_in_tenant(session, principal, person_id)
            consent = Consent(
                tenant_id=principal.tenant_id,
                id=new_id(),
                person_id=person_id,
                purpose=purpose,
                notice_version=notice_version,
                granted_at=self._clock.now(),
                recorded_by=principal.actor,
                withdrawn_at=None,
            )
            person_repo.add_consent(session, consent)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="consent.recorded",
                    target=f"person:{person_id}",
                    purpose=purpose,
                    details={"consent": consent.id, "notice": notice_version},
                ),
            )
            return _consent_view(consent)

    def consents(self, principal: Principal, person_id: str) -> Sequence[ConsentView]:
        with self._db.session() as session:
            person_in_tenant(session, principal, person_id)
            rows = person_repo.consents_of(
                session, tenant_id=principal.tenant_id, person_id=person_id
            )
            return [_consent_view(row) for row in rows]

    def withdraw_consent(
        self, principal: Principal, person_id: str, consent_id: str
    ) -> ConsentView:
        """Withdraw a consent; withdrawing the last biometric one deletes the templates."""
        purge = BiometricPurge()
        with self._db.session() as session:
            consent = person_repo.get_consent(
                session, tenant_id=principal.tenant_id, consent_id=consent_id
            )
            if consent is None or consent.person_id != person_id:
                raise NotFound("consent")
            if consent.withdrawn_at is None:
                consent.withdrawn_at = self._clock.now()
            session.flush()
            last_biometric = consent.purpose == FACE_CONSENT_PURPOSE and not any(
                c.purpose == FACE_CONSENT_PURPOSE and c.withdrawn_at is None
                for c in person_repo.consents_of(
                    session, tenant_id=principal.tenant_id, person_id=person_id
                )
            )
            if last_biometric:
                purge = self._biometrics.purge(
                    session, tenant_id=principal.tenant_id, person_id=person_id
                )
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="consent.withdrawn",
                    target=f"person:{person_id}",
                    purpose=consent.purpose,
                    details={
                        "consent": consent.id,
                        "templates_deleted": str(purge.version > 0).lower(),
                    },
                ),
            )
            view = _consent_view(consent)
        self._biometrics.purged(tenant_id=principal.tenant_id, person_id=person_id, purge=purge)
        return view


def person_in_tenant(session: Session, principal: Principal, person_id: str) -> Person:
    """The person in the caller's tenant, or NotFound (never another tenant's)."""
    person = person_repo.get_person(session, tenant_id=principal.tenant_id, person_id=person_id)
    if person is None:
        raise NotFound("person")
    return person


def _consent_view(row: Consent) -> ConsentView:
    return ConsentView(
        id=row.id,
        person_id=row.person_id,
        purpose=row.purpose,
        notice_version=row.notice_version,
        granted_at=row.granted_at,
        recorded_by=row.recorded_by,
        withdrawn_at=row.withdrawn_at,
    )
