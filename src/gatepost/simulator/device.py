"""A simulated device: signed arrivals out, signed commands in, latency per arrival.

Owns the device side of the protocol in docs/devices.md:

- :class:`MqttDevice`: one broker connection (paho-mqtt 2, MQTT 5, clean start,
  TCP_NODELAY, the device's own account), subscribed to its commands and errors topics.
  :meth:`MqttDevice.send` publishes an arrival (``card``, ``pin``, ``qr``,
  ``exit_button``, ``face``, ``plate``) at QoS 1 with a fresh idempotency key, the
  current ``device_time`` and the ``mac`` user property. Each command received is
  checked against the device's MAC key, matched to the oldest arrival still waiting for
  one (commands carry the event id, not the arrival's key: a device with one arrival in
  flight at a time, as a door is, matches exactly), acknowledged on the acks topic
  (every copy, as the protocol asks) and timed. A refusal on the errors topic settles
  the arrival it names.
- :class:`HttpsDevice`: the same arrivals (not frames) as ``POST
  /api/v1/device/arrivals`` with the device's bearer credential, over a caller's
  ``httpx.AsyncClient``; the response is the decision.

Latency is counted from the arrival's *scheduled* time when the caller gives one (an
open-loop load generator: a late sender cannot hide queueing), else from the send.
:class:`DeviceStats` is what a device counted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gatepost.ingest.envelope import mac_property
from gatepost.ingest.gateway import nodelay
from gatepost.ingest.topics import Channel, device_topic
from gatepost.security.device_mqtt import message_mac

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

ARRIVAL_KINDS: Final = ("card", "pin", "qr", "exit_button", "face", "plate")
_VALUE_FIELD: Final = {"card": "card", "pin": "pin", "qr": "qr"}
_FRAME_KINDS: Final = frozenset({"face", "plate"})


@dataclass(frozen=True, repr=False)
class DeviceIdentity:
    """What registration showed for one device (its secrets are never in a repr)."""

    tenant_id: str
    device_id: str
    mqtt_username: str
    mqtt_password: str
    mac_key: bytes
    credential: str = ""
    """The HTTPS bearer credential (only :class:`HttpsDevice` needs it)."""

    def __repr__(self) -> str:
        return f"DeviceIdentity(device_id={self.device_id})"

    def topic(self, channel: Channel) -> str:
        return device_topic(self.tenant_id, self.device_id, channel)


@dataclass(frozen=True, repr=False)
class Arrival:
    """What the device saw: a kind and its value (card number, PIN, QR text) or frame."""

    kind: str
    value: str | None = None
    frame: bytes | None = None

    def __post_init__(self) -> None:
        if self.kind not in ARRIVAL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(ARRIVAL_KINDS)}")
        if (self.kind in _VALUE_FIELD) != (self.value is not None):
            raise ValueError("card, pin and qr carry a value; other kinds none")
        if (self.kind in _FRAME_KINDS) != (self.frame is not None):
            raise ValueError("face and plate carry a frame; other kinds none")

    def __repr__(self) -> str:
        return f"Arrival(kind={self.kind})"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def arrival_payload(arrival: Arrival, *, key: str, device_time: datetime) -> bytes:
    """The exact payload bytes of an arrival message (compact JSON)."""
    body: dict[str, Any] = {
        "v": 1,
        "device_time": _rfc3339(device_time),
        "idempotency_key": key,
        "kind": arrival.kind,
    }
    if arrival.value is not None:
        body[_VALUE_FIELD[arrival.kind]] = arrival.value
    if arrival.frame is not None:
        body["frame"] = base64.b64encode(arrival.frame).decode("ascii")
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class DeviceStats:
    """What one device counted. Latencies are milliseconds, one per answered arrival."""

    sent: int = 0
    answered: int = 0
    """Arrivals that got their command (MQTT) or decision (HTTPS)."""
    refused: Counter[str] = field(default_factory=Counter)
    """Arrivals refused on the errors topic (or with a 4xx), per reason."""
    duplicate_commands: int = 0
    """Copies of a command id received after the first (retries, redeliveries)."""
    unmatched_commands: int = 0
    """Commands with no arrival waiting for one."""
    forged_commands: int = 0
    """Commands whose mac did not match: never obeyed."""
    failed: int = 0
    """Sends that could not be handed to the transport (or HTTP errors)."""
    latencies_ms: list[float] = field(default_factory=list)
    max_lag_ms: float = 0.0
    """How late the worst send left after its scheduled time."""

    def merge(self, other: DeviceStats) -> None:
        self.sent += other.sent
        self.answered += other.answered
        self.refused.update(other.refused)
        self.duplicate_commands += other.duplicate_commands
        self.unmatched_commands += other.unmatched_commands
        self.forged_commands += other.forged_commands
        self.failed += other.failed
        self.latencies_ms.extend(other.latencies_ms)
        self.max_lag_ms = max(self.max_lag_ms, other.max_lag_ms)


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


@dataclass
class _Waiting:
    key: str
    start: float  # perf_counter: scheduled (or actual) send time


class MqttDevice:
    """One simulated device over MQTT (see the module doc). Thread-safe: any thread may
    :meth:`send`; commands are handled on paho's network thread."""

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
    ) -> None:
        self.identity = identity
        self.stats = DeviceStats()
        self._host, self._port = host, port
        self._client_id = client_id or f"{identity.mqtt_username}.sim"
        self._prefix = key_prefix or f"sim{time.time_ns():x}"
        self._numbers = itertools.count(1)
        self._ack = ack
        self._on_command = on_command
        self._events = identity.topic(Channel.EVENTS)
        self._acks = identity.topic(Channel.ACKS)
        self._commands = identity.topic(Channel.COMMANDS)
        self._lock = threading.Lock()
        self._waiting: deque[_Waiting] = deque()
        self._seen: set[str] = set()
        self._client: paho.Client | None = None

    def connect(self, timeout: float = 10.0) -> MqttDevice:
        self._client = mqtt_client(
            host=self._host,
            port=self._port,
            username=self.identity.mqtt_username,
            password=self.identity.mqtt_password,
            client_id=self._client_id,
            subscriptions=[self._commands, self.identity.topic(Channel.ERRORS)],
            on_message=self._on_message,
            timeout=timeout,
        )
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None

    def reset(self) -> DeviceStats:
        """Start counting afresh (arrivals still waiting are forgotten); the old stats."""
        with self._lock:
            old, self.stats = self.stats, DeviceStats()
            self._waiting.clear()
        return old

    @property
    def waiting(self) -> int:
        """Arrivals still waiting for their command."""
        with self._lock:
            return len(self._waiting)

    def new_key(self) -> str:
        return f"{self._prefix}-{next(self._numbers)}"

    def _publish(self, topic: str, payload: bytes) -> bool:
        client = self._client
        if client is None:
            raise RuntimeError("connect() first")
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = [("mac", message_mac(self.identity.mac_key, topic, payload))]
        info = client.publish(topic, payload, qos=1, properties=properties)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def send(self, arrival: Arrival, *, scheduled: float | None = None) -> str:
        """Publish ``arrival`` now, signed, with a fresh key (returned); its latency runs
        from ``scheduled`` (a ``time.perf_counter()`` value) when given."""
        key = self.new_key()
        payload = arrival_payload(arrival, key=key, device_time=datetime.now(UTC))
        now = time.perf_counter()
        start = now if scheduled is None else scheduled
        with self._lock:
            self.stats.sent += 1
            self.stats.max_lag_ms = max(self.stats.max_lag_ms, (now - start) * 1000)
            self._waiting.append(_Waiting(key, start))
        if not self._publish(self._events, payload):
            with self._lock:
                self.stats.failed += 1
                self._drop(key)
        return key

    def _drop(self, key: str) -> bool:
        for waiting in self._waiting:
            if waiting.key == key:
                self._waiting.remove(waiting)
                return True
        return False

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
        if message.topic != self._commands:
            self._refused(body)
            return
        if not signed:
            with self._lock:
                self.stats.forged_commands += 1
            return
        command_id = str(body.get("command_id", ""))
        with self._lock:
            if command_id in self._seen:
                self.stats.duplicate_commands += 1
                first = False
            else:
                self._seen.add(command_id)
                first = True
                if self._waiting:
                    waiting = self._waiting.popleft()
                    self.stats.answered += 1
                    self.stats.latencies_ms.append((received - waiting.start) * 1000)
                else:
                    self.stats.unmatched_commands += 1
        if self._ack and command_id:
            self._send_ack(command_id)
        if first and self._on_command is not None:
            self._on_command(body)

    def _refused(self, body: dict[str, Any]) -> None:
        key, reason = body.get("idempotency_key"), str(body.get("reason", "unknown"))
        with self._lock:
            self.stats.refused[reason] += 1
            if isinstance(key, str):
                self._drop(key)

    def _send_ack(self, command_id: str) -> None:
        body = {
            "v": 1,
            "device_time": _rfc3339(datetime.now(UTC)),
            "idempotency_key": f"ack-{hashlib.sha256(command_id.encode()).hexdigest()[:32]}",
            "kind": "ack",
            "command_id": command_id,
            "result": "done",
        }
        self._publish(self._acks, json.dumps(body, separators=(",", ":")).encode())


class HttpsDevice:
    """One simulated device over HTTPS: ``POST /api/v1/device/arrivals`` (card, PIN, QR
    and exit button; frames go to other routes). The caller owns the client."""

    PATH: Final = "/api/v1/device/arrivals"

    def __init__(
        self, identity: DeviceIdentity, client: httpx.AsyncClient, *, key_prefix: str | None = None
    ) -> None:
        if not identity.credential:
            raise ValueError("an HTTPS device needs its bearer credential")
        self.identity = identity
        self.stats = DeviceStats()
        self._client = client
        self._headers = {"Authorization": f"Bearer {identity.credential}"}
        self._prefix = key_prefix or f"sim{time.time_ns():x}"
        self._numbers = itertools.count(1)
        self._seen: set[str] = set()

    async def send(self, arrival: Arrival, *, scheduled: float | None = None) -> dict[str, Any]:
        """Post ``arrival`` with a fresh key; the decision's JSON ({} on failure)."""
        if arrival.frame is not None:
            raise ValueError("frames are not sent to the arrivals route")
        key = f"{self._prefix}-{next(self._numbers)}"
        body = {
            "kind": arrival.kind,
            "value": arrival.value,
            "idempotency_key": key,
            "device_time": _rfc3339(datetime.now(UTC)),
        }
        now = time.perf_counter()
        start = now if scheduled is None else scheduled
        self.stats.sent += 1
        self.stats.max_lag_ms = max(self.stats.max_lag_ms, (now - start) * 1000)
        try:
            response = await self._client.post(self.PATH, json=body, headers=self._headers)
        except httpx.HTTPError:
            self.stats.failed += 1
            return {}
        done = time.perf_counter()
        if response.status_code != 200:
            reason = "conflict" if response.status_code == 409 else str(response.status_code)
            self.stats.refused[reason] += 1
            return {}
        decision: dict[str, Any] = response.json()
        event_id = str(decision.get("event_id", ""))
        if event_id in self._seen or decision.get("duplicate"):
            self.stats.duplicate_commands += 1
        else:
            self._seen.add(event_id)
            self.stats.answered += 1
            self.stats.latencies_ms.append((done - start) * 1000)
        return decision
