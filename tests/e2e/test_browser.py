"""The admin UI in a real browser: headless Debian Chromium against uvicorn.

One flow end to end, with the strict CSP, the ``__Host-`` Secure session cookie over
http://127.0.0.1 (a secure context for Chromium), htmx and the popover dialog all real:
sign in, create a person, see the identity number masked, reveal it with a reason,
and find that reason in the audit log. Runs on SQLite only (``live_server``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gatepost.api.deps import SESSION_COOKIE
from tests.e2e.conftest import LiveServer
from tests.support.api import STRONG_PASSWORD
from tests.support.faces import photos
from tests.support.leaks import remember

pytestmark = pytest.mark.browser

IDENTITY = "11010519491231002X"
MASKED = "1101**********002X"
REASON = "Checking the visitor pass at reception"
remember(IDENTITY, REASON)
SCREENSHOTS = os.environ.get("GATEPOST_SCREENSHOTS")  # a folder: keep screenshots there


def test_admin_reveals_identity_number_with_reason_and_finds_it_in_audit(
    live_server: LiveServer, page: Page
) -> None:
    container = live_server.container
    token = container.setup.issue_token()
    container.setup.complete(
        token=token,
        tenant_name="Acme Ltd",
        tenant_slug="acme",
        username="admin",
        password=STRONG_PASSWORD,
    )
    base = live_server.url

    page.goto(f"{base}/ui/people")  # signed out: sent to sign in
    expect(page).to_have_url(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add person").first.click()
    page.get_by_label("Full name").fill("Zhang San")
    page.get_by_label("Identity number").fill(IDENTITY)
    page.get_by_role("button", name="Create person").click()
    expect(page.get_by_role("heading", name="Zhang San")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ui/people/[0-9a-f]{32}"))
    masked = page.locator(".masked-value").first
    expect(masked).to_have_text(MASKED)
    assert IDENTITY not in page.content()

    page.get_by_role("button", name="Reveal").first.click()
    dialog = page.get_by_role("dialog", name="Reveal identity number")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").fill(REASON)
    dialog.get_by_role("button", name="Reveal").click()
    expect(page.locator(".masked.is-revealed .masked-value")).to_have_text(IDENTITY)
    expect(dialog).to_be_hidden()

    nav.get_by_role("link", name="Audit").click()
    expect(page).to_have_url(f"{base}/ui/audit")
    row = page.locator("tr", has_text="person.identity_revealed")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text("admin")
    page.get_by_role("button", name="Verify chain").click()
    expect(page.locator("#audit-verify")).to_contain_text("Chain intact")


def test_admin_records_consent_enrols_a_face_and_tests_recognition(
    live_server: LiveServer, page: Page
) -> None:
    container = live_server.container
    container.setup.complete(
        token=container.setup.issue_token(),
        tenant_name="Acme Ltd",
        tenant_slug="acme",
        username="admin",
        password=STRONG_PASSWORD,
    )
    base = live_server.url
    page.goto(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/")
    page.goto(f"{base}/ui/people/new")
    page.get_by_label("Full name").fill("Portrait O")
    page.get_by_role("button", name="Create person").click()
    face = page.locator("#face")
    expect(face).to_contain_text("Not enrolled")

    page.get_by_label("Privacy notice version").fill("2026-1")
    page.get_by_label("The person has read this notice and agrees").check()
    page.get_by_role("button", name="Record consent").click()
    page.get_by_label("Photos to enrol").set_input_files(str(photos("obama")[0]))
    page.get_by_role("button", name="Enrol face").click()
    expect(face).to_contain_text("1 template")

    page.get_by_label("Photo", exact=True).set_input_files(str(photos("obama")[1]))
    page.get_by_role("button", name="Test recognition").click()
    result = page.locator("#face-identify")
    expect(result).to_contain_text("Match")
    expect(result).to_contain_text("Portrait O")
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "person-face.png"), full_page=True)

    page.get_by_label("Photo", exact=True).set_input_files(str(photos("biden")[0]))
    page.get_by_role("button", name="Test recognition").click()
    expect(result).to_contain_text("No match")
