"""ErasureService: what erasing a person would remove (counted, no personal values),
and erasure confirmed by typing the person's name (the person page's erase form).

The erasure itself is :meth:`PersonService.delete`: templates and kept photos,
consents and the person's data go; vehicles stay, tied to no one; events and alerts
stay under the person's id until retention removes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.errors import ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.persons import PersonService, names_in, normalise_name, person_in_tenant
from gatepost.services.uow import Transactions, UnitOfWork

__all__ = ["ErasurePreview", "ErasureService"]


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing a person removes (counts only, no personal values): what goes with
    them, what is untied (vehicles stay, owned by no one) and what stays under their id
    until retention removes it (events, alerts)."""

    face_templates: int
    kept_photos: int
    credentials: dict[str, int]
    access_levels: int
    consents: int
    presence: int
    recent_factors: int
    vehicles_untied: int
    events_kept: int
    alerts_kept: int


class ErasureService:
    def __init__(self, *, tx: Transactions, persons: PersonService) -> None:
        self._tx = tx
        self._persons = persons

    def preview(self, principal: Principal, person_id: str) -> ErasurePreview:
        """What :meth:`PersonService.delete` would remove for this person, counted now."""
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            person_in_tenant(uow, principal, person_id)
            return _preview(uow, tenant_id, person_id)

    def erase_confirmed(self, principal: Principal, person_id: str, *, typed_name: str) -> None:
        """Erase the person once the typed name matches theirs (spacing and width
        forms aside); a mismatch changes nothing."""
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            person_in_tenant(uow, principal, person_id)
            name = names_in(uow, tenant_id, [person_id])[person_id]
        if not typed_name.strip() or normalise_name(typed_name) != name:
            raise ValidationFailed(
                "type the person's name exactly as shown to confirm the erasure",
                field="confirm_name",
            )
        self._persons.delete(principal, person_id)


def _preview(uow: UnitOfWork, tenant_id: str, person_id: str) -> ErasurePreview:
    templates = uow.faces.of_person(tenant_id=tenant_id, person_id=person_id)
    counts = uow.persons.erasure_counts(tenant_id=tenant_id, person_id=person_id)
    prefix = "credential:"
    return ErasurePreview(
        face_templates=len(templates),
        kept_photos=sum(1 for t in templates if t.photo_id is not None),
        credentials={k[len(prefix) :]: v for k, v in counts.items() if k.startswith(prefix)},
        access_levels=counts["access_levels"],
        consents=counts["consents"],
        presence=counts["presence"],
        recent_factors=counts["recent_factors"],
        vehicles_untied=counts["vehicles"],
        events_kept=counts["events"],
        alerts_kept=counts["alerts"],
    )
