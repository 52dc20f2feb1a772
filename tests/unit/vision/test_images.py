"""decode_rgb on what cameras and phones send, and on what attackers send."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from gatepost.vision.dlib_faces import DlibFaceEngine
from gatepost.vision.images import BadImage, decode_rgb
from tests.unit.vision.conftest import LIMITS, decode, encode, fixture_path, pil


def _cmyk_jpeg() -> bytes:
    return encode(pil("obama_1.jpg").convert("CMYK"), "JPEG", quality=95)


def _grey16_png() -> bytes:
    grey = np.asarray(pil("obama_1.jpg").convert("L"), dtype=np.uint16) * 257
    image = Image.fromarray(grey)
    assert image.mode.startswith("I;16")
    return encode(image, "PNG")


def _rgba_png() -> bytes:
    image = pil("obama_1.jpg").convert("RGBA")
    alpha = np.full(image.size[::-1], 255, dtype=np.uint8)
    alpha[:40, :] = 0  # a transparent band at the top, away from the face
    image.putalpha(Image.fromarray(alpha))
    return encode(image, "PNG")


def _palette_png() -> bytes:
    return encode(pil("obama_1.jpg").quantize(colors=256), "PNG")


@pytest.mark.parametrize(
    "make", [_cmyk_jpeg, _grey16_png, _rgba_png, _palette_png], ids=lambda f: f.__name__[1:]
)
def test_unusual_formats_decode_and_keep_the_face(
    engine: DlibFaceEngine, make: Callable[[], bytes]
) -> None:
    image = decode(make())
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.flags["C_CONTIGUOUS"]
    assert len(engine.detect(image)) == 1


def test_transparent_pixels_become_white() -> None:
    assert (decode(_rgba_png())[:40] == 255).all()


def test_truncated_jpeg_is_refused() -> None:
    data = fixture_path("obama_1.jpg").read_bytes()
    with pytest.raises(BadImage, match="truncated or corrupt"):
        decode_rgb(data[: len(data) // 2], **LIMITS)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_huge_dimensions_are_refused_before_decoding() -> None:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)  # 10 Gpx RGB
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + _png_chunk(b"IEND", b"")
    )
    with pytest.raises(BadImage, match="more than 80000000 pixels"):
        decode_rgb(data, **LIMITS)


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"GIF89a" + b"\x00" * 40])
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(BadImage):
        decode_rgb(data, **LIMITS)
