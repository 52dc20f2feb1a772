"""Plate matching: known vehicles despite misreads.

- :func:`plate_distance` is an edit distance in which swapping characters that cameras
  confuse (0/O/D/Q, 1/I/L/7, 8/B, 5/S, 2/Z, 6/G) costs less than a real difference, so
  ``京A88123`` read as ``京AB8123`` still finds its car while ``京A98123`` does not.
- :func:`best_matches` ranks known plates for a reading within a cost limit.

The crops of one plate vote in the reader (``vision.plate_reader``); a car waiting at
the barrier is logged once by the gate log (``services.plate_log``, in the database so
that it holds across processes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CONFUSABLE_COST",
    "PlateCandidate",
    "best_matches",
    "plate_distance",
]

CONFUSABLE_COST = 0.3
_GROUPS = ("0ODQ", "1IL7", "8B", "5S", "2Z", "6G")
_CONFUSABLE = {(a, b) for group in _GROUPS for a in group for b in group if a != b}


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return CONFUSABLE_COST if (a, b) in _CONFUSABLE else 1.0


def plate_distance(a: str, b: str) -> float:
    """Weighted Levenshtein distance: insert/delete 1, confusable swap 0.3, other swap 1."""
    if a == b:
        return 0.0
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [float(i)]
        for j, cb in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1.0,
                    current[j - 1] + 1.0,
                    previous[j - 1] + _substitution(ca, cb),
                )
            )
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class PlateCandidate:
    plate: str
    cost: float


def best_matches(
    reading: str, known: Iterable[str], *, max_cost: float = 0.6, limit: int = 3
) -> list[PlateCandidate]:
    """Known plates within ``max_cost`` of the reading, cheapest first.

    The default admits up to two confusable swaps and no real difference: one wrong,
    missing or extra character (cost 1) is another car.
    """
    # Each missing or extra character costs 1, so other lengths can be skipped unscored.
    scored = [
        PlateCandidate(p, plate_distance(reading, p))
        for p in known
        if abs(len(p) - len(reading)) <= max_cost
    ]
    close = sorted((c for c in scored if c.cost <= max_cost), key=lambda c: (c.cost, c.plate))
    return close[:limit]
