"""MQTT notifications: the notifier's own connection to gatepost's broker.

It connects as the gateway account (whose ACL may write ``gatepost-notify/#``, see
``ingest.broker_accounts``) with a client id of its own, and publishes each
notification at QoS 1 to ``gatepost-notify/<tenant_id>/<type>``, waiting for the
broker's PUBACK: a notification the broker did not take is retried by the notifier
like a failed webhook. The body is the webhook's JSON; the MQTT 5 user properties
``webhook-id`` and ``webhook-timestamp`` repeat its id and the attempt's time.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gatepost.ingest.broker_accounts import BrokerFiles
from gatepost.ingest.gateway import nodelay
from gatepost.settings import Settings

__all__ = ["MqttNotificationPublisher"]

log = logging.getLogger(__name__)


class MqttNotificationPublisher:
    """Publishes notifications (see the module doc); ``start()`` connects in the
    background and reconnects on its own; ``publish`` fails fast while disconnected."""

    def __init__(self, settings: Settings, *, worker_name: str, timeout: float = 5.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._connected = threading.Event()
        self._refused: dict[int, ReasonCode] = {}
        mqtt = settings.mqtt
        self.client_id = f"{mqtt.gateway_username}.notify.{worker_name}"[:64]
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5,
        )
        files = BrokerFiles.from_settings(settings)
        client.username_pw_set(mqtt.gateway_username, files.gateway_password())
        client.on_socket_open = nodelay
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client = client

    def start(self, wait: float = 5.0) -> None:
        mqtt = self._settings.mqtt
        self._client.connect_async(mqtt.host, mqtt.port, keepalive=30, clean_start=True)
        self._client.loop_start()
        if not self._connected.wait(wait):
            log.warning("the notifier is not connected to MQTT yet (%s:%d)", mqtt.host, mqtt.port)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        if code.is_failure:
            log.warning("the notifier's MQTT connection was refused: %s", code)
            return
        self._connected.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        self._connected.clear()

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, code: ReasonCode, props: Any
    ) -> None:
        if code.is_failure:  # e.g. 0x87 not authorized: the ACL refused the topic
            self._refused[mid] = code

    def publish(self, topic: str, body: bytes, properties: dict[str, str]) -> bool:
        if not self._connected.is_set():
            return False
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.UserProperty = list(properties.items())
        props.ContentType = "application/json"
        info = self._client.publish(topic, body, qos=1, properties=props)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(self._timeout)
        except (RuntimeError, ValueError):
            return False
        refused = self._refused.pop(info.mid, None)
        if refused is not None:
            log.warning("the broker refused a notification on %s: %s", topic, refused)
            return False
        return info.is_published()
