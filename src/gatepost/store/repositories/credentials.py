"""Persons' cards, PINs and QR codes: ``domain.credentials.Credential`` out, blind
indexes in. No value is ever stored, in clear or sealed: a credential is found through
the blind index of its normalised value (see the ``credentials`` table).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from gatepost.domain.credentials import Credential, CredentialKind
from gatepost.domain.validity import ValidityWindow
from gatepost.store.tables import Credential as CredentialRow

__all__ = ["CredentialRepository"]


def _credential(row: CredentialRow) -> Credential:
    return Credential(
        tenant_id=row.tenant_id,
        id=row.id,
        person_id=row.person_id,
        kind=CredentialKind(row.kind),
        label=row.label,
        duress=row.duress,
        validity=ValidityWindow(row.valid_from, row.valid_until),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_WITH_INDEX = (
    select(CredentialRow)
    .where(
        CredentialRow.tenant_id == bindparam("tenant_id"),
        CredentialRow.value_index == bindparam("value_index"),
    )
    .order_by(
        CredentialRow.active_index.is_(None),
        CredentialRow.revoked_at.desc(),
        CredentialRow.id.desc(),
    )
    .limit(1)
)


class CredentialRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, credential: Credential, *, value_index: bytes) -> None:
        self._session.add(
            CredentialRow(
                tenant_id=credential.tenant_id,
                id=credential.id,
                person_id=credential.person_id,
                kind=credential.kind.value,
                value_index=value_index,
                active_index=None if credential.revoked else value_index,
                label=credential.label,
                duress=credential.duress,
                valid_from=credential.validity.valid_from,
                valid_until=credential.validity.valid_until,
                revoked_at=credential.revoked_at,
                created_at=credential.created_at,
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, credential_id: str) -> Credential | None:
        row = self._session.get(CredentialRow, (tenant_id, credential_id))
        return _credential(row) if row is not None else None

    def of_person(self, *, tenant_id: str, person_id: str) -> Sequence[Credential]:
        """The person's credentials, revoked ones included, oldest first."""
        query = (
            select(CredentialRow)
            .where(CredentialRow.tenant_id == tenant_id, CredentialRow.person_id == person_id)
            .order_by(CredentialRow.created_at, CredentialRow.id)
        )
        return [_credential(row) for row in self._session.scalars(query)]

    def active_with_index(self, *, tenant_id: str, value_index: bytes) -> Credential | None:
        """The live (not revoked) credential with this value, if any."""
        query = select(CredentialRow).where(
            CredentialRow.tenant_id == tenant_id, CredentialRow.active_index == value_index
        )
        row = self._session.scalars(query).one_or_none()
        return _credential(row) if row is not None else None

    def with_index(self, *, tenant_id: str, value_index: bytes) -> Credential | None:
        """The credential a presented value names: the live one, else the one revoked
        last (so a revoked card is refused as revoked, not as unknown); one query."""
        params = {"tenant_id": tenant_id, "value_index": value_index}
        row = self._session.scalars(_WITH_INDEX, params).one_or_none()
        return _credential(row) if row is not None else None

    def revoke(self, *, tenant_id: str, credential_id: str, at: datetime) -> None:
        """Revoke the credential at ``at`` unless it already is (the first time stays);
        its value may then be issued again."""
        self._session.execute(
            update(CredentialRow)
            .where(
                CredentialRow.tenant_id == tenant_id,
                CredentialRow.id == credential_id,
                CredentialRow.revoked_at.is_(None),
            )
            .values(revoked_at=at, active_index=None)
        )
