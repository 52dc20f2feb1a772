"""Units of work: read-only ones cannot write, after-commit work runs only after a
commit and a failing callback does not undo what committed."""

from __future__ import annotations

import pytest

from gatepost.services.audit import AuditRecord
from gatepost.services.container import Container
from gatepost.store.ids import new_id
from tests.support.api import Actor


def test_a_read_only_unit_of_work_cannot_write(admin: Actor, container: Container) -> None:
    tenant_id = admin.tenant_id
    with pytest.raises(RuntimeError, match="writing unit of work"):
        with container.tx.read() as uow:
            uow.audit(tenant_id, AuditRecord(actor="test", action="test.write"))
    with pytest.raises(Exception) as refused:  # noqa: B017 - the database's own error
        with container.tx.read() as uow:
            uow.tenants.set_plate_policy(
                tenant_id=tenant_id, read_days=1, stranger_days=1, image_days=1
            )
    cause = refused.value.__cause__ or refused.value
    assert "read" in str(cause).lower() and "only" in str(cause).lower(), cause
    with container.tx.read() as uow:
        tenant = uow.tenants.get(tenant_id=tenant_id)
    assert tenant is not None and tenant.plate_read_days == 90


def test_after_commit_work_runs_after_a_commit_only_and_failures_do_not_undo_it(
    admin: Actor, container: Container
) -> None:
    ran: list[str] = []

    def fails() -> None:
        raise ValueError("after-commit failure")

    with pytest.raises(KeyError):
        with container.tx.write() as uow:
            uow.after_commit(lambda: ran.append("rolled back"))
            raise KeyError(new_id())
    assert ran == []
    with container.tx.write() as uow:
        uow.tenants.set_plate_policy(
            tenant_id=admin.tenant_id, read_days=7, stranger_days=0, image_days=0
        )
        uow.after_commit(fails)
        uow.after_commit(lambda: ran.append("committed"))
    assert ran == ["committed"]
    with container.tx.read() as uow:
        tenant = uow.tenants.get(tenant_id=admin.tenant_id)
    assert tenant is not None and tenant.plate_read_days == 7


def test_keys_learnt_in_a_rolled_back_unit_of_work_are_forgotten(
    admin: Actor, container: Container
) -> None:
    """A new data-key generation that never commits must not stay in the key cache,
    or later values would be sealed with a key the database does not have."""
    with container.tx.read() as uow:
        before = uow.keys(admin.tenant_id).active_generation
    with pytest.raises(KeyError):
        with container.tx.write() as uow:
            container.keys.add_data_generation(uow, tenant_id=admin.tenant_id)
            assert uow.keys(admin.tenant_id).active_generation == before + 1
            raise KeyError("roll back")
    with container.tx.read() as uow:
        assert uow.keys(admin.tenant_id).active_generation == before
