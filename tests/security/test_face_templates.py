"""Face templates are protected: sealed, rotated per tenant (unlinkable, SECURITY.md 9),
renewable, and consistent across processes."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from gatepost.security.policy import Principal
from gatepost.services.container import Container, build_container
from gatepost.services.face_galleries import open_template
from gatepost.store.tables import FaceTemplate
from gatepost.vision.images import decode_rgb
from tests.support.api import Actor, add_tenant, container_of
from tests.support.faces import add_person, enrol, identify, photo_bytes, photos


def _stored(container: Container, tenant_id: str) -> list[np.ndarray]:
    with container.tx.read() as uow:
        keys = uow.keys(tenant_id)
        stored = uow.faces.sealed_all(tenant_id=tenant_id, model=container.faces.model)
        return [open_template(keys, item) for item in stored]


def _raw_embedding(container: Container, data: bytes) -> np.ndarray:
    engine = container.faces.engine
    image = decode_rgb(data, max_bytes=10_000_000, max_pixels=40_000_000)
    (embedding,) = engine.embed(image, engine.detect(image)[:1])
    return embedding


def test_same_photo_in_two_tenants_gives_unlinkable_templates(admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    photo = photos("obama")[0]
    for actor in (admin, other):
        person = add_person(actor, "Same Face")
        assert enrol(actor, person, photo).status_code == 201, actor.tenant_id
    container = container_of(admin)
    (mine,) = _stored(container, admin.tenant_id)
    (theirs,) = _stored(container, other.tenant_id)
    raw = _raw_embedding(container, photo_bytes(photo))
    threshold = admin.get("/api/v1/faces/policy").json()["threshold"]
    # Far beyond the threshold, and beyond the closest real impostor pair (~0.69):
    assert np.linalg.norm(mine - theirs) > 2 * threshold
    assert np.linalg.norm(mine - raw) > 2 * threshold  # not the raw embedding either
    assert abs(np.linalg.norm(mine) - np.linalg.norm(raw)) < 1e-4  # a rotation
    # ... yet each tenant still recognises the person.
    for actor in (admin, other):
        assert identify(actor, photos("obama")[1]).json()["decision"] == "match"


def test_templates_are_sealed_at_rest(admin: Actor) -> None:
    person = add_person(admin, "Sealed")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    container = container_of(admin)
    (template,) = _stored(container, admin.tenant_id)
    with container.db.session() as session:
        (row,) = session.scalars(select(FaceTemplate)).all()
        sealed = row.template_sealed
    assert template.astype("<f4").tobytes()[:16] not in sealed
    assert len(sealed) >= 128 * 4 + 16  # ciphertext of 128 floats plus the GCM tag


def test_renewal_changes_every_stored_template(admin: Actor) -> None:
    person = add_person(admin, "Renew")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    container = container_of(admin)
    (before,) = _stored(container, admin.tenant_id)
    assert admin.post("/api/v1/faces/renew").json() == {"renewed": 1}
    (after,) = _stored(container, admin.tenant_id)
    assert np.linalg.norm(before - after) > 0.5
    assert abs(np.linalg.norm(before) - np.linalg.norm(after)) < 1e-4


def test_another_process_sees_enrolments_and_deletions(admin: Actor) -> None:
    """Two containers on one database stand for two server processes."""
    mine = container_of(admin)
    theirs = build_container(mine.settings, clock=mine.clock)
    try:
        principal: Principal = theirs.auth.authenticate(admin.token)
        probe = photo_bytes(photos("obama")[1])
        assert theirs.recognition.identify(principal, probe).decision.outcome == "no_match"
        person = add_person(admin, "Seen Elsewhere")
        assert enrol(admin, person, photos("obama")[0]).status_code == 201
        assert theirs.recognition.identify(principal, probe).person_id == person
        assert admin.delete(f"/api/v1/persons/{person}").status_code in (200, 204)
        assert theirs.recognition.identify(principal, probe).decision.outcome == "no_match"
    finally:
        theirs.close()
