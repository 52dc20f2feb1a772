"""The setup form shows why a password was refused (SECURITY.md 16, issue 9 item 1).

Over HTTP on SQLite and PostgreSQL, and once in real Chromium: the reason appears under
the password field, the field is marked invalid, nothing is created, and the same
token then completes setup with a good passphrase.
"""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gatepost.services.container import Container
from tests.e2e.conftest import LiveServer, form_token
from tests.support.leaks import remember

GOOD = "Violet-Canal-Bicycle-Anthem"
remember(GOOD)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("iloveyou1234", "Password is, or is built from, a commonly used or breached password"),
        ("Password1234!", "Password is, or is built from, a commonly used or breached password"),
        ("123456789012", "Password is a sequence such as 1234, abcd or qwerty"),
        ("harbour-master12", "Password must not contain the username"),
    ],
)
def test_setup_form_shows_why_the_password_was_refused(
    client: TestClient, container: Container, password: str, reason: str
) -> None:
    page = client.get("/ui/setup")
    token = container.setup.issue_token()
    data = {
        "token": token,
        "tenant_name": "Harbour Facilities Ltd",
        "tenant_slug": "harbour",
        "username": "harbour-master",
        "password": password,
        "password_confirm": password,
        "csrf_token": form_token(page.text),
    }
    refused = client.post("/ui/setup", data=data)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert f'<p class="field-error" id="setup-password-error">{reason}' in text
    assert 'aria-describedby="setup-password-error' in text
    assert password not in text  # a password is never echoed back
    assert container.setup.needed()
    data |= {"password": GOOD, "password_confirm": GOOD, "csrf_token": form_token(refused.text)}
    done = client.post("/ui/setup", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text


@pytest.mark.browser
def test_setup_page_in_a_browser_shows_the_reason(live_server: LiveServer, page: Page) -> None:
    token = live_server.container.setup.issue_token()
    page.goto(f"{live_server.url}/ui/setup")
    page.get_by_label("Setup token").fill(token)
    page.get_by_label("Organisation name").fill("Harbour Facilities Ltd")
    page.get_by_label("Short name (slug)").fill("harbour")
    page.get_by_label("Administrator username").fill("harbour-master")
    page.get_by_label("Password", exact=True).fill("iloveyou1234")
    page.get_by_label("Confirm password").fill("iloveyou1234")
    page.get_by_role("button", name="Create organisation").click()
    error = page.locator("#setup-password-error")
    expect(error).to_contain_text("commonly used or breached password")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    assert live_server.container.setup.needed()
