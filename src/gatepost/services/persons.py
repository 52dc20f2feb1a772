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

from gatepost.domain.identities import (
    IdentityKind,
    mask_identity_number,
    mask_phone,
    normalise_identity_number,
    normalise_phone,
)
from gatepost.domain.names import visible_name
from gatepost.domain.persons import Person, PersonKind, PersonStatus
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.persons import StoredPerson

E = TypeVar("E", bound=StrEnum)

_TABLE = "persons"


class BiometricStore(Protocol):
    """Where a person's biometric templates live (FaceService): erased with the person
    and when their biometric consent is withdrawn (SECURITY.md 26, 29). Both act inside
    the caller's unit of work; in-memory copies follow once it has committed."""

    def purge(self, uow: UnitOfWork, *, tenant_id: str, person_id: str) -> int:
        """Delete the person's templates (and kept photos); returns how many went."""

    def regroup(self, uow: UnitOfWork, *, tenant_id: str) -> None:
        """Galleries must be rebuilt (a person moved to another site)."""


__all__ = [
    "BiometricStore",
    "PersonDraft",
    "PersonService",
    "PersonView",
    "RevealedIdentity",
    "audited",
    "names_in",
    "normalise_name",
    "person_in_tenant",
]


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
    """A person as shown: the identity number and phone masked."""

    id: str
    kind: PersonKind
    site_id: str | None
    name: str
    identity_kind: IdentityKind | None
    identity_masked: str | None
    phone_masked: str | None
    notes: str | None
    external_ref: str | None
    status: PersonStatus
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


def _choice(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationFailed(
            "%(field)s must be one of: %(allowed)s",
            field=field,
            params={"field": field, "allowed": allowed},
        ) from exc


def _view(person: Person) -> PersonView:
    identity, phone = person.identity_number, person.phone
    return PersonView(
        id=person.id,
        kind=person.kind,
        site_id=person.site_id,
        name=person.name,
        identity_kind=person.identity_kind,
        identity_masked=mask_identity_number(identity) if identity else None,
        phone_masked=mask_phone(phone) if phone else None,
        notes=person.notes,
        external_ref=person.external_ref,
        status=person.status,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def _draft(person: Person) -> PersonDraft:
    return PersonDraft(
        name=person.name,
        kind=person.kind.value,
        site_id=person.site_id,
        identity_kind=person.identity_kind.value if person.identity_kind else None,
        identity_number=person.identity_number,
        phone=person.phone,
        notes=person.notes,
        external_ref=person.external_ref,
        status=person.status.value,
    )


# -- sealing --------------------------------------------------------------------------


def _opened(keys: TenantKeys, stored: StoredPerson) -> Person:
    def open_(column: str, value: bytes | None) -> str | None:
        if value is None:
            return None
        return keys.open_text(value, table=_TABLE, column=column, row_id=stored.id)

    return Person(
        tenant_id=stored.tenant_id,
        id=stored.id,
        kind=stored.kind,
        status=stored.status,
        site_id=stored.site_id,
        name=open_("name", stored.name_sealed) or "",
        identity_kind=stored.identity_kind,
        identity_number=open_("identity", stored.identity_sealed),
        phone=open_("phone", stored.phone_sealed),
        notes=open_("notes", stored.notes_sealed),
        external_ref=stored.external_ref,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


def _identity_index(keys: TenantKeys, kind: IdentityKind, number: str) -> bytes:
    return keys.blind_index(f"{kind.value}:{number}", purpose="person.identity")


def _sealed(keys: TenantKeys, person: Person) -> StoredPerson:
    def seal(column: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        return keys.seal_text(value, table=_TABLE, column=column, row_id=person.id)

    kind, number = person.identity_kind, person.identity_number
    identity = (kind, number) if kind is not None and number is not None else None
    return StoredPerson(
        tenant_id=person.tenant_id,
        id=person.id,
        kind=person.kind,
        status=person.status,
        site_id=person.site_id,
        name_sealed=keys.seal_text(person.name, table=_TABLE, column="name", row_id=person.id),
        name_index=keys.blind_index(person.name.casefold(), purpose="person.name"),
        identity_kind=identity[0] if identity else None,
        identity_sealed=seal("identity", identity[1]) if identity else None,
        identity_index=_identity_index(keys, *identity) if identity else None,
        phone_sealed=seal("phone", person.phone),
        phone_index=keys.blind_index(person.phone, purpose="person.phone")
        if person.phone
        else None,
        notes_sealed=seal("notes", person.notes),
        external_ref=person.external_ref,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


class PersonService:
    def __init__(self, *, tx: Transactions, clock: Clock, biometrics: BiometricStore) -> None:
        self._tx = tx
        self._clock = clock
        self._biometrics = biometrics

    def _validated(
        self, uow: UnitOfWork, keys: TenantKeys, current: Person, draft: PersonDraft
    ) -> Person:
        """``current`` with the draft's fields, checked and normalised."""
        tenant_id = current.tenant_id
        name = normalise_name(draft.name)
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        visible_name(name)
        kind = _choice(PersonKind, draft.kind, "kind")
        status = _choice(PersonStatus, draft.status, "status")
        if (
            draft.site_id is not None
            and uow.sites.get(tenant_id=tenant_id, site_id=draft.site_id) is None
        ):
            raise ValidationFailed("no such site", field="site_id")
        identity_kind, identity = None, None
        if draft.identity_number:
            identity_kind = _choice(IdentityKind, draft.identity_kind or "", "identity_kind")
            identity = normalise_identity_number(draft.identity_number, identity_kind)
            clash = uow.persons.by_identity_index(
                tenant_id=tenant_id, index=_identity_index(keys, identity_kind, identity)
            )
            if clash is not None and clash.id != current.id:
                raise Conflict("another person has this identity number")
        phone = normalise_phone(draft.phone) if draft.phone else None
        notes = (draft.notes or "").strip()
        if len(notes) > 2000:
            raise ValidationFailed("notes must have at most 2000 characters", field="notes")
        ref = (draft.external_ref or "").strip() or None
        if ref is not None and len(ref) > 64:
            raise ValidationFailed(
                "external_ref must have at most 64 characters", field="external_ref"
            )
        return replace(
            current,
            kind=kind,
            status=status,
            site_id=draft.site_id,
            name=name,
            identity_kind=identity_kind,
            identity_number=identity,
            phone=phone,
            notes=notes or None,
            external_ref=ref,
        )

    # -- use cases --------------------------------------------------------------

    def create(self, principal: Principal, draft: PersonDraft) -> PersonView:
        now = self._clock.now()
        tenant_id = principal.tenant_id
        blank = Person(
            tenant_id=tenant_id,
            id=new_id(),
            kind=PersonKind.EMPLOYEE,
            status=PersonStatus.ACTIVE,
            site_id=None,
            name="",
            identity_kind=None,
            identity_number=None,
            phone=None,
            notes=None,
            external_ref=None,
            created_at=now,
            updated_at=now,
        )
        with self._tx.write() as uow:
            keys = uow.keys(tenant_id)
            person = self._validated(uow, keys, blank, draft)
            uow.persons.save(_sealed(keys, person))
            uow.audit(tenant_id, audited(principal, "person.created", person.id))
        return _view(person)

    def get(self, principal: Principal, person_id: str) -> PersonView:
        with self._tx.read() as uow:
            stored = person_in_tenant(uow, principal, person_id)
            return _view(_opened(uow.keys(principal.tenant_id), stored))

    def update(
        self, principal: Principal, person_id: str, changes: dict[str, object]
    ) -> PersonView:
        """Apply a partial update; ``changes`` holds only the fields the client sent."""
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            keys = uow.keys(tenant_id)
            current = _opened(keys, person_in_tenant(uow, principal, person_id))
            draft = replace(_draft(current), **changes)  # type: ignore[arg-type]
            person = replace(self._validated(uow, keys, current, draft), updated_at=now)
            uow.persons.save(_sealed(keys, person))
            if person.site_id != current.site_id:
                # The person's face templates now belong in another site's gallery.
                self._biometrics.regroup(uow, tenant_id=tenant_id)
            uow.audit(
                tenant_id,
                audited(
                    principal,
                    "person.updated",
                    person.id,
                    details={"fields": ",".join(sorted(changes))},
                ),
            )
        return _view(person)

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
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            keys = uow.keys(tenant_id)
            identity_index = None
            if identity_number:
                kind = _choice(IdentityKind, identity_kind or "cn_resident", "identity_kind")
                number = normalise_identity_number(identity_number, kind)
                identity_index = _identity_index(keys, kind, number)
            rows = uow.persons.list(
                tenant_id=tenant_id,
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
            return page_by_id(rows, limit, lambda row: _view(_opened(keys, row)))

    def count(self, principal: Principal) -> int:
        with self._tx.read() as uow:
            return uow.persons.count(tenant_id=principal.tenant_id)

    def reveal(self, principal: Principal, person_id: str, *, reason: str) -> RevealedIdentity:
        reason = " ".join(reason.split())
        if len(reason) < 5:
            raise ValidationFailed("state a reason of at least 5 characters", field="reason")
        if len(reason) > 500:
            raise ValidationFailed("the reason must have at most 500 characters", field="reason")
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            person = _opened(uow.keys(tenant_id), person_in_tenant(uow, principal, person_id))
            uow.audit(
                tenant_id,
                audited(principal, "person.identity_revealed", person.id, purpose=reason),
            )
        return RevealedIdentity(
            id=person.id, identity_number=person.identity_number, phone=person.phone
        )

    def delete(self, principal: Principal, person_id: str) -> None:
        """Erase the person: their templates and kept photos, consents and data; their
        vehicles stay, tied to no one."""
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            person_in_tenant(uow, principal, person_id)
            self._biometrics.purge(uow, tenant_id=tenant_id, person_id=person_id)
            if uow.persons.delete(tenant_id=tenant_id, person_id=person_id):
                uow.vehicles.bump_version(tenant_id=tenant_id)  # their owner changed
            uow.audit(tenant_id, audited(principal, "person.erased", person_id))


def names_in(uow: UnitOfWork, tenant_id: str, person_ids: Sequence[str]) -> dict[str, str]:
    """The names of these persons of the tenant (opened), by id; unknown ids are absent."""
    keys = uow.keys(tenant_id)
    names = {}
    for person_id in dict.fromkeys(person_ids):
        stored = uow.persons.get(tenant_id=tenant_id, person_id=person_id)
        if stored is not None:
            names[person_id] = _opened(keys, stored).name
    return names


def person_in_tenant(uow: UnitOfWork, principal: Principal, person_id: str) -> StoredPerson:
    """The person in the caller's tenant, or NotFound (never another tenant's)."""
    person = uow.persons.get(tenant_id=principal.tenant_id, person_id=person_id)
    if person is None:
        raise NotFound("person")
    return person


def audited(
    principal: Principal,
    action: str,
    person_id: str,
    *,
    purpose: str = "",
    details: dict[str, str] | None = None,
) -> AuditRecord:
    return AuditRecord(
        actor=principal.actor,
        action=action,
        target=f"person:{person_id}",
        purpose=purpose,
        details=details,
    )
