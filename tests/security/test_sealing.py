"""Sealed values are bound to their place (SECURITY.md 7) and blind indexes are keyed,
per tenant, exact-match lookups (SECURITY.md 8)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.domain.vehicles import GateDecision
from gatepost.errors import CryptoError
from gatepost.security.crypto import TenantKeys, new_key
from gatepost.services.container import Container
from gatepost.vision.plates import PlateColor, PlateReading
from tests.support.api import Actor, add_device, add_site, add_tenant, admin_principal
from tests.support.identities import cn_number

ALICE = {
    "name": "Alice Sealwright",
    "identity_kind": "cn_resident",
    "identity_number": cn_number("11010119900307123"),
    "phone": "+8613800000001",
    "notes": "prefers the north gate",
}
BOB = {
    "name": "Bob Sealwright",
    "identity_kind": "cn_resident",
    "identity_number": cn_number("11010119850611456"),
    "phone": "+8613800000002",
    "notes": "night shift",
}


def _create(actor: Actor, body: dict[str, str]) -> str:
    response = actor.post("/api/v1/persons", json=body)
    assert response.status_code == 201, response.text
    person_id: str = response.json()["id"]
    return person_id


def _column(container: Container, column: str, person_id: str) -> bytes:
    with container.db.engine.connect() as conn:
        value = conn.execute(
            text(f"SELECT {column} FROM persons WHERE id = :id"),  # noqa: S608 - fixed names
            {"id": person_id},
        ).scalar_one()
    return bytes(value)


def _set_column(container: Container, column: str, person_id: str, value: bytes) -> None:
    with container.db.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE persons SET {column} = :value WHERE id = :id"),  # noqa: S608
            {"value": value, "id": person_id},
        )


# -- sealed values moved in the database ------------------------------------------------


SEALED_COLUMNS = ("name_sealed", "identity_sealed", "phone_sealed", "notes_sealed")


def test_sealed_value_fails_to_open_when_copied_to_another_row(
    admin: Actor, container: Container
) -> None:
    alice, bob = _create(admin, ALICE), _create(admin, BOB)
    principal = admin_principal(admin)
    for column in SEALED_COLUMNS:
        original = _column(container, column, bob)
        _set_column(container, column, bob, _column(container, column, alice))
        with pytest.raises(CryptoError):
            container.persons.get(principal, bob)
        _set_column(container, column, bob, original)
        assert container.persons.get(principal, bob).name == BOB["name"]
    assert container.persons.get(principal, alice).name == ALICE["name"]


def test_sealed_value_fails_to_open_when_copied_to_another_column(
    admin: Actor, container: Container
) -> None:
    alice = _create(admin, ALICE)
    principal = admin_principal(admin)
    for source, target in zip(SEALED_COLUMNS, SEALED_COLUMNS[1:] + SEALED_COLUMNS[:1], strict=True):
        original = _column(container, target, alice)
        _set_column(container, target, alice, _column(container, source, alice))
        with pytest.raises(CryptoError):
            container.persons.get(principal, alice)
        _set_column(container, target, alice, original)
        assert container.persons.get(principal, alice).name == ALICE["name"]


def test_sealed_value_fails_to_open_when_copied_to_another_tenant(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    alice = _create(admin, ALICE)
    bob = _create(beta, BOB)
    _set_column(container, "name_sealed", alice, _column(container, "name_sealed", bob))
    with pytest.raises(CryptoError):
        container.persons.get(admin_principal(admin), alice)
    assert container.persons.get(admin_principal(beta), bob).name == BOB["name"]


def test_moved_sealed_value_gives_500_without_internals(
    admin: Actor, container: Container, client: TestClient
) -> None:
    alice, bob = _create(admin, ALICE), _create(admin, BOB)
    _set_column(container, "name_sealed", bob, _column(container, "name_sealed", alice))
    response = admin.get(f"/api/v1/persons/{bob}")
    assert response.status_code == 500
    body = response.text
    assert response.json()["error"]["code"] == "crypto_error"
    for internal in ("InvalidTag", "Traceback", "gatepost/seal", "persons", ALICE["name"]):
        assert internal not in body


def test_sealed_value_fails_to_open_when_one_byte_is_flipped_in_the_database(
    admin: Actor, container: Container
) -> None:
    alice = _create(admin, ALICE)
    sealed = bytearray(_column(container, "name_sealed", alice))
    sealed[-5] ^= 0x01
    _set_column(container, "name_sealed", alice, bytes(sealed))
    with pytest.raises(CryptoError):
        container.persons.get(admin_principal(admin), alice)


# -- TenantKeys.open, unit level ------------------------------------------------------


def _keys(tenant_id: str = "a" * 32, data_key: bytes | None = None) -> TenantKeys:
    return TenantKeys(
        tenant_id=tenant_id,
        data_keys={1: data_key or new_key()},
        active_generation=1,
        index_key=new_key(),
        mac_key=new_key(),
    )


PLACE = {"table": "persons", "column": "name", "row_id": "b" * 32}


@pytest.mark.parametrize(
    "change",
    [
        {"table": "users"},
        {"column": "phone"},
        {"row_id": "c" * 32},
        {"row_id": "b" * 31},
        {"column": "name "},
        {"table": "persons|name"},
    ],
)
def test_open_fails_when_any_associated_data_component_changes(change: dict[str, str]) -> None:
    keys = _keys()
    sealed = keys.seal(b"Alice Sealwright", **PLACE)
    assert keys.open(sealed, **PLACE) == b"Alice Sealwright"
    with pytest.raises(CryptoError):
        keys.open(sealed, **{**PLACE, **change})


def test_open_fails_when_tenant_changes_even_with_the_same_data_key() -> None:
    shared = new_key()
    sealed = _keys("a" * 32, shared).seal(b"Alice", **PLACE)
    assert _keys("a" * 32, shared).open(sealed, **PLACE) == b"Alice"
    with pytest.raises(CryptoError):
        _keys("d" * 32, shared).open(sealed, **PLACE)


def test_aad_components_cannot_be_shifted_across_the_separator() -> None:
    keys = _keys()
    sealed = keys.seal(b"x", table="persons", column="name", row_id="r1")
    with pytest.raises(CryptoError):
        keys.open(sealed, table="persons|name", column="r1", row_id="")


def _flip(position: Callable[[int], int]) -> Callable[[bytes], bytes]:
    def tamper(sealed: bytes) -> bytes:
        data = bytearray(sealed)
        data[position(len(data))] ^= 0x01
        return bytes(data)

    return tamper


@pytest.mark.parametrize(
    "tamper",
    [
        _flip(lambda n: 0),  # version
        _flip(lambda n: 2),  # generation
        _flip(lambda n: 3),  # nonce
        _flip(lambda n: 14),  # nonce, last byte
        _flip(lambda n: 15),  # first ciphertext byte
        _flip(lambda n: n - 17),  # last ciphertext byte
        _flip(lambda n: n - 1),  # tag
        lambda s: s[:-1],  # truncated tag
        lambda s: s[:15],  # header and nonce only
        lambda s: s + b"\x00",  # extended
        lambda s: b"",
    ],
    ids=[
        "version",
        "generation",
        "nonce-first",
        "nonce-last",
        "ciphertext-first",
        "ciphertext-last",
        "tag",
        "truncated",
        "no-ciphertext",
        "extended",
        "empty",
    ],
)
def test_open_fails_when_sealed_bytes_are_tampered(tamper: Callable[[bytes], bytes]) -> None:
    keys = _keys()
    sealed = keys.seal(b"a sealed personal value", **PLACE)
    with pytest.raises(CryptoError):
        keys.open(tamper(sealed), **PLACE)


def test_sealed_layout_carries_version_generation_and_fresh_nonce() -> None:
    keys = _keys()
    first = keys.seal(b"same", **PLACE)
    second = keys.seal(b"same", **PLACE)
    assert struct.unpack_from(">BH", first) == (1, 1)
    assert first[3:15] != second[3:15], "a nonce was reused"
    assert first != second
    assert len(first) == 3 + 12 + len(b"same") + 16


# -- blind indexes -------------------------------------------------------------------


def _index_row(container: Container, person_id: str) -> dict[str, bytes]:
    with container.db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT name_index, identity_index, phone_index FROM persons WHERE id = :id"),
            {"id": person_id},
        ).one()
    return {"name": bytes(row[0]), "identity": bytes(row[1]), "phone": bytes(row[2])}


def test_blind_index_finds_exact_matches_through_the_api(admin: Actor) -> None:
    alice, bob = _create(admin, ALICE), _create(admin, BOB)
    number = str(ALICE["identity_number"])
    searches = [
        {"identity_number": number},
        {"identity_number": f"{number[:6]} {number[6:14]} {number[14:]}"},
        {"identity_number": number.lower(), "identity_kind": "cn_resident"},
        {"phone": ALICE["phone"]},
        {"phone": "+86 138-0000-0001"},
        {"name": ALICE["name"]},
        {"name": "  alice   SEALWRIGHT "},
    ]
    for params in searches:
        response = admin.post("/api/v1/persons/search", json=params)
        assert response.status_code == 200, response.text
        assert [p["id"] for p in response.json()["items"]] == [alice], params
    for params in ({"name": "Alice"}, {"phone": "+8613800000009"}):
        response = admin.post("/api/v1/persons/search", json=params)
        assert response.json()["items"] == [], params
    assert bob != alice


def test_blind_index_differs_between_tenants_for_the_same_value(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    in_alpha = _index_row(container, _create(admin, ALICE))
    in_beta = _index_row(container, _create(beta, ALICE))
    for field in ("name", "identity", "phone"):
        assert in_alpha[field] != in_beta[field], field
    found = beta.post("/api/v1/persons/search", json={"identity_number": ALICE["identity_number"]})
    assert len(found.json()["items"]) == 1


def _unkeyed_digests(value: str) -> set[bytes]:
    candidates = {
        value,
        value.lower(),
        value.casefold(),
        value.upper(),
        value.strip(),
        f"cn_resident:{value}",
        f"person.identity\x00cn_resident:{value}",
        f"person.phone\x00{value}",
        f"person.name\x00{value.casefold()}",
    }
    digests: set[bytes] = set()
    for candidate in candidates:
        raw = candidate.encode()
        for name in ("sha256", "sha1", "md5", "sha512", "sha3_256", "blake2b", "blake2s"):
            digest = hashlib.new(name, raw).digest()
            digests |= {digest, digest[:32], digest.hex().encode()[:32]}
    return digests


def test_blind_index_is_not_an_unkeyed_hash(admin: Actor, container: Container) -> None:
    alice = _create(admin, ALICE)
    stored = _index_row(container, alice)
    values = {
        "name": str(ALICE["name"]),
        "identity": str(ALICE["identity_number"]),
        "phone": str(ALICE["phone"]),
    }
    for field, value in values.items():
        assert stored[field] not in _unkeyed_digests(value), field
        assert len(stored[field]) == 32


# -- plates (vehicles) ----------------------------------------------------------------

PLATE = "京A12345"


def _vehicle(actor: Actor, plate: str, description: str | None = None) -> str:
    body: dict[str, str] = {"plate": plate}
    if description is not None:
        body["description"] = description
    response = actor.post("/api/v1/vehicles", json=body)
    assert response.status_code == 201, response.text
    vehicle_id: str = response.json()["id"]
    return vehicle_id


def _vehicle_row(container: Container, vehicle_id: str) -> dict[str, Any]:
    with container.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM vehicles WHERE id = :id"), {"id": vehicle_id}).one()
    return dict(row._mapping)


def test_plate_is_sealed_in_its_row_and_not_stored_in_clear(
    admin: Actor, container: Container
) -> None:
    vehicle_id = _vehicle(admin, "京a·12345", description="the red van")
    row = _vehicle_row(container, vehicle_id)
    stored = b"\n".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row.values()
    )
    for clear in (PLATE, "京a·12345", "A12345", "12345", "red van"):
        for encoded in (clear.encode(), clear.encode("utf-16-le"), clear.encode().hex().encode()):
            assert encoded not in stored, clear
    with container.db.session() as session:
        keys = container.keys.keys_for(session, tenant_id=admin.tenant_id)
    opened = keys.open_text(
        bytes(row["plate_sealed"]), table="vehicles", column="plate", row_id=vehicle_id
    )
    assert opened == PLATE
    assert row["region"] == "cn"
    assert len(bytes(row["plate_index"])) == 32
    assert bytes(row["plate_index"]) not in _unkeyed_digests(PLATE)
    assert bytes(row["plate_index"]) not in _unkeyed_digests(f"plate\x00{PLATE}")


def test_plate_index_differs_between_tenants_and_finds_only_their_own(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    in_alpha, in_beta = _vehicle(admin, PLATE), _vehicle(beta, PLATE)
    index_alpha = bytes(_vehicle_row(container, in_alpha)["plate_index"])
    index_beta = bytes(_vehicle_row(container, in_beta)["plate_index"])
    assert index_alpha != index_beta
    for actor, own in ((admin, in_alpha), (beta, in_beta)):
        found = actor.post("/api/v1/vehicles/search", json={"plate": "京 A 12345"}).json()
        assert [v["id"] for v in found["items"]] == [own]


def test_sealed_plate_fails_to_open_when_copied_to_another_row(
    admin: Actor, container: Container
) -> None:
    first, second = _vehicle(admin, PLATE), _vehicle(admin, "ABC1D23")
    sealed = bytes(_vehicle_row(container, first)["plate_sealed"])
    with container.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE vehicles SET plate_sealed = :v WHERE id = :id"),
            {"v": sealed, "id": second},
        )
    with pytest.raises(CryptoError):
        container.vehicles.get(admin_principal(admin), second)
    assert container.vehicles.get(admin_principal(admin), first).plate == PLATE


# -- plates (the gate log) ------------------------------------------------------------


def _plate_read(container: Container, device: Actor, plate: str, vehicle_id: str) -> str:
    """A device's read of ``plate`` logged through the service (no camera frame)."""
    principal = container.auth.authenticate(device.token)
    assert principal.site_id is not None
    prepared = container.plate_log.prepare(
        principal,
        reading=PlateReading(plate, 0.9, (0, 0, 40, 12), PlateColor.BLUE, "cn"),
        vehicle_id=vehicle_id,
        frame=b"",
    )
    assert prepared is not None
    with container.tx.write() as uow:
        container.plate_log.add(uow, prepared, decision=GateDecision.ALLOW)
    return prepared.id


def _read_row(container: Container, read_id: str) -> dict[str, Any]:
    with container.db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM plate_reads WHERE id = :id"), {"id": read_id}).one()
    return dict(row._mapping)


def test_plate_read_is_indexed_like_its_vehicle_and_sealed_to_its_row(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    first_vehicle, second_vehicle = _vehicle(admin, PLATE), _vehicle(admin, "京B54321")
    first = _plate_read(container, device, PLATE, first_vehicle)
    second = _plate_read(container, device, "京B54321", second_vehicle)
    row = _read_row(container, first)
    assert bytes(row["plate_index"]) == bytes(_vehicle_row(container, first_vehicle)["plate_index"])
    assert PLATE.encode() not in bytes(row["plate_sealed"])
    with container.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE plate_reads SET plate_sealed = :v WHERE id = :id"),
            {"v": bytes(row["plate_sealed"]), "id": second},
        )
    principal = admin_principal(admin)
    with pytest.raises(CryptoError):
        container.plate_log.get(principal, second)
    assert container.plate_log.get(principal, first).plate == PLATE
    beta = add_tenant(admin, "beta")
    beta_read = _plate_read(
        container, add_device(beta, add_site(beta)), PLATE, _vehicle(beta, PLATE)
    )
    assert _read_row(container, beta_read)["plate_index"] != row["plate_index"]
