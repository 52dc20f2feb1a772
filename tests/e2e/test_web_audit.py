"""The audit page with a row broken by a direct database write: listed as unreadable,
and named by the chain check, never a server error (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from gatepost.services.container import Container
from tests.e2e.conftest import UiSession
from tests.support.api import Actor


def _break_details(container: Container, tenant_id: str, seq: int) -> None:
    """As an attacker with database access: drop the append-only guard, then write
    details that are no JSON object (PostgreSQL types the column JSON, so a list)."""
    value = "'[1, 2]'" if container.db.is_sqlite else "CAST('[1, 2]' AS JSON)"
    with container.db.engine.begin() as conn:
        if container.db.is_sqlite:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
        conn.execute(
            text(f"UPDATE audit_log SET details = {value} WHERE tenant_id = :t AND seq = :s"),  # noqa: S608 - fixed test values
            {"t": tenant_id, "s": seq},
        )
        if not container.db.is_sqlite:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"))


def test_audit_page_lists_an_unreadable_entry_and_verify_names_it(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    _break_details(container, admin.tenant_id, 1)

    page = ui_admin.client.get("/ui/audit")
    assert page.status_code == 200, page.text
    assert "Unreadable entry:" in page.text
    assert "its details are not a JSON object of text values" in page.text
    assert "auth.login" in page.text  # the readable entries are still listed

    result = ui_admin.client.post("/ui/audit/verify", headers=ui_admin.htmx_headers())
    assert result.status_code == 200, result.text
    assert "Chain broken." in result.text
    assert "entry 1 is unreadable" in result.text

    full = ui_admin.client.post(
        "/ui/audit/verify", data={"csrf_token": ui_admin.csrf}, follow_redirects=False
    )
    assert full.status_code == 200, full.text
    assert "entry 1 is unreadable" in full.text and "Unreadable entry:" in full.text
