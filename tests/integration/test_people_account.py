"""People (edit, erasure preview and typed confirmation, consent history) and the
account (password change, own sessions), over HTTP and the services, on SQLite and
PostgreSQL. Counts are read from the store (``tests/support/rows.py``), not the API.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gatepost.services.container import Container
from gatepost.store import tables
from tests.e2e.conftest import UiSession, ui_login
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_site,
    add_user,
    admin_principal,
    container_of,
    login,
)
from tests.support.faces import add_person, enrol, photos
from tests.support.leaks import remember
from tests.support.rows import row_counts

NAME = "Zhou Xiaoming"
IDENTITY = "11010519491231002X"
PHONE = "13812345678"
PLATE = "京A54321"
remember(NAME, IDENTITY, PHONE, PLATE)
NEW_PASSWORD = "a much longer new passphrase 42"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _person_with_everything(admin: Actor) -> str:
    """A person with a face template, a card, a PIN, an access level, a vehicle and
    two consents (one withdrawn)."""
    person = add_person(admin, NAME)
    _ok(enrol(admin, person, photos("obama")[0]), 201)
    _ok(
        admin.post(
            f"/api/v1/persons/{person}/credentials", json={"kind": "card", "value": "04A1B2C3D4E5"}
        ),
        201,
    )
    _ok(
        admin.post(
            f"/api/v1/persons/{person}/credentials", json={"kind": "pin", "value": "73915284"}
        ),
        201,
    )
    hours = _ok(admin.post("/api/v1/schedules", json={"name": "Office hours"}), 201)["id"]
    level = _ok(
        admin.post("/api/v1/access-levels", json={"name": "Staff", "schedule_id": hours}), 201
    )["id"]
    _ok(admin.put(f"/api/v1/persons/{person}/access-levels/{level}", json={}))
    _ok(admin.post("/api/v1/vehicles", json={"plate": PLATE, "person_id": person}), 201)
    other = _ok(
        admin.post(
            f"/api/v1/persons/{person}/consents",
            json={"purpose": "marketing", "notice_version": "2025-3"},
        ),
        201,
    )["id"]
    _ok(admin.post(f"/api/v1/persons/{person}/consents/{other}/withdraw"))
    return person


def _ui(client: TestClient) -> UiSession:
    return UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))


def _owned(container: Container, person_id: str) -> dict[str, int]:
    """Rows naming the person, by table (read straight from the store)."""
    counted = {
        "face_templates": tables.FaceTemplate.person_id,
        "credentials": tables.Credential.person_id,
        "person_access_levels": tables.PersonAccessLevel.person_id,
        "consents": tables.Consent.person_id,
        "vehicles": tables.Vehicle.person_id,
    }
    with container.db.session() as session:
        return {
            name: int(session.scalar(select(func.count()).where(column == person_id)) or 0)
            for name, column in counted.items()
        }


# -- erasure -------------------------------------------------------------------------


def test_erasure_preview_counts_exactly_what_erasure_removes(admin: Actor) -> None:
    container = container_of(admin)
    person = _person_with_everything(admin)
    principal = admin_principal(admin)
    preview = container.erasure.preview(principal, person)
    owned = _owned(container, person)
    assert (preview.face_templates, preview.kept_photos) == (owned["face_templates"], 0)
    assert preview.face_templates >= 1
    assert preview.credentials == {"card": 1, "pin": 1}
    assert sum(preview.credentials.values()) == owned["credentials"]
    assert preview.access_levels == owned["person_access_levels"] == 1
    assert preview.consents == owned["consents"] == 2
    assert preview.vehicles_untied == owned["vehicles"] == 1
    before = row_counts(container)
    container.erasure.erase_confirmed(principal, person, typed_name=f"  {NAME} ")
    after = row_counts(container)
    assert before["persons"] - after["persons"] == 1
    assert before["face_templates"] - after["face_templates"] == preview.face_templates
    assert before["credentials"] - after["credentials"] == 2
    assert before["person_access_levels"] - after["person_access_levels"] == 1
    assert before["consents"] - after["consents"] == 2
    assert after["vehicles"] == before["vehicles"]  # untied, not deleted
    assert _owned(container, person) == dict.fromkeys(owned, 0)


def test_erasure_with_a_wrong_typed_name_changes_nothing(client: TestClient, admin: Actor) -> None:
    container = container_of(admin)
    person = _person_with_everything(admin)
    ui = _ui(client)
    page = client.get(f"/ui/people/{person}/erase")
    assert page.status_code == 200
    assert re.search(r"1 card\b", page.text) and re.search(r"1 PIN\b", page.text)
    assert "2 consent records" in page.text and "1 vehicle stays" in page.text
    before = row_counts(container)
    wrong = client.post(
        f"/ui/people/{person}/erase",
        data={"confirm_name": "Zhou Xiaomin", "csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert "Type the person&#39;s name exactly as shown" in wrong.text
    assert 'aria-describedby="erase-confirm_name-error"' in wrong.text
    assert row_counts(container) == before
    assert admin.get(f"/api/v1/persons/{person}").status_code == 200
    right = client.post(
        f"/ui/people/{person}/erase",
        data={"confirm_name": NAME, "csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/ui/people?notice=person_erased"
    assert admin.get(f"/api/v1/persons/{person}").status_code == 404
    erased = container.audit.list(admin_principal(admin), limit=10, action="person.erased")
    assert [getattr(e, "target", None) for e in erased] == [f"person:{person}"]
    assert NAME not in repr(erased[0])


# -- edit --------------------------------------------------------------------------


def test_person_edit_keeps_masked_values_left_empty_and_refuses_bad_input(
    client: TestClient, admin: Actor
) -> None:
    container = container_of(admin)
    site = add_site(admin)
    person = _ok(
        admin.post(
            "/api/v1/persons",
            json={
                "name": NAME,
                "identity_kind": "cn_resident",
                "identity_number": IDENTITY,
                "phone": PHONE,
            },
        ),
        201,
    )["id"]
    ui = _ui(client)
    form = client.get(f"/ui/people/{person}/edit")
    assert form.status_code == 200
    assert IDENTITY not in form.text and PHONE not in form.text  # masked: never filled in
    assert "Leave empty to keep it." in form.text
    before = row_counts(container)
    data = {"name": "", "kind": "employee", "site_id": site, "notes": "", "csrf_token": ui.csrf}
    bad = client.post(f"/ui/people/{person}/edit", data=data, follow_redirects=False)
    assert bad.status_code == 422
    assert 'id="person-name-error"' in bad.text
    assert row_counts(container) == before
    data |= {"name": "Zhou Xiaoming Jr", "notes": "night shift"}
    saved = client.post(f"/ui/people/{person}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/ui/people/{person}?notice=person_saved"
    shown = container.persons.reveal(admin_principal(admin), person, reason="test of the edit")
    assert (shown.identity_number, shown.phone) == (IDENTITY, PHONE)
    view = container.persons.get(admin_principal(admin), person)
    assert (view.name, view.site_id, view.notes) == ("Zhou Xiaoming Jr", site, "night shift")
    data |= {"clear_phone": "1"}
    _ = client.post(f"/ui/people/{person}/edit", data=data, follow_redirects=False)
    assert container.persons.get(admin_principal(admin), person).phone_masked is None


# -- consent history ---------------------------------------------------------------


def test_consent_history_lists_withdrawn_consents_with_who_recorded_them(
    client: TestClient, admin: Actor
) -> None:
    person = _person_with_everything(admin)
    history = container_of(admin).consents.history(admin_principal(admin), person)
    assert [(r.consent.purpose, r.consent.withdrawn) for r in history] == [
        ("biometric_face", False),
        ("marketing", True),
    ]
    assert {r.recorded_by_name for r in history} == {"admin"}
    _ui(client)
    page = client.get(f"/ui/people/{person}").text
    assert "Consent history" in page and "2025-3" in page and "2026-1" in page
    assert "Withdrawn" in page and "by admin" in page


# -- sessions and password -----------------------------------------------------------


def _sessions(actor: Actor) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = _ok(actor.get("/api/v1/auth/sessions"))
    return listed


def test_own_sessions_are_listed_and_revoked_and_another_users_are_not_found(
    admin: Actor,
) -> None:
    second = Actor(
        admin.client,
        login(admin.client, "acme", "admin", STRONG_PASSWORD),
        admin.tenant_id,
        id=admin.id,
    )
    listed = _sessions(admin)
    assert len(listed) == 2
    assert [s["current"] for s in listed].count(True) == 1
    assert all(
        set(s) == {"id", "created_at", "last_seen_at", "expires_at", "current"} for s in listed
    )
    guard = add_user(admin, "guard")
    theirs = [s["id"] for s in _sessions(guard)]
    assert admin.post(f"/api/v1/auth/sessions/{theirs[0]}/revoke").status_code == 404
    mine = next(s["id"] for s in _sessions(second) if s["current"])
    assert guard.post(f"/api/v1/auth/sessions/{mine}/revoke").status_code == 404
    assert second.get("/api/v1/auth/me").status_code == 200
    assert _ok(admin.post("/api/v1/auth/sessions/revoke-others")) == {"revoked": 1}
    assert second.get("/api/v1/auth/me").status_code == 401
    assert admin.get("/api/v1/auth/me").status_code == 200
    assert guard.get("/api/v1/auth/me").status_code == 200  # another user's: untouched
    assert [s["current"] for s in _sessions(admin)] == [True]
    third = Actor(
        admin.client, login(admin.client, "acme", "admin", STRONG_PASSWORD), admin.tenant_id
    )
    other = next(s["id"] for s in _sessions(third) if s["current"])
    assert admin.post(f"/api/v1/auth/sessions/{other}/revoke").status_code == 204
    assert third.get("/api/v1/auth/me").status_code == 401


def test_password_change_in_the_ui_signs_out_other_sessions_and_keeps_this_one(
    client: TestClient, admin: Actor
) -> None:
    container = container_of(admin)
    ui = _ui(client)
    old_cookie = dict(client.cookies)
    page = client.get("/ui/account")
    assert page.status_code == 200 and "This session" in page.text
    before = row_counts(container)
    bad = client.post(
        "/ui/account/password",
        data={
            "current_password": STRONG_PASSWORD,
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": ui.csrf,
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422 and 'id="account-new_password-error"' in bad.text
    differ = client.post(
        "/ui/account/password",
        data={
            "current_password": STRONG_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "x",
            "csrf_token": ui.csrf,
        },
        follow_redirects=False,
    )
    assert differ.status_code == 422 and 'id="account-confirm_password-error"' in differ.text
    wrong = client.post(
        "/ui/account/password",
        data={
            "current_password": "not it at all, sorry",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": ui.csrf,
        },
        follow_redirects=False,
    )
    assert wrong.status_code == 422 and 'id="account-current_password-error"' in wrong.text
    assert row_counts(container) == before
    changed = client.post(
        "/ui/account/password",
        data={
            "current_password": STRONG_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": ui.csrf,
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert changed.headers["location"] == "/ui/account?notice=password_changed"
    assert admin.get("/api/v1/auth/me").status_code == 401  # the API session elsewhere
    assert dict(client.cookies) != old_cookie  # this one was rotated
    here = client.get(changed.headers["location"])
    assert here.status_code == 200 and "signed out" in here.text
    assert "This session" in here.text


def test_ui_session_revoke_of_another_users_session_is_not_found(
    client: TestClient, admin: Actor
) -> None:
    guard = add_user(admin, "guard")
    theirs = _sessions(guard)[0]["id"]
    ui = _ui(client)
    response = client.post(
        f"/ui/account/sessions/{theirs}/revoke",
        data={"csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert guard.get("/api/v1/auth/me").status_code == 200
    everywhere = client.post(
        "/ui/account/sessions/revoke-others", data={"csrf_token": ui.csrf}, follow_redirects=False
    )
    assert everywhere.status_code == 303
    assert admin.get("/api/v1/auth/me").status_code == 401  # the admin's API session
    assert guard.get("/api/v1/auth/me").status_code == 200
