"""From a plate's decoded crops to its text: the candidates each crop gives (Chinese
places constrained, look-alike characters repaired where a layout fixes them) and the
vote among the crops for the most specific grammar they fit.

Pure functions over :class:`gatepost.vision.ctc.DecodedText`; the thresholds are
explained beside them and in docs/plates.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from gatepost.domain.plates import CN_PROVINCES, PlateGrammar, PlateRegion, normalise_plate
from gatepost.vision.ctc import DecodedText
from gatepost.vision.plates import PlateColor

__all__ = ["vote"]

_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "J": "1", "Z": "2"}
_TO_DIGIT |= {"S": "5", "B": "8", "G": "6", "T": "7", "A": "4"}
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "7": "T", "4": "A"}
_CN_SPECIAL = "警学挂"
# A repair (8 -> B where a letter belongs) needs the recogniser to have given the new
# character at least this probability. Measured on the Brazilian set, right repairs had
# 0.05-0.46 (O/0, I/1 look alike); on synthetic US plates read with every region on,
# wrong ones (7 -> T making a US plate Brazilian) had 0.0001-0.02.
_MIN_REPAIR = 0.03
# Digits alone fit the Latin shape (some US plates) but so do years, phone numbers and
# watermarks: such a reading counts this much less.
_DIGITS_ONLY = 0.85
# A Latin reading that fits only a loose pattern counts this much less when it is
# short: most plates have 6-8 characters, the signs and stickers around them fewer.
_SHORT = {3: 0.8, 4: 0.85, 5: 0.9}
# A reading one character longer at an end (a wider crop's) replaces the best one when
# at least this confident, relative to it.
_CUT_OFF = 0.9


def _constrained(decoded: DecodedText, text: str) -> str:
    """``text`` (the normalised reading) with a Chinese plate's impossible characters
    replaced by the likeliest possible ones: the first by a province, a final Chinese
    character by 警, 学 or 挂 (see ``gatepost.vision.ctc``)."""
    if len(text) not in (7, 8) or len(text) != len(decoded.text) or text[0].isascii():
        return text
    chars = list(text)
    if chars[0] not in CN_PROVINCES:
        chars[0] = decoded.best_of(0, CN_PROVINCES)[0]
    if len(chars) == 7 and not chars[-1].isascii() and chars[-1] not in _CN_SPECIAL:
        chars[-1] = decoded.best_of(6, _CN_SPECIAL)[0]
    return "".join(chars)


def _plausible(decoded: DecodedText, text: str, repaired: str) -> bool:
    """Whether the recogniser gave each repaired character a real chance (see
    ``_MIN_REPAIR``); a reading whose places cannot be told apart is not judged."""
    if len(text) != len(decoded.text):
        return True
    return all(
        decoded.probability(i, new) >= _MIN_REPAIR
        for i, (old, new) in enumerate(zip(text, repaired, strict=True))
        if old != new
    )


def _candidates(decoded: DecodedText, layouts: Sequence[str]) -> list[str]:
    """The normalised reading, then its constrained form and their plausible repairs
    (``layouts``: those of the accepted grammars), once each."""
    text = normalise_plate(decoded.text)
    constrained = _constrained(decoded, text)
    found = list(dict.fromkeys((text, constrained)))
    for base in tuple(found):
        found += [r for r in _repairs(base, layouts) if _plausible(decoded, base, r)]
    return list(dict.fromkeys(found))


def _repairs(text: str, layouts: Sequence[str]) -> list[str]:
    """Where a fixed layout says which places hold letters and which digits (a
    Brazilian LLLNLNN, a French LLNNNLL, a site's own pattern), the reading with
    look-alike characters moved to the kind their place holds; a Chinese plate's
    issuing letter made a letter; a Latin reading's lone digit among letters made a
    letter and lone letter among digits a digit."""
    candidates = []
    if len(text) in (7, 8) and text[0] in CN_PROVINCES:  # the issuing letter is a letter
        return [text[0] + _TO_LETTER.get(text[1], text[1]) + text[2:]]
    for layout in layouts:
        if len(layout) == len(text):
            fixed = [
                _TO_LETTER.get(c, c) if kind == "L" else _TO_DIGIT.get(c, c) if kind == "N" else c
                for kind, c in zip(layout, text, strict=True)
            ]
            candidates.append("".join(fixed))
    if text.isascii() and len(text) >= 4:
        candidates.append(_grouped(text))
    return candidates


def _grouped(text: str) -> str:
    """A Latin reading with a digit between two letters made a letter (P1DK23 ->
    PIDK23) and a letter between two digits a digit (12O4 -> 1204)."""
    chars = list(text)
    for i in range(1, len(text) - 1):
        before, here, after = text[i - 1], text[i], text[i + 1]
        if here.isdigit() and before.isalpha() and after.isalpha():
            chars[i] = _TO_LETTER.get(here, here)
        elif here.isalpha() and before.isdigit() and after.isdigit():
            chars[i] = _TO_DIGIT.get(here, here)
    return "".join(chars)


def vote(
    texts: Sequence[DecodedText], color: PlateColor, grammars: tuple[PlateGrammar, ...]
) -> tuple[str, float, PlateGrammar] | None:
    """The text the crops of one proposal agree on, with its mean weighted score and
    grammar; None when no crop fits a grammar. Each crop votes for the candidate that
    fits the most specific grammar; weights: docs/plates.md (Vote)."""
    scores: dict[str, list[float]] = defaultdict(list)
    grammar_of: dict[str, PlateGrammar] = {}
    layouts = tuple(dict.fromkeys(g.layout for g in grammars if g.layout is not None))
    for decoded in texts:
        score = decoded.score
        # Of the reading and its repairs, the one that fits the most specific grammar
        # (grammars run from specific to generic); a repair counts a little less.
        fits = [
            (specificity, rank, candidate, grammar)
            for rank, candidate in enumerate(_candidates(decoded, layouts))
            for specificity, grammar in enumerate(grammars)
            if grammar.matches(candidate)
        ]
        if fits:
            _, rank, candidate, grammar = min(fits, key=lambda fit: (fit[0], fit[1]))
            # A repair counts a little less; so does a fit to a loose pattern only.
            weight = (1.0 if rank == 0 else 0.9) * grammar.weight
            if grammar.generic:  # most plates have 6-8 characters, and letters too
                weight *= _SHORT.get(len(candidate), 1.0)
                weight *= _DIGITS_ONLY if candidate.isdigit() else 1.0
            scores[candidate].append(score * weight)
            grammar_of[candidate] = grammar
    if not scores:
        return None
    expected = 8 if color is PlateColor.GREEN else 7

    def strength(text: str) -> tuple[float, float]:
        length_fits = grammar_of[text].region is not PlateRegion.CN or len(text) == expected
        return (sum(scores[text]) + (0.5 if length_fits else 0.0), max(scores[text]))

    best = max(scores, key=strength)
    # A wider crop that read one character more at an end than the best reading, and
    # as specific a fit: the detector's tight box had cut that character off
    # (0KM237 / OKM2371).
    folded = best.replace("O", "0")
    longer = [
        text
        for text in scores
        if len(text) == len(best) + 1
        and text.isascii()
        and grammar_of[text].weight >= grammar_of[best].weight
        and max(scores[text]) >= _CUT_OFF * max(scores[best])
        and folded in (text.replace("O", "0")[1:], text.replace("O", "0")[:-1])
    ]
    if longer:
        best = max(longer, key=lambda text: max(scores[text]))
    return best, sum(scores[best]) / len(scores[best]), grammar_of[best]
