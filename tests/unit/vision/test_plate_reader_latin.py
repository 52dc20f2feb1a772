"""The plate reader on Latin plates of many countries and US states (synthetic frames
of :mod:`gatepost.vision.synthetic_latin`): the generic plate shape keeps plates that
no region layout names, region layouts only rank, a site's own pattern restricts; two
rows, the European band and a watermark of digits.

Fixed seeds: the figures are floors against regressions, not the accuracy target
(that is `gatepost bench plates`).
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import cv2
import numpy as np
import pytest

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar, PlateRegion, grammars_for
from gatepost.vision.plate_reader import RapidOcrPlateReader
from gatepost.vision.synthetic_latin import format_region, latin_set
from gatepost.vision.synthetic_plates import PlateKind, synthetic_set
from tests.support.plate_fonts import require_plate_fonts

SIZE = (960, 540)


@pytest.fixture(autouse=True)
def _fonts() -> None:
    require_plate_fonts()


@cache
def _reader() -> RapidOcrPlateReader:
    return RapidOcrPlateReader()


def _first(image: np.ndarray, grammars: tuple[PlateGrammar, ...] | None = None) -> str:
    plates = _reader().read(np.ascontiguousarray(image), grammars=grammars)
    return plates[0].text if plates else ""


def test_every_latin_format_is_read_with_every_region_on() -> None:
    read, total, misses = Counter[str](), Counter[str](), []
    for text, code, frame in latin_set(36, seed=11, size=SIZE):
        region = format_region(code).value
        got = _first(frame.image)
        total[region] += 1
        read[region] += got == text
        if got != text:
            misses.append(f"{code}: {text} -> {got or 'nothing'}")
    assert sum(read.values()) >= 32, misses
    assert read["eu"] >= 0.85 * total["eu"] and read["us"] >= 0.8 * total["us"], misses


def test_the_european_region_reads_layouts_its_own_grammars_do_not_name() -> None:
    """Croatian RK 099-AN, Slovak BA 302 OZ, German B AB 1234, Austrian, Polish: the
    generic plate shape is part of every Latin region (the old European patterns read
    half of these)."""
    europe = grammars_for([PlateRegion.EU])
    results = [
        (text, _first(frame.image, europe))
        for text, _, frame in latin_set(10, seed=11, formats=["hr", "sk", "de", "at", "pl"])
    ]
    assert sum(text == got for text, got in results) >= 9, results


def test_two_row_plates_are_read_top_row_first() -> None:
    """Motorcycle plates (US, German) and a Chinese yellow rear plate: one box over both
    rows, or a box per row."""
    codes = ["us_moto", "de_moto", "cn_yellow2"]
    results = [
        (code, text, _first(frame.image))
        for text, code, frame in latin_set(12, seed=11, formats=codes, size=SIZE)
    ]
    assert sum(text == got for _, text, got in results) >= 10, results
    assert {code for code, text, got in results if text == got} == set(codes), results


def test_a_site_pattern_restricts_and_a_region_only_ranks() -> None:
    """A Californian plate has no European layout, yet the European region still reads
    it (the generic shape); a site that accepts only the UK layout does not."""
    text, _, frame = next(latin_set(1, seed=3, formats=["us_ca"], size=SIZE))
    assert _first(frame.image, grammars_for([PlateRegion.EU])) == text
    uk_only = (PlateGrammar.custom("uk", PlateRegion.EU, "[A-Z]{2}[0-9]{2}[A-Z]{3}"),)
    assert _reader().read(np.ascontiguousarray(frame.image), grammars=uk_only) == []


def test_a_watermark_of_digits_does_not_hide_the_plate() -> None:
    """A photographer's "19208" in large print fits the Latin shape (digits only) and
    is a larger box than the plate: it must neither be sure enough to stop reading nor
    outrank the plate."""
    text, _, frame = next(iter(synthetic_set([PlateKind.BR_OLD], 1, seed=4, size=SIZE)))
    image = np.ascontiguousarray(frame.image).copy()
    x1, y1, x2, y2 = frame.box
    spot = (40, 110) if y1 > 200 else (40, SIZE[1] - 40)
    cv2.putText(image, "19208", spot, cv2.FONT_HERSHEY_DUPLEX, 3.0, (250, 250, 250), 6)
    plates = _reader().read(image, grammars=DEFAULT_GRAMMARS)
    assert plates and plates[0].text == text, [p.text for p in plates]


def test_words_alone_are_not_plates() -> None:
    """A make's name or a state's name has no digit: not a plate shape."""
    image = np.full((SIZE[1], SIZE[0], 3), 200, dtype=np.uint8)
    cv2.putText(image, "TOYOTA", (200, 250), cv2.FONT_HERSHEY_DUPLEX, 3.0, (20, 20, 20), 6)
    cv2.putText(image, "TEXAS", (260, 400), cv2.FONT_HERSHEY_DUPLEX, 2.0, (20, 20, 120), 4)
    assert _reader().read(image) == []
