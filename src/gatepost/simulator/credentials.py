"""A device's credentials file: the JSON that registering the device showed, read back.

``POST /api/v1/devices`` (and ``.../rotate-credential``) answers with the device and its
secrets, once; an administrator saves that answer as a file and gives it to the device
(``gatepost device simulate --credentials FILE``). :func:`load_identity` reads exactly
that JSON: ``id`` (or ``device_id``), ``mqtt_username`` (``<tenant_id>.<device_id>``),
``mqtt_password``, ``mqtt_mac_key`` and ``credential``; ``tenant_id`` may be given, and
must then agree with the username. Other fields of the answer (name, site, ...) are
ignored. Every problem is a :class:`CredentialsError` naming the field, never its value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from gatepost.security.device_mqtt import decode_key
from gatepost.simulator.messages import DeviceIdentity

__all__ = ["CredentialsError", "identity_from_registration", "load_identity"]

_ID: Final = re.compile(r"^[0-9a-f]{32}$")
_MAX_BYTES: Final = 64 * 1024


class CredentialsError(ValueError):
    """The credentials file is missing, unreadable or not what registration shows."""


def _text(data: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise CredentialsError(f"{name}: missing or not a non-empty string")
    return value


def identity_from_registration(data: object, *, transport: str = "mqtt") -> DeviceIdentity:
    """The device identity in a registration answer; ``transport`` (``mqtt`` or
    ``https``) says which secrets must be there (the bearer credential for HTTPS, the
    broker account and the MAC key for MQTT)."""
    if not isinstance(data, Mapping):
        raise CredentialsError("the file must hold one JSON object (the registration answer)")
    device_id = data.get("device_id", data.get("id"))
    if not isinstance(device_id, str) or not _ID.fullmatch(device_id):
        raise CredentialsError("id: missing or not a device id (32 lowercase hex characters)")
    username = _text(data, "mqtt_username", required=transport == "mqtt")
    tenant_id = data.get("tenant_id")
    if username:
        owner, _, named = username.partition(".")
        if not _ID.fullmatch(owner) or named != device_id:
            raise CredentialsError("mqtt_username: not <tenant_id>.<device id> of this device")
        if tenant_id is not None and tenant_id != owner:
            raise CredentialsError("tenant_id: does not match mqtt_username")
        tenant_id = owner
    if not isinstance(tenant_id, str) or not _ID.fullmatch(tenant_id):
        raise CredentialsError("tenant_id: missing (give mqtt_username or tenant_id)")
    password = _text(data, "mqtt_password", required=transport == "mqtt")
    key_text = _text(data, "mqtt_mac_key", required=transport == "mqtt")
    try:
        mac_key = decode_key(key_text) if key_text else b""
    except ValueError as exc:
        raise CredentialsError(f"mqtt_mac_key: {exc}") from None
    credential = _text(data, "credential", required=transport == "https")
    return DeviceIdentity(
        tenant_id=tenant_id,
        device_id=device_id,
        mqtt_username=username,
        mqtt_password=password,
        mac_key=mac_key,
        credential=credential,
    )


def load_identity(path: Path, *, transport: str = "mqtt") -> DeviceIdentity:
    """:func:`identity_from_registration` of the JSON file at ``path``."""
    try:
        raw = path.read_bytes()[: _MAX_BYTES + 1]
    except OSError as exc:
        raise CredentialsError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_BYTES:
        raise CredentialsError(f"{path} is larger than a registration answer can be")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise CredentialsError(f"{path} is not JSON: {exc}") from None
    return identity_from_registration(data, transport=transport)
