"""Where device commands go once a decision is durable.

The arrival pipeline hands each decision's commands (open, deny with a display text,
raise the barrier, ...) to a :class:`CommandSink` after the transaction that stored the
decision has committed, so a device is never told to open a door for a decision that
was not recorded. Transports implement it: the MQTT device gateway publishes on the
device's command topic and waits for its acknowledgement; a device that called over
HTTPS reads the decision in the response. :class:`NullCommandSink` sends nothing (an
HTTPS-only installation); :class:`RecordingCommandSink` keeps what it was given, in
memory, for tests and load benchmarks.

A sink that also keeps each device's retained door state (the gateway's outbox) is a
:class:`DeviceStateSink`: revoking a device clears its state (:func:`state_sink_of`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gatepost.domain.decisions import Command

__all__ = [
    "CommandSink",
    "DeviceCommand",
    "DeviceStateSink",
    "NullCommandSink",
    "RecordingCommandSink",
    "state_sink_of",
]


@dataclass(frozen=True)
class DeviceCommand:
    """A command for one device, tied to the event that caused it. ``arrival_key``: the
    idempotency key of the device's arrival that the command answers (so a device with
    several arrivals in flight knows which one it is for); None for a command that
    answers no arrival (an operator's remote open, a lockdown) or an arrival that came
    with no key."""

    tenant_id: str
    device_id: str
    event_id: str
    command: Command
    arrival_key: str | None = None


class CommandSink(Protocol):
    def send(self, command: DeviceCommand) -> None:
        """Deliver (or queue) the command; must not block on the device."""


@runtime_checkable
class DeviceStateSink(Protocol):
    def clear_state(self, *, tenant_id: str, device_id: str) -> bool:
        """Forget the device's retained door state (after it is revoked); False when it
        could not be handed over. Must not block on the device."""


def state_sink_of(sink: CommandSink) -> DeviceStateSink | None:
    """``sink`` when it also keeps devices' door states, else None."""
    return sink if isinstance(sink, DeviceStateSink) else None


class NullCommandSink:
    def send(self, command: DeviceCommand) -> None:
        return None


class RecordingCommandSink:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[DeviceCommand] = []
        self.cleared: list[tuple[str, str]] = []
        """``(tenant_id, device_id)`` of each door state cleared."""

    def send(self, command: DeviceCommand) -> None:
        with self._lock:
            self.sent.append(command)

    def clear_state(self, *, tenant_id: str, device_id: str) -> bool:
        with self._lock:
            self.cleared.append((tenant_id, device_id))
        return True
