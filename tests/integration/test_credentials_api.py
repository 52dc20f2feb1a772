"""Credentials through the real API and database (issue 10, part 2): cards normalised,
PINs unique per tenant, QR codes generated and shown once, duress PINs, revocation;
values never at rest and never in an answer; resolving a presented value for the
arrival pipeline through the blind index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from gatepost.domain.credentials import CredentialKind
from gatepost.services.container import Container
from gatepost.store.tables import Base
from tests.support.api import Actor, add_tenant
from tests.support.leaks import remember
from tests.support.rows import row_counts

CARD = "04-a1 b2-c3 d4e5"
CARD_NORMALISED = "04A1B2C3D4E5"
PIN = "73915284"
DURESS_PIN = "84629173"


def _person(admin: Actor, name: str = "Zhang San") -> str:
    response = admin.post("/api/v1/persons", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _issue(admin: Actor, person_id: str, **body: Any) -> Any:
    return admin.post(f"/api/v1/persons/{person_id}/credentials", json=body)


def _resolve(container: Container, tenant_id: str, kind: CredentialKind, value: str) -> Any:
    with container.tx.read() as uow:
        return container.credentials.resolve(uow, tenant_id, kind, value)


def _raw_storage(container: Container) -> bytes:
    """Every byte the database holds (SQLite files), or every row as text (PostgreSQL)."""
    if container.db.is_sqlite:
        container.db.dispose()  # checkpoint the WAL into the main file
        path = Path(container.db.url.removeprefix("sqlite:///"))
        files = [path.with_name(path.name + s) for s in ("", "-wal", "-journal")]
        return b"\n".join(f.read_bytes() for f in files if f.exists())
    lines: list[str] = []
    with container.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - our own table names
            lines.extend(row for (row,) in conn.execute(text(query)))
    return "\n".join(lines).encode()


def test_card_is_normalised_labelled_and_resolved_in_any_spelling(
    admin: Actor, container: Container
) -> None:
    remember(CARD_NORMALISED)
    person = _person(admin)
    issued = _issue(admin, person, kind="card", value=CARD, valid_until="2031-01-01T00:00:00Z")
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert (body["kind"], body["label"], body["duress"], body["qr_text"]) == (
        "card",
        "D4E5",
        False,
        None,
    )
    assert body["person_id"] == person and body["revoked_at"] is None
    assert CARD_NORMALISED not in issued.text
    listed = admin.get(f"/api/v1/persons/{person}/credentials")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [body["id"]]
    assert "qr_text" not in listed.json()[0] and CARD_NORMALISED not in listed.text
    for spelling in (CARD_NORMALISED, "04a1b2c3d4e5", "04 A1 B2 C3 D4 E5"):
        found = _resolve(container, admin.tenant_id, CredentialKind.CARD, spelling)
        assert found is not None, spelling
        credential, owner = found
        assert (credential.id, owner) == (body["id"], person)
        assert credential.resolved.validity.valid_until is not None
    for miss in ("04A1B2C3D4E6", "not a card", ""):
        assert _resolve(container, admin.tenant_id, CredentialKind.CARD, miss) is None
    # The same digits as a PIN are another credential kind: no match.
    assert _resolve(container, admin.tenant_id, CredentialKind.PIN, "0411") is None


def test_a_value_is_held_by_one_live_credential_and_free_again_once_revoked(
    admin: Actor, container: Container
) -> None:
    first, second = _person(admin, "First"), _person(admin, "Second")
    card = _issue(admin, first, kind="card", value=CARD).json()
    taken = _issue(admin, second, kind="card", value=CARD_NORMALISED.lower())
    assert taken.status_code == 409, taken.text
    assert taken.json()["error"]["field"] == "value"
    assert taken.json()["error"]["code"] == "credential_taken"
    pin = _issue(admin, first, kind="pin", value=PIN)
    assert pin.status_code == 201, pin.text
    assert pin.json()["label"] is None
    pin_taken = _issue(admin, second, kind="pin", value=PIN)
    assert pin_taken.status_code == 409 and pin_taken.json()["error"]["field"] == "value"
    # Revoked: it resolves as revoked (refused as such, not as unknown) ...
    revoked = admin.post(f"/api/v1/persons/{first}/credentials/{card['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    again = admin.post(f"/api/v1/persons/{first}/credentials/{card['id']}/revoke")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    found = _resolve(container, admin.tenant_id, CredentialKind.CARD, CARD)
    assert found is not None and found[0].resolved.revoked and found[1] == first
    # ... until the card is issued again, to someone else.
    reissued = _issue(admin, second, kind="card", value=CARD)
    assert reissued.status_code == 201, reissued.text
    found = _resolve(container, admin.tenant_id, CredentialKind.CARD, CARD)
    assert found is not None and found[1] == second and not found[0].revoked
    # Another tenant may hold the same card number; each resolves its own.
    b_admin = add_tenant(admin, "globex")
    b_person = _person(b_admin, "B person")
    assert _issue(b_admin, b_person, kind="card", value=CARD).status_code == 201
    b_found = _resolve(container, b_admin.tenant_id, CredentialKind.CARD, CARD)
    assert b_found is not None and b_found[1] == b_person


def test_duress_pin_resolves_as_duress(admin: Actor, container: Container) -> None:
    person = _person(admin)
    assert _issue(admin, person, kind="pin", value=PIN).status_code == 201
    duress = _issue(admin, person, kind="pin", value=DURESS_PIN, duress=True)
    assert duress.status_code == 201, duress.text
    assert duress.json()["duress"] is True
    normal = _resolve(container, admin.tenant_id, CredentialKind.PIN, PIN)
    alarm = _resolve(container, admin.tenant_id, CredentialKind.PIN, DURESS_PIN)
    assert normal is not None and alarm is not None
    assert (normal[0].resolved.duress, alarm[0].resolved.duress) == (False, True)
    assert normal[1] == alarm[1] == person


def test_qr_code_is_generated_shown_once_and_resolved(admin: Actor, container: Container) -> None:
    person = _person(admin)
    issued = _issue(admin, person, kind="qr")
    assert issued.status_code == 201, issued.text
    qr_text = issued.json()["qr_text"]
    remember(qr_text)
    assert qr_text.startswith("gpq1.") and len(qr_text) >= 30
    assert issued.json()["label"] is None
    second = _issue(admin, person, kind="qr").json()["qr_text"]
    assert second != qr_text
    listed = admin.get(f"/api/v1/persons/{person}/credentials").text
    assert qr_text not in listed and second not in listed
    found = _resolve(container, admin.tenant_id, CredentialKind.QR, qr_text)
    assert found is not None and found[1] == person
    assert _resolve(container, admin.tenant_id, CredentialKind.QR, qr_text + "x") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "iris", "value": "1234"}, "kind"),
        ({"kind": "CARD", "value": "1234"}, "kind"),
        ({"value": "1234"}, "kind"),
        ({"kind": "card"}, "value"),
        ({"kind": "card", "value": "04A1-ZZ"}, "value"),
        ({"kind": "card", "value": "12"}, "value"),
        ({"kind": "card", "value": "A" * 33}, "value"),
        ({"kind": "pin"}, "value"),
        ({"kind": "pin", "value": "123"}, "value"),
        ({"kind": "pin", "value": "1234567890123"}, "value"),
        ({"kind": "pin", "value": "12a4"}, "value"),
        ({"kind": "pin", "value": " 1234"}, "value"),
        ({"kind": "qr", "value": "chosen-by-client-123456"}, "value"),
        ({"kind": "card", "value": "04A1B2", "duress": True}, "duress"),
        ({"kind": "qr", "duress": True}, "duress"),
        (
            {
                "kind": "pin",
                "value": "4321",
                "valid_from": "2031-01-01T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
            "valid_until",
        ),
        ({"kind": "pin", "value": "4321", "valid_from": "2031-01-01T00:00:00"}, "valid_from"),
        ({"kind": "pin", "value": "4321", "revoked_at": None}, "revoked_at"),
        ({"kind": "pin", "value": "4321", "label": "mine"}, "label"),
    ],
)
def test_bad_credentials_are_refused_naming_the_field_and_change_nothing(
    admin: Actor, container: Container, body: dict[str, Any], field: str
) -> None:
    person = _person(admin)
    before = row_counts(container)
    response = _issue(admin, person, **body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert row_counts(container) == before
    assert admin.get(f"/api/v1/persons/{person}/credentials").json() == []


def test_credentials_of_other_persons_and_tenants_are_not_found(admin: Actor) -> None:
    person, other = _person(admin, "One"), _person(admin, "Two")
    card = _issue(admin, person, kind="card", value=CARD).json()["id"]
    b_admin = add_tenant(admin, "globex")
    b_person = _person(b_admin, "B")
    for url in (
        f"/api/v1/persons/{other}/credentials/{card}/revoke",
        f"/api/v1/persons/{b_person}/credentials/{card}/revoke",
        f"/api/v1/persons/{'f' * 32}/credentials/{card}/revoke",
    ):
        assert admin.post(url).status_code == 404, url
    assert admin.get(f"/api/v1/persons/{b_person}/credentials").status_code == 404
    assert _issue(admin, b_person, kind="pin", value="5555").status_code == 404
    assert b_admin.post(f"/api/v1/persons/{person}/credentials/{card}/revoke").status_code == 404
    assert admin.get(f"/api/v1/persons/{person}/credentials").json()[0]["revoked_at"] is None


def test_no_credential_value_is_at_rest_or_in_the_audit_trail(
    admin: Actor, container: Container
) -> None:
    person = _person(admin)
    assert _issue(admin, person, kind="card", value=CARD).status_code == 201
    assert _issue(admin, person, kind="pin", value=PIN).status_code == 201
    assert _issue(admin, person, kind="pin", value=DURESS_PIN, duress=True).status_code == 201
    qr_text = _issue(admin, person, kind="qr").json()["qr_text"]
    audit = admin.get("/api/v1/audit", params={"limit": 200}).text
    raw = _raw_storage(container)
    assert person.encode() in raw, "control: the raw storage holds the live rows"
    for value in (CARD_NORMALISED, CARD_NORMALISED.lower(), CARD, PIN, DURESS_PIN, qr_text):
        assert value.encode() not in raw, value
        assert value.encode("utf-16-le") not in raw, value
        assert value not in audit, value
    assert b"D4E5" in raw, "control: the card's printed label is the one visible part"
