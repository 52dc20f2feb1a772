"""The gate log: devices' plate reads stored sealed, once per waiting car, found by plate,
kept as the tenant's plate policy says and purged with a receipt (SECURITY.md 6-8, 28).

Frames are synthetic US plates read at a US-only site (reliably read); the clock is the
suite's fixed clock, moved by hand.
"""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select, text

from gatepost.domain.ports import FixedClock
from gatepost.services.container import Container
from gatepost.settings import Settings
from gatepost.store.media import BlobNotFound
from gatepost.store.tables import Base, MediaObject, PlateRead
from gatepost.vision import synthetic_plates as synthetic
from gatepost.vision.synthetic_plates import PlateKind
from tests.security.test_canary import encodings, hits
from tests.support.api import Actor, add_device, add_site, add_tenant, add_user, container_of
from tests.support.cli import run_cli
from tests.support.rows import blob_count, row_counts
from tests.support.services import missing

WINDOW = timedelta(seconds=10)


@pytest.fixture(autouse=True)
def _font() -> None:
    if not Path(synthetic.CJK_FONT).is_file():  # make test installs it (system deps)
        missing(f"the {synthetic.CJK_FONT_PACKAGE} font")


@cache
def frames() -> list[tuple[str, bytes]]:
    """Four synthetic US plates (texts 9WUT128, 6UTG510, MKZ6484, TAM5647)."""
    out = []
    for plate, _, frame in synthetic.synthetic_set([PlateKind.US], 4, seed=41, size=(960, 540)):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame.image)).save(buffer, format="JPEG", quality=92)
        out.append((plate, buffer.getvalue()))
    return out


def _gate(admin: Actor, name: str = "Barrier") -> tuple[str, Actor]:
    site_id = add_site(admin, f"{name} site")
    settings = admin.put(f"/api/v1/sites/{site_id}/plate-settings", json={"regions": ["us"]})
    assert settings.status_code == 200, settings.text
    return site_id, add_device(admin, site_id, name)


def _read(actor: Actor, frame: bytes) -> dict[str, Any]:
    response = actor.post("/api/v1/plates/read", files={"file": ("gate.jpg", frame, "image/jpeg")})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _key(admin: Actor) -> Actor:
    """An admin API key: it outlives the clock jumps that end a login session."""
    issued = admin.post("/api/v1/api-keys", json={"name": "retention test", "role": "admin"})
    assert issued.status_code == 201, issued.text
    return Actor(admin.client, issued.json()["token"], admin.tenant_id, issued.json()["id"])


def _known(admin: Actor, plate: str, access: str = "allow") -> str:
    created = admin.post("/api/v1/vehicles", json={"plate": plate, "list": access})
    assert created.status_code == 201, created.text
    vehicle_id: str = created.json()["id"]
    return vehicle_id


def _policy(admin: Actor, **days: int) -> dict[str, Any]:
    response = admin.put("/api/v1/plates/policy", json=days)
    assert response.status_code == 200, response.text
    policy: dict[str, Any] = response.json()
    return policy


def _log(actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = actor.get("/api/v1/plate-reads", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _raw_database(container: Container) -> bytes:
    if container.db.is_sqlite:
        container.db.dispose()  # checkpoint the WAL into the file
        path = Path(container.db.url.removeprefix("sqlite:///"))
        parts = [path.with_name(path.name + s) for s in ("", "-wal", "-journal")]
        return b"\n".join(p.read_bytes() for p in parts if p.exists())
    lines: list[str] = []
    with container.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - our own table names
            lines.extend(row for (row,) in conn.execute(text(query)))
    return "\n".join(lines).encode()


def _changed(container: Container, before: dict[str, int]) -> dict[str, int]:
    """The tables whose row count changed since ``before``, by how much."""
    after = row_counts(container)
    return {name: after[name] - count for name, count in before.items() if after[name] != count}


def _media_rows(container: Container) -> list[MediaObject]:
    with container.db.session() as session:
        return list(session.scalars(select(MediaObject)))


# -- storing ----------------------------------------------------------------------------


def test_device_read_is_stored_sealed_and_found_by_plate(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    plate, frame = frames()[0]
    vehicle_id = _known(admin, plate)
    site_id, gate = _gate(admin)
    result = _read(gate, frame)
    assert result["decision"] == "allow" and result["repeat"] is False
    read_id = result["read_id"]
    assert read_id

    (entry,) = _log(admin)
    assert entry == {
        "id": read_id,
        "site_id": site_id,
        "device_id": gate.id,
        "occurred_at": entry["occurred_at"],
        "plate": plate,
        "confidence": entry["confidence"],
        "color": entry["color"],
        "region": "us",
        "decision": "allow",
        "vehicle_id": vehicle_id,
        "has_frame": False,
        "frame": None,
        "expires_at": (clock.now() + timedelta(days=90)).isoformat().replace("+00:00", "Z"),
    }
    assert 0 < entry["confidence"] <= 1
    assert admin.get(f"/api/v1/plate-reads/{read_id}").json() == entry
    spaced = f"{plate[:3].lower()} {plate[3:]}"
    found = admin.post("/api/v1/plate-reads/search", json={"plate": spaced}).json()
    assert [e["id"] for e in found["items"]] == [read_id]
    other = admin.post("/api/v1/plate-reads/search", json={"plate": frames()[1][0]}).json()
    assert other["items"] == []

    # At rest: sealed under the tenant key, indexed with the vehicles' index, no clear text.
    with container.tx.read() as uow:
        keys = uow.keys(admin.tenant_id)
    with container.db.session() as session:
        row = session.get(PlateRead, (admin.tenant_id, read_id))
        assert row is not None
        opened = keys.open_text(
            row.plate_sealed, table="plate_reads", column="plate", row_id=read_id
        )
        assert opened == plate
        assert row.plate_index == keys.blind_index(plate, purpose="plate")
        assert row.frame_id is None
    raw = _raw_database(container)
    assert read_id.encode() in raw, "control: the raw dump holds the row"
    assert hits(raw, encodings(plate.encode(), plate)) == []
    assert _media_rows(container) == []


def test_reads_by_users_are_not_stored(admin: Actor, container: Container) -> None:
    plate, frame = frames()[0]
    _known(admin, plate)
    site_id, _ = _gate(admin)
    _policy(admin, stranger_days=3, image_days=7)  # a device's read would keep both
    rows, blobs = row_counts(container), blob_count(container)
    response = admin.post(
        "/api/v1/plates/read",
        files={"file": ("gate.jpg", frame, "image/jpeg")},
        data={"site_id": site_id},
    )
    assert response.json()["decision"] == "allow"
    assert response.json()["read_id"] is None
    assert _changed(container, rows) == {}, "a user's read wrote rows"
    assert blob_count(container) == blobs, "a user's read stored a frame"
    assert _log(admin) == []


def test_repeated_read_of_a_waiting_car_is_answered_but_stored_once(
    admin: Actor, clock: FixedClock
) -> None:
    plate, frame = frames()[0]
    _known(admin, plate)
    _, gate = _gate(admin)
    first = _read(gate, frame)
    clock.advance(WINDOW - timedelta(seconds=1))
    rows = row_counts(container_of(admin))
    again = _read(gate, frame)
    assert again["decision"] == "allow" and again["repeat"] is True
    assert again["read_id"] is None
    assert _changed(container_of(admin), rows) == {}, "the repeat was stored"
    assert [e["id"] for e in _log(admin)] == [first["read_id"]]
    # Another camera seeing the same car is another passage.
    _, other_gate = _gate(admin, "Exit")
    assert _read(other_gate, frame)["repeat"] is False
    clock.advance(timedelta(seconds=2))  # past the window since the first read
    later = _read(gate, frame)
    assert later["repeat"] is False and later["read_id"]
    assert len(_log(admin)) == 3


def test_unknown_plates_are_stored_only_when_the_tenant_keeps_them(
    admin: Actor, clock: FixedClock
) -> None:
    _, frame = frames()[1]
    _, gate = _gate(admin)
    rows = row_counts(container_of(admin))
    stranger = _read(gate, frame)
    assert stranger["decision"] == "unknown" and stranger["read_id"] is None
    # The gate's decision is an event; the read itself (plate, frame) is not kept.
    assert _changed(container_of(admin), rows) == {"events": 1}, "the stranger's read was stored"
    assert _log(admin) == []
    policy = _policy(admin, stranger_days=3)
    assert policy == {
        "read_days": 90,
        "stranger_days": 3,
        "image_days": 0,
        "repeat_window_seconds": 10,
    }
    clock.advance(WINDOW)
    stored = _read(gate, frame)
    (entry,) = _log(admin)
    assert entry["id"] == stored["read_id"]
    assert (entry["decision"], entry["vehicle_id"]) == ("unknown", None)
    assert entry["expires_at"] == (clock.now() + timedelta(days=3)).isoformat().replace(
        "+00:00", "Z"
    )
    audited = admin.get("/api/v1/audit", params={"action": "plate.policy_changed"}).json()
    (change,) = audited["items"]
    assert change["details"] == {
        "before": "read_days=90 stranger_days=0 image_days=0",
        "after": "read_days=90 stranger_days=3 image_days=0",
    }


def test_frame_is_kept_sealed_only_with_image_days_and_for_that_long(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    plate, frame = frames()[0]
    _known(admin, plate)
    _, gate = _gate(admin)
    blobs = blob_count(container)
    _read(gate, frame)
    assert _media_rows(container) == []
    assert blob_count(container) == blobs, "a frame was stored without image days"
    _policy(admin, image_days=7)
    clock.advance(WINDOW)
    kept = _read(gate, frame)
    entry = _log(admin)[0]
    assert entry["id"] == kept["read_id"] and entry["has_frame"] is True
    (media,) = _media_rows(container)
    assert media.kind == "plate_frame"
    assert media.expires_at == clock.now() + timedelta(days=7)
    served = admin.get(entry["frame"]["url"])
    assert served.status_code == 200 and served.content == frame
    stored = container.blobs.get(tenant_id=admin.tenant_id, object_id=media.id)
    assert frame[:64] not in stored  # sealed in the blob store
    # The auditor reads the log but not media: no URL for them.
    auditor = add_user(admin, "auditor")
    seen = _log(auditor)[0]
    assert seen["has_frame"] is True and seen["frame"] is None
    assert add_user(admin, "hr").get("/api/v1/plate-reads").status_code == 403
    # A frame never outlives its read.
    _policy(admin, image_days=365, read_days=30)
    clock.advance(WINDOW)
    _read(gate, frame)
    longest = max(_media_rows(container), key=lambda m: m.created_at)
    assert longest.expires_at == clock.now() + timedelta(days=30)


def test_gate_still_decides_and_logs_when_the_media_store_is_down(
    admin: Actor, container: Container
) -> None:
    plate, frame = frames()[0]
    _known(admin, plate)
    _policy(admin, image_days=7)
    _, gate = _gate(admin)
    root = container.blobs.root  # type: ignore[attr-defined]
    shutil.rmtree(root, ignore_errors=True)
    root.write_bytes(b"not a directory: every write fails")
    result = _read(gate, frame)
    assert result["decision"] == "allow" and result["read_id"]
    (entry,) = _log(admin)
    assert entry["id"] == result["read_id"] and entry["has_frame"] is False
    assert _media_rows(container) == []


# -- listing ----------------------------------------------------------------------------


def test_log_pages_newest_first_and_filters(admin: Actor, clock: FixedClock) -> None:
    _policy(admin, stranger_days=30)
    allowed, denied = frames()[0][0], frames()[1][0]
    _known(admin, allowed)
    _known(admin, denied, "deny")
    _, gate = _gate(admin)
    _, exit_gate = _gate(admin, "Exit")
    start = clock.now()
    stored = []
    for device, (_, frame) in zip((gate, gate, exit_gate, gate), frames(), strict=True):
        clock.advance(timedelta(minutes=1))
        stored.append(_read(device, frame)["read_id"])
    newest_first = list(reversed(stored))

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/v1/plate-reads", params=params).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first

    assert [e["id"] for e in _log(admin, decision="deny")] == [stored[1]]
    assert [e["decision"] for e in _log(admin, decision="unknown")] == ["unknown", "unknown"]
    assert [e["id"] for e in _log(admin, device_id=exit_gate.id)] == [stored[2]]
    since = (start + timedelta(minutes=2)).isoformat()
    until = (start + timedelta(minutes=4)).isoformat()
    assert [e["id"] for e in _log(admin, since=since, until=until)] == [stored[2], stored[1]]
    guard = add_user(admin, "guard")
    assert len(_log(guard)) == 4
    assert admin.get("/api/v1/plate-reads", params={"cursor": "nonsense"}).status_code == 422
    assert admin.get("/api/v1/plate-reads", params={"decision": "maybe"}).status_code == 422


# -- retention --------------------------------------------------------------------------


def test_purge_removes_expired_reads_and_frames_and_leaves_a_receipt(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    admin = _key(admin)
    plate, frame = frames()[0]
    _known(admin, plate)
    _policy(admin, read_days=5, image_days=2)
    _, gate = _gate(admin)
    read_id = _read(gate, frame)["read_id"]
    (media,) = _media_rows(container)

    clock.advance(timedelta(days=1))
    assert [r.removed for r in container.retention.purge_expired(clock.now())] == [0]
    clock.advance(timedelta(days=1))  # the frame's two days are over, the read's five not
    (receipt,) = container.retention.purge_expired(clock.now())
    assert (receipt.plate_reads, receipt.plate_frames) == (0, 1)
    entry = admin.get(f"/api/v1/plate-reads/{read_id}").json()
    assert entry["has_frame"] is False and entry["frame"] is None
    assert _media_rows(container) == []
    with pytest.raises(BlobNotFound):
        container.blobs.get(tenant_id=admin.tenant_id, object_id=media.id)

    clock.advance(timedelta(days=3))
    (receipt,) = container.retention.purge_expired(clock.now())
    assert (receipt.plate_reads, receipt.plate_frames) == (1, 0)
    assert _log(admin) == []
    assert admin.get(f"/api/v1/plate-reads/{read_id}").status_code == 404

    audit = admin.get("/api/v1/audit", params={"action": "retention.purged"}).json()["items"]
    assert [(e["details"]["plate_reads"], e["details"]["plate_frames"]) for e in audit] == [
        ("1", "0"),
        ("0", "1"),
    ]
    assert {e["actor"] for e in audit} == {"system:retention"}
    assert plate not in str(audit) and read_id not in str(audit)


def test_shorter_policy_applies_to_reads_already_stored(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    admin = _key(admin)
    plate, frame = frames()[0]
    _known(admin, plate)
    _, gate = _gate(admin)
    _read(gate, frame)  # kept 90 days when stored
    _policy(admin, read_days=1)
    clock.advance(timedelta(hours=23))
    assert container.retention.purge_expired(clock.now())[0].plate_reads == 0
    clock.advance(timedelta(hours=2))
    assert container.retention.purge_expired(clock.now())[0].plate_reads == 1


def test_cli_purges_every_tenant(
    admin: Actor, container: Container, clock: FixedClock, settings: Settings
) -> None:
    """`gatepost retention purge` runs on the real clock: reads made 100 days ago (the
    fixed clock moved back) are past their 90 days."""
    other = _key(add_tenant(admin, "globex"))
    admin = _key(admin)
    plate, frame = frames()[0]
    clock.advance(timedelta(days=-100))
    for actor in (admin, other):
        _known(actor, plate)
        _read(_gate(actor)[1], frame)
    clock.advance(timedelta(days=100))
    _, gate = _gate(admin, "Fresh")
    fresh = _read(gate, frame)["read_id"]

    result = run_cli(settings, "retention", "purge")
    assert result.exit_code == 0, result.output
    assert "acme" in result.output and "globex" in result.output
    assert "purged 2 expired" in result.output
    assert [e["id"] for e in _log(admin)] == [fresh]
    assert _log(other) == []
    again = run_cli(settings, "retention", "purge")
    assert again.exit_code == 0 and "nothing expired" in again.output


# -- isolation --------------------------------------------------------------------------


def test_other_tenants_reads_are_not_found(admin: Actor) -> None:
    plate, frame = frames()[0]
    _known(admin, plate)
    _, gate = _gate(admin)
    read_id = _read(gate, frame)["read_id"]
    other = add_tenant(admin, "globex")
    assert other.get(f"/api/v1/plate-reads/{read_id}").status_code == 404
    assert _log(other) == []
    assert other.post("/api/v1/plate-reads/search", json={"plate": plate}).json()["items"] == []
    assert _log(other, device_id=gate.id) == []
    assert [e["id"] for e in _log(admin)] == [read_id]
