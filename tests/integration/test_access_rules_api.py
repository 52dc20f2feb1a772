"""Access rules through the real API and database (issue 10, part 2): zones, access
points, devices bound to them, schedules, holidays, access levels, the levels persons
hold and their access flags; every bad input refused naming the field and changing
nothing; the rules version moving with every change; the cached rule set the arrival
pipeline reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gatepost.domain.access_points import DoorMode, RequiredFactors
from gatepost.domain.zones import AntiPassbackMode
from gatepost.services.container import Container
from tests.support.api import Actor, add_device, add_site, add_tenant, admin_principal

WORKDAYS = {"mon": ["08:00-12:00", "13:00-18:00"], "fri": ["08:00-16:00"]}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error.get("field") == field, error
    return error


def _version(container: Container, tenant_id: str) -> int:
    with container.tx.read() as uow:
        return uow.access_rules.version(tenant_id=tenant_id)


def _actions(admin: Actor) -> list[str]:
    entries = admin.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    return [e["action"] for e in entries]


def _zone(admin: Actor, site_id: str, name: str, parent_id: str | None = None) -> str:
    body = {"site_id": site_id, "name": name, "parent_id": parent_id}
    return str(_ok(admin.post("/api/v1/zones", json=body), 201)["id"])


def _schedule(admin: Actor, name: str = "Office hours", **extra: Any) -> str:
    body = {"name": name, "intervals": WORKDAYS, **extra}
    return str(_ok(admin.post("/api/v1/schedules", json=body), 201)["id"])


def _point(admin: Actor, site_id: str, name: str = "Front door", **extra: Any) -> dict[str, Any]:
    body = {"site_id": site_id, "name": name, **extra}
    result: dict[str, Any] = _ok(admin.post("/api/v1/access-points", json=body), 201)
    return result


# -- zones -------------------------------------------------------------------------------


def test_zones_form_a_tree_and_a_cycle_is_refused_naming_the_zone(
    admin: Actor, container: Container
) -> None:
    site = add_site(admin)
    building = _zone(admin, site, "Building")
    floor = _zone(admin, site, "Floor 1", building)
    server_room = _zone(admin, site, "Server room", floor)
    zone = _ok(admin.get(f"/api/v1/zones/{server_room}"))
    assert (zone["site_id"], zone["name"], zone["parent_id"]) == (site, "Server room", floor)
    before = _version(container, admin.tenant_id)
    cycle = admin.patch(f"/api/v1/zones/{building}", json={"parent_id": server_room})
    error = _refused(cycle, 422, "parent_id")
    assert error["code"] == "zone_cycle"
    itself = admin.patch(f"/api/v1/zones/{floor}", json={"parent_id": floor})
    assert _refused(itself, 422, "parent_id")["code"] == "zone_cycle"
    assert _ok(admin.get(f"/api/v1/zones/{building}"))["parent_id"] is None
    assert _version(container, admin.tenant_id) == before
    # Moving a zone to the top and renaming it works and moves the version.
    moved = _ok(admin.patch(f"/api/v1/zones/{server_room}", json={"parent_id": None, "name": "DC"}))
    assert (moved["parent_id"], moved["name"]) == (None, "DC")
    assert _version(container, admin.tenant_id) == before + 1
    listed = _ok(admin.get("/api/v1/zones", params={"site_id": site}))
    assert {z["id"] for z in listed["items"]} == {building, floor, server_room}


def test_zone_references_outside_the_site_or_tenant_are_refused(admin: Actor) -> None:
    site, other_site = add_site(admin, "HQ"), add_site(admin, "Depot")
    depot_zone = _zone(admin, other_site, "Yard")
    b_admin = add_tenant(admin, "globex")
    b_site = add_site(b_admin, "B site")
    b_zone = _zone(b_admin, b_site, "B zone")
    _refused(admin.post("/api/v1/zones", json={"site_id": b_site, "name": "X"}), 422, "site_id")
    for parent in (depot_zone, b_zone, "f" * 32):
        body = {"site_id": site, "name": "X", "parent_id": parent}
        _refused(admin.post("/api/v1/zones", json=body), 422, "parent_id")
    _refused(admin.post("/api/v1/zones", json={"site_id": site, "name": " "}), 422, "name")
    assert admin.get(f"/api/v1/zones/{b_zone}").status_code == 404
    assert _ok(admin.get("/api/v1/zones"))["items"][0]["id"] == depot_zone
    duplicate = admin.post("/api/v1/zones", json={"site_id": other_site, "name": "Yard"})
    assert duplicate.status_code == 409, duplicate.text


def test_zone_in_use_cannot_be_deleted_until_free(admin: Actor) -> None:
    site = add_site(admin)
    outer = _zone(admin, site, "Outer")
    inner = _zone(admin, site, "Inner", outer)
    assert admin.delete(f"/api/v1/zones/{outer}").status_code == 409
    point = _point(admin, site, into_zone_id=inner)
    assert admin.delete(f"/api/v1/zones/{inner}").status_code == 409
    assert admin.delete(f"/api/v1/access-points/{point['id']}").status_code == 204
    assert admin.delete(f"/api/v1/zones/{inner}").status_code == 204
    assert admin.delete(f"/api/v1/zones/{outer}").status_code == 204
    assert _ok(admin.get("/api/v1/zones"))["items"] == []


# -- access points and devices -------------------------------------------------------------


def test_access_point_is_stored_with_its_rules_and_updated(admin: Actor) -> None:
    site = add_site(admin)
    lobby, office = _zone(admin, site, "Lobby"), _zone(admin, site, "Office")
    hours = _schedule(admin)
    point = _point(
        admin,
        site,
        into_zone_id=office,
        out_of_zone_id=lobby,
        door_mode="scheduled_unlock",
        unlock_schedule_id=hours,
        required_factors="face_and_card",
        multi_factor_window_seconds=15,
        anti_passback="hard",
        anti_passback_reset_minutes=1440,
        first_person_in=True,
    )
    assert point["door_mode"] == "scheduled_unlock"
    assert point["required_factors"] == "face_and_card"
    assert (point["anti_passback"], point["anti_passback_reset_minutes"]) == ("hard", 1440)
    assert (point["direction"], point["barrier"], point["first_person_in"]) == ("in", False, True)
    assert _ok(admin.get(f"/api/v1/access-points/{point['id']}")) == point
    changed = _ok(
        admin.patch(
            f"/api/v1/access-points/{point['id']}",
            json={"door_mode": "lockdown", "anti_passback_reset_minutes": None, "name": "Main"},
        )
    )
    assert (changed["door_mode"], changed["anti_passback_reset_minutes"]) == ("lockdown", None)
    assert changed["unlock_schedule_id"] == hours and changed["name"] == "Main"
    by_zone = _ok(admin.get("/api/v1/access-points", params={"zone_id": lobby}))
    assert [p["id"] for p in by_zone["items"]] == [point["id"]]
    assert {"access_point.created", "access_point.updated"} <= set(_actions(admin))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"door_mode": "scheduled_unlock"}, "unlock_schedule_id"),
        ({"unlock_schedule_id": "f" * 32}, "unlock_schedule_id"),
        ({"into_zone_id": "f" * 32}, "into_zone_id"),
        ({"out_of_zone_id": "f" * 32}, "out_of_zone_id"),
        ({"door_mode": "open_sesame"}, "door_mode"),
        ({"required_factors": "retina"}, "required_factors"),
        ({"anti_passback": "medium"}, "anti_passback"),
        ({"multi_factor_window_seconds": 0}, "multi_factor_window_seconds"),
        ({"anti_passback_reset_minutes": 0}, "anti_passback_reset_minutes"),
        ({"direction": "sideways"}, "direction"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_access_points_are_refused_naming_the_field(
    admin: Actor, container: Container, extra: dict[str, Any], field: str
) -> None:
    site = add_site(admin)
    before = _version(container, admin.tenant_id)
    response = admin.post("/api/v1/access-points", json={"site_id": site, "name": "D", **extra})
    _refused(response, 422, field)
    assert _ok(admin.get("/api/v1/access-points"))["items"] == []
    assert _version(container, admin.tenant_id) == before


def test_access_point_zones_must_be_of_its_site_and_tenant_and_differ(admin: Actor) -> None:
    site, depot = add_site(admin, "HQ"), add_site(admin, "Depot")
    here, there = _zone(admin, site, "Here"), _zone(admin, depot, "There")
    b_admin = add_tenant(admin, "globex")
    b_site = add_site(b_admin, "B")
    b_zone = _zone(b_admin, b_site, "B zone")
    b_schedule = _schedule(b_admin)
    for extra, field in (
        ({"into_zone_id": there}, "into_zone_id"),
        ({"into_zone_id": b_zone}, "into_zone_id"),
        ({"out_of_zone_id": b_zone}, "out_of_zone_id"),
        ({"into_zone_id": here, "out_of_zone_id": here}, "into_zone_id"),
        ({"unlock_schedule_id": b_schedule}, "unlock_schedule_id"),
    ):
        body = {"site_id": site, "name": "Door", **extra}
        _refused(admin.post("/api/v1/access-points", json=body), 422, field)
    body = {"site_id": b_site, "name": "Door"}
    _refused(admin.post("/api/v1/access-points", json=body), 422, "site_id")
    point = _point(admin, site, into_zone_id=here)
    moved = admin.patch(f"/api/v1/access-points/{point['id']}", json={"into_zone_id": there})
    _refused(moved, 422, "into_zone_id")
    clash = admin.post("/api/v1/access-points", json={"site_id": site, "name": "Front door"})
    assert clash.status_code == 409


def test_device_is_bound_to_an_access_point_of_its_site(admin: Actor, container: Container) -> None:
    site, depot = add_site(admin, "HQ"), add_site(admin, "Depot")
    device = add_device(admin, site)
    point = _point(admin, site)
    elsewhere = _point(admin, depot, "Depot gate")
    b_admin = add_tenant(admin, "globex")
    b_point = _point(b_admin, add_site(b_admin, "B"))
    url = f"/api/v1/devices/{device.id}/access-point"
    for foreign in (elsewhere["id"], b_point["id"], "f" * 32):
        _refused(admin.put(url, json={"access_point_id": foreign}), 422, "access_point_id")
    bound = _ok(admin.put(url, json={"access_point_id": point["id"]}))
    assert bound["access_point_id"] == point["id"]
    assert _ok(admin.get(f"/api/v1/devices/{device.id}"))["access_point_id"] == point["id"]
    # The device's principal carries its access point: no second look at its row.
    assert container.auth.authenticate(device.token).access_point_id == point["id"]
    assert admin.delete(f"/api/v1/access-points/{point['id']}").status_code == 409
    assert _ok(admin.put(url, json={"access_point_id": None}))["access_point_id"] is None
    assert container.auth.authenticate(device.token).access_point_id is None
    assert admin.delete(f"/api/v1/access-points/{point['id']}").status_code == 204
    assert admin.put(f"/api/v1/devices/{'f' * 32}/access-point", json={}).status_code == 404


# -- schedules and holidays ------------------------------------------------------------------


def test_schedule_round_trips_its_intervals_sorted(admin: Actor) -> None:
    body = {
        "name": "Shifts",
        "intervals": {"mon": ["13:00-18:00", "08:00-12:00"], "sun": ["22:00-24:00"]},
        "holiday_intervals": ["10:00-14:00"],
    }
    created = _ok(admin.post("/api/v1/schedules", json=body), 201)
    assert created["intervals"]["mon"] == ["08:00-12:00", "13:00-18:00"]
    assert created["intervals"]["sun"] == ["22:00-24:00"]
    assert created["intervals"]["tue"] == []
    assert created["holiday_intervals"] == ["10:00-14:00"]
    assert _ok(admin.get(f"/api/v1/schedules/{created['id']}")) == created
    renamed = _ok(admin.patch(f"/api/v1/schedules/{created['id']}", json={"name": "Late"}))
    assert renamed["intervals"] == created["intervals"] and renamed["name"] == "Late"
    week = _ok(
        admin.patch(
            f"/api/v1/schedules/{created['id']}", json={"intervals": {"tue": ["09:00-10:00"]}}
        )
    )
    assert week["intervals"]["mon"] == [] and week["intervals"]["tue"] == ["09:00-10:00"]
    assert week["holiday_intervals"] == ["10:00-14:00"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"intervals": {"mon": ["08:00-12:00", "11:00-13:00"]}}, "intervals.mon.1"),
        ({"intervals": {"tue": ["18:00-08:00"]}}, "intervals.tue.0"),
        ({"intervals": {"wed": ["22:00-06:00"]}}, "intervals.wed.0"),
        ({"intervals": {"thu": ["09:00-09:00"]}}, "intervals.thu.0"),
        ({"intervals": {"fri": ["25:00-26:00"]}}, "intervals.fri.0"),
        ({"intervals": {"sat": ["nine to five"]}}, "intervals.sat.0"),
        ({"intervals": {"funday": ["08:00-12:00"]}}, "intervals.funday"),
        ({"holiday_intervals": ["09:00-11:00", "10:00-12:00"]}, "holiday_intervals.1"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(
    admin: Actor, container: Container, body: dict[str, Any], field: str
) -> None:
    before = _version(container, admin.tenant_id)
    response = admin.post("/api/v1/schedules", json={"name": "Bad", **body})
    _refused(response, 422, field)
    assert _ok(admin.get("/api/v1/schedules"))["items"] == []
    good = _schedule(admin)
    update = admin.patch(f"/api/v1/schedules/{good}", json=body)
    _refused(update, 422, field)
    assert _ok(admin.get(f"/api/v1/schedules/{good}"))["intervals"]["mon"] == WORKDAYS["mon"]
    assert _version(container, admin.tenant_id) == before + 1  # the good one only


def test_schedule_in_use_cannot_be_deleted_and_names_are_unique(admin: Actor) -> None:
    hours = _schedule(admin)
    assert admin.post("/api/v1/schedules", json={"name": "Office hours"}).status_code == 409
    level = _ok(
        admin.post("/api/v1/access-levels", json={"name": "Staff", "schedule_id": hours}), 201
    )
    assert admin.delete(f"/api/v1/schedules/{hours}").status_code == 409
    assert admin.delete(f"/api/v1/access-levels/{level['id']}").status_code == 204
    assert admin.delete(f"/api/v1/schedules/{hours}").status_code == 204
    assert admin.get(f"/api/v1/schedules/{hours}").status_code == 404


def test_site_holidays_are_listed_by_date_and_unique_per_date(
    admin: Actor, container: Container
) -> None:
    site = add_site(admin)
    url = f"/api/v1/sites/{site}/holidays"
    spring = _ok(admin.post(url, json={"date": "2030-02-03", "name": "Spring Festival"}), 201)
    new_year = _ok(admin.post(url, json={"date": "2030-01-01", "name": "New Year"}), 201)
    assert [h["date"] for h in _ok(admin.get(url))] == ["2030-01-01", "2030-02-03"]
    assert admin.post(url, json={"date": "2030-01-01", "name": "Again"}).status_code == 409
    _refused(admin.post(url, json={"date": "2030-13-01", "name": "X"}), 422, "date")
    b_admin = add_tenant(admin, "globex")
    b_site = add_site(b_admin, "B")
    assert (
        admin.post(
            f"/api/v1/sites/{b_site}/holidays", json={"date": "2030-05-01", "name": "M"}
        ).status_code
        == 404
    )
    assert admin.delete(f"/api/v1/sites/{b_site}/holidays/{spring['id']}").status_code == 404
    other = add_site(admin, "Depot")
    assert admin.delete(f"/api/v1/sites/{other}/holidays/{spring['id']}").status_code == 404
    rules = container.access_rules.rules(admin_principal(admin))
    calendar = rules.calendar(site)
    assert calendar is not None
    assert calendar.holidays == {date(2030, 1, 1), date(2030, 2, 3)}
    assert admin.delete(f"{url}/{new_year['id']}").status_code == 204
    assert [h["id"] for h in _ok(admin.get(url))] == [spring["id"]]


# -- access levels and who holds them -------------------------------------------------------


def test_access_levels_hold_points_and_a_schedule_and_refuse_foreign_ones(
    admin: Actor, container: Container
) -> None:
    site = add_site(admin)
    hours = _schedule(admin)
    front, back = _point(admin, site, "Front")["id"], _point(admin, site, "Back")["id"]
    b_admin = add_tenant(admin, "globex")
    b_schedule = _schedule(b_admin)
    b_point = _point(b_admin, add_site(b_admin, "B"))["id"]
    levels = "/api/v1/access-levels"
    for body, field in (
        ({"schedule_id": b_schedule}, "schedule_id"),
        ({"schedule_id": "f" * 32}, "schedule_id"),
        ({"schedule_id": hours, "access_point_ids": [front, b_point]}, "access_point_ids"),
        ({"schedule_id": hours, "access_point_ids": ["nope"]}, "access_point_ids.0"),
    ):
        _refused(admin.post(levels, json={"name": "L", **body}), 422, field)
    level = _ok(
        admin.post(
            levels,
            json={"name": "Staff", "schedule_id": hours, "access_point_ids": [back, front, front]},
        ),
        201,
    )
    assert level["access_point_ids"] == sorted([front, back])
    only_front = _ok(admin.patch(f"{levels}/{level['id']}", json={"access_point_ids": [front]}))
    assert only_front["access_point_ids"] == [front]
    _refused(
        admin.patch(f"{levels}/{level['id']}", json={"schedule_id": b_schedule}), 422, "schedule_id"
    )
    opening_back = _ok(admin.get(levels, params={"access_point_id": back}))["items"]
    assert opening_back == []
    # Deleting an access point takes it out of its levels.
    assert admin.delete(f"/api/v1/access-points/{front}").status_code == 204
    assert _ok(admin.get(f"{levels}/{level['id']}"))["access_point_ids"] == []


def test_persons_hold_levels_within_windows_and_flags(admin: Actor, container: Container) -> None:
    site = add_site(admin)
    hours = _schedule(admin)
    door = _point(admin, site)["id"]
    level = _ok(
        admin.post(
            "/api/v1/access-levels",
            json={"name": "Staff", "schedule_id": hours, "access_point_ids": [door]},
        ),
        201,
    )["id"]
    person = _ok(admin.post("/api/v1/persons", json={"name": "Zhang San"}), 201)["id"]
    url = f"/api/v1/persons/{person}/access-levels/{level}"
    bad = admin.put(
        url, json={"valid_from": "2030-02-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}
    )
    _refused(bad, 422, "valid_until")
    naive = admin.put(url, json={"valid_from": "2030-02-01T00:00:00"})
    assert naive.status_code == 422
    held = _ok(admin.put(url, json={"valid_until": "2030-01-01T00:00:00+08:00"}))
    assert held["valid_until"].startswith("2029-12-31T16:00:00")
    assert [
        h["access_level_id"] for h in _ok(admin.get(f"/api/v1/persons/{person}/access-levels"))
    ] == [level]
    assert (
        admin.put(f"/api/v1/persons/{person}/access-levels/{'f' * 32}", json={}).status_code == 404
    )
    # Flags: block list, watch list, first-in privilege, validity.
    access = f"/api/v1/persons/{person}/access"
    assert _ok(admin.get(access))["blocked"] is False
    flagged = _ok(admin.patch(access, json={"watchlisted": True, "first_in_privileged": True}))
    assert (flagged["blocked"], flagged["watchlisted"], flagged["first_in_privileged"]) == (
        False,
        True,
        True,
    )
    inverted = admin.patch(
        access, json={"valid_from": "2031-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}
    )
    _refused(inverted, 422, "valid_until")
    _refused(admin.patch(access, json={"blocked": "maybe"}), 422, "blocked")
    # Editing the person's personal data keeps their access flags.
    _ok(admin.patch(f"/api/v1/persons/{person}", json={"notes": "moved desk"}))
    assert _ok(admin.get(access))["watchlisted"] is True
    # What the pipeline reads: facts, and the levels held at the instant.
    principal = admin_principal(admin)
    before = datetime(2029, 6, 1, tzinfo=UTC)
    after = datetime(2030, 6, 1, tzinfo=UTC)
    with container.tx.read() as uow:
        then = container.access_levels.person_access_in(uow, admin.tenant_id, person, before)
        later = container.access_levels.person_access_in(uow, admin.tenant_id, person, after)
        nobody = container.access_levels.person_access_in(uow, admin.tenant_id, "f" * 32, after)
    assert then is not None and later is not None and nobody is None
    assert then.facts.watchlisted and then.facts.first_in_privileged and not then.facts.blocked
    assert [lvl.id for lvl in then.levels] == [level]
    assert door in then.levels[0].access_point_ids
    assert later.levels == ()
    assert container.access_levels.person_facts(principal, person).watchlisted
    assert admin.delete(url).status_code == 204
    assert admin.delete(url).status_code == 404
    assert _ok(admin.get(f"/api/v1/persons/{person}/access-levels")) == []
    # Erasing a person erases what they held.
    _ok(admin.put(url, json={}))
    assert admin.delete(f"/api/v1/persons/{person}").status_code == 204
    assert admin.get(f"/api/v1/persons/{person}/access").status_code == 404


# -- the rules version and the cached rule set ------------------------------------------------


def test_rules_version_moves_with_every_change_and_the_rule_set_is_rebuilt_once(
    admin: Actor, container: Container
) -> None:
    tenant = admin.tenant_id
    site = add_site(admin)
    person = _ok(admin.post("/api/v1/persons", json={"name": "Li Si"}), 201)["id"]
    device = add_device(admin, site)
    seen = [_version(container, tenant)]

    def changed(response: Any, status: int = 200) -> Any:
        body = _ok(response, status) if status != 204 else None
        assert response.status_code == status, response.text
        seen.append(_version(container, tenant))
        assert seen[-1] == seen[-2] + 1, response.request.url
        return body

    zone = changed(admin.post("/api/v1/zones", json={"site_id": site, "name": "Z"}), 201)["id"]
    changed(admin.patch(f"/api/v1/zones/{zone}", json={"name": "Zone"}))
    hours = changed(
        admin.post("/api/v1/schedules", json={"name": "H", "intervals": WORKDAYS}), 201
    )["id"]
    changed(admin.patch(f"/api/v1/schedules/{hours}", json={"name": "Hours"}))
    point = changed(
        admin.post(
            "/api/v1/access-points", json={"site_id": site, "name": "P", "into_zone_id": zone}
        ),
        201,
    )["id"]
    changed(admin.patch(f"/api/v1/access-points/{point}", json={"barrier": True}))
    changed(admin.put(f"/api/v1/devices/{device.id}/access-point", json={"access_point_id": point}))
    level = changed(
        admin.post(
            "/api/v1/access-levels",
            json={"name": "L", "schedule_id": hours, "access_point_ids": [point]},
        ),
        201,
    )["id"]
    changed(admin.patch(f"/api/v1/access-levels/{level}", json={"name": "Level"}))
    holiday = changed(
        admin.post(f"/api/v1/sites/{site}/holidays", json={"date": "2030-01-01", "name": "NY"}), 201
    )["id"]
    changed(admin.put(f"/api/v1/persons/{person}/access-levels/{level}", json={}))
    changed(admin.patch(f"/api/v1/persons/{person}/access", json={"blocked": True}))
    card = changed(
        admin.post(
            f"/api/v1/persons/{person}/credentials", json={"kind": "card", "value": "04A1B2C3"}
        ),
        201,
    )["id"]
    changed(admin.post(f"/api/v1/persons/{person}/credentials/{card}/revoke"))
    # Reads move nothing; the rule set is built once per version.
    principal = admin_principal(admin)
    builds = container.access_rules.rule_set_builds
    rules = container.access_rules.rules(principal)
    assert container.access_rules.rules(principal) is rules
    assert container.access_rules.rule_set_builds == builds + 1
    assert rules.version == seen[-1]
    ap = rules.access_point(point)
    assert ap is not None and ap.barrier and ap.into_zone == zone
    assert ap.door_mode is DoorMode.NORMALLY_LOCKED and ap.required_factors is RequiredFactors.ANY
    assert ap.anti_passback.mode is AntiPassbackMode.NONE
    assert rules.point_sites[point] == site
    assert rules.levels[level].schedule.name == "Hours"
    assert rules.levels[level].access_point_ids == frozenset({point})
    assert rules.zones[zone].name == "Zone"
    calendar = rules.calendar_of(point)
    assert calendar is not None and date(2030, 1, 1) in calendar.holidays
    assert str(calendar.time_zone) == "Asia/Shanghai"
    assert _version(container, tenant) == seen[-1]
    # Deletions move it too, and the next read rebuilds.
    changed(admin.delete(f"/api/v1/sites/{site}/holidays/{holiday}"), 204)
    changed(admin.put(f"/api/v1/devices/{device.id}/access-point", json={"access_point_id": None}))
    changed(admin.delete(f"/api/v1/persons/{person}/access-levels/{level}"), 204)
    changed(admin.delete(f"/api/v1/access-levels/{level}"), 204)
    changed(admin.delete(f"/api/v1/access-points/{point}"), 204)
    changed(admin.delete(f"/api/v1/schedules/{hours}"), 204)
    changed(admin.delete(f"/api/v1/zones/{zone}"), 204)
    changed(admin.delete(f"/api/v1/persons/{person}"), 204)
    fresh = container.access_rules.rules(principal)
    assert fresh is not rules and fresh.version == seen[-1]
    assert fresh.access_points == {} and fresh.levels == {} and fresh.zones == {}
    assert container.access_rules.rule_set_builds == builds + 2
    actions = set(_actions(admin))
    assert {
        "zone.created",
        "zone.deleted",
        "schedule.created",
        "schedule.deleted",
        "holiday.added",
        "holiday.deleted",
        "access_level.created",
        "access_level.deleted",
        "access_point.deleted",
        "device.access_point_bound",
        "person.access_level_assigned",
        "person.access_level_removed",
        "person.access_flags_changed",
        "credential.issued",
        "credential.revoked",
    } <= actions


def test_other_tenants_rules_stay_apart_in_the_rule_set(admin: Actor, container: Container) -> None:
    b_admin = add_tenant(admin, "globex")
    mine = _point(admin, add_site(admin))["id"]
    theirs = _point(b_admin, add_site(b_admin, "B"))["id"]
    a_rules = container.access_rules.rules(admin_principal(admin))
    b_rules = container.access_rules.rules(admin_principal(b_admin))
    assert set(a_rules.access_points) == {mine}
    assert set(b_rules.access_points) == {theirs}
    assert a_rules.tenant_id != b_rules.tenant_id
    assert timedelta(seconds=10) == a_rules.access_points[mine].multi_factor_window
