"""Synthetic Latin-script plates of many countries and US states, for development sets.

Owns the table of plate formats (:data:`FORMATS`, codes in :data:`LATIN_FORMATS`):
for each country or state code, how a random valid serial is drawn and printed
(grouping, dashes, where an emblem sits between groups, one or two rows), the plate's
size in millimetres, its colour schemes and its band (the EU blue band with stars and
country letters, a US state name and slogan). It draws those plates with a few narrow
bold Latin fonts from Debian packages (:data:`LATIN_FONTS`), adds the clutter a reader
must ignore (dealer frames, stickers, bolts, side bands) and puts each plate on a car
through :func:`gatepost.vision.synthetic_scene.render_scene` in :func:`latin_set`.
Brazil's Mercosul plate is drawn by :mod:`gatepost.vision.synthetic_plates`, and a
Chinese two-row yellow plate is here too so two-row reading is tested on both scripts.

Layouts are likenesses, not legal designs. Printed patterns use ``L`` (a letter of the
format's alphabet), ``N`` (a digit), ``Z`` (a digit but 0), ``A`` (any: letter or digit),
``P`` (a Chinese province), ``C`` (a Chinese plate letter); a lower-case letter is that
letter printed as is; space and ``-`` are printed separators, ``*`` is an emblem and
``|`` starts the second row. The canonical text keeps only letters, digits and CJK.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
from PIL import Image

from gatepost.domain.plates import CN_PROVINCES, PlateRegion
from gatepost.vision.synthetic_plates import (
    CJK_FONT,
    CJK_FONT_PACKAGE,
    PlateCanvas,
    PlateKind,
    jittered,
    load_font,
    random_plate_text,
    render_plate,
)
from gatepost.vision.synthetic_scene import SceneStyle, SyntheticFrame, as_rng, scene_set

__all__ = [
    "FORMATS",
    "LATIN_FONTS",
    "LATIN_FORMATS",
    "EuBand",
    "LatinFont",
    "LatinFormat",
    "Look",
    "UsBand",
    "canonical_text",
    "format_region",
    "latin_set",
    "random_printed_text",
    "render_latin_plate",
]

Colour = tuple[int, int, int]
Emblem = Literal["seals", "dot", "orange", "hr", "sk", "at"]
SideBand = Literal["fr", "it", "pt"]


class LatinFont(NamedTuple):
    path: Path
    package: str


LATIN_FONTS = (
    LatinFont(
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"), "fonts-dejavu-extra"
    ),
    LatinFont(
        Path("/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf"),
        "fonts-liberation",
    ),
    LatinFont(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"), "fonts-dejavu-core"),
)
_CJK = LatinFont(CJK_FONT, CJK_FONT_PACKAGE)

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_NO_IOQ = "ABCDEFGHJKLMNPRSTUVWXYZ"  # US states, Poland, Romania mostly
_CN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LAYOUT = " -*|"

_WHITE: Colour = (246, 246, 244)
_BLACK: Colour = (18, 18, 20)
_NAVY: Colour = (22, 30, 96)
_EU_BLUE: Colour = (0, 52, 154)
_EU_STAR: Colour = (255, 204, 0)
_EU_YELLOW: Colour = (250, 204, 22)
_CN_YELLOW: Colour = (246, 192, 22)
_RED: Colour = (190, 24, 32)


@dataclass(frozen=True)
class EuBand:
    """The blue band at the left: stars and the country letters. ``side`` is a right
    band too: ``fr`` (region logo, department), ``it`` (year, province), ``pt`` (year,
    month on yellow); ``stripes`` are Austria's red top and bottom edges."""

    letters: str
    stars: bool = True
    side: SideBand | None = None
    stripes: Colour | None = None


@dataclass(frozen=True)
class UsBand:
    """A state name above the serial, a slogan below; ``strip`` fills the top behind
    the name (the name is then drawn in the background colour)."""

    state: str
    slogan: str
    colour: Colour
    strip: Colour | None = None


@dataclass(frozen=True)
class Look:
    background: Colour
    ink: Colour
    band: EuBand | UsBand | None = None


@dataclass(frozen=True)
class LatinFormat:
    """One country's or state's plate: printed patterns (see the module docstring),
    its size, its looks (a render picks one), an emblem for ``*`` and the letters an
    ``L`` draws from."""

    code: str
    region: PlateRegion
    patterns: tuple[str, ...]
    size_mm: tuple[float, float]
    looks: tuple[Look, ...]
    letters: str = _LETTERS
    emblem: Emblem = "seals"
    cell_aspect: tuple[float, ...] = (0.56, 0.56)
    cjk: bool = False

    @property
    def two_row(self) -> bool:
        return "|" in self.patterns[0]


def _eu(
    code: str,
    letters: str,
    patterns: tuple[str, ...],
    *,
    alphabet: str = _LETTERS,
    emblem: Emblem = "seals",
    background: Colour = _WHITE,
    ink: Colour = _BLACK,
    side: SideBand | None = None,
    stripes: Colour | None = None,
) -> LatinFormat:
    band = EuBand(letters, side=side, stripes=stripes)
    return LatinFormat(
        code,
        PlateRegion.EU,
        patterns,
        (520.0, 110.0),
        (Look(background, ink, band),),
        alphabet,
        emblem,
    )


def _us(
    code: str,
    patterns: tuple[str, ...],
    *looks: tuple[Colour, Colour, str, str, Colour, Colour | None],
    emblem: Emblem = "dot",
) -> LatinFormat:
    built = tuple(
        Look(bg, ink, UsBand(state, slogan, colour, strip))
        for bg, ink, state, slogan, colour, strip in looks
    )
    return LatinFormat(
        f"us_{code}", PlateRegion.US, patterns, (305.0, 152.0), built, _NO_IOQ, emblem
    )


_US_LOOKS = {
    "ca": (_WHITE, _NAVY, "CALIFORNIA", "", (170, 20, 30), None),
    "tx": (_WHITE, _BLACK, "TEXAS", "THE LONE STAR STATE", (20, 40, 110), None),
    "ny": ((240, 182, 40), _NAVY, "NEW YORK", "THE EMPIRE STATE", _NAVY, None),
    "ny_white": (_WHITE, _NAVY, "NEW YORK", "EXCELSIOR", _NAVY, (30, 60, 140)),
    "fl": (_WHITE, (0, 100, 60), "FLORIDA", "SUNSHINE STATE", (0, 100, 60), None),
    "pa": (_WHITE, _NAVY, "PENNSYLVANIA", "VISIT PA", _NAVY, (28, 48, 120)),
    "il": (_WHITE, (30, 40, 110), "ILLINOIS", "LAND OF LINCOLN", (170, 20, 30), None),
    "nj": ((236, 222, 156), _BLACK, "NEW JERSEY", "GARDEN STATE", _BLACK, None),
    "ma": (_WHITE, (180, 20, 30), "MASSACHUSETTS", "THE SPIRIT OF AMERICA", _NAVY, None),
    "wa": (_WHITE, _NAVY, "WASHINGTON", "EVERGREEN STATE", _NAVY, None),
    "az": ((244, 226, 200), (110, 20, 30), "ARIZONA", "GRAND CANYON STATE", (110, 20, 30), None),
    "oh": (_WHITE, _NAVY, "OHIO", "BIRTHPLACE OF AVIATION", (170, 20, 30), None),
    "mi": ((20, 32, 74), _WHITE, "MICHIGAN", "GREAT LAKES", _WHITE, None),
    "de": ((16, 40, 92), (232, 192, 80), "DELAWARE", "THE FIRST STATE", (232, 192, 80), None),
    "nc": (_WHITE, _NAVY, "NORTH CAROLINA", "FIRST IN FLIGHT", (170, 20, 30), None),
    "co": (_WHITE, _BLACK, "COLORADO", "", _WHITE, (20, 100, 50)),
}
_VANITY = (
    "LL",
    "LLLL",
    "LLLLL",
    "LLLLLLL",
    "AAA",
    "AAAAA",
    "AAAAAA",
    "LLLN",
    "ZLLLLL",
    "LL LLLL",
    "LLLLNN",
)

FORMATS: dict[str, LatinFormat] = {
    f.code: f
    for f in (
        _eu(
            "de", "D", ("L*LL ZNNN", "LL*L ZNN", "LLL*LL ZN", "L*L ZNNN", "LL*LL ZNNe", "L*LL ZNh")
        ),
        _eu("fr", "F", ("LL-NNN-LL",), alphabet="ABCDEFGHJKLMNPQRSTVWXYZ", side="fr"),
        _eu("it", "I", ("LL NNN LL",), alphabet="ABCDEFGHJKLMNPRSTVWXYZ", side="it"),
        _eu("es", "E", ("NNNN LLL",), alphabet="BCDFGHJKLMNPRSTVWXYZ"),
        _eu(
            "nl",
            "NL",
            ("NN-LLL-Z", "Z-LLL-NN", "LL-NNN-L", "L-NNN-LL", "LLL-NN-L", "Z-LL-NNN"),
            alphabet="BDFGHJKLNPRSTVXZ",
            background=_EU_YELLOW,
        ),
        _eu("pl", "PL", ("LL NNNNN", "LL NNNNL", "LLL NNLL", "LL ZNNLL"), alphabet=_NO_IOQ),
        _eu("hr", "HR", ("LL*NNN-L", "LL*NNN-LL", "LL*NNNN-L", "LL*NNNN-LL"), emblem="hr"),
        _eu("sk", "SK", ("LL*NNN LL",), emblem="sk"),
        _eu("cz", "CZ", ("ZLN NNNN", "ZLL NNNN"), alphabet=_NO_IOQ),
        _eu("at", "A", ("L*ZNNNN L", "LL*ZNN LL", "LL*ZNNN L"), emblem="at", stripes=_RED),
        _eu("be", "B", ("Z-LLL-NNN",), ink=(178, 18, 36)),
        _eu("ro", "RO", ("b NN LLL", "b NNN LLL", "LL NN LLL"), alphabet=_NO_IOQ),
        _eu("hu", "H", ("LLL-NNN", "LL LL-NNN")),
        _eu("se", "S", ("LLL NNL", "LLL NNN"), alphabet="ABCDEFGHJKLMNOPRSTUWXYZ"),
        _eu("pt", "P", ("LL-NN-LL", "NN-LL-NN"), side="pt"),
        LatinFormat(
            "uk",
            PlateRegion.EU,
            ("LLNN LLL",),
            (520.0, 111.0),
            (
                Look(_EU_YELLOW, _BLACK, EuBand("UK", stars=False)),
                Look(_WHITE, _BLACK, EuBand("GB")),
                Look(_EU_YELLOW, _BLACK, None),
            ),
            "ABCDEFGHJKLMNOPRSTUVWXY",
        ),
        LatinFormat("br", PlateRegion.BR, ("LLLNLNN",), (400.0, 130.0), (Look(_WHITE, _BLACK),)),
        _us("ca", ("ZLLLNNN",), _US_LOOKS["ca"]),
        _us("tx", ("LLL-NNNN",), _US_LOOKS["tx"]),
        _us("ny", ("LLL-NNNN",), _US_LOOKS["ny"], _US_LOOKS["ny_white"]),
        _us("fl", ("LLL*LNN", "NNN*LLL"), _US_LOOKS["fl"], emblem="orange"),
        _us("pa", ("LLL-NNNN",), _US_LOOKS["pa"]),
        _us("il", ("LL NNNNN", "LL ZNNNN"), _US_LOOKS["il"]),
        _us("nj", ("LNN-LLL",), _US_LOOKS["nj"]),
        _us("ma", ("ZLLLNN", "ZLLNNN"), _US_LOOKS["ma"]),
        _us("wa", ("LLLNNNN",), _US_LOOKS["wa"]),
        _us("az", ("LLLNNNN",), _US_LOOKS["az"]),
        _us("oh", ("LLL NNNN",), _US_LOOKS["oh"]),
        _us("mi", ("LLL NNNN",), _US_LOOKS["mi"]),
        _us("de", ("ZNNNNN", "ZNNNNNN"), _US_LOOKS["de"]),
        _us("nc", ("LLL-NNNN",), _US_LOOKS["nc"]),
        _us("co", ("LLL-LNN", "NLL-LLL"), _US_LOOKS["co"]),
        _us("vanity", _VANITY, *(_US_LOOKS[s] for s in ("ca", "tx", "ny", "fl", "mi", "oh", "az"))),
        LatinFormat(
            "us_moto",
            PlateRegion.US,
            ("LL|NNNN", "L|ZNNN", "ZL|NNNN"),
            (220.0, 160.0),
            tuple(
                Look(*_US_LOOKS[s][:2], UsBand(_US_LOOKS[s][2], "", _US_LOOKS[s][4]))
                for s in ("ca", "tx", "oh", "nj")
            ),
            _NO_IOQ,
        ),
        LatinFormat(
            "de_moto",
            PlateRegion.EU,
            ("L*LL|ZNNN", "LL*L|ZNN", "LLL*L|ZNN"),
            (180.0, 200.0),
            (Look(_WHITE, _BLACK, EuBand("D")),),
        ),
        LatinFormat(
            "cn_yellow2",
            PlateRegion.CN,
            ("P C|NNNNN", "P C|CNNNN", "P C|NNNCN", "P C|NNNNC"),
            (440.0, 220.0),
            (Look(_CN_YELLOW, _BLACK),),
            _CN_LETTERS,
            cell_aspect=(1.05, 0.6),
            cjk=True,
        ),
    )
}
LATIN_FORMATS: tuple[str, ...] = tuple(FORMATS)


def _format(code: str) -> LatinFormat:
    try:
        return FORMATS[code]
    except KeyError:
        raise ValueError(
            f"unknown plate format {code!r}; known: {', '.join(LATIN_FORMATS)}"
        ) from None


def format_region(code: str) -> PlateRegion:
    """The region (eu, us, br, cn) a format's figures are grouped under."""
    return _format(code).region


def canonical_text(printed: str) -> str:
    """The printed text without separators, emblems and row breaks, upper case."""
    return "".join(c for c in printed if c not in _LAYOUT).upper()


def random_printed_text(code: str, rng: np.random.Generator | int) -> str:
    """A valid text of format ``code`` as it is printed (``B*AB 1234``, ``AB-123-CD``);
    :func:`canonical_text` gives the label."""
    fmt, gen = _format(code), as_rng(rng)
    if fmt.region is PlateRegion.BR:
        return random_plate_text(PlateKind.BR_MERCOSUL, gen)
    pattern = fmt.patterns[int(gen.integers(len(fmt.patterns)))]
    alphabets = {"L": fmt.letters, "N": _DIGITS, "Z": _DIGITS[1:], "A": fmt.letters + _DIGITS}
    alphabets |= {"P": CN_PROVINCES, "C": _CN_LETTERS}
    out = []
    for symbol in pattern:
        if symbol in alphabets:
            out.append(alphabets[symbol][int(gen.integers(len(alphabets[symbol])))])
        else:
            out.append(symbol.upper())
    return "".join(out)


# --- drawing -------------------------------------------------------------------------

_DEALERS = (
    "AUTOHAUS KRAUSE",
    "SMITH FORD",
    "GARAGE DUPONT",
    "AUTO ROSSI SRL",
    "CITY MOTORS 555 0142",
    "VAN DIJK AUTO",
    "PREMIER TOYOTA",
)


def _emblem(
    plate: PlateCanvas,
    kind: Emblem,
    box: tuple[float, float, float, float],
    rng: np.random.Generator | None,
) -> None:
    """The picture a ``*`` stands for, inside ``box`` (x, y, w, h in mm)."""
    x, y, w, h = box
    cx = x + w / 2
    if kind == "seals":  # German inspection and registration seals, stacked
        d = min(w * 0.9, h * 0.38)
        colours = ((214, 120, 40), (60, 140, 200), (220, 70, 150), (240, 200, 40))
        seal = colours[int(rng.integers(len(colours)))] if rng is not None else colours[0]
        plate.dot(cx, y + h * 0.27, d, seal)
        plate.dot(cx, y + h * 0.73, d, (200, 200, 196))
        plate.dot(cx, y + h * 0.73, d * 0.55, (120, 120, 118))
        return
    if kind == "dot":
        plate.dot(cx, y + h / 2, min(w, h) * 0.5, (150, 30, 30))
        return
    if kind == "orange":  # Florida's orange blossom
        plate.dot(cx, y + h * 0.55, min(w, h) * 0.8, (240, 140, 20))
        plate.dot(cx + w * 0.15, y + h * 0.2, min(w, h) * 0.3, (40, 130, 50))
        return
    sw, sh = w * 0.86, h * 0.62
    left, top = cx - sw / 2, y + (h - sh) / 2
    shield = [
        (left, top),
        (left + sw, top),
        (left + sw, top + sh * 0.7),
        (cx, top + sh),
        (left, top + sh * 0.7),
    ]
    plate.draw.polygon([(plate.px(a), plate.px(b)) for a, b in shield], fill=(200, 24, 36))
    if kind == "hr":  # red and white chequers
        for row in range(5):
            for col in range(5):
                if (row + col) % 2:
                    x1, y1 = left + col * sw / 5, top + row * sh / 5
                    plate.rect((x1, y1, x1 + sw / 5, y1 + sh / 5), _WHITE)
        plate.rect((left, top - sh * 0.18, left + sw, top - sh * 0.03), (40, 80, 170))
    elif kind == "sk":  # white double cross on blue hills
        plate.rect((cx - sw * 0.06, top + sh * 0.12, cx + sw * 0.06, top + sh * 0.75), _WHITE)
        plate.rect((cx - sw * 0.3, top + sh * 0.25, cx + sw * 0.3, top + sh * 0.33), _WHITE)
        plate.rect((cx - sw * 0.22, top + sh * 0.45, cx + sw * 0.22, top + sh * 0.53), _WHITE)
        plate.dot(cx, top + sh * 0.85, sw * 0.45, (30, 70, 160))
    else:  # "at": red-white-red
        plate.rect((left, top + sh / 3, left + sw, top + sh * 0.6), _WHITE)


def _print_row(
    plate: PlateCanvas,
    text: str,
    box: tuple[float, float, float, float],
    aspect: float,
    ink: Colour,
    emblem: Emblem,
    rng: np.random.Generator | None,
) -> None:
    """``text`` centred in ``box`` (x1, y1, x2, y2 mm), glyphs as tall as the box,
    narrowed together when the row would not fit."""
    x1, y1, x2, y2 = box
    cell_h = y2 - y1
    cell_w = cell_h * aspect
    width = {" ": cell_w * 0.4, "-": cell_w * 0.55, "*": cell_h * 0.6}
    widths = [width.get(c, cell_w) for c in text]
    gap = cell_w * 0.08
    total = sum(widths) + gap * (len(text) - 1)
    fit = min(1.0, (x2 - x1) / total)
    x = (x1 + x2) / 2 - total * fit / 2
    for char, w in zip(text, widths, strict=True):
        dx, dy = rng.uniform(-0.6, 0.6, 2) if rng is not None else (0.0, 0.0)
        if char == "*":
            _emblem(plate, emblem, (x, y1, w * fit, cell_h), rng)
        elif char != " ":
            plate.glyph(char, (x + dx, y1 + dy, w * fit, cell_h), ink, 0.85)
        x += (w + gap) * fit


def _eu_band(
    plate: PlateCanvas, band: EuBand, width: float, height: float, rng: np.random.Generator | None
) -> float:
    """Left band (and right band, stripes); the (left, right) margins it takes."""
    if band.stripes is not None:
        plate.rect((0, 0, width, height * 0.07), band.stripes)
        plate.rect((0, height * 0.93, width, height), band.stripes)
    bw = min(42.0, 0.16 * width) if height > 150 else 42.0
    plate.rect((0, 0, bw, height), _EU_BLUE)
    sy = min(bw * 0.81, height * 0.31)
    if band.stars:
        for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
            plate.dot(
                bw / 2 + bw * 0.26 * float(np.cos(angle)),
                sy + bw * 0.26 * float(np.sin(angle)),
                bw * 0.076,
                _EU_STAR,
            )
    letter_h = min(bw * 0.7, height * 0.27)
    plate.label(band.letters, (bw / 2, sy + bw * 0.5 + letter_h / 2 + 2), letter_h * 0.8, _WHITE)
    if band.side is None:
        return bw
    right = width - 42.0
    digits = [int(d) for d in rng.integers(0, 10, 4)] if rng is not None else [7, 5, 1, 9]
    if band.side == "pt":
        plate.rect((right, 0, width, height), _EU_YELLOW)
        plate.label(f"{digits[0]}{digits[1]}", (right + 21, height * 0.3), 16.0, _BLACK)
        plate.label(f"0{digits[2]}", (right + 21, height * 0.7), 16.0, _BLACK)
        return bw
    plate.rect((right, 0, width, height), _EU_BLUE)
    if band.side == "fr":
        plate.rect((right + 9, 12, width - 9, 48), (230, 200, 60))
        plate.rect((right + 14, 18, width - 14, 42), (200, 30, 40))
        plate.label(f"{digits[0] or 1}{digits[1]}", (right + 21, height * 0.75), 18.0, _WHITE)
    else:  # "it": year and province
        plate.label(f"20{digits[0]}{digits[1]}", (right + 21, height * 0.25), 12.0, _EU_STAR)
        plate.label("RM", (right + 21, height * 0.72), 16.0, _WHITE)
    return bw


def _clutter(plate: PlateCanvas, fmt: LatinFormat, rng: np.random.Generator) -> None:
    """What a reader must ignore: bolts, a registration sticker, a dealer's frame."""
    w, h = plate.image.width / plate.scale, plate.image.height / plate.scale
    if rng.random() < 0.6:  # bolts or rivets in the top margin
        colour = jittered((150, 150, 146), rng, 30)
        spread = 0.2 if fmt.region is PlateRegion.US else 0.3
        for x in (0.5 - spread, 0.5 + spread):
            plate.dot(w * x, h * 0.08, min(6.0, h * 0.06), colour)
    if fmt.region is PlateRegion.US and rng.random() < 0.5:  # registration sticker(s)
        for x in (14.0, w - 34.0)[: int(rng.integers(1, 3))]:
            colour = ((200, 40, 40), (40, 160, 70), (240, 200, 30), (60, 90, 200))[
                int(rng.integers(4))
            ]
            plate.rect((x, 8, x + 20, 26), colour)
            plate.label(f"{int(rng.integers(20, 30))}", (x + 10, 17), 9.0, _BLACK)
    if not fmt.two_row and rng.random() < 0.3:  # dealer frame at the top or bottom
        top = rng.random() < 0.3
        bar = h * 0.11
        y1 = 0.0 if top else h - bar
        frame = jittered((24, 24, 26), rng, 8)
        plate.rect((0, y1, w, y1 + bar), frame)
        plate.rect((0, 0, 3, h), frame)
        plate.rect((w - 3, 0, w, h), frame)
        text = _DEALERS[int(rng.integers(len(_DEALERS)))]
        plate.label(text, (w / 2, y1 + bar / 2), bar * 0.65, (236, 236, 236))


def _plate_pixels(size_mm: tuple[float, float]) -> int:
    """Plate height in pixels: about 90 000 pixels in all, as a 440x140 mm plate at 140 px tall."""
    w, h = size_mm
    return max(100, round(h * float(np.sqrt(90_000 / (w * h)))))


def render_latin_plate(
    printed: str,
    code: str,
    *,
    rng: np.random.Generator | int | None = None,
    font: LatinFont | None = None,
    height: int | None = None,
) -> Image.Image:
    """A clean frontal plate of format ``code`` reading ``printed`` (as
    :func:`random_printed_text` gives it), RGB. Without ``rng`` it is the nominal design
    in the first font; with one, look, font, colours, glyph positions and clutter vary."""
    fmt = _format(code)
    gen = None if rng is None else as_rng(rng)
    if not canonical_text(printed):
        raise ValueError("a plate needs at least one character")
    if height is not None and height < 20:
        raise ValueError("render plates at least 20 pixels tall")
    if font is None:
        fonts = (_CJK,) if fmt.cjk else LATIN_FONTS
        font = fonts[int(gen.integers(len(fonts)))] if gen is not None else fonts[0]
    load_font(str(font.path), font.package)  # fail early, naming the package
    if fmt.region is PlateRegion.BR:
        return render_plate(
            canonical_text(printed), PlateKind.BR_MERCOSUL, rng=gen, font_path=font.path
        )
    look = fmt.looks[int(gen.integers(len(fmt.looks)))] if gen is not None else fmt.looks[0]
    width_mm, height_mm = fmt.size_mm
    plate = PlateCanvas(
        fmt.size_mm,
        height or _plate_pixels(fmt.size_mm),
        jittered(look.background, gen, 6),
        str(font.path),
    )
    ink = jittered(look.ink, gen, 6)
    rows = printed.split("|")
    left, right = 0.03 * width_mm, width_mm * 0.97
    top, bottom = height_mm * 0.16, height_mm * 0.84
    band = look.band
    if isinstance(band, EuBand):
        left = _eu_band(plate, band, width_mm, height_mm, gen) + 0.02 * width_mm
        right -= 42.0 if band.side else 0.0
        if fmt.two_row:
            top, bottom = height_mm * 0.07, height_mm * 0.93
    elif isinstance(band, UsBand):
        name_h = height_mm * (0.16 if fmt.two_row else 0.14)
        if band.strip is not None:
            plate.rect((0, 0, width_mm, height_mm * 0.22), jittered(band.strip, gen, 8))
        name_colour = look.background if band.strip is not None else band.colour
        plate.label(band.state, (width_mm / 2, height_mm * 0.12), name_h, name_colour)
        if band.slogan:
            plate.label(
                band.slogan, (width_mm / 2, height_mm * 0.9), height_mm * 0.065, band.colour
            )
        top, bottom = (
            height_mm * (0.27 if fmt.two_row else 0.26),
            height_mm * (0.93 if fmt.two_row else 0.8),
        )
    else:
        top, bottom = height_mm * 0.1, height_mm * 0.9
    edge = band.colour if isinstance(band, UsBand) and band.strip is None else ink
    plate.border(1.5, 1.5, edge, radius=6.0)
    shares = (1.0,) if len(rows) == 1 else (0.4, 0.6)
    y = top
    for index, (row, share) in enumerate(zip(rows, shares, strict=True)):
        span = (bottom - top) * share
        pad = span * (0.06 if len(rows) > 1 else 0.0)
        _print_row(
            plate,
            row,
            (left, y + pad, right, y + span - pad),
            fmt.cell_aspect[index],
            ink,
            fmt.emblem,
            gen,
        )
        y += span
    if gen is not None:
        _clutter(plate, fmt, gen)
    return plate.image


def latin_set(
    count: int,
    seed: int,
    *,
    formats: Sequence[str] | None = None,
    size: tuple[int, int] = (1280, 720),
    plate_width_range: tuple[int, int] = (120, 320),
    style: SceneStyle | None = None,
) -> Iterator[tuple[str, str, SyntheticFrame]]:
    """``count`` labelled frames ``(canonical text, format code, frame)``, the formats
    (all of :data:`LATIN_FORMATS` by default) taken in turn. Item ``i`` depends only on
    ``(seed, i)``, as in :func:`gatepost.vision.synthetic_plates.synthetic_set`."""
    codes = tuple(LATIN_FORMATS if formats is None else formats)
    if count < 0:
        raise ValueError(f"latin_set needs a count of 0 or more, got {count}")
    if not codes:
        raise ValueError("latin_set needs at least one format")
    for code in codes:
        _format(code)
    yield from scene_set(
        count,
        seed,
        codes,
        _draw_format,
        size=size,
        plate_width_range=plate_width_range,
        style=style,
    )


def _draw_format(code: str, rng: np.random.Generator) -> tuple[str, Image.Image]:
    printed = random_printed_text(code, rng)
    return canonical_text(printed), render_latin_plate(printed, code, rng=rng)
