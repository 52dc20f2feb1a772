"""Events are idempotent per device and append-only (SECURITY.md 33).

The same device message delivered twice, or twice at the same moment, is stored once;
another device may use the same key; a batch that repeats a key is refused whole; and
the database itself refuses to change a stored event.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from gatepost.services.container import Container
from gatepost.store.tables import Event
from tests.support.api import Actor, add_device, add_site, call, now_iso


def _event(actor: Actor, key: str, **over: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "kind": "door.opened", "occurred_at": now_iso(actor), **over}


def _stored(container: Container, **where: str) -> list[Event]:
    with container.db.session() as session:
        query = select(Event)
        for name, value in where.items():
            query = query.where(getattr(Event, name) == value)
        return list(session.scalars(query))


def test_same_event_posted_twice_is_stored_once(admin: Actor, container: Container) -> None:
    device = add_device(admin, add_site(admin))
    event = _event(admin, "evt-1", data={"door": 3})
    first = device.post("/api/v1/device/events", json={"events": [event]})
    again = device.post("/api/v1/device/events", json={"events": [event]})
    assert first.status_code == again.status_code == 200
    assert first.json() == [
        {"idempotency_key": "evt-1", "event_id": first.json()[0]["event_id"], "stored": True}
    ]
    assert again.json() == [{"idempotency_key": "evt-1", "event_id": None, "stored": False}]
    rows = _stored(container, idempotency_key="evt-1")
    assert [r.id for r in rows] == [first.json()[0]["event_id"]]


def test_first_delivery_wins_when_a_key_repeats_with_other_content(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    device.post("/api/v1/device/events", json={"events": [_event(admin, "evt-2")]})
    changed = _event(admin, "evt-2", kind="door.forced", data={"note": 1})
    retry = device.post("/api/v1/device/events", json={"events": [changed, _event(admin, "evt-3")]})
    assert retry.status_code == 200
    assert [r["stored"] for r in retry.json()] == [False, True]
    (row,) = _stored(container, idempotency_key="evt-2")
    assert (row.kind, row.data) == ("door.opened", {})
    assert len(_stored(container, device_id=device.id)) == 2


def test_concurrent_deliveries_of_one_event_store_it_once(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    batch = {"events": [_event(admin, f"burst-{i}") for i in range(5)]}
    workers = 8
    barrier = threading.Barrier(workers)

    def deliver(_: int) -> Any:
        barrier.wait(timeout=30)
        return device.post("/api/v1/device/events", json=batch)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        responses = list(pool.map(deliver, range(workers)))
    assert [r.status_code for r in responses] == [200] * workers, [r.text for r in responses]
    stored = [item for r in responses for item in r.json() if item["stored"]]
    assert sorted(item["idempotency_key"] for item in stored) == [f"burst-{i}" for i in range(5)]
    rows = _stored(container, device_id=device.id)
    assert sorted(r.idempotency_key for r in rows) == [f"burst-{i}" for i in range(5)]
    assert {r.id for r in rows} == {item["event_id"] for item in stored}


def test_different_devices_may_reuse_a_key(admin: Actor, container: Container) -> None:
    site = add_site(admin)
    one, two = add_device(admin, site, "Gate 1"), add_device(admin, site, "Gate 2")
    for device in (one, two):
        response = device.post("/api/v1/device/events", json={"events": [_event(admin, "k-1")]})
        assert response.status_code == 200
        assert response.json()[0]["stored"] is True
    rows = _stored(container, idempotency_key="k-1")
    assert sorted(r.device_id for r in rows) == sorted([one.id, two.id])


def test_batch_with_repeated_key_is_refused_and_stores_nothing(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    batch = {"events": [_event(admin, "a"), _event(admin, "b"), _event(admin, "a")]}
    response = device.post("/api/v1/device/events", json=batch)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "idempotency_key"
    assert _stored(container, device_id=device.id) == []


def test_events_table_refuses_update_when_written_directly(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    posted = device.post("/api/v1/device/events", json={"events": [_event(admin, "imm")]})
    event_id = posted.json()[0]["event_id"]
    for statement in (
        update(Event).where(Event.id == event_id).values(kind="door.forced"),
        update(Event).where(Event.id == event_id).values(person_id="f" * 32),
        text("UPDATE events SET data = '{}' WHERE id = :id").bindparams(id=event_id),
    ):
        with pytest.raises(DBAPIError), container.db.engine.begin() as conn:
            conn.execute(statement)
    (row,) = _stored(container, id=event_id)
    assert row.kind == "door.opened" and row.person_id is None


def test_events_table_refuses_duplicate_key_when_inserted_directly(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    device.post("/api/v1/device/events", json={"events": [_event(admin, "dup")]})
    (row,) = _stored(container, idempotency_key="dup")
    copy = {c.name: getattr(row, c.key) for c in Event.__table__.columns}
    copy["id"] = "0" * 32
    with pytest.raises(DBAPIError), container.db.engine.begin() as conn:
        conn.execute(insert(Event).values(**copy))
    with container.db.session() as session:
        count = session.scalar(select(func.count()).select_from(Event))
    assert count == 1


def test_duplicate_delivery_via_http_reports_not_stored_for_each_repeat(admin: Actor) -> None:
    device = add_device(admin, add_site(admin))
    keys = [f"r-{i}" for i in range(3)]
    body = {"events": [_event(admin, k) for k in keys]}
    assert all(r["stored"] for r in device.post("/api/v1/device/events", json=body).json())
    for _ in range(2):
        again = call(device, "POST", "/api/v1/device/events", json=body).json()
        assert [(r["idempotency_key"], r["stored"], r["event_id"]) for r in again] == [
            (k, False, None) for k in keys
        ]
    listed = admin.get("/api/v1/events", params={"device_id": device.id}).json()["items"]
    assert len(listed) == len(keys)
