"""Greedy CTC decoding that keeps every character's alternatives.

A CTC text recogniser (PP-OCRv4 here) gives, for each column of a crop, a probability
over its alphabet plus a blank. Greedy decoding takes the best class per column,
merges repeats and drops blanks. That loses what a plate grammar could use: where the
best character is impossible in its place (a Chinese plate's first character must be
a province, its last one of 警/学/挂 when it is not a letter or digit), the *most likely
allowed* character is usually right. So each decoded character keeps its column's full
distribution (:class:`DecodedText`), and :meth:`DecodedText.best_of` picks among an
allowed set.

Characters that a plate text never holds (spaces, dots, dashes, and any other
punctuation or symbol: an emblem between two groups read as "*" or a bolt read as "|")
are dropped while decoding, so positions in the decoded text are positions on the
plate. Two decoded rows of a two-row plate join with ``+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Alphabet", "DecodedText", "ctc_greedy"]

Probabilities = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Alphabet:
    """A recogniser's classes: index 0 is the CTC blank."""

    characters: tuple[str, ...]
    index: dict[str, int] = field(compare=False, repr=False)

    @classmethod
    def of(cls, characters: Sequence[str]) -> Alphabet:
        index: dict[str, int] = {}
        for position, character in enumerate(characters):
            if position:
                index.setdefault(character, position)
        return cls(tuple(characters), index)

    def indices(self, allowed: str) -> npt.NDArray[np.intp]:
        """Class indices of the allowed characters the alphabet has."""
        return np.array([self.index[c] for c in allowed if c in self.index], dtype=np.intp)


@dataclass(frozen=True)
class DecodedText:
    """A greedy reading with each character's distribution at its most confident column."""

    text: str
    probabilities: Probabilities  # (len(text), classes)
    alphabet: Alphabet

    @property
    def score(self) -> float:
        """Mean probability of the chosen characters (0 for an empty reading)."""
        if not self.text:
            return 0.0
        return float(self.probabilities.max(axis=1).mean())

    def probability(self, position: int, character: str) -> float:
        """How likely the recogniser found ``character`` at ``position``, either case
        (plates are upper case; recognisers also read "g" for a "G"); 0 if unknown."""
        row = self.probabilities[position]
        forms = {character.upper(), character.lower()}
        return float(sum(row[k] for c in forms if (k := self.alphabet.index.get(c)) is not None))

    def __add__(self, other: DecodedText) -> DecodedText:
        """This reading followed by ``other`` (the rows of a two-row plate, top first)."""
        if other.alphabet != self.alphabet:
            raise ValueError("only readings of one recogniser can be joined")
        rows = np.concatenate([self.probabilities, other.probabilities])
        return DecodedText(self.text + other.text, rows, self.alphabet)

    def best_of(self, position: int, allowed: str) -> tuple[str, float]:
        """The most likely character of ``allowed`` at ``position``, with its probability."""
        indices = self.alphabet.indices(allowed)
        if not len(indices):
            raise ValueError("the recogniser's alphabet has none of the allowed characters")
        row = self.probabilities[position, indices]
        best = int(row.argmax())
        return self.alphabet.characters[int(indices[best])], float(row[best])


def ctc_greedy(columns: Probabilities, alphabet: Alphabet) -> DecodedText:
    """Decode one crop's ``(columns, classes)`` probabilities (see the module docstring)."""
    best = columns.argmax(axis=1)
    characters: list[str] = []
    rows: list[Probabilities] = []
    start = 0
    while start < len(best):
        end = start
        while end + 1 < len(best) and best[end + 1] == best[start]:
            end += 1
        klass = int(best[start])
        character = alphabet.characters[klass]
        if klass != 0 and character.isalnum():
            peak = start + int(columns[start : end + 1, klass].argmax())
            characters.append(character)
            rows.append(columns[peak])
        start = end + 1
    probabilities = np.stack(rows) if rows else np.zeros((0, columns.shape[1]), dtype=columns.dtype)
    return DecodedText("".join(characters), probabilities, alphabet)
