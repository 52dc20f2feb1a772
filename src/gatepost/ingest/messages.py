"""What a device may say over MQTT: one pydantic model per message kind.

Every message is a UTF-8 JSON object with the common fields ``v`` (protocol version,
1), ``device_time`` (RFC 3339 with a UTC offset or ``Z``), ``idempotency_key`` (1-64 of
``A-Za-z0-9._:-``, unique per device) and ``kind``, plus the kind's own fields:

=============  ===========  =============================================================
kind           topic        fields
=============  ===========  =============================================================
card           events       ``card``: the card number read, 1-64 of ``A-Za-z0-9``
pin            events       ``pin``: 4-12 digits
qr             events       ``qr``: the code's text, 1-512 printable ASCII characters
exit_button    events       (none)
face           events       ``frame``: a JPEG, PNG or WebP image, base64 (at most 1 MiB)
plate          events       ``frame``: as for face
ack            acks         ``command_id``: the command's id; ``result``: done or failed
=============  ===========  =============================================================

Models are strict (no type coercion: ``"1"`` is not ``1``) and refuse unknown fields.
Credential values and frames never appear in a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from gatepost.ingest.topics import Channel

__all__ = [
    "AckMessage",
    "ArrivalMessage",
    "CardMessage",
    "DeviceMessage",
    "ExitButtonMessage",
    "FaceMessage",
    "MAX_FRAME_BYTES",
    "PinMessage",
    "PlateMessage",
    "QrMessage",
    "channel_of",
    "device_messages",
]

MAX_FRAME_BYTES = 1024 * 1024
"""Largest decoded frame; the payload limit (``mqtt.max_payload_bytes``) bounds it too."""
_MAX_FRAME_TEXT = 4 * -(-MAX_FRAME_BYTES // 3)

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> datetime:
    """An RFC 3339 timestamp with an offset (``Z`` or ``±hh:mm``), as an aware datetime."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("device_time must be RFC 3339 with an offset, e.g. 2026-01-31T08:00:00Z")
    return datetime.fromisoformat(value.upper())


def _frame(value: Any) -> bytes:
    """Standard base64 (with padding) of at most MAX_FRAME_BYTES, decoded."""
    if not isinstance(value, str) or len(value) > _MAX_FRAME_TEXT:
        raise ValueError(f"frame must be base64 of at most {MAX_FRAME_BYTES} bytes")
    try:
        decoded = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("frame is not valid base64") from None
    if not decoded:
        raise ValueError("frame must not be empty")
    return decoded


def _version(value: Any) -> Any:
    """The number 1 (a JSON ``true`` is not 1, although Python says True == 1)."""
    if type(value) is not int:
        raise ValueError("v must be the number 1")
    return value


Version = Annotated[Literal[1], BeforeValidator(_version)]
DeviceTime = Annotated[datetime, BeforeValidator(_rfc3339)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Frame = Annotated[bytes, BeforeValidator(_frame), Field(repr=False)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    v: Version = Field(description="Protocol version.")
    device_time: DeviceTime = Field(description="When the device saw it (RFC 3339).")
    idempotency_key: IdempotencyKey = Field(description="Unique per device and message.")


class CardMessage(_Message):
    kind: Literal["card"]
    card: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", repr=False)


class PinMessage(_Message):
    kind: Literal["pin"]
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$", repr=False)


class QrMessage(_Message):
    kind: Literal["qr"]
    qr: str = Field(min_length=1, max_length=512, pattern=r"^[\x20-\x7e]+$", repr=False)


class ExitButtonMessage(_Message):
    kind: Literal["exit_button"]


class FaceMessage(_Message):
    kind: Literal["face"]
    frame: Frame


class PlateMessage(_Message):
    kind: Literal["plate"]
    frame: Frame


class AckMessage(_Message):
    kind: Literal["ack"]
    command_id: IdempotencyKey = Field(description="The acknowledged command's id.")
    result: Literal["done", "failed"] = Field(description="Carried out, or could not be.")


ArrivalMessage = (
    CardMessage | PinMessage | QrMessage | ExitButtonMessage | FaceMessage | PlateMessage
)
DeviceMessage = Annotated[ArrivalMessage | AckMessage, Field(discriminator="kind")]


def channel_of(message: ArrivalMessage | AckMessage) -> Channel:
    """The topic a message of this kind must arrive on."""
    return Channel.ACKS if isinstance(message, AckMessage) else Channel.EVENTS


def device_messages() -> TypeAdapter[ArrivalMessage | AckMessage]:
    """The validator of every kind (discriminated on ``kind``)."""
    return TypeAdapter(DeviceMessage)
