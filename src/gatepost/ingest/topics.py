"""Every MQTT topic gatepost uses, built and parsed here and nowhere else.

A device's topics live under ``gatepost/<tenant_id>/<device_id>/`` (ids: 32 lowercase
hex characters)::

    gatepost/<tenant_id>/<device_id>/events     device -> gateway: arrivals
    gatepost/<tenant_id>/<device_id>/acks       device -> gateway: command acknowledgements
    gatepost/<tenant_id>/<device_id>/commands   gateway -> device: what to do
    gatepost/<tenant_id>/<device_id>/errors     gateway -> device: why a message was refused
    gatepost/<tenant_id>/<device_id>/state      gateway -> device: its door mode (retained)

Gateway processes share the devices' messages through MQTT 5 shared subscriptions in
one group, so each message goes to exactly one of them::

    $share/gatepost/gatepost/+/+/events
    $share/gatepost/gatepost/+/+/acks

Parsing refuses anything else: another prefix, a level too many or too few, an id that
is not 32 lowercase hex characters, an unknown channel, wildcards, and a topic a device
subscribes to where one it publishes to is expected (and the reverse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gatepost.errors import ValidationFailed

__all__ = [
    "Channel",
    "DeviceTopic",
    "INBOUND",
    "OUTBOUND",
    "PREFIX",
    "SHARE_GROUP",
    "TopicRefused",
    "device_topic",
    "gateway_filter",
    "parse_device_topic",
    "parse_inbound",
    "parse_outbound",
    "shared_subscription",
]

PREFIX = "gatepost"
SHARE_GROUP = "gatepost"

_ID = re.compile(r"^[0-9a-f]{32}$")


class Channel(StrEnum):
    EVENTS = "events"
    ACKS = "acks"
    COMMANDS = "commands"
    ERRORS = "errors"
    STATE = "state"


INBOUND = frozenset({Channel.EVENTS, Channel.ACKS})
"""What a device publishes and the gateway reads."""
OUTBOUND = frozenset({Channel.COMMANDS, Channel.ERRORS, Channel.STATE})
"""What the gateway publishes and a device reads."""


class TopicRefused(ValidationFailed):
    """A topic that is not one of a device's (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a device topic: {reason}", field="topic")
        self.reason = reason


@dataclass(frozen=True)
class DeviceTopic:
    """One device's topic on one channel."""

    tenant_id: str
    device_id: str
    channel: Channel

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.tenant_id):
            raise TopicRefused("the tenant id is not 32 lowercase hex characters")
        if not _ID.fullmatch(self.device_id):
            raise TopicRefused("the device id is not 32 lowercase hex characters")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.tenant_id}/{self.device_id}/{self.channel.value}"

    def on(self, channel: Channel) -> DeviceTopic:
        """The same device's topic on another channel (e.g. where to answer)."""
        return DeviceTopic(self.tenant_id, self.device_id, channel)


def device_topic(tenant_id: str, device_id: str, channel: Channel) -> str:
    """``gatepost/<tenant_id>/<device_id>/<channel>``."""
    return str(DeviceTopic(tenant_id, device_id, channel))


def parse_device_topic(topic: str) -> DeviceTopic:
    """The device and channel a topic names; TopicRefused for anything else."""
    levels = topic.split("/")
    if len(levels) != 4:
        raise TopicRefused("a device topic has exactly four levels")
    prefix, tenant_id, device_id, channel = levels
    if prefix != PREFIX:
        raise TopicRefused(f"a device topic starts with {PREFIX}/")
    try:
        parsed = Channel(channel)
    except ValueError:
        raise TopicRefused("unknown channel") from None
    return DeviceTopic(tenant_id, device_id, parsed)


def parse_inbound(topic: str) -> DeviceTopic:
    """A topic a device publishes to (events, acks); TopicRefused for anything else."""
    parsed = parse_device_topic(topic)
    if parsed.channel not in INBOUND:
        raise TopicRefused("devices publish only to their events and acks topics")
    return parsed


def parse_outbound(topic: str) -> DeviceTopic:
    """A topic the gateway publishes to (commands, errors, state); TopicRefused otherwise."""
    parsed = parse_device_topic(topic)
    if parsed.channel not in OUTBOUND:
        raise TopicRefused("the gateway publishes only to commands, errors and state topics")
    return parsed


def gateway_filter(channel: Channel) -> str:
    """Every device's topic on ``channel``: ``gatepost/+/+/<channel>``."""
    return f"{PREFIX}/+/+/{channel.value}"


def shared_subscription(channel: Channel) -> str:
    """The gateway group's MQTT 5 shared subscription to an inbound channel."""
    if channel not in INBOUND:
        raise ValueError("the gateway subscribes only to inbound channels")
    return f"$share/{SHARE_GROUP}/{gateway_filter(channel)}"
