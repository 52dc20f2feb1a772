"""The demo's access rules, set up by the administrator over the real API.

A site's zones (outside -> Lobby -> Office, and the Car park), three access points (the
lobby door, the office door with hard anti-passback, the car-park barrier), the staff's
hours and the cleaner's hours (drawn around the site's time now,
:mod:`gatepost.demo.hours`), two access levels, and the staff's credentials: cards, a
PIN and a duress PIN. Three devices with MQTT secrets are
registered and bound to the access points; what registration showed once (the broker
account and the MAC key) becomes each simulated device's identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gatepost.demo.hours import DemoHours
from gatepost.security.device_mqtt import decode_key
from gatepost.simulator import DeviceIdentity

__all__ = [
    "CARDS",
    "CLEANER",
    "DURESS_PIN",
    "PIN",
    "PIN_HOLDER",
    "STRANGER_CARD",
    "SiteRules",
    "set_up_rules",
]

Call = Callable[..., Any]
Check = Callable[[Any, int], Any]

CARDS: Final = {"Li Wei": "04A2B3C4D5", "Chen Jing": "04B7C1D2E3", "Ana Souza": "04C9D8E7F6"}
"""Each staff member's card number."""
PIN_HOLDER: Final = "Chen Jing"
PIN: Final = "2580"
DURESS_PIN: Final = "8052"
"""Chen Jing's duress PIN: it opens like her PIN and raises a silent alert."""
CLEANER: Final = "Ana Souza"
"""Holds the cleaning level only: hours on the other side of the day from now."""
STRANGER_CARD: Final = "04DEADBEEF"
"""A card nobody was given."""


@dataclass(frozen=True)
class SiteRules:
    """What the administrator set up: ids by name, and each device's identity."""

    zones: dict[str, str]
    points: dict[str, str]
    """Access point ids: ``lobby``, ``office``, ``barrier``."""
    devices: dict[str, DeviceIdentity]
    """The device bound to each access point, by the same keys."""
    device_names: dict[str, str]
    """Device id -> its name (for the report)."""


def _post(call: Call, check: Check, admin: str, path: str, body: dict[str, Any]) -> Any:
    return check(call("POST", path, admin, json=body), 201)


def _zones(call: Call, check: Check, admin: str, site_id: str) -> dict[str, str]:
    zones: dict[str, str] = {}
    for name, parent in (("Lobby", None), ("Office", "Lobby"), ("Car park", None)):
        body = {"site_id": site_id, "name": name, "parent_id": zones.get(parent or "")}
        zones[name] = _post(call, check, admin, "/api/v1/zones", body)["id"]
    return zones


def _points(call: Call, check: Check, admin: str, site_id: str, zones: dict[str, str]) -> Any:
    specs: dict[str, dict[str, Any]] = {
        "lobby": {"name": "Lobby door", "into_zone_id": zones["Lobby"]},
        "office": {
            "name": "Office door",
            "into_zone_id": zones["Office"],
            "out_of_zone_id": zones["Lobby"],
            "anti_passback": "hard",
        },
        "barrier": {"name": "Car park barrier", "into_zone_id": zones["Car park"], "barrier": True},
    }
    return {
        key: _post(call, check, admin, "/api/v1/access-points", {"site_id": site_id, **spec})["id"]
        for key, spec in specs.items()
    }


def _levels(
    call: Call, check: Check, admin: str, points: dict[str, str], hours: DemoHours
) -> dict[str, str]:
    levels = {}
    for level, schedule, week, keys in (
        ("Staff", f"Staff hours ({hours.staff_window})", hours.staff, ("lobby", "office")),
        ("Cleaning", f"Cleaning hours ({hours.cleaner_window})", hours.cleaner, ("lobby",)),
    ):
        body = {"name": schedule, "intervals": week, "holiday_intervals": []}
        schedule_id = _post(call, check, admin, "/api/v1/schedules", body)["id"]
        body = {
            "name": level,
            "schedule_id": schedule_id,
            "access_point_ids": [points[key] for key in keys],
        }
        levels[level] = _post(call, check, admin, "/api/v1/access-levels", body)["id"]
    return levels


def _credentials(
    call: Call, check: Check, admin: str, staff: dict[str, str], levels: dict[str, str]
) -> None:
    for name, person_id in staff.items():
        level = levels["Cleaning" if name == CLEANER else "Staff"]
        path = f"/api/v1/persons/{person_id}"
        check(call("PUT", f"{path}/access-levels/{level}", admin, json={}), 200)
        path = f"{path}/credentials"
        if name in CARDS:
            _post(call, check, admin, path, {"kind": "card", "value": CARDS[name]})
        if name == PIN_HOLDER:
            _post(call, check, admin, path, {"kind": "pin", "value": PIN})
            _post(call, check, admin, path, {"kind": "pin", "value": DURESS_PIN, "duress": True})


def _device(
    call: Call, check: Check, admin: str, site_id: str, point_id: str, spec: dict[str, Any]
) -> tuple[str, DeviceIdentity]:
    issued = _post(call, check, admin, "/api/v1/devices", {"site_id": site_id, **spec})
    body = {"access_point_id": point_id}
    check(call("PUT", f"/api/v1/devices/{issued['id']}/access-point", admin, json=body), 200)
    identity = DeviceIdentity(
        tenant_id=issued["mqtt_username"].partition(".")[0],
        device_id=issued["id"],
        mqtt_username=issued["mqtt_username"],
        mqtt_password=issued["mqtt_password"],
        mac_key=decode_key(issued["mqtt_mac_key"]),
    )
    return issued["name"], identity


def set_up_rules(
    call: Call,
    check: Check,
    admin: str,
    site_id: str,
    staff: dict[str, str],
    *,
    hours: DemoHours,
) -> SiteRules:
    """Set up the site's rules and MQTT devices over the API; ``staff`` maps each staff
    member's name to their person id (they get a level and their credentials), ``hours``
    are the two schedules' intervals."""
    zones = _zones(call, check, admin, site_id)
    points = _points(call, check, admin, site_id, zones)
    _credentials(call, check, admin, staff, _levels(call, check, admin, points, hours))
    specs: dict[str, dict[str, Any]] = {
        "lobby": {"name": "Lobby door (MQTT)", "kind": "door_controller"},
        "office": {"name": "Office door (MQTT)", "kind": "door_controller"},
        "barrier": {
            "name": "Car park camera (MQTT)",
            "kind": "barrier_gate",
            "roles": ["parking_entry"],
        },
    }
    devices, names = {}, {}
    for key, spec in specs.items():
        name, identity = _device(call, check, admin, site_id, points[key], spec)
        devices[key], names[identity.device_id] = identity, name
    return SiteRules(zones=zones, points=points, devices=devices, device_names=names)
