"""Face enrolment and recognition through the real API, real model, real database."""

from __future__ import annotations

import pytest

from gatepost.store.media import BlobNotFound
from tests.support.api import Actor, add_device, add_site, container_of
from tests.support.faces import (
    add_person,
    blank_jpeg,
    enrol,
    files,
    group_photo,
    identify,
    one_file,
    photo_bytes,
    photos,
)
from tests.support.rows import row_counts
from tests.support.threads import Readers


def _templates(admin: Actor, person_id: str) -> list[dict[str, object]]:
    listed = admin.get(f"/api/v1/persons/{person_id}/faces")
    assert listed.status_code == 200, listed.text
    result: list[dict[str, object]] = listed.json()
    return result


def test_enrolled_person_is_recognised_and_a_stranger_refused(admin: Actor) -> None:
    obama = add_person(admin, "Person O")
    enrolled = enrol(admin, obama, photos("obama")[0])
    assert enrolled.status_code == 201, enrolled.text
    assert len(enrolled.json()["faces"]) == 1

    seen = identify(admin, photos("obama")[1])
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["decision"] == "match", body
    assert body["person_id"] == obama
    assert body["distance"] < body["threshold"]
    assert body["gallery_size"] == 1
    assert body["face"]["box"][2] > body["face"]["box"][0]

    before = row_counts(container_of(admin))
    stranger = identify(admin, photos("biden")[0]).json()
    assert row_counts(container_of(admin)) == before  # a stranger's frame is not stored
    assert stranger["decision"] == "no_match", stranger
    assert stranger["person_id"] is None
    assert stranger["distance"] > stranger["threshold"]


def test_frame_without_a_face_is_no_match_not_an_error(admin: Actor) -> None:
    add_person(admin, "Someone")
    result = identify(admin, blank_jpeg())
    assert result.status_code == 200, result.text
    assert result.json()["decision"] == "no_match"
    assert result.json()["faces_found"] == 0


def test_enrolment_needs_a_current_biometric_consent(admin: Actor) -> None:
    person = add_person(admin, "No Consent", consent=False)
    refused = enrol(admin, person, photos("obama")[0])
    assert refused.status_code == 409, refused.text
    assert "biometric_face" in refused.json()["error"]["message"]
    assert _templates(admin, person) == []

    other = admin.post(
        f"/api/v1/persons/{person}/consents",
        json={"purpose": "marketing", "notice_version": "1"},
    )
    assert other.status_code == 201
    assert enrol(admin, person, photos("obama")[0]).status_code == 409


def test_withdrawing_consent_deletes_templates_and_stops_recognition(admin: Actor) -> None:
    person = add_person(admin, "Withdraws")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    assert identify(admin, photos("obama")[1]).json()["decision"] == "match"
    (consent,) = admin.get(f"/api/v1/persons/{person}/consents").json()
    withdrawn = admin.post(f"/api/v1/persons/{person}/consents/{consent['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert _templates(admin, person) == []
    assert identify(admin, photos("obama")[1]).json()["decision"] == "no_match"
    assert enrol(admin, person, photos("obama")[0]).status_code == 409
    actions = [e["action"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert "face.enrolled" in actions and "consent.withdrawn" in actions


def test_bad_enrolment_photos_are_refused_and_nothing_is_stored(admin: Actor) -> None:
    person = add_person(admin, "Careful")
    good = photos("obama")[0]
    cases = [
        (files(good, group_photo()), "photo 2", "faces found"),
        (
            [("files", ("empty.jpg", blank_jpeg(), "image/jpeg"))],
            "photo 1",
            "no face found",
        ),
        (
            [("files", ("notes.jpg", b"not an image at all", "image/jpeg"))],
            "photo 1",
            "not an image",
        ),
        (
            [
                (
                    "files",
                    ("cut.jpg", photo_bytes(good)[: len(photo_bytes(good)) // 2], "image/jpeg"),
                )
            ],
            "photo 1",
            "truncated",
        ),
    ]
    for upload, which, problem in cases:
        response = admin.post(f"/api/v1/persons/{person}/faces", files=upload)
        assert response.status_code == 422, (which, response.text)
        message = response.json()["error"]["message"]
        assert which in message and problem in message, message
    too_many = admin.post(f"/api/v1/persons/{person}/faces", files=files(*([good] * 6)))
    assert too_many.status_code == 422
    assert _templates(admin, person) == []


def test_reenrolment_replaces_and_deletion_removes(admin: Actor) -> None:
    person = add_person(admin, "Re Enrols")
    first = enrol(admin, person, *photos("obama")[:2])
    assert first.status_code == 201 and len(first.json()["faces"]) == 2
    again = admin.post(
        f"/api/v1/persons/{person}/faces",
        files=files(photos("obama")[0]),
        params={"replace": "true"},
    )
    assert again.status_code == 201 and again.json()["replaced"] == 2
    (template,) = _templates(admin, person)
    assert admin.delete(f"/api/v1/persons/{person}/faces/{template['id']}").json() == {"deleted": 1}
    assert identify(admin, photos("obama")[1]).json()["decision"] == "no_match"
    missing = admin.delete(f"/api/v1/persons/{person}/faces/{template['id']}")
    assert missing.status_code == 404


def test_verify_one_to_one(admin: Actor) -> None:
    person = add_person(admin, "Claims")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    url = f"/api/v1/persons/{person}/faces/verify"
    same = admin.post(url, files=one_file(photo_bytes(photos("obama")[1]))).json()
    assert same["decision"] == "match" and same["person_id"] == person
    other = admin.post(url, files=one_file(photo_bytes(photos("biden")[0]))).json()
    assert other["decision"] == "no_match"
    nobody = add_person(admin, "Never Enrolled")
    refused = admin.post(
        f"/api/v1/persons/{nobody}/faces/verify", files=one_file(photo_bytes(photos("obama")[1]))
    )
    assert refused.status_code == 409


def test_large_gallery_needs_a_second_factor(admin: Actor) -> None:
    policy = admin.put("/api/v1/faces/policy", json={"target_fmr": 1e-2, "max_fpir": 1.5e-2})
    assert policy.status_code == 200, policy.text
    assert policy.json()["face_only_up_to"] == 1
    obama = add_person(admin, "Person O")
    assert enrol(admin, obama, photos("obama")[0]).status_code == 201
    assert identify(admin, photos("obama")[1]).json()["decision"] == "match"
    biden = add_person(admin, "Person B")
    assert enrol(admin, biden, photos("biden")[0]).status_code == 201
    result = identify(admin, photos("obama")[1]).json()
    assert result["decision"] == "second_factor_required", result
    assert result["person_id"] == obama
    assert result["fpir"] > 1.5e-2
    bad = admin.put("/api/v1/faces/policy", json={"target_fmr": 0.5, "max_fpir": 0.01})
    assert bad.status_code == 422


def test_a_device_searches_its_own_site_and_sees_no_candidates(admin: Actor) -> None:
    site_a, site_b = add_site(admin, "North"), add_site(admin, "South")
    person = add_person(admin, "North Worker", site_id=site_a)
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    north = add_device(admin, site_a, "North door")
    south = add_device(admin, site_b, "South door")
    at_north = identify(north, photos("obama")[1]).json()
    assert at_north["decision"] == "match" and at_north["candidates"] == []
    assert identify(south, photos("obama")[1]).json()["decision"] == "no_match"


def test_renewing_template_keys_keeps_recognition_working(admin: Actor) -> None:
    person = add_person(admin, "Renewed")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    before = identify(admin, photos("obama")[1]).json()
    renewed = admin.post("/api/v1/faces/renew")
    assert renewed.status_code == 200 and renewed.json() == {"renewed": 1}
    after = identify(admin, photos("obama")[1]).json()
    assert after["decision"] == "match" and after["person_id"] == person
    assert abs(after["distance"] - before["distance"]) < 1e-3


def test_identify_is_consistent_while_enrolments_happen(admin: Actor) -> None:
    obama = add_person(admin, "Steady")
    assert enrol(admin, obama, photos("obama")[0]).status_code == 201
    container = container_of(admin)
    principal = container.auth.authenticate(admin.token)
    probe = photo_bytes(photos("obama")[1])
    errors: list[str] = []

    def identify_once() -> None:
        result = container.recognition.identify(principal, probe)
        if result.person_id != obama:
            errors.append(result.decision.reason)

    with Readers(identify_once, count=2) as readers:
        for n in range(3):
            other = add_person(admin, f"Newcomer {n}")
            assert enrol(admin, other, photos("biden")[n % len(photos("biden"))]).status_code == 201
    assert min(readers.iterations) > 0  # (Readers checks this and reader exceptions too)
    assert errors == []
    assert identify(admin, probe).json()["gallery_size"] == 4


def test_moving_a_person_to_another_site_moves_their_face(admin: Actor) -> None:
    north, south = add_site(admin, "North"), add_site(admin, "South")
    person = add_person(admin, "Mover", site_id=north)
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    north_door, south_door = add_device(admin, north, "N"), add_device(admin, south, "S")
    assert identify(north_door, photos("obama")[1]).json()["decision"] == "match"
    moved = admin.patch(f"/api/v1/persons/{person}", json={"site_id": south})
    assert moved.status_code == 200, moved.text
    assert identify(north_door, photos("obama")[1]).json()["decision"] == "no_match"
    assert identify(south_door, photos("obama")[1]).json()["decision"] == "match"


def test_an_unknown_site_searches_only_the_all_sites_gallery(admin: Actor) -> None:
    person = add_person(admin, "Everywhere")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    result = identify(admin, photos("obama")[1], site_id="0" * 32).json()
    assert result["decision"] == "match" and result["gallery_size"] == 1


def test_kept_enrolment_photos_are_sealed_expire_and_go_with_the_templates(
    admin: Actor,
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from gatepost.store.tables import FaceTemplate, MediaObject

    container = container_of(admin)
    policy = admin.put(
        "/api/v1/faces/policy", json={"target_fmr": 1e-4, "max_fpir": 0.05, "photo_days": 30}
    )
    assert policy.status_code == 200 and policy.json()["photo_days"] == 30
    person = add_person(admin, "Kept")
    photo = photo_bytes(photos("obama")[0])
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    with container.db.session() as session:
        (template,) = session.scalars(select(FaceTemplate)).all()
        media = session.get(MediaObject, (admin.tenant_id, template.photo_id))
        assert media is not None and media.kind == "face_enrolment"
        assert media.expires_at - media.created_at == timedelta(days=30)
    stored = container.blobs.get(tenant_id=admin.tenant_id, object_id=media.id)
    assert photo[100:164] not in stored  # sealed, not the JPEG
    assert admin.delete(f"/api/v1/persons/{person}/faces").json() == {"deleted": 1}
    with container.db.session() as session:
        assert session.get(MediaObject, (admin.tenant_id, media.id)) is None
    with pytest.raises(BlobNotFound):
        container.blobs.get(tenant_id=admin.tenant_id, object_id=media.id)
    # Back to the default: photos are discarded at enrolment.
    admin.put("/api/v1/faces/policy", json={"target_fmr": 1e-4, "max_fpir": 0.05, "photo_days": 0})
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    with container.db.session() as session:
        assert [t.photo_id for t in session.scalars(select(FaceTemplate))] == [None]


def test_erasing_a_person_deletes_their_kept_enrolment_photos(admin: Actor) -> None:
    from sqlalchemy import select

    from gatepost.store.tables import MediaObject

    container = container_of(admin)
    admin.put("/api/v1/faces/policy", json={"target_fmr": 1e-4, "max_fpir": 0.05, "photo_days": 7})
    person = add_person(admin, "Erased")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    with container.db.session() as session:
        (media_id,) = session.scalars(select(MediaObject.id)).all()
    assert admin.delete(f"/api/v1/persons/{person}").status_code in (200, 204)
    with container.db.session() as session:
        assert session.scalars(select(MediaObject.id)).all() == []
    with pytest.raises(BlobNotFound):
        container.blobs.get(tenant_id=admin.tenant_id, object_id=media_id)
