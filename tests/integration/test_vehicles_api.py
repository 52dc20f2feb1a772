"""Known vehicles through the real API and database: plates normalised, checked against
the plate grammars, sealed at rest and found exactly through a blind index (issue 4)."""

from __future__ import annotations

from typing import Any

from tests.support.api import Actor, add_site, add_user

CN_PLATE = "京A12345"
BR_PLATE = "ABC1D23"


def _create(admin: Actor, **body: Any) -> Any:
    return admin.post("/api/v1/vehicles", json=body)


def _actions(admin: Actor) -> list[tuple[str, str, dict[str, Any]]]:
    entries = admin.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    return [(e["action"], e["target"], e["details"]) for e in entries]


def test_vehicles_with_chinese_and_brazilian_plates_are_created_normalised(
    admin: Actor,
) -> None:
    site_id = add_site(admin, "Car park")
    person = admin.post("/api/v1/persons", json={"name": "Wang Wu"})
    assert person.status_code == 201, person.text
    cn = _create(
        admin,
        plate="京a·12345",
        person_id=person.json()["id"],
        site_id=site_id,
        valid_from="2030-01-01T00:00:00Z",
        valid_until="2031-01-01T00:00:00+08:00",
        description="white van",
    )
    assert cn.status_code == 201, cn.text
    body = cn.json()
    assert body["plate"] == CN_PLATE
    assert body["region"] == "cn"
    assert body["list"] == "allow"
    assert body["person_id"] == person.json()["id"]
    assert body["site_id"] == site_id
    assert body["description"] == "white van"
    assert body["valid_from"].startswith("2030-01-01T00:00:00")
    br = _create(admin, plate="abc-1d23", region="br", list="deny")
    assert br.status_code == 201, br.text
    assert (br.json()["plate"], br.json()["region"], br.json()["list"]) == (BR_PLATE, "br", "deny")
    got = admin.get(f"/api/v1/vehicles/{body['id']}")
    assert got.status_code == 200
    assert got.json() == body
    listed = admin.get("/api/v1/vehicles").json()
    assert sorted(v["plate"] for v in listed["items"]) == sorted([CN_PLATE, BR_PLATE])
    deny = admin.get("/api/v1/vehicles", params={"list": "deny"}).json()["items"]
    assert [v["id"] for v in deny] == [br.json()["id"]]


def test_duplicate_plate_is_refused_with_409_in_any_spelling(admin: Actor) -> None:
    assert _create(admin, plate=CN_PLATE).status_code == 201
    for spelling in (CN_PLATE, "京a 12345", "京A-12345", "京Ａ１２３４５"):
        again = _create(admin, plate=spelling)
        assert again.status_code == 409, (spelling, again.text)
        assert again.json()["error"]["code"] == "conflict"
    other = _create(admin, plate="京A12346")
    assert other.status_code == 201
    moved = admin.patch(f"/api/v1/vehicles/{other.json()['id']}", json={"plate": CN_PLATE})
    assert moved.status_code == 409, moved.text


def test_invalid_plates_are_refused_with_422_naming_the_plate_field(admin: Actor) -> None:
    for body in (
        {"plate": "!!!"},
        {"plate": "京12345"},
        {"plate": "X"},
        {"plate": CN_PLATE, "region": "br"},
        {"plate": BR_PLATE, "region": "cn"},
    ):
        response = _create(admin, **body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["field"] == "plate", (body, error)
        assert "plate" in error["message"]
    unknown_region = _create(admin, plate=CN_PLATE, region="mars")
    assert unknown_region.status_code == 422
    assert unknown_region.json()["error"]["field"] == "region"
    bad_list = _create(admin, plate=CN_PLATE, list="maybe")
    assert bad_list.status_code == 422
    assert bad_list.json()["error"]["field"] == "list"
    backwards = _create(
        admin, plate=CN_PLATE, valid_from="2030-02-01T00:00:00Z", valid_until="2030-01-01T00:00:00Z"
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["field"] == "valid_until"
    assert admin.get("/api/v1/vehicles").json()["items"] == []


def test_exact_search_by_plate_through_the_body_and_the_query(admin: Actor) -> None:
    cn = _create(admin, plate=CN_PLATE).json()["id"]
    br = _create(admin, plate=BR_PLATE).json()["id"]
    _create(admin, plate="沪B54321")
    for plate, expected in ((CN_PLATE, cn), ("京 a 12345", cn), ("abc1d23", br)):
        searched = admin.post("/api/v1/vehicles/search", json={"plate": plate})
        assert searched.status_code == 200, searched.text
        assert [v["id"] for v in searched.json()["items"]] == [expected], plate
        listed = admin.post("/api/v1/vehicles/search", json={"plate": plate})
        assert listed.status_code == 200, listed.text
        assert [v["id"] for v in listed.json()["items"]] == [expected], plate
    for near in ("京A1234", "京A123456", "ABC1D2"):
        found = admin.post("/api/v1/vehicles/search", json={"plate": near}).json()
        assert found["items"] == [], near
    first = admin.post("/api/v1/vehicles/search", json={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = admin.post(
        "/api/v1/vehicles/search", json={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_update_is_partial_and_delete_removes_the_vehicle_with_audit(admin: Actor) -> None:
    person = admin.post("/api/v1/persons", json={"name": "Zhao Liu"}).json()["id"]
    created = _create(admin, plate=CN_PLATE, person_id=person, description="blue sedan").json()
    vehicle_id = created["id"]
    listed = admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": "deny"})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["list"], body["plate"], body["person_id"]) == ("deny", CN_PLATE, person)
    assert body["description"] == "blue sedan"
    replated = admin.patch(
        f"/api/v1/vehicles/{vehicle_id}", json={"plate": "abc-1234", "description": None}
    )
    assert replated.status_code == 200, replated.text
    assert (replated.json()["plate"], replated.json()["region"]) == ("ABC1234", "br")
    assert replated.json()["description"] is None
    assert admin.post("/api/v1/vehicles/search", json={"plate": CN_PLATE}).json()["items"] == []
    found = admin.post("/api/v1/vehicles/search", json={"plate": "ABC1234"}).json()["items"]
    assert [v["id"] for v in found] == [vehicle_id]
    extra = admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"plate_index": "00"})
    assert extra.status_code == 422
    # Erasing the person keeps the vehicle, no longer tied to anyone.
    assert admin.delete(f"/api/v1/persons/{person}").status_code == 204
    assert admin.get(f"/api/v1/vehicles/{vehicle_id}").json()["person_id"] is None
    deleted = admin.delete(f"/api/v1/vehicles/{vehicle_id}")
    assert deleted.status_code == 204
    assert admin.get(f"/api/v1/vehicles/{vehicle_id}").status_code == 404
    assert admin.delete(f"/api/v1/vehicles/{vehicle_id}").status_code == 404
    target = f"vehicle:{vehicle_id}"
    mine = [(a, d) for a, t, d in _actions(admin) if t == target]
    assert [a for a, _ in mine] == [
        "vehicle.deleted",
        "vehicle.updated",
        "vehicle.updated",
        "vehicle.created",
    ] or sorted(a for a, _ in mine) == [
        "vehicle.created",
        "vehicle.deleted",
        "vehicle.updated",
        "vehicle.updated",
    ]
    fields = {d.get("fields") for a, d in mine if a == "vehicle.updated"}
    assert fields == {"list", "description,plate"}
    logged = str(_actions(admin))
    assert CN_PLATE not in logged
    assert "ABC1234" not in logged


def test_guards_read_plates_and_cannot_write_them(admin: Actor) -> None:
    vehicle_id = _create(admin, plate=CN_PLATE).json()["id"]
    guard = add_user(admin, "guard")
    seen = guard.get(f"/api/v1/vehicles/{vehicle_id}")
    assert seen.status_code == 200
    assert seen.json()["plate"] == CN_PLATE
    assert guard.post("/api/v1/vehicles", json={"plate": "京A54321"}).status_code == 403
    assert guard.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": "deny"}).status_code == 403
    assert guard.delete(f"/api/v1/vehicles/{vehicle_id}").status_code == 403
    hr = add_user(admin, "hr")
    assert hr.get(f"/api/v1/vehicles/{vehicle_id}").status_code == 403
