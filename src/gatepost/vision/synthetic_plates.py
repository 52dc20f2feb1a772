"""Synthetic licence plates for tests and benchmarks: texts, clean plates, labelled sets.

Owns the plate half of the synthetic generator: :class:`PlateKind`, the text rules of
each kind (:func:`random_plate_text` gives the canonical text, no spaces or dashes),
:func:`render_plate` (a clean frontal plate at its real proportions and colours,
rendered with the WenQuanYi Zen Hei CJK font from Debian's ``fonts-wqy-zenhei``) and
:func:`synthetic_set`, which puts each plate in a camera frame through
:mod:`gatepost.vision.synthetic_scene`. Every random choice comes from the
``numpy.random.Generator`` passed in, so a seed fixes every pixel.

Chinese layouts follow GA 36-2018: 45x90 mm glyph cells 12 mm apart with a 34 mm gap
and a dot after the second character (43 mm cells, 9 and 49 mm on the 480 mm green
plate). The others are close likenesses, not legal layouts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gatepost.domain.plates import CN_PROVINCES
from gatepost.errors import GatepostError
from gatepost.vision.synthetic_scene import (
    SceneStyle,
    SyntheticFrame,
    as_rng,
    render_scene,
    scene_set,
)

__all__ = [
    "CJK_FONT",
    "CJK_FONT_PACKAGE",
    "FontMissing",
    "GlyphRow",
    "PlateCanvas",
    "PlateKind",
    "SceneStyle",
    "SyntheticFrame",
    "display_text",
    "jittered",
    "load_font",
    "random_plate_text",
    "render_plate",
    "render_scene",
    "synthetic_set",
]

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CJK_FONT_PACKAGE = "fonts-wqy-zenhei"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates
_US_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # most states skip I, O and Q
_DIGITS = "0123456789"
_SEPARATORS = " -·"

Colour = tuple[int, int, int]
_WHITE: Colour = (246, 246, 244)
_BLACK: Colour = (18, 18, 20)
_CN_BLUE: Colour = (12, 68, 172)
_CN_YELLOW: Colour = (246, 192, 22)
_POLICE_RED: Colour = (206, 22, 26)
_GREEN_TOP: Colour = (226, 246, 230)
_GREEN_BOTTOM: Colour = (56, 182, 92)
_EU_BLUE: Colour = (0, 52, 154)
_EU_STAR: Colour = (255, 204, 0)
_BR_GREY: Colour = (192, 194, 198)
_US_STATES = (
    ("CALIFORNIA", (170, 20, 30)),
    ("TEXAS", (20, 40, 110)),
    ("NEW YORK", (230, 150, 20)),
    ("FLORIDA", (20, 120, 60)),
    ("OHIO", (150, 20, 60)),
    ("OREGON", (30, 80, 140)),
)


class PlateKind(StrEnum):
    CN_BLUE = "cn_blue"
    CN_GREEN = "cn_green"
    CN_YELLOW = "cn_yellow"
    CN_POLICE = "cn_police"
    CN_COACH = "cn_coach"
    CN_TRAILER = "cn_trailer"
    EU = "eu"
    BR_MERCOSUL = "br_mercosul"
    BR_OLD = "br_old"
    US = "us"

    @property
    def chinese(self) -> bool:
        return self.value.startswith("cn_")


class FontMissing(GatepostError):
    """A font the synthetic plates are drawn with (the CJK font by default) is not
    installed; ``package`` is the Debian package that brings it."""

    code = "font_missing"

    def __init__(self, path: Path, *, package: str = CJK_FONT_PACKAGE) -> None:
        super().__init__(
            f"the font {path} is missing or unreadable; install the Debian package {package} "
            "(scripts/install-system-deps.sh does)"
        )
        self.path = path
        self.package = package


_ALPHABETS = {"P": CN_PROVINCES, "C": _CN_LETTERS, "L": _LETTERS, "U": _US_LETTERS}
_ALPHABETS |= {"N": _DIGITS, "Z": "123456789", "E": "DF"}
_TEMPLATES = {
    PlateKind.CN_GREEN: ("PCENNNNN",),
    PlateKind.CN_POLICE: ("PCNNNN警",),
    PlateKind.CN_COACH: ("PCNNNN学",),
    PlateKind.CN_TRAILER: ("PCNNNN挂",),
    PlateKind.BR_MERCOSUL: ("LLLNLNN",),
    PlateKind.BR_OLD: ("LLLNNNN",),
    PlateKind.US: ("UUUNNNN", "ZUUUNNN"),
}


def _fill(template: str, rng: np.random.Generator) -> str:
    """Each template letter drawn from its alphabet; any other character kept."""
    out = [
        _ALPHABETS[c][int(rng.integers(len(_ALPHABETS[c])))] if c in _ALPHABETS else c
        for c in template
    ]
    return "".join(out)


def random_plate_text(kind: PlateKind, rng: np.random.Generator | int) -> str:
    """A valid canonical text of ``kind``: uppercase, no spaces, dashes or dots."""
    gen = as_rng(rng)
    if kind in _TEMPLATES:
        choices = _TEMPLATES[kind]
        return _fill(choices[int(gen.integers(len(choices)))], gen)
    if kind is PlateKind.EU:  # 1-3 letters, 1-2 letters, 1-4 digits; 8 at most
        letters = _fill("L" * int(gen.integers(1, 4)) + "L" * int(gen.integers(1, 3)), gen)
        digits = int(gen.integers(1, min(4, 8 - len(letters)) + 1))
        return letters + _fill("Z" + "N" * (digits - 1), gen)
    serial = list(_fill("NNNNN", gen))  # blue and yellow: mostly digits, at most two letters
    for slot in gen.choice(5, size=int(gen.choice(3, p=[0.55, 0.3, 0.15])), replace=False):
        serial[int(slot)] = _fill("C", gen)
    return _fill("PC", gen) + "".join(serial)


def _canonical(text: str) -> str:
    return "".join(c for c in text.upper() if c not in _SEPARATORS)


def display_text(text: str, kind: PlateKind) -> str:
    """The text as the plate prints it: ``京A·12345``, ``AB CD 1234``, ``ABC-1234``.
    An EU text that already has spaces keeps its grouping."""
    if kind is PlateKind.EU and " " in text.strip():
        return " ".join(text.upper().split())
    bare = _canonical(text)
    if kind.chinese:
        return f"{bare[:2]}·{bare[2:]}"
    if kind is PlateKind.EU:
        digits = len(bare) - len(bare.rstrip(_DIGITS))
        letters, number = bare[: len(bare) - digits], bare[len(bare) - digits :]
        if len(letters) < 2:
            return f"{letters} {number}".strip()
        cut = len(letters) - min(2, len(letters) - 1)
        return f"{letters[:cut]} {letters[cut:]} {number}".strip()
    if kind is PlateKind.BR_OLD:
        return f"{bare[:3]}-{bare[3:]}"
    if kind is PlateKind.US and bare[:1].isalpha():
        return f"{bare[:3]} {bare[3:]}"
    return bare


@functools.lru_cache(maxsize=8)
def load_font(path: str, package: str = CJK_FONT_PACKAGE) -> ImageFont.FreeTypeFont:
    if not Path(path).is_file():
        raise FontMissing(Path(path), package=package)
    try:
        return ImageFont.truetype(path, 200, index=0)
    except OSError as exc:
        raise FontMissing(Path(path), package=package) from exc


@functools.lru_cache(maxsize=512)
def _glyph(path: str, char: str) -> Image.Image:
    """The ink of one character at 200 px, cropped tight, as an L mask (bold stroke)."""
    font = load_font(path)
    canvas = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(canvas).text((100, 50), char, font=font, fill=255, stroke_width=5)
    box = canvas.getbbox()
    return canvas.crop(box) if box else canvas.crop((0, 0, 1, 1))


class GlyphRow(NamedTuple):
    """A centred row of glyph cells, in millimetres."""

    x: float
    y: float
    cell_w: float
    cell_h: float
    gap: float
    space: float
    squeeze: float


class PlateCanvas:
    """A plate canvas measured in millimetres; ``scale`` is pixels per millimetre."""

    def __init__(self, size_mm: tuple[float, float], height: int, background: Colour, font: str):
        self.scale = height / size_mm[1]
        self.image = Image.new("RGB", (round(size_mm[0] * self.scale), height), background)
        self.draw = ImageDraw.Draw(self.image)
        self.font = font

    def px(self, mm: float) -> int:
        return round(mm * self.scale)

    def rect(self, box: tuple[float, float, float, float], colour: Colour) -> None:
        self.draw.rectangle(tuple(self.px(v) for v in box), fill=colour)

    def border(self, inset: float, width: float, colour: Colour, radius: float = 5.0) -> None:
        w, h = self.image.size
        i = self.px(inset)
        self.draw.rounded_rectangle(
            (i, i, w - 1 - i, h - 1 - i),
            self.px(radius),
            outline=colour,
            width=max(1, self.px(width)),
        )

    def dot(self, x: float, y: float, diameter: float, colour: Colour) -> None:
        r = diameter / 2
        self.draw.ellipse(tuple(self.px(v) for v in (x - r, y - r, x + r, y + r)), fill=colour)

    def glyph(
        self, char: str, cell: tuple[float, float, float, float], colour: Colour, squeeze: float
    ) -> None:
        """``char`` scaled to the cell's height, narrowed by ``squeeze``, centred."""
        x, y, w, h = (self.px(v) for v in cell)
        if char == "-":
            self.draw.rectangle(
                (x + w // 6, y + h * 9 // 20, x + w - w // 6, y + h * 11 // 20), fill=colour
            )
            return
        ink = _glyph(self.font, char)
        th = max(1, h)
        tw = max(1, min(w, round(ink.width * th / ink.height * squeeze)))
        mask = ink.resize((tw, th), Image.Resampling.LANCZOS)
        left = x + (w - tw) // 2
        self.image.paste(colour, (left, y, left + tw, y + th), mask)

    def label(self, text: str, centre: tuple[float, float], height: float, colour: Colour) -> None:
        """Small print (state names, BRASIL): natural proportions, centred."""
        row = GlyphRow(
            centre[0], centre[1], height * 0.56, height, height * 0.06, height * 0.5, 0.8
        )
        self.row(text, row, colour, None)

    def gradient(self, top: Colour, bottom: Colour, power: float) -> None:
        t = np.linspace(0.0, 1.0, self.image.height)[:, None, None] ** power
        column = (np.array(top) * (1 - t) + np.array(bottom) * t).astype(np.uint8)
        self.image.paste(Image.fromarray(np.repeat(column, self.image.width, axis=1), "RGB"))

    def row(
        self, text: str, row: GlyphRow, colour: Colour, rng: np.random.Generator | None
    ) -> None:
        """Equal cells ``row.gap`` apart; a space adds ``row.space``, a dash half a cell."""
        widths = [row.space if c == " " else row.cell_w / (2 if c == "-" else 1) for c in text]
        x = row.x - (sum(widths) + row.gap * (len(text) - 1)) / 2
        top = row.y - row.cell_h / 2
        for char, width in zip(text, widths, strict=True):
            dx, dy = rng.uniform(-0.6, 0.6, 2) if rng is not None else (0.0, 0.0)
            if char != " ":
                self.glyph(char, (x + dx, top + dy, width, row.cell_h), colour, row.squeeze)
            x += width + row.gap


def jittered(colour: Colour, rng: np.random.Generator | None, spread: int = 10) -> Colour:
    if rng is None:
        return colour
    r, g, b = (int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in colour)
    return (r, g, b)


def _chinese(
    text: str, kind: PlateKind, height: int, rng: np.random.Generator | None, font: str
) -> PlateCanvas:
    wide = kind is PlateKind.CN_GREEN
    if len(text) != (8 if wide else 7):
        raise ValueError(f"a {kind} plate holds {8 if wide else 7} characters, got {len(text)}")
    ink = jittered(_WHITE if kind is PlateKind.CN_BLUE else _BLACK, rng, 6)
    background = {PlateKind.CN_BLUE: _CN_BLUE, PlateKind.CN_POLICE: _WHITE}.get(kind, _CN_YELLOW)
    plate = PlateCanvas((480.0 if wide else 440.0, 140.0), height, jittered(background, rng), font)
    if wide:  # white at the top fading to green at the bottom
        plate.gradient(jittered(_GREEN_TOP, rng), jittered(_GREEN_BOTTOM, rng), 1.3)
    plate.border(2.5, 1.5, ink, radius=6.0)
    for x in (0.25, 0.75):  # rivets in the top margin
        plate.dot(x * plate.image.width / plate.scale, 12.5, 6.0, jittered(ink, rng, 30))
    cell_w, gap, big_gap, left = (43.0, 9.0, 49.0, 16.5) if wide else (45.0, 12.0, 34.0, 15.5)
    x = left
    for i, char in enumerate(text):
        dx, dy = rng.uniform(-0.8, 0.8, 2) if rng is not None else (0.0, 0.0)
        colour = _POLICE_RED if char == "警" else ink
        plate.glyph(char, (x + dx, 25.0 + dy, cell_w, 90.0), colour, 0.55)
        x += cell_w + (big_gap if i == 1 else gap)
        if i == 1:
            plate.dot(x - big_gap / 2, 70.0, 10.0, ink)
    return plate


def _eu(text: str, height: int, rng: np.random.Generator | None, font: str) -> PlateCanvas:
    plate = PlateCanvas((520.0, 110.0), height, jittered(_WHITE, rng, 6), font)
    plate.rect((0, 0, 42, 110), _EU_BLUE)
    for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        plate.dot(21 + 11 * float(np.cos(angle)), 34 + 11 * float(np.sin(angle)), 3.2, _EU_STAR)
    plate.glyph("D", (10, 66, 22, 30), _WHITE, 0.8)
    plate.border(1.0, 1.5, _BLACK, radius=4.0)
    plate.row(text, GlyphRow(282.0, 55.0, 44.0, 75.0, 3.0, 14.0, 0.72), _BLACK, rng)
    return plate


def _brazil(
    text: str, kind: PlateKind, height: int, rng: np.random.Generator | None, font: str
) -> PlateCanvas:
    if kind is PlateKind.BR_OLD:
        plate = PlateCanvas((400.0, 130.0), height, jittered(_BR_GREY, rng), font)
        plate.label("SP - SAO PAULO", (200.0, 15.0), 13.0, _BLACK)
        row_y = 77.0
    else:
        plate = PlateCanvas((400.0, 130.0), height, jittered(_WHITE, rng, 6), font)
        plate.rect((0, 0, 400, 28), _EU_BLUE)
        plate.label("BRASIL", (200.0, 14.0), 15.0, _WHITE)
        plate.rect((362, 7, 384, 21), (0, 150, 60))
        plate.dot(373, 14, 7, _EU_STAR)
        row_y = 79.0
    plate.border(1.0, 2.0, _BLACK, radius=6.0)
    plate.row(
        display_text(text, kind), GlyphRow(200.0, row_y, 42.0, 66.0, 5.0, 10.0, 0.72), _BLACK, rng
    )
    return plate


def _us(text: str, height: int, rng: np.random.Generator | None, font: str) -> PlateCanvas:
    pick = int(rng.integers(len(_US_STATES))) if rng is not None else sum(map(ord, text))
    state, band = _US_STATES[pick % len(_US_STATES)]
    plate = PlateCanvas((305.0, 152.0), height, jittered(_WHITE, rng, 6), font)
    tint = tuple(round(0.9 * w + 0.1 * b) for w, b in zip(_WHITE, band, strict=True))
    plate.gradient(_WHITE, (tint[0], tint[1], tint[2]), 2.0)
    plate.label(state, (152.5, 22.0), 22.0, band)
    plate.label("DRIVE SAFELY", (152.5, 137.0), 10.0, band)
    plate.border(2.0, 2.0, band, radius=10.0)
    row = GlyphRow(152.5, 82.0, 33.0, 72.0, 2.5, 10.0, 0.62)
    plate.row(display_text(text, PlateKind.US), row, (22, 30, 96), rng)
    return plate


def render_plate(
    text: str,
    kind: PlateKind,
    *,
    height: int = 140,
    rng: np.random.Generator | int | None = None,
    font_path: Path | str = CJK_FONT,
) -> Image.Image:
    """A clean frontal ``kind`` plate reading ``text``, ``height`` pixels tall, RGB.
    Without ``rng`` the plate is exactly the nominal design; with one, colours and
    glyph positions vary a little. Separators in ``text`` are ignored except an EU
    text's spaces, which choose its grouping."""
    if height < 20:
        raise ValueError("render plates at least 20 pixels tall")
    gen = None if rng is None else as_rng(rng)
    font = str(font_path)
    load_font(font)  # fail early and clearly when the font is missing
    bare = _canonical(text)
    if not 1 <= len(bare) <= 10:
        raise ValueError(f"a plate holds 1 to 10 characters, got {len(bare)}")
    if kind.chinese:
        return _chinese(bare, kind, height, gen, font).image
    if kind is PlateKind.EU:
        return _eu(display_text(text, kind), height, gen, font).image
    if kind in (PlateKind.BR_MERCOSUL, PlateKind.BR_OLD):
        return _brazil(bare, kind, height, gen, font).image
    return _us(bare, height, gen, font).image


def synthetic_set(
    kinds: Sequence[PlateKind],
    count: int,
    seed: int,
    *,
    size: tuple[int, int] = (1280, 720),
    plate_width_range: tuple[int, int] = (120, 320),
    style: SceneStyle | None = None,
) -> Iterator[tuple[str, PlateKind, SyntheticFrame]]:
    """``count`` labelled frames, the kinds taken in turn. Item ``i`` depends only on
    ``(seed, i)``, so any one can be rebuilt alone and sets of two seeds differ."""
    if not kinds:
        raise ValueError("synthetic_set needs at least one kind")
    yield from scene_set(
        count,
        seed,
        kinds,
        _draw_kind,
        size=size,
        plate_width_range=plate_width_range,
        style=style,
    )


def _draw_kind(kind: PlateKind, rng: np.random.Generator) -> tuple[str, Image.Image]:
    text = random_plate_text(kind, rng)
    return text, render_plate(text, kind, rng=rng)
