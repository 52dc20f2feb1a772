"""The audit trail: who did what, why and when (SECURITY.md 23), in a hash chain that
`gatepost audit verify` checks (SECURITY.md 24)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from gatepost.domain.identities import cn_resident_check_digit
from gatepost.domain.ports import FixedClock
from gatepost.services.container import Container
from gatepost.settings import Settings
from gatepost.store.tables import AuditEntry
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_tenant, add_user
from tests.support.cli import run_cli
from tests.support.services import not_applicable

IDENTITY = "11010519491231002" + cn_resident_check_digit("11010519491231002")


def entries(container: Container, tenant_id: str | None = None) -> list[AuditEntry]:
    with container.db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.tenant_id, AuditEntry.seq)
        if tenant_id is not None:
            query = query.where(AuditEntry.tenant_id == tenant_id)
        return list(session.scalars(query).all())


def total(container: Container) -> int:
    with container.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def last(container: Container, tenant_id: str, action: str) -> AuditEntry:
    found = [e for e in entries(container, tenant_id) if e.action == action]
    assert found, f"no {action} entry; have {[e.action for e in entries(container, tenant_id)]}"
    return found[-1]


def _login(client: TestClient, username: str, password: str) -> Any:
    response = client.post(
        "/api/v1/auth/login", json={"tenant": "acme", "username": username, "password": password}
    )
    client.cookies.clear()
    return response


# -- what is recorded ---------------------------------------------------------------


def test_login_success_and_failure_are_audited(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    assert _login(client, "admin", STRONG_PASSWORD).status_code == 200
    ok = last(container, admin.tenant_id, "auth.login")
    assert (ok.actor, ok.outcome, ok.at) == (f"user:{admin.id}", "ok", clock.now())
    assert ok.target.startswith("session:")

    assert _login(client, "admin", "Wrong-Password-123").status_code == 401
    denied = last(container, admin.tenant_id, "auth.login")
    assert (denied.actor, denied.outcome, denied.at) == (f"user:{admin.id}", "denied", clock.now())
    assert "Wrong-Password-123" not in str(denied.details)

    assert _login(client, "nobody-here", "Wrong-Password-123").status_code == 401
    unknown = last(container, admin.tenant_id, "auth.login")
    assert (unknown.actor, unknown.outcome) == ("anonymous", "denied")
    assert "nobody-here" not in f"{unknown.details}{unknown.target}"


def test_failed_authorization_is_audited(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    guard = add_user(admin, "guard", "guard-user")
    before = total(container)
    response = guard.post(
        "/api/v1/users", json={"username": "sneaky", "password": STRONG_PASSWORD, "role": "admin"}
    )
    assert response.status_code == 403
    assert total(container) == before + 1
    denied = last(container, admin.tenant_id, "authz.denied")
    assert denied.actor == f"user:{guard.id}"
    assert denied.outcome == "denied"
    assert denied.details == {"permission": "tenant:users:write"}
    assert denied.at == clock.now()


def test_person_creation_and_identity_reveal_are_audited_with_purpose(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    created = admin.post(
        "/api/v1/persons",
        json={
            "name": "Audited Person",
            "identity_kind": "cn_resident",
            "identity_number": IDENTITY,
        },
    )
    assert created.status_code == 201, created.text
    person_id = created.json()["id"]
    entry = last(container, admin.tenant_id, "person.created")
    assert (entry.actor, entry.target, entry.at) == (
        f"user:{admin.id}",
        f"person:{person_id}",
        clock.now(),
    )
    reason = "visitor   desk check, ticket 4411"
    revealed = admin.post(f"/api/v1/persons/{person_id}/reveal", json={"reason": reason})
    assert revealed.status_code == 200, revealed.text
    reveal = last(container, admin.tenant_id, "person.identity_revealed")
    assert reveal.actor == f"user:{admin.id}"
    assert reveal.target == f"person:{person_id}"
    assert reveal.purpose == "visitor desk check, ticket 4411"
    assert reveal.at == clock.now()
    for entry in entries(container, admin.tenant_id):
        blob = f"{entry.purpose}{entry.target}{entry.details}"
        assert IDENTITY not in blob and "Audited Person" not in blob


def test_device_registration_and_revocation_are_audited(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    device = add_device(admin, add_site(admin))
    registered = last(container, admin.tenant_id, "device.registered")
    assert (registered.actor, registered.target, registered.at) == (
        f"user:{admin.id}",
        f"device:{device.id}",
        clock.now(),
    )
    assert admin.post(f"/api/v1/devices/{device.id}/revoke").status_code == 200
    revoked = last(container, admin.tenant_id, "device.revoked")
    assert (revoked.actor, revoked.target) == (f"user:{admin.id}", f"device:{device.id}")


def test_user_creation_and_disabling_are_audited(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    user = add_user(admin, "hr", "hr-user")
    created = last(container, admin.tenant_id, "user.created")
    assert (created.actor, created.target, created.details) == (
        f"user:{admin.id}",
        f"user:{user.id}",
        {"role": "hr"},
    )
    assert created.at == clock.now()
    assert admin.patch(f"/api/v1/users/{user.id}", json={"disabled": True}).status_code == 200
    updated = last(container, admin.tenant_id, "user.updated")
    assert updated.target == f"user:{user.id}"
    assert updated.details.get("disabled") == "true"


def test_key_rotation_is_audited_in_every_tenant(
    admin: Actor, container: Container, settings: Settings
) -> None:
    beta = add_tenant(admin, "beta")
    run_cli(settings, "keys", "rotate")  # its exit status is checked in test_keys.py
    for tenant_id in (admin.tenant_id, beta.tenant_id):
        entry = last(container, tenant_id, "keys.kek_rotated")
        assert entry.actor == "cli:operator"
        assert entry.target == f"tenant:{tenant_id}"


def test_key_shredding_is_audited_outside_the_shredded_tenant(
    admin: Actor, container: Container, settings: Settings
) -> None:
    beta = add_tenant(admin, "beta")
    result = run_cli(settings, "keys", "shred", "--tenant", "beta", "--yes")
    assert result.exit_code == 0, result.output
    kept = [e for e in entries(container) if e.tenant_id != beta.tenant_id]
    shred = [e for e in kept if e.action.startswith("keys.") and beta.tenant_id in e.target]
    assert shred, "crypto-shredding a tenant left no audit entry anywhere"


def test_failed_requests_leave_no_audit_entry(admin: Actor, container: Container) -> None:
    site = add_site(admin)
    first = admin.post(
        "/api/v1/persons",
        json={"name": "Only Once", "identity_kind": "cn_resident", "identity_number": IDENTITY},
    )
    assert first.status_code == 201
    person_id = first.json()["id"]
    before = total(container)
    bad_check = IDENTITY[:-1] + ("0" if IDENTITY[-1] != "0" else "1")
    failing = [
        (
            "/api/v1/persons",
            {"name": "Bad Number", "identity_kind": "cn_resident", "identity_number": bad_check},
            422,
        ),
        (
            "/api/v1/persons",
            {"name": "Duplicate", "identity_kind": "cn_resident", "identity_number": IDENTITY},
            409,
        ),
        ("/api/v1/persons", {"name": "Bad Phone", "phone": "call me"}, 422),
        (
            "/api/v1/users",
            {"username": "weak-user", "password": "password1234", "role": "guard"},
            422,
        ),
        ("/api/v1/devices", {"site_id": "0" * 32, "name": "Ghost", "kind": "turnstile"}, 422),
        ("/api/v1/devices", {"site_id": site, "name": "Bad Kind", "kind": "toaster"}, 422),
        (f"/api/v1/persons/{person_id}/reveal", {"reason": "no"}, 422),
        ("/api/v1/sites", {"name": "Extra", "tenant_id": admin.tenant_id}, 422),
    ]
    for url, body, status in failing:
        response = admin.post(url, json=body)
        assert response.status_code == status, (url, response.text)
    assert total(container) == before
    persons = admin.get("/api/v1/persons").json()["items"]
    assert [p["name"] for p in persons] == ["Only Once"]


# -- the hash chain -----------------------------------------------------------------


@pytest.fixture
def chain(admin: Actor, container: Container) -> Iterator[dict[str, Any]]:
    for index in range(3):
        response = admin.post("/api/v1/persons", json={"name": f"Chain Person {index}"})
        assert response.status_code == 201
    person_id = response.json()["id"]
    assert (
        admin.post(
            f"/api/v1/persons/{person_id}/reveal", json={"reason": "chain test reason"}
        ).status_code
        == 200
    )
    rows = entries(container, admin.tenant_id)
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 6
    yield {"tenant_id": admin.tenant_id, "seqs": [e.seq for e in rows]}
    if not container.db.is_sqlite:
        with container.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete"))


def _as_attacker(container: Container, act: Callable[[Connection], None]) -> None:
    """Tamper with direct database access, first removing the append-only triggers."""
    with container.db.engine.begin() as conn:
        if container.db.is_sqlite:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete"))
        act(conn)


def _edit_purpose(tenant_id: str, seqs: list[int]) -> Callable[[Connection], None]:
    def act(conn: Connection) -> None:
        conn.execute(
            text("UPDATE audit_log SET purpose = :p WHERE tenant_id = :t AND seq = :s"),
            {"p": "routine check", "t": tenant_id, "s": seqs[-1]},
        )

    return act


def _delete(position: int) -> Callable[[str, list[int]], Callable[[Connection], None]]:
    def build(tenant_id: str, seqs: list[int]) -> Callable[[Connection], None]:
        def act(conn: Connection) -> None:
            conn.execute(
                text("DELETE FROM audit_log WHERE tenant_id = :t AND seq = :s"),
                {"t": tenant_id, "s": seqs[position]},
            )

        return act

    return build


def _swap(tenant_id: str, seqs: list[int]) -> Callable[[Connection], None]:
    a, b = seqs[2], seqs[3]

    def act(conn: Connection) -> None:
        move = text("UPDATE audit_log SET seq = :new WHERE tenant_id = :t AND seq = :old")
        conn.execute(move, {"new": -1, "t": tenant_id, "old": a})
        conn.execute(move, {"new": a, "t": tenant_id, "old": b})
        conn.execute(move, {"new": b, "t": tenant_id, "old": -1})

    return act


def _edit_actor(tenant_id: str, seqs: list[int]) -> Callable[[Connection], None]:
    def act(conn: Connection) -> None:
        conn.execute(
            text("UPDATE audit_log SET actor = :a WHERE tenant_id = :t AND seq = :s"),
            {"a": "user:" + "0" * 32, "t": tenant_id, "s": seqs[2]},
        )

    return act


@pytest.mark.parametrize(
    "tamper",
    [_edit_purpose, _edit_actor, _delete(2), _delete(-1), _swap],
    ids=["edit-purpose", "edit-actor", "delete-middle", "delete-last", "swap-seq"],
)
def test_audit_verify_detects_tampering(
    chain: dict[str, Any],
    container: Container,
    settings: Settings,
    tamper: Callable[[str, list[int]], Callable[[Connection], None]],
) -> None:
    intact = run_cli(settings, "audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output
    _as_attacker(container, tamper(chain["tenant_id"], chain["seqs"]))
    broken = run_cli(settings, "audit", "verify")
    assert broken.exit_code == 1, broken.output
    assert "BROKEN" in broken.output


def test_audit_log_refuses_update_and_delete(chain: dict[str, Any], container: Container) -> None:
    statements = [
        "UPDATE audit_log SET purpose = 'rewritten' WHERE tenant_id = :t",
        "DELETE FROM audit_log WHERE tenant_id = :t",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError), container.db.engine.begin() as conn:
            conn.execute(text(statement), {"t": chain["tenant_id"]})
    assert [e.seq for e in entries(container, chain["tenant_id"])] == chain["seqs"]
    assert {e.purpose for e in entries(container, chain["tenant_id"])} >= {"chain test reason"}


# -- rows broken by direct database writes ------------------------------------------

# (name, SQL value expression, dialects it can be stored in): PostgreSQL types ``at`` as
# a timestamp and ``details`` as JSON, so there only valid JSON of the wrong shape fits.
_MALFORMED = [
    ("time-not-a-timestamp", "at", "'2026-12-04 17X26:00.086208'", {"sqlite"}),
    ("details-not-json", "details", """'{"broken": '""", {"sqlite"}),
    ("details-a-list", "details", "'[1, 2]'", {"sqlite", "postgresql"}),
    ("details-null", "details", "'null'", {"sqlite", "postgresql"}),
    ("details-a-number-value", "details", """'{"role": 5}'""", {"sqlite", "postgresql"}),
    ("details-nested", "details", """'{"role": {"a": "b"}}'""", {"sqlite", "postgresql"}),
    ("actor-not-text", "actor", "X'0102'", {"sqlite"}),
    ("mac-not-bytes", "mac", "'not a mac'", {"sqlite"}),
]


@pytest.fixture(params=_MALFORMED, ids=[m[0] for m in _MALFORMED])
def malformed(request: pytest.FixtureRequest, chain: dict[str, Any], container: Container) -> int:
    """Break one middle entry of the chain with SQL; the broken entry's seq."""
    _name, column, value, dialects = request.param
    dialect = "sqlite" if container.db.is_sqlite else "postgresql"
    if dialect not in dialects:
        not_applicable(f"{dialect} cannot store this value in audit_log.{column}")
    if column == "details" and dialect == "postgresql":
        value = f"CAST({value} AS JSON)"
    seq = chain["seqs"][2]

    def act(conn: Connection) -> None:
        conn.execute(
            text(f"UPDATE audit_log SET {column} = {value} WHERE tenant_id = :t AND seq = :s"),  # noqa: S608 - fixed test values
            {"t": chain["tenant_id"], "s": seq},
        )

    _as_attacker(container, act)
    return seq


def test_audit_verify_reports_an_unreadable_entry_and_goes_on(
    malformed: int, chain: dict[str, Any], container: Container, settings: Settings
) -> None:
    # A second, separate break further on: verification must get past the unreadable one.
    _as_attacker(container, _edit_purpose(chain["tenant_id"], chain["seqs"]))
    result = run_cli(settings, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "Traceback" not in result.output
    assert "BROKEN" in result.output
    assert f"entry {malformed} is unreadable" in result.output
    assert f"entry {chain['seqs'][-1]} was altered" in result.output


def test_audit_api_lists_and_verifies_an_unreadable_entry(
    malformed: int, chain: dict[str, Any], admin: Actor
) -> None:
    listed = admin.get("/api/v1/audit", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    (broken,) = [item for item in items if item["unreadable"]]
    assert broken["seq"] == malformed and broken["at"] is None
    readable = [item["seq"] for item in items if not item["unreadable"]]
    assert set(readable) >= set(chain["seqs"]) - {malformed}

    page = admin.get("/api/v1/audit", params={"limit": 2, "cursor": malformed + 2})
    assert page.status_code == 200, page.text
    assert [item["seq"] for item in page.json()["items"]] == [malformed + 1, malformed]
    assert page.json()["next_cursor"] == str(malformed)

    verified = admin.post("/api/v1/audit/verify")
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["intact"] is False
    assert any(p.startswith(f"entry {malformed} is unreadable") for p in body["problems"])
