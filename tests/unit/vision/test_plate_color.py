"""Plate background colour from a crop."""

from __future__ import annotations

import numpy as np
import pytest

from gatepost.vision.plates import PlateColor, PlateReading, plate_color


def _plate(background: tuple[int, int, int], text: tuple[int, int, int]) -> np.ndarray:
    crop = np.zeros((40, 130, 3), dtype=np.uint8)
    crop[:] = background
    crop[10:30, 10:120:12] = text  # character strokes
    return crop


@pytest.mark.parametrize(
    ("background", "text", "color"),
    [
        ((20, 70, 190), (245, 245, 245), PlateColor.BLUE),
        ((250, 200, 20), (10, 10, 10), PlateColor.YELLOW),
        ((235, 235, 230), (15, 15, 15), PlateColor.WHITE),
        ((25, 25, 25), (230, 230, 230), PlateColor.BLACK),
    ],
)
def test_solid_plates(
    background: tuple[int, int, int], text: tuple[int, int, int], color: PlateColor
) -> None:
    assert plate_color(_plate(background, text)) is color


def test_green_new_energy_gradient_is_green() -> None:
    crop = np.zeros((40, 140, 3), dtype=np.uint8)
    for row in range(40):  # green at the top fading to white at the bottom
        t = row / 39
        crop[row] = (int(60 + 180 * t), int(200 + 40 * t), int(90 + 150 * t))
    assert plate_color(crop) is PlateColor.GREEN


def test_empty_crop_and_json_shape() -> None:
    assert plate_color(np.zeros((0, 0, 3), dtype=np.uint8)) is PlateColor.UNKNOWN
    reading = PlateReading("京A12345", 0.97123, (1, 2, 3, 4), PlateColor.BLUE, "cn")
    assert reading.as_json() == {
        "text": "京A12345",
        "confidence": 0.9712,
        "box": [1, 2, 3, 4],
        "color": "blue",
        "region": "cn",
    }
