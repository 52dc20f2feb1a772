"""Access levels in the admin UI, and the one browser flow of the access rule pages.

The browser test runs in headless Debian Chromium against uvicorn (``live_server``,
SQLite) with the strict CSP and htmx real: it builds a schedule with two intervals on
a Monday (the second row added in place by htmx), then an access level with it. The
other flows and the refusals (bad input, CSRF, roles, another tenant's level) are
driven over HTTP on both databases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gatepost.app import compose_app
from tests.e2e.conftest import LiveServer, UiSession, ui_login
from tests.e2e.test_web_schedules import api_schedule, audit
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_site,
    add_tenant,
    add_user,
    setup_platform,
)
from tests.support.faces import add_person

SCREENSHOTS = os.environ.get("GATEPOST_SCREENSHOTS")  # a folder: keep screenshots there


# -- helpers -----------------------------------------------------------------------------


def _created(admin: Actor, url: str, body: dict[str, Any]) -> str:
    response = admin.post(url, json=body)
    assert response.status_code == 201, response.text
    created_id: str = response.json()["id"]
    return created_id


def _doors(admin: Actor) -> dict[str, str]:
    """Two sites: HQ with a Lobby zone (two doors) and a depot with a gate; name -> id."""
    hq = add_site(admin, "HQ")
    depot = add_site(admin, "Depot")
    lobby = _created(admin, "/api/v1/zones", {"site_id": hq, "name": "Lobby"})
    return {
        "Front door": _created(
            admin,
            "/api/v1/access-points",
            {"site_id": hq, "name": "Front door", "into_zone_id": lobby},
        ),
        "Side door": _created(
            admin,
            "/api/v1/access-points",
            {"site_id": hq, "name": "Side door", "into_zone_id": lobby},
        ),
        "Yard gate": _created(
            admin, "/api/v1/access-points", {"site_id": depot, "name": "Yard gate"}
        ),
    }


def _level(admin: Actor, level_id: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/access-levels/{level_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _levels(admin: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = admin.get("/api/v1/access-levels").json()["items"]
    return items


def _post(ui: UiSession, path: str, form: dict[str, Any]) -> Any:
    return ui.client.post(path, data=form | {"csrf_token": ui.csrf}, follow_redirects=False)


# -- over HTTP ---------------------------------------------------------------------------


def test_admin_creates_edits_and_deletes_an_access_level(ui_admin: UiSession, admin: Actor) -> None:
    doors = _doors(admin)
    hours = api_schedule(admin, "Office hours")
    night = api_schedule(admin, "Night shift", mon=["22:00-24:00"])
    new = ui_admin.client.get("/ui/access-levels/new")
    assert new.status_code == 200
    for text in ("HQ", "Depot", "Into Lobby", "Into No zone", "Front door", "Yard gate"):
        assert text in new.text, text
    assert f'<option value="{hours}">Office hours</option>' in new.text

    created = _post(
        ui_admin,
        "/ui/access-levels",
        {
            "name": "Staff",
            "schedule_id": hours,
            "access_point_ids": [doors["Front door"], doors["Yard gate"]],
        },
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/ui/access-levels/[0-9a-f]{32}\?notice=access_level_created", location)
    level_id = location.split("/")[3].split("?")[0]
    stored = _level(admin, level_id)
    assert stored["schedule_id"] == hours
    assert set(stored["access_point_ids"]) == {doors["Front door"], doors["Yard gate"]}
    assert len(audit(admin, "access_level.created")) == 1

    page = ui_admin.client.get(location)
    assert "Access level created." in page.text
    assert f'href="/ui/schedules/{hours}">Office hours</a>' in page.text
    assert "Front door" in page.text and "Yard gate" in page.text
    assert "Side door" not in page.text
    assert "0 persons" in page.text

    person = add_person(admin, "Zhang San", consent=False)
    held = admin.put(f"/api/v1/persons/{person}/access-levels/{level_id}", json={})
    assert held.status_code == 200, held.text
    page = ui_admin.client.get(f"/ui/access-levels/{level_id}")
    assert "1 person" in page.text
    assert f'<a href="/ui/people/{person}">Zhang San</a>' in page.text
    assert "1 person holds this level" in page.text  # the delete confirmation says so
    listed = ui_admin.client.get("/ui/access-levels")
    assert "Staff" in listed.text and "1 person" in listed.text

    edit = ui_admin.client.get(f"/ui/access-levels/{level_id}/edit")
    assert re.search(rf'value="{doors["Front door"]}" checked', edit.text)
    assert not re.search(rf'value="{doors["Side door"]}" checked', edit.text)
    same = {
        "name": " Staff ",
        "schedule_id": hours,
        "access_point_ids": [doors["Yard gate"], doors["Front door"]],
    }
    assert _post(ui_admin, f"/ui/access-levels/{level_id}/edit", same).status_code == 303
    assert audit(admin, "access_level.updated") == []  # nothing changed, nothing written
    changed = same | {"schedule_id": night, "access_point_ids": [doors["Side door"]]}
    saved = _post(ui_admin, f"/ui/access-levels/{level_id}/edit", changed)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/ui/access-levels/{level_id}?notice=access_level_saved"
    stored = _level(admin, level_id)
    assert stored["schedule_id"] == night and stored["access_point_ids"] == [doors["Side door"]]
    (updated,) = audit(admin, "access_level.updated")
    assert updated["details"]["fields"] == "access_point_ids,schedule_id"

    deleted = _post(ui_admin, f"/ui/access-levels/{level_id}/delete", {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/ui/access-levels?notice=access_level_deleted"
    assert admin.get(f"/api/v1/access-levels/{level_id}").status_code == 404
    assert admin.get(f"/api/v1/persons/{person}/access-levels").json() == []
    (gone,) = audit(admin, "access_level.deleted")
    assert gone["details"]["holders"] == "1"


def test_level_form_errors_keep_the_choices_and_change_nothing(
    ui_admin: UiSession, admin: Actor
) -> None:
    doors = _doors(admin)
    hours = api_schedule(admin, "Office hours")
    _created(admin, "/api/v1/access-levels", {"name": "Taken", "schedule_id": hours})
    front = doors["Front door"]
    cases = [
        ({"name": "", "schedule_id": hours}, "name", "Enter a name for the access level."),
        ({"name": "x" * 121, "schedule_id": hours}, "name", "Enter a name of 1 to 120"),
        ({"name": "Staff", "schedule_id": ""}, "schedule_id", "Choose when the level"),
        ({"name": "Staff", "schedule_id": "f" * 32}, "schedule_id", "Choose a schedule from"),
        (
            {"name": "Staff", "schedule_id": hours, "access_point_ids": [front, "0" * 32]},
            "access_point_ids",
            "Choose access points from the list.",
        ),
        ({"name": "Taken", "schedule_id": hours}, "name", "Another access level already"),
    ]
    for form, field, message in cases:
        response = ui_admin.client.post(
            "/ui/access-levels",
            data={"access_point_ids": [front]} | form,
            headers=ui_admin.htmx_headers(boosted=True),
        )
        assert response.status_code in (409, 422), (form, response.text)
        assert f'id="level-{field}-error"' in response.text, (field, response.text)
        assert message in response.text, (field, response.text)
        assert re.search(rf'value="{front}" checked', response.text)  # the choice stays
        if form["name"]:
            assert f'value="{form["name"]}"' in response.text
    assert [level["name"] for level in _levels(admin)] == ["Taken"]
    assert len(audit(admin, "access_level.created")) == 1
    assert ui_admin.client.get("/ui/access-levels/" + "0" * 32).status_code == 404


def test_level_writes_need_the_csrf_token_and_the_access_rules_write_permission(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    hours = api_schedule(admin, "Office hours")
    level = _created(admin, "/api/v1/access-levels", {"name": "Staff", "schedule_id": hours})
    form = {"name": "Renamed", "schedule_id": hours}
    assert ui_admin.client.post("/ui/access-levels", data=form).status_code == 403
    for path in (f"/ui/access-levels/{level}/edit", f"/ui/access-levels/{level}/delete"):
        assert ui_admin.client.post(path, data=form).status_code == 403, path
    assert _level(admin, level)["name"] == "Staff"

    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    listed = client.get("/ui/access-levels")
    assert listed.status_code == 200 and "Staff" in listed.text
    assert "/ui/access-levels/new" not in listed.text
    detail = client.get(f"/ui/access-levels/{level}")
    assert detail.status_code == 200 and "0 persons" in detail.text  # guards see holders
    assert "/edit" not in detail.text and "/delete" not in detail.text
    for path in (
        "/ui/access-levels",
        f"/ui/access-levels/{level}/edit",
        f"/ui/access-levels/{level}/delete",
    ):
        refused = client.post(path, data=form, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403, path
    for path in ("/ui/access-levels/new", f"/ui/access-levels/{level}/edit"):
        assert client.get(path).status_code == 403, path

    add_user(admin, "hr", "hr-clerk")
    ui_login(client, "acme", "hr-clerk", STRONG_PASSWORD)
    assert 'href="/ui/access-levels"' not in client.get("/ui/").text
    assert client.get("/ui/access-levels").status_code == 403
    assert client.get(f"/ui/access-levels/{level}").status_code == 403
    assert _level(admin, level)["name"] == "Staff"
    assert audit(admin, "access_level.updated") == []


def test_level_pages_show_only_the_viewers_tenant(client: TestClient, admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    their_hours = api_schedule(other, "Globex hours")
    theirs = _created(
        other, "/api/v1/access-levels", {"name": "Globex staff", "schedule_id": their_hours}
    )
    mine = api_schedule(admin, "Acme hours")
    ui = UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))
    for path in (f"/ui/access-levels/{theirs}", f"/ui/access-levels/{theirs}/edit"):
        assert client.get(path).status_code == 404, path
    for path in (f"/ui/access-levels/{theirs}/edit", f"/ui/access-levels/{theirs}/delete"):
        refused = client.post(
            path, data={"name": "Mine now", "schedule_id": mine}, headers=ui.htmx_headers()
        )
        assert refused.status_code == 404, path
    # Their schedule is no choice for a level of mine.
    refused = client.post(
        "/ui/access-levels",
        data={"name": "Borrowed", "schedule_id": their_hours},
        headers=ui.htmx_headers(boosted=True),
    )
    assert refused.status_code == 422 and "Choose a schedule from the list." in refused.text
    assert "Globex" not in client.get("/ui/access-levels/new").text
    assert _level(other, theirs)["name"] == "Globex staff"
    assert _levels(admin) == []


def test_a_persons_page_gives_and_takes_away_access_levels(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    hours = api_schedule(admin, "Office hours")
    staff = _created(admin, "/api/v1/access-levels", {"name": "Staff", "schedule_id": hours})
    _created(admin, "/api/v1/access-levels", {"name": "Visitors", "schedule_id": hours})
    person = add_person(admin, "Li Si", consent=False)
    page = ui_admin.client.get(f"/ui/people/{person}")
    assert "No access levels: no door lets Li Si through." in page.text
    assert f'<option value="{staff}">Staff</option>' in page.text

    given = _post(ui_admin, f"/ui/people/{person}/access-levels", {"access_level_id": staff})
    assert given.status_code == 303
    assert given.headers["location"] == f"/ui/people/{person}?notice=access_level_granted#access"
    held = admin.get(f"/api/v1/persons/{person}/access-levels").json()
    assert [h["access_level_id"] for h in held] == [staff]
    page = ui_admin.client.get(f"/ui/people/{person}")
    assert f'<a href="/ui/access-levels/{staff}">Staff</a>' in page.text
    assert f'<option value="{staff}">' not in page.text  # held: no longer a choice
    assert len(audit(admin, "person.access_level_assigned")) == 1

    other = add_tenant(admin, "globex")
    theirs = _created(
        other,
        "/api/v1/access-levels",
        {"name": "Globex", "schedule_id": api_schedule(other, "Globex hours")},
    )
    ui_admin.csrf = ui_login(client, "acme", "admin", STRONG_PASSWORD)  # add_tenant's login
    for choice in ("", "0" * 32, theirs):
        refused = ui_admin.client.post(
            f"/ui/people/{person}/access-levels",
            data={"access_level_id": choice},
            headers=ui_admin.htmx_headers(boosted=True),
        )
        assert refused.status_code == 422, (choice, refused.text)
        assert 'id="person-access_level_id-error"' in refused.text
        assert "Choose an access level from the list." in refused.text
    assert len(admin.get(f"/api/v1/persons/{person}/access-levels").json()) == 1

    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    seen = client.get(f"/ui/people/{person}")
    assert "Staff" in seen.text and "Give level" not in seen.text and "/remove" not in seen.text
    refused = client.post(
        f"/ui/people/{person}/access-levels/{staff}/remove", headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    add_user(admin, "hr", "hr-clerk")  # reads who holds what, not the rules themselves
    ui_login(client, "acme", "hr-clerk", STRONG_PASSWORD)
    seen = client.get(f"/ui/people/{person}")
    assert f"Level {staff[:8]}" in seen.text and "Give level" not in seen.text

    csrf = ui_login(client, "acme", "admin", STRONG_PASSWORD)
    removed = client.post(
        f"/ui/people/{person}/access-levels/{staff}/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert admin.get(f"/api/v1/persons/{person}/access-levels").json() == []
    assert len(audit(admin, "person.access_level_removed")) == 1
    again = client.post(
        f"/ui/people/{person}/access-levels/{staff}/remove", headers={"X-CSRF-Token": csrf}
    )
    assert again.status_code == 404


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


@pytest.mark.browser
def test_admin_builds_a_schedule_with_two_monday_intervals_and_a_level_using_it(
    live_server: LiveServer, live_admin: Actor, page: Page
) -> None:
    base = live_server.url
    doors = _doors(live_admin)
    page.goto(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/")

    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Schedules").click()
    expect(page.get_by_text("No schedules yet")).to_be_visible()
    page.get_by_role("link", name="New schedule").first.click()
    page.get_by_label("Name", exact=True).fill("Office hours")
    starts, ends = page.get_by_label("Monday from"), page.get_by_label("Monday until")
    starts.nth(0).fill("08:00")
    ends.nth(0).fill("12:00")
    page.get_by_role("button", name="Add interval (Monday)").click()
    expect(starts).to_have_count(2)  # added in place by htmx
    expect(page).to_have_url(f"{base}/ui/schedules/new")
    starts.nth(1).fill("11:00")  # overlaps the morning
    ends.nth(1).fill("17:30")
    page.get_by_role("button", name="Create schedule").click()
    expect(page.locator("#schedule-mon-1-error")).to_contain_text("overlaps 08:00-12:00")
    expect(starts.nth(1)).to_have_value("11:00")  # what was typed stays
    expect(starts.nth(1)).to_have_attribute("aria-invalid", "true")
    _screenshot(page, "schedule-refused")

    page.get_by_role("button", name="Add interval (Tuesday)").click()
    expect(page.get_by_label("Tuesday from")).to_have_count(2)
    page.get_by_role("button", name="Remove this Tuesday interval").nth(1).click()
    expect(page.get_by_label("Tuesday from")).to_have_count(1)  # removed in place
    starts.nth(1).fill("13:00")
    page.get_by_role("button", name="Create schedule").click()
    expect(page).to_have_url(re.compile(r"/ui/schedules/[0-9a-f]{32}\?notice=schedule_created"))
    expect(page.get_by_role("heading", name="Office hours")).to_be_visible()
    monday = page.get_by_role("row", name=re.compile("^Monday"))
    expect(monday).to_contain_text("08:00–12:00")
    expect(monday).to_contain_text("13:00–17:30")
    _screenshot(page, "schedule")
    (schedule,) = live_admin.get("/api/v1/schedules").json()["items"]
    assert schedule["intervals"]["mon"] == ["08:00-12:00", "13:00-17:30"]

    nav.get_by_role("link", name="Access levels").click()
    page.get_by_role("link", name="New access level").first.click()
    page.get_by_label("Name", exact=True).fill("Office staff")
    page.get_by_label("Schedule").select_option(label="Office hours")
    page.get_by_label("Front door").check()
    page.get_by_label("Yard gate").check()
    _screenshot(page, "access-level-form")
    page.get_by_role("button", name="Create access level").click()
    expect(page.get_by_role("heading", name="Office staff")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("Access level created")
    expect(page.get_by_role("link", name="Office hours")).to_be_visible()
    expect(page.get_by_text("Front door")).to_be_visible()
    expect(page.get_by_text("Side door")).to_have_count(0)
    _screenshot(page, "access-level")
    (level,) = live_admin.get("/api/v1/access-levels").json()["items"]
    assert level["schedule_id"] == schedule["id"]
    assert set(level["access_point_ids"]) == {doors["Front door"], doors["Yard gate"]}

    page.get_by_role("link", name="Office hours").click()
    expect(page.get_by_role("link", name="Office staff")).to_be_visible()  # used by
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete schedule Office hours?")
    expect(dialog).to_contain_text("cannot be deleted")
    dialog.get_by_role("button", name="Delete schedule").click()
    expect(page.locator("#schedule-delete-error")).to_contain_text("still use this schedule")
    assert len(live_admin.get("/api/v1/schedules").json()["items"]) == 1
