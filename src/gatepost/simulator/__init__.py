"""Simulated devices: the device side of gatepost's protocol (docs/devices.md), in Python.

:mod:`gatepost.simulator.device` holds a device over MQTT (:class:`MqttDevice`) and
:mod:`gatepost.simulator.https` one over HTTPS (:class:`HttpsDevice`): they send signed
arrivals, keep each one until it is answered (buffered while the broker or server is
unreachable, replayed after a reconnect, resent with the same idempotency key when no
answer comes: :mod:`gatepost.simulator.backlog`), obey and acknowledge commands
(:mod:`gatepost.simulator.door`) and record each arrival's latency.
:mod:`gatepost.simulator.credentials` reads a device's registration answer,
:mod:`gatepost.simulator.script` the steps of ``gatepost device simulate`` and
:mod:`gatepost.simulator.session` follows them. ``gatepost bench access`` and ``gatepost
device simulate`` drive them; nothing in the application imports this package.
"""

from __future__ import annotations

from gatepost.simulator.credentials import CredentialsError, load_identity
from gatepost.simulator.device import MqttDevice, mqtt_client
from gatepost.simulator.door import Role
from gatepost.simulator.https import HttpsDevice
from gatepost.simulator.messages import (
    ARRIVAL_KINDS,
    Arrival,
    DeviceIdentity,
    DeviceStats,
    Report,
    arrival_payload,
)

__all__ = [
    "ARRIVAL_KINDS",
    "Arrival",
    "CredentialsError",
    "DeviceIdentity",
    "DeviceStats",
    "HttpsDevice",
    "MqttDevice",
    "Report",
    "Role",
    "arrival_payload",
    "load_identity",
    "mqtt_client",
]
