"""The gateway's command outbox: signed commands to devices, acknowledged or retried.

:class:`CommandOutbox` is the :class:`~gatepost.services.commands.CommandSink` of a
process that runs the MQTT device gateway. The arrival pipeline hands it each decision's
command after the decision has committed; the outbox publishes it on the device's
commands topic (QoS 1) as a JSON object::

    {"v": 1, "command_id": "<event id>", "kind": "open", "display": "",
     "event_id": "<event id>", "arrival_key": "door1-42",
     "expires_at": "2026-03-01T08:00:10Z"}

with a ``mac`` user property over ``topic + "\\n" + payload`` keyed with the device's
MAC key (the rule devices sign with, :func:`gatepost.security.device_mqtt.message_mac`).
A decision's command takes its event's id as ``command_id``, so the command for one
decision has one id whichever gateway worker sends it, however often. ``arrival_key``
is the idempotency key of the device's arrival it answers (null for a command that
answers none, such as an operator's remote open), so a device with several arrivals in
flight can tell which one a command is for.

Until the device acknowledges it (an ``ack`` on its acks topic, settled by
:meth:`CommandOutbox.settle`), the command is published again with the same bytes
after ``first_retry``, then twice as long each time, at most ``max_attempts`` times in
all, and never after it expires (``ttl`` after it was first sent); a command still
unacknowledged then is dropped and counted as expired. Commands live in this process's
memory only: a gateway that stops forgets its unacknowledged commands (they are short
lived by design; a device that got no command sends its arrival again and the gateway
answers the stored decision).

A device that is offline for longer than a command lives would never learn that its
door was locked down or released, so every ``lockdown`` and ``release`` command also
sets the device's door state: a message on its state topic
(``gatepost/<tenant_id>/<device_id>/state``), published RETAINED at QoS 1 and signed
like a command::

    {"v": 1, "door_mode": "lockdown", "since": "2026-03-01T08:00:00.000Z",
     "command_id": "<event id>"}

``door_mode`` is ``lockdown`` or ``normal`` (after a release: the door follows its own
schedule and rules again), ``since`` when gatepost sent it, ``command_id`` the command
that set it. The broker keeps the last one per device and hands it to the device
whenever it subscribes, so a device that reconnects learns its door's mode at once,
however long it was away. It is not retried (the broker holds it);
:meth:`CommandOutbox.clear_state` removes a device's state (an empty retained message).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import Command, CommandKind, Decision, Outcome, display_text
from gatepost.domain.ports import Clock
from gatepost.ingest.topics import Channel, device_topic
from gatepost.services.commands import DeviceCommand

__all__ = [
    "CommandOutbox",
    "DOOR_STATES",
    "KeyLookup",
    "Publish",
    "command_payload",
    "replayed_command",
    "state_payload",
]

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, bytes | None], bool]
"""Publish ``(topic, payload, mac_key)`` at QoS 1, signed when a key is given; False
when the message could not be handed to the client (not connected)."""
KeyLookup = Callable[[str, str], bytes | None]
"""The MAC key of ``(tenant_id, device_id)``; None for an unknown or revoked device."""

DOOR_STATES = {CommandKind.LOCKDOWN: "lockdown", CommandKind.RELEASE: "normal"}
"""The door mode a device's state topic says after each command that changes it."""


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def command_payload(command: DeviceCommand, *, command_id: str, expires_at: str) -> bytes:
    """The command's exact payload bytes (compact JSON, keys in a fixed order)."""
    body = {
        "v": 1,
        "command_id": command_id,
        "kind": command.command.kind.value,
        "display": command.command.display,
        "event_id": command.event_id,
        "arrival_key": command.arrival_key,
        "expires_at": expires_at,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def state_payload(*, door_mode: str, since: str, command_id: str) -> bytes:
    """A door state's exact payload bytes (compact JSON, keys in a fixed order)."""
    body = {"v": 1, "door_mode": door_mode, "since": since, "command_id": command_id}
    return json.dumps(body, separators=(",", ":")).encode()


def replayed_command(
    decision: Decision, *, kind: ArrivalKind, access_point_id: str, barrier: bool
) -> Command | None:
    """The command of a decision stored earlier (a redelivered arrival), rebuilt from its
    outcome and main reason as :func:`gatepost.domain.access.decide` built it."""
    if decision.outcome is Outcome.GRANT:
        return Command(CommandKind.RAISE_BARRIER if barrier else CommandKind.OPEN, access_point_id)
    if decision.outcome is Outcome.DENY:
        closed = CommandKind.KEEP_CLOSED if barrier else CommandKind.DENY
        return Command(closed, access_point_id, display_text(decision.reason, kind))
    if decision.outcome is Outcome.SECOND_FACTOR:
        return Command(CommandKind.KEEP_CLOSED, access_point_id)
    return None


@dataclass
class _Pending:
    tenant_id: str
    device_id: str
    topic: str
    payload: bytes
    expires: float  # monotonic
    next_at: float  # monotonic
    delay: float
    attempts: int


class CommandOutbox:
    """Pending commands of this process (see the module doc). Thread-safe: the pipeline
    calls :meth:`send` from request and gateway threads alike."""

    def __init__(
        self,
        *,
        clock: Clock,
        ttl: timedelta = timedelta(seconds=10),
        first_retry: timedelta = timedelta(seconds=1),
        max_attempts: int = 5,
    ) -> None:
        if ttl <= timedelta(0) or first_retry <= timedelta(0) or max_attempts < 1:
            raise ValueError("ttl and first_retry must be positive, max_attempts at least 1")
        self._clock = clock
        self._ttl = ttl
        self._first_retry = first_retry.total_seconds()
        self._max_attempts = max_attempts
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._publish: Publish | None = None
        self._publish_retained: Publish | None = None
        self._key_of: KeyLookup | None = None
        self.counters: Counter[str] = Counter()
        """``command.sent``, ``command.retried``, ``command.acked``, ``command.failed``
        (acknowledged with ``failed``), ``command.expired``, ``command.unsigned`` (no
        key: an unknown or revoked device, or one without MQTT secrets), ``state.set``
        (a door state published), ``state.unsent`` (one that could not be handed to
        the client), ``state.cleared``."""

    def bind(
        self, *, publish: Publish, key_of: KeyLookup, publish_retained: Publish | None = None
    ) -> None:
        """Where commands go (the gateway's client), where retained door states go (the
        same client, retained; None: no states are published) and how devices' keys
        are found."""
        with self._lock:
            self._publish, self._key_of = publish, key_of
            self._publish_retained = publish_retained

    def unbind(self) -> None:
        with self._lock:
            self._publish = self._publish_retained = self._key_of = None

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    # -- CommandSink --------------------------------------------------------------------

    def send(self, command: DeviceCommand) -> None:
        """Publish the decision's command now and keep it until it is acknowledged or
        expires (never blocks on the device)."""
        with self._lock:
            publish, key_of = self._publish, self._key_of
            publish_retained = self._publish_retained
        if publish is None or key_of is None:
            log.warning(
                "no MQTT gateway is running: command for event %s not sent", command.event_id
            )
            return
        key = key_of(command.tenant_id, command.device_id)
        if key is None:
            self._count("command.unsigned")
            return
        now = self._clock.now()
        stamp = _rfc3339(now + self._ttl)
        command_id = command.event_id
        topic = device_topic(command.tenant_id, command.device_id, Channel.COMMANDS)
        payload = command_payload(command, command_id=command_id, expires_at=stamp)
        started = time.monotonic()
        pending = _Pending(
            tenant_id=command.tenant_id,
            device_id=command.device_id,
            topic=topic,
            payload=payload,
            expires=started + self._ttl.total_seconds(),
            next_at=started + self._first_retry,
            delay=self._first_retry,
            attempts=1,
        )
        with self._lock:
            self._pending[command_id] = pending
            self.counters["command.sent"] += 1
        publish(topic, payload, key)
        door_mode = DOOR_STATES.get(command.command.kind)
        if door_mode is not None and publish_retained is not None:
            self._set_state(publish_retained, command, key, door_mode=door_mode, since=now)

    # -- door states (retained) -----------------------------------------------------------

    def _set_state(
        self,
        publish_retained: Publish,
        command: DeviceCommand,
        key: bytes,
        *,
        door_mode: str,
        since: datetime,
    ) -> None:
        """Publish the device's door state, retained, signed with its key."""
        topic = device_topic(command.tenant_id, command.device_id, Channel.STATE)
        payload = state_payload(
            door_mode=door_mode, since=_rfc3339(since), command_id=command.event_id
        )
        if publish_retained(topic, payload, key):
            self._count("state.set")
        else:
            self._count("state.unsent")
            log.warning(
                "the MQTT gateway is not connected: door state %s for device %s not published",
                door_mode,
                command.device_id,
            )

    def clear_state(self, *, tenant_id: str, device_id: str) -> bool:
        """Remove the device's retained door state (an empty retained message, which
        the broker takes as "forget it"), e.g. once the device is revoked; False when
        no gateway client is bound or it could not be handed over."""
        with self._lock:
            publish_retained = self._publish_retained
        if publish_retained is None:
            return False
        if not publish_retained(device_topic(tenant_id, device_id, Channel.STATE), b"", None):
            return False
        self._count("state.cleared")
        return True

    # -- acknowledgements and retries ------------------------------------------------

    def settle(self, *, tenant_id: str, device_id: str, command_id: str, done: bool) -> bool:
        """The device acknowledged ``command_id``; False when this process has no such
        pending command of that device (another worker's, or settled already)."""
        with self._lock:
            pending = self._pending.get(command_id)
            if pending is None or (pending.tenant_id, pending.device_id) != (tenant_id, device_id):
                return False
            del self._pending[command_id]
            self.counters["command.acked" if done else "command.failed"] += 1
        return True

    def pending(self) -> tuple[str, ...]:
        """The ids of the commands still waiting for an acknowledgement."""
        with self._lock:
            return tuple(self._pending)

    def next_due_in(self) -> float | None:
        """Seconds until the next retry or expiry is due; None when nothing is pending."""
        with self._lock:
            if not self._pending:
                return None
            soonest = min(min(p.next_at, p.expires) for p in self._pending.values())
        return max(0.0, soonest - time.monotonic())

    def tick(self) -> None:
        """Publish the retries that are due and drop the commands that expired."""
        now = time.monotonic()
        due: list[_Pending] = []
        with self._lock:
            publish, key_of = self._publish, self._key_of
            for command_id, pending in list(self._pending.items()):
                if now >= pending.expires:
                    del self._pending[command_id]
                    self.counters["command.expired"] += 1
                elif now >= pending.next_at:
                    if pending.attempts >= self._max_attempts:
                        pending.next_at = pending.expires  # no more retries: wait to expire
                        continue
                    pending.attempts += 1
                    pending.delay *= 2
                    pending.next_at = now + pending.delay
                    self.counters["command.retried"] += 1
                    due.append(pending)
        if publish is None or key_of is None:
            return
        for pending in due:
            key = key_of(pending.tenant_id, pending.device_id)
            if key is not None:
                publish(pending.topic, pending.payload, key)
