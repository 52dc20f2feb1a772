"""The demo's devices on the broker: simulated doors, and a wire for hand-made messages.

:class:`Door` is a simulated device (:class:`gatepost.simulator.MqttDevice`) that
presents one arrival at a time and waits for the gateway's command (it checks the
command's MAC and acknowledges it, as a real controller does). :class:`Wire` is a second
connection on a device's broker account that publishes exactly the bytes and MAC it is
given (a forged MAC, a reused idempotency key, a stale time) and reads the refusals the
gateway publishes on the device's errors topic.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from typing import Any, TypeVar

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gatepost.ingest.broker_process import OwnBroker
from gatepost.ingest.envelope import MAC_PROPERTY
from gatepost.ingest.topics import Channel
from gatepost.security.device_mqtt import message_mac
from gatepost.simulator import Arrival, DeviceIdentity, MqttDevice, mqtt_client

__all__ = ["Door", "Wire", "connected"]

_CONNECT_TRIES = 25
_CONNECT_PAUSE = 0.2  # seconds: the broker reloads its accounts on SIGHUP, asynchronously

T = TypeVar("T")


def connected(connect: Callable[[], T]) -> T:
    """``connect()``'s result, retried while the broker has not yet loaded a new account."""
    for attempt in range(_CONNECT_TRIES):
        try:
            return connect()
        except ConnectionError:
            if attempt == _CONNECT_TRIES - 1:
                raise
            time.sleep(_CONNECT_PAUSE)
    raise AssertionError("unreachable")  # pragma: no cover


class Door:
    """A simulated door controller or barrier camera over MQTT (see the module doc)."""

    def __init__(self, identity: DeviceIdentity, broker: OwnBroker, *, name: str) -> None:
        self.name = name
        self._commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.device = MqttDevice(
            identity,
            host=broker.host,
            port=broker.port,
            key_prefix=f"demo-{identity.device_id[:8]}",
            on_command=self._commands.put,
        )

    def connect(self) -> Door:
        connected(self.device.connect)
        return self

    def close(self) -> None:
        self.device.close()

    def present(self, arrival: Arrival, *, timeout: float = 30.0) -> tuple[str, dict[str, Any]]:
        """Send ``arrival``; its idempotency key and the command it got ({} if none came)."""
        key = self.device.send(arrival)
        try:
            return key, self._commands.get(timeout=timeout)
        except queue.Empty:
            return key, {}


class Wire:
    """Hand-made messages on a device's account (see the module doc)."""

    def __init__(self, identity: DeviceIdentity, broker: OwnBroker) -> None:
        self.identity = identity
        self._refusals: queue.Queue[dict[str, Any]] = queue.Queue()
        self._client: paho.Client = connected(
            lambda: mqtt_client(
                host=broker.host,
                port=broker.port,
                username=identity.mqtt_username,
                password=identity.mqtt_password,
                client_id=f"{identity.mqtt_username}.wire",
                subscriptions=[identity.topic(Channel.ERRORS)],
                on_message=self._on_message,
            )
        )

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            self._refusals.put(json.loads(message.payload))
        except ValueError:
            self._refusals.put({"reason": "unreadable"})

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def send(self, payload: bytes, *, mac_key: bytes, timeout: float = 10.0) -> dict[str, Any]:
        """Publish ``payload`` on the events topic with the MAC made with ``mac_key``; the
        refusal the gateway answered ({} if none came within ``timeout``)."""
        topic = self.identity.topic(Channel.EVENTS)
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = [(MAC_PROPERTY, message_mac(mac_key, topic, payload))]
        self._client.publish(topic, payload, qos=1, properties=properties)
        try:
            return self._refusals.get(timeout=timeout)
        except queue.Empty:
            return {}
