"""Sites: create with an address and holiday calendar, and edit name, address, time
zone and calendar (PATCH). Every bad value is refused naming its field with nothing
changed; a duplicate name is a conflict; other tenants' sites are not found; the audit
entry names the changed fields, never their values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Actor, add_site, add_tenant, add_user


def _site(admin: Actor, site_id: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/sites/{site_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_site_update_changes_details_when_values_are_valid(admin: Actor) -> None:
    site_id = add_site(admin)
    response = admin.patch(
        f"/api/v1/sites/{site_id}",
        json={
            "name": "Head office",
            "address": "  1 Century Avenue,\n Pudong  ",
            "timezone": "Europe/Berlin",
            "holiday_country": "de",
            "holiday_subdivision": "BY",
        },
    )
    assert response.status_code == 200, response.text
    body = _site(admin, site_id)
    assert body["name"] == "Head office"
    assert body["address"] == "1 Century Avenue, Pudong"
    assert body["timezone"] == "Europe/Berlin"
    assert (body["holiday_country"], body["holiday_subdivision"]) == ("DE", "BY")
    entries = admin.get("/api/v1/audit", params={"action": "site.updated"}).json()["items"]
    assert entries[0]["details"]["fields"] == (
        "name,address,timezone,holiday_country,holiday_subdivision"
    )
    assert "Century" not in str(entries)


def test_site_update_keeps_omitted_fields_and_clears_null_ones(admin: Actor) -> None:
    created = admin.post(
        "/api/v1/sites",
        json={
            "name": "Depot",
            "timezone": "Asia/Shanghai",
            "address": "Gate 3",
            "holiday_country": "CN",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["holiday_country"] == "CN"
    site_id = created.json()["id"]
    response = admin.patch(f"/api/v1/sites/{site_id}", json={"address": None})
    assert response.status_code == 200, response.text
    body = _site(admin, site_id)
    assert body["address"] is None
    assert (body["name"], body["timezone"], body["holiday_country"]) == (
        "Depot",
        "Asia/Shanghai",
        "CN",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "CN", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"holiday_country": None, "holiday_subdivision": "BY"}, "holiday_subdivision"),
        ({"name": "   "}, "name"),
        ({"address": "x" * 501}, "address"),
    ],
)
def test_site_update_is_refused_when_a_value_is_invalid(
    admin: Actor, change: dict[str, Any], field: str
) -> None:
    site_id = add_site(admin)
    before = _site(admin, site_id)
    response = admin.patch(f"/api/v1/sites/{site_id}", json=change)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert _site(admin, site_id) == before


def test_site_create_is_refused_when_the_time_zone_is_unknown(admin: Actor) -> None:
    response = admin.post("/api/v1/sites", json={"name": "Nowhere", "timezone": "Asia/Atlantis"})
    assert response.status_code == 422, response.text
    assert "timezone" in response.text
    assert admin.get("/api/v1/sites").json()["items"] == []


def test_site_update_is_a_conflict_when_the_name_is_taken(admin: Actor) -> None:
    add_site(admin, "North gate")
    site_id = add_site(admin, "South gate")
    response = admin.patch(f"/api/v1/sites/{site_id}", json={"name": "North gate"})
    assert response.status_code == 409, response.text
    assert _site(admin, site_id)["name"] == "South gate"


def test_site_update_is_not_found_when_the_site_is_another_tenants(admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    site_id = add_site(other)
    response = admin.patch(f"/api/v1/sites/{site_id}", json={"name": "Mine now"})
    assert response.status_code == 404, response.text
    assert _site(other, site_id)["name"] == "HQ"


def test_site_update_is_forbidden_when_the_role_only_reads_sites(admin: Actor) -> None:
    site_id = add_site(admin)
    guard = add_user(admin, "guard")
    response = guard.patch(f"/api/v1/sites/{site_id}", json={"name": "Guarded"})
    assert response.status_code == 403, response.text
    assert _site(admin, site_id)["name"] == "HQ"
