"""Distance thresholds per embedding model for a target false-match rate (FMR).

A tenant chooses a target FMR; the threshold comes from the model's calibration
table, interpolated on a log scale between its points. How the table for
``dlib-resnet-v1`` was obtained, and with how many pairs, is in docs/faces.md
(``gatepost faces calibrate`` recomputes thresholds from any labelled photo folder).
"""

from __future__ import annotations

import math

__all__ = ["CALIBRATIONS", "DLIB_RESNET", "FAKE_IDENTITY", "threshold_for"]

DLIB_RESNET = "dlib-resnet-v1"
"""The name templates of dlib's ResNet embedding carry (``gatepost.vision.dlib_faces``)."""

FAKE_IDENTITY = "fake-identity-v1"
"""The name templates of the fake engine carry (``gatepost.vision.fake_faces``): a unit
vector per identity string, so its distances are 0 (same) or about 1.4 (different)."""

CALIBRATIONS: dict[str, tuple[tuple[float, float], ...]] = {
    # (FMR, largest distance accepted as the same person), FMR descending.
    DLIB_RESNET: (
        (1e-2, 0.64),
        (1e-3, 0.60),
        (1e-4, 0.56),
        (1e-5, 0.53),
        (1e-6, 0.49),
    ),
    # Any threshold below ~1 separates the fake's identities; dlib's keep policies alike.
    FAKE_IDENTITY: (
        (1e-2, 0.64),
        (1e-3, 0.60),
        (1e-4, 0.56),
        (1e-5, 0.53),
        (1e-6, 0.49),
    ),
}


def threshold_for(model: str, fmr: float) -> float:
    """The distance threshold of ``model`` for a target false-match rate ``fmr``."""
    table = CALIBRATIONS.get(model)
    if table is None:
        raise ValueError(f"no calibration for face model {model!r}")
    if not 0 < fmr < 1:
        raise ValueError("the target false-match rate must be between 0 and 1")
    if fmr >= table[0][0]:
        return table[0][1]
    if fmr <= table[-1][0]:
        return table[-1][1]
    for (fmr_hi, t_hi), (fmr_lo, t_lo) in zip(table, table[1:], strict=False):
        if fmr_lo <= fmr <= fmr_hi:
            span = math.log10(fmr_hi) - math.log10(fmr_lo)
            weight = (math.log10(fmr) - math.log10(fmr_lo)) / span
            return t_lo + weight * (t_hi - t_lo)
    raise AssertionError("unreachable")  # pragma: no cover
