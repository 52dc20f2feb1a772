"""Synthetic Latin plates: the format table, text shapes, looks, determinism, the set."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gatepost.domain.plates import PlateRegion
from gatepost.vision.synthetic_latin import (
    FORMATS,
    LATIN_FORMATS,
    LatinFont,
    canonical_text,
    format_region,
    latin_set,
    random_printed_text,
    render_latin_plate,
)
from gatepost.vision.synthetic_plates import FontMissing
from gatepost.vision.synthetic_scene import SceneStyle
from tests.support.plate_fonts import require_plate_fonts


@pytest.fixture(autouse=True)
def _fonts() -> None:
    require_plate_fonts()


# The real shapes of each format's canonical text, written out independently of the table.
_PROVINCE = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
SHAPES = {
    "de": r"[A-Z]{1,3}[A-Z]{1,2}[1-9][0-9]{0,3}[EH]?",
    "fr": r"[A-HJ-NP-TV-Z]{2}[0-9]{3}[A-HJ-NP-TV-Z]{2}",
    "it": r"[A-Z]{2}[0-9]{3}[A-Z]{2}",
    "es": r"[0-9]{4}[B-DF-HJ-NP-TV-Z]{3}",
    "nl": r"[0-9]{2}[A-Z]{3}[0-9]|[0-9][A-Z]{3}[0-9]{2}|[A-Z]{2}[0-9]{3}[A-Z]"
    r"|[A-Z][0-9]{3}[A-Z]{2}|[A-Z]{3}[0-9]{2}[A-Z]|[0-9][A-Z]{2}[0-9]{3}",
    "pl": r"[A-Z]{2,3}[0-9A-Z]{4,5}",
    "hr": r"[A-Z]{2}[0-9]{3,4}[A-Z]{1,2}",
    "sk": r"[A-Z]{2}[0-9]{3}[A-Z]{2}",
    "cz": r"[1-9][A-Z][0-9A-Z][0-9]{4}",
    "at": r"[A-Z]{1,2}[1-9][0-9]{2,4}[A-Z]{1,2}",
    "be": r"[1-9][A-Z]{3}[0-9]{3}",
    "ro": r"B[0-9]{2,3}[A-Z]{3}|[A-Z]{2}[0-9]{2}[A-Z]{3}",
    "hu": r"[A-Z]{3}[0-9]{3}|[A-Z]{4}[0-9]{3}",
    "se": r"[A-Z]{3}[0-9]{2}[A-Z0-9]",
    "pt": r"[A-Z]{2}[0-9]{2}[A-Z]{2}|[0-9]{2}[A-Z]{2}[0-9]{2}",
    "uk": r"[A-Z]{2}[0-9]{2}[A-Z]{3}",
    "br": r"[A-Z]{3}[0-9][A-Z][0-9]{2}",
    "us_ca": r"[1-9][A-Z]{3}[0-9]{3}",
    "us_tx": r"[A-Z]{3}[0-9]{4}",
    "us_ny": r"[A-Z]{3}[0-9]{4}",
    "us_fl": r"[A-Z]{4}[0-9]{2}|[0-9]{3}[A-Z]{3}",
    "us_pa": r"[A-Z]{3}[0-9]{4}",
    "us_il": r"[A-Z]{2}[0-9]{5}",
    "us_nj": r"[A-Z][0-9]{2}[A-Z]{3}",
    "us_ma": r"[1-9][A-Z]{3}[0-9]{2}|[1-9][A-Z]{2}[0-9]{3}",
    "us_wa": r"[A-Z]{3}[0-9]{4}",
    "us_az": r"[A-Z]{3}[0-9]{4}",
    "us_oh": r"[A-Z]{3}[0-9]{4}",
    "us_mi": r"[A-Z]{3}[0-9]{4}",
    "us_de": r"[1-9][0-9]{5,6}",
    "us_nc": r"[A-Z]{3}[0-9]{4}",
    "us_co": r"[A-Z]{4}[0-9]{2}|[0-9][A-Z]{5}",
    "us_vanity": r"[A-Z0-9]{2,7}",
    "us_moto": r"[A-Z]{2}[0-9]{4}|[A-Z][1-9][0-9]{3}|[1-9][A-Z][0-9]{4}",
    "de_moto": r"[A-Z]{3,4}[1-9][0-9]{2,3}",
    "cn_yellow2": _PROVINCE + r"[A-HJ-NP-Z][0-9A-HJ-NP-Z]{5}",
}
US_STATES = {"ca", "tx", "ny", "fl", "pa", "il", "nj", "ma", "wa", "az", "oh"}
EU_COUNTRIES = {"de", "fr", "it", "es", "nl", "pl", "hr", "sk", "cz", "at", "be", "uk", "se"}
EU_COUNTRIES |= {"pt", "ro", "hu"}


def test_the_table_covers_the_countries_and_states_asked_for() -> None:
    assert set(LATIN_FORMATS) == set(SHAPES)
    assert EU_COUNTRIES <= set(LATIN_FORMATS)
    assert {f"us_{s}" for s in US_STATES} <= set(LATIN_FORMATS)
    assert LATIN_FORMATS == tuple(FORMATS)  # stable order: the table's
    regions = {code: format_region(code) for code in LATIN_FORMATS}
    assert regions["de"] is PlateRegion.EU and regions["us_ca"] is PlateRegion.US
    assert regions["br"] is PlateRegion.BR and regions["cn_yellow2"] is PlateRegion.CN
    assert {c for c in LATIN_FORMATS if FORMATS[c].two_row} == {"us_moto", "de_moto", "cn_yellow2"}


@pytest.mark.parametrize("code", LATIN_FORMATS)
def test_texts_are_canonical_and_have_the_format_shape(code: str) -> None:
    rng = np.random.default_rng(7)
    printed_seen = set()
    for _ in range(60):
        printed = random_printed_text(code, rng)
        text = canonical_text(printed)
        assert re.fullmatch(SHAPES[code], text), (code, printed, text)
        assert not set(text) & set(" -*|·")
        printed_seen.add(printed)
    assert len(printed_seen) > 40  # random, not a constant


def test_printed_grouping_is_the_countrys() -> None:
    rng = np.random.default_rng(3)
    assert re.fullmatch(r"[A-Z]{2}-[0-9]{3}-[A-Z]{2}", random_printed_text("fr", rng))
    assert re.fullmatch(r"[0-9]{4} [A-Z]{3}", random_printed_text("es", rng))
    assert re.fullmatch(r"[A-Z]{2}\*[0-9]{3,4}-[A-Z]{1,2}", random_printed_text("hr", rng))
    assert re.fullmatch(r"[A-Z]{2}[0-9]{2} [A-Z]{3}", random_printed_text("uk", rng))
    assert "|" in random_printed_text("cn_yellow2", rng)
    vanity = {canonical_text(random_printed_text("us_vanity", rng)) for _ in range(200)}
    assert any(t.isalpha() for t in vanity) and any(not t.isalpha() for t in vanity)
    assert canonical_text("b*ab 12e") == "BAB12E"


@pytest.mark.parametrize("code", LATIN_FORMATS)
def test_every_format_renders_the_same_pixels_for_a_seed(code: str) -> None:
    printed = random_printed_text(code, 11)
    first = np.asarray(render_latin_plate(printed, code, rng=5))
    again = np.asarray(render_latin_plate(printed, code, rng=5))
    other = np.asarray(render_latin_plate(printed, code, rng=6))
    assert first.shape[2] == 3 and np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


@pytest.mark.parametrize("code", LATIN_FORMATS)
def test_plates_have_their_formats_proportions(code: str) -> None:
    plate = render_latin_plate(random_printed_text(code, 1), code)
    width_mm, height_mm = FORMATS[code].size_mm
    assert plate.width / plate.height == pytest.approx(width_mm / height_mm, rel=0.02)
    if FORMATS[code].two_row:
        assert plate.width / plate.height <= 2.05
    else:
        assert plate.width / plate.height >= 1.95


def test_the_ink_is_where_the_text_is() -> None:
    """A longer serial inks more of the plate; an empty one is refused."""
    short = np.asarray(render_latin_plate("A 1", "de").convert("L")) < 100
    long = np.asarray(render_latin_plate("AB*CD 1234", "de").convert("L")) < 100
    assert long.sum() > 1.5 * short.sum()
    with pytest.raises(ValueError, match="at least one character"):
        render_latin_plate("- *", "de")


def test_the_set_cycles_formats_and_each_item_stands_alone() -> None:
    style = SceneStyle(lighting=False, noise=False, jpeg_quality=None)
    codes = ("fr", "us_ny", "cn_yellow2")
    small = {"size": (320, 240), "plate_width_range": (60, 140), "style": style}
    items = list(latin_set(5, 3, formats=codes, **small))
    assert [code for _, code, _ in items] == ["fr", "us_ny", "cn_yellow2", "fr", "us_ny"]
    for text, code, frame in items:
        assert re.fullmatch(SHAPES[code], text) and frame.image.shape == (240, 320, 3)
    again = list(latin_set(5, 3, formats=codes, **small))
    assert all(np.array_equal(a[2].image, b[2].image) for a, b in zip(items, again, strict=True))
    shorter = list(latin_set(2, 3, formats=codes, **small))
    assert all(
        np.array_equal(a[2].image, b[2].image) for a, b in zip(items[:2], shorter, strict=True)
    )
    other_seed = list(latin_set(2, 4, formats=codes, **small))
    assert [t for t, _, _ in other_seed] != [t for t, _, _ in items[:2]]
    default = next(latin_set(1, 0, size=(320, 240), plate_width_range=(60, 140)))
    assert default[1] == LATIN_FORMATS[0]


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown plate format 'xx'"):
        list(latin_set(1, 0, formats=["xx"]))
    with pytest.raises(ValueError, match="at least one format"):
        list(latin_set(1, 0, formats=[]))
    with pytest.raises(ValueError, match="count of 0 or more"):
        list(latin_set(-1, 0))
    assert list(latin_set(0, 0)) == []
    with pytest.raises(ValueError, match="unknown plate format"):
        format_region("zz")
    with pytest.raises(ValueError, match="unknown plate format"):
        random_printed_text("zz", 0)


def test_missing_font_names_its_debian_package(tmp_path: Path) -> None:
    gone = LatinFont(tmp_path / "LiberationSansNarrow-Bold.ttf", "fonts-liberation")
    with pytest.raises(FontMissing) as caught:
        render_latin_plate("AB-123-CD", "fr", font=gone)
    assert caught.value.package == "fonts-liberation" and "fonts-liberation" in str(caught.value)
    assert caught.value.path == gone.path


def _mean(plate: np.ndarray, box_mm: tuple[float, float, float, float], code: str) -> np.ndarray:
    """Mean colour of a box given in the plate's millimetres."""
    scale = plate.shape[0] / FORMATS[code].size_mm[1]
    x1, y1, x2, y2 = (round(v * scale) for v in box_mm)
    mean: np.ndarray = plate[y1:y2, x1:x2].reshape(-1, 3).mean(axis=0)
    return mean


def test_looks_carry_their_bands_and_colours() -> None:
    de = np.asarray(render_latin_plate("B*AB 1234", "de"))
    red, green, blue = _mean(de, (6, 5, 36, 15), "de")  # the EU band above the stars
    assert blue > 120 and red < 60 and green < 90
    red, green, blue = _mean(de, (100, 4, 500, 12), "de")
    assert min(red, green, blue) > 200  # white plate
    nl = np.asarray(render_latin_plate("12-ABC-3", "nl"))
    red, green, blue = _mean(nl, (100, 4, 500, 12), "nl")
    assert red > 200 and green > 150 and blue < 100  # yellow
    dark = np.asarray(render_latin_plate("ABC 1234", "us_mi").convert("L"))
    assert dark.mean() < 110 and (dark > 200).mean() > 0.05  # light ink on dark
    cn = np.asarray(render_latin_plate("京 A|12345", "cn_yellow2"))
    red, green, blue = _mean(cn, (10, 3, 430, 12), "cn_yellow2")
    assert red > 200 and green > 150 and blue < 100


def _ink_bands(code: str) -> int:
    """Separate runs of inked rows across the middle of a nominal plate."""
    printed = random_printed_text(code, 2)
    grey = np.asarray(render_latin_plate(printed, code).convert("L")).astype(int)
    height, width = grey.shape
    red, green, blue = FORMATS[code].looks[0].background
    background = round(0.299 * red + 0.587 * green + 0.114 * blue)
    inked = np.abs(grey - background)[:, int(width * 0.25) : int(width * 0.9)] > 80
    rows = inked.mean(axis=1)[int(height * 0.22) : int(height * 0.97)] > 0.03
    return int(rows[0]) + int(np.count_nonzero(rows[1:] & ~rows[:-1]))


@pytest.mark.parametrize("code", [c for c in LATIN_FORMATS if FORMATS[c].two_row])
def test_two_row_plates_print_two_rows(code: str) -> None:
    assert _ink_bands(code) >= 2


@pytest.mark.parametrize("code", ["fr", "es", "de"])
def test_one_row_plates_print_one_row(code: str) -> None:
    assert _ink_bands(code) == 1


def test_clutter_comes_with_randomness() -> None:
    """Dealer frames (a dark bar along an edge) appear on some plates, never nominally."""

    def framed(plate: np.ndarray) -> bool:
        edge = max(2, plate.shape[0] // 20)
        dark = [plate[:edge].mean() < 60, plate[-edge:].mean() < 60]
        return any(dark)

    nominal = np.asarray(render_latin_plate("AB-123-CD", "fr"))
    assert not framed(nominal)
    seeds = [np.asarray(render_latin_plate("AB-123-CD", "fr", rng=s)) for s in range(30)]
    assert 2 <= sum(framed(p) for p in seeds) <= 20
