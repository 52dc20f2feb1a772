"""The muster list page (``/ui/sites/{site_id}/muster``): who is on a site now, zone by
zone in tree order, placed there by card arrivals through the device API; only for the
roles that read presence, audited once per reader and site per audit window (a refresh
within it writes nothing), another tenant's site unknown; the
browser test prints it (print media) as a roll-call sheet without the navigation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gatepost.domain.ports import FixedClock
from tests.e2e.conftest import LiveServer, UiSession, browser_login, set_up_acme, ui_login
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_tenant,
    add_user,
    container_of,
)
from tests.support.leaks import remember

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ADA, BOB, CY = "Ada Lovelace", "Bob Marley", "Cy Twombly"
remember(ADA, BOB, CY)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Building:
    """A site with a Lobby (entered by the front door) holding an Archive (entered from
    the Lobby by the archive door), and a Yard nobody can enter; a reader at each door
    and a level that opens both around the clock. ``api`` is anything with get, post and
    put (a test Actor or an httpx client)."""

    def __init__(self, api: Any, site: str, device_time: Any) -> None:
        self.api, self.site, self._time, self.sent = api, site, device_time, 0
        self.lobby = self._zone("Lobby")
        self.archive = self._zone("Archive", parent_id=self.lobby)
        self.yard = self._zone("Yard")
        self.front = self._point("Front door", self.lobby)
        self.archive_door = self._point("Archive door", self.archive, out_of=self.lobby)
        body = {"name": "Always", "intervals": ALWAYS}
        always = _ok(api.post("/api/v1/schedules", json=body), 201)
        body = {
            "name": "Staff",
            "schedule_id": always["id"],
            "access_point_ids": [self.front, self.archive_door],
        }
        self.level = _ok(api.post("/api/v1/access-levels", json=body), 201)["id"]

    def _zone(self, name: str, **extra: Any) -> str:
        body = {"site_id": self.site, "name": name, **extra}
        return str(_ok(self.api.post("/api/v1/zones", json=body), 201)["id"])

    def _point(self, name: str, into: str, out_of: str | None = None) -> str:
        body = {"site_id": self.site, "name": name, "into_zone_id": into, "out_of_zone_id": out_of}
        return str(_ok(self.api.post("/api/v1/access-points", json=body), 201)["id"])

    def bind(self, device_id: str, point: str) -> None:
        url = f"/api/v1/devices/{device_id}/access-point"
        _ok(self.api.put(url, json={"access_point_id": point}))

    def person(self, name: str, card: str) -> str:
        person = str(_ok(self.api.post("/api/v1/persons", json={"name": name}), 201)["id"])
        _ok(self.api.put(f"/api/v1/persons/{person}/access-levels/{self.level}", json={}))
        body = {"kind": "card", "value": card}
        _ok(self.api.post(f"/api/v1/persons/{person}/credentials", json=body), 201)
        return person

    def arrival(self, card: str) -> dict[str, Any]:
        self.sent += 1
        return {
            "kind": "card",
            "value": card,
            "idempotency_key": f"muster-{self.sent}",
            "device_time": self._time().isoformat(),
        }


def _granted(device: Any, building: Building, card: str) -> None:
    answer = _ok(device.post("/api/v1/device/arrivals", json=building.arrival(card)))
    assert answer["outcome"] == "grant", answer


def _people_on_site(admin: Actor) -> tuple[Building, str]:
    """Ada in the Lobby, Bob in the Archive (through the Lobby); Cy's card unused."""
    site = add_site(admin, "Plant 1")  # Asia/Shanghai
    building = Building(admin, site, container_of(admin).clock.now)
    front, archive = add_device(admin, site, "Front reader"), add_device(admin, site, "Arc reader")
    building.bind(front.id, building.front)
    building.bind(archive.id, building.archive_door)
    building.person(ADA, "ADA1")
    building.person(BOB, "B0B1")
    building.person(CY, "C1C1")
    _granted(front, building, "ADA1")
    _granted(front, building, "B0B1")
    _granted(archive, building, "B0B1")
    return building, site


def _audited_readings(admin: Actor, site: str) -> int:
    entries = _ok(admin.get("/api/v1/audit", params={"action": "presence.mustered"}))["items"]
    return sum(1 for e in entries if e["target"] == f"site:{site}")


def test_the_page_lists_people_under_their_zone_with_counts_and_is_audited(
    ui_admin: UiSession, admin: Actor, clock: FixedClock
) -> None:
    building, site = _people_on_site(admin)
    before = _audited_readings(admin, site)
    page = ui_admin.client.get(f"/ui/sites/{site}/muster")
    assert page.status_code == 200, page.text
    html = page.text
    # Zones in tree order (Lobby, then the Archive inside it, then the Yard), with counts.
    rows = [html.index(f'id="muster-count-{z}"') for z in (building.lobby, building.archive)]
    assert rows == sorted(rows) and html.index(f'id="muster-count-{building.yard}"') > rows[-1]
    zones = html[html.index('id="muster-zones"') : html.index('id="muster-people"')]
    assert zones.count('class="num">1<') == 2 and 'class="num">0<' in zones  # Lobby, Archive, Yard
    assert 'id="muster-total">2</strong> people on site at Plant 1.' in html
    # Everyone under their zone, with the door they came through; nobody else.
    lobby = html[html.index(f'id="muster-zone-{building.lobby}"') :]
    lobby = lobby[: lobby.index("</tbody>")]
    archive = html[html.index(f'id="muster-zone-{building.archive}"') :]
    archive = archive[: archive.index("</tbody>")]
    assert ADA in lobby and "Front door" in lobby and BOB not in lobby
    assert BOB in archive and "Archive door" in archive
    assert CY not in html and f'id="muster-zone-{building.yard}"' not in html
    # Taken at the app's time, shown in the site's time zone.
    taken = container_of(admin).clock.now().astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{taken:%Y-%m-%d %H:%M:%S}</time> (Asia/Shanghai)" in html
    # On screen it refreshes the list every 10 s; printed, a roll-call column.
    assert f'hx-get="/ui/sites/{site}/muster/list" hx-trigger="every 10s"' in html
    assert 'class="roll-call"' in html and "muster.css" in html and "muster.js" in html
    assert '<script src="/static/muster.js" defer>' in html  # same-origin, no inline code
    assert "Muster list</span>" in html  # the sidebar entry
    assert _audited_readings(admin, site) == before + 1

    refreshed = ui_admin.client.get(
        f"/ui/sites/{site}/muster/list", headers=ui_admin.htmx_headers()
    )
    assert refreshed.status_code == 200
    assert ADA in refreshed.text and BOB in refreshed.text and "<html" not in refreshed.text
    assert _audited_readings(admin, site) == before + 1  # a refresh within the audit window
    window = container_of(admin).settings.presence.muster_audit_window_seconds
    clock.advance(timedelta(seconds=window))
    later = ui_admin.client.get(f"/ui/sites/{site}/muster/list", headers=ui_admin.htmx_headers())
    assert later.status_code == 200
    assert _audited_readings(admin, site) == before + 2  # the first refresh after it

    doors = ui_admin.client.get("/ui/access-points").text
    assert f'href="/ui/sites/{site}/muster#muster-count-{building.lobby}"' in doors
    assert "/api/v1/sites/" not in doors


def test_an_empty_site_says_nobody_is_there_and_the_picker_lists_several_sites(
    ui_admin: UiSession, admin: Actor
) -> None:
    only = add_site(admin, "Depot")
    client = ui_admin.client
    opened = client.get("/ui/muster", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/ui/sites/{only}/muster"
    empty = client.get(f"/ui/sites/{only}/muster")
    assert empty.status_code == 200 and "Nobody is on site" in empty.text
    assert "No zones yet" in empty.text and 'id="muster-total">0<' in empty.text
    other = add_site(admin, "Annex")
    picker = client.get("/ui/muster")
    assert picker.status_code == 200
    assert f'href="/ui/sites/{only}/muster"' in picker.text
    assert f'href="/ui/sites/{other}/muster"' in picker.text
    chosen = client.get("/ui/muster", params={"site": other}, follow_redirects=False)
    assert chosen.headers["location"] == f"/ui/sites/{other}/muster"
    assert "Choose a site" in picker.text and 'id="muster-site"' not in picker.text
    switcher = client.get(f"/ui/sites/{other}/muster").text
    assert 'id="muster-site"' in switcher  # several sites: a site switcher on the list


def test_guards_read_it_and_hr_clerks_get_403_without_presence(
    client: TestClient, admin: Actor
) -> None:
    _, site = _people_on_site(admin)
    add_user(admin, "guard", "night-guard")
    add_user(admin, "hr", "payroll-clerk")
    ui_login(client, "acme", "night-guard", STRONG_PASSWORD)
    seen = client.get(f"/ui/sites/{site}/muster")
    assert seen.status_code == 200 and ADA in seen.text and BOB in seen.text
    assert 'href="/ui/muster"' in seen.text

    ui_login(client, "acme", "payroll-clerk", STRONG_PASSWORD)
    before = _audited_readings(admin, site)
    for url in (f"/ui/sites/{site}/muster", f"/ui/sites/{site}/muster/list", "/ui/muster"):
        refused = client.get(url, follow_redirects=False)
        assert refused.status_code == 403, url
        assert ADA not in refused.text and BOB not in refused.text
    assert 'href="/ui/muster"' not in client.get("/ui/").text
    assert _audited_readings(admin, site) == before  # nothing was read
    denied = _ok(admin.get("/api/v1/audit", params={"action": "authz.denied"}))["items"]
    assert any(e["details"]["permission"] == "tenant:presence:read" for e in denied)


def test_another_tenants_site_is_not_found_like_a_missing_one(
    client: TestClient, admin: Actor
) -> None:
    _, site = _people_on_site(admin)
    add_tenant(admin, "globex")
    ui_login(client, "globex", "admin", STRONG_PASSWORD)
    missing = client.get(f"/ui/sites/{'0' * 32}/muster")
    assert missing.status_code == 404
    for url in (f"/ui/sites/{site}/muster", f"/ui/sites/{site}/muster/list"):
        foreign = client.get(url)
        assert foreign.status_code == 404, url
        assert ADA not in foreign.text and "Plant 1" not in foreign.text
    assert _audited_readings(admin, site) == 0


@pytest.mark.browser
def test_the_printed_list_hides_the_navigation_and_shows_the_roll_call(
    live_server: LiveServer, page: Page
) -> None:
    container = live_server.container
    base = live_server.url
    with set_up_acme(live_server) as http:
        body = {"name": "HQ", "timezone": "Europe/Berlin"}
        site = _ok(http.post("/api/v1/sites", json=body), 201)["id"]
        building = Building(http, site, container.clock.now)
        body = {"site_id": site, "name": "Front reader", "kind": "door_controller"}
        device = _ok(http.post("/api/v1/devices", json=body), 201)
        remember(device["credential"], device["mqtt_password"], device["mqtt_mac_key"])
        building.bind(device["id"], building.front)
        building.person(ADA, "ADA1")
        building.person(BOB, "B0B1")
    reader = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {device['credential']}"}
    )
    with reader:
        _granted(reader, building, "ADA1")

        browser_login(page, base)
        nav = page.get_by_role("navigation", name="Main navigation")
        nav.get_by_role("link", name="Muster list").click()
        expect(page).to_have_url(f"{base}/ui/sites/{site}/muster")  # the only site

        lobby = page.locator(f"#muster-zone-{building.lobby}")
        expect(lobby).to_contain_text(ADA)
        expect(lobby).to_contain_text("Front door")
        expect(page.locator("#muster-total")).to_have_text("1")
        expect(page.get_by_role("button", name="Print")).to_be_visible()
        roll_call = page.locator("#muster-people th.roll-call")
        expect(roll_call).to_be_hidden()
        expect(page.locator(".sidebar")).to_be_visible()

        # The list refreshes itself: Bob's arrival shows up without a reload.
        _granted(reader, building, "B0B1")
        expect(lobby).to_contain_text(BOB, timeout=15_000)
        expect(page.locator("#muster-total")).to_have_text("2")

    page.emulate_media(media="print")
    expect(page.locator(".sidebar")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(roll_call).to_be_visible()
    expect(roll_call).to_have_text("Safe")
    expect(page.locator("#muster-people td.roll-call .tick-box")).to_have_count(2)
    title = page.locator("#muster-people .muster-print-title")
    expect(title).to_be_visible()  # in the table head, so repeated on every page
    expect(title).to_contain_text("Muster list · HQ")
    expect(title).to_contain_text("(Europe/Berlin) · 2 people")
    display = page.locator("#muster-people thead").evaluate("el => getComputedStyle(el).display")
    assert display == "table-header-group"
    pdf = page.pdf(format="A4")  # the print layout renders (headless Chromium prints PDF)
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    expect(roll_call).to_be_hidden()
    taken = datetime.fromisoformat(
        page.locator("#muster-summary time").get_attribute("datetime") or ""
    )
    assert taken.utcoffset() == taken.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()
