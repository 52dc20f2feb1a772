"""Face galleries: the protected templates of one tenant (or one site), searchable 1:N.

A :class:`FaceGallery` keeps its templates in one float32 matrix and answers nearest-
neighbour queries by Euclidean distance. Small galleries are searched exactly; from
``approximate_from`` templates on, an approximate index (see
:mod:`gatepost.matching.ann`) answers instead and the exact matrix only re-ranks its
short list, so reported distances are always exact.

Galleries are safe under concurrent use: searches share a read lock and run at the
same time; adds and removals take the write lock. Adding a template id that is
already present replaces it, and removing an unknown id does nothing, so replaying a
change (e.g. after reloading from the database) is harmless.

:class:`FaceGalleries` holds every gallery of the process, keyed by tenant and site
(``None``: people enrolled for every site of the tenant), with the tenant's data
version the galleries were built from, so a service can tell when another process
changed the templates and reload.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gatepost.matching.ann import ApproximateIndex, default_index

__all__ = ["Candidate", "FaceGalleries", "FaceGallery", "GalleryEntry"]

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class GalleryEntry:
    template_id: str
    person_id: str
    vector: npt.NDArray[np.float32]


@dataclass(frozen=True)
class Candidate:
    person_id: str
    template_id: str
    distance: float


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting_writers = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class FaceGallery:
    """One gallery's templates, searchable exactly or approximately (see module doc)."""

    def __init__(
        self,
        dim: int,
        *,
        approximate_from: int = 50_000,
        index_factory: Callable[[int], ApproximateIndex] = default_index,
    ) -> None:
        self.dim = dim
        self._approximate_from = approximate_from
        self._index_factory = index_factory
        self._lock = _ReadWriteLock()
        self._vectors: Matrix = np.zeros((0, dim), dtype=np.float32)
        self._norms: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._template_ids: list[str] = []
        self._person_of: list[str] = []
        self._row_of: dict[str, int] = {}
        self._persons: dict[str, int] = {}  # person -> number of templates
        self._count = 0
        self._index: ApproximateIndex | None = None
        self._expected = 0

    # -- reading -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def person_count(self) -> int:
        """Enrolled people: the N of the open-set false-positive identification rate."""
        return len(self._persons)

    @property
    def approximate(self) -> bool:
        return self._index is not None

    def search(self, probe: npt.ArrayLike, *, k: int = 5) -> list[Candidate]:
        """The nearest ``k`` people (best template of each), closest first."""
        query = np.asarray(probe, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"expected a {self.dim}-d probe, got {query.shape[0]}")
        with self._lock.reading():
            if not self._row_of:
                return []
            rows = self._short_list(query, k)
            return self._by_person(query, rows, k)

    def _short_list(self, query: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
        """Row numbers to rank exactly: all live rows, or the approximate index's pick."""
        if self._index is not None:
            # Several templates per person: ask for more rows than people wanted.
            return self._index.search(query, max(4 * k, 32))
        live = self._vectors[: self._count]
        squared = self._norms[: self._count] - 2.0 * (live @ query)
        squared[self._dead_rows()] = np.inf
        take = min(len(squared), max(4 * k, 32))
        part = np.argpartition(squared, take - 1)[:take] if take < len(squared) else None
        rows = part if part is not None else np.arange(len(squared))
        return rows[np.isfinite(squared[rows])].astype(np.int64)

    def _dead_rows(self) -> npt.NDArray[np.bool_]:
        dead = np.ones(self._count, dtype=bool)
        dead[list(self._row_of.values())] = False
        return dead

    def _by_person(
        self, query: npt.NDArray[np.float32], rows: npt.NDArray[np.int64], k: int
    ) -> list[Candidate]:
        rows = np.asarray([r for r in rows if 0 <= r < self._count and self._live(int(r))])
        if rows.size == 0:
            return []
        distances = np.linalg.norm(self._vectors[rows] - query, axis=1)
        best: dict[str, Candidate] = {}
        ranked = sorted(zip(rows.tolist(), distances.tolist(), strict=True), key=lambda x: x[1])
        for row, distance in ranked:
            person = self._person_of[row]
            if person not in best:
                best[person] = Candidate(person, self._template_ids[row], float(distance))
                if len(best) == k:
                    break
        return list(best.values())

    def _live(self, row: int) -> bool:
        return self._row_of.get(self._template_ids[row]) == row

    # -- writing -----------------------------------------------------------------

    def add(self, entries: Iterable[GalleryEntry]) -> None:
        batch = list(entries)
        if not batch:
            return
        with self._lock.writing():
            for entry in batch:
                self._forget(entry.template_id)
            vectors = np.stack([np.asarray(e.vector, dtype=np.float32) for e in batch])
            if vectors.shape[1] != self.dim:
                raise ValueError(f"expected {self.dim}-d templates")
            self._grow(len(batch))
            start = self._count
            self._vectors[start : start + len(batch)] = vectors
            self._norms[start : start + len(batch)] = np.einsum("ij,ij->i", vectors, vectors)
            for offset, entry in enumerate(batch):
                row = start + offset
                self._template_ids.append(entry.template_id)
                self._person_of.append(entry.person_id)
                self._row_of[entry.template_id] = row
                self._persons[entry.person_id] = self._persons.get(entry.person_id, 0) + 1
            self._count += len(batch)
            if self._index is not None:
                self._index.add(vectors, np.arange(start, self._count, dtype=np.int64))
            elif len(self._row_of) >= self._approximate_from:
                self._build_index()

    def reserve(self, templates: int) -> None:
        """Make room for ``templates`` in all: a large load grows the matrix once, and an
        approximate index built on the first part is sized for the whole."""
        with self._lock.writing():
            self._expected = max(self._expected, templates)
            self._grow(max(0, templates - self._count))

    def remove(self, template_ids: Iterable[str]) -> None:
        with self._lock.writing():
            for template_id in template_ids:
                self._forget(template_id)
            if self._count > 1024 and len(self._row_of) < self._count // 2:
                self._compact()

    def remove_person(self, person_id: str) -> None:
        with self._lock.writing():
            for template_id in [
                t for t, r in self._row_of.items() if self._person_of[r] == person_id
            ]:
                self._forget(template_id)

    def _forget(self, template_id: str) -> None:
        row = self._row_of.pop(template_id, None)
        if row is None:
            return
        person = self._person_of[row]
        left = self._persons[person] - 1
        if left:
            self._persons[person] = left
        else:
            del self._persons[person]
        if self._index is not None:
            self._index.remove(np.asarray([row], dtype=np.int64))

    def _grow(self, extra: int) -> None:
        needed = self._count + extra
        if needed <= len(self._vectors):
            return
        capacity = max(needed, len(self._vectors) * 3 // 2, 64)
        vectors = np.zeros((capacity, self.dim), dtype=np.float32)
        vectors[: self._count] = self._vectors[: self._count]
        norms = np.zeros(capacity, dtype=np.float32)
        norms[: self._count] = self._norms[: self._count]
        self._vectors, self._norms = vectors, norms

    def _compact(self) -> None:
        live = sorted(self._row_of.items(), key=lambda item: item[1])
        rows = np.asarray([row for _, row in live], dtype=np.int64)
        self._vectors = np.ascontiguousarray(self._vectors[rows])
        self._norms = np.ascontiguousarray(self._norms[rows])
        self._person_of = [self._person_of[row] for row in rows.tolist()]
        self._template_ids = [tid for tid, _ in live]
        self._row_of = {tid: new for new, (tid, _) in enumerate(live)}
        self._count = len(live)
        if self._index is not None:
            self._build_index()

    def _build_index(self) -> None:
        index = self._index_factory(self.dim)
        live = np.asarray(sorted(self._row_of.values()), dtype=np.int64)
        index.train(self._vectors[live], size=max(len(live), self._expected))
        index.add(self._vectors[live], live)
        self._index = index


class FaceGalleries:
    """Every gallery of this process, by (tenant, site), with each tenant's version."""

    def __init__(self, dim: int, *, gallery: Callable[[int], FaceGallery] | None = None) -> None:
        self.dim = dim
        self._make = gallery or (lambda d: FaceGallery(d))
        self._lock = threading.Lock()
        self._galleries: dict[tuple[str, str | None], FaceGallery] = {}
        self._versions: dict[str, int] = {}

    def version(self, tenant_id: str) -> int | None:
        """The tenant data version the galleries reflect (None: never loaded)."""
        with self._lock:
            return self._versions.get(tenant_id)

    def gallery(self, tenant_id: str, site_id: str | None) -> FaceGallery:
        with self._lock:
            key = (tenant_id, site_id)
            found = self._galleries.get(key)
            if found is None:
                found = self._galleries[key] = self._make(self.dim)
            return found

    def find(self, tenant_id: str, site_id: str | None) -> FaceGallery | None:
        """The gallery if it exists (searches never create one)."""
        with self._lock:
            return self._galleries.get((tenant_id, site_id))

    def galleries_of(self, tenant_id: str) -> list[FaceGallery]:
        with self._lock:
            return [g for (t, _), g in self._galleries.items() if t == tenant_id]

    def replace_tenant(
        self, tenant_id: str, version: int, entries: Sequence[tuple[str | None, GalleryEntry]]
    ) -> None:
        """Rebuild the tenant's galleries from ``(site, entry)`` pairs loaded at ``version``."""
        by_site: dict[str | None, list[GalleryEntry]] = {}
        for site_id, entry in entries:
            by_site.setdefault(site_id, []).append(entry)
        fresh = {(tenant_id, site): self._make(self.dim) for site in by_site}
        for (_, site), gallery in fresh.items():
            gallery.add(by_site[site])
        with self._lock:
            for key in [k for k in self._galleries if k[0] == tenant_id]:
                del self._galleries[key]
            self._galleries.update(fresh)
            self._versions[tenant_id] = version

    def mark(self, tenant_id: str, version: int) -> None:
        """After applying one committed change in place: the galleries reflect ``version``
        if they reflected the version just before it; otherwise another process changed
        the tenant too, and the next reader must reload."""
        with self._lock:
            if self._versions.get(tenant_id) == version - 1:
                self._versions[tenant_id] = version
            else:
                self._versions.pop(tenant_id, None)

    def drop_tenant(self, tenant_id: str) -> None:
        with self._lock:
            for key in [k for k in self._galleries if k[0] == tenant_id]:
                del self._galleries[key]
            self._versions.pop(tenant_id, None)
