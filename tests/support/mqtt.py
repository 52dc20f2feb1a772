"""MQTT 5 test clients (paho-mqtt 2.x) for gatepost's own broker (scripts/mosquitto.sh).

The broker is started by ``make test`` (``make mqtt-start``) and found through the same
environment variables the script reads (``tests.support.services``). Tests that change
the broker's accounts or restart it hold :func:`exclusive_broker`, a lock shared by every
xdist worker and every concurrent run on this machine, because the broker has one
password file and one ACL file.
"""

from __future__ import annotations

import fcntl
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gatepost.ingest.broker_accounts import BrokerFiles
from tests.support.services import (
    MQTT_DIR,
    MQTT_GATEWAY_USER,
    MQTT_HOST,
    MQTT_PORT,
    REPO_ROOT,
    missing,
    port_open,
)

__all__ = [
    "NEVER_EXPIRES",
    "Broker",
    "Connected",
    "Received",
    "connect",
    "exclusive_broker",
    "forget_session",
    "refused",
    "wait_until",
]


NEVER_EXPIRES = 0xFFFFFFFF
"""MQTT 5 Session Expiry Interval of a session that never expires: the only persistent
sessions gatepost's broker supports (scripts/mosquitto.sh, write_config)."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    files: BrokerFiles
    gateway_username: str

    @property
    def gateway_password(self) -> str:
        return self.files.gateway_password()

    def script(self, command: str) -> None:
        """scripts/mosquitto.sh start|stop for this broker."""
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "GATEPOST_MQTT_DIR": str(self.files.password_file.parent),
            "GATEPOST_TEST_MQTT_PORT": str(self.port),
            "GATEPOST_MQTT_GATEWAY_USER": self.gateway_username,
        }
        subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "mosquitto.sh"), command],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )


@contextmanager
def exclusive_broker() -> Iterator[Broker]:
    """The test broker, held for this test alone (its accounts and its process); skip
    (fail in CI) when it does not run. Checked once the lock is held, because a test
    holding it may be restarting the broker."""
    files = BrokerFiles.in_dir(MQTT_DIR)
    where = f"the Mosquitto test broker on {MQTT_HOST}:{MQTT_PORT} (make mqtt-start)"
    if not MQTT_DIR.is_dir():
        missing(where)
    with open(MQTT_DIR / "tests.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if not port_open(MQTT_HOST, MQTT_PORT) or not files.gateway_secret_file.exists():
                missing(where)
            yield Broker(MQTT_HOST, MQTT_PORT, files, MQTT_GATEWAY_USER)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    user_properties: list[tuple[str, str]]


@dataclass
class Connected:
    """A connected client that collects every message it receives."""

    client: paho.Client
    inbox: queue.Queue[Received] = field(default_factory=queue.Queue)

    def subscribe(self, topic: str, *, qos: int = 1, timeout: float = 5) -> int:
        """Subscribe and wait for the SUBACK; returns its reason code's value."""
        done = threading.Event()
        codes: list[int] = []

        def on_subscribe(
            client: paho.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
        ) -> None:
            codes.extend(reason.value for reason in reasons)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=qos)
        assert done.wait(timeout), f"no SUBACK for {topic}"
        return codes[0]

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        user_properties: list[tuple[str, str]] | None = None,
        timeout: float = 5,
    ) -> None:
        """Publish and wait until the broker has it (PUBACK for QoS 1)."""
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if user_properties:
            properties.UserProperty = user_properties
        info = self.client.publish(topic, payload, qos=qos, properties=properties)
        info.wait_for_publish(timeout)
        assert info.is_published(), f"publish to {topic} not acknowledged"

    def expect(self, timeout: float = 5) -> Received:
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing received within {timeout}s") from None

    def expect_nothing(self, wait: float = 1.0) -> None:
        try:
            got = self.inbox.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"received {got.topic}, which must not arrive")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self.client.is_connected()


def _nodelay(client: paho.Client, userdata: Any, sock: Any) -> None:
    # ARCHITECTURE.md "Devices": QoS 1 needs TCP_NODELAY at both ends.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _client(client_id: str) -> tuple[paho.Client, queue.Queue[Received]]:
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
    )
    client.on_socket_open = _nodelay
    inbox: queue.Queue[Received] = queue.Queue()

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        props = getattr(message.properties, "UserProperty", None) or []
        inbox.put(Received(message.topic, bytes(message.payload), list(props)))

    client.on_message = on_message
    return client, inbox


def _connack(
    broker: Broker,
    username: str | None,
    password: str | None,
    *,
    client_id: str,
    clean_start: bool,
    session_expiry: int,
    timeout: float,
) -> tuple[paho.Client, queue.Queue[Received], int]:
    client, inbox = _client(client_id)
    if username is not None:
        client.username_pw_set(username, password)
    answered = threading.Event()
    codes: list[int] = []

    def on_connect(client: paho.Client, userdata: Any, flags: Any, code: Any, props: Any) -> None:
        codes.append(code.value)
        answered.set()

    def on_disconnect(client: paho.Client, userdata: Any, flags: Any, code: Any, p: Any) -> None:
        if not answered.is_set():
            codes.append(code.value if code is not None else 0x80)
            answered.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = session_expiry
    client.connect(
        broker.host, broker.port, keepalive=30, clean_start=clean_start, properties=properties
    )
    client.loop_start()
    if not answered.wait(timeout):
        client.loop_stop()
        raise AssertionError("no CONNACK")
    return client, inbox, codes[0]


def connect(
    broker: Broker,
    username: str,
    password: str,
    *,
    client_id: str | None = None,
    clean_start: bool = True,
    session_expiry: int = 0,
    timeout: float = 5,
) -> Connected:
    """A connected MQTT 5 client (AssertionError if the broker refuses it)."""
    client, inbox, code = _connack(
        broker,
        username,
        password,
        client_id=client_id or username,
        clean_start=clean_start,
        session_expiry=session_expiry,
        timeout=timeout,
    )
    if code != 0:
        client.loop_stop()
        raise AssertionError(f"connection refused: reason code {code:#x}")
    client.on_disconnect = None
    return Connected(client, inbox)


def refused(
    broker: Broker, username: str | None, password: str | None, *, timeout: float = 5
) -> int:
    """The CONNACK's reason code for a connection the broker must refuse (0 if it did not)."""
    client, _, code = _connack(
        broker,
        username,
        password,
        client_id=f"refused-{time.monotonic_ns()}",
        clean_start=True,
        session_expiry=0,
        timeout=timeout,
    )
    client.disconnect()
    client.loop_stop()
    return code


def forget_session(broker: Broker, username: str, password: str, *, client_id: str) -> None:
    """End a persistent session: connect with its client id and a clean start, leave."""
    connect(broker, username, password, client_id=client_id).close()


def wait_until(predicate: Any, *, timeout: float = 5, every: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())
