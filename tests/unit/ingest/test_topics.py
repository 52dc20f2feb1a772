"""Device topics: built and parsed in one place; anything else is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.ingest.topics import (
    Channel,
    DeviceTopic,
    TopicRefused,
    device_topic,
    gateway_filter,
    parse_device_topic,
    parse_inbound,
    parse_outbound,
    shared_subscription,
)

T, D = "0f" * 16, "a1" * 16
hex_ids = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


@pytest.mark.parametrize("channel", list(Channel))
def test_device_topic_reads_back_as_the_same_device_and_channel(channel: Channel) -> None:
    topic = device_topic(T, D, channel)
    assert topic == f"gatepost/{T}/{D}/{channel.value}"
    assert parse_device_topic(topic) == DeviceTopic(T, D, channel)


@given(tenant_id=hex_ids, device_id=hex_ids, channel=st.sampled_from(list(Channel)))
def test_any_device_topic_round_trips(tenant_id: str, device_id: str, channel: Channel) -> None:
    parsed = parse_device_topic(device_topic(tenant_id, device_id, channel))
    assert (parsed.tenant_id, parsed.device_id, parsed.channel) == (tenant_id, device_id, channel)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "gatepost",
        f"gatepost/{T}/{D}",
        f"gatepost/{T}/{D}/",
        f"gatepost/{T}/{D}/events/extra",
        f"/gatepost/{T}/{D}/events",
        f"other/{T}/{D}/events",
        f"Gatepost/{T}/{D}/events",
        f"gatepost/{T}/{D}/status",
        f"gatepost/{T}/{D}/EVENTS",
        f"gatepost/{T.upper()}/{D}/events",
        f"gatepost/{T}/{D[:-1]}/events",
        f"gatepost/{T}/{D}0/events",
        f"gatepost/{T}/{D[:-1]}g/events",
        f"gatepost/+/{D}/events",
        f"gatepost/{T}/#",
        "gatepost/+/+/events",
        "$share/gatepost/gatepost/+/+/events",
        f"$share/gatepost/gatepost/{T}/{D}/events",
        f"gatepost/{T}/{D}/events\n",
        f"gatepost/{T}\n/{D}/events",
    ],
)
def test_anything_but_a_device_topic_is_refused(topic: str) -> None:
    with pytest.raises(TopicRefused) as refused:
        parse_device_topic(topic)
    assert refused.value.field == "topic"


def test_inbound_and_outbound_parsers_refuse_the_other_direction() -> None:
    for channel in (Channel.EVENTS, Channel.ACKS):
        assert parse_inbound(device_topic(T, D, channel)).channel is channel
        with pytest.raises(TopicRefused):
            parse_outbound(device_topic(T, D, channel))
    for channel in (Channel.COMMANDS, Channel.ERRORS, Channel.STATE):
        assert parse_outbound(device_topic(T, D, channel)).channel is channel
        with pytest.raises(TopicRefused):
            parse_inbound(device_topic(T, D, channel))


def test_a_device_topic_object_refuses_ids_that_are_not_hex() -> None:
    with pytest.raises(TopicRefused):
        DeviceTopic("+", D, Channel.EVENTS)
    with pytest.raises(TopicRefused):
        DeviceTopic(T, "x" * 32, Channel.EVENTS)
    with pytest.raises(TopicRefused):
        DeviceTopic(T, D + "\n", Channel.EVENTS)  # no line breaks into the ACL file
    assert str(DeviceTopic(T, D, Channel.EVENTS).on(Channel.ERRORS)) == f"gatepost/{T}/{D}/errors"


def test_gateway_subscribes_to_inbound_channels_through_one_share_group() -> None:
    assert shared_subscription(Channel.EVENTS) == "$share/gatepost/gatepost/+/+/events"
    assert shared_subscription(Channel.ACKS) == "$share/gatepost/gatepost/+/+/acks"
    assert gateway_filter(Channel.COMMANDS) == "gatepost/+/+/commands"
    with pytest.raises(ValueError, match="inbound"):
        shared_subscription(Channel.COMMANDS)
