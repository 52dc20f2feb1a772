"""ConsentService: a person's consents: record one, list them, the history with who
recorded each, and withdraw one (withdrawing the last biometric consent deletes the
person's templates, SECURITY.md 26).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.persons import Consent
from gatepost.domain.ports import Clock
from gatepost.errors import NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.persons import BiometricStore, audited, person_in_tenant
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["ConsentRecord", "ConsentService"]


@dataclass(frozen=True)
class ConsentRecord:
    """A consent as the history shows it: who recorded it, by name where known."""

    consent: Consent
    recorded_by_name: str | None


class ConsentService:
    def __init__(self, *, tx: Transactions, clock: Clock, biometrics: BiometricStore) -> None:
        self._tx = tx
        self._clock = clock
        self._biometrics = biometrics

    def record(
        self, principal: Principal, person_id: str, *, purpose: str, notice_version: str
    ) -> Consent:
        purpose, notice_version = purpose.strip(), notice_version.strip()
        if not 1 <= len(purpose) <= 40:
            raise ValidationFailed("purpose must have 1-40 characters", field="purpose")
        if not 1 <= len(notice_version) <= 40:
            raise ValidationFailed(
                "notice_version must have 1-40 characters", field="notice_version"
            )
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            person_in_tenant(uow, principal, person_id)
            consent = Consent(
                tenant_id=tenant_id,
                id=new_id(),
                person_id=person_id,
                purpose=purpose,
                notice_version=notice_version,
                granted_at=self._clock.now(),
                recorded_by=principal.actor,
            )
            uow.persons.add_consent(consent)
            uow.audit(
                tenant_id,
                audited(
                    principal,
                    "consent.recorded",
                    person_id,
                    purpose=purpose,
                    details={"consent": consent.id, "notice": notice_version},
                ),
            )
        return consent

    def of_person(self, principal: Principal, person_id: str) -> Sequence[Consent]:
        with self._tx.read() as uow:
            person_in_tenant(uow, principal, person_id)
            return uow.persons.consents_of(tenant_id=principal.tenant_id, person_id=person_id)

    def history(self, principal: Principal, person_id: str) -> Sequence[ConsentRecord]:
        """Every consent of the person, oldest first, withdrawn ones included, each with
        the name of the user (or API key) that recorded it where it still exists."""
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            person_in_tenant(uow, principal, person_id)
            consents = uow.persons.consents_of(tenant_id=tenant_id, person_id=person_id)
            names = {c.recorded_by: _actor_name(uow, tenant_id, c.recorded_by) for c in consents}
        return [ConsentRecord(c, names[c.recorded_by]) for c in consents]

    def withdraw(self, principal: Principal, person_id: str, consent_id: str) -> Consent:
        """Withdraw a consent; withdrawing the last biometric one deletes the templates."""
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            consent = uow.persons.get_consent(tenant_id=tenant_id, consent_id=consent_id)
            if consent is None or consent.person_id != person_id:
                raise NotFound("consent")
            if not consent.withdrawn:
                now = self._clock.now()
                uow.persons.withdraw_consent(tenant_id=tenant_id, consent_id=consent.id, at=now)
                consent = replace(consent, withdrawn_at=now)
            removed = 0
            if consent.purpose == FACE_CONSENT_PURPOSE and not uow.persons.current_consent(
                tenant_id=tenant_id, person_id=person_id, purpose=FACE_CONSENT_PURPOSE
            ):
                removed = self._biometrics.purge(uow, tenant_id=tenant_id, person_id=person_id)
            uow.audit(
                tenant_id,
                audited(
                    principal,
                    "consent.withdrawn",
                    person_id,
                    purpose=consent.purpose,
                    details={
                        "consent": consent.id,
                        "templates_deleted": str(removed > 0).lower(),
                    },
                ),
            )
        return consent


def _actor_name(uow: UnitOfWork, tenant_id: str, actor: str) -> str | None:
    """A user's username or an API key's name for an audit actor (``kind:id``)."""
    kind, _, actor_id = actor.partition(":")
    if kind == "user":
        user = uow.accounts.get_user(tenant_id=tenant_id, user_id=actor_id)
        return user.username if user is not None else None
    if kind == "api_key":
        key = uow.accounts.get_api_key(tenant_id=tenant_id, key_id=actor_id)
        return key.name if key is not None else None
    return None
