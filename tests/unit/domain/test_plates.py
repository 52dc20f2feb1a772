"""Plate normalisation and grammars per region."""

from __future__ import annotations

import pytest

from gatepost.domain.plates import (
    DEFAULT_GRAMMARS,
    LATIN_PLATE_SHAPE,
    PlateGrammar,
    PlateRegion,
    fixed_layout,
    grammars_for,
    match_grammar,
    normalise_plate,
)
from gatepost.domain.sites import PlatePattern, SitePlateSettings


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("京A·12345", "京A12345"),
        ("京a 12345", "京A12345"),
        ("粤B-D12345", "粤BD12345"),
        ("京Ａ１２３４５", "京A12345"),  # full-width forms
        ("沪AO1I23", "沪A01123"),  # no I or O in a Chinese serial: misread digits
        ("bra-2e19", "BRA2E19"),
        ("ABC 1234", "ABC1234"),
        ("OIL 1234", "OIL1234"),  # outside China, O and I are letters
    ],
)
def test_normalise(raw: str, normal: str) -> None:
    assert normalise_plate(raw) == normal


@pytest.mark.parametrize(
    ("text", "grammar"),
    [
        ("京A12345", "cn_standard"),
        ("苏CFY773", "cn_standard"),
        ("皖AD11166", "cn_new_energy"),
        ("粤B12345F", "cn_new_energy"),
        ("京A1234警", "cn_special"),
        ("川A1234学", "cn_special"),
        ("鲁B1234挂", "cn_special"),
        ("BRA2E19", "br_mercosul"),
        ("AYO9034", "br_old"),
        ("MAB1234", "br_old"),
        ("AB123CD", "eu_fr_it"),
        ("1234BCD", "eu_es"),
        ("AB12CDE", "eu_uk"),
        ("BMW1234", "br_old"),  # the Brazilian layout is the more specific
        ("MKA1234E", "eu_letters_digits"),
        ("RK099AN1", "us_generic"),  # the generic Latin shape (the reader tells EU by its band)
        ("RK099AN", "eu_fr_it"),  # Croatia shares the French and Italian layout
        ("1234", "us_generic"),
    ],
)
def test_grammars_recognise_their_plates(text: str, grammar: str) -> None:
    found = match_grammar(text, DEFAULT_GRAMMARS)
    assert found is not None and found.name == grammar


@pytest.mark.parametrize(
    "text",
    [
        "京I12345",  # I is never an issuing letter
        "京A1234",  # too short
        "京A123456",  # 8 characters but not new energy
        "X京A12345",
        "A12345",  # no province
        "京AO2345",  # O would have been normalised; raw O is not a plate character
    ],
)
def test_cn_grammars_refuse_non_plates(text: str) -> None:
    assert match_grammar(text, grammars_for([PlateRegion.CN])) is None


def test_sites_can_add_their_own_format_and_bad_patterns_are_refused() -> None:
    uk = PlateGrammar.custom("uk", PlateRegion.EU, "[A-Z]{2}[0-9]{2}[A-Z]{3}")
    assert uk.matches("AB12CDE") and not uk.matches("AB12CDEX")  # anchored
    assert match_grammar("AB12CDE", [uk]) is uk
    with pytest.raises(ValueError, match="compile"):
        PlateGrammar.custom("bad", PlateRegion.EU, "[A-Z")
    with pytest.raises(ValueError):
        PlateGrammar.custom("empty", PlateRegion.EU, "")


@pytest.mark.parametrize(
    ("pattern", "layout"),
    [
        ("^[A-Z]{3}[0-9][A-Z][0-9]{2}$", "LLLNLNN"),
        ("^[A-HJ-NP-Z]{2}\\d{3}[A-Z0-9]$", "LLNNNX"),
        ("^(?:[A-Z]{2}[0-9]{2}[A-Z]{3})$", "LLNNLLL"),  # a site's own, as custom() wraps it
        ("^AB[0-9]{4}$", "LLNNNN"),
        ("^[A-Z]{2,3}[0-9]{4}$", None),  # a range of lengths
        ("^[A-Z]{3}|[0-9]{4}$", None),  # an alternation
        ("^[A-Za-z]{3}$", None),  # lower case is never on a plate
        ("^[^0-9]{3}$", None),  # negated
        (LATIN_PLATE_SHAPE, None),
    ],
)
def test_fixed_layouts_come_from_patterns_of_fixed_places(pattern: str, layout: str | None) -> None:
    assert fixed_layout(pattern) == layout


def test_the_generic_latin_shape_is_in_every_latin_region_and_restricting_takes_patterns() -> None:
    """Regions rank (each has the generic shape); a site with no region ticked and its
    own pattern reads only that pattern."""
    for region in (PlateRegion.EU, PlateRegion.US, PlateRegion.BR):
        assert match_grammar("RK099AN1", grammars_for([region])) is not None
    assert match_grammar("RK099AN1", grammars_for([PlateRegion.CN])) is None
    for text in ("TOYOTA", "A1", "ABCDE12345"):
        assert match_grammar(text, DEFAULT_GRAMMARS) is None
    uk = PlatePattern("uk", "eu", "[A-Z]{2}[0-9]{2}[A-Z]{3}")
    restricted = SitePlateSettings("s1", (), (uk,)).grammars()
    assert [g.name for g in restricted] == ["uk"]
    assert match_grammar("7ABC123", restricted) is None
    assert len(SitePlateSettings("s1", None, (uk,)).grammars()) == 1 + len(DEFAULT_GRAMMARS)
