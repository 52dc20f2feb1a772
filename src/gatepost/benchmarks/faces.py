"""`gatepost bench faces`: the cost of identifying a face on one core, against a baseline.

Owns the face benchmark: loading the labelled photos, the pipelines it compares, the
timing, the verification figures and the tables it prints. Steps:

1. Every single-person photo of ``--data`` (``manifest.csv``: ``file``, ``identity``;
   group photos, identity ``multiple``, are skipped) is decoded with
   :func:`gatepost.vision.images.decode_rgb` and letterboxed into a 640x480 frame, the
   size a door camera sends.
2. **identify one frame**, per pipeline, ``--repeat`` times over all frames (pipelines
   interleaved frame by frame, so they share the same background load):

   * ``face_recognition`` (baseline): ``face_locations(frame)`` then
     ``face_encodings(frame, locations)``, both with their defaults (HOG upsampled
     once, 5-point landmarks, dlib's descriptor, one jitter);
   * ``gatepost (onnx)``: :class:`~gatepost.vision.dlib_faces.DlibFaceEngine` detect
     (HOG at the frame's size, landmarks, chip, quality) and embed of the largest face
     with dlib's network on onnxruntime;
   * ``gatepost (dlib)``: the same engine with dlib's own descriptor (the reference).

   Everything runs on one core: onnxruntime with one thread, OpenCV with one thread,
   dlib single-threaded. Wall time and the calling thread's CPU time are recorded per
   frame; the process CPU time is compared with the thread's to show no helper thread
   did work on the side.
3. **verification** on those frames: every pair of photos, genuine when the
   identities match, impostor otherwise; distances of the largest faces, errors at the
   threshold, and the largest difference of a pair's distance from the baseline's.
4. **enrolment throughput**: detect, quality gates and embed of the full-size photos
   on ``--workers`` threads sharing one engine. Target (issue): at least 8 photos/s on
   2 cores.
"""

from __future__ import annotations

import csv
import itertools
import os
import platform
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from gatepost.vision.dlib_faces import DEFAULT_THRESHOLD, DlibFaceEngine
from gatepost.vision.faces import Embedding, QualityGates, largest
from gatepost.vision.images import BadImage, RgbImage, decode_rgb

__all__ = ["TARGET_ENROL_PER_S", "BenchSetupError", "FacesOptions", "FacesReport", "run"]

TARGET_ENROL_PER_S = 8.0
FRAME = (640, 480)
_MAX_BYTES = 40 * 1024 * 1024
_MAX_PIXELS = 80_000_000

Pipeline = Callable[[RgbImage], Embedding | None]


class BenchSetupError(Exception):
    """The photo set or the baseline library is missing; the message says what to do."""


@dataclass(frozen=True)
class FacesOptions:
    """What to run; the CLI (``gatepost bench faces``) fills this in."""

    data: Path = Path("../shared/data/faces")
    repeat: int = 5
    dlib_descriptor: bool = True
    workers: int = 2
    threshold: float | None = None  # None: the model's DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if self.repeat < 1 or self.workers < 1:
            raise ValueError("repeat and workers must be at least 1")
        if self.threshold is not None and not 0 <= self.threshold <= 2:
            raise ValueError("the threshold must be between 0 and 2")


@dataclass(frozen=True)
class Photo:
    name: str
    identity: str
    image: RgbImage
    frame: RgbImage
    decode_ms: float


@dataclass
class Timings:
    """One pipeline's per-frame measurements and the embedding of each frame."""

    name: str
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    process_cpu_ms: float = 0.0
    vectors: dict[str, Embedding | None] = field(default_factory=dict)

    def found(self) -> int:
        return sum(vector is not None for vector in self.vectors.values())


@dataclass(frozen=True)
class FacesReport:
    timings: list[Timings]
    enrol_per_s: float

    @property
    def failed(self) -> bool:
        return self.enrol_per_s < TARGET_ENROL_PER_S


def load_photos(data: Path) -> list[Photo]:
    """The single-person photos listed in ``data/manifest.csv``, decoded and framed."""
    manifest = data / "manifest.csv"
    if not manifest.is_file():
        raise BenchSetupError(
            f"no photo set at {data} (expected {manifest}); pass --data DIR "
            "with a manifest.csv (columns file, identity) and the photos it lists"
        )
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("identity") != "multiple"]
    photos = []
    for row in rows:
        path = data / row["file"]
        try:
            started = time.perf_counter()
            image = decode_rgb(path.read_bytes(), max_bytes=_MAX_BYTES, max_pixels=_MAX_PIXELS)
            decode_ms = (time.perf_counter() - started) * 1000
        except (OSError, BadImage) as exc:
            raise BenchSetupError(f"{path}: {exc}") from exc
        frame = letterbox(image, *FRAME)
        photos.append(Photo(row["file"], row["identity"], image, frame, decode_ms))
    if len({photo.identity for photo in photos}) < 2:
        raise BenchSetupError(f"{manifest} needs single-person photos of two people or more")
    return photos


def letterbox(image: RgbImage, width: int, height: int) -> RgbImage:
    """The image scaled to fit ``width`` x ``height``, centred on black."""
    rows, cols = image.shape[:2]
    scale = min(width / cols, height / rows)
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, size, interpolation=method)
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = scaled
    return frame


def _baseline() -> Pipeline:
    try:
        import face_recognition
    except ImportError as exc:
        raise BenchSetupError(
            "the baseline needs the face_recognition package: "
            "pip install --no-deps face_recognition==1.3.0 (its dlib is dlib-bin's)"
        ) from exc
    library: Any = face_recognition

    def identify(frame: RgbImage) -> Embedding | None:
        locations = library.face_locations(frame)
        encodings = library.face_encodings(frame, locations)
        if not encodings:
            return None
        areas = [(bottom - top) * (right - left) for top, right, bottom, left in locations]
        return np.asarray(encodings[int(np.argmax(areas))], dtype=np.float32)

    return identify


def _gatepost(engine: DlibFaceEngine) -> Pipeline:
    def identify(frame: RgbImage) -> Embedding | None:
        face = largest(engine.detect(frame))
        return None if face is None else engine.embed(frame, [face])[0]

    return identify


def _measure(pipelines: dict[str, Pipeline], photos: Sequence[Photo], repeat: int) -> list[Timings]:
    timings = {name: Timings(name) for name in pipelines}
    for identify in pipelines.values():
        identify(photos[0].frame)  # warm-up: first-call allocations
    names = list(pipelines)
    for round_ in range(repeat):
        for index, photo in enumerate(photos):
            shift = (round_ + index) % len(names)  # alternate who goes first
            for name in names[shift:] + names[:shift]:
                process_started = time.process_time()
                cpu_started, started = time.thread_time(), time.perf_counter()
                vector = pipelines[name](photo.frame)
                wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
                result = timings[name]
                result.process_cpu_ms += (time.process_time() - process_started) * 1000
                result.wall_ms.append(wall * 1000)
                result.cpu_ms.append(cpu * 1000)
                result.vectors.setdefault(photo.name, vector)
    return list(timings.values())


def _enrol_rate(
    engine: DlibFaceEngine, photos: Sequence[Photo], workers: int, repeat: int
) -> float:
    gates = QualityGates()

    def enrol(photo: Photo) -> None:
        face = largest(engine.detect(photo.image))
        if face is not None:
            gates.problems(face.quality)
            engine.embed(photo.image, [face])

    work = list(photos) * repeat
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(enrol, photos[:workers]))  # warm-up
        started = time.perf_counter()
        list(pool.map(enrol, work))
        return len(work) / (time.perf_counter() - started)


def run(options: FacesOptions, console: Console | None = None) -> FacesReport:
    """Run the benchmark and print its tables."""
    console = console or Console(highlight=False)
    cv2.setNumThreads(1)
    photos = load_photos(options.data)
    _print_environment(console, options, len(photos))
    engine = DlibFaceEngine()
    pipelines = {"face_recognition": _baseline(), "gatepost onnx": _gatepost(engine)}
    if options.dlib_descriptor:
        pipelines["gatepost dlib"] = _gatepost(DlibFaceEngine(descriptor="dlib"))
    with console.status("identifying frames"):
        timings = _measure(pipelines, photos, options.repeat)
    console.print(_timing_table(timings, len(photos)))
    limit = DEFAULT_THRESHOLD if options.threshold is None else options.threshold
    console.print(_verification_table(timings, photos, limit))
    if options.dlib_descriptor:
        console.print(_agreement(timings[1], timings[2]))
    with console.status("enrolling"):
        rate = _enrol_rate(engine, photos, options.workers, max(1, options.repeat // 2))
    report = FacesReport(timings=timings, enrol_per_s=rate)
    console.print(_enrolment_table(report, photos, options.workers))
    return report


def _print_environment(console: Console, options: FacesOptions, count: int) -> None:
    import dlib
    import onnxruntime

    try:
        load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load n/a"
    console.print(
        f"[bold]gatepost bench faces[/]  cpus={os.cpu_count()}  "
        f"python={platform.python_version()}  dlib={dlib.__version__}  "
        f"onnxruntime={onnxruntime.__version__}  opencv={cv2.__version__} "
        f"(threads {cv2.getNumThreads()})  {load}\n"
        f"{count} single-person photos from {options.data}, letterboxed to "
        f"{FRAME[0]}x{FRAME[1]}; {options.repeat} rounds"
    )


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _timing_table(timings: Sequence[Timings], frames: int) -> Table:
    table = Table(
        "pipeline",
        "faces",
        "wall p50",
        "p90",
        "p99",
        "cpu p50",
        "p90",
        "speed-up",
        "proc/thr cpu",
        title=f"identify one {FRAME[0]}x{FRAME[1]} frame on one core, ms per frame "
        "(first row: baseline)",
    )
    base = _percentile(timings[0].wall_ms, 50)
    for result in timings:
        wall = [_percentile(result.wall_ms, q) for q in (50, 90, 99)]
        cpu = [_percentile(result.cpu_ms, q) for q in (50, 90)]
        ratio = f"{base / wall[0]:.1f}x"
        table.add_row(
            result.name,
            f"{result.found()}/{frames}",
            *(f"{value:.1f}" for value in wall + cpu),
            ratio,
            f"{result.process_cpu_ms / max(sum(result.cpu_ms), 1e-9):.2f}",
        )
    return table


def _distances(
    vectors: dict[str, Embedding | None], pairs: Sequence[tuple[Photo, Photo]]
) -> npt.NDArray[np.float64]:
    """Distance per pair; NaN where either photo had no face."""
    values = []
    for a, b in pairs:
        va, vb = vectors.get(a.name), vectors.get(b.name)
        values.append(np.nan if va is None or vb is None else float(np.linalg.norm(va - vb)))
    return np.asarray(values, dtype=np.float64)


def _span(values: npt.NDArray[np.float64]) -> str:
    kept = values[~np.isnan(values)]
    return "-" if kept.size == 0 else f"{kept.min():.3f} - {kept.max():.3f}"


def _verification_table(timings: Sequence[Timings], photos: Sequence[Photo], limit: float) -> Table:
    pairs = list(itertools.combinations(photos, 2))
    genuine = np.array([a.identity == b.identity for a, b in pairs])
    table = Table(
        "pipeline",
        "genuine",
        "impostor",
        "false non-match",
        "false match",
        "max |d - d baseline|",
        title=f"verification on the same frames: {int(genuine.sum())} genuine and "
        f"{int((~genuine).sum())} impostor pairs, threshold {limit}",
    )
    base = _distances(timings[0].vectors, pairs)
    for result in timings:
        distances = _distances(result.vectors, pairs)
        measured = ~np.isnan(distances)
        false_non = int(np.sum(genuine & measured & (distances >= limit)))
        false_match = int(np.sum(~genuine & measured & (distances < limit)))
        both = measured & ~np.isnan(base)
        delta = float(np.abs(distances[both] - base[both]).max()) if both.any() else np.nan
        table.add_row(
            result.name,
            _span(distances[genuine]),
            _span(distances[~genuine]),
            f"{false_non}/{int(np.sum(genuine & measured))}",
            f"{false_match}/{int(np.sum(~genuine & measured))}",
            "-" if result is timings[0] else f"{delta:.2e}",
        )
    return table


def _agreement(onnx: Timings, reference: Timings) -> str:
    """How far the onnx descriptors are from dlib's on the same chips."""
    gaps = [
        float(np.linalg.norm(vector - other))
        for name, vector in onnx.vectors.items()
        if vector is not None and (other := reference.vectors.get(name)) is not None
    ]
    worst = max(gaps, default=float("nan"))
    return (
        f"onnx vs dlib descriptor, same chips: max L2 difference {worst:.2e} over {len(gaps)} faces"
    )


def _enrolment_table(report: FacesReport, photos: Sequence[Photo], workers: int) -> Table:
    table = Table(
        "photos/s",
        "target",
        "result",
        "workers",
        "photo sizes",
        "decode p50 (ms, not included)",
        title="enrolment: detect + quality + embed of the full-size photos",
    )
    pixels = [photo.image.shape[0] * photo.image.shape[1] / 1e6 for photo in photos]
    table.add_row(
        f"{report.enrol_per_s:.1f}",
        f">= {TARGET_ENROL_PER_S:.0f}",
        "[red]FAIL[/]" if report.failed else "[green]PASS[/]",
        str(workers),
        f"{min(pixels):.1f} - {max(pixels):.1f} Mpx",
        f"{_percentile([photo.decode_ms for photo in photos], 50):.1f}",
    )
    return table
