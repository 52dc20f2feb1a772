"""The labelled frames `gatepost bench plates` reads: photo folders with a
``manifest.csv`` (``file``, ``plate``, optionally ``region``), the repository's real
Latin frames, and the synthetic Chinese and Latin sets; every frame fitted into
1280x720 (:func:`fit_frame`). Loading only: no reading, no timing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from rich.console import Console

from gatepost.domain.plates import (
    DEFAULT_GRAMMARS,
    PlateGrammar,
    PlateRegion,
    grammars_for,
    normalise_plate,
)
from gatepost.errors import ValidationFailed
from gatepost.vision.images import RgbImage, decode_rgb

__all__ = [
    "BUILT_IN_SETS",
    "FRAME_BOX",
    "LATIN_PHOTOS",
    "Frame",
    "PlateSet",
    "fit_frame",
    "labelled_folder",
    "photos",
    "synthetic_cn",
    "synthetic_latin",
]

Grammars = tuple[PlateGrammar, ...]
BUILT_IN_SETS = ("cn", "br", "latin-photos", "synthetic-cn", "synthetic-latin")
FRAME_BOX = (1280, 720)  # (width, height) of a landscape frame; portrait is turned
_MAX_BYTES, _MAX_PIXELS = 64 << 20, 50_000_000
# Real Latin-plate frames kept in the repository (bench/data/plates/latin/SOURCES.md).
LATIN_PHOTOS = Path(__file__).resolve().parents[3] / "bench" / "data" / "plates" / "latin"


class Frame(NamedTuple):
    source: str
    label: str
    image: RgbImage
    grammars: Grammars


@dataclass(frozen=True)
class PlateSet:
    name: str
    frames: list[Frame]
    dev: bool = False


def fit_frame(image: RgbImage) -> RgbImage:
    """The frame fitted into 1280x720 (portrait: 720x1280), aspect kept, never upscaled."""
    height, width = image.shape[:2]
    box_w, box_h = FRAME_BOX if width >= height else FRAME_BOX[::-1]
    scale = min(box_w / width, box_h / height)
    if scale >= 1.0:
        return image
    size = (min(box_w, max(1, round(width * scale))), min(box_h, max(1, round(height * scale))))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def _row_grammars(row: dict[str, str], line: int, default: Grammars) -> Grammars:
    value = (row.get("region") or "").strip().lower()
    if not value:
        return default
    try:
        return grammars_for([PlateRegion(value)])
    except ValueError:
        known = ", ".join(r.value for r in PlateRegion)
        raise ValueError(
            f"manifest.csv line {line}: region {value!r} is not one of {known}"
        ) from None


def _manifest(folder: Path, default: Grammars) -> list[tuple[str, str, Grammars]]:
    """(file, normalised label, grammars) per row; ValueError names the first problem."""
    path = folder / "manifest.csv"
    if not path.is_file():
        raise ValueError(f"{path} not found")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "plate"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path} has no column {', '.join(sorted(missing))}")
        rows = []
        for line, row in enumerate(reader, start=2):
            label = normalise_plate(row["plate"] or "")
            if not label or not (row["file"] or "").strip():
                raise ValueError(f"{path} line {line}: empty file or plate")
            rows.append((row["file"].strip(), label, _row_grammars(row, line, default)))
    return rows


def labelled_folder(value: str) -> tuple[str, Path]:
    """``NAME=FOLDER`` of ``--set`` as (name, folder), the manifest checked; ValueError
    says what is wrong."""
    name, equals, folder = value.partition("=")
    name = name.strip()
    if not equals or not name or not folder.strip():
        raise ValueError(f"{value!r} is not NAME=FOLDER")
    if name in BUILT_IN_SETS:
        raise ValueError(f"{name!r} names a built-in set; pick another (e.g. {name}-heldout)")
    path = Path(folder.strip()).expanduser()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder")
    _manifest(path, DEFAULT_GRAMMARS)
    return name, path


def photos(folder: Path, default: Grammars, console: Console) -> Iterator[Frame]:
    for file, label, grammars in _manifest(folder, default):
        try:
            data = (folder / file).read_bytes()
            image = decode_rgb(data, max_bytes=_MAX_BYTES, max_pixels=_MAX_PIXELS)
        except (OSError, ValidationFailed) as exc:
            console.print(f"[yellow]{folder / file}: skipped ({exc})[/]")
            continue
        yield Frame(file, label, fit_frame(image), grammars)


def synthetic_cn(count: int, seed: int) -> Iterator[Frame]:
    from gatepost.vision.synthetic_plates import PlateKind, synthetic_set

    kinds = [kind for kind in PlateKind if kind.chinese]
    grammars = grammars_for([PlateRegion.CN])
    for text, kind, frame in synthetic_set(kinds, count, seed):
        yield Frame(str(kind), text, fit_frame(np.ascontiguousarray(frame.image)), grammars)


def synthetic_latin(count: int, seed: int) -> Iterator[Frame]:
    from gatepost.vision.synthetic_latin import latin_set

    for text, code, frame in latin_set(count, seed):
        image = fit_frame(np.ascontiguousarray(frame.image))
        yield Frame(code, text, image, DEFAULT_GRAMMARS)
