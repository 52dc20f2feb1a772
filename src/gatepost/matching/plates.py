"""Plate matching: known vehicles despite misreads, votes over frames, repeat reads.

- :func:`plate_distance` is an edit distance in which swapping characters that cameras
  confuse (0/O/D/Q, 1/I/L/7, 8/B, 5/S, 2/Z, 6/G) costs less than a real difference, so
  ``京A88123`` read as ``京AB8123`` still finds its car while ``京A98123`` does not.
- :func:`best_matches` ranks known plates for a reading within a cost limit.
- :func:`vote` combines the readings of one car over several frames: position by
  position, weighted by confidence, among readings of the most common length.
- :class:`RepeatFilter` tells whether a reading repeats one already seen on the same
  lane within a time window (a car idling at the barrier is one arrival, not twenty).

Time is always passed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "CONFUSABLE_COST",
    "PlateCandidate",
    "RepeatFilter",
    "best_matches",
    "plate_distance",
    "vote",
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
    scored = [PlateCandidate(p, plate_distance(reading, p)) for p in known]
    close = sorted((c for c in scored if c.cost <= max_cost), key=lambda c: (c.cost, c.plate))
    return close[:limit]


def vote(readings: Sequence[tuple[str, float]]) -> tuple[str, float] | None:
    """One text from several frames' (text, confidence) readings, and its mean confidence.

    Only readings of the most common length vote (ties: the higher total confidence);
    each position takes the character with the highest summed confidence.
    """
    usable = [(text, conf) for text, conf in readings if text and conf > 0]
    if not usable:
        return None
    weight_by_length: dict[int, float] = defaultdict(float)
    count_by_length = Counter(len(text) for text, _ in usable)
    for text, conf in usable:
        weight_by_length[len(text)] += conf
    length = max(count_by_length, key=lambda n: (count_by_length[n], weight_by_length[n]))
    voters = [(text, conf) for text, conf in usable if len(text) == length]
    chars = []
    for position in range(length):
        tally: dict[str, float] = defaultdict(float)
        for text, conf in voters:
            tally[text[position]] += conf
        chars.append(max(tally, key=lambda ch: (tally[ch], ch)))
    return "".join(chars), sum(conf for _, conf in voters) / len(voters)


@dataclass
class RepeatFilter:
    """Remembers recent plates per lane; a plate within ``max_cost`` of one seen on the
    same lane less than ``window`` ago is a repeat."""

    window: timedelta = timedelta(seconds=60)
    max_cost: float = 0.6
    _recent: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)

    def is_repeat(self, lane: str, plate: str, at: datetime) -> bool:
        """True if this reading repeats a recent one on ``lane``; records it either way."""
        since = at - self.window
        recent = [(p, t) for p, t in self._recent.get(lane, []) if t >= since]
        repeat = any(plate_distance(plate, p) <= self.max_cost for p, _ in recent)
        recent.append((plate, at))
        self._recent[lane] = recent
        return repeat
