"""Bytes carried in an image's pixels, for the fake engines' test images.

A payload is framed as ``magic | length (uint16, big-endian) | body | CRC-32 (of all
before it)`` and written into the first pixels of the image, row by row, one byte per
channel (R, G, B, R, ...), so ``image.reshape(-1)`` starts with the frame. Only
lossless formats keep it (PNG is used); JPEG, resizing or any other change of those
pixels breaks the CRC, and the image then carries nothing. Metadata is not used: upload
paths may strip it.
"""

from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
from PIL import Image

from gatepost.vision.images import RgbImage

__all__ = ["MAX_BODY", "canvas", "png_bytes", "read_payload", "rows_for"]

MAX_BODY = 4096
"""The largest body a frame carries (the fakes' texts are far shorter)."""

_LENGTH = struct.Struct(">H")
_CRC = struct.Struct(">I")


def _frame(magic: bytes, body: bytes) -> bytes:
    if len(body) > MAX_BODY:
        raise ValueError(f"a pixel payload carries at most {MAX_BODY} bytes")
    head = magic + _LENGTH.pack(len(body)) + body
    return head + _CRC.pack(zlib.crc32(head))


def rows_for(magic: bytes, body: bytes, *, width: int) -> int:
    """How many pixel rows of an image ``width`` wide the framed payload fills."""
    return math.ceil(len(_frame(magic, body)) / (3 * width))


def canvas(magic: bytes, body: bytes, *, width: int, height: int, background: int = 96) -> RgbImage:
    """A grey ``height`` x ``width`` RGB image whose first pixels carry the payload."""
    frame = _frame(magic, body)
    if len(frame) > width * height * 3:
        raise ValueError("the image is too small for its payload")
    image = np.full((height, width, 3), background, dtype=np.uint8)
    image.reshape(-1)[: len(frame)] = np.frombuffer(frame, dtype=np.uint8)
    return image


def read_payload(image: RgbImage, magic: bytes) -> bytes | None:
    """The body framed with ``magic`` at the start of the image's pixels, or None when
    there is none (another image, a changed pixel, a different magic)."""
    flat = np.ascontiguousarray(image, dtype=np.uint8).reshape(-1)
    start = len(magic) + _LENGTH.size
    if flat.size < start + _CRC.size or flat[: len(magic)].tobytes() != magic:
        return None
    (length,) = _LENGTH.unpack(flat[len(magic) : start].tobytes())
    end = start + length
    if length > MAX_BODY or flat.size < end + _CRC.size:
        return None
    head = flat[:end].tobytes()
    (crc,) = _CRC.unpack(flat[end : end + _CRC.size].tobytes())
    if zlib.crc32(head) != crc:
        return None
    return head[start:]


def png_bytes(image: RgbImage) -> bytes:
    """The image as a PNG file (lossless, no metadata)."""
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()
