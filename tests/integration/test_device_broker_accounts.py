"""A device's MQTT secrets in the registry (no broker needed): issued once, stored as a
Mosquitto hash and a sealed key, and every change refreshes the broker's accounts after
its commit. The broker's own reading of them: tests/integration/test_mqtt_broker.py."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gatepost.errors import Conflict, CryptoError
from gatepost.security.device_mqtt import decode_key, mosquitto_verify
from gatepost.services.broker_accounts import RecordingBrokerAccounts
from gatepost.services.container import Container
from gatepost.services.devices import DeviceDraft
from tests.support.api import Actor, add_site, admin_principal
from tests.support.leaks import remember


@pytest.fixture
def container(accounts_container: Container) -> Container:
    """The container that records the broker's account refreshes (tests/conftest.py)."""
    return accounts_container


def _row(container: Container, device_id: str) -> tuple[str, bytes]:
    with container.db.engine.connect() as conn:
        hashed, sealed = conn.execute(
            text("SELECT mqtt_password_hash, mac_key_sealed FROM devices WHERE id = :id"),
            {"id": device_id},
        ).one()
    return hashed, bytes(sealed)


def test_register_rotate_revoke_each_refresh_the_broker_after_commit(
    admin: Actor, container: Container, accounts: RecordingBrokerAccounts
) -> None:
    principal = admin_principal(admin)
    site = add_site(admin)
    first = container.devices.register(principal, DeviceDraft(site, "Door A", "turnstile"))
    second = container.devices.register(principal, DeviceDraft(site, "Door B", "turnstile"))
    for issued in (first, second):
        remember(issued.mqtt_password)
        remember(issued.mac_key)
    ids = [[a.device_id for a in refresh] for refresh in accounts.refreshes]
    assert ids == [[first.device.id], sorted([first.device.id, second.device.id])]

    rotated = container.devices.rotate_credential(principal, first.device.id)
    remember(rotated.mqtt_password)
    remember(rotated.mac_key)
    latest = {a.device_id: a.password_hash for a in accounts.refreshes[-1]}
    assert mosquitto_verify(rotated.mqtt_password, latest[first.device.id])
    assert not mosquitto_verify(first.mqtt_password, latest[first.device.id])

    container.devices.revoke(principal, second.device.id)
    assert [a.device_id for a in accounts.refreshes[-1]] == [first.device.id]
    assert len(accounts.refreshes) == 4


def test_a_refused_change_refreshes_nothing(
    admin: Actor, container: Container, accounts: RecordingBrokerAccounts
) -> None:
    principal = admin_principal(admin)
    site = add_site(admin)
    container.devices.register(principal, DeviceDraft(site, "Door", "turnstile"))
    with pytest.raises(Conflict):
        container.devices.register(principal, DeviceDraft(site, "Door", "turnstile"))
    assert len(accounts.refreshes) == 1


def test_password_is_stored_as_its_hash_and_the_mac_key_sealed_to_its_row(
    admin: Actor, container: Container
) -> None:
    principal = admin_principal(admin)
    site = add_site(admin)
    one = container.devices.register(principal, DeviceDraft(site, "Door A", "turnstile"))
    two = container.devices.register(principal, DeviceDraft(site, "Door B", "turnstile"))
    key = decode_key(one.mac_key)
    hashed, sealed = _row(container, one.device.id)
    assert hashed.startswith("$7$101$") and mosquitto_verify(one.mqtt_password, hashed)
    assert one.mqtt_password not in hashed and key not in sealed
    assert container.devices.mac_key(tenant_id=admin.tenant_id, device_id=one.device.id) == key
    # A sealed key opens only in its own row.
    with container.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE devices SET mac_key_sealed = :sealed WHERE id = :id"),
            {"sealed": sealed, "id": two.device.id},
        )
    with pytest.raises(CryptoError):
        container.devices.mac_key(tenant_id=admin.tenant_id, device_id=two.device.id)


def test_devices_without_mqtt_secrets_have_no_broker_account(
    admin: Actor, container: Container
) -> None:
    principal = admin_principal(admin)
    site = add_site(admin)
    old = container.devices.register(principal, DeviceDraft(site, "Old", "turnstile"))
    with container.db.engine.begin() as conn:  # as registered before migration 0007
        conn.execute(
            text(
                "UPDATE devices SET mqtt_password_hash = NULL, mac_key_sealed = NULL WHERE id = :id"
            ),
            {"id": old.device.id},
        )
    assert container.devices.broker_accounts() == ()
    assert container.devices.mac_key(tenant_id=admin.tenant_id, device_id=old.device.id) is None
    rotated = container.devices.rotate_credential(principal, old.device.id)
    remember(rotated.mqtt_password)
    assert [a.device_id for a in container.devices.broker_accounts()] == [old.device.id]


def test_issued_secrets_never_show_in_a_repr(admin: Actor, container: Container) -> None:
    issued = container.devices.register(
        admin_principal(admin), DeviceDraft(add_site(admin), "Door", "turnstile")
    )
    remember(issued.mqtt_password)
    remember(issued.mac_key)
    accounts = container.devices.broker_accounts()
    for shown in (repr(issued), str(issued), repr(accounts), repr(issued.device)):
        for secret in (issued.credential, issued.mqtt_password, issued.mac_key):
            assert secret not in shown
        assert accounts[0].password_hash not in shown
