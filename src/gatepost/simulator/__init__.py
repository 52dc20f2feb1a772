"""Simulated devices: the device side of gatepost's protocol (docs/devices.md), in Python.

:mod:`gatepost.simulator.device` holds a device over MQTT (:class:`MqttDevice`) and over
HTTPS (:class:`HttpsDevice`) that send signed arrivals, obey and acknowledge commands, and
record each arrival's latency. ``gatepost bench access`` drives them; nothing in the
application imports this package.
"""

from __future__ import annotations

from gatepost.simulator.device import (
    ARRIVAL_KINDS,
    Arrival,
    DeviceIdentity,
    DeviceStats,
    HttpsDevice,
    MqttDevice,
    arrival_payload,
    mqtt_client,
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
