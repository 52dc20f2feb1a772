"""Sites, policies, and the privacy page in the admin UI; times in the tenant's zone.

Over HTTP on both databases: a site is added and edited through its forms, every bad
value (unknown time zone, unknown holiday country, duplicate name, bad plate pattern,
bad number of days) comes back next to its field with what was typed and nothing
changed; the plate retention and the tenant's time zone are set on /ui/policies; the
privacy page has one row per data class of the retention registry; an event's time is
shown in the tenant's zone. In headless Chromium, in English and Chinese: a site is
created and edited and the plate retention set through the forms.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from gatepost.services.retention import DATA_CLASSES
from gatepost.web.i18n import LANG_COOKIE
from tests.e2e.conftest import LiveServer, UiSession, browser_login, set_up_acme, ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_tenant, add_user


def _post(ui: UiSession, path: str, form: dict[str, Any]) -> Any:
    return ui.client.post(path, data=form | {"csrf_token": ui.csrf}, follow_redirects=False)


def _details(**changes: str) -> dict[str, str]:
    form = {
        "name": "Harbour depot",
        "address": "9 Quay Road",
        "timezone": "Asia/Shanghai",
        "holiday_country": "CN",
        "holiday_subdivision": "",
    }
    return form | changes


def _sites(admin: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = admin.get("/api/v1/sites").json()["items"]
    return items


def _site(admin: Actor, site_id: str) -> dict[str, Any]:
    body: dict[str, Any] = admin.get(f"/api/v1/sites/{site_id}").json()
    return body


# -- sites ----------------------------------------------------------------------------


def test_site_form_creates_and_edits_a_site_when_values_are_valid(
    ui_admin: UiSession, admin: Actor
) -> None:
    created = _post(ui_admin, "/ui/sites", _details())
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/ui/sites/[0-9a-f]{32}\?notice=site_created", location)
    site_id = location.split("/")[3].split("?")[0]
    stored = _site(admin, site_id)
    assert (stored["name"], stored["address"], stored["timezone"]) == (
        "Harbour depot",
        "9 Quay Road",
        "Asia/Shanghai",
    )
    assert stored["holiday_country"] == "CN"
    page = ui_admin.client.get(location)
    assert "Site created." in page.text and 'value="Harbour depot"' in page.text
    assert "/ui/faces" in page.text  # the face policy is the tenant's: linked from here
    listed = ui_admin.client.get("/ui/sites")
    assert "Harbour depot" in listed.text and "Asia/Shanghai" in listed.text

    edit = _details(name="Harbour", address="", timezone="Europe/Berlin", holiday_country="DE")
    saved = _post(ui_admin, f"/ui/sites/{site_id}", edit | {"holiday_subdivision": "BY"})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/ui/sites/{site_id}?notice=site_saved"
    stored = _site(admin, site_id)
    assert (stored["name"], stored["address"], stored["timezone"]) == (
        "Harbour",
        None,
        "Europe/Berlin",
    )
    assert (stored["holiday_country"], stored["holiday_subdivision"]) == ("DE", "BY")
    # The holiday import now offers the site's calendar.
    holidays = ui_admin.client.get(f"/ui/sites/{site_id}/holidays")
    assert 'name="country"' in holidays.text and 'value="DE"' in holidays.text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone."),
        ({"timezone": "localtime"}, "timezone", "Unknown time zone."),
        ({"holiday_country": "XX"}, "holiday_country", "No public holiday calendar for"),
        (
            {"holiday_subdivision": "ZZ"},
            "holiday_subdivision",
            "No such subdivision",
        ),
        ({"name": "  "}, "name", "Name must"),
    ],
)
def test_site_form_shows_the_error_and_changes_nothing_when_a_value_is_invalid(
    ui_admin: UiSession, admin: Actor, change: dict[str, str], field: str, message: str
) -> None:
    site_id = add_site(admin)
    before = _site(admin, site_id)
    refused = _post(ui_admin, f"/ui/sites/{site_id}", _details(**change))
    assert refused.status_code == 422, refused.text
    error = re.search(rf'<p class="field-error" id="site-{field}-error">([^<]*)</p>', refused.text)
    assert error and message in error.group(1), refused.text
    assert f'aria-describedby="site-{field}-error' in refused.text
    assert _site(admin, site_id) == before
    created = _post(ui_admin, "/ui/sites", _details(**change))
    assert created.status_code == 422
    assert len(_sites(admin)) == 1


def test_site_form_is_a_conflict_when_the_name_is_taken(ui_admin: UiSession, admin: Actor) -> None:
    add_site(admin, "North")
    site_id = add_site(admin, "South")
    refused = _post(ui_admin, f"/ui/sites/{site_id}", _details(name="North"))
    assert refused.status_code == 409
    assert "Another site has this name" in refused.text
    assert _site(admin, site_id)["name"] == "South"
    again = _post(ui_admin, "/ui/sites", _details(name="North"))
    assert again.status_code == 409
    assert len(_sites(admin)) == 2


def test_site_forms_are_refused_when_the_role_only_reads_sites(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    add_user(admin, "guard")
    csrf = ui_login(ui_admin.client, "acme", "guard-user", STRONG_PASSWORD)
    guard = UiSession(ui_admin.client, csrf)
    page = guard.client.get(f"/ui/sites/{site_id}")
    assert page.status_code == 200 and 'action="/ui/sites/' not in page.text
    assert _post(guard, f"/ui/sites/{site_id}", _details()).status_code == 403
    assert _post(guard, "/ui/sites", _details()).status_code == 403
    assert _site(admin, site_id)["name"] == "HQ"


def test_site_page_is_not_found_when_the_site_is_another_tenants(
    ui_admin: UiSession, admin: Actor
) -> None:
    other_site = add_site(add_tenant(admin, "globex"))
    ui_admin.csrf = ui_login(ui_admin.client, "acme", "admin", STRONG_PASSWORD)
    assert ui_admin.client.get(f"/ui/sites/{other_site}").status_code == 404
    assert _post(ui_admin, f"/ui/sites/{other_site}", _details()).status_code == 404


def test_plate_formats_form_saves_regions_and_patterns_when_valid(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    form = {
        "regions": ["cn", "us"],
        "pattern_name": ["depot", ""],
        "pattern_region": ["us", "cn"],
        "pattern_text": ["[1-9][A-Z]{3}[0-9]{3}", ""],
    }
    saved = _post(ui_admin, f"/ui/sites/{site_id}/plate-formats", form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/ui/sites/{site_id}?notice=plate_formats_saved"
    settings = admin.get(f"/api/v1/sites/{site_id}/plate-settings").json()
    assert settings["regions"] == ["cn", "us"]
    assert settings["patterns"] == [
        {"name": "depot", "region": "us", "pattern": "[1-9][A-Z]{3}[0-9]{3}"}
    ]
    every = _post(
        ui_admin, f"/ui/sites/{site_id}/plate-formats", {"regions": ["cn", "eu", "br", "us"]}
    )
    assert every.status_code == 303
    assert admin.get(f"/api/v1/sites/{site_id}/plate-settings").json()["regions"] is None


def test_plate_formats_form_shows_the_error_and_changes_nothing_when_a_pattern_is_bad(
    ui_admin: UiSession, admin: Actor
) -> None:
    site_id = add_site(admin)
    before = admin.get(f"/api/v1/sites/{site_id}/plate-settings").json()
    form = {
        "regions": ["cn"],
        "pattern_name": ["ok", "bad"],
        "pattern_region": ["cn", "cn"],
        "pattern_text": ["[A-Z]{2}[0-9]{5}", "(A+)+"],
    }
    refused = _post(ui_admin, f"/ui/sites/{site_id}/plate-formats", form)
    assert refused.status_code == 422, refused.text
    assert 'id="pattern-1-pattern-error"' in refused.text
    assert 'value="(A+)+"' in refused.text  # kept as typed
    assert admin.get(f"/api/v1/sites/{site_id}/plate-settings").json() == before
    none = _post(ui_admin, f"/ui/sites/{site_id}/plate-formats", {})
    assert none.status_code == 422
    assert 'id="formats-regions-error"' in none.text


# -- policies and privacy ----------------------------------------------------------------


def test_plate_policy_form_saves_the_days_when_valid(ui_admin: UiSession, admin: Actor) -> None:
    form = {"read_days": "30", "stranger_days": "2", "image_days": "7"}
    saved = _post(ui_admin, "/ui/policies/plates", form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/ui/policies?notice=plate_policy_saved"
    policy = admin.get("/api/v1/plates/policy").json()
    assert (policy["read_days"], policy["stranger_days"], policy["image_days"]) == (30, 2, 7)
    privacy = ui_admin.client.get("/ui/privacy").text
    row = re.search(r'<tr id="data-plate_reads_unknown">.*?</tr>', privacy, re.S)
    assert row and "2 days" in row.group(0)


@pytest.mark.parametrize("bad", ["-1", "3651", "ten", ""])
def test_plate_policy_form_shows_the_error_and_changes_nothing_when_days_are_bad(
    ui_admin: UiSession, admin: Actor, bad: str
) -> None:
    before = admin.get("/api/v1/plates/policy").json()
    form = {"read_days": "30", "stranger_days": bad, "image_days": "7"}
    refused = _post(ui_admin, "/ui/policies/plates", form)
    assert refused.status_code == 422
    assert 'id="plates-stranger_days-error"' in refused.text
    assert "Enter a whole number of days from 0 to 3650." in refused.text
    assert admin.get("/api/v1/plates/policy").json() == before


def test_tenant_time_zone_form_is_refused_and_changes_nothing_when_the_zone_is_unknown(
    ui_admin: UiSession,
) -> None:
    refused = _post(ui_admin, "/ui/policies/timezone", {"timezone": "Asia/Atlantis"})
    assert refused.status_code == 422
    assert 'id="tenant-timezone-error"' in refused.text and "Unknown time zone." in refused.text
    assert 'value="Asia/Atlantis"' in refused.text
    page = ui_admin.client.get("/ui/policies").text
    assert 'id="tenant-timezone"' in page and 'value="UTC"' in page


def test_privacy_page_has_a_row_for_every_data_class(ui_admin: UiSession) -> None:
    page = ui_admin.client.get("/ui/privacy")
    assert page.status_code == 200
    rows = re.findall(r'<tr id="data-([a-z_]+)">', page.text)
    assert rows == [item.key for item in DATA_CLASSES]
    audit = re.search(r'<tr id="data-audit_log">.*?</tr>', page.text, re.S)
    assert audit and "Until erased" in audit.group(0)
    assert "Administrator" in audit.group(0) and "Auditor" in audit.group(0)
    assert "Guard" not in audit.group(0)


def test_event_time_is_shown_in_the_tenant_time_zone_when_one_is_set(
    ui_admin: UiSession, admin: Actor
) -> None:
    device = add_device(admin, add_site(admin))
    at = datetime.now(UTC).replace(microsecond=0)
    sent = device.post(
        "/api/v1/device/events",
        json={
            "events": [
                {"idempotency_key": "tz-1", "kind": "door.opened", "occurred_at": at.isoformat()}
            ]
        },
    )
    assert sent.status_code in (200, 201, 202), sent.text
    in_utc = at.strftime("%Y-%m-%d %H:%M:%S")
    assert in_utc in ui_admin.client.get("/ui/events").text
    saved = _post(ui_admin, "/ui/policies/timezone", {"timezone": "Asia/Shanghai"})
    assert saved.status_code == 303, saved.text
    shanghai = at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert shanghai.utcoffset() is not None and shanghai.utcoffset().total_seconds() == 8 * 3600
    # Sessions learn the zone when they authenticate: the next request shows it.
    page = ui_admin.client.get("/ui/events").text
    assert f"{shanghai:%Y-%m-%d %H:%M:%S} +08:00" in page  # the offset, not "CST"
    assert f">{in_utc}<" not in page
    assert f"{in_utc} UTC" in page  # the UTC time stays in the title


# -- in the browser ----------------------------------------------------------------------

_WORDS = {
    "en": {
        "add": "Add site",
        "name": "Name",
        "timezone": "Time zone",
        "save": "Save site",
        "created": "Site created.",
        "saved": "Site saved.",
        "bad_zone": "Unknown time zone.",
        "read_days": "Days to keep reads of known vehicles",
        "save_plates": "Save plate retention",
        "plates_saved": "Plate retention saved.",
    },
    "zh_Hans": {
        "add": "添加站点",
        "name": "名称",
        "timezone": "时区",
        "save": "保存站点",
        "created": "站点已创建。",
        "saved": "站点已保存。",
        "bad_zone": "未知的时区。",
        "read_days": "已知车辆识别记录保留天数",
        "save_plates": "保存车牌保留期限",
        "plates_saved": "车牌保留期限已保存。",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_admin_creates_and_edits_a_site_and_sets_plate_retention_in_the_browser(
    live_server: LiveServer, page: Page, language: str
) -> None:
    words = _WORDS[language]
    with set_up_acme(live_server) as http:
        base = live_server.url
        browser_login(page, base)
        page.context.add_cookies([{"name": LANG_COOKIE, "value": language, "url": base}])
        page.goto(f"{base}/ui/sites")
        page.get_by_role("link", name=words["add"]).first.click()
        page.get_by_label(words["name"], exact=True).fill("Harbour depot")
        page.get_by_label(words["timezone"], exact=True).fill("Asia/Shanghai")
        page.get_by_role("button", name=words["add"]).click()
        expect(page.get_by_text(words["created"])).to_be_visible()
        site_id = page.url.split("/ui/sites/")[1].split("?")[0]

        zone = page.get_by_label(words["timezone"], exact=True)
        zone.fill("Asia/Atlantis")
        page.get_by_role("button", name=words["save"]).click()
        expect(page.locator("#site-timezone-error")).to_have_text(words["bad_zone"])
        expect(page.get_by_label(words["timezone"], exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        assert http.get(f"/api/v1/sites/{site_id}").json()["timezone"] == "Asia/Shanghai"

        page.get_by_label(words["timezone"], exact=True).fill("Europe/Berlin")
        page.get_by_label(words["name"], exact=True).fill("Harbour")
        page.get_by_role("button", name=words["save"]).click()
        expect(page.get_by_text(words["saved"])).to_be_visible()
        stored = http.get(f"/api/v1/sites/{site_id}").json()
        assert (stored["name"], stored["timezone"]) == ("Harbour", "Europe/Berlin")

        page.goto(f"{base}/ui/policies")
        page.get_by_label(words["read_days"]).fill("45")
        page.get_by_role("button", name=words["save_plates"]).click()
        expect(page.get_by_text(words["plates_saved"])).to_be_visible()
        assert http.get("/api/v1/plates/policy").json()["read_days"] == 45
