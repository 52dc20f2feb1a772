"""What a plate reader finds, the protocol readers implement, and plate colour.

A reader takes an RGB frame and returns the plates in it, most confident first, each
with its normalised text, a 0-1 confidence, a box in frame pixels, the plate's
background colour and the region of the grammar it matched. The JSON shape of
``gatepost plates read`` is :meth:`PlateReading.as_json`; keep it stable, it is how
accuracy is checked from outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import cv2
import numpy as np

from gatepost.domain.plates import PlateGrammar
from gatepost.vision.images import RgbImage

__all__ = ["PlateColor", "PlateReader", "PlateReading", "plate_color"]


class PlateColor(StrEnum):
    BLUE = "blue"
    GREEN = "green"
    YELLOW = "yellow"
    WHITE = "white"
    BLACK = "black"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PlateReading:
    text: str
    confidence: float
    box: tuple[int, int, int, int]
    color: PlateColor
    region: str

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "box": list(self.box),
            "color": self.color.value,
            "region": self.region,
        }


class PlateReader(Protocol):
    """Find and read plates; implementations must be safe to call from threads."""

    def read(
        self, image: RgbImage, *, grammars: Sequence[PlateGrammar] | None = None
    ) -> list[PlateReading]:
        """Plates in the frame, most confident first; none is an empty list.

        ``grammars``: the formats this frame's site accepts (None: the reader's own)."""


# OpenCV hue runs 0-179. Plate backgrounds dominate a tight crop.
_HUES = ((PlateColor.YELLOW, 12, 38), (PlateColor.GREEN, 38, 90), (PlateColor.BLUE, 95, 135))


def plate_color(crop: RgbImage) -> PlateColor:
    """The background colour of a plate crop from its saturated and bright pixels."""
    if crop.size == 0:
        return PlateColor.UNKNOWN
    hsv = cv2.cvtColor(crop, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    hue, saturation, value = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    vivid = (saturation > 40) & (value > 60)
    if vivid.mean() < 0.15:  # mostly grey: a white (or black) plate
        bright = (value > 150).mean()
        return PlateColor.WHITE if bright >= 0.35 else PlateColor.BLACK
    counts = {color: int(((hue >= low) & (hue < high) & vivid).sum()) for color, low, high in _HUES}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] >= 0.5 * vivid.sum() else PlateColor.UNKNOWN
