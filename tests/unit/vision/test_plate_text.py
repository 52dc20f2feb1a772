"""From decoded crops to a plate text, without a model: layout repairs, the weights of
loose fits, a character the tight crop cut off; and keeping the whole plate over its
pieces (``plate_reader._whole_over_parts``)."""

from __future__ import annotations

import string

import numpy as np
import pytest

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar, PlateRegion, grammars_for
from gatepost.vision.ctc import Alphabet, DecodedText, ctc_greedy
from gatepost.vision.plate_reader import _Read, _whole_over_parts
from gatepost.vision.plate_text import vote
from gatepost.vision.plates import PlateColor, PlateReading

ALPHABET = Alphabet.of(["blank", *string.ascii_uppercase, *string.digits])


def _decoded(
    text: str, p: float = 0.95, alternatives: dict[int, dict[str, float]] | None = None
) -> DecodedText:
    """A crop read as ``text``, each character at probability ``p`` (plus any
    alternatives per position), blanks between."""
    columns = []
    for at, character in enumerate(text):
        column = np.zeros(len(ALPHABET.characters), dtype=np.float32)
        column[ALPHABET.index[character]] = p
        for other, q in (alternatives or {}).get(at, {}).items():
            column[ALPHABET.index[other]] = q
        column[0] = max(0.0, 1.0 - column.sum())
        blank = np.zeros_like(column)
        blank[0] = 1.0
        columns += [column, blank]
    return ctc_greedy(np.stack(columns), ALPHABET)


def test_a_layout_moves_look_alikes_to_their_places_when_the_recogniser_allows() -> None:
    """Slovak IF298XG read 1F298XG: the LLNNNLL layout wants a letter first; the
    repair counts only because the recogniser gave I a real chance."""
    europe = grammars_for([PlateRegion.EU])
    plausible = _decoded("1F298XG", alternatives={0: {"I": 0.04}})
    assert vote([plausible], PlateColor.WHITE, europe)[:1] == ("IF298XG",)
    unlikely = _decoded("1F298XG")
    text, _, grammar = vote([unlikely], PlateColor.WHITE, europe) or ("", 0, None)
    assert text == "1F298XG" and grammar is not None and grammar.generic


def test_a_sites_own_pattern_gives_its_layout_to_repairs() -> None:
    uk = PlateGrammar.custom("uk", PlateRegion.EU, "[A-Z]{2}[0-9]{2}[A-Z]{3}")
    decoded = _decoded("AB12CD8", alternatives={6: {"B": 0.1}})
    assert vote([decoded], PlateColor.WHITE, (uk,))[:1] == ("AB12CDB",)


def test_short_and_digit_only_readings_rank_below_plate_like_ones() -> None:
    """A sign's JACT5 and a watermark's 19208 fit the bare Latin shape, as does the
    plate: equally sure crops, the plate scores highest."""
    plate = vote([_decoded("7ABC123")], PlateColor.WHITE, DEFAULT_GRAMMARS)
    sign = vote([_decoded("JACT5")], PlateColor.WHITE, DEFAULT_GRAMMARS)
    digits = vote([_decoded("192088")], PlateColor.WHITE, DEFAULT_GRAMMARS)
    assert plate and sign and digits
    assert plate[1] > sign[1] and plate[1] > digits[1]
    # a site's own all-digit pattern is not a loose fit: no discount
    own = PlateGrammar.custom("fleet", PlateRegion.US, "[0-9]{6}")
    assert vote([_decoded("192088")], PlateColor.WHITE, (own,))[1] == pytest.approx(0.95)


def test_a_wider_crop_that_saw_a_cut_off_character_wins() -> None:
    """The tight crop read 0KM237, the wider one OKM2371: the tight box cut off the 1."""
    tight, wide = _decoded("0KM237", 0.96), _decoded("OKM2371", 0.95)
    assert vote([tight, wide], PlateColor.WHITE, grammars_for([PlateRegion.US]))[0] == "OKM2371"
    # but not a less specific fit: a French plate does not grow a bolt read as 1
    french, bolt = _decoded("AB123CD", 0.96), _decoded("AB123CD1", 0.95)
    assert vote([french, bolt], PlateColor.WHITE, DEFAULT_GRAMMARS)[0] == "AB123CD"


def test_words_and_symbols_are_never_plates() -> None:
    assert vote([_decoded("TOYOTA")], PlateColor.WHITE, DEFAULT_GRAMMARS) is None


def _read(text: str, confidence: float, parts: tuple[int, ...], split: bool = False) -> _Read:
    reading = PlateReading(text, confidence, (0, 0, 1, 1), PlateColor.WHITE, "eu")
    return _Read(reading, parts, split, False)


def test_the_whole_plate_is_kept_over_its_pieces_unless_a_piece_is_clearly_better() -> None:
    whole, piece = _read("BAB1234", 0.80, (0, 1)), _read("AB1234", 0.85, (1,))
    assert [r.text for r in _whole_over_parts([whole, piece])] == ["BAB1234"]
    better = _read("AB1234", 0.95, (1,))
    assert [r.text for r in _whole_over_parts([whole, better])] == ["AB1234"]
    unrelated = _read("XY9999", 0.5, (4,))
    assert "XY9999" in [r.text for r in _whole_over_parts([whole, piece, unrelated])]


def test_nested_wholes_never_drop_every_reading() -> None:
    """B | AB | 1234: three boxes, wholes of three and of two; whatever the scores,
    something of the plate stays."""
    three, two, one = (
        _read("BAB1234", 0.5, (0, 1, 2)),
        _read("AB1234", 0.6, (1, 2)),
        _read("1234", 0.65, (2,)),
    )
    kept = _whole_over_parts([three, two, one])
    assert kept, "every reading was dropped"
    assert len(kept) == 1


def test_a_box_split_into_rows_is_weighed_against_the_box_read_whole() -> None:
    rows, flat = _read("AB1234", 0.8, (3,), split=True), _read("1234", 0.8, (3,))
    assert [r.text for r in _whole_over_parts([flat, rows])] == ["AB1234"]
    sure_flat = _read("7ABC123", 0.95, (3,))
    junk_rows = _read("NJ7ABC12", 0.6, (3,), split=True)
    assert [r.text for r in _whole_over_parts([sure_flat, junk_rows])] == ["7ABC123"]
