"""The alerts and webhooks pages of the admin UI: an alert raised by a duress PIN is
acknowledged with a note (htmx swaps its row; an empty note is refused in place), the
nav offers the pages only to roles that may read them, and a webhook endpoint is
created (secret shown once), tested, retried, disabled and deleted. The acknowledgement
also runs in headless Chromium against uvicorn (strict CSP, real htmx)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, UiSession, ui_login
from tests.integration.test_device_arrivals import Door
from tests.support.api import STRONG_PASSWORD, Actor, add_user

DURESS_PIN = "135791"


def _alert(admin: Actor) -> str:
    door = Door(admin)
    ada = door.person("Ada Lovelace")
    door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)
    assert door.arrive("pin", DURESS_PIN).status_code == 200
    return str(admin.get("/api/v1/alerts").json()["items"][0]["id"])


def test_an_alert_is_acknowledged_in_place_with_a_required_note(
    ui_admin: UiSession, admin: Actor
) -> None:
    alert_id = _alert(admin)
    page = ui_admin.client.get("/ui/alerts")
    assert page.status_code == 200
    assert f'id="alert-{alert_id}"' in page.text and "Duress" in page.text
    assert "Ada" not in page.text
    url = f"/ui/alerts/{alert_id}/acknowledge"
    refused = ui_admin.client.post(url, data={"note": "  "}, headers=ui_admin.htmx_headers())
    assert refused.status_code == 422 and "Note is required" in refused.text
    assert refused.text.lstrip().startswith("<tr")  # only the row comes back
    done = ui_admin.client.post(
        url, data={"note": "Called the site; all well"}, headers=ui_admin.htmx_headers()
    )
    assert done.status_code == 200 and "Acknowledged" in done.text
    assert "Called the site; all well" in done.text and "<form" not in done.text
    again = ui_admin.client.post(url, data={"note": "again"}, headers=ui_admin.htmx_headers())
    assert again.status_code == 409 and "acknowledged it already" in again.text
    assert "No open alerts" in ui_admin.client.get("/ui/alerts").text
    acked = ui_admin.client.get("/ui/alerts", params={"state": "acknowledged"})
    assert f'id="alert-{alert_id}"' in acked.text
    unknown = f"/ui/alerts/{'0' * 32}/acknowledge"
    missing = ui_admin.client.post(unknown, data={"note": "x"}, headers=ui_admin.htmx_headers())
    assert missing.status_code == 404


def test_the_nav_offers_alerts_and_webhooks_only_to_roles_that_read_them(
    client: TestClient, admin: Actor
) -> None:
    add_user(admin, "hr", "hr-person")
    add_user(admin, "guard", "guard-person")
    for username, alerts, hooks in (
        ("admin", True, True),
        ("guard-person", True, False),
        ("hr-person", False, False),
    ):
        client.cookies.clear()
        ui_login(client, "acme", username, STRONG_PASSWORD)
        home = client.get("/ui/").text
        assert ('href="/ui/alerts"' in home) == alerts, username
        assert ('href="/ui/webhooks"' in home) == hooks, username
        assert (client.get("/ui/alerts").status_code == 200) == alerts, username
        assert (client.get("/ui/webhooks").status_code == 200) == hooks, username


def test_a_webhook_endpoint_is_created_tested_retried_disabled_and_deleted(
    ui_admin: UiSession,
) -> None:
    client, csrf = ui_admin.client, ui_admin.csrf
    bad = client.post("/ui/webhooks", data={"url": "ftp://x.example", "csrf_token": csrf})
    assert bad.status_code == 422 and "must start with https://" in bad.text
    created = client.post(
        "/ui/webhooks",
        data={
            "url": "http://127.0.0.1:9/hook",
            "description": "Control room",
            "event_types": ["alert.raised"],
            "csrf_token": csrf,
        },
    )
    assert created.status_code == 201, created.text[:300]
    secret = re.search(r'value="(whsec_[^"]+)"', created.text)
    assert secret is not None
    endpoint_id = re.search(r'href="/ui/webhooks/([0-9a-f]{32})"', created.text)
    assert endpoint_id is not None
    detail_url = f"/ui/webhooks/{endpoint_id.group(1)}"
    listing = client.get("/ui/webhooks").text
    assert "Control room" in listing and secret.group(1) not in listing
    assert secret.group(1) not in client.get(detail_url).text
    sent = client.post(f"{detail_url}/test", data={"csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == detail_url
    detail = client.get(detail_url).text
    assert "webhook.test" in detail and "Pending" in detail
    delivery = re.search(r'action="/ui/webhooks/deliveries/([0-9a-f]{32})/retry"', detail)
    assert delivery is not None
    retried = client.post(
        f"/ui/webhooks/deliveries/{delivery.group(1)}/retry",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    off = client.post(f"{detail_url}/enabled", data={"enabled": "false", "csrf_token": csrf})
    assert off.status_code == 200 and "disabled by a user" in off.text
    rotated = client.post(f"{detail_url}/rotate-secret", data={"csrf_token": csrf})
    new_secret = re.search(r'value="(whsec_[^"]+)"', rotated.text)
    assert new_secret is not None and new_secret.group(1) != secret.group(1)
    gone = client.post(f"{detail_url}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "No webhooks yet" in gone.text
    assert client.get(detail_url).status_code == 404


@pytest.mark.browser
def test_a_guard_acknowledges_an_alert_in_a_real_browser(
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
    with httpx.Client(base_url=base) as http:
        login = {"tenant": "acme", "username": "admin", "password": STRONG_PASSWORD}
        answer = http.post("/api/v1/auth/login", json=login).json()
        admin = Actor(http, answer["token"], answer.get("tenant_id", ""))  # type: ignore[arg-type]
        door = Door(admin)
        ada = door.person("Ada Lovelace")
        door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)
        arrival = {
            "kind": "pin",
            "value": DURESS_PIN,
            "idempotency_key": "browser-1",
            "device_time": datetime.now(UTC).isoformat(),
        }
        assert door.device.post("/api/v1/device/arrivals", json=arrival).status_code == 200
        guard = {"username": "guard-b", "password": STRONG_PASSWORD, "role": "guard"}
        assert admin.post("/api/v1/users", json=guard).status_code == 201
    page.goto(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill("guard-b")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Alerts").click()
    row = page.locator("#alerts-table tbody tr").first
    expect(row).to_contain_text("Duress")
    row.get_by_label("What was done").fill("Checked the cameras")
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#alerts-table tbody tr").first).to_contain_text("Checked the cameras")
    expect(page.locator("#alerts-table tbody tr").first).to_contain_text("Acknowledged")
    assert "/ui/alerts" in page.url  # swapped in place, no navigation
