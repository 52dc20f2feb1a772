"""Fuzzy plate matching, multi-frame voting and repeat suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepost.matching.plates import RepeatFilter, best_matches, plate_distance, vote

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


def test_vote_combines_frames_position_by_position() -> None:
    frames = [("京A88123", 0.9), ("京AB8123", 0.6), ("京A88I23", 0.5), ("京A8812", 0.95)]
    text, confidence = vote(frames) or ("", 0.0)
    assert text == "京A88123"
    assert confidence == pytest.approx((0.9 + 0.6 + 0.5) / 3)
    assert vote([]) is None and vote([("", 0.9)]) is None


def test_repeat_filter_suppresses_the_same_car_on_the_same_lane_within_the_window() -> None:
    seen = RepeatFilter(window=timedelta(seconds=60))
    t0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert not seen.is_repeat("lane-1", "京A88123", t0)
    assert seen.is_repeat("lane-1", "京AB8123", t0 + timedelta(seconds=5))  # misread repeat
    assert not seen.is_repeat("lane-2", "京A88123", t0 + timedelta(seconds=5))  # other lane
    assert not seen.is_repeat("lane-1", "京A98123", t0 + timedelta(seconds=6))  # other car
    assert not seen.is_repeat("lane-1", "京A88123", t0 + timedelta(seconds=200))  # later
