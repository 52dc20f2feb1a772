"""Faces in the admin UI: consent, enrolment, recognition test and withdrawal, by form.

Real app, real database and the real face model, driven the way a browser does: forms
carry their CSRF token (no JavaScript) or htmx sends the ``X-CSRF-Token`` header with
``HX-Request``. Photos come from tests/fixtures/faces.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import UiSession, ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_user
from tests.support.faces import add_person, blank_jpeg, enrol, group_photo, photo_bytes, photos

NOT_AN_IMAGE = b"not an image at all"


def _upload(field: str, *items: Path | tuple[str, bytes]) -> list[tuple[str, Any]]:
    parts: list[tuple[str, Any]] = []
    for item in items:
        name, data = (item.name, photo_bytes(item)) if isinstance(item, Path) else item
        parts.append((field, (name, data, "image/jpeg")))
    return parts


def _templates(admin: Actor, person_id: str) -> list[dict[str, Any]]:
    listed = admin.get(f"/api/v1/persons/{person_id}/faces")
    assert listed.status_code == 200, listed.text
    result: list[dict[str, Any]] = listed.json()
    return result


def _identify(ui: UiSession, person_id: str, item: Path | tuple[str, bytes]) -> Any:
    return ui.client.post(
        f"/ui/people/{person_id}/faces/identify",
        files=_upload("file", item),
        headers=ui.htmx_headers(),
    )


def _enrol(ui: UiSession, person_id: str, *items: Path | tuple[str, bytes]) -> Any:
    return ui.client.post(
        f"/ui/people/{person_id}/faces", files=_upload("files", *items), headers=ui.htmx_headers()
    )


def test_consent_then_enrolment_then_recognition_through_the_forms(
    ui_admin: UiSession, admin: Actor
) -> None:
    client = ui_admin.client
    person = add_person(admin, "Barack Obama", consent=False)
    page = client.get(f"/ui/people/{person}")
    assert page.status_code == 200
    assert "Not enrolled" in page.text and "Record consent to face recognition" in page.text
    assert 'name="files"' not in page.text  # no upload before consent
    assert "photos are discarded" in page.text.lower()

    refused = client.post(
        f"/ui/people/{person}/faces/consent",
        data={"notice_version": "2026-1", "csrf_token": ui_admin.csrf},
    )
    assert refused.status_code == 422
    assert 'id="face-agreed-error"' in refused.text and 'value="2026-1"' in refused.text
    recorded = client.post(
        f"/ui/people/{person}/faces/consent",
        data={"notice_version": "2026-1", "agreed": "1", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    page = client.get(recorded.headers["location"])
    assert "Consent recorded" in page.text
    assert 'name="files"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert "Biometric face" in page.text and "Withdraw" in page.text

    enrolled = _enrol(ui_admin, person, photos("obama")[0])
    assert enrolled.status_code == 201, enrolled.text
    assert "<html" not in enrolled.text and 'id="face"' in enrolled.text
    assert "1 template" in enrolled.text and "Face enrolled: 1 new template." in enrolled.text
    page = client.get(f"/ui/people/{person}")
    assert "1 template" in page.text and "admin" in page.text
    assert 'popovertarget="face-delete"' in page.text

    seen = _identify(ui_admin, person, photos("obama")[1])
    assert seen.status_code == 200, seen.text
    assert "<html" not in seen.text and 'id="face-identify"' in seen.text
    assert ">Match<" in seen.text
    assert f'href="/ui/people/{person}">Barack Obama</a>' in seen.text
    assert "under the threshold" in seen.text and "1 person enrolled" in seen.text
    assert "Nothing was stored" in seen.text

    stranger = _identify(ui_admin, person, photos("biden")[0])
    assert stranger.status_code == 200
    assert ">No match<" in stranger.text and "Barack Obama" not in stranger.text
    assert "over the threshold" in stranger.text
    assert len(_templates(admin, person)) == 1  # testing stored nothing


def test_recognition_test_renders_whole_page_when_javascript_is_off(
    ui_admin: UiSession, admin: Actor
) -> None:
    person = add_person(admin, "Barack Obama")
    enrolled = ui_admin.client.post(
        f"/ui/people/{person}/faces",
        data={"csrf_token": ui_admin.csrf},
        files=_upload("files", photos("obama")[0]),
        follow_redirects=False,
    )
    assert enrolled.status_code == 303, enrolled.text
    assert enrolled.headers["location"] == f"/ui/people/{person}?notice=face_enrolled"
    page = ui_admin.client.post(
        f"/ui/people/{person}/faces/identify",
        data={"csrf_token": ui_admin.csrf},
        files=_upload("file", photos("obama")[2]),
    )
    assert page.status_code == 200, page.text
    assert "<html" in page.text and ">Match<" in page.text and "1 template" in page.text


def test_recognition_test_asks_for_a_second_factor_when_fpir_is_over_the_limit(
    ui_admin: UiSession, admin: Actor
) -> None:
    person = add_person(admin, "Barack Obama")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    strict = admin.put("/api/v1/faces/policy", json={"target_fmr": 1e-3, "max_fpir": 1e-6})
    assert strict.status_code == 200, strict.text
    seen = _identify(ui_admin, person, photos("obama")[1])
    assert seen.status_code == 200, seen.text
    assert ">Second factor required<" in seen.text
    assert "Barack Obama</a>" in seen.text and "nearest, not confirmed" in seen.text
    assert "confirm with a card, PIN or QR code" in seen.text


def test_bad_uploads_show_the_service_message_next_to_the_form(
    ui_admin: UiSession, admin: Actor
) -> None:
    person = add_person(admin, "Careful Person")
    cases = [
        ((("notes.jpg", NOT_AN_IMAGE),), 422, "not an image"),
        ((("empty.jpg", blank_jpeg()),), 422, "no face found"),
        ((photos("obama")[0], group_photo()), 422, "Photo 2"),
        ((), 422, "Send 1-5 photos"),
    ]
    for items, status, message in cases:
        response = _enrol(ui_admin, person, *items)
        assert response.status_code == status, (message, response.text)
        assert 'id="face-files-error"' in response.text, message
        assert message in response.text, response.text
    too_big = _enrol(ui_admin, person, ("huge.jpg", b"\xff" * (9 * 1024 * 1024)))
    assert too_big.status_code == 413  # refused by the body limit, not a server error
    # htmx swaps this notice into the form's result area (a JSON error showed nothing)
    assert too_big.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in too_big.text and "the limit is 8 MB" in too_big.text
    assert "<html" not in too_big.text and 'id="flash"' in too_big.text
    # into the page's flash stack, as the UI's other errors: the form stays in place
    assert too_big.headers["HX-Retarget"] == "#flash"
    assert too_big.headers["HX-Reselect"] == "#flash"
    plain = ui_admin.client.post(
        f"/ui/people/{person}/faces",
        files=_upload("files", ("huge.jpg", b"\xff" * (9 * 1024 * 1024))),
    )
    assert plain.status_code == 413 and "<html" in plain.text and 'href="/ui"' in plain.text
    api = admin.client.post(
        f"/api/v1/persons/{person}/faces",
        files=_upload("files", ("huge.jpg", b"\xff" * (9 * 1024 * 1024))),
        headers=admin.headers,
    )
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    assert _templates(admin, person) == []

    no_js = ui_admin.client.post(
        f"/ui/people/{person}/faces",
        data={"csrf_token": ui_admin.csrf},
        files=_upload("files", ("notes.jpg", NOT_AN_IMAGE)),
    )
    assert no_js.status_code == 422
    assert "<html" in no_js.text and 'id="face-files-error"' in no_js.text

    unknown = _identify(ui_admin, person, ("notes.jpg", NOT_AN_IMAGE))
    assert unknown.status_code == 422
    assert "flash-error" in unknown.text and "not an image" in unknown.text
    faceless = _identify(ui_admin, person, ("wall.jpg", blank_jpeg()))
    assert faceless.status_code == 200
    assert ">No match<" in faceless.text and "No face found." in faceless.text
    nothing = ui_admin.client.post(
        f"/ui/people/{person}/faces/identify", headers=ui_admin.htmx_headers()
    )
    assert nothing.status_code == 422 and "Choose a photo" in nothing.text


def test_enrolment_without_consent_is_refused_inline(ui_admin: UiSession, admin: Actor) -> None:
    person = add_person(admin, "No Consent", consent=False)
    refused = _enrol(ui_admin, person, photos("obama")[0])
    assert refused.status_code == 409
    assert "flash-error" in refused.text and "biometric_face" in refused.text
    assert "Record consent to face recognition" in refused.text
    assert _templates(admin, person) == []


def test_guard_sees_no_face_forms_and_is_refused(client: TestClient, admin: Actor) -> None:
    person = add_person(admin, "Guarded Person")
    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    page = client.get(f"/ui/people/{person}")
    assert page.status_code == 200
    assert "Not enrolled" in page.text
    for offered in ('name="files"', 'name="file"', "Test recognition", "/withdraw", "/consent"):
        assert offered not in page.text, offered
    headers = {"X-CSRF-Token": csrf}
    for path, files in (
        ("faces", _upload("files", photos("obama")[0])),
        ("faces/identify", _upload("file", photos("obama")[1])),
        ("faces/consent", None),
        ("faces/delete", None),
    ):
        refused = client.post(f"/ui/people/{person}/{path}", files=files, headers=headers)
        assert refused.status_code == 403, path
        assert "do not have permission" in refused.text
    assert _templates(admin, person) == []


def test_hr_may_enrol_but_not_run_a_recognition_test(client: TestClient, admin: Actor) -> None:
    person = add_person(admin, "Staff Member")
    add_user(admin, "hr", "hr-clerk")
    csrf = ui_login(client, "acme", "hr-clerk", STRONG_PASSWORD)
    page = client.get(f"/ui/people/{person}")
    assert 'name="files"' in page.text and "Test recognition" not in page.text
    refused = client.post(
        f"/ui/people/{person}/faces/identify",
        files=_upload("file", photos("obama")[1]),
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403


def test_device_credential_cannot_use_the_page_recognition_test(admin: Actor) -> None:
    person = add_person(admin, "Door Visitor")
    device = add_device(admin, add_site(admin))
    refused = device.client.post(
        f"/ui/people/{person}/faces/identify",
        files=_upload("file", photos("obama")[1]),
        headers={**device.headers, "HX-Request": "true"},
    )
    assert refused.status_code == 403
    assert "Door Visitor" not in refused.text


def test_delete_templates_from_the_confirmation_dialog(ui_admin: UiSession, admin: Actor) -> None:
    person = add_person(admin, "Leaving Soon")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    page = ui_admin.client.get(f"/ui/people/{person}")
    dialog = re.search(r'<div id="face-delete"[^>]*\bpopover\b.*?</div>\s*</form>', page.text, re.S)
    assert dialog is not None and "cameras stop recognising" in dialog.group(0)
    deleted = ui_admin.client.post(
        f"/ui/people/{person}/faces/delete", headers=ui_admin.htmx_headers()
    )
    assert deleted.status_code == 200
    assert "1 face template deleted." in deleted.text and "Not enrolled" in deleted.text
    assert _templates(admin, person) == []


def test_withdrawing_face_consent_deletes_the_templates(ui_admin: UiSession, admin: Actor) -> None:
    person = add_person(admin, "Changes Mind")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    page = ui_admin.client.get(f"/ui/people/{person}")
    assert "1 template" in page.text
    action = re.search(
        r'action="(/ui/people/[0-9a-f]{32}/consents/[0-9a-f]{32}/withdraw)"', page.text
    )
    assert action is not None
    assert "deletes Changes Mind's face templates" in page.text
    withdrawn = ui_admin.client.post(
        action.group(1), headers=ui_admin.htmx_headers(boosted=True), follow_redirects=False
    )
    assert withdrawn.status_code == 303, withdrawn.text
    page = ui_admin.client.get(withdrawn.headers["location"])
    assert "face templates have been deleted" in page.text
    assert "Not enrolled" in page.text and "Withdrawn" in page.text
    assert "Record consent to face recognition" in page.text
    assert _templates(admin, person) == []
    after = _identify(ui_admin, person, photos("obama")[1])
    assert ">No match<" in after.text
