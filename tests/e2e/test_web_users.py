"""Users, invitations and API keys in the admin UI (``/ui/users``, ``/ui/api-keys``).

Over HTTP on both databases: a tenant administrator invites someone (the link shown
once) who joins through the public page; changes a user's role, disables, requires
and resets two-step; creates an API key (the secret shown once) and revokes it; and
each bad input (a role above one's own, a lifetime out of range, a missing name, one's
own account) is refused on the form with nothing changed. The auditor reads the pages
without any action; a guard does not see them at all.

In headless Chromium (strict CSP), in English and in Simplified Chinese: invite, copy
the link, accept it in a second browser, the new user signs in; create an API key,
copy it, revoke it after the confirmation dialog.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from gatepost.errors import ValidationFailed
from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role
from gatepost.services.container import Container
from gatepost.web.forms import sentence
from gatepost.web.i18n import LANG_COOKIE, use_locale
from tests.e2e.conftest import (
    LiveServer,
    UiSession,
    browser_login,
    form_token,
    set_up_acme,
    ui_login,
)
from tests.support.api import STRONG_PASSWORD, Actor, add_user, admin_principal, login
from tests.support.browser import shown as _t
from tests.support.browser import stranger_page
from tests.support.invitations import spent_invitations
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

NEW_PASSWORD = "Marmalade-Orchestra-93"
LANGUAGES = ("en", "zh_Hans")
_LINK = re.compile(r'id="invitation-link" readonly value="([^"]+)"')
_SECRET = re.compile(r'id="api-key-secret" readonly value="([^"]+)"')


def _said(locale: str, message: str) -> str:
    """A service's message as a form shows it in ``locale`` (a sentence)."""
    with use_locale(locale):
        return sentence(message)


def _post(ui: UiSession, url: str, **data: str) -> Any:
    return ui.client.post(url, data={**data, "csrf_token": ui.csrf}, follow_redirects=False)


def _invite(ui: UiSession, role: str = "guard", hours: str = "24") -> str:
    issued = _post(ui, "/ui/users/invitations", role=role, hours=hours)
    assert issued.status_code == 201, issued.text
    assert "/static/copy.js" in issued.text and 'data-copy="invitation-link"' in issued.text
    match = _LINK.search(issued.text)
    assert match, issued.text
    link = match.group(1)
    remember(link.split("#", 1)[1])
    return link


def _accept(client: TestClient, token: str, username: str) -> Any:
    page = client.get("/ui/invite")
    return client.post(
        "/ui/invite",
        data={
            "token": token,
            "username": username,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )


def _user_id(ui: UiSession, username: str) -> str:
    page = ui.client.get("/ui/users").text
    match = re.search(r'id="user-([0-9a-f]{32})">\s*<td><a[^>]*>' + re.escape(username), page)
    assert match, page
    return match.group(1)


@pytest.fixture
def operators_manage_users(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operators also hold USERS_READ/USERS_WRITE for this test (no role below admin
    does today), so "a role above your own" can be tried through the forms."""
    extra = frozenset({Permission.USERS_READ, Permission.USERS_WRITE})
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OPERATOR, ROLE_PERMISSIONS[Role.OPERATOR] | extra)


# -- over HTTP (both databases) -------------------------------------------------------


@pytest.mark.parametrize("locale", LANGUAGES)
def test_admin_invites_through_the_users_page_and_invitee_joins_when_accepted(
    ui_admin: UiSession, admin: Actor, locale: str
) -> None:
    ui_admin.client.cookies.set(LANG_COOKIE, locale)
    home = ui_admin.client.get("/ui/").text
    assert 'href="/ui/users"' in home and 'href="/ui/api-keys"' in home
    assert _t(locale, "Administration") in home
    page = ui_admin.client.get("/ui/users")
    assert page.status_code == 200
    assert _t(locale, "Invite a user") in page.text
    link = _invite(ui_admin, "guard", "2")
    assert link.startswith(f"https://testserver/ui/invite#gpi_{admin.tenant_id}_")
    listed = ui_admin.client.get("/ui/users").text
    assert _t(locale, "Pending invitations") in listed and 'id="invitation-' in listed
    stranger = anonymous_client(ui_admin.client.app)
    accepted = _accept(stranger, link.split("#", 1)[1], "new-guard")
    assert accepted.status_code == 303, accepted.text
    login(stranger, "acme", "new-guard", NEW_PASSWORD)
    after = ui_admin.client.get("/ui/users").text
    assert "new-guard" in after and 'id="invitation-' not in after
    again = _accept(stranger, link.split("#", 1)[1], "other-guard")
    assert again.status_code == 409


@pytest.mark.parametrize("locale", LANGUAGES)
def test_invite_form_refuses_bad_input_when_lifetime_or_role_is_wrong(
    ui_admin: UiSession, admin: Actor, locale: str
) -> None:
    ui_admin.client.cookies.set(LANG_COOKIE, locale)
    for hours in ("0", "100000", "soon"):
        refused = _post(ui_admin, "/ui/users/invitations", role="guard", hours=hours)
        assert refused.status_code == 422, hours
        assert 'id="invite-hours-error"' in refused.text
        assert 'aria-describedby="invite-hours-error' in refused.text
    device = _post(ui_admin, "/ui/users/invitations", role="device", hours="2")
    assert device.status_code == 422 and 'id="invite-role-error"' in device.text
    assert admin.get("/api/v1/invitations").json()["items"] == []


@pytest.mark.usefixtures("operators_manage_users")
@pytest.mark.parametrize("locale", LANGUAGES)
def test_forms_refuse_a_role_above_own_when_operator_manages_users(
    client: TestClient, admin: Actor, locale: str
) -> None:
    add_user(admin, "operator")
    other = add_user(admin, "operator", username="other-operator")
    ui = UiSession(client, ui_login(client, "acme", "operator-user", STRONG_PASSWORD))
    client.cookies.set(LANG_COOKIE, locale)
    page = client.get("/ui/users").text
    offered = re.findall(r'<option value="(\w+)"', page)
    assert offered == ["operator"]
    above = _said(locale, "you cannot grant a role above your own")
    invited = _post(ui, "/ui/users/invitations", role="admin", hours="2")
    assert invited.status_code == 422 and 'id="invite-role-error"' in invited.text
    assert above in invited.text
    key = _post(ui, "/ui/api-keys", name="Sneaky", role="admin", expires_in_days="30")
    assert key.status_code == 422 and 'id="api-key-role-error"' in key.text
    assert above in key.text
    promoted = _post(ui, f"/ui/users/{other.id}/role", role="admin")
    assert promoted.status_code == 422 and 'id="user-role-error"' in promoted.text
    disabled = _post(ui, f"/ui/users/{admin.id}/disabled", disabled="true")
    assert disabled.status_code == 409
    assert _said(locale, "you cannot change a user whose role is above your own") in disabled.text
    assert admin.get("/api/v1/invitations").json()["items"] == []
    assert admin.get("/api/v1/api-keys").json() == []
    assert admin.get(f"/api/v1/users/{other.id}").json()["role"] == "operator"
    assert admin.get(f"/api/v1/users/{admin.id}").json()["disabled"] is False


def test_user_page_changes_role_disables_and_requires_two_step_when_asked(
    client: TestClient, admin: Actor
) -> None:
    guard = add_user(admin, "guard")
    ui_admin = UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))
    page = ui_admin.client.get(f"/ui/users/{guard.id}")
    assert page.status_code == 200 and "guard-user" in page.text
    changed = _post(ui_admin, f"/ui/users/{guard.id}/role", role="operator")
    assert changed.status_code == 303
    assert "Role changed." in ui_admin.client.get(changed.headers["location"]).text
    assert admin.get(f"/api/v1/users/{guard.id}").json()["role"] == "operator"
    assert _post(ui_admin, f"/ui/users/{guard.id}/disabled", disabled="true").status_code == 303
    assert guard.get("/api/v1/auth/me").status_code == 401  # signed out at once
    assert admin.get(f"/api/v1/users/{guard.id}").json()["disabled"] is True
    assert _post(ui_admin, f"/ui/users/{guard.id}/disabled", disabled="false").status_code == 303
    assert admin.get(f"/api/v1/users/{guard.id}").json()["disabled"] is False
    required = _post(ui_admin, f"/ui/users/{guard.id}/two-step-required", required="true")
    assert required.status_code == 303
    assert admin.get(f"/api/v1/users/{guard.id}").json()["totp_enforced"] is True
    reset = _post(ui_admin, f"/ui/users/{guard.id}/reset-two-step")
    assert reset.status_code == 303
    assert "Two-step verification reset." in ui_admin.client.get(reset.headers["location"]).text


@pytest.mark.parametrize("locale", LANGUAGES)
def test_user_page_refuses_changes_to_oneself_when_asked(
    ui_admin: UiSession, admin: Actor, locale: str
) -> None:
    ui_admin.client.cookies.set(LANG_COOKIE, locale)
    own = ui_admin.client.get(f"/ui/users/{admin.id}").text
    assert f'action="/ui/users/{admin.id}/disabled"' not in own
    disabled = _post(ui_admin, f"/ui/users/{admin.id}/disabled", disabled="true")
    assert disabled.status_code == 409
    assert _said(locale, "you cannot disable yourself or change your own role") in disabled.text
    demoted = _post(ui_admin, f"/ui/users/{admin.id}/role", role="guard")
    assert demoted.status_code == 409
    reset = _post(ui_admin, f"/ui/users/{admin.id}/reset-two-step")
    assert reset.status_code == 409
    assert _said(locale, "you cannot reset your own two-step verification") in reset.text
    me = admin.get(f"/api/v1/users/{admin.id}").json()
    assert (me["role"], me["disabled"]) == ("admin", False)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_user_page_refuses_changes_to_a_platform_admin_when_viewer_is_not_one(
    client: TestClient, admin: Actor, locale: str
) -> None:
    add_user(admin, "admin", "second-admin")  # the same role, not a platform administrator
    other = UiSession(client, ui_login(client, "acme", "second-admin", STRONG_PASSWORD))
    other.client.cookies.set(LANG_COOKIE, locale)
    shown = other.client.get(f"/ui/users/{admin.id}").text
    assert f'action="/ui/users/{admin.id}/disabled"' not in shown
    assert f'action="/ui/users/{admin.id}/reset-two-step"' not in shown
    guarded = _t(
        locale,
        "This user is a platform administrator: only another platform administrator can "
        "change them.",
    )
    assert guarded in shown
    said = _said(locale, "only a platform administrator can change a platform administrator")
    for action, data in (
        ("disabled", {"disabled": "true"}),
        ("role", {"role": "guard"}),
        ("reset-two-step", {}),
    ):
        refused = _post(other, f"/ui/users/{admin.id}/{action}", **data)
        assert refused.status_code == 409, (action, refused.text)
        assert said in refused.text, action
    me = admin.get(f"/api/v1/users/{admin.id}").json()
    assert (me["role"], me["disabled"]) == ("admin", False)
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_users_page_lists_pending_invitations_past_many_spent_ones_when_paged(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    spent_invitations(container, tenant_id=admin.tenant_id, user_id=admin.id, count=250)
    acting = admin_principal(admin)
    pending = sorted(
        container.invitations.create_in_own_tenant(acting, role="guard", hours=None).invitation.id
        for _ in range(51)
    )
    first = ui_admin.client.get("/ui/users")
    assert first.status_code == 200
    shown = re.findall(r'id="invitation-([0-9a-f]{32})"', first.text)
    assert shown == pending[:50]
    more = re.search(r'href="(/ui/users\?invitations_cursor=[0-9a-f]{32})#invitations"', first.text)
    assert more, first.text
    second = ui_admin.client.get(more.group(1))
    assert second.status_code == 200
    assert re.findall(r'id="invitation-([0-9a-f]{32})"', second.text) == pending[50:]
    assert "invitations_cursor=" not in second.text  # no further page
    assert 'href="/ui/users#invitations"' in second.text  # back to the first


@pytest.mark.parametrize("locale", LANGUAGES)
def test_api_keys_page_shows_the_secret_once_and_revokes_when_asked(
    ui_admin: UiSession, admin: Actor, locale: str
) -> None:
    ui_admin.client.cookies.set(LANG_COOKIE, locale)
    created = _post(ui_admin, "/ui/api-keys", name="HR sync", role="hr", expires_in_days="30")
    assert created.status_code == 201, created.text
    assert _t(
        locale, "You will not see it again. If it is lost, revoke it and create another."
    ) in (created.text)
    assert "/static/copy.js" in created.text and 'data-copy="api-key-secret"' in created.text
    match = _SECRET.search(created.text)
    assert match
    secret = match.group(1)
    remember(secret)
    key = Actor(ui_admin.client, secret, admin.tenant_id)
    assert key.get("/api/v1/persons").status_code == 200
    listing = ui_admin.client.get("/ui/api-keys").text
    assert "HR sync" in listing and secret not in listing
    assert _t(locale, "Last used") in listing
    (stored,) = admin.get("/api/v1/api-keys").json()
    assert stored["role"] == "hr" and stored["expires_at"] and stored["last_used_at"]
    assert f'popovertarget="api-key-revoke-{stored["id"]}"' in listing
    revoked = _post(ui_admin, f"/ui/api-keys/{stored['id']}/revoke")
    assert revoked.status_code == 303
    after = ui_admin.client.get(revoked.headers["location"]).text
    assert _t(locale, "API key revoked. It no longer works.") in after
    assert key.get("/api/v1/persons").status_code == 401


@pytest.mark.parametrize("locale", LANGUAGES)
def test_api_key_form_refuses_bad_input_when_name_or_expiry_is_wrong(
    ui_admin: UiSession, admin: Actor, locale: str
) -> None:
    ui_admin.client.cookies.set(LANG_COOKIE, locale)
    nameless = _post(ui_admin, "/ui/api-keys", name=" ", role="hr", expires_in_days="30")
    assert nameless.status_code == 422 and 'id="api-key-name-error"' in nameless.text
    for days in ("forever", "0", "731"):
        refused = _post(ui_admin, "/ui/api-keys", name="HR", role="hr", expires_in_days=days)
        assert refused.status_code == 422, days
        assert 'id="api-key-expires_in_days-error"' in refused.text
    with use_locale(locale):
        out_of_range = sentence(
            ValidationFailed("expiry must be between 1 and %(max)s days", params={"max": 730})
        )
    assert out_of_range in refused.text
    assert admin.get("/api/v1/api-keys").json() == []
    never = _post(ui_admin, "/ui/api-keys", name="Forever", role="auditor", expires_in_days="never")
    assert never.status_code == 201
    remember(_SECRET.search(never.text).group(1))  # type: ignore[union-attr]
    assert admin.get("/api/v1/api-keys").json()[0]["expires_at"] is None


def test_auditor_reads_users_and_keys_without_actions_when_signed_in(
    client: TestClient, admin: Actor
) -> None:
    add_user(admin, "auditor")
    ui = UiSession(client, ui_login(client, "acme", "auditor-user", STRONG_PASSWORD))
    users = client.get("/ui/users")
    assert users.status_code == 200 and "admin" in users.text
    assert 'action="/ui/users/invitations"' not in users.text
    keys = client.get("/ui/api-keys")
    assert keys.status_code == 200 and 'action="/ui/api-keys"' not in keys.text
    assert 'action="/ui/users/' not in client.get(f"/ui/users/{admin.id}").text
    assert _post(ui, "/ui/users/invitations", role="auditor", hours="2").status_code == 403
    assert _post(ui, "/ui/api-keys", name="x", role="auditor").status_code == 403


def test_guard_sees_no_administration_when_signed_in(client: TestClient, admin: Actor) -> None:
    add_user(admin, "guard")
    ui_login(client, "acme", "guard-user", STRONG_PASSWORD)
    home = client.get("/ui/").text
    assert 'href="/ui/users"' not in home and 'href="/ui/api-keys"' not in home
    assert client.get("/ui/users").status_code == 403
    assert client.get("/ui/api-keys").status_code == 403


# -- in a real browser -----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("locale", LANGUAGES)
def test_browser_invites_a_user_and_manages_an_api_key_in_each_language(
    live_server: LiveServer, page: Page, browser: Browser, locale: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server):
        pass
    browser_login(page, base)
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])
    page.goto(f"{base}/ui/")
    page.get_by_role("link", name=_t(locale, "Users"), exact=True).click()
    expect(page).to_have_url(f"{base}/ui/users")
    expect(page.locator("h1")).to_have_text(_t(locale, "Users"))
    page.get_by_label(_t(locale, "Role"), exact=True).select_option("guard")
    page.get_by_role("button", name=_t(locale, "Create invitation link")).click()
    link = page.get_by_label(_t(locale, "Invitation link")).input_value()
    token = link.split("#", 1)[1]
    remember(token)
    assert link == f"{base}/ui/invite#{token}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.get_by_role("button", name=_t(locale, "Copy link")).click()
    expect(page.get_by_role("button", name=_t(locale, "Copied"))).to_be_visible()

    with stranger_page(browser, base, locale) as invitee:
        invitee.goto(link)
        expect(invitee.locator("#invite-tenant")).to_have_text("Acme Ltd")
        invitee.get_by_label(_t(locale, "Username")).fill("night-guard")
        invitee.get_by_label(_t(locale, "Password"), exact=True).fill(NEW_PASSWORD)
        invitee.get_by_label(_t(locale, "Confirm password")).fill(NEW_PASSWORD)
        invitee.get_by_role("button", name=_t(locale, "Create my account")).click()
        expect(invitee).to_have_url(re.compile(r"/ui/login\?notice=invitation_accepted"))
        invitee.get_by_label(_t(locale, "Username")).fill("night-guard")
        invitee.get_by_label(_t(locale, "Password")).fill(NEW_PASSWORD)
        invitee.get_by_role("button", name=_t(locale, "Sign in")).click()
        expect(invitee).to_have_url(f"{base}/ui/")
        expect(invitee.locator(".user-name")).to_have_text("night-guard")
    page.goto(f"{base}/ui/users")
    expect(page.locator("#users-table")).to_contain_text("night-guard")

    page.get_by_role("link", name=_t(locale, "API keys"), exact=True).click()
    expect(page).to_have_url(f"{base}/ui/api-keys")
    page.get_by_label(_t(locale, "Name"), exact=True).fill("Door sync")
    page.get_by_label(_t(locale, "Role (scope)")).select_option("auditor")
    page.get_by_label(_t(locale, "Expires after")).select_option("30")
    page.get_by_role("button", name=_t(locale, "Create key")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        _t(locale, "You will not see it again. If it is lost, revoke it and create another.")
    )
    secret = page.get_by_label(_t(locale, "API key"), exact=True).input_value()
    remember(secret)
    page.get_by_role("button", name=_t(locale, "Copy key")).click()
    expect(page.get_by_role("button", name=_t(locale, "Copied"))).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.get_by_role("link", name=_t(locale, "Done")).click()
    expect(page.locator("#api-keys-table")).to_contain_text("Door sync")
    page.locator("#api-keys-table").get_by_role("button", name=re.compile("Door sync")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=_t(locale, "Revoke key")).click()
    expect(page.get_by_text(_t(locale, "API key revoked. It no longer works."))).to_be_visible()
    expect(page.locator("#api-keys-table")).to_contain_text(_t(locale, "Revoked"))
