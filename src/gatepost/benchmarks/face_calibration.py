"""Verification accuracy and thresholds from labelled face photos.

Input: a folder of photos and a ``manifest.csv`` with ``file`` and ``identity`` columns
(the layout of ``../shared/data/faces``; ``identity`` ``multiple`` rows are skipped), or
a folder with one sub-folder per identity. Every single-face photo is embedded with the
production engine; all pairs are compared. Reported: genuine and impostor distance
ranges, the empirical threshold for each target false-match rate *with the number of
impostor pairs behind it* (rates below 1/n cannot be measured, only extrapolated), a
normal fit of the impostor distances as that extrapolation, and the error rates at
the shipped thresholds of :mod:`gatepost.vision.calibration`.
"""

from __future__ import annotations

import csv
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gatepost.domain.faces import threshold_for_fmr, verification_errors
from gatepost.vision.calibration import threshold_for
from gatepost.vision.faces import FaceEngine, largest
from gatepost.vision.images import BadImage, decode_rgb

__all__ = ["Calibration", "RateRow", "calibrate", "labelled_photos"]

RATES = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class RateRow:
    fmr: float
    empirical: float | None  # None: fewer than 1/fmr impostor pairs
    normal_fit: float
    shipped: float
    fnmr_at_shipped: float
    fmr_at_shipped: float


@dataclass
class Calibration:
    model: str
    photos: int
    identities: int
    skipped: list[str] = field(default_factory=list)
    genuine: list[float] = field(default_factory=list)
    impostor: list[float] = field(default_factory=list)
    rows: list[RateRow] = field(default_factory=list)


def labelled_photos(folder: Path) -> list[tuple[Path, str]]:
    """(photo, identity) pairs from ``manifest.csv`` or from sub-folder names."""
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="") as handle:
            return [
                (folder / row["file"], row["identity"])
                for row in csv.DictReader(handle)
                if row.get("identity") and row["identity"] != "multiple"
            ]
    return [
        (photo, sub.name)
        for sub in sorted(p for p in folder.iterdir() if p.is_dir())
        for photo in sorted(sub.iterdir())
        if photo.suffix.lower() in _SUFFIXES
    ]


def calibrate(engine: FaceEngine, photos: Sequence[tuple[Path, str]]) -> Calibration:
    embedded: list[tuple[str, np.ndarray]] = []
    result = Calibration(model=engine.model, photos=0, identities=0)
    for path, identity in photos:
        try:
            image = decode_rgb(path.read_bytes(), max_bytes=64 << 20, max_pixels=100_000_000)
        except (BadImage, OSError) as exc:
            result.skipped.append(f"{path.name}: {exc}")
            continue
        face = largest(engine.detect(image))
        if face is None:
            result.skipped.append(f"{path.name}: no face found")
            continue
        (vector,) = engine.embed(image, [face])
        embedded.append((identity, vector))
    result.photos = len(embedded)
    result.identities = len({identity for identity, _ in embedded})
    for (a, va), (b, vb) in itertools.combinations(embedded, 2):
        distance = float(np.linalg.norm(va - vb))
        (result.genuine if a == b else result.impostor).append(distance)
    if len(result.impostor) >= 2:
        normal = statistics.NormalDist(
            statistics.mean(result.impostor), statistics.stdev(result.impostor)
        )
        for rate in RATES:
            shipped = threshold_for(engine.model, rate)
            fnmr, fmr = verification_errors(result.genuine, result.impostor, shipped)
            result.rows.append(
                RateRow(
                    fmr=rate,
                    empirical=threshold_for_fmr(result.impostor, rate)
                    if rate * len(result.impostor) >= 1
                    else None,
                    normal_fit=normal.inv_cdf(rate),
                    shipped=shipped,
                    fnmr_at_shipped=fnmr,
                    fmr_at_shipped=fmr,
                )
            )
    return result
