"""The Faces area of the admin UI (/ui/faces): the policy, changing it, a recognition test.

Real app, real database and the real face model, driven the way a browser does: forms
carry their CSRF token (no JavaScript) or htmx sends the ``X-CSRF-Token`` header with
``HX-Request``. The policy the page sets is read back through the JSON API.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gatepost.domain.faces import OpenSetPolicy, face_only_limit
from tests.e2e.conftest import UiSession, ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_site, add_user
from tests.support.faces import add_person, enrol, photo_bytes, photos

DEFAULTS = {"target_fmr": 1e-4, "max_fpir": 0.05, "photo_days": 0}


def _upload(item: Path) -> list[tuple[str, Any]]:
    return [("file", (item.name, photo_bytes(item), "image/jpeg"))]


def _policy(admin: Actor) -> dict[str, Any]:
    response = admin.get("/api/v1/faces/policy")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _unchanged(admin: Actor) -> bool:
    policy = _policy(admin)
    return all(math.isclose(policy[key], value) for key, value in DEFAULTS.items())


def _save(ui: UiSession, **fields: str) -> Any:
    form = {"target_fmr": "0.0001", "max_fpir": "0.05", "photo_days": "0", **fields}
    return ui.client.post(
        "/ui/faces/policy", data={**form, "csrf_token": ui.csrf}, follow_redirects=False
    )


def _identify(ui: UiSession, item: Path, site_id: str = "") -> Any:
    return ui.client.post(
        "/ui/faces/identify",
        data={"site_id": site_id},
        files=_upload(item),
        headers=ui.htmx_headers(),
    )


def test_faces_page_shows_the_policy_and_its_form_when_admin(ui_admin: UiSession) -> None:
    page = ui_admin.client.get("/ui/faces")
    assert page.status_code == 200, page.text
    current = '<a class="nav-item is-active" href="/ui/faces" aria-current="page">'
    assert current in page.text, "Faces is the current area in the main navigation"
    assert "Faces: coming soon" not in page.text
    assert "Matching policy" in page.text and "dlib-resnet-v1" in page.text
    assert "0.560" in page.text and "1 in 10,000" in page.text  # the default 1e-4
    assert "512 people" in page.text  # face_only_limit of the defaults
    assert "card, PIN or QR code" in page.text and "Discarded" in page.text
    assert 'action="/ui/faces/policy"' in page.text and "Save policy" in page.text
    option = r'<option value="([^"]+)"( selected)?>[^<]*threshold ([0-9.]+)<'
    options = re.findall(option, page.text)
    assert options == [
        ("0.01", "", "0.640"),
        ("0.001", "", "0.600"),
        ("0.0001", " selected", "0.560"),
        ("1e-05", "", "0.530"),
        ("1e-06", "", "0.490"),
    ]
    assert 'name="max_fpir"' in page.text and 'value="0.05"' in page.text
    assert 'name="photo_days"' in page.text and 'min="0" max="3650"' in page.text
    assert 'action="/ui/faces/identify"' in page.text and "Test recognition" in page.text


def test_guard_sees_the_policy_but_no_forms_and_is_refused(
    client: TestClient, admin: Actor
) -> None:
    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    page = client.get("/ui/faces")
    assert page.status_code == 200, page.text
    assert 'href="/ui/faces"' in page.text and "Matching policy" in page.text
    for offered in ("/ui/faces/policy", 'name="target_fmr"', 'name="file"', "Test recognition"):
        assert offered not in page.text, offered
    refused = client.post(
        "/ui/faces/policy",
        data={"target_fmr": "0.01", "max_fpir": "0.5", "photo_days": "30", "csrf_token": csrf},
    )
    assert refused.status_code == 403
    assert "do not have permission" in refused.text
    tested = client.post(
        "/ui/faces/identify", files=_upload(photos("obama")[0]), headers={"X-CSRF-Token": csrf}
    )
    assert tested.status_code == 403
    assert _unchanged(admin)


def test_admin_changes_the_policy_through_the_form(ui_admin: UiSession, admin: Actor) -> None:
    saved = _save(ui_admin, target_fmr="1e-05", max_fpir="0.01", photo_days="30")
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/ui/faces?notice=face_policy_saved"
    page = ui_admin.client.get(saved.headers["location"])
    assert "Face policy saved." in page.text
    assert '<option value="1e-05" selected>' in page.text
    assert 'value="0.01"' in page.text and 'value="30"' in page.text
    assert "0.530" in page.text and "30 days" in page.text

    policy = _policy(admin)
    assert math.isclose(policy["target_fmr"], 1e-5)
    assert math.isclose(policy["max_fpir"], 0.01)
    assert policy["photo_days"] == 30
    assert math.isclose(policy["threshold"], 0.53)
    expected = face_only_limit(OpenSetPolicy(threshold=0.53, target_fmr=1e-5, max_fpir=0.01))
    assert policy["face_only_up_to"] == expected
    assert f"{expected:,} people" in page.text

    audited = admin.get("/api/v1/audit", params={"action": "face.policy_changed"})
    assert audited.status_code == 200 and len(audited.json()["items"]) == 1

    back = _save(ui_admin, photo_days="0")
    assert back.status_code == 303
    assert _unchanged(admin)


def test_invalid_policy_values_are_shown_next_to_their_fields(
    ui_admin: UiSession, admin: Actor
) -> None:
    cases = [
        ({"max_fpir": "0.9"}, "max_fpir", "The FPIR limit must be between 1e-6 and 0.5."),
        ({"max_fpir": "lots"}, "max_fpir", "Enter the FPIR limit as a number"),
        ({"max_fpir": ""}, "max_fpir", "Enter the FPIR limit as a number"),
        ({"photo_days": "4000"}, "photo_days", "must be between 0 and 3650"),
        ({"photo_days": "-1"}, "photo_days", "Enter a whole number of days"),
        ({"target_fmr": "0.5"}, "target_fmr", "must be between 1e-7 and 1e-2"),
    ]
    for fields, field, message in cases:
        response = _save(ui_admin, **fields)
        assert response.status_code == 422, (fields, response.text)
        assert "<html" in response.text
        assert f'id="policy-{field}-error"' in response.text, fields
        assert message in response.text, fields
        value = next(iter(fields.values()))
        if field != "target_fmr" and value:
            assert f'value="{value}"' in response.text  # what was typed stays in the field
    boosted = ui_admin.client.post(
        "/ui/faces/policy",
        data={"target_fmr": "0.0001", "max_fpir": "0.9", "photo_days": "0"},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert boosted.status_code == 422
    assert 'id="policy-max_fpir-error"' in boosted.text
    assert _unchanged(admin)


def test_recognition_test_on_the_faces_page_finds_an_enrolled_person(
    ui_admin: UiSession, admin: Actor
) -> None:
    person = add_person(admin, "Barack Obama")
    assert enrol(admin, person, photos("obama")[0]).status_code == 201

    seen = _identify(ui_admin, photos("obama")[1])
    assert seen.status_code == 200, seen.text
    assert "<html" not in seen.text and 'id="face-identify"' in seen.text
    assert ">Match<" in seen.text
    assert f'href="/ui/people/{person}">Barack Obama</a>' in seen.text
    assert "1 person enrolled without a site" in seen.text and "Nothing was stored" in seen.text
    overview = ui_admin.client.get("/ui/faces").text
    assert "People enrolled" in overview and "1 template" in overview

    stranger = _identify(ui_admin, photos("biden")[0])
    assert stranger.status_code == 200
    assert ">No match<" in stranger.text and "Barack Obama" not in stranger.text

    no_js = ui_admin.client.post(
        "/ui/faces/identify", data={"csrf_token": ui_admin.csrf}, files=_upload(photos("obama")[2])
    )
    assert no_js.status_code == 200, no_js.text
    assert "<html" in no_js.text and "Matching policy" in no_js.text and ">Match<" in no_js.text

    nothing = ui_admin.client.post("/ui/faces/identify", headers=ui_admin.htmx_headers())
    assert nothing.status_code == 422 and "Choose a photo" in nothing.text


def test_recognition_test_searches_the_chosen_site(ui_admin: UiSession, admin: Actor) -> None:
    site = add_site(admin, "North gate")
    person = add_person(admin, "Barack Obama", site_id=site)
    assert enrol(admin, person, photos("obama")[0]).status_code == 201
    page = ui_admin.client.get("/ui/faces")
    assert f'<option value="{site}">North gate</option>' in page.text

    elsewhere = _identify(ui_admin, photos("obama")[1])
    assert elsewhere.status_code == 200
    assert ">No match<" in elsewhere.text  # only people without a site are searched
    at_site = _identify(ui_admin, photos("obama")[1], site_id=site)
    assert at_site.status_code == 200, at_site.text
    assert ">Match<" in at_site.text and "enrolled at North gate or without a site" in at_site.text

    unknown = _identify(ui_admin, photos("obama")[1], site_id="0" * 32)
    assert unknown.status_code == 422 and "Choose a site from the list." in unknown.text
