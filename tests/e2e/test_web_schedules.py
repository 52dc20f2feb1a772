"""Weekly schedules and site holidays in the admin UI, over HTTP on both databases.

The schedule form's grid posts ``<day>_start``/``<day>_end`` pairs; the domain's
refusals (overlapping, inverted, no time of day) come back next to the row they name,
with what was typed kept and nothing saved. The refusals of the access rules pages
(CSRF, roles, another tenant's objects) are driven here too; the browser test that
builds a schedule with htmx lives in ``test_web_access_levels.py``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from gatepost.web.public_holidays import public_holidays
from tests.e2e.conftest import UiSession, ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_site, add_tenant, add_user

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")


# -- helpers -----------------------------------------------------------------------------


def grid(name: str = "Office hours", **days: list[tuple[str, str]]) -> dict[str, Any]:
    """The schedule form's fields: ``mon=[("08:00", "12:00"), ...]``; other days empty."""
    form: dict[str, Any] = {"name": name}
    for day in DAYS:
        rows = days.get(day, [("", "")])
        form[f"{day}_start"] = [start for start, _ in rows]
        form[f"{day}_end"] = [end for _, end in rows]
    return form


def api_schedule(admin: Actor, name: str = "Hours", **intervals: list[str]) -> str:
    created = admin.post(
        "/api/v1/schedules", json={"name": name, "intervals": intervals or {"mon": ["08:00-18:00"]}}
    )
    assert created.status_code == 201, created.text
    schedule_id: str = created.json()["id"]
    return schedule_id


def open_days(schedule: dict[str, Any]) -> dict[str, list[str]]:
    """A schedule's intervals as the API shows them, without the closed days."""
    return {day: texts for day, texts in schedule["intervals"].items() if texts}


def audit(admin: Actor, action: str) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/audit", params={"action": action})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _schedules(admin: Actor) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = admin.get("/api/v1/schedules").json()["items"]
    return items


def _post(ui: UiSession, path: str, form: dict[str, Any], **kw: Any) -> Any:
    return ui.client.post(path, data=form | {"csrf_token": ui.csrf}, follow_redirects=False, **kw)


# -- schedules ---------------------------------------------------------------------------


def test_admin_creates_edits_and_deletes_a_schedule(ui_admin: UiSession, admin: Actor) -> None:
    form = grid(
        mon=[("08:00", "12:00"), ("13:00", "17:30")],
        fri=[("8:00", "12:00")],
        holiday=[("10:00", "14:00")],
    )
    created = _post(ui_admin, "/ui/schedules", form)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/ui/schedules/[0-9a-f]{32}\?notice=schedule_created", location)
    schedule_id = location.split("/")[3].split("?")[0]
    stored = admin.get(f"/api/v1/schedules/{schedule_id}").json()
    assert stored["name"] == "Office hours"
    assert stored["intervals"]["mon"] == ["08:00-12:00", "13:00-17:30"]
    assert stored["intervals"]["fri"] == ["08:00-12:00"]
    assert stored["holiday_intervals"] == ["10:00-14:00"]
    assert len(audit(admin, "schedule.created")) == 1

    page = ui_admin.client.get(location)
    assert page.status_code == 200
    assert "Schedule created." in page.text
    assert "08:00–12:00" in page.text and "13:00–17:30" in page.text
    assert f'href="/ui/schedules/{schedule_id}/edit"' in page.text
    listed = ui_admin.client.get("/ui/schedules")
    assert "Office hours" in listed.text and "10:00-14:00" in listed.text

    edit = ui_admin.client.get(f"/ui/schedules/{schedule_id}/edit")
    assert edit.status_code == 200
    assert 'name="mon_start" type="text" value="13:00"' in edit.text
    # The same week again (typed differently) changes nothing, so nothing is written.
    same = grid(
        name=" Office  hours ",
        mon=[("13:00", "17:30"), ("", ""), ("08:00", "12:00")],
        fri=[("08:00", "12:00")],
        holiday=[("10:00", "14:00")],
    )
    unchanged = _post(ui_admin, f"/ui/schedules/{schedule_id}/edit", same)
    assert unchanged.status_code == 303
    assert audit(admin, "schedule.updated") == []

    changed = grid(name="Late shift", sat=[("22:00", "24:00")], sun=[("00:00", "06:00")])
    saved = _post(ui_admin, f"/ui/schedules/{schedule_id}/edit", changed)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/ui/schedules/{schedule_id}?notice=schedule_saved"
    stored = admin.get(f"/api/v1/schedules/{schedule_id}").json()
    assert stored["name"] == "Late shift"
    assert open_days(stored) == {"sat": ["22:00-24:00"], "sun": ["00:00-06:00"]}
    assert stored["holiday_intervals"] == []
    assert len(audit(admin, "schedule.updated")) == 1

    deleted = _post(ui_admin, f"/ui/schedules/{schedule_id}/delete", {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/ui/schedules?notice=schedule_deleted"
    assert admin.get(f"/api/v1/schedules/{schedule_id}").status_code == 404
    assert len(audit(admin, "schedule.deleted")) == 1
    assert "No schedules yet" in ui_admin.client.get("/ui/schedules").text


def test_bad_intervals_are_shown_next_to_their_row_and_nothing_is_saved(
    ui_admin: UiSession, admin: Actor
) -> None:
    api_schedule(admin, "Taken")
    cases = [
        (grid(mon=[("08:00", "12:00"), ("11:00", "13:00")]), "mon-1", "overlaps 08:00-12:00"),
        (grid(tue=[("18:00", "08:00")]), "tue-0", "ends before it starts"),
        (grid(wed=[("25:00", "26:00")]), "wed-0", "is not a time of day"),
        (grid(thu=[("8am", "5pm")]), "thu-0", "Enter times as HH:MM"),
        (grid(fri=[("08:00", "")]), "fri-0", "Enter both times"),
        (grid(sat=[("", ""), ("09:00", "09:00")]), "sat-1", "ends before it starts"),
        (grid(holiday=[("08:00", "12:00"), ("09:00", "10:00")]), "holiday-1", "overlaps"),
        (grid(name="   ", mon=[("08:00", "12:00")]), "name", "Enter a name for the schedule."),
        (grid(name="x" * 121), "name", "The name must have 1-120 characters."),
        (grid(name="Taken", mon=[("08:00", "12:00")]), "name", "Another schedule already"),
    ]
    for form, field, message in cases:
        response = ui_admin.client.post(
            "/ui/schedules", data=form, headers=ui_admin.htmx_headers(boosted=True)
        )
        assert response.status_code in (409, 422), (form, response.text)
        assert f'id="schedule-{field}-error"' in response.text, (field, response.text)
        assert message in response.text, (field, response.text)
        assert "The schedule was not saved" in response.text
        for day in DAYS:  # what was typed stays
            for start in form[f"{day}_start"]:
                if start:
                    assert f'name="{day}_start" type="text" value="{start}"' in response.text
        if field != "name" or form["name"].strip():
            assert f'value="{form["name"]}"' in response.text
    assert [s["name"] for s in _schedules(admin)] == ["Taken"]
    assert len(audit(admin, "schedule.created")) == 1  # "Taken" only


def test_an_edit_refused_by_the_domain_changes_nothing(ui_admin: UiSession, admin: Actor) -> None:
    schedule_id = api_schedule(admin, "Hours", mon=["08:00-18:00"])
    refused = ui_admin.client.post(
        f"/ui/schedules/{schedule_id}/edit",
        data=grid(name="Hours", mon=[("08:00", "18:00"), ("17:00", "19:00")]),
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert refused.status_code == 422
    assert 'id="schedule-mon-1-error"' in refused.text and "overlaps" in refused.text
    assert open_days(admin.get(f"/api/v1/schedules/{schedule_id}").json()) == {
        "mon": ["08:00-18:00"]
    }
    assert audit(admin, "schedule.updated") == []


def test_rows_are_added_and_removed_without_javascript_and_nothing_is_saved(
    ui_admin: UiSession, admin: Actor
) -> None:
    form = grid(name="Draft", mon=[("08:00", "12:00")])
    added = _post(ui_admin, "/ui/schedules", form | {"add": "mon"})
    assert added.status_code == 200
    assert added.text.count('name="mon_start"') == 2  # the typed row and a new one
    assert 'name="mon_start" type="text" value="08:00"' in added.text
    assert 'value="Draft"' in added.text
    removed = _post(
        ui_admin,
        "/ui/schedules",
        grid(name="Draft", mon=[("08:00", "12:00"), ("13:00", "17:00")]) | {"remove": "mon.0"},
    )
    assert removed.status_code == 200
    assert removed.text.count('name="mon_start"') == 1
    assert 'value="13:00"' in removed.text and 'value="08:00"' not in removed.text
    assert _schedules(admin) == []

    row = ui_admin.client.get("/ui/schedules/interval?day=tue", headers=ui_admin.htmx_headers())
    assert row.status_code == 200 and "<html" not in row.text
    assert 'name="tue_start"' in row.text and 'aria-label="Tuesday from"' in row.text
    nothing = ui_admin.client.get("/ui/schedules/interval?day=someday")
    assert nothing.status_code == 204


def test_a_schedule_in_use_is_not_deleted_and_its_page_says_who_uses_it(
    ui_admin: UiSession, admin: Actor
) -> None:
    schedule_id = api_schedule(admin, "Office hours")
    level = admin.post("/api/v1/access-levels", json={"name": "Staff", "schedule_id": schedule_id})
    assert level.status_code == 201, level.text
    page = ui_admin.client.get(f"/ui/schedules/{schedule_id}")
    assert f'href="/ui/access-levels/{level.json()["id"]}">Staff</a>' in page.text
    assert "cannot be deleted" in page.text  # the confirmation says so up front
    refused = _post(ui_admin, f"/ui/schedules/{schedule_id}/delete", {})
    assert refused.status_code == 409
    assert "still use this schedule" in refused.text and "Staff" in refused.text
    assert admin.get(f"/api/v1/schedules/{schedule_id}").status_code == 200
    assert audit(admin, "schedule.deleted") == []


def test_schedule_writes_need_the_csrf_token_and_the_access_rules_write_permission(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    schedule_id = api_schedule(admin, "Hours")
    forged = ui_admin.client.post("/ui/schedules", data=grid(name="Forged"))
    assert forged.status_code == 403
    for path in (f"/ui/schedules/{schedule_id}/edit", f"/ui/schedules/{schedule_id}/delete"):
        assert ui_admin.client.post(path, data=grid(name="Forged")).status_code == 403, path
    assert [s["name"] for s in _schedules(admin)] == ["Hours"]

    add_user(admin, "guard", "gate-guard")
    csrf = ui_login(client, "acme", "gate-guard", STRONG_PASSWORD)
    home = client.get("/ui/")
    assert 'href="/ui/schedules"' in home.text and 'href="/ui/access-levels"' in home.text
    listed = client.get("/ui/schedules")
    assert listed.status_code == 200 and "Hours" in listed.text
    assert "/ui/schedules/new" not in listed.text
    detail = client.get(f"/ui/schedules/{schedule_id}")
    assert detail.status_code == 200
    assert "/edit" not in detail.text and "/delete" not in detail.text
    headers = {"X-CSRF-Token": csrf}
    for path in (
        "/ui/schedules",
        f"/ui/schedules/{schedule_id}/edit",
        f"/ui/schedules/{schedule_id}/delete",
    ):
        refused = client.post(path, data=grid(name="Guarded"), headers=headers)
        assert refused.status_code == 403, path
        assert "do not have permission" in refused.text
    for path in ("/ui/schedules/new", f"/ui/schedules/{schedule_id}/edit"):
        assert client.get(path).status_code == 403, path

    add_user(admin, "hr", "hr-clerk")  # HR has no business with access rules
    ui_login(client, "acme", "hr-clerk", STRONG_PASSWORD)
    home = client.get("/ui/")
    assert home.status_code == 200 and 'href="/ui/schedules"' not in home.text
    assert 'href="/ui/holidays"' not in home.text
    assert client.get("/ui/schedules").status_code == 403
    assert [s["name"] for s in _schedules(admin)] == ["Hours"]


def test_schedule_pages_show_only_the_viewers_tenant(client: TestClient, admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    theirs = api_schedule(other, "Globex hours")
    ui = UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))
    for path in (f"/ui/schedules/{theirs}", f"/ui/schedules/{theirs}/edit"):
        assert client.get(path).status_code == 404, path
    for path in (f"/ui/schedules/{theirs}/edit", f"/ui/schedules/{theirs}/delete"):
        refused = client.post(path, data=grid(name="Mine now"), headers=ui.htmx_headers())
        assert refused.status_code == 404, path
        assert "no longer exists" in refused.text
    assert "Globex hours" not in client.get("/ui/schedules").text
    assert other.get(f"/api/v1/schedules/{theirs}").json()["name"] == "Globex hours"


# -- holidays ----------------------------------------------------------------------------


def test_admin_adds_and_deletes_a_sites_holidays(
    client: TestClient, ui_admin: UiSession, admin: Actor
) -> None:
    site = add_site(admin, "Shanghai office")
    first = ui_admin.client.get("/ui/holidays", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == f"/ui/sites/{site}/holidays"
    page = ui_admin.client.get(f"/ui/sites/{site}/holidays")
    assert page.status_code == 200 and "No upcoming holidays" in page.text
    added = _post(
        ui_admin, f"/ui/sites/{site}/holidays", {"day": "2031-10-01", "name": "National Day"}
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"/ui/sites/{site}/holidays?notice=holiday_added"
    (holiday,) = admin.get(f"/api/v1/sites/{site}/holidays").json()
    assert holiday["date"] == "2031-10-01" and holiday["name"] == "National Day"
    _post(ui_admin, f"/ui/sites/{site}/holidays", {"day": "2001-01-01", "name": "New Year"})
    page = ui_admin.client.get(f"/ui/sites/{site}/holidays?notice=holiday_added")
    upcoming = page.text.split('id="holidays-upcoming"')[1].split("</table>")[0]
    assert "National Day" in upcoming and "New Year" not in upcoming
    assert "Past holidays (1)" in page.text
    assert len(audit(admin, "holiday.added")) == 2

    cases = [
        ({"day": "2031-10-01", "name": "Again"}, "day", "already has a holiday on this date", 409),
        ({"day": "next friday", "name": "Friday"}, "day", "Enter the date", 422),
        ({"day": "2031-02-30", "name": "Nope"}, "day", "Enter the date", 422),
        ({"day": "2031-12-25", "name": "  "}, "name", "Enter a name for the holiday", 422),
        ({"day": "2031-12-25", "name": "x" * 121}, "name", "The name must have", 422),
    ]
    for form, field, message, status in cases:
        refused = ui_admin.client.post(
            f"/ui/sites/{site}/holidays", data=form, headers=ui_admin.htmx_headers(boosted=True)
        )
        assert refused.status_code == status, (form, refused.text)
        assert f'id="holiday-{field}-error"' in refused.text and message in refused.text
        if form["name"].strip():
            assert f'value="{form["name"]}"' in refused.text
    assert len(admin.get(f"/api/v1/sites/{site}/holidays").json()) == 2

    deleted = _post(ui_admin, f"/ui/sites/{site}/holidays/{holiday['id']}/delete", {})
    assert deleted.status_code == 303
    assert [h["name"] for h in admin.get(f"/api/v1/sites/{site}/holidays").json()] == ["New Year"]
    assert len(audit(admin, "holiday.deleted")) == 1

    add_user(admin, "auditor", "the-auditor")
    csrf = ui_login(client, "acme", "the-auditor", STRONG_PASSWORD)
    read_only = client.get(f"/ui/sites/{site}/holidays")
    assert read_only.status_code == 200 and "New Year" in read_only.text
    assert "Add a holiday" not in read_only.text and "/delete" not in read_only.text
    refused = client.post(
        f"/ui/sites/{site}/holidays",
        data={"day": "2031-05-01", "name": "Labour Day"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403
    refused = client.post(
        f"/ui/sites/{site}/holidays/import",
        data={"country": "CN", "year": "2031"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 403
    forged = ui_admin.client.post(
        f"/ui/sites/{site}/holidays", data={"day": "2031-05-01", "name": "Labour Day"}
    )
    assert forged.status_code == 403
    assert len(admin.get(f"/api/v1/sites/{site}/holidays").json()) == 1


def test_a_countrys_public_holidays_are_imported_and_the_sites_own_dates_kept(
    ui_admin: UiSession, admin: Actor
) -> None:
    site = add_site(admin, "Beijing office")
    own = admin.post(
        f"/api/v1/sites/{site}/holidays", json={"date": "2027-01-01", "name": "Company day"}
    )
    assert own.status_code == 201, own.text
    imported = _post(
        ui_admin, f"/ui/sites/{site}/holidays/import", {"country": "cn", "year": "2027"}
    )
    assert imported.status_code == 303, imported.text
    assert imported.headers["location"] == f"/ui/sites/{site}/holidays?notice=holidays_imported"
    calendar = {h["date"]: h["name"] for h in admin.get(f"/api/v1/sites/{site}/holidays").json()}
    expected = {day.isoformat() for day, _ in public_holidays("CN", 2027)}
    assert set(calendar) == expected and len(expected) >= 7
    assert calendar["2027-01-01"] == "Company day"  # the site's own date is kept
    assert "Spring Festival" in " ".join(calendar.values())
    # one unit of work: the own date plus one import entry, whatever the number of days
    assert len(audit(admin, "holiday.added")) == 1
    assert len(audit(admin, "holiday.imported")) == 1
    again = _post(ui_admin, f"/ui/sites/{site}/holidays/import", {"country": "CN", "year": "2027"})
    assert again.status_code == 303
    assert len(audit(admin, "holiday.imported")) == 1  # nothing new: nothing written
    assert len(admin.get(f"/api/v1/sites/{site}/holidays").json()) == len(expected)

    cases = [
        ({"country": "XX", "year": "2027"}, "country", "Enter a country code that has"),
        ({"country": "", "year": "2027"}, "country", "Enter a country code that has"),
        ({"country": "CN", "year": "next"}, "year", "Enter a year, for example 2027."),
        ({"country": "CN", "year": "1800"}, "year", "The year must be 2000-2099."),
    ]
    for form, field, message in cases:
        refused = ui_admin.client.post(
            f"/ui/sites/{site}/holidays/import",
            data=form,
            headers=ui_admin.htmx_headers(boosted=True),
        )
        assert refused.status_code == 422, (form, refused.text)
        assert f'id="holiday-{field}-error"' in refused.text and message in refused.text
        if form["country"]:
            assert f'value="{form["country"]}"' in refused.text
    assert len(admin.get(f"/api/v1/sites/{site}/holidays").json()) == len(expected)


def test_holiday_pages_show_only_the_viewers_tenant(client: TestClient, admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    their_site = add_site(other, "Globex HQ")
    made = other.post(
        f"/api/v1/sites/{their_site}/holidays", json={"date": "2031-05-01", "name": "Labour Day"}
    )
    assert made.status_code == 201, made.text
    mine = add_site(admin, "Acme HQ")
    ui = UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))
    assert client.get(f"/ui/sites/{their_site}/holidays").status_code == 404
    chosen = client.get(f"/ui/holidays?site={their_site}", follow_redirects=False)
    assert chosen.headers["location"] == f"/ui/sites/{mine}/holidays"  # theirs is no choice
    added = client.post(
        f"/ui/sites/{their_site}/holidays",
        data={"day": "2031-06-01", "name": "Mine now"},
        headers=ui.htmx_headers(),
    )
    assert added.status_code == 404
    for site in (their_site, mine):  # their holiday through their site, or through mine
        gone = client.post(
            f"/ui/sites/{site}/holidays/{made.json()['id']}/delete", headers=ui.htmx_headers()
        )
        assert gone.status_code == 404, site
    assert [h["name"] for h in other.get(f"/api/v1/sites/{their_site}/holidays").json()] == [
        "Labour Day"
    ]
