"""The fake plate reader: deterministic, instant, no model (``plates.reader.type=fake``).

For device-flow tests and load benchmarks, never for real gates. :func:`fake_plate_image`
draws a small PNG of one plate whose pixels carry its text (UTF-8, so Chinese plates
work), colour, confidence and box (see ``gatepost.vision._pixel_payloads``; PNG is
lossless, so the code survives upload and ``decode_rgb``; a JPEG re-encode destroys
it). The reader reads that plate and nothing else: any other image has no plate. Like
the real reader it normalises the text (``normalise_plate``) and keeps it only when it
fits one of the frame's grammars, whose region it reports.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Final

from gatepost.domain.plates import (
    DEFAULT_GRAMMARS,
    PlateGrammar,
    match_grammar,
    normalise_plate,
)
from gatepost.vision._pixel_payloads import canvas, png_bytes, read_payload, rows_for
from gatepost.vision.images import RgbImage
from gatepost.vision.plates import PlateColor, PlateReading

__all__ = [
    "FakePlateReader",
    "KEY",
    "fake_plate_image",
]

KEY: Final = "fake"
"""This backend's key in ``plates.reader.type`` and ``gatepost.vision.registry``."""

_MAGIC = b"GPPLATE1"
_HEAD = struct.Struct(">HHHHHB")  # box left, top, right, bottom; confidence x 10^4; colour
_COLORS: Final = (
    PlateColor.UNKNOWN,
    PlateColor.BLUE,
    PlateColor.GREEN,
    PlateColor.YELLOW,
    PlateColor.WHITE,
    PlateColor.BLACK,
)
"""Colour codes in the payload (append only: the index is stored)."""
_PAINT = {
    PlateColor.UNKNOWN: (128, 128, 128),
    PlateColor.BLUE: (20, 60, 170),
    PlateColor.GREEN: (90, 200, 120),
    PlateColor.YELLOW: (240, 190, 20),
    PlateColor.WHITE: (235, 235, 235),
    PlateColor.BLACK: (20, 20, 20),
}
_MAX_TEXT = 256
_PLATE_W, _PLATE_H, _MARGIN = 150, 48, 40


def fake_plate_image(
    text: str, *, color: PlateColor = PlateColor.BLUE, confidence: float = 0.97
) -> bytes:
    """A PNG with one fake plate that the fake reader reads as ``text`` (normalised),
    with this ``color`` and ``confidence``."""
    encoded = text.encode()
    if not 1 <= len(encoded) <= _MAX_TEXT:
        raise ValueError(f"a fake plate text has 1-{_MAX_TEXT} UTF-8 bytes")
    if not 0 <= confidence <= 1:
        raise ValueError("a confidence is 0-1")
    width = _PLATE_W + 2 * _MARGIN
    top = rows_for(_MAGIC, bytes(_HEAD.size) + encoded, width=width) + _MARGIN
    box = (_MARGIN, top, _MARGIN + _PLATE_W, top + _PLATE_H)
    body = _HEAD.pack(*box, round(confidence * 10_000), _COLORS.index(color)) + encoded
    image = canvas(_MAGIC, body, width=width, height=box[3] + _MARGIN)
    image[box[1] : box[3], box[0] : box[2]] = _PAINT[color]
    return png_bytes(image)


def _reading(image: RgbImage, body: bytes, grammars: Sequence[PlateGrammar]) -> PlateReading | None:
    if len(body) <= _HEAD.size:
        return None
    left, top, right, bottom, confidence, color = _HEAD.unpack(body[: _HEAD.size])
    try:
        raw = body[_HEAD.size :].decode()
    except UnicodeDecodeError:
        return None
    height, width = image.shape[:2]
    if not (left < right <= width and top < bottom <= height) or color >= len(_COLORS):
        return None
    text = normalise_plate(raw)
    grammar = match_grammar(text, grammars)
    if grammar is None:
        return None
    return PlateReading(
        text=text,
        confidence=min(1.0, confidence / 10_000),
        box=(left, top, right, bottom),
        color=_COLORS[color],
        region=grammar.region.value,
    )


class FakePlateReader:
    """Reads the plate drawn by :func:`fake_plate_image` (see the module docstring).
    Stateless, so safe from any thread."""

    def __init__(self, *, grammars: Sequence[PlateGrammar] = DEFAULT_GRAMMARS) -> None:
        """``grammars``: the default for :meth:`read`."""
        if not grammars:
            raise ValueError("a plate reader needs at least one grammar")
        self._grammars = tuple(grammars)

    def read(
        self, image: RgbImage, *, grammars: Sequence[PlateGrammar] | None = None
    ) -> list[PlateReading]:
        accepted = self._grammars if grammars is None else tuple(grammars)
        if not accepted:
            raise ValueError("a plate reader needs at least one grammar")
        body = read_payload(image, _MAGIC)
        found = None if body is None else _reading(image, body, accepted)
        return [] if found is None else [found]
