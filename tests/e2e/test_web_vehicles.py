"""Vehicles in the admin UI: the list, exact search, add, edit, delete, and the gate test.

The flows run in headless Debian Chromium against uvicorn (``live_server``, SQLite),
with the strict CSP, the ``__Host-`` session cookie, htmx and the popover dialog all
real; the plate reader is the real one, fed frames rendered by the synthetic plate
generator. The refusals (CSRF, roles, bad uploads, another tenant's vehicle) are
driven over HTTP like the other UI tests, on both databases. Every plate used here is
registered with the log capture, so a plate in a URL (the access log) or any other log
line fails the run (SECURITY.md 25).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Page, Request, expect

from gatepost.app import compose_app
from gatepost.vision import synthetic_plates as synthetic
from gatepost.vision.synthetic_plates import PlateKind
from gatepost.web.i18n import LANG_COOKIE
from tests.e2e.conftest import LiveServer, UiSession, ui_login
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_tenant,
    add_user,
    container_of,
    setup_platform,
)
from tests.support.faces import add_person
from tests.support.leaks import remember
from tests.support.services import missing

PLATE = "京A12345"
OTHER_PLATE = "沪B67890"
EXPIRED_PLATES = [f"京C1234{n}" for n in range(3)]
remember(PLATE, OTHER_PLATE, *EXPIRED_PLATES)
NOT_AN_IMAGE = b"not an image at all"
SCREENSHOTS = os.environ.get("GATEPOST_SCREENSHOTS")  # a folder: keep screenshots there


# -- helpers -----------------------------------------------------------------------------


def _frames(count: int) -> list[tuple[str, bytes]]:
    """Gate frames with a Chinese blue plate each, as JPEG (the plate text first)."""
    if not Path(synthetic.CJK_FONT).is_file():  # make test installs it (system deps)
        missing(f"the {synthetic.CJK_FONT_PACKAGE} font")
    out = []
    for text, _, frame in synthetic.synthetic_set(
        [PlateKind.CN_BLUE], count, seed=31, size=(960, 540)
    ):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame.image)).save(buffer, format="JPEG", quality=92)
        remember(text)
        out.append((text, buffer.getvalue()))
    return out


def _add_vehicle(admin: Actor, plate: str = PLATE, **fields: Any) -> str:
    created = admin.post("/api/v1/vehicles", json={"plate": plate, **fields})
    assert created.status_code == 201, created.text
    vehicle_id: str = created.json()["id"]
    return vehicle_id


def _vehicle(admin: Actor, vehicle_id: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/vehicles/{vehicle_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _audit(admin: Actor, action: str) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/audit", params={"action": action})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _form(**fields: str) -> dict[str, str]:
    blank = dict.fromkeys(
        ("plate", "region", "valid_from", "valid_until", "person_id", "site_id", "description"),
        "",
    )
    return blank | {"list": "allow"} | fields


# -- the browser -------------------------------------------------------------------------


@pytest.fixture
def live_admin(live_server: LiveServer) -> Iterator[Actor]:
    """The first administrator of the live server's tenant ``acme``, for API set-up."""
    app = compose_app(live_server.container)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        yield setup_platform(client, live_server.container)


def _screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Page, base: str, username: str = "admin") -> None:
    page.goto(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/")


@pytest.mark.browser
def test_admin_adds_a_vehicle_after_a_refused_plate_is_shown_next_to_its_field(
    live_server: LiveServer, live_admin: Actor, page: Page
) -> None:
    base = live_server.url
    owner = add_person(live_admin, "Li Si", consent=False)
    site = add_site(live_admin, "North car park")
    _sign_in(page, base)
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Vehicles").click()
    expect(page).to_have_url(f"{base}/ui/vehicles")
    expect(page.get_by_text("No vehicles yet")).to_be_visible()
    page.get_by_role("link", name="Add vehicle").first.click()

    page.get_by_label("Plate", exact=True).fill("ABC1234")
    page.get_by_label("Region").select_option(label="China")
    page.get_by_label("Deny: gate cameras turn it away").check()
    page.get_by_label("Owner").select_option(label="Li Si")
    page.get_by_label("Site").select_option(label="North car park")
    page.get_by_label("Description").fill("Grey van")
    page.get_by_role("button", name="Add vehicle").click()
    error = page.locator("#vehicle-plate-error")
    expect(error).to_contain_text("matches no plate format of the region China")
    expect(page.get_by_label("Plate", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Plate", exact=True)).to_have_value("ABC1234")  # input kept
    expect(page.get_by_label("Description")).to_have_value("Grey van")
    expect(page.get_by_label("Owner")).to_have_value(owner)
    expect(page.get_by_label("Site")).to_have_value(site)
    expect(page.get_by_label("Deny: gate cameras turn it away")).to_be_checked()
    _screenshot(page, "vehicle-refused")

    page.get_by_label("Plate", exact=True).fill("京a·123 45")
    page.get_by_label("Valid until (UTC)").fill("2031-06-30T18:00")
    page.get_by_role("button", name="Add vehicle").click()
    expect(page.get_by_role("heading", name=PLATE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ui/vehicles/[0-9a-f]{32}"))
    expect(page.locator("#flash")).to_contain_text("Vehicle added")
    details = page.locator(".dl")
    expect(details).to_contain_text("China")
    expect(details).to_contain_text("Deny")
    expect(details).to_contain_text("Until 2031-06-30 18:00:00")
    expect(details.get_by_role("link", name="Li Si")).to_be_visible()
    expect(details).to_contain_text("North car park")
    expect(details).to_contain_text("Grey van")
    _screenshot(page, "vehicle")

    nav.get_by_role("link", name="Vehicles").click()
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(PLATE)
    expect(row).to_contain_text("Deny")
    expect(row).to_contain_text("Valid")
    expect(row).to_contain_text("Li Si")
    _screenshot(page, "vehicles")
    (listed,) = live_admin.get("/api/v1/vehicles").json()["items"]
    assert listed["plate"] == PLATE and listed["list"] == "deny"
    assert listed["person_id"] == owner and listed["site_id"] == site
    assert listed["valid_until"].startswith("2031-06-30T18:00:00")


@pytest.mark.browser
def test_search_finds_the_exact_plate_and_never_puts_it_in_a_url(
    live_server: LiveServer, live_admin: Actor, page: Page
) -> None:
    base = live_server.url
    wanted = _add_vehicle(live_admin, PLATE)
    _add_vehicle(live_admin, OTHER_PLATE, list="deny")
    urls: list[str] = []

    def seen(request: Request) -> None:
        urls.append(request.url)

    page.on("request", seen)
    _sign_in(page, base)
    page.goto(f"{base}/ui/vehicles")
    expect(page.locator("tbody tr")).to_have_count(2)

    search = page.get_by_role("search")
    search.get_by_label("Plate").fill("京A 123-45")
    search.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(PLATE)
    expect(page.get_by_role("link", name="Clear")).to_be_visible()
    expect(page).to_have_url(f"{base}/ui/vehicles")  # the plate went in the body

    search.get_by_label("Plate").fill("京A99999")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No vehicle has exactly this plate")).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("List", exact=True).select_option(label="Deny list")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{base}/ui/vehicles?list=deny")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text(OTHER_PLATE)
    expect(page.get_by_role("link", name=PLATE)).to_have_count(0)  # filtered out

    page.goto(f"{base}/ui/vehicles/{wanted}")
    expect(page.get_by_role("heading", name=PLATE)).to_be_visible()
    for url in urls:
        for plate in (PLATE, OTHER_PLATE, "京A 123-45", "京A99999"):
            assert plate not in url, url
        assert "%E4%BA%AC" not in url.upper() and "12345" not in url, url  # 京, encoded


@pytest.mark.browser
def test_admin_edits_a_vehicle_then_deletes_it_from_the_confirmation_dialog(
    live_server: LiveServer, live_admin: Actor, page: Page
) -> None:
    base = live_server.url
    vehicle = _add_vehicle(
        live_admin, PLATE, valid_from="2026-01-01T08:00:00Z", description="White saloon"
    )
    _sign_in(page, base)
    page.goto(f"{base}/ui/vehicles/{vehicle}")
    page.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(f"{base}/ui/vehicles/{vehicle}/edit")
    expect(page.get_by_label("Plate", exact=True)).to_have_value(PLATE)
    expect(page.get_by_label("Valid from (UTC)")).to_have_value("2026-01-01T08:00")
    expect(page.get_by_label("Description")).to_have_value("White saloon")

    page.get_by_label("Valid until (UTC)").fill("2025-12-31T08:00")  # before valid from
    page.get_by_role("button", name="Save vehicle").click()
    expect(page.locator("#vehicle-valid_until-error")).to_contain_text(
        "Valid until must be later than valid from"
    )
    expect(page.get_by_label("Valid until (UTC)")).to_have_value("2025-12-31T08:00")

    page.get_by_label("Valid until (UTC)").fill("2026-12-31T08:00")
    page.get_by_label("Deny: gate cameras turn it away").check()
    page.get_by_role("button", name="Save vehicle").click()
    expect(page).to_have_url(f"{base}/ui/vehicles/{vehicle}?notice=vehicle_saved")
    expect(page.locator("#flash")).to_contain_text("Vehicle saved")
    expect(page.locator(".dl")).to_contain_text(
        "From 2026-01-01 08:00:00 until 2026-12-31 08:00:00"
    )
    saved = _vehicle(live_admin, vehicle)
    assert saved["list"] == "deny" and saved["description"] == "White saloon"
    assert saved["valid_from"].startswith("2026-01-01T08:00:00")
    (updated,) = _audit(live_admin, "vehicle.updated")
    assert updated["details"]["fields"] == "list,valid_until"  # only what changed

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Delete vehicle {PLATE}?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Gate cameras stop knowing this plate")
    _screenshot(page, "vehicle-delete")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _vehicle(live_admin, vehicle)["id"] == vehicle

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete vehicle").click()
    expect(page).to_have_url(f"{base}/ui/vehicles?notice=vehicle_deleted")
    expect(page.locator("#flash")).to_contain_text("Vehicle deleted")
    expect(page.get_by_text("No vehicles yet")).to_be_visible()
    assert live_admin.get(f"/api/v1/vehicles/{vehicle}").status_code == 404
    assert len(_audit(live_admin, "vehicle.deleted")) == 1


_ZONE_WORDS = {
    "en": {"until": "Valid until (Asia/Shanghai)", "add": "Add vehicle", "shown": "Until "},
    "zh_Hans": {"until": "失效时间（Asia/Shanghai）", "add": "添加车辆", "shown": "至 "},
}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_validity_is_entered_and_shown_in_the_tenant_time_zone_when_it_is_shanghai(
    live_server: LiveServer, live_admin: Actor, page: Page, locale: str
) -> None:
    base = live_server.url
    words = _ZONE_WORDS[locale]
    _sign_in(page, base)
    page.goto(f"{base}/ui/policies")
    page.locator("#tenant-timezone").fill("Asia/Shanghai")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.locator("#flash")).to_contain_text("Time zone saved")
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])

    page.goto(f"{base}/ui/vehicles/new")
    expect(page.locator("main")).not_to_contain_text("UTC")  # no false "UTC" label
    page.locator("#vehicle-plate").fill(PLATE)
    page.get_by_label(words["until"]).fill("2031-06-30T18:00")
    page.get_by_role("button", name=words["add"]).click()
    expect(page.get_by_role("heading", name=PLATE)).to_be_visible()
    expect(page.locator(".dl")).to_contain_text(f"{words['shown']}2031-06-30 18:00:00 +08:00")
    (listed,) = live_admin.get("/api/v1/vehicles").json()["items"]
    assert datetime.fromisoformat(listed["valid_until"]) == datetime(2031, 6, 30, 10, tzinfo=UTC)

    page.goto(f"{base}/ui/vehicles/{listed['id']}/edit")
    expect(page.get_by_label(words["until"])).to_have_value("2031-06-30T18:00")


@pytest.mark.browser
def test_guard_sees_vehicles_but_no_write_controls(
    live_server: LiveServer, live_admin: Actor, page: Page
) -> None:
    base = live_server.url
    vehicle = _add_vehicle(live_admin, PLATE)
    add_user(live_admin, "guard", "gate-guard")
    _sign_in(page, base, "gate-guard")
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Vehicles").click()
    expect(page.locator("tbody tr")).to_contain_text(PLATE)
    expect(page.get_by_role("search")).to_be_visible()  # reading includes searching
    for offered in ("Add vehicle", "Test a gate frame"):
        expect(page.get_by_role("link", name=offered)).to_have_count(0)
    page.get_by_role("link", name=PLATE).click()
    expect(page.get_by_role("heading", name=PLATE)).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    assert "/delete" not in page.content()

    page.goto(f"{base}/ui/vehicles/{vehicle}/edit")
    expect(page.get_by_text("do not have permission")).to_be_visible()
    page.goto(f"{base}/ui/plates/test")
    expect(page.get_by_text("do not have permission")).to_be_visible()


@pytest.mark.browser
def test_gate_frame_test_allows_a_known_car_and_knows_no_other(
    live_server: LiveServer, live_admin: Actor, page: Page, tmp_path: Path
) -> None:
    (known_text, known), (_, stranger) = _frames(2)
    _add_vehicle(live_admin, known_text, list="allow")
    frames = {}
    for name, data in (
        ("known.jpg", known),
        ("stranger.jpg", stranger),
        ("notes.jpg", NOT_AN_IMAGE),
    ):
        frames[name] = tmp_path / name
        frames[name].write_bytes(data)
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/ui/vehicles")
    page.get_by_role("link", name="Test a gate frame").click()
    expect(page).to_have_url(f"{base}/ui/plates/test")
    expect(page.get_by_role("heading", name="Test a gate frame")).to_be_visible()
    result = page.locator("#plate-test")

    page.get_by_label("Frame", exact=True).set_input_files(str(frames["known.jpg"]))
    page.get_by_role("button", name="Read plates").click()
    expect(result.locator("#plate-test-decision")).to_have_text("Allow", timeout=60_000)
    expect(result).to_contain_text("Allow-listed vehicle")
    row = result.locator("tbody tr").first
    expect(row).to_contain_text(known_text)
    expect(row).to_contain_text("Blue")
    expect(row).to_contain_text("China")
    expect(row).to_contain_text("Exact match")
    expect(row.get_by_role("link", name=known_text)).to_have_attribute(
        "href", re.compile(r"^/ui/vehicles/[0-9a-f]{32}$")
    )
    expect(result).to_contain_text("Nothing was stored")
    _screenshot(page, "plate-test")

    page.get_by_label("Frame", exact=True).set_input_files(str(frames["stranger.jpg"]))
    page.get_by_role("button", name="Read plates").click()
    expect(result.locator("#plate-test-decision")).to_have_text("Unknown", timeout=60_000)
    expect(result).to_contain_text("No known vehicle")
    expect(result.locator("tbody tr").first).to_contain_text("None")

    page.get_by_label("Frame", exact=True).set_input_files(str(frames["notes.jpg"]))
    page.get_by_role("button", name="Read plates").click()
    expect(result.locator(".flash-error")).to_contain_text("not an image")
    expect(result.locator("#plate-test-decision")).to_have_count(0)
    assert len(live_admin.get("/api/v1/vehicles").json()["items"]) == 1
    # "Nothing was stored": no gate-log read, so no plate and no frame kept
    assert live_admin.get("/api/v1/plate-reads").json()["items"] == []


# -- refusals over HTTP (both databases) --------------------------------------------------


def test_writes_need_the_csrf_token_and_the_vehicle_write_permission(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    vehicle = _add_vehicle(admin)
    forged = ui_admin.client.post("/ui/vehicles", data=_form(plate=OTHER_PLATE))
    assert forged.status_code == 403
    for path in (f"/ui/vehicles/{vehicle}/edit", f"/ui/vehicles/{vehicle}/delete"):
        refused = ui_admin.client.post(path, data=_form(plate=PLATE, list="deny"))
        assert refused.status_code == 403, path
    assert _vehicle(admin, vehicle)["list"] == "allow"

    add_user(admin, "auditor", "the-auditor")
    csrf = ui_login(client, "acme", "the-auditor", STRONG_PASSWORD)
    listed = client.get("/ui/vehicles")
    assert listed.status_code == 200 and PLATE in listed.text
    assert "/ui/vehicles/new" not in listed.text
    headers = {"X-CSRF-Token": csrf}
    for path, data in (
        ("/ui/vehicles", _form(plate=OTHER_PLATE)),
        (f"/ui/vehicles/{vehicle}/edit", _form(plate=PLATE, list="deny")),
        (f"/ui/vehicles/{vehicle}/delete", {}),
    ):
        refused = client.post(path, data=data, headers=headers)
        assert refused.status_code == 403, path
        assert "do not have permission" in refused.text
    assert client.get(f"/ui/vehicles/{vehicle}/edit").status_code == 403

    add_user(admin, "hr", "hr-clerk")  # no vehicle permission at all
    ui_login(client, "acme", "hr-clerk", STRONG_PASSWORD)
    home = client.get("/ui/")
    assert home.status_code == 200 and 'href="/ui/vehicles"' not in home.text
    assert client.get("/ui/vehicles").status_code == 403
    assert _vehicle(admin, vehicle)["list"] == "allow"
    assert len(admin.get("/api/v1/vehicles").json()["items"]) == 1


def test_form_errors_keep_the_input_and_never_fail_the_server(
    ui_admin: UiSession, admin: Actor
) -> None:
    _add_vehicle(admin, PLATE)
    cases = [
        (_form(), "plate", "Enter the plate number."),
        (_form(plate="NOT A PLATE!"), "plate", "matches no plate format gatepost knows"),
        (_form(plate=OTHER_PLATE, region="mars"), "region", "Choose a region from the list."),
        (_form(plate=OTHER_PLATE, list="maybe"), "list", "Choose allow, deny or watch."),
        (_form(plate=OTHER_PLATE, valid_from="tomorrow"), "valid_from", "Enter a date and time"),
        (_form(plate=OTHER_PLATE, valid_until="2026-13-01T00:00"), "valid_until", "Enter a date"),
        (_form(plate=OTHER_PLATE, person_id="f" * 32), "person_id", "Choose an owner"),
        (_form(plate=OTHER_PLATE, site_id="nope"), "site_id", "Choose a site from the list."),
        (_form(plate=OTHER_PLATE, description="x" * 501), "description", "at most 500"),
        (_form(plate="京A 123 45"), "plate", "Another vehicle already has this plate."),
    ]
    for form, field, message in cases:
        response = ui_admin.client.post(
            "/ui/vehicles", data=form, headers=ui_admin.htmx_headers(boosted=True)
        )
        assert response.status_code in (409, 422), (form, response.text)
        assert f'id="vehicle-{field}-error"' in response.text, (field, response.text)
        assert message in response.text, (field, response.text)
        if form["plate"]:
            assert f'value="{form["plate"]}"' in response.text  # what was typed stays
    assert len(admin.get("/api/v1/vehicles").json()["items"]) == 1
    assert ui_admin.client.get("/ui/vehicles/" + "0" * 32).status_code == 404


def test_validity_is_read_as_utc_and_an_unchanged_form_writes_nothing(
    ui_admin: UiSession, admin: Actor
) -> None:
    created = ui_admin.client.post(
        "/ui/vehicles",
        data=_form(
            plate=PLATE, valid_from="2026-03-01T07:30", valid_until="2026-03-02T07:30:15+08:00"
        )
        | {"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    vehicle = created.headers["location"].split("/")[3].split("?")[0]
    body = _vehicle(admin, vehicle)
    assert datetime.fromisoformat(body["valid_from"]) == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    until = datetime(2026, 3, 1, 23, 30, 15, tzinfo=UTC)
    assert datetime.fromisoformat(body["valid_until"]) == until
    edit = ui_admin.client.get(f"/ui/vehicles/{vehicle}/edit")
    assert 'value="2026-03-01T07:30"' in edit.text
    assert 'value="2026-03-01T23:30:15"' in edit.text  # seconds kept where there are some
    saved = ui_admin.client.post(
        f"/ui/vehicles/{vehicle}/edit",
        data=_form(
            plate=PLATE,
            region="cn",
            valid_from="2026-03-01T07:30",
            valid_until="2026-03-01T23:30:15",
        )
        | {"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert _audit(admin, "vehicle.updated") == []


def test_validity_is_read_and_shown_in_the_tenant_time_zone_when_it_is_shanghai(
    ui_admin: UiSession, admin: Actor
) -> None:
    zone = ui_admin.client.post(
        "/ui/policies/timezone",
        data={"timezone": "Asia/Shanghai", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert zone.status_code == 303, zone.text
    form = ui_admin.client.get("/ui/vehicles/new").text
    assert "Valid from (Asia/Shanghai)" in form and "(UTC)" not in form
    created = ui_admin.client.post(
        "/ui/vehicles",
        data=_form(plate=PLATE, valid_from="2026-03-01T07:30") | {"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    vehicle = created.headers["location"].split("/")[3].split("?")[0]
    stored = datetime.fromisoformat(_vehicle(admin, vehicle)["valid_from"])
    assert stored == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai
    shown = ui_admin.client.get(f"/ui/vehicles/{vehicle}").text
    assert "2026-03-01 07:30:00 +08:00" in shown and " UTC<" not in shown
    edit = ui_admin.client.get(f"/ui/vehicles/{vehicle}/edit")
    assert 'value="2026-03-01T07:30"' in edit.text
    saved = ui_admin.client.post(
        f"/ui/vehicles/{vehicle}/edit",
        data=_form(plate=PLATE, region="cn", valid_from="2026-03-01T07:30")
        | {"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert _audit(admin, "vehicle.updated") == []  # shown back as read: nothing changed


def test_vehicle_pages_show_only_the_viewers_tenant(client: TestClient, admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    theirs = _add_vehicle(other, OTHER_PLATE)
    ui = UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))
    for path in (f"/ui/vehicles/{theirs}", f"/ui/vehicles/{theirs}/edit"):
        assert client.get(path).status_code == 404, path
    for path in (f"/ui/vehicles/{theirs}/edit", f"/ui/vehicles/{theirs}/delete"):
        refused = client.post(path, data=_form(plate=PLATE), headers=ui.htmx_headers())
        assert refused.status_code == 404, path
        assert "no longer exists" in refused.text
    found = client.post(
        "/ui/vehicles/search", data={"plate": OTHER_PLATE}, headers=ui.htmx_headers()
    )
    assert found.status_code == 200 and "No vehicle has exactly this plate" in found.text
    assert _vehicle(other, theirs)["plate"] == OTHER_PLATE


def test_gate_frame_test_refuses_bad_uploads_with_a_message(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    limit = container_of(admin).settings.media.max_upload_bytes
    cases = [
        ([("file", ("notes.jpg", NOT_AN_IMAGE, "image/jpeg"))], "not an image"),
        ([("file", ("empty.jpg", b"", "image/jpeg"))], "The file is empty"),
        ([("file", ("huge.jpg", b"\xff" * (limit + 1), "image/jpeg"))], f"larger than {limit}"),
        ([], "Choose a camera frame"),
    ]
    for files, message in cases:
        response = ui_admin.client.post(
            "/ui/plates/test",
            files=files or None,
            data=None if files else {"nothing": ""},
            headers=ui_admin.htmx_headers(),
        )
        assert response.status_code == 422, (message, response.text[:200])
        assert "<html" not in response.text and 'id="plate-test"' in response.text
        assert "flash-error" in response.text and message in response.text
    no_js = ui_admin.client.post(
        "/ui/plates/test",
        data={"csrf_token": ui_admin.csrf},
        files=[("file", ("notes.jpg", NOT_AN_IMAGE, "image/jpeg"))],
    )
    assert no_js.status_code == 422
    assert "<html" in no_js.text and "not an image" in no_js.text

    device = add_device(admin, add_site(admin))
    refused = device.client.post(
        "/ui/plates/test",
        files=[("file", ("notes.jpg", NOT_AN_IMAGE, "image/jpeg"))],
        headers={**device.headers, "HX-Request": "true"},
    )
    assert refused.status_code == 403  # gate devices use the API, not the page
    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    refused = client.post(
        "/ui/plates/test",
        files=[("file", ("notes.jpg", NOT_AN_IMAGE, "image/jpeg"))],
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403


def test_gate_frame_test_reads_with_the_chosen_sites_plate_formats(
    ui_admin: UiSession, admin: Actor
) -> None:
    ((text, frame),) = _frames(1)
    brazil = add_site(admin, "Sao Paulo depot")
    settings = admin.put(f"/api/v1/sites/{brazil}/plate-settings", json={"regions": ["br"]})
    assert settings.status_code == 200, settings.text

    def test(site_id: str) -> Any:
        return ui_admin.client.post(
            "/ui/plates/test",
            data={"site_id": site_id},
            files=[("file", ("gate.jpg", frame, "image/jpeg"))],
            headers=ui_admin.htmx_headers(),
        )

    anywhere = test("")
    assert anywhere.status_code == 200 and text in anywhere.text
    at_brazil = test(brazil)  # a Chinese plate is no plate to a Brazilian-only camera
    assert at_brazil.status_code == 200 and text not in at_brazil.text
    assert "No plate found" in at_brazil.text, at_brazil.text
    unknown = test("0" * 32)
    assert unknown.status_code == 422 and "Choose a site from the list" in unknown.text
    page = ui_admin.client.get("/ui/plates/test")
    assert f'<option value="{brazil}">Sao Paulo depot</option>' in page.text


def test_owner_can_be_preselected_by_id_and_the_list_pages(
    ui_admin: UiSession, admin: Actor
) -> None:
    owner = add_person(admin, "Wang Wu", consent=False)
    page = ui_admin.client.get(f"/ui/vehicles/new?person_id={owner}")
    assert re.search(rf'<option value="{owner}" selected>Wang Wu</option>', page.text)
    yesterday = (container_of(admin).clock.now() - timedelta(days=1)).isoformat()
    for plate in EXPIRED_PLATES:
        _add_vehicle(admin, plate, valid_until=yesterday)
    first = ui_admin.client.get("/ui/vehicles?limit=2")
    assert first.status_code == 200 and first.text.count("<tr>") == 3  # head + 2 rows
    assert "Expired" in first.text
    cursor = re.search(r'href="/ui/vehicles\?cursor=([0-9a-f]{32})&amp;limit=2"', first.text)
    assert cursor is not None, first.text
    second = ui_admin.client.get(f"/ui/vehicles?cursor={cursor.group(1)}&limit=2")
    assert second.text.count("<tr>") == 2
