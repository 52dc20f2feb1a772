"""Alerts as records (GET /api/v1/alerts, POST /api/v1/alerts/{id}/acknowledge): a
duress PIN raises an alert row in the event's transaction, operators list and
acknowledge it with a note (sealed, audited), and bad input is refused naming the field."""

from __future__ import annotations

from typing import Any

from gatepost.services.container import Container
from tests.integration.test_device_arrivals import Door, _ok
from tests.support.api import Actor, add_tenant, add_user

PIN, DURESS_PIN = "246810", "135791"


def _duress(admin: Actor) -> tuple[Door, str, dict[str, Any]]:
    door = Door(admin)
    ada = door.person("Ada Lovelace")
    door.credential(ada, kind="pin", value=PIN)
    door.credential(ada, kind="pin", value=DURESS_PIN, duress=True)
    decided = _ok(door.arrive("pin", DURESS_PIN))
    assert decided["outcome"] == "grant" and "duress" in decided["reasons"]
    return door, ada, decided


def test_a_duress_pin_raises_an_open_alert_with_its_event(admin: Actor) -> None:
    door, ada, decided = _duress(admin)
    _ok(door.arrive("pin", PIN))  # a normal PIN raises nothing
    page = _ok(admin.get("/api/v1/alerts"))
    assert len(page["items"]) == 1
    alert = page["items"][0]
    assert alert["kind"] == "duress" and alert["silent"] is True
    assert alert["event_id"] == decided["event_id"]
    assert alert["person_id"] == ada and alert["site_id"] == door.site
    assert alert["access_point_id"] == door.point["id"]
    assert alert["acknowledged_at"] is None
    assert _ok(admin.get(f"/api/v1/alerts/{alert['id']}")) == alert
    assert _ok(admin.get("/api/v1/alerts", params={"state": "open"}))["items"] == [alert]
    assert _ok(admin.get("/api/v1/alerts", params={"state": "acknowledged"}))["items"] == []
    assert _ok(admin.get("/api/v1/alerts", params={"kind": "blocked"}))["items"] == []
    assert "Ada" not in str(page)


def test_a_guard_acknowledges_an_alert_once_with_a_note_and_it_is_audited(
    admin: Actor, container: Container
) -> None:
    _door, _ada, _decided = _duress(admin)
    alert = _ok(admin.get("/api/v1/alerts"))["items"][0]
    guard = add_user(admin, "guard", username="night-guard")
    url = f"/api/v1/alerts/{alert['id']}/acknowledge"
    done = _ok(guard.post(url, json={"note": "Called the site; all well."}))
    assert done["acknowledged_by"] == f"user:{guard.id}"
    assert done["acknowledged_note"] == "Called the site; all well."
    again = guard.post(url, json={"note": "twice"})
    assert again.status_code == 409, again.text
    listed = _ok(admin.get("/api/v1/alerts", params={"state": "acknowledged"}))["items"]
    assert [a["id"] for a in listed] == [alert["id"]]
    assert listed[0]["acknowledged_note"] == "Called the site; all well."
    audit = _ok(admin.get("/api/v1/audit", params={"action": "alert.acknowledged"}))["items"]
    assert [e["target"] for e in audit] == [f"alert:{alert['id']}"]
    assert "all well" not in str(audit)
    # The note is free text: sealed at rest.
    with container.tx.read() as uow:
        stored = uow.alerts.get(tenant_id=admin.tenant_id, alert_id=alert["id"])
    assert stored is not None and stored.note_sealed is not None
    assert b"all well" not in stored.note_sealed


def test_acknowledging_without_a_note_or_with_bad_filters_is_refused_naming_the_field(
    admin: Actor,
) -> None:
    _duress(admin)
    alert = _ok(admin.get("/api/v1/alerts"))["items"][0]
    url = f"/api/v1/alerts/{alert['id']}/acknowledge"
    for body, field in (({}, "note"), ({"note": ""}, "note"), ({"note": "   "}, "note")):
        response = admin.post(url, json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        named = [error.get("field") or ""] + [
            d.get("field", "") for d in error.get("details") or []
        ]
        assert any(n.endswith(field) for n in named), response.text
    assert admin.post(url, json={"note": "x" * 501}).status_code == 422
    for params in ({"state": "closed"}, {"kind": "fire"}, {"site_id": "nope"}):
        assert admin.get("/api/v1/alerts", params=params).status_code == 422, params
    assert _ok(admin.get(f"/api/v1/alerts/{alert['id']}"))["acknowledged_at"] is None


def test_alerts_page_and_stay_within_their_tenant(admin: Actor) -> None:
    door, _ada, _ = _duress(admin)
    for _ in range(2):
        assert door.arrive("pin", DURESS_PIN).status_code == 200
    first = _ok(admin.get("/api/v1/alerts", params={"limit": 2}))
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = _ok(admin.get("/api/v1/alerts", params={"limit": 2, "cursor": first["next_cursor"]}))
    ids = [a["id"] for a in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3
    other = add_tenant(admin, "globex")
    assert _ok(other.get("/api/v1/alerts"))["items"] == []
    response = other.post(f"/api/v1/alerts/{ids[0]}/acknowledge", json={"note": "not mine"})
    assert response.status_code == 404
