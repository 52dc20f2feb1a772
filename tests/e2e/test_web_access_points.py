"""The access points page (``/ui/access-points``): zones with how many are inside,
points with their door mode and devices, and Open / Lockdown / Release forms that
require a reason; the browser test opens a door remotely and finds the audit row.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    LiveServer,
    UiSession,
    browser_login,
    form_token,
    set_up_acme,
    ui_login,
)
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_user
from tests.support.leaks import remember

REASON = "Delivery driver at the goods entrance"
remember(REASON)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _door(api: Any, site: str, name: str = "Front door") -> tuple[str, str]:
    """A zone and an access point into it; their ids."""
    zone = _ok(api.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
    body = {"site_id": site, "name": name, "into_zone_id": zone["id"]}
    point = _ok(api.post("/api/v1/access-points", json=body), 201)
    return zone["id"], point["id"]


def test_the_page_lists_points_and_zones_and_runs_commands_that_need_a_reason(
    ui_admin: UiSession, admin: Actor
) -> None:
    site = add_site(admin)
    zone, point = _door(admin, site)
    device = add_device(admin, site, "Reader 1")
    _ok(admin.put(f"/api/v1/devices/{device.id}/access-point", json={"access_point_id": point}))
    page = ui_admin.client.get("/ui/access-points")
    assert page.status_code == 200
    for text in ("Front door", "Lobby", "Reader 1", "Never seen", "Normally locked", "Send open"):
        assert text in page.text, text
    assert "Doors &amp; zones" in page.text or ">Doors & zones<" in page.text  # sidebar entry
    csrf = form_token(page.text)

    refused = ui_admin.client.post(
        f"/ui/access-points/{point}/open",
        data={"reason": "  ", "csrf_token": csrf},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert refused.status_code == 422 and "reason of 3-500 characters" in refused.text
    assert (
        _ok(admin.get("/api/v1/audit", params={"action": "access_point.remote_open"}))["items"]
        == []
    )

    # Post/Redirect/Get: the command answers 303 to the page, which flashes what was
    # sent; reloading that page sends nothing again.
    opened = ui_admin.client.post(
        f"/ui/access-points/{point}/open",
        data={"reason": REASON, "csrf_token": csrf, "site": site},
        headers=ui_admin.htmx_headers(boosted=True),
        follow_redirects=False,
    )
    assert opened.status_code == 303
    after = opened.headers["location"]
    assert after == f"/ui/access-points?site={site}&sent=open&point={point}"
    for _ in range(2):  # the page, and the page reloaded (F5)
        shown = ui_admin.client.get(after)
        assert shown.status_code == 200
        assert "Open sent to 1 device at Front door." in shown.text
    opens = _ok(admin.get("/api/v1/audit", params={"action": "access_point.remote_open"}))
    assert len(opens["items"]) == 1
    locked = ui_admin.client.post(  # htmx follows the redirect and swaps the page in
        f"/ui/access-points/{point}/lockdown",
        data={"reason": "Alarm", "csrf_token": csrf},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert locked.status_code == 200 and str(locked.url).endswith(f"point={point}")
    assert "Lockdown sent to 1 device" in locked.text and "Send release" in locked.text
    again = ui_admin.client.post(
        f"/ui/access-points/{point}/lockdown",
        data={"reason": "Reader was offline", "csrf_token": csrf},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert again.status_code == 200 and "resent=1" in str(again.url)
    assert "Lockdown sent again (it was in that state already) to 1 device" in again.text
    zone_release = ui_admin.client.post(
        f"/ui/access-points/zones/{zone}/release",
        data={"reason": "All clear", "csrf_token": csrf},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert zone_release.status_code == 200, zone_release.text
    assert "Release of Lobby sent to 1 access point (1 device)." in zone_release.text
    assert "In lockdown now: 0 of 1." in zone_release.text
    nothing = ui_admin.client.get(f"/ui/access-points?sent=open&point={zone}")
    assert nothing.status_code == 200 and "sent to" not in nothing.text  # names no point
    assert _ok(admin.get(f"/api/v1/access-points/{point}"))["door_mode"] == "normally_locked"
    entries = _ok(admin.get("/api/v1/audit", params={"action": "access_point.remote_open"}))
    assert [e["purpose"] for e in entries["items"]] == [REASON]

    no_csrf = ui_admin.client.post(f"/ui/access-points/{point}/open", data={"reason": REASON})
    assert no_csrf.status_code == 403


def test_hr_clerks_neither_see_nor_operate_doors(client: TestClient, admin: Actor) -> None:
    site = add_site(admin)
    _, point = _door(admin, site)
    add_user(admin, "auditor", "the-auditor")
    ui_login(client, "acme", "the-auditor", STRONG_PASSWORD)
    seen = client.get("/ui/access-points")
    assert seen.status_code == 200 and "Front door" in seen.text
    assert "Send open" not in seen.text and "Send lockdown" not in seen.text
    add_user(admin, "hr", "payroll-clerk")
    csrf = ui_login(client, "acme", "payroll-clerk", STRONG_PASSWORD)
    assert client.get("/ui/access-points").status_code == 403
    posted = client.post(
        f"/ui/access-points/{point}/lockdown",
        data={"reason": "Let me in"},
        headers={"X-CSRF-Token": csrf},
    )
    assert posted.status_code == 403
    assert "/ui/access-points" not in client.get("/ui/").text


@pytest.mark.browser
def test_a_guard_opens_a_door_remotely_with_a_reason_and_the_audit_shows_it(
    live_server: LiveServer, page: Page
) -> None:
    base = live_server.url
    with set_up_acme(live_server) as http:
        site = _ok(http.post("/api/v1/sites", json={"name": "HQ", "timezone": "UTC"}), 201)["id"]
        _, point = _door(http, site, "Loading bay")
        body = {"site_id": site, "name": "Bay reader", "kind": "door_controller"}
        device = _ok(http.post("/api/v1/devices", json=body), 201)
        remember(device["credential"], device["mqtt_password"], device["mqtt_mac_key"])
        url = f"/api/v1/devices/{device['id']}/access-point"
        _ok(http.put(url, json={"access_point_id": point}))

    browser_login(page, base)
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Doors & zones").click()
    expect(page).to_have_url(f"{base}/ui/access-points")
    row = page.locator(f"#point-{point}")
    expect(row).to_contain_text("Bay reader")
    row.locator("summary", has_text="Open").click()
    reason = row.get_by_label("Reason for open")
    expect(reason).to_be_visible()
    row.get_by_role("button", name="Send open").click()  # no reason: the browser refuses
    expect(page.locator("#flash")).not_to_contain_text("sent")
    reason.fill(REASON)
    row.get_by_role("button", name="Send open").click()
    expect(page.locator("#flash")).to_contain_text("Open sent to 1 device at Loading bay.")

    nav.get_by_role("link", name="Audit").click()
    entry = page.locator("tr", has_text="access_point.remote_open")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(REASON)
