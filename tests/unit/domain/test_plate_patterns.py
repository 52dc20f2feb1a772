"""Sites' own plate patterns: compiled whole-text, bounded, and free of the nested
repetitions whose backtracking grows exponentially with the text."""

from __future__ import annotations

import time

import pytest

from gatepost.domain.plates import PlateGrammar, PlateRegion


@pytest.mark.parametrize(
    "pattern",
    [
        "[A-Z]{2}[0-9]{2}[A-Z]{3}",
        "(?:[A-Z]{2}[0-9])?[0-9]{3}",
        "(?:AB|CD)[0-9]{3,4}",
        "[1-9][A-Z]{3}[0-9]{3}|[A-Z]{3}[0-9]{4}",
        "(?=.*[0-9])(?=.*[A-Z])[A-Z0-9]{5,7}",
        "(?:A{1})+[0-9]",
        r"\d{3}[(+]+",
        "京[A-Z](?:[0-9]{5})",
    ],
)
def test_plain_patterns_are_accepted(pattern: str) -> None:
    grammar = PlateGrammar.custom("site", PlateRegion.EU, pattern)
    assert grammar.region is PlateRegion.EU and not grammar.generic


@pytest.mark.parametrize(
    "pattern",
    [
        "(A+)+B",
        "(?:[A-Z]|[0-9])*X",
        "(?:[0-9]{2}){3}",
        "((A+))+",
        "(?:(?:A|B)C){2,}",
        "(?P<x>A+?)+",
        "(?:[A-Z]+)++",
    ],
)
def test_nested_repetitions_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="exponential"):
        PlateGrammar.custom("site", PlateRegion.EU, pattern)


@pytest.mark.parametrize("pattern", ["", "A" * 201, "[A-Z", "(?<name", "A{4294967296}"])
def test_empty_long_or_broken_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="plate pattern"):
        PlateGrammar.custom("site", PlateRegion.EU, pattern)


def test_accepted_pattern_matches_whole_texts_quickly_on_hostile_input() -> None:
    grammar = PlateGrammar.custom("site", PlateRegion.EU, "[A-Z]+[0-9]*[A-Z0-9]+")
    started = time.perf_counter()
    assert not grammar.matches("A" * 5000 + "!")
    assert grammar.matches("AB12C")
    assert not grammar.matches("xAB12C")
    assert time.perf_counter() - started < 1.0
