"""Fuzzy plate matching: confusable swaps cost less than real differences."""

from __future__ import annotations

import pytest

from gatepost.matching.plates import best_matches, plate_distance

KNOWN = ["京A88123", "京A98123", "粤BD12345", "BRA2E19"]


def test_confusable_swaps_cost_less_than_real_differences() -> None:
    assert plate_distance("京A88123", "京A88123") == 0
    assert plate_distance("京AB8123", "京A88123") == pytest.approx(0.3)  # 8/B
    assert plate_distance("BRA2E19", "8RA2E19") == pytest.approx(0.3)
    assert plate_distance("BRA2E19", "BRA2E1") == 1  # a missing character
    assert plate_distance("京A98123", "京A88123") == 1  # a real difference
    for a, b in [("0", "O"), ("O", "D"), ("1", "I"), ("5", "S"), ("2", "Z"), ("6", "G")]:
        assert plate_distance(a, b) == pytest.approx(0.3)


def test_best_matches_find_the_car_despite_confusions_but_not_another_car() -> None:
    (hit,) = best_matches("京AB8123", KNOWN)
    assert hit.plate == "京A88123"
    assert best_matches("京A78123", KNOWN) == []  # one real difference: unknown car
    two = best_matches("8RA2EI9", KNOWN)  # two confusions
    assert [c.plate for c in two] == ["BRA2E19"] and two[0].cost == pytest.approx(0.6)
