"""Greedy CTC decoding with alternatives: repeats merge, blanks and separators drop,
and a grammar can pick the likeliest allowed character in a place."""

from __future__ import annotations

import numpy as np
import pytest

from gatepost.vision.ctc import Alphabet, ctc_greedy

ALPHABET = Alphabet.of(["blank", "京", "A", "1", "2", "挂", "推", "·", " "])


def _columns(*rows: dict[str, float]) -> np.ndarray:
    """One column per row: the given probabilities, the rest spread as blank."""
    columns = np.zeros((len(rows), len(ALPHABET.characters)), dtype=np.float32)
    for at, row in enumerate(rows):
        for character, p in row.items():
            columns[at, ALPHABET.characters.index(character)] = p
        columns[at, 0] += 1.0 - columns[at].sum()
    return columns


def test_repeats_merge_blanks_split_and_separators_drop() -> None:
    decoded = ctc_greedy(
        _columns(
            {"京": 0.9},
            {"京": 0.95},
            {"A": 0.8},
            {"·": 0.9},
            {"1": 0.9},
            {},  # blank: the next 1 is a second character
            {"1": 0.7},
            {" ": 0.9},
            {"2": 0.6},
        ),
        ALPHABET,
    )
    assert decoded.text == "京A112"
    assert decoded.probabilities.shape == (5, len(ALPHABET.characters))
    # each character keeps its most confident column: 京 at 0.95, not 0.9
    assert decoded.score == pytest.approx((0.95 + 0.8 + 0.9 + 0.7 + 0.6) / 5)


def test_best_of_picks_the_likeliest_allowed_character() -> None:
    decoded = ctc_greedy(_columns({"京": 0.9}, {"推": 0.6, "挂": 0.3}), ALPHABET)
    assert decoded.text == "京推"
    assert decoded.best_of(1, "警学挂") == ("挂", pytest.approx(0.3))
    with pytest.raises(ValueError, match="none of the allowed"):
        decoded.best_of(1, "警学")


def test_an_all_blank_crop_decodes_to_nothing() -> None:
    decoded = ctc_greedy(_columns({}, {}, {}), ALPHABET)
    assert decoded.text == "" and decoded.score == 0.0
    assert decoded.probabilities.shape == (0, len(ALPHABET.characters))


def test_probability_counts_either_case_of_a_letter() -> None:
    alphabet = Alphabet.of(["blank", "G", "g", "9"])
    columns = np.array([[0.1, 0.2, 0.6, 0.1]], dtype=np.float32)
    decoded = ctc_greedy(columns, alphabet)
    assert decoded.text == "g"
    assert decoded.probability(0, "G") == pytest.approx(0.8)
    assert decoded.probability(0, "9") == pytest.approx(0.1)
    assert decoded.probability(0, "Q") == 0.0


def test_punctuation_and_symbols_drop_like_separators() -> None:
    """An emblem between two groups read as "*", a bolt read as "|": never plate
    characters, and they still split repeats (1*1 is two ones)."""
    alphabet = Alphabet.of(["blank", "A", "1", "*", "|", ":"])
    columns = np.zeros((6, 6), dtype=np.float32)
    for at, klass in enumerate([4, 1, 2, 3, 2, 5]):  # | A 1 * 1 :
        columns[at, klass] = 1.0
    assert ctc_greedy(columns, alphabet).text == "A11"


def test_two_rows_join_top_first() -> None:
    top = ctc_greedy(_columns({"京": 0.9}, {}, {"A": 0.8}), ALPHABET)
    bottom = ctc_greedy(_columns({"1": 0.7}, {}, {"2": 0.6}), ALPHABET)
    both = top + bottom
    assert both.text == "京A12" and both.probabilities.shape == (4, len(ALPHABET.characters))
    assert both.probability(3, "2") == pytest.approx(0.6)
    with pytest.raises(ValueError, match="one recogniser"):
        _ = top + ctc_greedy(np.ones((1, 2), dtype=np.float32), Alphabet.of(["blank", "A"]))
