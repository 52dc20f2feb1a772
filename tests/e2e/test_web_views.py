"""The admin UI through HTTP: sign-in, CSRF, redirects, people, reveal, devices, audit.

Each test runs against the real app and database (SQLite and PostgreSQL), driving the
pages the way a browser does: forms with their CSRF tokens, and htmx requests with the
``HX-Request`` and ``X-CSRF-Token`` headers that ``base.html`` makes htmx send.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.api.deps import SESSION_COOKIE
from gatepost.domain.ports import FixedClock
from gatepost.security.totp import totp_code
from gatepost.services.container import Container
from tests.e2e.conftest import UiSession, form_token, session_csrf, ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_user
from tests.support.leaks import remember

ZHANG_ID = "11010519491231002X"
ZHANG_MASKED = "1101**********002X"
REASON = "Verifying identity at the front desk"
remember(ZHANG_ID, REASON)


def _add_person(admin: Actor, name: str, identity: str | None = None) -> str:
    body: dict[str, Any] = {"name": name}
    if identity:
        body |= {"identity_kind": "cn_resident", "identity_number": identity}
    response = admin.post("/api/v1/persons", json=body)
    assert response.status_code == 201, response.text
    person_id: str = response.json()["id"]
    return person_id


def _audit(admin: Actor, action: str) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/audit", params={"action": action})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr")


# -- signing in and out ------------------------------------------------------------------


def test_login_sets_secure_session_cookie_when_credentials_valid(
    client: TestClient, admin: Actor
) -> None:
    client.cookies.clear()
    page = client.get("/ui/login")
    response = client.post(
        "/ui/login",
        data={
            "tenant": "acme",
            "username": "admin",
            "password": STRONG_PASSWORD,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path=/", "samesite=strict"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    dashboard = client.get("/ui/")
    assert dashboard.status_code == 200
    assert "Acme Ltd" in dashboard.text and "admin" in dashboard.text


@pytest.mark.parametrize(
    ("tenant", "username", "password"),
    [
        ("nope", "admin", STRONG_PASSWORD),
        ("acme", "nobody", STRONG_PASSWORD),
        ("acme", "admin", "Wrong-Password-123"),
    ],
    ids=["unknown-organisation", "unknown-user", "wrong-password"],
)
def test_login_failure_gives_one_uniform_message_whatever_was_wrong(
    client: TestClient, admin: Actor, tenant: str, username: str, password: str
) -> None:
    client.cookies.clear()
    page = client.get("/ui/login")
    response = client.post(
        "/ui/login",
        data={
            "tenant": tenant,
            "username": username,
            "password": password,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Invalid organisation, username, password or one-time code." in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert password not in response.text  # the password is never echoed back


def test_login_is_refused_when_form_csrf_token_missing_or_forged(
    client: TestClient, admin: Actor
) -> None:
    client.cookies.clear()
    client.get("/ui/login")
    for token in ("", "forged-token"):
        response = client.post(
            "/ui/login",
            data={
                "tenant": "acme",
                "username": "admin",
                "password": STRONG_PASSWORD,
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "expired" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_logout_ends_the_session(ui_admin: UiSession) -> None:
    client = ui_admin.client
    stale = client.cookies.get(SESSION_COOKIE)
    response = client.post(
        "/ui/logout", headers=ui_admin.htmx_headers(boosted=True), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login")
    assert "signed out" in client.get(response.headers["location"]).text
    client.cookies.set(SESSION_COOKIE, stale or "")
    assert client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/login"


# -- redirects and errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/ui/",
        "/ui/people",
        "/ui/people/new",
        "/ui/devices",
        "/ui/events",
        "/ui/audit",
        "/ui/people/" + "a" * 32,
        "/ui/no-such-page",
    ],
)
def test_pages_redirect_to_login_when_signed_out(client: TestClient, path: str) -> None:
    client.cookies.clear()
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"


def test_htmx_request_gets_hx_redirect_when_signed_out(client: TestClient) -> None:
    client.cookies.clear()
    response = client.post(
        "/ui/audit/verify", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/ui/login"


def test_stale_session_cookie_is_dropped_when_redirecting(client: TestClient) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "gps_" + "0" * 32 + "_" + "A" * 43)
    response = client.get("/ui/people", follow_redirects=False)
    assert response.status_code == 303
    assert SESSION_COOKIE in response.headers.get("set-cookie", "")
    assert "max-age=0" in response.headers["set-cookie"].lower()


def test_unknown_page_and_person_render_404_page_when_signed_in(ui_admin: UiSession) -> None:
    for path in ("/ui/no-such-page", "/ui/people/" + "b" * 32, "/ui/people/not-an-id"):
        response = ui_admin.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "does not exist" in response.text


def test_api_errors_stay_json_when_outside_ui(ui_admin: UiSession, admin: Actor) -> None:
    response = admin.get("/api/v1/persons/" + "c" * 32)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    anonymous = TestClient(ui_admin.client.app, base_url="https://testserver")
    assert anonymous.get("/api/v1/persons").status_code == 401


# -- CSRF on signed-in writes -------------------------------------------------------------


def test_post_without_csrf_token_is_refused_when_signed_in(
    ui_admin: UiSession, admin: Actor
) -> None:
    response = ui_admin.client.post("/ui/people", data={"name": "Mallory Target"})
    assert response.status_code == 403
    assert "expired or came from another site" in response.text
    forged = ui_admin.client.post(
        "/ui/people", data={"name": "Mallory Target"}, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert admin.get("/api/v1/persons").json()["items"] == []


def test_form_field_csrf_token_is_accepted_when_javascript_is_off(
    ui_admin: UiSession, admin: Actor
) -> None:
    response = ui_admin.client.post(
        "/ui/people",
        data={"name": "No Script", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303


# -- people ------------------------------------------------------------------------------


def test_create_person_shows_inline_error_when_identity_number_invalid(
    ui_admin: UiSession, admin: Actor
) -> None:
    response = ui_admin.client.post(
        "/ui/people",
        data={
            "name": "Sun Jiu",
            "kind": "employee",
            "identity_kind": "cn_resident",
            "identity_number": "110105194912310021",
        },
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert response.status_code == 422
    html = response.text
    field = re.search(r'<input[^>]*id="person-identity_number"[^>]*>', html)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert 'value="110105194912310021"' in field.group(0)
    assert 'id="person-identity_number-error"' in html
    assert "check digit" in html
    assert 'value="Sun Jiu"' in html  # the rest of the form is kept
    assert admin.get("/api/v1/persons").json()["items"] == []


def test_create_person_redirects_to_detail_with_masked_number(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    response = ui_admin.client.post(
        "/ui/people",
        data={
            "name": "Zhang San",
            "kind": "employee",
            "site_id": site_id,
            "identity_kind": "cn_resident",
            "identity_number": ZHANG_ID,
            "phone": "+86 138 0013 8000",
            "notes": "Night shift",
        },
        headers=ui_admin.htmx_headers(boosted=True),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/ui/people/[0-9a-f]{32}\?notice=person_created", location)
    page = ui_admin.client.get(location)
    assert page.status_code == 200
    assert "Person created." in page.text
    assert ZHANG_MASKED in page.text and ZHANG_ID not in page.text
    assert "13800138000" not in page.text and "8000" in page.text
    assert "HQ" in page.text and "Night shift" in page.text


def test_people_list_paginates_with_cursor(ui_admin: UiSession, admin: Actor) -> None:
    for name in ("Ann", "Bo", "Cy"):
        _add_person(admin, name)
    first = ui_admin.client.get("/ui/people", params={"limit": "2"})
    assert first.status_code == 200
    assert _rows(first.text) == 2
    link = re.search(r'href="(/ui/people\?cursor=[^"]+)" hx-get', first.text)
    assert link is not None, "no Next link on a full page"
    second = ui_admin.client.get(link.group(1).replace("&amp;", "&"))
    assert _rows(second.text) == 1
    assert 'rel="next"' not in second.text
    assert "First page" in second.text
    names = {n for n in ("Ann", "Bo", "Cy") if n in first.text + second.text}
    assert names == {"Ann", "Bo", "Cy"}


def test_people_search_finds_exact_match_without_personal_data_in_url(
    ui_admin: UiSession, admin: Actor
) -> None:
    _add_person(admin, "Zhang San", ZHANG_ID)
    _add_person(admin, "Li Si")
    headers = ui_admin.htmx_headers(boosted=True)
    by_id = ui_admin.client.post(
        "/ui/people/search", data={"by": "identity", "q": ZHANG_ID}, headers=headers
    )
    assert by_id.status_code == 200
    assert "Zhang San" in by_id.text and "Li Si" not in by_id.text
    by_name = ui_admin.client.post(
        "/ui/people/search", data={"by": "name", "q": "li si"}, headers=headers
    )
    assert "Li Si" in by_name.text and "Zhang San" not in by_name.text
    bad = ui_admin.client.post(
        "/ui/people/search", data={"by": "phone", "q": "abc"}, headers=headers
    )
    assert bad.status_code == 200
    assert "Invalid phone number" in bad.text


# -- reveal ------------------------------------------------------------------------------


def test_reveal_shows_number_and_audits_reason(ui_admin: UiSession, admin: Actor) -> None:
    person_id = _add_person(admin, "Zhang San", ZHANG_ID)
    page = ui_admin.client.get(f"/ui/people/{person_id}")
    assert ZHANG_MASKED in page.text and 'popovertarget="reveal-identity"' in page.text
    response = ui_admin.client.post(
        f"/ui/people/{person_id}/reveal?field=identity",
        data={"reason": REASON},
        headers=ui_admin.htmx_headers(),
    )
    assert response.status_code == 200
    assert ZHANG_ID in response.text and "is-revealed" in response.text
    assert "<html" not in response.text  # a fragment for htmx to swap in
    (entry,) = _audit(admin, "person.identity_revealed")
    assert entry["purpose"] == REASON
    assert entry["target"] == f"person:{person_id}"


def test_reveal_with_short_reason_returns_masked_partial_with_error(
    ui_admin: UiSession, admin: Actor
) -> None:
    person_id = _add_person(admin, "Zhang San", ZHANG_ID)
    response = ui_admin.client.post(
        f"/ui/people/{person_id}/reveal?field=identity",
        data={"reason": "why"},
        headers=ui_admin.htmx_headers(),
    )
    assert response.status_code == 200
    assert ZHANG_MASKED in response.text and ZHANG_ID not in response.text
    assert "at least 5 characters" in response.text
    assert _audit(admin, "person.identity_revealed") == []


def test_reveal_needs_reveal_permission_when_guard(client: TestClient, admin: Actor) -> None:
    person_id = _add_person(admin, "Zhang San", ZHANG_ID)
    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    page = client.get(f"/ui/people/{person_id}")
    assert page.status_code == 200
    assert ZHANG_MASKED in page.text and "popovertarget" not in page.text
    url = f"/ui/people/{person_id}/reveal?field=identity"
    refused = client.post(url, data={"reason": REASON}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "do not have permission" in refused.text
    assert "gate-guard" in refused.text  # still the signed-in layout
    assert ZHANG_ID not in refused.text
    htmx = client.post(
        url, data={"reason": REASON}, headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert htmx.status_code == 403
    assert htmx.headers["hx-retarget"] == "#flash"
    assert ZHANG_ID not in htmx.text
    assert _audit(admin, "person.identity_revealed") == []
    assert _audit(admin, "authz.denied")


# -- devices, events, audit ------------------------------------------------------------------


def test_register_device_shows_credential_once_and_revoke_disables_it(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    headers = ui_admin.htmx_headers(boosted=True)
    response = ui_admin.client.post(
        "/ui/devices",
        data={
            "site_id": site_id,
            "name": "North gate",
            "kind": "turnstile",
            "direction": "in",
            "zone": "main",
            "roles": ["access_point"],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    credential = re.search(r"(gpd_[0-9a-f]{32}_[A-Za-z0-9_-]{43})", response.text)
    assert credential is not None
    remember(credential.group(1))
    assert "shown only once" in response.text
    shown: dict[str, str] = {}
    for name in ("mqtt-username", "mqtt-password", "mac-key"):
        found = re.search(rf'id="device-{name}" readonly value="([^"]+)"', response.text)
        assert found is not None, f"the page does not show {name}"
        shown[name] = found.group(1)
    password, mac_key = shown["mqtt-password"], shown["mac-key"]
    remember(password)
    remember(mac_key)
    assert len(password) == len(mac_key) == 43 and password != mac_key
    listing = ui_admin.client.get("/ui/devices")
    assert "North gate" in listing.text and credential.group(1) not in listing.text
    assert password not in listing.text and mac_key not in listing.text
    device_id = admin.get("/api/v1/devices").json()["items"][0]["id"]
    device_auth = {"Authorization": f"Bearer {credential.group(1)}"}
    assert (
        admin.client.post(
            "/api/v1/device/events", json={"events": []}, headers=device_auth
        ).status_code
        == 422
    )
    revoked = ui_admin.client.post(
        f"/ui/devices/{device_id}/revoke", headers=ui_admin.htmx_headers()
    )
    assert revoked.status_code == 200
    assert revoked.text.lstrip().startswith("<tr") and "Revoked" in revoked.text
    assert (
        admin.client.post(
            "/api/v1/device/events", json={"events": []}, headers=device_auth
        ).status_code
        == 401
    )


def test_register_device_shows_field_error_when_name_blank(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    response = ui_admin.client.post(
        "/ui/devices",
        data={"site_id": site_id, "name": " ", "kind": "turnstile", "roles": ["access_point"]},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert response.status_code == 422
    assert 'id="device-name-error"' in response.text


def test_events_are_filtered_by_kind_and_paginated(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    now = container.clock.now()
    kinds = ["access.granted", "access.denied", "access.granted", "access.granted"]
    events = [
        {
            "idempotency_key": f"k{i}",
            "kind": kind,
            "occurred_at": (now - timedelta(minutes=i)).isoformat(),
        }
        for i, kind in enumerate(kinds)
    ]
    assert device.post("/api/v1/device/events", json={"events": events}).status_code == 200
    denied = ui_admin.client.get("/ui/events", params={"kind": "access.denied"})
    assert denied.status_code == 200
    assert _rows(denied.text) == 1 and "Access denied" in denied.text
    first = ui_admin.client.get("/ui/events", params={"limit": "3"})
    assert _rows(first.text) == 3
    link = re.search(r'href="(/ui/events\?cursor=[^"]+)" hx-get', first.text)
    assert link is not None
    second = ui_admin.client.get(link.group(1).replace("&amp;", "&"))
    assert _rows(second.text) == 1
    dashboard = ui_admin.client.get("/ui/")
    assert re.search(r'Events today \(UTC\)</div>\s*<div class="stat-value">4<', dashboard.text)


def test_audit_lists_newest_first_and_verifies_chain(ui_admin: UiSession) -> None:
    page = ui_admin.client.get("/ui/audit")
    assert page.status_code == 200
    seqs = [int(s) for s in re.findall(r'<td class="num faint">(\d+)</td>', page.text)]
    assert seqs and seqs == sorted(seqs, reverse=True)
    assert "setup.completed" in page.text and "auth.login" in page.text
    result = ui_admin.client.post("/ui/audit/verify", headers=ui_admin.htmx_headers())
    assert result.status_code == 200
    assert "Chain intact" in result.text


def test_audit_is_hidden_and_refused_when_role_lacks_audit_read(
    client: TestClient, admin: Actor
) -> None:
    add_user(admin, "operator", "ops")
    ui_login(client, "acme", "ops", STRONG_PASSWORD)
    dashboard = client.get("/ui/")
    assert 'href="/ui/people"' in dashboard.text
    assert 'href="/ui/audit"' not in dashboard.text  # the sidebar offers only what opens
    response = client.get("/ui/audit")
    assert response.status_code == 403
    assert "do not have permission" in response.text
    assert 'href="/ui/audit"' not in response.text


# -- first-run setup ----------------------------------------------------------------------


def test_setup_page_creates_organisation_then_sign_in_works(
    client: TestClient, container: Container
) -> None:
    page = client.get("/ui/setup")
    assert page.status_code == 200
    data = {
        "token": container.setup.issue_token(),
        "tenant_name": "Beta Works",
        "tenant_slug": "beta",
        "username": "root",
        "password": STRONG_PASSWORD,
        "password_confirm": STRONG_PASSWORD + "x",
        "csrf_token": form_token(page.text),
    }
    mismatch = client.post("/ui/setup", data=data)
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    data["password_confirm"] = STRONG_PASSWORD
    done = client.post("/ui/setup", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/login?notice=setup_done&tenant=beta"
    login_page = client.get(done.headers["location"])
    assert 'value="beta"' in login_page.text
    csrf = ui_login(client, "beta", "root", STRONG_PASSWORD)
    assert csrf == session_csrf(client.get("/ui/").text)
    assert client.get("/ui/setup", follow_redirects=False).status_code == 303


# -- two-step verification ------------------------------------------------------------------


def test_user_with_required_totp_must_enrol_then_signs_in_with_code(
    client: TestClient, admin: Actor, clock: FixedClock
) -> None:
    user = add_user(admin, "operator", "ops-2fa")
    assert admin.patch(f"/api/v1/users/{user.id}", json={"require_totp": True}).status_code == 200
    client.cookies.clear()
    page = client.get("/ui/login")
    signed_in = client.post(
        "/ui/login",
        data={
            "tenant": "acme",
            "username": "ops-2fa",
            "password": STRONG_PASSWORD,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/ui/account/two-step"
    assert client.get("/ui/people", follow_redirects=False).headers["location"] == (
        "/ui/account/two-step"
    )
    intro = client.get("/ui/account/two-step")
    assert "requires two-step verification" in intro.text
    csrf = session_csrf(intro.text)
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    started = client.post("/ui/account/two-step", headers={**headers, "HX-Boosted": "true"})
    secret_match = re.search(r'id="two-step-secret"[^>]*>([A-Z2-7]+)<', started.text)
    assert secret_match is not None
    secret = secret_match.group(1)
    remember(secret)
    wrong = client.post("/ui/account/two-step/confirm", data={"code": "000000"}, headers=headers)
    assert wrong.status_code == 200 and "wrong" in wrong.text
    done = client.post(
        "/ui/account/two-step/confirm",
        data={"code": totp_code(secret, clock.now())},
        headers=headers,
    )
    assert done.headers["hx-redirect"] == "/ui/?notice=totp_enabled"
    assert client.get("/ui/").status_code == 200

    client.cookies.clear()
    clock.advance(timedelta(seconds=60))
    page = client.get("/ui/login")
    form = {
        "tenant": "acme",
        "username": "ops-2fa",
        "password": STRONG_PASSWORD,
        "csrf_token": form_token(page.text),
    }
    ask = client.post("/ui/login", data=form, follow_redirects=False)
    assert ask.status_code == 401 and 'id="login-totp"' in ask.text
    form |= {"csrf_token": form_token(ask.text), "totp": totp_code(secret, clock.now())}
    assert client.post("/ui/login", data=form, follow_redirects=False).status_code == 303
