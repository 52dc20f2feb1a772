"""Face templates' facts, and open-set face decisions: accept a match, refuse a
stranger, or ask for a second factor.

A 1:N search always finds a nearest template; whether it is the person depends on a
distance threshold calibrated so that two *different* people fall under it with a known
false-match rate (FMR). Searching a gallery of N people multiplies the chances of a
stranger matching someone: the false-positive identification rate is
``FPIR = 1 - (1 - FMR)^N ~ N x FMR``. Above the tenant's limit, a face alone must not
open a door (SECURITY.md 30), so the decision becomes "second factor required".

Pure functions: no I/O, no clock, no NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "FACE_CONSENT_PURPOSE",
    "FaceDecision",
    "FaceTemplate",
    "OpenSetPolicy",
    "Outcome",
    "decide",
    "expected_fpir",
    "face_only_limit",
    "threshold_for_fmr",
    "verification_errors",
]

FACE_CONSENT_PURPOSE = "biometric_face"
"""The consent purpose that enrolment requires (SECURITY.md 26)."""


class Outcome(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    SECOND_FACTOR = "second_factor_required"


@dataclass(frozen=True)
class FaceTemplate:
    """A stored face template's facts; the protected vector itself (rotated by the
    tenant's template key of ``key_generation``, then sealed) is never part of it.
    ``photo_id`` names the kept enrolment photo, if the tenant keeps them."""

    tenant_id: str
    id: str
    person_id: str
    model: str
    key_generation: int
    quality: float
    face_width: int
    photo_id: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class OpenSetPolicy:
    """A tenant's face-matching settings.

    ``threshold`` is the largest distance accepted as the same person, calibrated for
    ``target_fmr``; ``max_fpir`` is the highest false-positive identification rate at
    which a face alone may decide.
    """

    threshold: float
    target_fmr: float
    max_fpir: float

    def __post_init__(self) -> None:
        if not self.threshold > 0:
            raise ValueError("threshold must be positive")
        if not 0 < self.target_fmr < 1:
            raise ValueError("target_fmr must be between 0 and 1")
        if not 0 < self.max_fpir < 1:
            raise ValueError("max_fpir must be between 0 and 1")


@dataclass(frozen=True)
class FaceDecision:
    outcome: Outcome
    distance: float | None
    threshold: float
    gallery_size: int
    fpir: float
    reason: str


def expected_fpir(gallery_size: int, fmr: float) -> float:
    """Chance that a stranger falls under the threshold for at least one of N people."""
    if gallery_size <= 0:
        return 0.0
    return -math.expm1(gallery_size * math.log1p(-fmr))


def face_only_limit(policy: OpenSetPolicy) -> int:
    """The largest gallery (people) in which a face alone may still decide."""
    return max(0, math.floor(math.log1p(-policy.max_fpir) / math.log1p(-policy.target_fmr)))


def decide(
    best_distance: float | None, *, gallery_size: int, policy: OpenSetPolicy
) -> FaceDecision:
    """The decision for the nearest template's distance in a gallery of ``gallery_size``."""
    fpir = expected_fpir(gallery_size, policy.target_fmr)

    def result(outcome: Outcome, reason: str) -> FaceDecision:
        return FaceDecision(outcome, best_distance, policy.threshold, gallery_size, fpir, reason)

    if best_distance is None or gallery_size == 0:
        return result(Outcome.NO_MATCH, "the gallery is empty")
    if best_distance > policy.threshold:
        return result(Outcome.NO_MATCH, "no enrolled face is close enough")
    if fpir > policy.max_fpir:
        return result(
            Outcome.SECOND_FACTOR,
            f"gallery of {gallery_size} at FMR {policy.target_fmr:g} gives FPIR {fpir:.2g}, "
            f"above the limit {policy.max_fpir:g}: confirm with a card, PIN or QR code",
        )
    return result(Outcome.MATCH, "within the threshold")


def threshold_for_fmr(impostor_distances: Sequence[float], fmr: float) -> float:
    """The largest threshold at which at most ``fmr`` of the impostor pairs match.

    With n impostor pairs the smallest FMR that can be told apart is 1/n: asking for
    less returns a threshold just under the closest impostor pair (the data cannot say
    more), so callers should report n beside the figure.
    """
    if not impostor_distances:
        raise ValueError("no impostor distances")
    ordered = sorted(impostor_distances)
    allowed = math.floor(fmr * len(ordered))  # impostor pairs allowed under the threshold
    if allowed >= len(ordered):
        return ordered[-1]
    return math.nextafter(ordered[allowed], -math.inf)


def verification_errors(
    genuine: Sequence[float], impostor: Sequence[float], threshold: float
) -> tuple[float, float]:
    """(false non-match rate, false match rate) at ``threshold`` (match: distance <= it)."""
    fnmr = sum(d > threshold for d in genuine) / len(genuine) if genuine else 0.0
    fmr = sum(d <= threshold for d in impostor) / len(impostor) if impostor else 0.0
    return fnmr, fmr
