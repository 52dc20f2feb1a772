"""`gatepost bench search`: 1:N face search at gallery scale, against exact NumPy search.

The system under test is the production :class:`gatepost.matching.faces.FaceGallery`
(approximate FAISS index, exact re-ranking, one best template per person); the
baseline is exact search over the same float32 matrix with NumPy (``|x|^2 - 2 x.q``
then ``argmin``), in the same process, one query at a time on one core.

Two kinds of gallery, both 128-d like dlib's descriptors:

- ``clustered`` (real-embedding-like): people are points around a shared mean vector,
  each template is its person's point plus noise, scaled so that same-person distances
  (~0.35) and different-person distances (~0.85) match what dlib's model gives on
  ``../shared/data/faces``; probes are fresh noisy samples of enrolled people;
- ``uniform``: unit vectors uniform on the sphere (no structure at all: the hardest
  case for an approximate index); probes are gallery vectors plus small noise.

Reported per gallery: build time, memory (resident set growth), recall@1 (the
gallery's best person equals exact search's best person), single-query p50/p99 of
both, and the speed-up.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from gatepost.matching.ann import IvfIndex
from gatepost.matching.faces import FaceGallery, GalleryEntry

__all__ = ["DATASETS", "SearchOptions", "SearchResult", "make_gallery", "run"]

DATASETS = ("clustered", "uniform")
DIM = 128
_BATCH = 250_000  # templates per add: bounded temporaries at 10M
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SearchOptions:
    size: int = 1_000_000
    per_person: int = 2
    queries: int = 1000
    datasets: tuple[str, ...] = DATASETS
    probes: int = 64
    seed: int = 7


@dataclass(frozen=True)
class SearchResult:
    dataset: str
    size: int
    build_s: float
    memory_mb: float
    recall: float
    exact_p50_ms: float
    exact_p99_ms: float
    gallery_p50_ms: float
    gallery_p99_ms: float

    @property
    def speedup(self) -> float:
        return self.exact_p50_ms / self.gallery_p50_ms if self.gallery_p50_ms else 0.0


def make_gallery(
    dataset: str, size: int, per_person: int, queries: int, seed: int
) -> tuple[Matrix, npt.NDArray[np.int64], Matrix]:
    """(templates, person of each template, probes) for ``dataset``."""
    rng = np.random.default_rng(seed)
    people = max(1, size // per_person)
    person = np.arange(size, dtype=np.int64) // per_person % people
    if dataset == "uniform":
        vectors = rng.standard_normal((size, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        picked = rng.choice(size, queries, replace=False)
        probes = vectors[picked] + rng.normal(0, 0.02, (queries, DIM)).astype(np.float32)
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        return vectors, person, probes.astype(np.float32)
    # Clustered: shared mean (dlib descriptors are not centred), people spread so that
    # different people are ~0.85 apart, samples ~0.35 apart (both per dimension).
    mean = rng.normal(0, 0.08, DIM).astype(np.float32)
    centres = mean + rng.normal(0, 0.85 / np.sqrt(2 * DIM), (people, DIM)).astype(np.float32)
    noise = 0.35 / np.sqrt(2 * DIM)
    vectors = np.empty((size, DIM), dtype=np.float32)
    for start in range(0, size, 200_000):  # bounded temporaries
        stop = min(size, start + 200_000)
        vectors[start:stop] = centres[person[start:stop]] + rng.normal(
            0, noise, (stop - start, DIM)
        ).astype(np.float32)
    who = rng.choice(people, queries, replace=False)
    probes = centres[who] + rng.normal(0, noise, (queries, DIM)).astype(np.float32)
    return vectors, person, probes.astype(np.float32)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _exact(vectors: Matrix, norms: Matrix, probe: Matrix) -> int:
    return int(np.argmin(norms - 2.0 * (vectors @ probe)))


def measure(dataset: str, options: SearchOptions, console: Console) -> SearchResult:
    with console.status(f"{dataset}: generating {options.size:,} templates"):
        vectors, person, probes = make_gallery(
            dataset, options.size, options.per_person, options.queries, options.seed
        )
    norms = np.einsum("ij,ij->i", vectors, vectors)
    before = _rss_mb()
    started = time.perf_counter()
    with console.status(f"{dataset}: building the gallery (FAISS IVF, exact re-rank)"):
        gallery = FaceGallery(
            DIM, approximate_from=1, index_factory=lambda d: IvfIndex(d, probes=options.probes)
        )
        gallery.reserve(len(vectors))
        names = [str(p) for p in range(int(person.max()) + 1)]  # one string per person
        for start in range(0, len(vectors), _BATCH):
            stop = min(len(vectors), start + _BATCH)
            gallery.add(
                GalleryEntry(f"{i:x}", names[person[i]], vectors[i]) for i in range(start, stop)
            )
    build_s = time.perf_counter() - started
    memory = _rss_mb() - before
    _one_core()
    exact_ms, gallery_ms, agree = [], [], 0
    for probe in probes:
        t0 = time.perf_counter()
        truth = _exact(vectors, norms, probe)
        t1 = time.perf_counter()
        found = gallery.search(probe, k=1)
        t2 = time.perf_counter()
        exact_ms.append((t1 - t0) * 1000)
        gallery_ms.append((t2 - t1) * 1000)
        agree += bool(found) and found[0].person_id == str(int(person[truth]))
    e50, e99 = _percentiles(exact_ms)
    g50, g99 = _percentiles(gallery_ms)
    return SearchResult(
        dataset, len(vectors), build_s, memory, agree / len(probes), e50, e99, g50, g99
    )


def _one_core() -> None:
    """Searches run on one core: FAISS's and NumPy's BLAS thread pools down to one."""
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(1)
    threadpool_limits(1)


def run(options: SearchOptions, console: Console | None = None) -> list[SearchResult]:
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=max(console.width, 140))
    console.print(
        f"gatepost bench search  cpus={os.cpu_count()}  load {os.getloadavg()[0]:.2f}  "
        f"{options.size:,} templates x {DIM}-d, {options.per_person} per person, "
        f"{options.queries} queries, FAISS IVF nprobe={options.probes}; one core for queries"
    )
    results = [measure(dataset, options, console) for dataset in options.datasets]
    table = Table(title="1:N search, one query at a time on one core (baseline: exact NumPy)")
    for column in (
        "gallery",
        "templates",
        "build s",
        "memory MB",
        "recall@1",
        "exact p50/p99 ms",
        "gatepost p50/p99 ms",
        "speed-up",
    ):
        table.add_column(column, justify="right" if column != "gallery" else "left")
    for r in results:
        table.add_row(
            r.dataset,
            f"{r.size:,}",
            f"{r.build_s:.1f}",
            f"{r.memory_mb:,.0f}",
            f"{r.recall:.4f}",
            f"{r.exact_p50_ms:.2f} / {r.exact_p99_ms:.2f}",
            f"{r.gallery_p50_ms:.3f} / {r.gallery_p99_ms:.3f}",
            f"{r.speedup:.0f}x",
        )
    console.print(table)
    console.print(
        "targets: recall@1 >= 0.99, p99 <= 2 ms, >= 20x faster than exact (issue 3); "
        "memory = growth of the process's peak resident set while building"
    )
    return results
