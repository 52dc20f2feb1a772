"""What the simulated hardware does with a command: a door, a turnstile or a lane barrier.

:class:`Door` is the device's actuator and its mode. It obeys the command kinds of
:class:`gatepost.domain.decisions.CommandKind` as docs/devices.md says: ``open`` (a
turnstile lets one person through, a lane raises its barrier), ``raise_barrier``,
``deny`` (show the text, stay closed), ``keep_closed``, ``lockdown`` (hold closed until
``release``: only an exit button's answer or an operator's remote open still passes)
and ``release``; a command after its ``expires_at`` is not carried out. Each answer is
an :class:`Action`: what happened, in words, and whether it was carried out (the ack's
``done`` or ``failed``). :meth:`Door.adopt` takes the door state gatepost keeps on the
device's state topic (``door_mode``: ``lockdown`` or ``normal``), which a device gets
on every (re)connect, so a lockdown or release it missed while offline still holds.
Time is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Action", "Door", "Role", "instant"]


class Role(StrEnum):
    """The hardware simulated."""

    DOOR = "door"
    TURNSTILE = "turnstile"
    LANE = "lane"


_PASS = {
    Role.DOOR: "door opened",
    Role.TURNSTILE: "turnstile unlocked for one passage",
    Role.LANE: "barrier raised",
}


@dataclass(frozen=True)
class Action:
    text: str
    done: bool


class Door:
    """One device's actuator and mode (see the module doc). Not thread-safe: the device
    calls it from one thread."""

    def __init__(self, role: Role = Role.DOOR) -> None:
        self.role = role
        self.locked_down = False

    def obey(self, body: Mapping[str, object], *, answering: str | None, now: datetime) -> Action:
        """Carry out the command ``body``; ``answering`` is the kind of the arrival it
        answers (None for a command with no arrival: remote open, lockdown, release)."""
        kind, display = str(body.get("kind", "")), str(body.get("display", "") or "")
        expires = instant(body.get("expires_at"))
        if expires is not None and now > expires:
            return Action("not carried out: it arrived after expires_at", False)
        if kind == "lockdown":
            self.locked_down = True
            return Action("locked down: held closed until release", True)
        if kind == "release":
            self.locked_down = False
            return Action("released: back to normal mode", True)
        if kind in ("open", "raise_barrier"):
            if self.locked_down and answering not in (None, "exit_button"):
                return Action("held closed: locked down", False)
            return Action(_PASS[self.role], True)
        if kind in ("deny", "keep_closed"):
            shown = f", showing {display!r}" if display else ""
            return Action(f"stayed closed{shown}", True)
        return Action(f"ignored: unknown command kind {kind!r}", False)

    def adopt(self, body: Mapping[str, object]) -> Action:
        """Take the door state ``body`` (a verified message of the state topic)."""
        mode = body.get("door_mode")
        if mode == "lockdown":
            self.locked_down = True
            return Action("locked down (door state): held closed until release", True)
        if mode == "normal":
            self.locked_down = False
            return Action("normal mode (door state)", True)
        return Action(f"ignored: unknown door mode {mode!r}", False)


def instant(value: object) -> datetime | None:
    """An RFC 3339 time with its offset (``Z`` too); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
