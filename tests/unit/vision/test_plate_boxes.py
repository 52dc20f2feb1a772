"""Plate proposals from text boxes (single lines, joined neighbours, stacked rows), a
box split at the gap between two rows, and the European band found in a crop."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gatepost.vision.plate_boxes import (
    band_width,
    grown_upwards,
    may_hold_two_rows,
    plate_proposals,
    row_split,
    split_rows,
)
from gatepost.vision.synthetic_latin import render_latin_plate
from gatepost.vision.synthetic_plates import PlateKind, render_plate
from tests.support.plate_fonts import require_plate_fonts


@pytest.fixture
def fonts() -> None:
    """The tests that draw plates need the fonts (make test installs them)."""
    require_plate_fonts()


def _box(x1: float, y1: float, x2: float, y2: float) -> list[list[float]]:
    return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]


def _bgr(plate: object, height: int = 96) -> np.ndarray:
    rgb = np.asarray(plate)
    scale = height / rgb.shape[0]
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2BGR)


def test_a_plate_line_is_one_proposal_and_odd_shapes_are_not() -> None:
    boxes = [_box(100, 100, 260, 140), _box(0, 0, 10, 200), _box(0, 300, 600, 310)]
    (only,) = plate_proposals(boxes, limit=6)
    assert only.parts == (0,) and not only.joined and only.bounds == (100, 100, 260, 140)
    assert plate_proposals([], limit=6) == [] and plate_proposals(None, limit=6) == []


def test_an_emblem_gap_joins_neighbours_and_keeps_the_parts() -> None:
    """RK [arms] 099-AN: two boxes a character apart on one line."""
    left, right = _box(100, 100, 150, 140), _box(190, 101, 330, 141)
    proposals = plate_proposals([left, right], limit=6)
    joined = [p for p in proposals if p.joined]
    assert [p.parts for p in joined] == [(0, 1)]
    assert joined[0].bounds == pytest.approx((100, 100, 330, 141))
    assert proposals[0] is joined[0]  # largest first
    assert (1,) in [p.parts for p in proposals]  # the part alone is still read


@pytest.mark.parametrize(
    "right",
    [
        _box(400, 100, 540, 140),  # too far: another line of text
        _box(190, 100, 330, 200),  # much taller
        _box(190, 160, 330, 200),  # lower down
    ],
)
def test_boxes_that_are_not_one_line_are_not_joined(right: list[list[float]]) -> None:
    proposals = plate_proposals([_box(100, 100, 150, 140), right], limit=6)
    assert not any(p.joined for p in proposals)


def test_stacked_rows_make_a_two_row_proposal_and_a_state_name_does_not() -> None:
    top, bottom = _box(120, 100, 200, 130), _box(100, 135, 230, 180)
    (two_rows,) = [p for p in plate_proposals([top, bottom], limit=6) if p.joined]
    assert len(two_rows.rows) == 2 and two_rows.parts == (0, 1)
    state_name = _box(110, 115, 220, 130)  # a third of the number's height
    assert not any(p.joined for p in plate_proposals([state_name, bottom], limit=6))


@pytest.mark.parametrize(
    ("printed", "code"),
    [("AB|1234", "us_moto"), ("MTQ|728", "de_moto"), ("黑J|D8228", "cn_yellow2")],
)
@pytest.mark.usefixtures("fonts")
def test_a_two_row_plate_splits_between_its_rows(printed: str, code: str) -> None:
    crop = _bgr(render_latin_plate(printed, code), height=96)
    split = row_split(crop)
    assert split is not None
    top, cut = split
    assert 0 <= top < cut and 0.3 < cut < 0.65


@pytest.mark.usefixtures("fonts")
def test_a_one_row_plate_does_not_split() -> None:
    crop = _bgr(render_latin_plate("B AB 1234", "de"), height=48)
    assert row_split(crop) is None
    # grown upwards over the car as the reader does: body above, one row of text
    plate = _bgr(render_latin_plate("7ABC123", "us_ca"), height=60)
    body = np.full((40, plate.shape[1], 3), (90, 40, 30), np.uint8)
    grown = cv2.resize(np.vstack([body, plate]), None, fx=96 / 100, fy=96 / 100)
    assert row_split(grown) is None
    assert row_split(np.full((96, 200, 3), 255, np.uint8)) is None  # blank


def test_split_and_grown_quads_keep_their_edges() -> None:
    quad = np.array(_box(0, 100, 100, 200), dtype=np.float32)
    upper, lower = split_rows(quad, 0.1, 0.4)
    assert upper[0].tolist() == [0, 110] and upper[3].tolist() == [0, 140]
    assert lower[0].tolist() == [0, 140] and lower[2].tolist() == [100, 200]
    assert grown_upwards(quad, 0.5)[0].tolist() == [0, 50]
    narrow, wide = plate_proposals([_box(0, 0, 100, 50), _box(0, 100, 400, 150)], limit=6)
    assert may_hold_two_rows(narrow) != may_hold_two_rows(wide)


@pytest.mark.usefixtures("fonts")
def test_the_european_band_is_found_at_the_left_only() -> None:
    eu = _bgr(render_latin_plate("B AB 1234", "de"), height=48)
    band = band_width(eu)
    assert 0.04 * eu.shape[1] <= band <= 0.15 * eu.shape[1]
    cn_blue = _bgr(render_plate("京A12345", PlateKind.CN_BLUE), height=48)
    us = _bgr(render_latin_plate("7ABC123", "us_ca"), height=48)
    assert band_width(cn_blue) == 0 and band_width(us) == 0
    assert band_width(eu[:, ::-1]) == 0  # a band at the right is not this band
