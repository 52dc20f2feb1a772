"""Where device commands go once a decision is durable.

The arrival pipeline hands each decision's commands (open, deny with a display text,
raise the barrier, ...) to a :class:`CommandSink` after the transaction that stored the
decision has committed, so a device is never told to open a door for a decision that
was not recorded. Transports implement it: the MQTT device gateway publishes on the
device's command topic and waits for its acknowledgement; a device that called over
HTTPS reads the decision in the response. :class:`NullCommandSink` sends nothing (an
HTTPS-only installation); :class:`RecordingCommandSink` keeps what it was given, in
memory, for tests and load benchmarks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from gatepost.domain.decisions import Command

__all__ = ["CommandSink", "DeviceCommand", "NullCommandSink", "RecordingCommandSink"]


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


class NullCommandSink:
    def send(self, command: DeviceCommand) -> None:
        return None


class RecordingCommandSink:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[DeviceCommand] = []

    def send(self, command: DeviceCommand) -> None:
        with self._lock:
            self.sent.append(command)
