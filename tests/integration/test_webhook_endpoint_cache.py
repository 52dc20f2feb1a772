"""The notifications' endpoint cache: an arrival reads the tenant's webhook endpoints
only when they changed (``tenants.webhooks_version``), and a change made by one process
is seen by another on its next arrival (two containers on one database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatepost.domain.ports import FixedClock
from gatepost.domain.webhooks import Channel, NotificationType
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from tests.integration.test_device_arrivals import Door, _ok
from tests.support.api import Actor

HOOK = "http://127.0.0.1:9/hook"  # tests allow private targets; nothing listens


@pytest.fixture
def second(settings: Settings, clock: FixedClock, container: Container) -> Iterator[Container]:
    """Another process's container on the same database and key file."""
    built = build_container(settings, clock=clock)
    yield built
    built.close()


def _receivers(container: Container, tenant_id: str, kind: NotificationType) -> list[str]:
    """Queue ``kind`` as an arrival would, in ``container``: the endpoints it went to."""
    with container.tx.write() as uow:
        rows = container.notifications.enqueue(uow, tenant_id, kind, {"event_id": "e"})
    return sorted(r.endpoint_id or "" for r in rows if r.channel is Channel.WEBHOOK)


def test_arrivals_read_the_endpoints_once_per_change(admin: Actor, container: Container) -> None:
    hook = _ok(admin.post("/api/v1/webhooks", json={"url": HOOK}), 201)
    door = Door(admin)
    ada = door.person("Ada Lovelace")
    door.credential(ada, kind="pin", value="112233")
    before = container.notifications.endpoint_reads
    for _ in range(3):
        assert _ok(door.arrive("pin", "112233"))["outcome"] == "grant"
    assert container.notifications.endpoint_reads == before + 1
    with container.tx.read() as uow:
        assert uow.webhooks.version(tenant_id=admin.tenant_id) >= 1
    # A failure count (the notifier's bookkeeping) is no change to who receives what.
    with container.tx.write() as uow:
        uow.webhooks.update_endpoint(
            tenant_id=admin.tenant_id, endpoint_id=hook["id"], failure_streak=3
        )
    assert _ok(door.arrive("pin", "112233"))["outcome"] == "grant"
    assert container.notifications.endpoint_reads == before + 1


def test_a_change_in_one_process_is_seen_by_the_next_arrival_in_another(
    admin: Actor, container: Container, second: Container
) -> None:
    tenant = admin.tenant_id
    alert = NotificationType.ALERT_RAISED
    assert _receivers(second, tenant, alert) == []
    first = _ok(admin.post("/api/v1/webhooks", json={"url": HOOK}), 201)["id"]
    assert _receivers(second, tenant, alert) == [first]
    assert _receivers(second, tenant, alert) == [first]
    assert second.notifications.endpoint_reads == 2  # none, then one endpoint

    _ok(admin.patch(f"/api/v1/webhooks/{first}", json={"enabled": False}))
    assert _receivers(second, tenant, alert) == []
    _ok(admin.patch(f"/api/v1/webhooks/{first}", json={"enabled": True}))
    assert _receivers(second, tenant, alert) == [first]
    body = {"url": HOOK, "event_types": ["access.decided"]}
    decided_only = _ok(admin.post("/api/v1/webhooks", json=body), 201)["id"]
    assert _receivers(second, tenant, alert) == [first]
    decided = NotificationType.ACCESS_DECIDED
    assert _receivers(second, tenant, decided) == sorted([first, decided_only])
    _ok(admin.patch(f"/api/v1/webhooks/{first}", json={"event_types": ["alert.raised"]}))
    assert _receivers(second, tenant, decided) == [decided_only]
    assert admin.delete(f"/api/v1/webhooks/{decided_only}").status_code == 204
    assert _receivers(second, tenant, decided) == []
    reads = second.notifications.endpoint_reads
    assert _receivers(second, tenant, alert) == [first]
    assert second.notifications.endpoint_reads == reads  # no change, no read
