"""The live event feed (``/ui/live``): a Server-Sent Events stream of the tenant's
events with their reasons in words, resumable with ``Last-Event-ID``, filtered by site;
the browser test watches a card arrival posted by a device appear within seconds.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gatepost.domain.decisions import Reason
from gatepost.domain.ports import FixedClock
from gatepost.web.views.live import REASON_TEXT
from tests.e2e.conftest import LiveServer, UiSession, browser_login, set_up_acme, ui_login
from tests.integration.test_device_arrivals import Door
from tests.support.api import STRONG_PASSWORD, Actor, add_site, add_user
from tests.support.leaks import remember


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _messages(client: TestClient, url: str, count: int, **headers: str) -> list[dict[str, Any]]:
    """The first ``count`` messages of the stream at ``url`` (each with its ``id``)."""
    got: list[dict[str, Any]] = []
    headers = {"Accept": "text/event-stream", **headers}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        position = ""
        for line in response.iter_lines():
            if line.startswith("id: "):
                position = line[4:]
            elif line.startswith("data: "):
                got.append({**json.loads(line[6:]), "position": position})
                if len(got) == count:
                    break
    return got


def test_every_reason_reads_as_words() -> None:
    assert {r.value for r in Reason} <= set(REASON_TEXT)


def test_the_stream_sends_recent_events_with_reasons_in_words_and_resumes(
    ui_admin: UiSession, admin: Actor
) -> None:
    door = Door(admin)
    _ok(door.arrive("card", "DEADBEEF"))
    page = ui_admin.client.get("/ui/live")
    assert page.status_code == 200 and 'data-stream-url="/ui/live/stream"' in page.text
    assert "/static/live.js" in page.text and "<script>" not in page.text
    plain = ui_admin.client.get("/ui/live/stream")  # not an EventSource: no endless body
    assert plain.status_code == 406 and "/ui/live" in plain.text

    (first,) = _messages(ui_admin.client, "/ui/live/stream", 1)
    assert first["event"] == "Access denied" and first["outcome"] == "Denied"
    assert first["reasons"] == ["Unknown card, PIN or QR code"]
    assert first["where"] == "Front door · Reader 1" and first["site"] == "HQ"
    assert "DEADBEEF" not in json.dumps(first)

    exit_event = _ok(door.arrive("exit_button"))["event_id"]
    resumed = _messages(
        ui_admin.client, "/ui/live/stream", 2, **{"Last-Event-ID": first["position"]}
    )
    # From a little before the position (a late commit is not missed); the browser drops
    # what it has by id.
    assert {m["id"] for m in resumed} == {first["id"], exit_event}
    assert next(m for m in resumed if m["id"] == exit_event)["reasons"] == ["Exit button"]

    other_site = add_site(admin, "Depot")
    filtered = ui_admin.client.get(f"/ui/live?site={other_site}")
    assert f'data-stream-url="/ui/live/stream?site={other_site}"' in filtered.text


def test_a_device_cannot_forge_a_decision_or_remote_command_and_times_are_shown_in_utc(
    ui_admin: UiSession, admin: Actor, clock: FixedClock
) -> None:
    door = Door(admin)
    at = clock.now().astimezone(timezone(timedelta(hours=8)))  # the device's local time
    forged = {
        "idempotency_key": "forged-1",
        "kind": "door.opened",
        "occurred_at": at.isoformat(),
        "data": {"reasons": "remote_open", "command": "open", "alerts": "duress"},
    }
    refused = door.device.post("/api/v1/device/events", json={"events": [forged]})
    assert refused.status_code == 422 and "reserved" in refused.text, refused.text
    for key in ("outcome", "actor", "arrival"):
        body = {**forged, "data": {key: "x"}}
        assert door.device.post("/api/v1/device/events", json={"events": [body]}).status_code == (
            422
        )
    plain = {**forged, "kind": "access.granted", "data": {"door": "D1"}}
    assert _ok(door.device.post("/api/v1/device/events", json={"events": [plain]}))[0]["stored"]

    (shown,) = _messages(ui_admin.client, "/ui/live/stream", 1)
    assert shown["event"] == "Access granted"
    assert (shown["outcome"], shown["reasons"], shown["alerts"]) == ("", [], [])
    assert shown["time"] == clock.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_a_new_event_arrives_on_an_open_stream(ui_admin: UiSession, admin: Actor) -> None:
    door = Door(admin)
    _ok(door.arrive("card", "0BADCAFE"))
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="C0C0A")

    def arrive_soon() -> None:
        time.sleep(1.0)
        _ok(door.arrive("card", "C0C0A"))

    sender = threading.Thread(target=arrive_soon)
    sender.start()
    old, new = _messages(ui_admin.client, "/ui/live/stream", 2)
    sender.join()
    assert old["outcome"] == "Denied" and new["outcome"] == "Granted"
    assert new["reasons"] == ["Access granted"] and "Ada" not in json.dumps(new)


def test_the_feed_is_for_those_who_read_events(client: TestClient, admin: Actor) -> None:
    add_user(admin, "hr", "payroll-clerk")
    ui_login(client, "acme", "payroll-clerk", STRONG_PASSWORD)
    assert client.get("/ui/live").status_code == 200  # HR reads events, without names
    client.cookies.clear()
    signed_out = client.get("/ui/live/stream", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 401)


@pytest.mark.browser
def test_the_live_page_shows_a_card_arrival_with_its_reason_within_seconds(
    live_server: LiveServer, page: Page
) -> None:
    container = live_server.container
    base = live_server.url
    with set_up_acme(live_server) as http:
        site = _ok(http.post("/api/v1/sites", json={"name": "HQ", "timezone": "UTC"}), 201)["id"]
        body = {"site_id": site, "name": "Turnstile 3", "kind": "turnstile"}
        device = _ok(http.post("/api/v1/devices", json=body), 201)
        remember(device["credential"], device["mqtt_password"], device["mqtt_mac_key"])

        browser_login(page, base)
        page.get_by_role("navigation", name="Main navigation").get_by_role(
            "link", name="Live"
        ).click()
        expect(page).to_have_url(f"{base}/ui/live")
        expect(page.locator("#live-status")).to_have_text("Live")
        expect(page.locator("#live-empty")).to_be_visible()

        arrival = {
            "kind": "card",
            "value": "FEEDF00D",
            "idempotency_key": "live-1",
            "device_time": container.clock.now().isoformat(),
        }
        headers = {"Authorization": f"Bearer {device['credential']}"}
        posted = _ok(http.post("/api/v1/device/arrivals", json=arrival, headers=headers))
        assert posted["outcome"] == "deny"
    row = page.locator(f"#live-{posted['event_id']}")
    expect(row).to_be_visible(timeout=5000)
    expect(row).to_contain_text("Unknown card, PIN or QR code")
    expect(row).to_contain_text("Denied")
    expect(row).to_contain_text("Turnstile 3")
    expect(page.locator("#live-empty")).to_have_count(0)
