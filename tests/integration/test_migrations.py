"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gatepost.errors import Conflict
from gatepost.security.audit_chain import GENESIS
from gatepost.services.container import Container
from gatepost.store.tables import Base, Tenant
from tests.support.api import Actor, add_device, add_site


def test_migrated_schema_matches_models_on_each_database(container: Container) -> None:
    with container.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_every_tenant_owned_table_leads_its_keys_with_tenant_id() -> None:
    platform_tables = {"tenants", "setup_tokens", "login_throttle"}
    for table in Base.metadata.sorted_tables:
        if table.name in platform_tables:
            continue
        assert table.c.tenant_id.nullable is False, table.name
        assert table.primary_key.columns.keys()[0] == "tenant_id", table.name
        for constraint in table.constraints:
            columns = [c.name for c in getattr(constraint, "columns", [])]
            if columns and constraint is not table.primary_key:
                assert columns[0] == "tenant_id", f"{table.name}: {constraint}"
        for index in table.indexes:
            assert [c.name for c in index.columns][0] == "tenant_id", f"{table.name}: {index}"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET kind = 'x'",
        "UPDATE audit_log SET purpose = 'x'",
        "DELETE FROM audit_log",
    ],
)
def test_append_only_tables_refuse_changes_when_rows_exist(
    container: Container, statement: str, admin: Actor
) -> None:
    device = add_device(admin, add_site(admin))
    device.post(
        "/api/v1/device/events",
        json={
            "events": [
                {
                    "idempotency_key": "k",
                    "kind": "door.opened",
                    "occurred_at": datetime.now(UTC).isoformat(),
                }
            ]
        },
    )
    with pytest.raises(DBAPIError), container.db.engine.begin() as conn:
        conn.execute(text(statement))


def test_uniqueness_race_surfaces_as_conflict_not_server_error(container: Container) -> None:
    """A unique-key violation that slips past a service check becomes Conflict (409)."""

    def add(tenant_id: str) -> None:
        with container.db.session() as session:
            session.add(
                Tenant(
                    id=tenant_id,
                    slug="race",
                    name="Race",
                    created_at=datetime.now(UTC),
                    audit_seq=0,
                    audit_head=GENESIS,
                )
            )

    add("a" * 32)
    with pytest.raises(Conflict):
        add("b" * 32)
