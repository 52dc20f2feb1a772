"""Card, PIN, QR and exit-button arrivals over HTTPS (POST /api/v1/device/arrivals):
decided by the tenant's stored access rules, stored once per idempotency key, and
answered with the device's command."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.ports import FixedClock
from gatepost.errors import ServiceUnavailable, ValidationFailed
from gatepost.services.arrival_keys import ReusedKey
from gatepost.services.arrivals import Decided, DeviceArrival
from gatepost.services.commands import RecordingCommandSink
from gatepost.services.container import Container
from tests.support.api import Actor, add_device, add_site, admin_principal, container_of

ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def commands(recorded_commands: RecordingCommandSink) -> RecordingCommandSink:
    return recorded_commands


@pytest.fixture
def container(recording_container: Container) -> Container:
    """The usual container, with its device commands recorded."""
    return recording_container


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Door:
    """A site with one access point, a device bound to it, and a level that opens it
    around the clock."""

    def __init__(self, admin: Actor, **point: Any) -> None:
        site = add_site(admin)
        lobby = _ok(admin.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
        self.site, self.lobby = site, lobby["id"]
        body = {"site_id": site, "name": "Front door", "into_zone_id": lobby["id"], **point}
        self.point = _ok(admin.post("/api/v1/access-points", json=body), 201)
        always = _ok(
            admin.post("/api/v1/schedules", json={"name": "Always", "intervals": ALWAYS}), 201
        )
        level = {
            "name": "Staff",
            "schedule_id": always["id"],
            "access_point_ids": [self.point["id"]],
        }
        self.level = _ok(admin.post("/api/v1/access-levels", json=level), 201)
        self.device = add_device(admin, site, "Reader 1")
        url = f"/api/v1/devices/{self.device.id}/access-point"
        _ok(admin.put(url, json={"access_point_id": self.point["id"]}))
        self.admin = admin
        self.sent = 0

    def person(self, name: str, *, level: bool = True) -> str:
        person_id = str(_ok(self.admin.post("/api/v1/persons", json={"name": name}), 201)["id"])
        if level:
            url = f"/api/v1/persons/{person_id}/access-levels/{self.level['id']}"
            _ok(self.admin.put(url, json={}))
        return person_id

    def credential(self, person_id: str, **body: Any) -> Any:
        return _ok(self.admin.post(f"/api/v1/persons/{person_id}/credentials", json=body), 201)

    def arrive(self, kind: str, value: str | None = None, **extra: Any) -> Any:
        self.sent += 1
        body = {
            "kind": kind,
            "value": value,
            "idempotency_key": f"k{self.sent}",
            "device_time": _now(self.admin).isoformat(),
            **extra,
        }
        return self.device.post("/api/v1/device/arrivals", json=body)


def _now(actor: Actor) -> datetime:
    clock: FixedClock = container_of(actor).clock  # type: ignore[assignment]
    return clock.now()


def test_a_card_of_a_person_with_a_level_opens_and_the_arrival_is_recorded(
    admin: Actor,
) -> None:
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="04A1 B2C3")
    granted = _ok(door.arrive("card", "04a1b2c3"))
    assert granted["outcome"] == "grant" and granted["reasons"] == ["granted"]
    assert granted["command"] == {"kind": "open", "display": granted["command"]["display"]}
    event = _ok(admin.get(f"/api/v1/events/{granted['event_id']}"))
    assert event["kind"] == "access.granted" and event["person_id"] == ada
    assert event["data"]["arrival"] == "card" and "04A1" not in str(event["data"])

    unknown = _ok(door.arrive("card", "DEADBEEF"))
    assert unknown["outcome"] == "deny" and unknown["reasons"] == ["unknown_credential"]
    assert unknown["command"]["kind"] == "deny"

    bob = door.person("Bob", level=False)
    door.credential(bob, kind="card", value="0BB0")
    no_level = _ok(door.arrive("card", "0BB0"))
    assert no_level["reasons"][0] == "no_access_level"

    exit_button = _ok(door.arrive("exit_button"))
    assert exit_button["outcome"] == "grant" and exit_button["reasons"] == ["exit_request"]


def test_a_duress_pin_opens_as_usual_and_raises_a_silent_alert(admin: Actor) -> None:
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="pin", value="246810")
    door.credential(ada, kind="pin", value="135791", duress=True)
    normal = _ok(door.arrive("pin", "246810"))
    duress = _ok(door.arrive("pin", "135791"))
    assert normal["outcome"] == duress["outcome"] == "grant"
    assert normal["command"] == duress["command"]  # the device cannot tell them apart
    assert "duress" in duress["reasons"]
    event = _ok(admin.get(f"/api/v1/events/{duress['event_id']}"))
    assert event["data"]["alerts"] == "duress"


def test_a_blocked_person_is_refused_and_lockdown_refuses_everyone_but_the_exit(
    admin: Actor,
) -> None:
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="A1A1")
    _ok(admin.patch(f"/api/v1/persons/{ada}/access", json={"blocked": True}))
    blocked = _ok(door.arrive("card", "A1A1"))
    assert blocked["reasons"][0] == "blocked" and blocked["command"]["kind"] == "deny"
    _ok(admin.patch(f"/api/v1/persons/{ada}/access", json={"blocked": False}))
    _ok(admin.patch(f"/api/v1/access-points/{door.point['id']}", json={"door_mode": "lockdown"}))
    assert _ok(door.arrive("card", "A1A1"))["reasons"][0] == "lockdown"
    assert _ok(door.arrive("exit_button"))["outcome"] == "grant"


def test_a_message_is_decided_once_per_idempotency_key(admin: Actor) -> None:
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="C0FFEE")
    at = _now(admin).isoformat()
    body = {"kind": "card", "value": "C0FFEE", "idempotency_key": "swipe-1", "device_time": at}
    first = _ok(door.device.post("/api/v1/device/arrivals", json=body))
    again = _ok(door.device.post("/api/v1/device/arrivals", json=body))
    assert not first["duplicate"] and again["duplicate"]
    assert again["event_id"] == first["event_id"] and again["outcome"] == first["outcome"]
    before = container_of(admin).events.count(admin_principal(admin))
    other = door.device.post("/api/v1/device/arrivals", json=body | {"value": "BADC0DE"})
    assert other.status_code == 409, other.text
    assert container_of(admin).events.count(admin_principal(admin)) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "card"}, "value"),
        ({"kind": "exit_button", "value": "1234"}, "value"),
        ({"kind": "face", "value": "x"}, "kind"),
        (
            {"kind": "card", "value": "AB", "device_time": "2020-01-01T00:00:00+00:00"},
            "device_time",
        ),
        ({"kind": "card", "value": "AB", "device_time": "2026-01-01T00:00:00"}, "device_time"),
        ({"kind": "card", "value": "AB", "idempotency_key": "no spaces"}, "idempotency_key"),
        ({"kind": "card", "value": "AB", "extra": 1}, "extra"),
    ],
)
def test_bad_arrivals_are_refused_naming_the_field_and_change_nothing(
    admin: Actor, body: dict[str, Any], field: str
) -> None:
    door = Door(admin)
    before = container_of(admin).events.count(admin_principal(admin))
    full = {
        "idempotency_key": "bad-1",
        "device_time": (_now(admin) - timedelta(seconds=1)).isoformat(),
        **body,
    }
    response = door.device.post("/api/v1/device/arrivals", json=full)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert container_of(admin).events.count(admin_principal(admin)) == before


def test_only_devices_report_arrivals(admin: Actor) -> None:
    at = _now(admin).isoformat()
    body = {"kind": "exit_button", "idempotency_key": "x", "device_time": at}
    assert admin.post("/api/v1/device/arrivals", json=body).status_code == 403


def test_hard_anti_passback_blocks_a_passed_back_card_until_its_holder_leaves(
    admin: Actor,
) -> None:
    door = Door(admin, anti_passback="hard")
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="A0A0")
    assert _ok(door.arrive("card", "A0A0"))["outcome"] == "grant"
    passed_back = _ok(door.arrive("card", "A0A0"))  # handed to someone outside
    assert passed_back["outcome"] == "deny" and passed_back["reasons"][0] == "anti_passback"
    event = _ok(admin.get(f"/api/v1/events/{passed_back['event_id']}"))
    assert event["data"]["alerts"] == "anti_passback"

    # Leaving through the exit reader takes Ada off the site; she may enter again.
    exit_point = _ok(
        admin.post(
            "/api/v1/access-points",
            json={
                "site_id": door.site,
                "name": "Exit",
                "direction": "out",
                "out_of_zone_id": door.lobby,
            },
        ),
        201,
    )
    level = door.level
    _ok(
        admin.patch(
            f"/api/v1/access-levels/{level['id']}",
            json={"access_point_ids": [door.point["id"], exit_point["id"]]},
        )
    )
    reader = add_device(admin, door.site, "Exit reader")
    _ok(
        admin.put(
            f"/api/v1/devices/{reader.id}/access-point",
            json={"access_point_id": exit_point["id"]},
        )
    )
    body = {"kind": "card", "value": "A0A0", "idempotency_key": "out-1"}
    left = _ok(
        reader.post("/api/v1/device/arrivals", json=body | {"device_time": _now(admin).isoformat()})
    )
    assert left["outcome"] == "grant"
    assert _ok(door.arrive("card", "A0A0"))["outcome"] == "grant"


def test_the_muster_list_shows_who_is_in_which_zone(admin: Actor) -> None:
    door = Door(admin)
    ada, bob = door.person("Ada Lovelace"), door.person("Bob")
    door.credential(ada, kind="card", value="ADA1")
    door.credential(bob, kind="card", value="B0B1")
    assert _ok(door.arrive("card", "ADA1"))["outcome"] == "grant"
    assert _ok(door.arrive("card", "DEADBEEF"))["outcome"] == "deny"  # nobody placed
    muster = _ok(admin.get(f"/api/v1/sites/{door.site}/presence"))
    assert muster["count"] == 1
    (zone,) = muster["zones"]
    assert zone["zone_id"] == door.lobby and zone["name"] == "Lobby"
    assert [(p["person_id"], p["name"]) for p in zone["people"]] == [(ada, "Ada Lovelace")]
    assert zone["people"][0]["access_point_id"] == door.point["id"]
    actions = [e["action"] for e in _ok(admin.get("/api/v1/audit"))["items"]]
    assert "presence.mustered" in actions
    # A zone someone is in cannot be deleted from under the muster list.
    assert admin.delete(f"/api/v1/zones/{door.lobby}").status_code == 409


def test_first_person_in_keeps_a_zone_closed_until_a_privileged_person_arrives(
    admin: Actor,
) -> None:
    door = Door(admin, first_person_in=True)
    manager, clerk = door.person("Manager"), door.person("Clerk")
    door.credential(manager, kind="card", value="AA01")
    door.credential(clerk, kind="card", value="CC01")
    _ok(admin.patch(f"/api/v1/persons/{manager}/access", json={"first_in_privileged": True}))
    early = _ok(door.arrive("card", "CC01"))
    assert early["outcome"] == "deny" and early["reasons"][0] == "first_person_not_in"
    assert _ok(door.arrive("card", "AA01"))["outcome"] == "grant"
    assert _ok(door.arrive("card", "CC01"))["outcome"] == "grant"


def test_card_then_pin_within_the_window_opens_a_two_factor_door(admin: Actor) -> None:
    door = Door(admin, required_factors="card_and_pin", multi_factor_window_seconds=10)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="CA11")
    door.credential(ada, kind="pin", value="97531")
    first = _ok(door.arrive("card", "CA11"))
    assert first["outcome"] == "second_factor"
    assert first["reasons"][0] == "second_factor_required"
    assert first["command"]["kind"] == "keep_closed" and first["command"]["display"]
    assert _ok(door.arrive("pin", "97531"))["outcome"] == "grant"
    # The first step is used up by the pass: the PIN alone asks for the card again.
    assert _ok(door.arrive("pin", "97531"))["outcome"] == "second_factor"
    clock: FixedClock = container_of(admin).clock  # type: ignore[assignment]
    clock.advance(timedelta(seconds=11))  # past the window: the PIN shown above expired
    assert _ok(door.arrive("card", "CA11"))["outcome"] == "second_factor"


def test_simultaneous_arrivals_of_one_person_are_all_stored(admin: Actor) -> None:
    """Two readers decide the same person's passages at the same moment (as two
    gateway workers do): both are stored and the person is placed once; placing is one
    atomic upsert, not a read then an insert that could clash."""
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="AD01")
    second = add_device(admin, door.site, "Reader 2")
    url = f"/api/v1/devices/{second.id}/access-point"
    _ok(admin.put(url, json={"access_point_id": door.point["id"]}))
    container = container_of(admin)
    readers = [container.auth.authenticate(d.token) for d in (door.device, second)]
    workers = len(readers)
    barrier = threading.Barrier(workers)

    def arrive(round_and_reader: tuple[int, int]) -> Any:
        round_, n = round_and_reader
        barrier.wait(timeout=30)
        message = DeviceArrival(ArrivalKind.CARD, f"same-{round_}", _now(admin), "AD01")
        return container.arrivals.arrive(readers[n], message)

    for round_ in range(5):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            decided = list(pool.map(arrive, [(round_, n) for n in range(workers)]))
        assert not any(d.duplicate for d in decided)
        assert all(d.decision.outcome.value == "grant" for d in decided)
    muster = _ok(admin.get(f"/api/v1/sites/{door.site}/presence"))
    assert muster["count"] == 1


def test_arrivals_held_together_are_decided_in_order_in_one_commit(
    admin: Actor, commands: RecordingCommandSink
) -> None:
    """What a busy gateway holds at once is decided together, in one transaction, each
    arrival against the effects of those before it: a card passed back within the group
    meets anti-passback, a key repeated within it is answered as a duplicate, and each
    bad arrival gets the error it would get alone while the others are stored."""
    door = Door(admin, anti_passback="hard")
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="A1A1")
    container = container_of(admin)
    reader = container.auth.authenticate(door.device.token)
    now = _now(admin)
    earlier = container.arrivals.arrive(
        reader, DeviceArrival(ArrivalKind.CARD, "before", now, "FFFF")
    )
    sent_before = len(commands.sent)
    events_before = container.events.count(admin_principal(admin))

    def card(key: str, value: str = "A1A1", at: datetime = now) -> Any:
        return reader, DeviceArrival(ArrivalKind.CARD, key, at, value)

    answers = container.arrivals.arrive_together(
        [
            card("g-1"),
            card("g-2"),  # the same card again: Ada is inside already
            card("g-1"),  # the first message delivered twice
            card("g-3", value="0000"),
            card("g-4", at=now - timedelta(days=30)),  # beyond the device backlog
            card("before", value="A1A1"),  # a used key under another body
            (reader, DeviceArrival(ArrivalKind.EXIT_BUTTON, "g-5", now)),
        ]
    )
    first, passed_back, again, unknown, stale, reused, exit_button = answers
    assert isinstance(first, Decided) and first.decision.outcome.value == "grant"
    assert isinstance(passed_back, Decided)
    assert passed_back.decision.reasons[0].value == "anti_passback"
    assert isinstance(again, Decided) and again.duplicate and again.event_id == first.event_id
    assert isinstance(unknown, Decided)
    assert unknown.decision.reasons[0].value == "unknown_credential"
    assert isinstance(stale, ValidationFailed) and stale.field == "device_time"
    assert isinstance(reused, ReusedKey)
    assert isinstance(exit_button, Decided) and exit_button.decision.outcome.value == "grant"
    assert earlier.event_id not in {a.event_id for a in answers if isinstance(a, Decided)}
    # Four new events; one command each, none for the duplicate or the refused.
    assert container.events.count(admin_principal(admin)) == events_before + 4
    sent = commands.sent[sent_before:]
    assert [c.arrival_key for c in sent] == ["g-1", "g-2", "g-3", "g-5"]
    assert [c.event_id for c in sent] == [
        first.event_id,
        passed_back.event_id,
        unknown.event_id,
        exit_button.event_id,
    ]
    muster = _ok(admin.get(f"/api/v1/sites/{door.site}/presence"))
    assert muster["count"] == 1


class _FailingCommits:
    """Transactions whose next ``failures`` writes fail at their commit as an outage
    would (the database went away): everything written in them is rolled back."""

    def __init__(self, tx: Any, failures: int = 1) -> None:
        self._tx = tx
        self.failures = failures
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    @contextmanager
    def write(self) -> Iterator[Any]:
        self.writes += 1
        with self._tx.write() as uow:
            yield uow
            if self.failures > 0:
                self.failures -= 1
                raise ServiceUnavailable("the database is unavailable")


def test_a_group_whose_commit_fails_is_decided_again_one_by_one(
    admin: Actor, commands: RecordingCommandSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    door = Door(admin)
    ada = door.person("Ada")
    door.credential(ada, kind="card", value="B2B2")
    container = container_of(admin)
    reader = container.auth.authenticate(door.device.token)
    now = _now(admin)
    failing = _FailingCommits(container.arrivals._tx)
    monkeypatch.setattr(container.arrivals, "_tx", failing)
    events_before = container.events.count(admin_principal(admin))

    def cards(prefix: str, count: int) -> list[tuple[Any, DeviceArrival]]:
        return [
            (reader, DeviceArrival(ArrivalKind.CARD, f"{prefix}-{n}", now, "B2B2"))
            for n in range(count)
        ]

    answers = container.arrivals.arrive_together(cards("r", 3))
    assert failing.failures == 0 and failing.writes == 4  # the group, then each alone
    assert all(isinstance(a, Decided) and not a.duplicate for a in answers)
    assert container.events.count(admin_principal(admin)) == events_before + 3
    assert [c.arrival_key for c in commands.sent[-3:]] == ["r-0", "r-1", "r-2"]
    sent = len(commands.sent)
    # Alone, an arrival whose commit fails is answered with the outage (not stored).
    failing.failures, failing.writes = 1, 0
    lone = container.arrivals.arrive_together(cards("lone", 1))
    assert isinstance(lone[0], ServiceUnavailable) and failing.writes == 1
    # When the first arrival tried alone finds the database away too, the others are
    # answered with the outage without another try each.
    failing.failures, failing.writes = 2, 0
    away = container.arrivals.arrive_together(cards("away", 4))
    assert all(isinstance(a, ServiceUnavailable) for a in away) and failing.writes == 2
    assert container.events.count(admin_principal(admin)) == events_before + 3
    assert len(commands.sent) == sent
