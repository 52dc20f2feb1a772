"""Key rotation, crash safety, crypto-shredding and the key file (SECURITY.md 10)."""

from __future__ import annotations

import base64
import os
import stat
import struct
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from gatepost.domain.ports import FixedClock
from gatepost.errors import ConfigError, CryptoError, KeyShredded
from gatepost.security.crypto import new_key, unwrap_key
from gatepost.security.kek import FileKekProvider
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.store.tables import TenantKey
from tests.support.api import STRONG_PASSWORD, Actor, add_tenant, admin_principal
from tests.support.cli import run_cli

# -- helpers ------------------------------------------------------------------------


def _person(actor: Actor, name: str) -> str:
    response = actor.post("/api/v1/persons", json={"name": name, "phone": "+8613811112222"})
    assert response.status_code == 201, response.text
    person_id: str = response.json()["id"]
    return person_id


def _wrapped(container: Container) -> dict[tuple[str, str, int], bytes]:
    with container.db.session() as session:
        rows = session.scalars(select(TenantKey)).all()
        return {(r.tenant_id, r.purpose, r.generation): bytes(r.wrapped) for r in rows}


def _keys_rows(container: Container) -> list[tuple[str, str, int, bool]]:
    with container.db.session() as session:
        rows = session.scalars(select(TenantKey)).all()
        return sorted((r.tenant_id, r.purpose, r.generation, bool(r.active)) for r in rows)


def _generation_of(container: Container, person_id: str) -> int:
    with container.db.engine.connect() as conn:
        sealed = conn.execute(
            text("SELECT name_sealed FROM persons WHERE id = :id"), {"id": person_id}
        ).scalar_one()
    version, generation = struct.unpack_from(">BH", bytes(sealed))
    assert version == 1
    return int(generation)


def _fresh(settings: Settings, clock: FixedClock) -> Container:
    """A new process's view: nothing cached, the key file read again."""
    return build_container(settings, clock=clock)


@pytest.fixture
def population(admin: Actor) -> dict[str, Any]:
    beta = add_tenant(admin, "beta")
    people = {
        "alpha": [(_person(admin, f"Alpha Person {i}"), f"Alpha Person {i}") for i in range(3)],
        "beta": [(_person(beta, f"Beta Person {i}"), f"Beta Person {i}") for i in range(2)],
    }
    return {"alpha": admin, "beta": beta, "people": people}


def _assert_all_readable(container: Container, population: dict[str, Any]) -> None:
    for tenant in ("alpha", "beta"):
        principal = admin_principal(population[tenant])
        for person_id, name in population["people"][tenant]:
            assert container.persons.get(principal, person_id).name == name


# -- rotation -----------------------------------------------------------------------


def test_kek_rotation_rewraps_every_data_key_and_everything_still_decrypts(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    key_file = settings.key_file
    old_file = key_file.read_bytes()
    old_kek = base64.b64decode(old_file)
    before = _wrapped(container)
    assert len(before) == 8  # two tenants x (data, index, mac, template)

    result = run_cli(settings, "keys", "rotate")
    assert result.exit_code == 0, result.output

    assert key_file.read_bytes() != old_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.with_name(key_file.name + ".staged").exists()
    after = _wrapped(container)
    assert after.keys() == before.keys()
    for place, wrapped in after.items():
        assert wrapped != before[place], place
        tenant_id, purpose, generation = place
        with pytest.raises(CryptoError):
            unwrap_key(
                old_kek, wrapped, tenant_id=tenant_id, purpose=purpose, generation=generation
            )
    fresh = _fresh(settings, clock)
    try:
        _assert_all_readable(fresh, population)
    finally:
        fresh.close()


def test_data_key_generation_seals_new_values_while_old_ones_still_open(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    result = run_cli(settings, "keys", "rotate", "--data-keys")
    assert result.exit_code == 0, result.output
    data_rows = [r for r in _keys_rows(container) if r[1] == "data"]
    for tenant in ("alpha", "beta"):
        tenant_id = population[tenant].tenant_id
        assert [(g, a) for t, _, g, a in data_rows if t == tenant_id] == [(1, False), (2, True)]

    old_id, old_name = population["people"]["alpha"][0]
    assert _generation_of(container, old_id) == 1
    fresh = _fresh(settings, clock)
    try:
        principal = admin_principal(population["alpha"])
        from gatepost.services.persons import PersonDraft

        new_view = fresh.persons.create(principal, PersonDraft(name="Sealed With Generation Two"))
        assert _generation_of(container, new_view.id) == 2
        assert fresh.persons.get(principal, new_view.id).name == "Sealed With Generation Two"
        _assert_all_readable(fresh, population)
        assert fresh.persons.get(principal, old_id).name == old_name
    finally:
        fresh.close()


def test_kek_rotation_through_the_key_service_rewraps_and_decrypts(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    """The stage / re-wrap / commit / adopt sequence itself (the CLI drives the same)."""
    before = _wrapped(container)
    new_kek = new_key()
    container.keys.stage_kek(new_kek)
    with container.tx.write() as uow:
        assert container.keys.rewrap_all(uow, new_kek) == len(before)
    container.keys.adopt_kek(new_kek)
    assert base64.b64decode(settings.key_file.read_bytes()) == new_kek
    after = _wrapped(container)
    assert all(after[place] != before[place] for place in before)
    _assert_all_readable(container, population)
    fresh = _fresh(settings, clock)
    try:
        _assert_all_readable(fresh, population)
    finally:
        fresh.close()


def test_new_data_generation_through_the_key_service_keeps_old_values_open(
    population: dict[str, Any], container: Container
) -> None:
    from gatepost.services.persons import PersonDraft

    alpha = population["alpha"]
    with container.tx.write() as uow:
        assert container.keys.add_data_generation(uow, tenant_id=alpha.tenant_id) == 2
    principal = admin_principal(alpha)
    view = container.persons.create(principal, PersonDraft(name="Generation Two Person"))
    assert _generation_of(container, view.id) == 2
    old_id, _ = population["people"]["alpha"][0]
    assert _generation_of(container, old_id) == 1
    _assert_all_readable(container, population)


def test_rotation_interrupted_before_the_database_commit_keeps_the_old_kek(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    old_file = settings.key_file.read_bytes()
    before = _wrapped(container)
    new_kek = new_key()
    container.keys.stage_kek(new_kek)
    staged = settings.key_file.with_name(settings.key_file.name + ".staged")
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600
    with pytest.raises(RuntimeError, match="crash"):
        with container.tx.write() as uow:
            container.keys.rewrap_all(uow, new_kek)
            raise RuntimeError("crash before the re-wrap commits")
    assert _wrapped(container) == before
    fresh = _fresh(settings, clock)
    try:
        _assert_all_readable(fresh, population)
    finally:
        fresh.close()
    assert settings.key_file.read_bytes() == old_file


def test_rotation_interrupted_after_the_database_commit_recovers_with_the_staged_kek(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    new_kek = new_key()
    container.keys.stage_kek(new_kek)
    with container.tx.write() as uow:
        container.keys.rewrap_all(uow, new_kek)
    # crash: adopt_kek (rename of the staged file) never ran
    staged = settings.key_file.with_name(settings.key_file.name + ".staged")
    assert staged.exists()
    fresh = _fresh(settings, clock)
    try:
        _assert_all_readable(fresh, population)
    finally:
        fresh.close()
    assert base64.b64decode(settings.key_file.read_bytes()) == new_kek
    assert not staged.exists()
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    again = _fresh(settings, clock)
    try:
        _assert_all_readable(again, population)
    finally:
        again.close()


def test_rotation_failing_at_commit_after_audit_append_keeps_data_readable(
    population: dict[str, Any], container: Container, settings: Settings, clock: FixedClock
) -> None:
    """`keys rotate` appends audit entries in the re-wrap transaction; if that transaction
    then fails, the key file must still open the (rolled back) data keys."""
    from gatepost.services.audit import AuditRecord

    container.keys.forget()  # a CLI process starts with nothing cached
    new_kek = new_key()
    container.keys.stage_kek(new_kek)
    with pytest.raises(RuntimeError, match="commit failed"):
        with container.tx.write() as uow:
            container.keys.rewrap_all(uow, new_kek)
            uow.audit(
                population["alpha"].tenant_id,
                AuditRecord(actor="cli:operator", action="keys.kek_rotated"),
            )
            raise RuntimeError("commit failed")
    fresh = _fresh(settings, clock)
    try:
        _assert_all_readable(fresh, population)
    finally:
        fresh.close()


def test_tenant_created_by_a_running_service_after_rotation_stays_readable(
    admin: Actor, container: Container, settings: Settings, clock: FixedClock
) -> None:
    """`serve` keeps running while an operator rotates the KEK from another process."""
    _person(admin, "Loaded Before Rotation")  # the running service has its KEK in memory
    operator = _fresh(settings, clock)  # the `gatepost keys rotate` process
    try:
        new_kek = new_key()
        operator.keys.stage_kek(new_kek)
        with operator.tx.write() as uow:
            operator.keys.rewrap_all(uow, new_kek)
        operator.keys.adopt_kek(new_kek)
    finally:
        operator.close()
    gamma = add_tenant(admin, "gamma")  # its keys are wrapped by the running service
    person_id = _person(gamma, "Created After Rotation")
    fresh = _fresh(settings, clock)  # the service restarts with the key file on disk
    try:
        assert fresh.persons.get(admin_principal(gamma), person_id).name == "Created After Rotation"
    finally:
        fresh.close()


# -- crypto-shredding -----------------------------------------------------------------


def test_shredded_tenant_data_is_unreadable_and_its_tokens_fail(
    population: dict[str, Any],
    container: Container,
    client: TestClient,
    settings: Settings,
    clock: FixedClock,
) -> None:
    alpha, beta = population["alpha"], population["beta"]
    assert beta.get("/api/v1/auth/me").status_code == 200
    result = run_cli(settings, "keys", "shred", "--tenant", "beta", "--yes")
    assert result.exit_code == 0, result.output

    assert [r for r in _keys_rows(container) if r[0] == beta.tenant_id] == []
    assert len([r for r in _keys_rows(container) if r[0] == alpha.tenant_id]) == 4
    assert beta.get("/api/v1/auth/me").status_code == 401
    assert beta.get("/api/v1/persons").status_code == 401
    assert alpha.get("/api/v1/auth/me").status_code == 200
    names = {p["name"] for p in alpha.get("/api/v1/persons").json()["items"]}
    assert names == {name for _, name in population["people"]["alpha"]}

    fresh = _fresh(settings, clock)
    try:
        for person_id, _ in population["people"]["beta"]:
            with pytest.raises(KeyShredded):
                fresh.persons.get(admin_principal(beta), person_id)
        with pytest.raises(KeyShredded), fresh.tx.read() as uow:
            uow.keys(beta.tenant_id)
        for person_id, name in population["people"]["alpha"]:
            assert fresh.persons.get(admin_principal(alpha), person_id).name == name
    finally:
        fresh.close()


def test_login_to_shredded_tenant_fails_like_bad_credentials(
    population: dict[str, Any], client: TestClient, settings: Settings
) -> None:
    result = run_cli(settings, "keys", "shred", "--tenant", "beta", "--yes")
    assert result.exit_code == 0, result.output
    right = client.post(
        "/api/v1/auth/login",
        json={"tenant": "beta", "username": "admin", "password": STRONG_PASSWORD},
    )
    wrong = client.post(
        "/api/v1/auth/login",
        json={"tenant": "beta", "username": "admin", "password": STRONG_PASSWORD + "x"},
    )
    assert right.status_code == 401, right.text
    assert right.json() == wrong.json()


def test_shred_refuses_without_confirmation(
    population: dict[str, Any], container: Container, settings: Settings
) -> None:
    result = run_cli(settings, "keys", "shred", "--tenant", "beta")
    assert result.exit_code != 0
    assert len([r for r in _keys_rows(container) if r[0] == population["beta"].tenant_id]) == 4


# -- the key file -------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644])
def test_key_file_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kek.key"
    path.write_text(base64.b64encode(new_key()).decode() + "\n")
    os.chmod(path, 0o600)
    assert len(FileKekProvider(path).load()) == 32
    os.chmod(path, mode)
    with pytest.raises(ConfigError) as caught:
        FileKekProvider(path).load()
    assert caught.value.key == "keys.file"
    assert "chmod 600" in caught.value.message


def test_service_refuses_group_readable_key_file(
    admin: Actor, settings: Settings, clock: FixedClock
) -> None:
    os.chmod(settings.key_file, 0o640)
    fresh = _fresh(settings, clock)
    try:
        with pytest.raises(ConfigError), fresh.tx.read() as uow:
            uow.keys(admin.tenant_id)
    finally:
        fresh.close()


def test_serve_refuses_to_start_with_group_readable_key_file(
    admin: Actor, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    os.chmod(settings.key_file, 0o640)
    result = run_cli(settings, "serve")
    assert started == [], "serve started with a key file others can read"
    assert result.exit_code != 0
    assert "chmod 600" in result.output


def test_cli_reports_group_readable_key_file_clearly(
    population: dict[str, Any], settings: Settings
) -> None:
    os.chmod(settings.key_file, 0o640)
    before = settings.key_file.read_bytes()
    result = run_cli(settings, "keys", "rotate")
    assert result.exit_code == 1
    assert "chmod 600" in result.output, result.output
    assert settings.key_file.read_bytes() == before
