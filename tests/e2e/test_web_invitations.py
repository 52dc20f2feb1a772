"""Invitations in the admin UI: the platform administrator's tenants page and its
"Invite first administrator" action, and the public page that accepts a link.

The browser test runs in headless Debian Chromium against uvicorn (``live_server``,
strict CSP): a platform administrator adds a tenant, invites its first administrator,
copies the link shown once; a stranger's browser opens it, sees the organisation and
role, chooses a username and password and signs in. The token travels only in the
link's fragment: the server's access log never sees it. The refusals (used link,
weak password, roles, CSRF) are driven over HTTP on both databases.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from gatepost.web.i18n import LANG_COOKIE, LOCALES
from tests.e2e.conftest import LiveServer, UiSession, browser_login, form_token, set_up_acme
from tests.support.api import Actor, add_user, login
from tests.support.browser import shown as _t
from tests.support.browser import stranger_page
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

NEW_PASSWORD = "Marmalade-Orchestra-93"
SCREENSHOTS = os.environ.get("GATEPOST_SCREENSHOTS")  # a folder: keep screenshots there
_LINK = re.compile(r'id="invitation-link" readonly value="([^"]+)"')


# -- over HTTP (both databases) -------------------------------------------------------


def _new_tenant(ui: UiSession, name: str = "Globex Inc", slug: str = "globex") -> str:
    created = ui.client.post(
        "/ui/tenants",
        data={"name": name, "slug": slug, "csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    page = ui.client.get(created.headers["location"])
    assert "Tenant created." in page.text
    match = re.search(r'id="tenant-([0-9a-f]{32})"[^<]*<td>' + re.escape(name), page.text)
    assert match, page.text
    return match.group(1)


def _invite(ui: UiSession, tenant_id: str) -> str:
    issued = ui.client.post(
        f"/ui/tenants/{tenant_id}/invitations",
        data={"csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert issued.status_code == 201, issued.text
    assert "shown only once" in issued.text
    match = _LINK.search(issued.text)
    assert match, issued.text
    link = match.group(1)
    remember(link.split("#", 1)[1])
    return link


def _accept_form(
    client: TestClient, token: str, *, username: str = "wile", password: str = NEW_PASSWORD
) -> Any:
    page = client.get("/ui/invite")
    assert page.status_code == 200
    return client.post(
        "/ui/invite",
        data={
            "token": token,
            "username": username,
            "password": password,
            "password_confirm": password,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )


def test_platform_admin_invites_and_invitee_accepts_through_the_forms(
    ui_admin: UiSession, admin: Actor
) -> None:
    assert 'href="/ui/tenants"' in ui_admin.client.get("/ui/").text  # in the navigation
    tenant_id = _new_tenant(ui_admin)
    link = _invite(ui_admin, tenant_id)
    assert link.startswith("https://testserver/ui/invite#gpi_" + tenant_id + "_")
    token = link.split("#", 1)[1]
    stranger = anonymous_client(ui_admin.client.app)
    weak = _accept_form(stranger, token, password="password1234")
    assert weak.status_code == 422
    # The weak password is named, and the token is kept so the invitee can try again.
    assert 'id="invite-password-error"' in weak.text
    assert f'value="{token}"' in weak.text
    accepted = _accept_form(stranger, token)
    assert accepted.status_code == 303, accepted.text
    location = accepted.headers["location"]
    assert location == "/ui/login?notice=invitation_accepted&tenant=globex"
    login_page = stranger.get(location)
    assert "Your account is ready." in login_page.text
    assert 'value="globex"' in login_page.text
    login(stranger, "globex", "wile", NEW_PASSWORD)
    # Used: the link is refused with its reason, and nothing is echoed back.
    again = _accept_form(stranger, token, username="coyote")
    assert again.status_code == 409
    assert "already been used" in again.text
    assert token not in again.text


def test_tenants_page_is_for_platform_administrators_only(client: TestClient, admin: Actor) -> None:
    other_admin = add_user(admin, "admin", username="tenant-admin")
    anon = anonymous_client(client.app)
    bearer = {"Authorization": f"Bearer {other_admin.token}"}
    assert anon.get("/ui/tenants", headers=bearer).status_code == 403
    refused = anon.post(f"/ui/tenants/{admin.tenant_id}/invitations", headers=bearer)
    assert refused.status_code == 403
    listing = admin.get(f"/api/v1/tenants/{admin.tenant_id}/invitations").json()["items"]
    assert listing == []
    assert 'href="/ui/tenants"' not in anon.get("/ui/", headers=bearer).text


def test_invite_forms_refuse_bad_input(ui_admin: UiSession, admin: Actor) -> None:
    missing = ui_admin.client.post(
        "/ui/tenants/" + "f" * 32 + "/invitations",
        data={"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert missing.status_code == 404
    no_csrf = ui_admin.client.post(
        f"/ui/tenants/{admin.tenant_id}/invitations", follow_redirects=False
    )
    assert no_csrf.status_code == 403
    bad_slug = ui_admin.client.post(
        "/ui/tenants", data={"name": "X", "slug": "No Slug", "csrf_token": ui_admin.csrf}
    )
    assert bad_slug.status_code == 422 and "Slug must be" in bad_slug.text
    assert admin.get(f"/api/v1/tenants/{admin.tenant_id}/invitations").json()["items"] == []
    stranger = anonymous_client(ui_admin.client.app)
    junk = _accept_form(stranger, "gpi_" + "0" * 32 + "_" + "A" * 43)
    assert junk.status_code == 409 and "not valid" in junk.text
    forged = stranger.post(
        "/ui/invite",
        data={"token": "x", "username": "abc", "password": "p", "password_confirm": "p"},
    )
    assert forged.status_code == 403 and "expired" in forged.text


# -- in a real browser -----------------------------------------------------------------


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log() -> Iterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_browser_invitee_accepts_the_link_and_signs_in(
    live_server: LiveServer, page: Page, browser: Browser, access_log: _Lines
) -> None:
    base = live_server.url
    with set_up_acme(live_server):
        pass
    browser_login(page, base)
    page.get_by_role("link", name="Tenants").click()
    expect(page).to_have_url(f"{base}/ui/tenants")
    page.get_by_label("Name", exact=True).fill("Globex Inc")
    page.get_by_label("Short name (slug)").fill("globex")
    page.get_by_role("button", name="Add tenant").click()
    expect(page.get_by_text("Tenant created.")).to_be_visible()
    _shot(page, "tenants")
    page.get_by_role("button", name="Invite first administrator of Globex Inc").click()
    link_field = page.get_by_label("Invitation link")
    expect(link_field).to_be_visible()
    link = link_field.input_value()
    token = link.split("#", 1)[1]
    remember(token)
    assert link == f"{base}/ui/invite#{token}"
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    _shot(page, "invitation_issued")

    with stranger_page(browser, base) as invitee:
        invitee.goto(link)
        expect(invitee.locator("#invite-tenant")).to_have_text("Globex Inc")
        expect(invitee.locator("#invite-about")).to_contain_text("as administrator")
        # The token left the address bar as soon as the page read it.
        expect(invitee).to_have_url(f"{base}/ui/invite")
        expect(invitee.get_by_label("Invitation code")).to_be_hidden()
        _shot(invitee, "invite")
        invitee.get_by_label("Username").fill("wile")
        invitee.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        invitee.get_by_label("Confirm password").fill(NEW_PASSWORD)
        invitee.get_by_role("button", name="Create my account").click()
        expect(invitee).to_have_url(re.compile(r"/ui/login\?notice=invitation_accepted"))
        expect(invitee.get_by_text("Your account is ready.")).to_be_visible()
        expect(invitee.get_by_label("Organisation")).to_have_value("globex")
        invitee.get_by_label("Username").fill("wile")
        invitee.get_by_label("Password").fill(NEW_PASSWORD)
        invitee.get_by_role("button", name="Sign in").click()
        expect(invitee).to_have_url(f"{base}/ui/")
        expect(invitee.locator(".tenant-name")).to_have_text("Globex Inc")
        # The link is spent: opening it again says so at once.
        invitee.goto(link)
        expect(invitee.locator("#invite-problem")).to_contain_text("already been used")
        expect(invitee.locator("#invite-form")).to_be_hidden()
    assert any("/ui/invite" in line for line in access_log.lines), access_log.lines
    assert not [line for line in access_log.lines if token in line or "gpi_" in line]


@pytest.mark.browser
@pytest.mark.parametrize(("start", "switch_to"), [("en", "zh_Hans"), ("zh_Hans", "en")])
def test_browser_invitee_keeps_the_link_when_switching_language(
    live_server: LiveServer, page: Page, access_log: _Lines, start: str, switch_to: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server) as http:
        issued = http.post("/api/v1/invitations", json={"role": "guard"})
        assert issued.status_code == 201, issued.text
    link = issued.json()["link"]
    token = link.split("#", 1)[1]
    remember(token, token.split("_", 2)[2], link)
    page.context.add_cookies([{"name": LANG_COOKIE, "value": start, "url": base}])
    page.goto(link)
    expect(page.locator("h1")).to_have_text(_t(start, "Join Gatepost"))
    expect(page.locator("#invite-tenant")).to_have_text("Acme Ltd")
    expect(page).to_have_url(f"{base}/ui/invite")

    page.get_by_role("button", name=LOCALES[switch_to]).click()
    expect(page.locator("h1")).to_have_text(_t(switch_to, "Join Gatepost"))
    expect(page.locator("html")).to_have_attribute(
        "lang", "zh-Hans" if switch_to == "zh_Hans" else "en"
    )
    # The link still holds: the organisation is shown, the token is off the address bar.
    expect(page.locator("#invite-tenant")).to_have_text("Acme Ltd")
    expect(page).to_have_url(f"{base}/ui/invite")
    expect(page.get_by_label(_t(switch_to, "Invitation code"))).to_be_hidden()
    page.get_by_label(_t(switch_to, "Username")).fill("night-guard")
    page.get_by_label(_t(switch_to, "Password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(_t(switch_to, "Confirm password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=_t(switch_to, "Create my account")).click()
    expect(page).to_have_url(re.compile(r"/ui/login\?notice=invitation_accepted"))
    ready = "Your account is ready. Sign in with your new username and password."
    expect(page.get_by_text(_t(switch_to, ready))).to_be_visible()
    assert not [line for line in access_log.lines if token in line or "gpi_" in line]
