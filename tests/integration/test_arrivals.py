"""The arrival pipeline, called as a service (no HTTP), with the packaged fake engines.

The fakes read plates and faces encoded in a frame's pixels (``vision.fake_plates``,
``vision.fake_faces``), so these tests exercise every stage after recognition against
the real database: the facts, the pure decision, the event and the gate log stored in
one transaction, and the command sent only after the commit. The real engines run the
same pipeline in tests/integration/test_plate_reads_api.py and test_faces_api.py.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from gatepost.domain.decisions import AlertKind, CommandKind, Outcome, Reason
from gatepost.domain.ports import FixedClock
from gatepost.domain.vehicles import GateDecision
from gatepost.security.kek import create_key_file
from gatepost.security.policy import Principal
from gatepost.services.commands import RecordingCommandSink
from gatepost.services.container import Container, build_container
from gatepost.services.events import EventFilter
from gatepost.services.plate_arrivals import PlateArrival
from gatepost.services.plate_log import PlateLogFilter
from gatepost.settings import Settings
from gatepost.vision.fake_faces import fake_face_image
from gatepost.vision.fake_plates import fake_plate_image
from tests.support.api import Actor, add_device, add_site, admin_principal
from tests.support.settings import test_settings

KNOWN, BANNED, STRANGER = "京A12345", "粤B54321", "沪C11111"


@pytest.fixture
def commands() -> RecordingCommandSink:
    return RecordingCommandSink()


@pytest.fixture
def container(
    tmp_path: Path, db_url: str, clock: FixedClock, commands: RecordingCommandSink
) -> Iterator[Container]:
    settings = Settings.model_validate(
        test_settings(tmp_path / "data", db_url, allowed_hosts=["testserver"]).model_dump()
        | {"faces": {"engine": {"type": "fake"}}, "plates": {"reader": {"type": "fake"}}}
    )
    create_key_file(settings.key_file)
    built = build_container(settings, clock=clock, commands=commands)
    yield built
    built.close()


def _device(admin: Actor, container: Container) -> Principal:
    """A barrier camera's principal, as the gateway resolves it from its credential."""
    gate = add_device(admin, add_site(admin), "Barrier 1")
    principal = container.auth.authenticate(gate.token)
    assert principal.site_id is not None
    return principal


def _vehicles(admin: Actor) -> dict[str, str]:
    ids = {}
    for plate, access in ((KNOWN, "allow"), (BANNED, "deny")):
        created = admin.post("/api/v1/vehicles", json={"plate": plate, "list": access})
        assert created.status_code == 201, created.text
        ids[plate] = created.json()["id"]
    return ids


def test_plate_arrivals_are_decided_stored_once_and_commanded_after_the_commit(
    admin: Actor, container: Container, commands: RecordingCommandSink, clock: FixedClock
) -> None:
    ids = _vehicles(admin)
    gate = _device(admin, container)
    pipeline = container.arrivals

    allowed = pipeline.plate_frame(gate, fake_plate_image(KNOWN))
    assert allowed.gate is GateDecision.ALLOW and allowed.decision.outcome is Outcome.GRANT
    assert allowed.event_id is not None and allowed.read_id is not None
    (sent,) = commands.sent
    assert sent.device_id == gate.id and sent.event_id == allowed.event_id
    assert sent.command.kind is CommandKind.RAISE_BARRIER

    # The same car at the same lane a moment later is the same arrival: no new event,
    # no new command.
    again = pipeline.plate_frame(gate, fake_plate_image(KNOWN))
    assert again.repeat and again.event_id is None and len(commands.sent) == 1

    banned = pipeline.plate_frame(gate, fake_plate_image(BANNED))
    assert banned.gate is GateDecision.DENY and banned.decision.reason is Reason.BLOCKED
    assert [a.kind for a in banned.decision.alerts] == [AlertKind.BLOCKED]
    assert commands.sent[-1].command.kind is CommandKind.KEEP_CLOSED

    stranger = pipeline.plate_frame(gate, fake_plate_image(STRANGER))
    assert stranger.gate is GateDecision.UNKNOWN
    assert stranger.decision.reason is Reason.UNKNOWN_PLATE
    assert stranger.read_id is None  # unknown plates are not kept by default

    admin_view = admin_principal(admin)
    events = container.events.list(admin_view, limit=10, cursor=None, where=EventFilter()).items
    assert sorted(e.data["reasons"].split(",")[0] for e in events) == [
        "blocked",
        "granted",
        "unknown_plate",
    ]
    granted = next(e for e in events if e.id == allowed.event_id)
    assert granted.kind.value == "access.granted" and granted.data["vehicle_id"] == ids[KNOWN]
    assert all(STRANGER not in str(e.data) for e in events)


def test_a_misread_known_car_is_matched_from_plates_opened_once_per_change(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    """An inexact read is matched against the tenant's plates, which are opened once per
    version of its vehicles, not once per frame; a change to a vehicle is seen at once."""
    _vehicles(admin)
    gate = _device(admin, container)
    misread = "京A1234S"  # 5 read as S: no exact match, the confusion-aware one finds it
    for _ in range(3):
        result = container.arrivals.plate_frame(gate, fake_plate_image(misread))
        assert result.deciding is not None and result.deciding.match is not None
        assert result.deciding.match.vehicle.plate == KNOWN
        clock.advance(timedelta(minutes=1))
    assert container.vehicles.known_builds == 1
    vehicle_id = result.deciding.match.vehicle.id
    changed = admin.patch(f"/api/v1/vehicles/{vehicle_id}", json={"list": "deny"})
    assert changed.status_code == 200, changed.text
    after = container.arrivals.plate_frame(gate, fake_plate_image(misread))
    assert after.gate is GateDecision.DENY and container.vehicles.known_builds == 2


def test_a_face_at_a_door_is_recorded_and_a_user_test_stores_nothing(
    admin: Actor, container: Container, commands: RecordingCommandSink
) -> None:
    person = admin.post("/api/v1/persons", json={"name": "Ada"}).json()
    consent = admin.post(
        f"/api/v1/persons/{person['id']}/consents",
        json={"purpose": "biometric_face", "notice_version": "v1"},
    )
    assert consent.status_code == 201, consent.text
    enrolled = admin.post(
        f"/api/v1/persons/{person['id']}/faces",
        files=[("files", ("ada.png", fake_face_image("ada"), "image/png"))],
    )
    assert enrolled.status_code == 201, enrolled.text
    door = _device(admin, container)
    admin_view = admin_principal(admin)
    before = container.events.count(admin_view)

    tested = container.arrivals.face_frame(admin_view, fake_face_image("ada"))
    assert tested.recognition.person_id == person["id"] and tested.decision is None
    assert container.events.count(admin_view) == before and commands.sent == []

    arrival = container.arrivals.face_frame(door, fake_face_image("ada"))
    assert arrival.recognition.person_id == person["id"]
    assert arrival.decision is not None and arrival.event_id is not None
    # No access level gives this door to anyone yet: deny by default, and say why.
    assert arrival.decision.outcome is Outcome.DENY
    assert arrival.decision.reason is Reason.NO_ACCESS_LEVEL
    event = container.events.get(admin_view, arrival.event_id)
    assert event.person_id == person["id"] and event.kind.value == "access.denied"
    assert commands.sent[-1].command.kind is CommandKind.DENY

    stranger = container.arrivals.face_frame(door, fake_face_image("mallory"))
    assert stranger.decision is not None
    assert stranger.decision.reason is Reason.FACE_NOT_RECOGNISED

    # A frame with nobody in it is no arrival: nothing decided, stored or sent.
    events, sent = container.events.count(admin_view), len(commands.sent)
    nobody = container.arrivals.face_frame(door, _blank_png())
    assert nobody.recognition.face is None and nobody.decision is None
    assert container.events.count(admin_view) == events and len(commands.sent) == sent


def test_a_deny_listed_car_stays_refused_outside_its_validity(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    """The block list comes before validity: an expired deny-listing is still a
    refusal (with its alert), while an expired allow-listing makes the car unknown."""
    past = clock.now() - timedelta(days=1)
    for plate, access in ((KNOWN, "allow"), (BANNED, "deny")):
        created = admin.post(
            "/api/v1/vehicles",
            json={"plate": plate, "list": access, "valid_until": past.isoformat()},
        )
        assert created.status_code == 201, created.text
    gate = _device(admin, container)
    expired_allow = container.arrivals.plate_frame(gate, fake_plate_image(KNOWN))
    assert expired_allow.gate is GateDecision.UNKNOWN
    assert expired_allow.decision.reason is Reason.VEHICLE_OUTSIDE_VALIDITY
    expired_deny = container.arrivals.plate_frame(gate, fake_plate_image(BANNED))
    assert expired_deny.gate is GateDecision.DENY
    assert expired_deny.decision.reason is Reason.BLOCKED


def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 160), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_car_or_person_waiting_at_a_device_is_one_arrival(
    admin: Actor, container: Container, commands: RecordingCommandSink, clock: FixedClock
) -> None:
    """Frames of one waiting car are one arrival whether or not the gate log keeps the
    read (a stranger's is not kept by default): one event, one command."""
    gate = _device(admin, container)
    admin_view = admin_principal(admin)
    before = container.events.count(admin_view)
    results = [container.arrivals.plate_frame(gate, fake_plate_image(STRANGER)) for _ in range(3)]
    assert [r.repeat for r in results] == [False, True, True]
    assert container.events.count(admin_view) == before + 1 and len(commands.sent) == 1
    clock.advance(timedelta(seconds=11))  # past the repeat window: a new arrival
    assert not container.arrivals.plate_frame(gate, fake_plate_image(STRANGER)).repeat
    assert container.events.count(admin_view) == before + 2 and len(commands.sent) == 2


def test_frames_of_one_car_posted_at_once_are_stored_once_with_one_frame(
    admin: Actor, container: Container, commands: RecordingCommandSink
) -> None:
    """The repeat check runs under the device's row lock: of several frames of one car
    decided at the same moment (from threads, as gateway workers would), one is stored
    with its event, read and kept frame; the others store nothing and their frames are
    deleted again."""
    _vehicles(admin)
    kept = admin.put("/api/v1/plates/policy", json={"image_days": 7})
    assert kept.status_code == 200, kept.text
    gate = _device(admin, container)
    workers = 4
    barrier = threading.Barrier(workers)

    def arrive(_: int) -> PlateArrival:
        barrier.wait(timeout=60)
        return container.arrivals.plate_frame(gate, fake_plate_image(KNOWN))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(arrive, range(workers)))
    stored = [r for r in results if not r.repeat]
    assert len(stored) == 1 and stored[0].read_id is not None and len(commands.sent) == 1
    log = container.plate_log.list(
        admin_principal(admin), limit=10, cursor=None, where=PlateLogFilter()
    )
    assert [entry.id for entry in log.items] == [stored[0].read_id]
    assert log.items[0].frame_id is not None
    with container.db.engine.connect() as conn:
        frames = conn.execute(text("SELECT kind FROM media_objects")).scalars().all()
    assert frames == ["plate_frame"]


def test_arrival_marks_are_transient_keyed_hashes(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    """A mark holds no plate (a keyed hash) and goes with the retention purge once
    the repeat window is long past, even if the device never sees another car."""
    gate = _device(admin, container)
    container.arrivals.plate_frame(gate, fake_plate_image(STRANGER))
    with container.db.engine.connect() as conn:
        (mark,) = conn.execute(text("SELECT mark FROM arrival_marks")).scalars().all()
    assert STRANGER.encode() not in mark and len(mark) == 32
    container.retention.purge_expired(clock.now() + timedelta(minutes=30))
    with container.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM arrival_marks")).scalar() == 1
    container.retention.purge_expired(clock.now() + timedelta(hours=2))
    with container.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM arrival_marks")).scalar() == 0
