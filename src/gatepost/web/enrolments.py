"""A person's face enrolment as the person page shows it, and what the viewer may do.

Built from the face and person services for the face card (``partials/face_enrol.html``,
included by ``pages/person.html``). It carries no template data: only how many
templates there are, when and by whom they were made, the model and the quality
measures, plus the person's current ``biometric_face`` consent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.persons import Consent
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.persons import PersonView
from gatepost.web.lookups import user_names
from gatepost.web.rendering import can

__all__ = ["FaceCard", "TemplateRow", "card_context", "current_consent", "face_card"]


@dataclass(frozen=True)
class TemplateRow:
    """One stored template, as listed: never the template itself."""

    created_at: datetime
    created_by: str
    model: str
    sharpness: float
    face_width: int


@dataclass(frozen=True)
class FaceCard:
    person_id: str
    person_name: str
    templates: tuple[TemplateRow, ...]
    consent: Consent | None
    max_photos: int
    min_face_px: int
    max_upload_mb: int


def current_consent(consents: Sequence[Consent]) -> Consent | None:
    """The newest ``biometric_face`` consent that is not withdrawn, if any."""
    active = [c for c in consents if c.purpose == FACE_CONSENT_PURPOSE and c.withdrawn_at is None]
    return max(active, key=lambda c: c.granted_at, default=None)


def _actor_label(actor: str, names: Mapping[str, str]) -> str:
    """A username where the viewer may see it, else the kind and a short id."""
    if actor in names:
        return names[actor]
    kind, _, ident = actor.partition(":")
    return f"{kind.replace('_', ' ')} {ident[:8]}".strip()


def face_card(
    container: Container,
    principal: Principal,
    person: PersonView,
    consents: Sequence[Consent],
) -> FaceCard:
    views = container.faces.templates(principal, person.id)
    names = user_names(container, principal) if views else {}
    rows = tuple(
        TemplateRow(
            created_at=view.created_at,
            created_by=_actor_label(view.created_by, names),
            model=view.model,
            sharpness=view.quality,
            face_width=view.face_width,
        )
        for view in sorted(views, key=lambda v: v.created_at, reverse=True)
    )
    settings = container.settings
    return FaceCard(
        person_id=person.id,
        person_name=person.name,
        templates=rows,
        consent=current_consent(consents),
        max_photos=settings.faces.max_photos,
        min_face_px=settings.faces.enrol_min_size,
        max_upload_mb=max(1, settings.media.max_upload_bytes // (1024 * 1024)),
    )


def card_context(
    container: Container,
    principal: Principal,
    person: PersonView,
    *,
    consents: Sequence[Consent] | None = None,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> dict[str, Any]:
    """What ``partials/face_enrol.html`` needs (also merged into the person page)."""
    if consents is None:
        consents = container.consents.of_person(principal, person.id)
    return {
        "face": face_card(container, principal, person, consents),
        "can_consent": can(principal, Permission.PERSONS_WRITE),
        "can_enrol": can(principal, Permission.FACES_ENROL),
        "face_errors": dict(errors or {}),
        "face_form": dict(form or {}),
        "face_done": done,
    }
