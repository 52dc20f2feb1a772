"""The core flow over HTTP on each database: setup, login, person, device, event."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.api import Actor, add_device, add_site


def test_person_device_event_flow_round_trips(admin: Actor) -> None:
    site_id = add_site(admin)
    person = admin.post(
        "/api/v1/persons",
        json={
            "name": "Zhang San",
            "identity_kind": "cn_resident",
            "identity_number": "11010519491231002X",
            "site_id": site_id,
        },
    )
    assert person.status_code == 201, person.text
    assert person.json()["identity_masked"] == "1101**********002X"
    device = add_device(admin, site_id)
    now = datetime.now(UTC).isoformat()
    event = {
        "idempotency_key": "e-1",
        "kind": "access.granted",
        "occurred_at": now,
        "person_id": person.json()["id"],
    }
    first = device.post("/api/v1/device/events", json={"events": [event]})
    again = device.post("/api/v1/device/events", json={"events": [event]})
    assert first.json()[0]["stored"] is True
    assert again.json()[0]["stored"] is False
    listed = admin.get("/api/v1/events").json()["items"]
    assert [e["person_id"] for e in listed] == [person.json()["id"]]


def test_person_search_in_body_finds_exact_identity_number(admin: Actor) -> None:
    created = admin.post(
        "/api/v1/persons",
        json={
            "name": "Wang Fang",
            "identity_kind": "cn_resident",
            "identity_number": "11010519491231002X",
            "phone": "13800138000",
        },
    ).json()
    admin.post("/api/v1/persons", json={"name": "Other Person"})
    found = admin.post(
        "/api/v1/persons/search", json={"identity_number": "110105 19491231 002x"}
    ).json()["items"]
    assert [p["id"] for p in found] == [created["id"]]
    by_phone = admin.post("/api/v1/persons/search", json={"phone": "138-0013-8000"}).json()
    assert [p["id"] for p in by_phone["items"]] == [created["id"]]
    by_name = admin.post("/api/v1/persons/search", json={"name": "wang  fang"}).json()
    assert [p["id"] for p in by_name["items"]] == [created["id"]]
