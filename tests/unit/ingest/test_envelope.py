"""Verifying device messages: every refusal reason, and any changed byte is forged."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gatepost.ingest.envelope import (
    EnvelopeRules,
    Refusal,
    RefusalReason,
    Sender,
    Verified,
    mac_property,
    verify,
)
from gatepost.ingest.messages import (
    AckMessage,
    CardMessage,
    ExitButtonMessage,
    FaceMessage,
    PinMessage,
    PlateMessage,
    QrMessage,
)
from gatepost.ingest.topics import Channel, device_topic
from gatepost.security.device_mqtt import message_mac

T, D, OTHER = "0f" * 16, "a1" * 16, "b2" * 16
KEY = bytes(range(32))
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RULES = EnvelopeRules(
    max_payload_bytes=4096, max_skew=timedelta(minutes=5), max_backlog=timedelta(days=14)
)
SENDER = Sender(tenant_id=T, device_id=D, mac_key=KEY)
EVENTS = device_topic(T, D, Channel.EVENTS)
ACKS = device_topic(T, D, Channel.ACKS)
SECRET_CARD = "04A2B3C4D5E6"


def body(kind: str = "card", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1,
        "device_time": "2026-03-01T07:59:58Z",
        "idempotency_key": "door1-000042",
        "kind": kind,
    }
    if kind == "card" and "card" not in fields:
        fields["card"] = SECRET_CARD
    return base | fields


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def check(
    payload: bytes,
    *,
    topic: str = EVENTS,
    mac: str | None | bool = True,
    sender: Sender = SENDER,
    now: datetime = NOW,
) -> Verified | Refusal:
    """verify() with a correct MAC unless ``mac`` says otherwise."""
    sent = message_mac(KEY, topic, payload) if mac is True else (mac or None)
    return verify(topic=topic, payload=payload, mac=sent, sender=sender, now=now, rules=RULES)


def refused(result: Verified | Refusal) -> RefusalReason:
    assert isinstance(result, Refusal), result
    assert SECRET_CARD not in result.detail
    return result.reason


FRAME = base64.b64encode(b"\xff\xd8\xff\xe0 a small jpeg").decode()


@pytest.mark.parametrize(
    ("payload", "topic", "model"),
    [
        (body(), EVENTS, CardMessage),
        (body("pin", pin="1234"), EVENTS, PinMessage),
        (body("qr", qr="VISIT:2026-03-01:gate 2"), EVENTS, QrMessage),
        (body("exit_button"), EVENTS, ExitButtonMessage),
        (body("face", frame=FRAME), EVENTS, FaceMessage),
        (body("plate", frame=FRAME), EVENTS, PlateMessage),
        (body("ack", command_id="c0ffee", result="done"), ACKS, AckMessage),
    ],
)
def test_a_signed_message_of_each_kind_is_verified(
    payload: dict[str, Any], topic: str, model: type
) -> None:
    raw = encode(payload)
    result = check(raw, topic=topic)
    assert isinstance(result, Verified), result
    assert isinstance(result.message, model)
    assert result.idempotency_key == "door1-000042"
    assert result.device_time == datetime(2026, 3, 1, 7, 59, 58, tzinfo=UTC)
    assert (result.topic.tenant_id, result.topic.device_id) == (T, D)


def test_frames_are_decoded_and_credentials_stay_out_of_reprs() -> None:
    face = check(encode(body("face", frame=FRAME)))
    assert isinstance(face, Verified) and isinstance(face.message, FaceMessage)
    assert face.message.frame == base64.b64decode(FRAME)
    card = check(encode(body()))
    assert isinstance(card, Verified) and isinstance(card.message, CardMessage)
    assert card.message.card == SECRET_CARD
    for shown in (repr(card), repr(face), str(card.message), repr(SENDER)):
        assert SECRET_CARD not in shown and FRAME[:12] not in shown and KEY.hex() not in shown


def test_offsets_and_fractions_are_accepted_in_device_time() -> None:
    for stamp in ("2026-03-01T15:59:58.250+08:00", "2026-03-01t07:59:58z"):
        assert isinstance(check(encode(body(device_time=stamp))), Verified)


def test_oversized_payload_is_refused_before_anything_else() -> None:
    raw = encode(body(card="A" * 64)) + b" " * RULES.max_payload_bytes
    assert refused(check(raw, mac=False)) is RefusalReason.OVERSIZED
    exactly = encode(body())
    exactly += b" " * (RULES.max_payload_bytes - len(exactly))
    assert isinstance(check(exactly), Verified)


@pytest.mark.parametrize(
    "mac",
    [
        False,  # no mac property
        "",
        "0" * 64,
        "zz" * 32,
        "ab" * 31,
        message_mac(b"another device's key" * 2, EVENTS, encode(body())),
        message_mac(KEY, EVENTS, encode(body())) + "00",
        message_mac(KEY, ACKS, encode(body())),  # signed for another topic
    ],
)
def test_missing_or_wrong_mac_is_forged(mac: str | bool) -> None:
    assert refused(check(encode(body()), mac=mac)) is RefusalReason.FORGED


def test_a_topic_that_is_not_utf8_is_forged() -> None:
    raw = encode(body())
    result = verify(
        topic=EVENTS + "\udc80", payload=raw, mac="ab" * 32, sender=SENDER, now=NOW, rules=RULES
    )
    assert refused(result) is RefusalReason.FORGED


def test_uppercase_hex_mac_is_the_same_mac() -> None:
    raw = encode(body())
    assert isinstance(check(raw, mac=message_mac(KEY, EVENTS, raw).upper()), Verified)


def test_mac_property_must_be_there_exactly_once() -> None:
    assert mac_property([("mac", "ab"), ("other", "x")]) == "ab"
    assert mac_property([("other", "x")]) is None
    assert mac_property([("mac", "ab"), ("mac", "ab")]) is None
    assert mac_property([]) is None


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (device_topic(T, OTHER, Channel.EVENTS), body()),  # another device's topic
        (device_topic(OTHER, D, Channel.EVENTS), body()),  # another tenant's
        (device_topic(T, D, Channel.COMMANDS), body()),  # not one a device publishes to
        (f"gatepost/{T}/{D}/status", body()),
        ("gatepost/+/+/events", body()),
        (ACKS, body()),  # an arrival on the acks topic
        (EVENTS, body("ack", command_id="c1", result="done")),  # an ack on events
    ],
)
def test_topic_of_another_device_or_for_another_kind_is_wrong_topic(
    topic: str, payload: dict[str, Any]
) -> None:
    assert refused(check(encode(payload), topic=topic)) is RefusalReason.WRONG_TOPIC


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[1, 2]",
        b'"card"',
        b"null",
        b"\xff\xfe{}",
        encode({k: v for k, v in body().items() if k != "kind"}),
        encode({k: v for k, v in body().items() if k != "device_time"}),
        encode({k: v for k, v in body().items() if k != "card"}),
        encode(body(extra="field")),
        encode(body(v=2)),
        encode(body(v="1")),
        encode(body(v=True)),
        encode(body(idempotency_key="")),
        encode(body(idempotency_key="a" * 65)),
        encode(body(idempotency_key="has space")),
        encode(body(device_time="2026-03-01T07:59:58")),  # no offset
        encode(body(device_time="2026-03-01 07:59:58Z")),
        encode(body(device_time=1772351998)),
        encode(body(card="")),
        encode(body(card="A" * 65)),
        encode(body(card="04-A2")),
        encode(body(card=42)),
        encode(body("pin", pin="12a4")),
        encode(body("pin", pin="123")),
        encode(body("qr", qr="tab\there")),
        encode(body("face", frame="not base64!")),
        encode(body("face", frame="")),
        encode(body("exit_button", card=SECRET_CARD)),
        encode(body("ack", command_id="c1", result="maybe")),
    ],
)
def test_unreadable_or_invalid_payload_is_malformed(raw: bytes) -> None:
    topic = ACKS if b'"ack"' in raw else EVENTS
    assert refused(check(raw, topic=topic)) is RefusalReason.MALFORMED


def test_malformed_names_the_field_and_rule_not_the_value() -> None:
    result = check(encode(body(card=SECRET_CARD + "-x")))
    assert isinstance(result, Refusal) and result.reason is RefusalReason.MALFORMED
    assert result.detail.startswith("card:") and SECRET_CARD not in result.detail


@pytest.mark.parametrize("kind", ["door_open", "CARD", "", "face_result", 7])
def test_unknown_kind_is_refused_as_such(kind: object) -> None:
    assert refused(check(encode(body(kind)))) is RefusalReason.UNKNOWN_KIND  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "device_time",
    [
        "2026-03-01T08:05:01Z",  # beyond the 5-minute skew
        "2026-03-01T16:05:01+08:00",
        "2026-02-15T07:59:59Z",  # older than the 14-day backlog
    ],
)
def test_device_time_outside_skew_or_backlog_is_stale(device_time: str) -> None:
    result = check(encode(body(device_time=device_time)))
    assert refused(result) is RefusalReason.STALE
    assert isinstance(result, Refusal) and result.idempotency_key == "door1-000042"


def test_device_time_at_the_limits_is_accepted() -> None:
    for stamp in ("2026-03-01T08:05:00Z", "2026-02-15T08:00:00Z"):
        assert isinstance(check(encode(body(device_time=stamp))), Verified)


payloads = st.sampled_from(
    [
        encode(body()),
        encode(body("pin", pin="123456")),
        encode(body("face", frame=FRAME)),
        json.dumps(body("qr", qr="x" * 200), indent=2).encode(),
    ]
)


@given(raw=payloads, data=st.data())
def test_any_single_byte_change_of_the_payload_is_forged(raw: bytes, data: st.DataObject) -> None:
    mac = message_mac(KEY, EVENTS, raw)
    position = data.draw(st.integers(0, len(raw) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != raw[position]))
    changed = raw[:position] + bytes([value]) + raw[position + 1 :]
    result = verify(topic=EVENTS, payload=changed, mac=mac, sender=SENDER, now=NOW, rules=RULES)
    assert isinstance(result, Refusal) and result.reason is RefusalReason.FORGED


@given(data=st.data())
def test_any_single_byte_change_of_the_topic_is_forged(data: st.DataObject) -> None:
    raw = encode(body())
    mac = message_mac(KEY, EVENTS, raw)
    topic = EVENTS.encode()
    position = data.draw(st.integers(0, len(topic) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != topic[position]))
    try:
        changed = (topic[:position] + bytes([value]) + topic[position + 1 :]).decode()
    except UnicodeDecodeError:
        assume(False)  # MQTT topics are UTF-8: such a topic cannot arrive
        return
    result = verify(topic=changed, payload=raw, mac=mac, sender=SENDER, now=NOW, rules=RULES)
    assert isinstance(result, Refusal) and result.reason is RefusalReason.FORGED
