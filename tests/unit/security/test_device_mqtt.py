"""MQTT device secrets: Mosquitto's $7$ password format (checked against mosquitto_passwd),
keys as base64url, and the message MAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess
from pathlib import Path

import pytest

from gatepost.security.device_mqtt import (
    MOSQUITTO_ITERATIONS,
    broker_username,
    decode_key,
    encode_key,
    issue_mqtt_secrets,
    message_mac,
    mosquitto_hash,
    mosquitto_verify,
)
from tests.support.services import missing


def _mosquitto_passwd(path: Path, username: str, password: str) -> str:
    """The hash mosquitto_passwd writes for ``password`` (read twice from stdin)."""
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        missing("mosquitto_passwd (Debian package mosquitto)")
    assert tool is not None
    path.touch(mode=0o600)
    subprocess.run(
        [tool, str(path), username],
        input=f"{password}\n{password}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=10,
    )
    line = path.read_text().strip()
    name, _, hashed = line.partition(":")
    assert name == username
    return hashed


def test_our_hash_is_byte_for_byte_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    password = issue_mqtt_secrets().password
    theirs = _mosquitto_passwd(tmp_path / "passwords", "device", password)
    _, seven, iterations, salt, _digest = theirs.split("$")
    assert (seven, int(iterations)) == ("7", MOSQUITTO_ITERATIONS)
    ours = mosquitto_hash(password, salt=base64.b64decode(salt), iterations=int(iterations))
    assert ours == theirs
    assert mosquitto_verify(password, theirs)
    assert not mosquitto_verify(password + "x", theirs)


def test_hash_format_is_pbkdf2_sha512_with_a_fresh_salt() -> None:
    first, second = mosquitto_hash("secret"), mosquitto_hash("secret")
    assert first != second
    _, seven, iterations, salt, digest = first.split("$")
    assert (seven, iterations) == ("7", "101")
    raw_salt = base64.b64decode(salt)
    assert len(raw_salt) == 12
    expected = hashlib.pbkdf2_hmac("sha512", b"secret", raw_salt, 101, 64)
    assert base64.b64decode(digest) == expected
    assert mosquitto_verify("secret", first) and mosquitto_verify("secret", second)


@pytest.mark.parametrize(
    "hashed",
    [
        "",
        "plain",
        "$6$salt$hash",
        "$7$101$$" + "A" * 86 + "==",
        "$7$0$c2FsdA==$" + "A" * 86 + "==",
        "$7$101$c2FsdA==$short",
        "$7$101$c2Fsd!==$" + "A" * 86 + "==",
        mosquitto_hash("secret") + "\n",
    ],
)
def test_malformed_hashes_never_verify(hashed: str) -> None:
    assert mosquitto_verify("secret", hashed) is False


def test_keys_are_256_bits_shown_as_43_base64url_characters() -> None:
    secrets = issue_mqtt_secrets()
    assert len(secrets.mac_key) == 32 and len(decode_key(secrets.password)) == 32
    text = encode_key(secrets.mac_key)
    assert len(text) == 43 and "=" not in text and decode_key(text) == secrets.mac_key
    assert issue_mqtt_secrets().mac_key != secrets.mac_key
    assert secrets.password not in repr(secrets) and text not in repr(secrets)
    for bad in ("", "a" * 42, "a" * 44, "+" * 43, "a" * 42 + "B"):
        with pytest.raises(ValueError, match="43 characters"):
            decode_key(bad)


def test_message_mac_is_hmac_sha256_over_topic_newline_payload() -> None:
    key, topic, payload = b"k" * 32, "gatepost/t/d/events", b'{"v":1}'
    expected = hmac.new(key, b'gatepost/t/d/events\n{"v":1}', hashlib.sha256).hexdigest()
    assert message_mac(key, topic, payload) == expected
    assert message_mac(key, topic, payload + b" ") != expected


def test_device_usernames_name_tenant_and_device() -> None:
    assert broker_username("a" * 32, "b" * 32) == "a" * 32 + "." + "b" * 32
