"""Standard Webhooks signing and verification, the retry schedule and endpoint URL rules
(gatepost.domain.webhooks): the published test vector, property tests of the round
trip and of tampering, and the SSRF address classes."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.domain.webhooks import (
    RETRY_DELAYS,
    SignatureInvalid,
    address_is_private,
    decode_secret,
    encode_secret,
    notify_topic,
    retry_delay,
    sign,
    signature_headers,
    url_problem,
    verify,
)

# The Standard Webhooks specification's published example (its reference libraries test
# against it): a receiver library accepts what gatepost signs only if this reproduces.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

keys = st.binary(min_size=1, max_size=64)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=40)
stamps = st.integers(min_value=0, max_value=2**40)
bodies = st.binary(max_size=512)


def test_signature_matches_the_specification_example() -> None:
    key = decode_secret(SPEC_SECRET)
    assert sign(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    verify(key, headers, SPEC_BODY, now=SPEC_TIMESTAMP)
    # Several signatures (a secret being rotated): any v1 one that matches will do.
    headers["webhook-signature"] = f"v1,bm9wZQ== {SPEC_SIGNATURE}"
    verify(key, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10)


@given(keys, ids, stamps, bodies)
def test_signed_messages_verify_when_nothing_changed(
    key: bytes, msg_id: str, stamp: int, body: bytes
) -> None:
    verify(key, signature_headers(key, msg_id, stamp, body), body, now=stamp)


@given(keys, ids, stamps, bodies, st.binary(min_size=1, max_size=8))
def test_a_changed_body_or_key_fails_verification(
    key: bytes, msg_id: str, stamp: int, body: bytes, extra: bytes
) -> None:
    headers = signature_headers(key, msg_id, stamp, body)
    with pytest.raises(SignatureInvalid):
        verify(key, headers, body + extra, now=stamp)
    other_key = bytes([key[0] ^ 1]) + key[1:]  # (HMAC pads short keys with zeros)
    with pytest.raises(SignatureInvalid):
        verify(other_key, headers, body, now=stamp)
    with pytest.raises(SignatureInvalid):
        verify(key, {**headers, "webhook-id": msg_id + "x"}, body, now=stamp)


@given(keys, stamps, st.integers(min_value=301, max_value=10**6))
def test_old_or_future_timestamps_are_refused(key: bytes, stamp: int, skew: int) -> None:
    headers = signature_headers(key, "msg_1", stamp, b"{}")
    for now in (stamp + skew, stamp - skew):
        with pytest.raises(SignatureInvalid, match="tolerance"):
            verify(key, headers, b"{}", now=now)


def test_missing_or_malformed_headers_are_refused() -> None:
    key = b"k"
    good = signature_headers(key, "msg_1", 100, b"{}")
    for broken in (
        {k: v for k, v in good.items() if k != "webhook-signature"},
        {**good, "webhook-timestamp": "1e3"},
        {**good, "webhook-signature": "v2," + good["webhook-signature"][3:]},
    ):
        with pytest.raises(SignatureInvalid):
            verify(key, broken, b"{}", now=100)


@given(st.binary(min_size=1, max_size=64))
def test_secrets_round_trip_through_their_text(raw: bytes) -> None:
    text = encode_secret(raw)
    assert text.startswith("whsec_")
    assert decode_secret(text) == raw
    assert decode_secret(text.removeprefix("whsec_")) == raw  # the prefix is optional


@pytest.mark.parametrize("text", ["whsec_", "whsec_!!notbase64", "whsec_abc"])
def test_malformed_secrets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        decode_secret(text)


@given(st.integers(min_value=1, max_value=30), st.floats(min_value=0, max_value=0.999))
def test_retry_waits_grow_spread_by_jitter_and_stop_at_the_last_attempt(
    attempts: int, jitter: float
) -> None:
    wait = retry_delay(attempts, jitter=jitter, max_attempts=8)
    if attempts >= 8:
        assert wait is None
        return
    assert wait is not None
    base = RETRY_DELAYS[attempts - 1]
    assert base * 0.8 <= wait <= base * 1.2
    later = retry_delay(attempts + 1, jitter=0.0, max_attempts=9)
    assert later is None or later >= base * 0.8


def test_retry_schedule_starts_at_five_seconds_and_reaches_hours() -> None:
    assert retry_delay(1, jitter=0.5, max_attempts=8) == timedelta(seconds=5)
    assert retry_delay(6, jitter=0.5, max_attempts=8) == timedelta(hours=1)
    with pytest.raises(ValueError, match="jitter"):
        retry_delay(1, jitter=1.0, max_attempts=8)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/gatepost?x=1", None),
        ("http://hooks.example.com/gatepost", "must start with https://"),
        ("ftp://hooks.example.com/", "must start with https://"),
        ("https://user:pw@hooks.example.com/", "must not carry a user name or password"),
        ("https:///path", "has no host"),
        ("https://hooks.example.com/a b", "contains spaces or control characters"),
        ("https://hooks.example.com:99999/", "is not a URL"),
        ("https://hooks.example.com/#frag", "must not have a #fragment"),
    ],
)
def test_endpoint_urls_must_be_plain_https(url: str, problem: str | None) -> None:
    assert url_problem(url, allow_plain_http=False) == problem


def test_plain_http_passes_only_where_private_targets_are_allowed() -> None:
    assert url_problem("http://127.0.0.1:8080/hook", allow_plain_http=True) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "192.0.0.8",  # IETF protocol assignments
    ],
)
def test_loopback_private_link_local_and_mapped_addresses_are_private(address: str) -> None:
    assert address_is_private(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "2002:808:808::"]
)
def test_public_addresses_are_not_private(address: str) -> None:
    assert not address_is_private(address)


def test_notification_topics_are_per_tenant_and_type() -> None:
    assert notify_topic("t" * 32, "alert.raised") == f"gatepost-notify/{'t' * 32}/alert.raised"
    assert base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))  # the example is base64
