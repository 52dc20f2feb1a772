"""A device's MQTT credentials: its broker account and the key that signs its messages.

Each device gets two independent random 256-bit values, shown once (base64url, no
padding) at registration and rotation, next to its HTTPS bearer credential:

- the **broker password** of the account :func:`broker_username` names. gatepost keeps
  only its hash in Mosquitto 2.0's ``$7$`` format (PBKDF2-HMAC-SHA512), which is what the
  broker's password file holds: :func:`mosquitto_hash` and :func:`mosquitto_verify`;
- the **MAC key**, with which the device signs each message (:func:`message_mac`: hex
  HMAC-SHA256 over ``topic + "\\n" + payload``). gatepost stores it sealed with the
  tenant's data key, because it must compute the same MAC.

The two are separate so that a leaked broker password (it travels to the broker on every
connect) does not let anyone sign messages, and the broker never learns the MAC key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "MOSQUITTO_ITERATIONS",
    "MqttSecrets",
    "broker_username",
    "decode_key",
    "encode_key",
    "issue_mqtt_secrets",
    "message_mac",
    "mosquitto_hash",
    "mosquitto_verify",
]

MOSQUITTO_ITERATIONS = 101
"""mosquitto_passwd's default. The passwords are 256 random bits, so the iteration count
adds nothing against guessing; the broker pays it on every connect."""

_SALT_BYTES = 12  # as mosquitto_passwd: 12 bytes, 16 base64 characters
_HASH_BYTES = 64  # SHA-512's output
_HASHED = re.compile(
    r"^\$7\$(?P<iterations>[1-9][0-9]{0,8})\$(?P<salt>[A-Za-z0-9+/]+={0,2})"
    r"\$(?P<hash>[A-Za-z0-9+/]{86}==)$"
)
_KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")


def encode_key(raw: bytes) -> str:
    """256 bits as shown to people and devices: base64url without padding (43 chars)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_key(text: str) -> bytes:
    """The inverse of :func:`encode_key`; ValueError unless it is exactly 256 bits."""
    if not _KEY_TEXT.fullmatch(text):
        raise ValueError("a key is 43 characters of base64url")
    raw = base64.urlsafe_b64decode(text + "=")
    if encode_key(raw) != text:  # the last character carries 2 unused bits
        raise ValueError("a key is 43 characters of base64url")
    return raw


@dataclass(frozen=True, repr=False)
class MqttSecrets:
    """A device's new broker password (base64url text) and MAC key (raw bytes)."""

    password: str
    mac_key: bytes

    def __repr__(self) -> str:
        return "MqttSecrets(***)"


def issue_mqtt_secrets() -> MqttSecrets:
    """Two fresh, independent random 256-bit values."""
    return MqttSecrets(
        password=encode_key(secrets.token_bytes(32)), mac_key=secrets.token_bytes(32)
    )


def broker_username(tenant_id: str, device_id: str) -> str:
    """The device's broker account: ``<tenant_id>.<device_id>`` (never the gateway's)."""
    return f"{tenant_id}.{device_id}"


def mosquitto_hash(
    password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS
) -> str:
    """``$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>``, as mosquitto_passwd
    writes it (Mosquitto 2.0's ``sha512-pbkdf2``)."""
    if not 1 <= iterations <= 999_999_999:
        raise ValueError("iterations must be 1-999999999")
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    if not salt:
        raise ValueError("the salt must not be empty")
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, _HASH_BYTES)
    salt_text, hash_text = base64.b64encode(salt).decode(), base64.b64encode(derived).decode()
    return f"$7${iterations}${salt_text}${hash_text}"


def mosquitto_verify(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash (False for anything malformed)."""
    match = _HASHED.fullmatch(hashed)
    if match is None:
        return False
    try:
        salt = base64.b64decode(match["salt"], validate=True)
        expected = base64.b64decode(match["hash"], validate=True)
    except binascii.Error:
        return False
    if not salt:
        return False
    derived = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), salt, int(match["iterations"]), _HASH_BYTES
    )
    return hmac.compare_digest(derived, expected)


def message_mac(mac_key: bytes, topic: str, payload: bytes) -> str:
    """The MAC a device sends with a message: lowercase hex HMAC-SHA256 over the topic's
    UTF-8 bytes, one newline, and the exact payload bytes."""
    return hmac.new(mac_key, topic.encode() + b"\n" + payload, hashlib.sha256).hexdigest()
