"""The simulated door takes the door state of its state topic (Door.adopt)."""

from __future__ import annotations

from datetime import UTC, datetime

from gatepost.simulator.door import Door, instant

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_a_lockdown_state_holds_the_door_closed_and_normal_lets_it_open_again() -> None:
    door = Door()
    assert door.adopt({"door_mode": "lockdown"}).done and door.locked_down
    card = {"kind": "open", "expires_at": "2026-03-01T08:00:10Z"}
    assert not door.obey(card, answering="card", now=NOW).done
    assert door.adopt({"door_mode": "normal"}).done and not door.locked_down
    assert door.obey(card, answering="card", now=NOW).done


def test_an_unknown_door_mode_changes_nothing() -> None:
    door = Door()
    door.adopt({"door_mode": "lockdown"})
    for body in ({"door_mode": "open"}, {}, {"door_mode": None}):
        assert not door.adopt(body).done
    assert door.locked_down


def test_instant_reads_rfc3339_with_an_offset_only() -> None:
    assert instant("2026-03-01T08:00:00.000Z") == NOW
    assert instant("2026-03-01T08:00:00") is None
    assert instant("soon") is None and instant(42) is None
