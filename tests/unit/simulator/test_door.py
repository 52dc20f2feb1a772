"""What the simulated door does with each command (gatepost.simulator.door)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatepost.simulator.door import Door, Role

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _command(kind: str, *, display: str = "", expires: datetime | None = None) -> dict[str, str]:
    moment = (expires or NOW + timedelta(seconds=10)).isoformat().replace("+00:00", "Z")
    return {"kind": kind, "display": display, "expires_at": moment}


def test_open_and_deny_are_carried_out_by_each_role() -> None:
    assert Door(Role.DOOR).obey(_command("open"), answering="card", now=NOW).text == "door opened"
    lane = Door(Role.LANE).obey(_command("raise_barrier"), answering="plate", now=NOW)
    assert lane.text == "barrier raised" and lane.done
    denied = Door().obey(_command("deny", display="Card expired"), answering="card", now=NOW)
    assert denied.done and "Card expired" in denied.text


def test_lockdown_holds_the_door_closed_except_for_exit_and_remote_open_until_release() -> None:
    door = Door()
    assert door.obey(_command("lockdown"), answering=None, now=NOW).done
    held = door.obey(_command("open"), answering="card", now=NOW)
    assert not held.done and "locked down" in held.text
    assert door.obey(_command("open"), answering="exit_button", now=NOW).done
    assert door.obey(_command("open"), answering=None, now=NOW).done  # a remote open
    door.obey(_command("release"), answering=None, now=NOW)
    assert door.obey(_command("open"), answering="card", now=NOW).done


def test_an_expired_or_unknown_command_is_not_carried_out() -> None:
    late = Door().obey(
        _command("open", expires=NOW - timedelta(seconds=1)), answering="card", now=NOW
    )
    assert not late.done and "expires_at" in late.text
    assert not Door().obey(_command("dance"), answering=None, now=NOW).done
