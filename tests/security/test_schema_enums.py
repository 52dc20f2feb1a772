"""Fields with a fixed set of values are declared as enumerations in the OpenAPI document.

A client reads the valid values of ``role``, ``kind``, ``region`` and the rest from the
document instead of guessing, and a value outside the set is refused with a 422 naming
the field (before any service runs, so nothing changes). The document is the app's own
(``/api/openapi.json``), walked through ``$ref``, nullable unions and arrays.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.domain.access_points import DoorMode, RequiredFactors
from gatepost.domain.credentials import CredentialKind
from gatepost.domain.devices import SERVER_EVENT_KINDS, DeviceKind, DeviceRole, Direction, EventKind
from gatepost.domain.faces import Outcome as RecognitionOutcome
from gatepost.domain.identities import IdentityKind
from gatepost.domain.media import MediaKind
from gatepost.domain.persons import PersonKind, PersonStatus
from gatepost.domain.plates import PlateRegion
from gatepost.domain.vehicles import AccessList, GateDecision
from gatepost.domain.webhooks import NotificationType
from gatepost.domain.zones import AntiPassbackMode
from gatepost.security.permissions import USER_ROLES, Role
from gatepost.security.policy import PrincipalKind
from gatepost.vision.plates import PlateColor
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, now_iso

Values = frozenset[str]


def _values(members: Any) -> Values:
    return frozenset(member.value for member in members)


def _all(enum: type[StrEnum]) -> Values:
    return _values(enum)


# (schema, field) -> exactly the values it must declare. Each is a plain string on the
# wire; the enumeration comes from the domain (or, for users, the roles a user may hold).
ENUMERATED: dict[tuple[str, str], Values] = {
    **{
        (schema, "role"): _values(USER_ROLES)
        for schema in (
            "UserCreate",
            "UserUpdate",
            "UserPublic",
            "ApiKeyCreate",
            "ApiKeyPublic",
            "ApiKeyIssued",
        )
    },
    ("MePublic", "role"): _all(Role),
    ("MePublic", "kind"): _all(PrincipalKind),
    **{
        (schema, "kind"): _all(PersonKind)
        for schema in ("PersonCreate", "PersonUpdate", "PersonPublic")
    },
    **{
        (schema, "status"): _all(PersonStatus)
        for schema in ("PersonCreate", "PersonUpdate", "PersonPublic")
    },
    **{
        (schema, "identity_kind"): _all(IdentityKind)
        for schema in ("PersonCreate", "PersonUpdate", "PersonPublic", "PersonSearch")
    },
    **{(schema, "kind"): _all(DeviceKind) for schema in ("DeviceCreate", "DevicePublic")},
    **{(schema, "direction"): _all(Direction) for schema in ("DeviceCreate", "DevicePublic")},
    **{(schema, "roles"): _all(DeviceRole) for schema in ("DeviceCreate", "DevicePublic")},
    ("EventIn", "kind"): _values(k for k in EventKind if k not in SERVER_EVENT_KINDS),
    ("EventPublic", "kind"): _all(EventKind),
    ("MediaPublic", "kind"): _all(MediaKind),
    **{
        (schema, "region"): _all(PlateRegion)
        for schema in (
            "VehicleCreate",
            "VehicleUpdate",
            "VehiclePublic",
            "PlatePatternIn",
            "PlatePatternPublic",
            "PlateReadingPublic",
            "PlateLogEntryPublic",
        )
    },
    **{
        (schema, "regions"): _all(PlateRegion)
        for schema in ("SitePlateSettingsUpdate", "SitePlateSettingsPublic")
    },
    **{
        (schema, "color"): _all(PlateColor)
        for schema in ("PlateReadingPublic", "PlateLogEntryPublic")
    },
    **{
        (schema, "list"): _all(AccessList)
        for schema in ("VehicleCreate", "VehicleUpdate", "VehiclePublic", "VehicleSearch")
    },
    ("PlateReadPublic", "decision"): _all(GateDecision),
    ("RecognitionPublic", "decision"): _all(RecognitionOutcome),
    ("CredentialCreate", "kind"): _all(CredentialKind),
    **{
        (schema, "door_mode"): _all(DoorMode)
        for schema in ("AccessPointCreate", "AccessPointUpdate", "AccessPointPublic")
    },
    **{
        (schema, "anti_passback"): _all(AntiPassbackMode)
        for schema in ("AccessPointCreate", "AccessPointUpdate", "AccessPointPublic")
    },
    **{
        (schema, "required_factors"): _all(RequiredFactors)
        for schema in ("AccessPointCreate", "AccessPointUpdate", "AccessPointPublic")
    },
    ("WebhookDeliveryPublic", "event_type"): _all(NotificationType),
    ("WebhookPublic", "event_types"): _all(NotificationType) - {NotificationType.WEBHOOK_TEST},
}

# Field names that always take a fixed set of values, wherever they appear.
ENUM_NAMES = frozenset(
    {
        "anti_passback",
        "channel",
        "color",
        "decision",
        "direction",
        "door_mode",
        "event_type",
        "event_types",
        "identity_kind",
        "kind",
        "list",
        "region",
        "regions",
        "required_factors",
        "role",
        "roles",
        "severity",
        "status",
    }
)


def _enum_values(spec: dict[str, Any], prop: dict[str, Any]) -> Values | None:
    """The values ``prop`` declares (through $ref, arrays and nullable unions), or None."""
    schemas = spec["components"]["schemas"]
    if "$ref" in prop:
        return _enum_values(spec, schemas[prop["$ref"].rsplit("/", 1)[-1]])
    if "enum" in prop:
        return frozenset(prop["enum"])
    if "const" in prop:
        return frozenset({prop["const"]})
    if prop.get("type") == "array":
        return _enum_values(spec, prop["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in prop:
            found = [_enum_values(spec, sub) for sub in prop[key] if sub.get("type") != "null"]
            if not found or any(values is None for values in found):
                return None
            return frozenset().union(*found)  # type: ignore[arg-type]
    return None


@pytest.fixture
def spec(admin: Actor) -> dict[str, Any]:
    response = admin.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_known_enumerated_fields_declare_their_values_in_openapi(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    failures = []
    for (schema, field), expected in sorted(ENUMERATED.items()):
        prop = schemas.get(schema, {}).get("properties", {}).get(field)
        if prop is None:
            failures.append(f"{schema}.{field}: no such field")
            continue
        declared = _enum_values(spec, prop)
        if declared != expected:
            failures.append(f"{schema}.{field}: declares {declared}, expected {sorted(expected)}")
    assert failures == [], "\n".join(failures)


def test_every_field_named_like_an_enumeration_declares_one(spec: dict[str, Any]) -> None:
    failures = [
        f"{schema}.{field}"
        for schema, body in sorted(spec["components"]["schemas"].items())
        for field, prop in body.get("properties", {}).items()
        if field in ENUM_NAMES and _enum_values(spec, prop) is None
    ]
    assert failures == [], "plain strings where the values are a fixed set:\n" + "\n".join(failures)


def test_enumerated_query_parameters_declare_their_values(spec: dict[str, Any]) -> None:
    for path, name, expected in (("/api/v1/events", "kind", _all(EventKind)),):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert _enum_values(spec, params[name]["schema"]) == expected, (path, name)


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field, error


def test_values_outside_the_enumeration_are_422_naming_the_field(
    client: TestClient, admin: Actor
) -> None:
    users_before = admin.get("/api/v1/users").json()["items"]
    for role in ("superuser", "device", "ADMIN"):
        _refused(
            admin.post(
                "/api/v1/users",
                json={"username": "mallory", "password": STRONG_PASSWORD, "role": role},
            ),
            "role",
        )
        _refused(admin.post("/api/v1/api-keys", json={"name": "k", "role": role}), "role")
    assert admin.get("/api/v1/users").json()["items"] == users_before

    _refused(admin.post("/api/v1/persons", json={"name": "Ann", "kind": "alien"}), "kind")
    _refused(admin.post("/api/v1/persons", json={"name": "Ann", "status": "gone"}), "status")
    _refused(
        admin.post("/api/v1/persons", json={"name": "Ann", "identity_kind": "passport"}),
        "identity_kind",
    )
    assert admin.get("/api/v1/persons").json()["items"] == []

    site_id = add_site(admin)
    device = {"site_id": site_id, "name": "Gate", "kind": "turnstile"}
    _refused(admin.post("/api/v1/devices", json={**device, "kind": "drone"}), "kind")
    _refused(admin.post("/api/v1/devices", json={**device, "direction": "up"}), "direction")
    _refused(admin.post("/api/v1/devices", json={**device, "roles": ["bouncer"]}), "roles.0")
    _refused(admin.post("/api/v1/vehicles", json={"plate": "AB12CDE", "region": "uk"}), "region")
    _refused(admin.get("/api/v1/events", params={"kind": "door.exploded"}), "kind")
    passport = {"identity_kind": "passport", "identity_number": "X1"}
    _refused(admin.post("/api/v1/persons/search", json=passport), "identity_kind")

    # A device may not post gatepost's own kinds (an operator's remote open).
    gate = add_device(admin, site_id)
    event = {"idempotency_key": "k1", "kind": "door.remote_open", "occurred_at": now_iso(admin)}
    _refused(gate.post("/api/v1/device/events", json={"events": [event]}), "events.0.kind")
    assert admin.get("/api/v1/events").json()["items"] == []


def test_enumerated_values_are_plain_strings_on_the_wire(admin: Actor) -> None:
    created = admin.post(
        "/api/v1/users",
        json={"username": "olivia", "password": STRONG_PASSWORD, "role": "operator"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "operator"
    me = admin.get("/api/v1/auth/me").json()
    assert (me["kind"], me["role"]) == ("user", "admin")
    person = admin.post("/api/v1/persons", json={"name": "Ann", "kind": "visitor"})
    assert person.status_code == 201, person.text
    assert (person.json()["kind"], person.json()["status"]) == ("visitor", "active")
