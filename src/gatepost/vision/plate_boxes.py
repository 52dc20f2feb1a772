"""Where a frame's plates may be: the text detector's boxes turned into plate proposals,
and the country band cut from a plate crop.

A text detector finds lines of text, and a plate is not always one of them:

- an emblem or a sticker splits a line: a Croatian ``RK [arms] 099-AN``, a Slovak
  ``BA [arms] 302 OZ``, a German ``B [seals] AB 1234`` come out as two or three boxes,
  and the part left alone (``099AN``, ``AB1234``) still looks like a plate;
- motorcycle plates and Chinese yellow rear plates have two rows, one box each.

So besides every single box shaped like a plate line, :func:`plate_proposals` offers
neighbours on one line joined (similar height, level, a gap of at most about one and a
half character heights) and two stacked rows (a shorter or equal row right above a
wider one). A proposal knows the boxes it was made of, so a reader can prefer the
whole plate over its parts.

European plates carry a blue band with the country's letters (``D``, ``HR``) at their
left end, which a recogniser reads as part of the plate (``DBAB1234``);
:func:`band_width` finds that band in a crop so it can be cut off first.

Pure geometry over NumPy arrays; no model runs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "PlateProposal",
    "Quad",
    "band_width",
    "grown_upwards",
    "may_hold_two_rows",
    "order_corners",
    "plate_proposals",
    "row_split",
    "split_rows",
]

Quad = npt.NDArray[np.float32]

_MIN_HEIGHT = 8.0  # pixels: text lower than this is not read
_LINE_ASPECT = (1.5, 9.0)  # width / height of a single box that may be a plate line
_JOINED_ASPECT = (1.5, 12.0)
_HEIGHT_RATIO = 1.35  # neighbours on one line: the taller at most this much taller
_LEVEL = 0.35  # neighbours: centres at most this many heights apart vertically
_GAP = (-0.3, 1.6)  # neighbours: the gap between them, in character heights
_TOP_ROW = (0.45, 1.15)  # two rows: the top row's height against the bottom row's
_ROW_GAP = 0.8  # two rows: at most this many bottom-row heights apart
_ROW_OVERLAP = 0.5  # or overlapping by this much (detector boxes are grown)
_STACKED_ASPECT = (0.6, 4.5)


def order_corners(quad: Quad) -> Quad:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    sums = quad.sum(axis=1)
    diffs = np.diff(quad, axis=1).ravel()
    return np.array(
        [quad[sums.argmin()], quad[diffs.argmin()], quad[sums.argmax()], quad[diffs.argmax()]],
        dtype=np.float32,
    )


@dataclass(frozen=True)
class _Line:
    """One detector box: its ordered corners and measures."""

    quad: Quad
    index: int

    @property
    def width(self) -> float:
        tl, tr, br, bl = self.quad
        return float(np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2

    @property
    def height(self) -> float:
        tl, tr, br, bl = self.quad
        return float(np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2

    @property
    def left(self) -> float:
        return float(self.quad[:, 0].min())

    @property
    def right(self) -> float:
        return float(self.quad[:, 0].max())

    @property
    def top(self) -> float:
        return float(self.quad[:, 1].min())

    @property
    def bottom(self) -> float:
        return float(self.quad[:, 1].max())

    @property
    def centre(self) -> tuple[float, float]:
        x, y = self.quad.mean(axis=0)
        return float(x), float(y)


@dataclass(frozen=True)
class PlateProposal:
    """A place that may hold a plate: one quad per text row (top row first) and the
    indices of the detector boxes it was made of."""

    rows: tuple[Quad, ...]
    parts: tuple[int, ...]
    split: bool = False  # two rows found inside one box (read at one margin only)

    @property
    def joined(self) -> bool:
        return len(self.parts) > 1

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Left, top, right, bottom over every row."""
        corners = np.concatenate(self.rows)
        (x1, y1), (x2, y2) = corners.min(axis=0), corners.max(axis=0)
        return float(x1), float(y1), float(x2), float(y2)

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = self.bounds
        return (x2 - x1) * (y2 - y1)


def _aspect(width: float, height: float) -> float:
    return width / max(height, 1.0)


def _joined_line(lines: Sequence[_Line]) -> Quad:
    """The quad from the first box's left edge to the last box's right edge."""
    first, last = lines[0].quad, lines[-1].quad
    return np.array([first[0], last[1], last[2], first[3]], dtype=np.float32)


def _same_line(left: _Line, right: _Line) -> bool:
    low, high = sorted((left.height, right.height))
    if high > _HEIGHT_RATIO * low:
        return False
    if abs(left.centre[1] - right.centre[1]) > _LEVEL * high:
        return False
    gap = (right.left - left.right) / ((left.height + right.height) / 2)
    return _GAP[0] <= gap <= _GAP[1] and right.centre[0] > left.centre[0]


def _stacked(top: _Line, bottom: _Line) -> bool:
    if not _TOP_ROW[0] * bottom.height <= top.height <= _TOP_ROW[1] * bottom.height:
        return False
    gap = bottom.top - top.bottom
    if not -_ROW_OVERLAP * bottom.height <= gap <= _ROW_GAP * bottom.height:
        return False
    if not bottom.left <= top.centre[0] <= bottom.right or top.width > 1.2 * bottom.width:
        return False
    total = bottom.bottom - top.top
    return _STACKED_ASPECT[0] <= _aspect(max(top.width, bottom.width), total) <= _STACKED_ASPECT[1]


def plate_proposals(boxes: Any, *, limit: int) -> list[PlateProposal]:
    """Plate proposals from a detector's boxes (each four corners), largest first:
    single plate-shaped boxes (at most ``limit``) and joined neighbours or stacked rows
    (at most ``limit`` more), in one list by area."""
    if boxes is None or len(boxes) == 0:
        return []
    lines = [
        line
        for index, raw in enumerate(boxes)
        if (line := _Line(order_corners(np.asarray(raw, dtype=np.float32)), index)).height
        >= _MIN_HEIGHT
    ]
    singles = [
        PlateProposal((line.quad,), (line.index,))
        for line in lines
        if _LINE_ASPECT[0] <= _aspect(line.width, line.height) <= _LINE_ASPECT[1]
    ]
    singles.sort(key=lambda p: p.area, reverse=True)
    joins: list[PlateProposal] = []
    by_x = sorted(lines, key=lambda line: line.left)
    for start, first in enumerate(by_x):
        chain = [first]
        for other in by_x[start + 1 :]:
            if len(chain) == 3:
                break
            if _same_line(chain[-1], other):
                chain.append(other)
                quad = _joined_line(chain)
                width = chain[-1].right - chain[0].left
                height = sum(line.height for line in chain) / len(chain)
                if _JOINED_ASPECT[0] <= _aspect(width, height) <= _JOINED_ASPECT[1]:
                    joins.append(PlateProposal((quad,), tuple(line.index for line in chain)))
    for top in lines:
        for bottom in lines:
            if top is not bottom and _stacked(top, bottom):
                joins.append(PlateProposal((top.quad, bottom.quad), (top.index, bottom.index)))
    joins.sort(key=lambda p: p.area, reverse=True)
    return sorted(singles[:limit] + joins[:limit], key=lambda p: p.area, reverse=True)


_SPLIT_ASPECT = 3.2  # a box this narrow (width / height) or narrower may hold two rows
_TEXT_INK = (0.04, 0.9)  # a line of text has some ink; a solid line is a border or body
_UPPER_ROW = (0.45, 1.0)  # a crop's upper row's height against its lower row's
_LOWER_SHARE = 0.25  # the lower row takes at least this share of the crop's height
_MIN_ROW_LINES = 4  # and the upper row at least this many lines


def _bands(is_text: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Runs of text lines (start, end), bridging single empty lines."""
    bands: list[tuple[int, int]] = []
    start = None
    for line, text in enumerate([*is_text, False, False]):
        if text and start is None:
            start = line
        elif not text and start is not None:
            if line + 1 < len(is_text) and is_text[line + 1]:
                continue  # one empty line inside a row
            bands.append((start, line))
            start = None
    return bands


def row_split(crop: Any) -> tuple[float, float] | None:
    """Where a plate crop (BGR; a box over a whole plate, or grown upwards over the
    row above it) holds two rows of text: the upper row's top and the cut between the
    rows, as fractions of its height from the top; None for one row. The lower row is
    the tallest run of text lines, the upper one the next run above it, if tall
    enough and close enough. Ink is the minority of an Otsu threshold (dark on light
    or light on dark plates alike), over all but the outer columns (a border, bolts)."""
    height, width = crop.shape[:2]
    if height < 16:
        return None
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = binary if binary.mean() < 0.5 else 1 - binary
    margin = max(1, width // 12)
    profile = ink[:, margin:-margin].mean(axis=1)
    bands = _bands((profile > _TEXT_INK[0]) & (profile < _TEXT_INK[1]))
    if len(bands) < 2:
        return None
    lower = max(range(len(bands)), key=lambda i: bands[i][1] - bands[i][0])
    if lower == 0:
        return None
    (top, top_end), (low_start, low_end) = bands[lower - 1], bands[lower]
    low_height = low_end - low_start
    if low_height < _LOWER_SHARE * height or top_end - top < _MIN_ROW_LINES:
        return None  # slivers: a row of a plate is neither
    if not _UPPER_ROW[0] * low_height <= top_end - top <= _UPPER_ROW[1] * low_height:
        return None
    if low_start - top_end > _ROW_GAP * low_height:
        return None
    pad = max(1, (top_end - top) // 6)
    return max(0, top - pad) / height, (top_end + low_start) / 2 / height


def split_rows(quad: Quad, top: float, cut: float) -> tuple[Quad, Quad]:
    """The quad's two rows: from ``top`` to ``cut`` and from ``cut`` to its bottom
    (fractions of its height)."""
    tl, tr, br, bl = quad
    upper_l, upper_r = tl + top * (bl - tl), tr + top * (br - tr)
    left, right = tl + cut * (bl - tl), tr + cut * (br - tr)
    upper = np.array([upper_l, upper_r, right, left], dtype=np.float32)
    lower = np.array([left, right, br, bl], dtype=np.float32)
    return upper, lower


def grown_upwards(quad: Quad, fraction: float) -> Quad:
    """The quad with its top edge moved up by ``fraction`` of its height."""
    tl, tr, br, bl = quad
    return np.array(
        [tl - fraction * (bl - tl), tr - fraction * (br - tr), br, bl], dtype=np.float32
    )


def may_hold_two_rows(proposal: PlateProposal) -> bool:
    """Whether a one-box proposal is narrow enough to be a two-row plate."""
    if len(proposal.rows) != 1:
        return False
    line = _Line(proposal.rows[0], 0)
    return _aspect(line.width, line.height) <= _SPLIT_ASPECT


# OpenCV hue runs 0-179: the EU band's blue.
_BAND_HUE = (95, 135)


def band_width(crop: Any) -> int:
    """How many columns at the left of a BGR plate crop a blue country band takes (0
    when there is none): a run of mostly blue columns starting within the first tenth
    of the width (the car around the plate may come first), 3-25% of the width, with a
    crop that is not blue elsewhere (a Chinese blue plate is blue all over)."""
    width = crop.shape[1]
    if width < 24:
        return 0
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    blue = (hue >= _BAND_HUE[0]) & (hue < _BAND_HUE[1]) & (saturation > 90) & (value > 40)
    per_column = blue.mean(axis=0)
    is_band = per_column >= 0.5
    start = 0
    while start < width * 0.1 and not is_band[start]:
        start += 1
    end = start
    while end < width and is_band[end]:
        end += 1
    run = end - start
    if not 0.03 * width <= run <= 0.25 * width:
        return 0
    if float(per_column[end:].mean()) > 0.25:
        return 0
    return end
