"""A simulated device over MQTT: signed arrivals out, signed commands in, kept until answered.

Owns the device side of the MQTT protocol in docs/devices.md:

- :func:`mqtt_client`: a connected bare MQTT 5 client (the benchmarks' floor uses it).
- :class:`MqttDevice`: one broker connection (paho-mqtt 2, MQTT 5, clean start,
  TCP_NODELAY, the device's own account) that reconnects on its own and subscribes to
  its commands, errors and state topics on every connect. :meth:`MqttDevice.send` signs an
  arrival (``card``, ``pin``, ``qr``, ``exit_button``, ``face``, ``plate``) with a fresh
  idempotency key and the current ``device_time`` and puts it in the device's
  :class:`~gatepost.simulator.backlog.Backlog`; one sender thread publishes it (QoS 1,
  the ``mac`` user property) when the device is online, replays what was not answered
  after every reconnect and resends an arrival still unanswered after
  ``resend_after`` seconds, always the same bytes (same key, same ``device_time``: the
  gateway answers the stored decision with the same command id), frames as well (at
  most ``_FRAME_SENDS`` times: a frame with nobody in it gets no answer). While offline
  the arrivals wait in order, the oldest dropped when ``capacity`` is reached and those
  older than ``max_backlog`` (the server's ``security.device_backlog_days``) expired.

Each command is checked against the device's MAC key. A decision's command names the
arrival it answers (``arrival_key``, the arrival's idempotency key), so any number of
arrivals may be in flight (``window`` limits them if given; ``None``, the default, does
not). A command whose ``arrival_key`` is null answers no arrival: a remote open, a
lockdown, a release. (From a gateway that does not send the field, a command's first
copy answers the oldest arrival sent, unless it is a lockdown or release.) The
:class:`~gatepost.simulator.door.Door` carries it out, and every copy is acknowledged on
the acks topic (``done``, or ``failed`` when it was not carried out). A refusal on the
errors topic settles the arrival it names (one naming none, as a ``forged`` refusal
does, the oldest arrival sent). What happens is counted
(:class:`~gatepost.simulator.messages.DeviceStats`) and told to ``on_report`` (called
from the device's threads) as :class:`~gatepost.simulator.messages.Report` lines.

The state topic holds the door state gatepost last set for the device (retained, so the
broker hands it over on every subscription): a signed one is taken by the door
(:meth:`~gatepost.simulator.door.Door.adopt`, unless it is older than the one taken
last), so a lockdown or release sent while the device was offline still holds once it
is back; one with a wrong ``mac`` is ignored and counted (``forged_states``).

Latency is counted from the arrival's *scheduled* time when the caller gives one (an
open-loop load generator: a late sender cannot hide queueing), else from the send.
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gatepost.ingest.envelope import mac_property
from gatepost.ingest.gateway import nodelay
from gatepost.ingest.topics import Channel
from gatepost.security.device_mqtt import message_mac
from gatepost.simulator.backlog import Backlog, Pending, Send
from gatepost.simulator.door import Action, Door, Role, instant
from gatepost.simulator.https import HttpsDevice
from gatepost.simulator.messages import (
    ARRIVAL_KINDS,
    Arrival,
    DeviceIdentity,
    DeviceStats,
    Report,
    ack_payload,
    arrival_payload,
)

__all__ = [
    "ARRIVAL_KINDS",
    "Arrival",
    "DeviceIdentity",
    "DeviceStats",
    "HttpsDevice",
    "MqttDevice",
    "arrival_payload",
    "mqtt_client",
]

_REMOTE_KINDS = frozenset({"lockdown", "release"})
_BUSY = "busy"  # the refusal of a gateway whose inbox was full: resend later, same key
_TICK = 0.05  # seconds: how late a resend or an expiry may be noticed at most
_FRAME_SENDS = 3  # a frame unanswered after this many sends decided nothing: given up
DEFAULT_BACKLOG = timedelta(days=14)


def mqtt_client(
    *,
    host: str,
    port: int,
    username: str,
    password: str,
    client_id: str,
    subscriptions: Sequence[str],
    on_message: Callable[[paho.Client, Any, paho.MQTTMessage], None],
    timeout: float = 10.0,
) -> paho.Client:
    """A connected MQTT 5 client (clean start, no session, TCP_NODELAY, its network
    thread running), subscribed at QoS 1 to ``subscriptions``; ConnectionError when the
    broker refuses it or does not answer within ``timeout``."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
    )
    client.username_pw_set(username, password)
    client.on_socket_open = nodelay
    client.on_message = on_message
    ready = threading.Event()
    problem: list[str] = []

    def on_connect(c: paho.Client, userdata: Any, flags: Any, code: ReasonCode, p: Any) -> None:
        if code.is_failure:
            problem.append(f"connection refused: {code}")
            ready.set()
        elif subscriptions:
            c.subscribe([(topic, 1) for topic in subscriptions])
        else:
            ready.set()

    def on_subscribe(
        c: paho.Client, userdata: Any, mid: int, codes: list[ReasonCode], p: Any
    ) -> None:
        if any(code.is_failure for code in codes):
            problem.append(f"subscription refused: {codes}")
        ready.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    client.connect(host, port, keepalive=30, clean_start=True, properties=properties)
    client.loop_start()
    if not ready.wait(timeout) or problem:
        client.disconnect()
        client.loop_stop()
        raise ConnectionError(problem[0] if problem else f"no answer from {host}:{port}")
    return client


class MqttDevice:
    """One simulated device over MQTT (see the module doc). Thread-safe: any thread may
    :meth:`send`; commands are handled on paho's network thread, arrivals published by
    the device's sender thread."""

    def __init__(
        self,
        identity: DeviceIdentity,
        *,
        host: str,
        port: int,
        client_id: str | None = None,
        key_prefix: str | None = None,
        ack: bool = True,
        on_command: Callable[[dict[str, Any]], None] | None = None,
        window: int | None = None,
        resend_after: float = 5.0,
        capacity: int = 10_000,
        max_backlog: timedelta = DEFAULT_BACKLOG,
        role: Role = Role.DOOR,
        on_report: Callable[[Report], None] | None = None,
    ) -> None:
        if window is not None and window < 1:
            raise ValueError("window must be at least 1 (or None)")
        if resend_after <= 0:
            raise ValueError("resend_after must be positive")
        self.identity = identity
        self.stats = DeviceStats()
        self.door = Door(role)
        self._host, self._port = host, port
        self._client_id = client_id or f"{identity.mqtt_username}.sim"
        self._prefix = key_prefix or f"sim{time.time_ns():x}"
        self._numbers = itertools.count(1)
        self._ack = ack
        self._on_command = on_command
        self._on_report = on_report
        self._window = window
        self._resend_after = resend_after
        self._max_backlog = max_backlog
        self._events = identity.topic(Channel.EVENTS)
        self._acks = identity.topic(Channel.ACKS)
        self._commands = identity.topic(Channel.COMMANDS)
        self._state = identity.topic(Channel.STATE)
        self._state_since: datetime | None = None  # of the door state taken last
        self._lock = threading.Lock()
        self._backlog = Backlog(capacity)
        self._results: dict[str, bool] = {}  # command id -> carried out (for every ack)
        self._client: paho.Client | None = None
        self._online = threading.Event()
        self._answered = threading.Event()  # the connect attempt got an answer
        self._problem: str | None = None
        self._closing = threading.Event()
        self._wake = threading.Event()
        self._sender: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def connect(self, timeout: float = 10.0, *, require: bool = True) -> MqttDevice:
        """Start connecting (and reconnecting, from then on) and wait up to ``timeout``
        for the subscriptions. ConnectionError when the broker refuses the account, or
        when ``require`` and the broker did not answer in time (without ``require``
        the device buffers until the broker comes up)."""
        if self._client is not None:
            raise RuntimeError("already connected")
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=paho.MQTTv5,
        )
        client.username_pw_set(self.identity.mqtt_username, self.identity.mqtt_password)
        client.on_socket_open = nodelay
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client = client
        self._problem = None
        self._answered.clear()
        self._closing.clear()
        self._sender = threading.Thread(
            target=self._send_forever, name=f"sim-{self.identity.device_id[:8]}", daemon=True
        )
        self._sender.start()
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 0
        client.connect_async(
            self._host, self._port, keepalive=30, clean_start=True, properties=properties
        )
        client.loop_start()
        deadline = time.monotonic() + timeout
        while not self._online.is_set() and self._problem is None:
            if time.monotonic() >= deadline:
                break
            self._answered.wait(0.05)
        if self._problem is not None or (require and not self._online.is_set()):
            problem = self._problem or f"no answer from {self._host}:{self._port}"
            self.close()
            raise ConnectionError(problem)
        return self

    def close(self) -> None:
        """Disconnect and stop (arrivals still waiting stay in :attr:`waiting`)."""
        self._closing.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.join(timeout=5)
            self._sender = None
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self._online.clear()

    @property
    def online(self) -> bool:
        """Connected and subscribed."""
        return self._online.is_set()

    def wait_online(self, timeout: float) -> bool:
        return self._online.wait(timeout)

    def reset(self) -> DeviceStats:
        """Start counting afresh (arrivals still waiting are forgotten); the old stats."""
        with self._lock:
            old, self.stats = self.stats, DeviceStats()
            self._backlog.clear()
        return old

    @property
    def waiting(self) -> int:
        """Arrivals still waiting for their answer (sent or buffered)."""
        with self._lock:
            return len(self._backlog)

    def waiting_keys(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(p.key for p in self._backlog)

    def new_key(self) -> str:
        return f"{self._prefix}-{next(self._numbers)}"

    def _report(self, report: Report) -> None:
        if self._on_report is not None:
            self._on_report(report)

    # -- arrivals out --------------------------------------------------------------------

    def send(self, arrival: Arrival, *, scheduled: float | None = None) -> str:
        """Sign ``arrival`` with a fresh key (returned) and send it as soon as the device
        is online and its window allows; its latency runs from ``scheduled`` (a
        ``time.perf_counter()`` value) when given."""
        key = self.new_key()
        payload = arrival_payload(arrival, key=key, device_time=datetime.now(UTC))
        now = time.perf_counter()
        start = now if scheduled is None else scheduled
        pending = Pending(
            key,
            arrival.kind,
            payload,
            datetime.now(UTC),
            start,
            max_sends=_FRAME_SENDS if arrival.frame is not None else None,
        )
        with self._lock:
            self.stats.sent += 1
            self.stats.max_lag_ms = max(self.stats.max_lag_ms, (now - start) * 1000)
            dropped = self._backlog.add(pending)
            if dropped is not None:
                self.stats.dropped += 1
            offline = not self._online.is_set()
            if offline:
                self.stats.buffered += 1
        if dropped is not None:
            self._report(Report("dropped", key=dropped.key, arrival=dropped.kind))
        if offline:
            self._report(Report("buffered", key=key, arrival=arrival.kind))
        self._wake.set()
        return key

    def _send_forever(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(_TICK)
            self._wake.clear()
            self._send_due()

    def _send_due(self) -> None:
        """Expire what is too old, then publish what is due, in order (only this thread
        publishes arrivals, so they leave in the order they are due)."""
        now = time.monotonic()
        cutoff = datetime.now(UTC) - self._max_backlog
        with self._lock:
            expired = self._backlog.expire(cutoff)
            self.stats.expired += len(expired)
            batch = (
                self._backlog.due(window=self._window, now=now, resend_after=self._resend_after)
                if self._online.is_set()
                else []
            )
        for old in expired:
            self._report(Report("expired", key=old.key, arrival=old.kind))
        for pending, why in batch:
            if why is Send.GIVE_UP:
                with self._lock:
                    self.stats.given_up += 1
                detail = "no answer (a frame with no face or plate decides nothing); not resent"
                self._report(
                    Report(why.value, key=pending.key, arrival=pending.kind, detail=detail)
                )
                continue
            if not self._publish(self._events, pending.payload):
                with self._lock:
                    self.stats.failed += 1
                continue
            if why is Send.FIRST:
                continue
            with self._lock:
                if why is Send.REPLAY:
                    self.stats.replayed += 1
                else:
                    self.stats.resent += 1
            self._report(Report(why.value, key=pending.key, arrival=pending.kind))

    def _publish(self, topic: str, payload: bytes) -> bool:
        client = self._client
        if client is None:
            return False
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = [("mac", message_mac(self.identity.mac_key, topic, payload))]
        info = client.publish(topic, payload, qos=1, properties=properties)
        return info.rc == paho.MQTT_ERR_SUCCESS

    # -- paho callbacks (network thread) ----------------------------------------------

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        if code.is_failure:
            self._problem = f"the broker refused the device's account: {code}"
            self._answered.set()
            return
        errors = self.identity.topic(Channel.ERRORS)
        client.subscribe([(self._commands, 1), (errors, 1), (self._state, 1)])

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, codes: list[ReasonCode], props: Any
    ) -> None:
        if any(code.is_failure for code in codes):
            self._problem = f"the broker refused the device's subscriptions: {codes}"
            self._answered.set()
            return
        self._online.set()
        self._answered.set()
        self._report(Report("connected", detail=f"{self._host}:{self._port}"))
        self._wake.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        self._online.clear()
        with self._lock:
            self._backlog.disconnected()
        if not self._closing.is_set():
            self._report(Report("disconnected", detail=str(code)))

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        received = time.perf_counter()
        payload = bytes(message.payload)
        props = getattr(message.properties, "UserProperty", None) or []
        mac = mac_property(props)
        expected = message_mac(self.identity.mac_key, message.topic, payload)
        signed = mac is not None and hmac.compare_digest(mac, expected)
        try:
            body: dict[str, Any] = json.loads(payload)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if message.topic == self._state:
            self._door_state(body, signed=signed, empty=not payload)
        elif message.topic != self._commands:
            self._refused(body)
        elif not signed:
            with self._lock:
                self.stats.forged_commands += 1
            self._report(Report("refused", reason="forged_command", detail="mac does not match"))
        else:
            self._command(body, received)

    def _command(self, body: dict[str, Any], received: float) -> None:
        command_id, kind = str(body.get("command_id", "")), str(body.get("kind", ""))
        answered: Pending | None = None
        latency: float | None = None
        with self._lock:
            first = command_id not in self._results
            if not first:
                self.stats.duplicate_commands += 1
            else:
                self._results[command_id] = True
                answered = self._answers(body, kind)
                if answered is not None:
                    latency = (received - answered.start) * 1000
                    self.stats.answered += 1
                    self.stats.latencies_ms.append(latency)
                else:
                    self.stats.unmatched_commands += 1
        if first:
            action = self.door.obey(
                body, answering=answered.kind if answered else None, now=datetime.now(UTC)
            )
            with self._lock:
                self._results[command_id] = action.done
            self._report(
                Report(
                    "decision" if answered else "command",
                    key=answered.key if answered else None,
                    arrival=answered.kind if answered else None,
                    command=kind,
                    command_id=command_id,
                    display=str(body.get("display", "")),
                    action=action.text,
                    latency_ms=latency,
                )
            )
            self._wake.set()  # the window has room again
        if self._ack and command_id:
            with self._lock:
                done = self._results.get(command_id, True)
            payload = ack_payload(command_id, done=done, device_time=datetime.now(UTC))
            self._publish(self._acks, payload)
            self._report(
                Report(
                    "ack",
                    command_id=command_id,
                    detail="done" if done else "failed",
                    duplicate=not first,
                )
            )
        if first and self._on_command is not None:
            self._on_command(body)

    def _answers(self, body: dict[str, Any], kind: str) -> Pending | None:
        """The arrival a command's first copy answers, taken out of the backlog: the one
        its ``arrival_key`` names (none when it is null or names no arrival waiting);
        without the field, the oldest arrival sent, unless the command is a remote
        one. Called under the lock."""
        if "arrival_key" in body:
            key = body["arrival_key"]
            return self._backlog.remove(key) if isinstance(key, str) else None
        head = self._backlog.head()
        if kind in _REMOTE_KINDS or head is None or head.sends == 0:
            return None
        return self._backlog.pop_head()

    def _door_state(self, body: dict[str, Any], *, signed: bool, empty: bool) -> None:
        """Take a door state from the state topic (see the module doc)."""
        if empty:
            return  # gatepost cleared the state: nothing to take
        if not signed:
            with self._lock:
                self.stats.forged_states += 1
            self._report(Report("refused", reason="forged_state", detail="mac does not match"))
            return
        since = instant(body.get("since"))
        command_id = str(body.get("command_id", ""))
        with self._lock:
            last = self._state_since
            taken = since is not None and (last is None or since >= last)
            if taken:
                self._state_since = since
                self.stats.door_states += 1
        if since is None:
            action = Action("ignored: since is not an RFC 3339 time", False)
        elif not taken:
            action = Action("ignored: older than the door state taken last", False)
        else:
            action = self.door.adopt(body)
        self._report(
            Report(
                "state",
                command_id=command_id,
                detail=str(body.get("door_mode")),
                action=action.text,
            )
        )

    def _refused(self, body: dict[str, Any]) -> None:
        """A refusal on the errors topic settles its arrival, except ``busy`` (the
        gateway's inbox was full), which the backlog sends again after its resend delay."""
        key, reason = body.get("idempotency_key"), str(body.get("reason", "unknown"))
        with self._lock:
            self.stats.refused[reason] += 1
            if reason == _BUSY and isinstance(key, str):
                settled = None  # the gateway was full: the backlog resends it, same key
            elif isinstance(key, str):
                settled = self._backlog.remove(key)
            else:  # unread or unauthenticated (forged): the oldest arrival sent, if any
                head = self._backlog.head()
                settled = self._backlog.pop_head() if head is not None and head.sends else None
        self._report(
            Report(
                "refused",
                key=settled.key if settled else None,
                arrival=settled.kind if settled else None,
                reason=reason,
                detail=str(body.get("detail", "")),
            )
        )
        self._wake.set()
