import pytest
from gatepost.store.repositories import persons as person_repo
from gatepost.store.tables import Person
from gatepost.security import permissions
from tests.security import test_bola, test_bfla

def test_bola_detects_missing_tenant_filter(admin, monkeypatch):
    def leaky(session, *, tenant_id, person_id):
        return session.query(Person).filter(Person.id == person_id).one_or_none()
    monkeypatch.setattr(person_repo, "get_person", leaky)
    with pytest.raises(AssertionError) as info:
        test_bola.test_foreign_ids_answer_404_on_every_id_route_and_method(admin)
    assert "persons" in str(info.value)

def test_bfla_detects_widened_role(admin, monkeypatch):
    widened = dict(permissions.ROLE_PERMISSIONS)
    widened[permissions.Role.GUARD] = widened[permissions.Role.GUARD] | {permissions.Permission.AUDIT_READ}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, permissions.Role.GUARD, widened[permissions.Role.GUARD])
    with pytest.raises(AssertionError):
        test_bfla.test_sensitive_permissions_are_held_only_by_expected_roles(permissions.Permission.AUDIT_READ)
