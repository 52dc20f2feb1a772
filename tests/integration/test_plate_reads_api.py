"""A gate camera posts frames; known vehicles are allowed or denied, others unknown."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gatepost.vision import synthetic_plates as synthetic
from gatepost.vision.synthetic_plates import PlateKind
from tests.support.api import Actor, add_device, add_site, container_of
from tests.support.rows import row_counts
from tests.support.services import missing


@pytest.fixture(autouse=True)
def _font() -> None:
    if not Path(synthetic.CJK_FONT).is_file():  # make test installs it (system deps)
        missing(f"the {synthetic.CJK_FONT_PACKAGE} font")


def _frames(count: int) -> list[tuple[str, bytes]]:
    out = []
    for text, _, frame in synthetic.synthetic_set(
        [PlateKind.CN_BLUE], count, seed=31, size=(960, 540)
    ):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame.image)).save(buffer, format="JPEG", quality=92)
        out.append((text, buffer.getvalue()))
    return out


def _read(actor: Actor, data: bytes) -> dict[str, object]:
    response = actor.post("/api/v1/plates/read", files={"file": ("gate.jpg", data, "image/jpeg")})
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_gate_allows_a_known_car_denies_a_listed_one_and_does_not_know_others(
    admin: Actor,
) -> None:
    (known_text, known), (banned_text, banned), (_, stranger) = _frames(3)
    for plate, access in ((known_text, "allow"), (banned_text, "deny")):
        created = admin.post("/api/v1/vehicles", json={"plate": plate, "list": access})
        assert created.status_code == 201, created.text
    gate = add_device(admin, add_site(admin), "Barrier 1")

    allowed = _read(gate, known)
    assert allowed["decision"] == "allow", allowed
    assert allowed["outcome"] == "grant" and allowed["reasons"] == ["granted"]
    (first, *_) = allowed["plates"]  # type: ignore[misc]
    assert first["text"] == known_text and first["vehicle"]["list"] == "allow"
    refused = _read(gate, banned)
    assert refused["decision"] == "deny" and refused["reasons"][0] == "blocked"  # type: ignore[index]
    before = row_counts(container_of(admin))
    unknown = _read(gate, stranger)
    # The arrival is recorded as an access event (device, time, reasons: no personal
    # data); neither the frame nor the plate is stored.
    assert row_counts(container_of(admin)) == before | {"events": before["events"] + 1}
    assert unknown["decision"] == "unknown" and unknown["reason"] == "no known vehicle"
    assert unknown["outcome"] == "deny" and unknown["reasons"] == ["unknown_plate"]
    event = admin.get(f"/api/v1/events/{unknown['event_id']}")
    assert event.status_code == 200, event.text
    assert event.json()["kind"] == "access.denied"
    assert event.json()["data"] == {
        "arrival": "plate",
        "outcome": "deny",
        "reasons": "unknown_plate",
    }
    granted = admin.get(f"/api/v1/events/{allowed['event_id']}").json()
    assert granted["kind"] == "access.granted"
    assert granted["data"]["vehicle_id"] == first["vehicle"]["vehicle_id"]


def test_expired_vehicle_is_unknown_and_a_frame_without_a_plate_is_not_an_error(
    admin: Actor,
) -> None:
    ((text, frame),) = _frames(1)
    container = admin.client.app.state.container  # type: ignore[attr-defined]
    past = container.clock.now() - timedelta(days=2)
    created = admin.post(
        "/api/v1/vehicles",
        json={
            "plate": text,
            "list": "allow",
            "valid_from": (past - timedelta(days=30)).isoformat(),
            "valid_until": past.isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    assert _read(admin, frame)["decision"] == "unknown"
    blank = io.BytesIO()
    Image.new("RGB", (640, 360), (120, 120, 120)).save(blank, format="JPEG")
    empty = _read(admin, blank.getvalue())
    assert empty == {
        "decision": "unknown",
        "reason": "no plate found",
        "outcome": "deny",
        "reasons": ["unknown_plate"],
        "event_id": None,
        "plates": [],
        "read_id": None,
        "repeat": False,
        "duplicate": False,
    }
    bad = admin.post(
        "/api/v1/plates/read", files={"file": ("x.jpg", b"not an image", "image/jpeg")}
    )
    assert bad.status_code == 422
