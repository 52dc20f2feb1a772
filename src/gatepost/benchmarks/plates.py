"""`gatepost bench plates`: exact plate accuracy and latency per set, against full-frame OCR.

Sets: the labelled photos of ``../shared/data/plates/cn`` and ``/br`` (``manifest.csv``:
``file``, ``plate``) and a held-out synthetic set of every Chinese plate kind at
1280x720 (a seed the unit tests do not use). Each frame is read by:

1. baseline: RapidOCR over the whole frame (its default pipeline), the plate being
   the highest-scoring normalised line that fits one of the set's grammars;
2. gatepost's :class:`~gatepost.vision.plate_reader.RapidOcrPlateReader` with the same
   grammars.

Both run on one thread (onnxruntime and OpenCV). A frame counts when the first reading
equals the label exactly. Targets (issue 4): cn >= 95%, br >= 90%, synthetic >= 99%,
p50 <= 150 ms per 1280x720 frame.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from gatepost.domain.plates import (
    PlateGrammar,
    PlateRegion,
    grammars_for,
    match_grammar,
    normalise_plate,
)
from gatepost.vision.images import RgbImage, decode_rgb
from gatepost.vision.plate_reader import RapidOcrPlateReader

__all__ = ["PlatesOptions", "run"]

TARGETS = {"cn": 0.95, "br": 0.90, "synthetic-cn": 0.99}
_HD_PIXELS = 1280 * 720


@dataclass(frozen=True)
class PlatesOptions:
    data: Path = Path("../shared/data/plates")
    synthetic: int = 120
    seed: int = 9_999


@dataclass(frozen=True)
class SetResult:
    name: str
    method: str
    frames: int
    exact: int
    p50_ms: float
    p90_ms: float
    p50_hd_ms: float | None  # over frames of at most 1280x720 pixels (the target's size)

    @property
    def accuracy(self) -> float:
        return self.exact / self.frames if self.frames else 0.0


Frame = tuple[str, RgbImage]  # (label, pixels)


def _photos(folder: Path) -> Iterator[Frame]:
    with (folder / "manifest.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            data = (folder / row["file"]).read_bytes()
            yield row["plate"], decode_rgb(data, max_bytes=64 << 20, max_pixels=50_000_000)


def _synthetic(count: int, seed: int) -> Iterator[Frame]:
    from gatepost.vision.synthetic_plates import PlateKind, synthetic_set

    kinds = [kind for kind in PlateKind if kind.chinese]
    for text, _, frame in synthetic_set(kinds, count, seed):
        yield text, np.ascontiguousarray(frame.image)


def _baseline(engine: Any, grammars: Sequence[PlateGrammar]) -> Callable[[RgbImage], str]:
    def read(image: RgbImage) -> str:
        lines, _ = engine(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        best, best_score = "", -1.0
        for _, text, score in lines or []:
            plate = normalise_plate(str(text))
            if float(score) > best_score and match_grammar(plate, grammars) is not None:
                best, best_score = plate, float(score)
        return best

    return read


def _gatepost(
    reader: RapidOcrPlateReader, grammars: Sequence[PlateGrammar]
) -> Callable[[RgbImage], str]:
    def read(image: RgbImage) -> str:
        plates = reader.read(image, grammars=grammars)
        return plates[0].text if plates else ""

    return read


def _measure(
    name: str, method: str, frames: Sequence[Frame], read: Callable[[RgbImage], str]
) -> SetResult:
    times, hd_times, exact = [], [], 0
    for label, image in frames:
        started = time.perf_counter()
        got = read(image)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        if image.shape[0] * image.shape[1] <= _HD_PIXELS:
            hd_times.append(elapsed)
        exact += got == label
    times.sort()
    hd_times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    p50_hd = hd_times[len(hd_times) // 2] if hd_times else None
    return SetResult(name, method, len(frames), exact, times[len(times) // 2], p90, p50_hd)


def run(options: PlatesOptions, console: Console | None = None) -> list[SetResult]:
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=max(console.width, 120))
    cv2.setNumThreads(1)
    sets: list[tuple[str, PlateRegion, list[Frame]]] = []
    for name, region in (("cn", PlateRegion.CN), ("br", PlateRegion.BR)):
        folder = options.data / name
        if (folder / "manifest.csv").is_file():
            sets.append((name, region, list(_photos(folder))))
        else:
            console.print(f"[yellow]{folder}/manifest.csv not found: set {name} skipped[/]")
    if options.synthetic:
        frames = list(_synthetic(options.synthetic, options.seed))
        sets.append(("synthetic-cn", PlateRegion.CN, frames))
    console.print(
        f"gatepost bench plates  cpus={os.cpu_count()}  load {os.getloadavg()[0]:.2f}  "
        "one thread per read (onnxruntime, OpenCV)"
    )
    from rapidocr_onnxruntime import RapidOCR

    engine: Any = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    reader = RapidOcrPlateReader()  # each set's grammars are given per frame
    results = []
    with console.status("reading plates"):
        for name, region, frames in sets:
            grammars = grammars_for([region])
            results.append(
                _measure(name, "full-frame RapidOCR", frames, _baseline(engine, grammars))
            )
            results.append(_measure(name, "gatepost", frames, _gatepost(reader, grammars)))
    table = Table(title="Exact full-plate reads and time per frame (first row per set: baseline)")
    columns = ("set", "method", "exact", "accuracy", "target", "p50 ms", "p90 ms", "speed-up")
    for column in (*columns, "p50 ms <=1280x720"):
        table.add_column(column, justify="left" if column in ("set", "method") else "right")
    for base, ours in zip(results[::2], results[1::2], strict=True):
        for r in (base, ours):
            target = TARGETS.get(r.name)
            verdict = (
                ""
                if r is base or target is None
                else ("[green]PASS[/]" if r.accuracy >= target else "[red]FAIL[/]")
            )
            table.add_row(
                r.name,
                r.method,
                f"{r.exact}/{r.frames}",
                f"{r.accuracy:.1%}",
                f"{target:.0%} {verdict}" if target and r is ours else "",
                f"{r.p50_ms:.0f}",
                f"{r.p90_ms:.0f}",
                f"{base.p50_ms / r.p50_ms:.1f}x" if r is ours and r.p50_ms else "1.0x",
                "-" if r.p50_hd_ms is None else f"{r.p50_hd_ms:.0f}",
            )
    console.print(table)
    console.print(
        "latency target: p50 <= 150 ms per 1280x720 frame on one core (issue 4); the last"
        " column counts only frames of at most 1280x720 pixels"
    )
    return results
