"""Keeps this process's face galleries equal to the templates in the database.

Each tenant row carries a face-data version bumped by every change to its templates.
Before a search the service compares it with the version the in-memory galleries were
built from and reloads the tenant when they differ (another process changed it, or a
change here raced another). Changes made by this process are applied in place after
their transaction commits. Loading opens every template (sealed with the data key)
and, if it was protected under an older template-key generation, moves it to the
active one on the fly.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from gatepost.matching.faces import FaceGalleries, FaceGallery, GalleryEntry
from gatepost.security.templates import TemplateRotation, pack_template, unpack_template
from gatepost.services.keys import KeyService
from gatepost.store.repositories import faces as face_repo
from gatepost.store.tables import FaceTemplate, Tenant

__all__ = ["GallerySync", "SiteGalleries", "seal_template", "open_template"]

_TABLE, _COLUMN = "face_templates", "template"


Template = npt.NDArray[np.float32]


def seal_template(
    keys: KeyService, session: Session, row: FaceTemplate, template: Template
) -> None:
    tenant_keys = keys.keys_for(session, tenant_id=row.tenant_id)
    row.template_sealed = tenant_keys.seal(
        pack_template(template), table=_TABLE, column=_COLUMN, row_id=row.id
    )


def open_template(keys: KeyService, session: Session, row: FaceTemplate) -> Template:
    tenant_keys = keys.keys_for(session, tenant_id=row.tenant_id)
    return unpack_template(
        tenant_keys.open(row.template_sealed, table=_TABLE, column=_COLUMN, row_id=row.id)
    )


@dataclass(frozen=True)
class SiteGalleries:
    """The galleries a probe at one site is searched in: the site's own people and
    the people enrolled for every site."""

    galleries: tuple[FaceGallery, ...]

    @property
    def person_count(self) -> int:
        return sum(g.person_count for g in self.galleries)


class GallerySync:
    def __init__(self, *, keys: KeyService, galleries: FaceGalleries, model: str) -> None:
        self._keys = keys
        self._galleries = galleries
        self._model = model
        self._loading = threading.Lock()

    @property
    def galleries(self) -> FaceGalleries:
        return self._galleries

    def current(self, session: Session, *, tenant: Tenant, site_id: str | None) -> SiteGalleries:
        """The tenant's galleries for ``site_id``, reloaded first if they are stale (the
        caller has read the tenant row in ``session``: its face-data version decides)."""
        tenant_id, version = tenant.id, tenant.face_gallery_version
        if self._galleries.version(tenant_id) != version:
            with self._loading:
                if self._galleries.version(tenant_id) != version:
                    self.load(session, tenant_id=tenant_id, version=version)
        wanted: list[str | None] = [None] if site_id is None else [site_id, None]
        found = (self._galleries.find(tenant_id, s) for s in wanted)
        return SiteGalleries(tuple(g for g in found if g is not None))

    def load(self, session: Session, *, tenant_id: str, version: int) -> int:
        """Rebuild the tenant's galleries from the database; returns the template count."""
        active = self._keys.template_rotation(session, tenant_id=tenant_id, dim=self._galleries.dim)
        older: dict[int, TemplateRotation | None] = {}
        entries: list[tuple[str | None, GalleryEntry]] = []
        for row, site_id in face_repo.stream_gallery(
            session, tenant_id=tenant_id, model=self._model
        ):
            vector = open_template(self._keys, session, row)
            if active is not None and row.key_generation != active.generation:
                if row.key_generation not in older:
                    older[row.key_generation] = self._keys.template_rotation(
                        session,
                        tenant_id=tenant_id,
                        dim=self._galleries.dim,
                        generation=row.key_generation,
                    )
                old = older[row.key_generation]
                if old is None:
                    continue  # its key is gone: the template can no longer be used
                vector = old.renew(vector, to=active)
            entries.append((site_id, GalleryEntry(row.id, row.person_id, vector)))
        self._galleries.replace_tenant(tenant_id, version, entries)
        return len(entries)

    def applied(
        self,
        *,
        tenant_id: str,
        version: int,
        site_id: str | None,
        added: Sequence[GalleryEntry] = (),
        removed: Sequence[str] = (),
        person_removed: str | None = None,
    ) -> None:
        """Apply a committed change in place, then record its version."""
        if self._galleries.version(tenant_id) is None:
            return  # never loaded here: the first search loads everything
        for gallery in self._galleries.galleries_of(tenant_id):
            if removed:
                gallery.remove(removed)
            if person_removed is not None:
                gallery.remove_person(person_removed)
        if added:
            self._galleries.gallery(tenant_id, site_id).add(added)
        self._galleries.mark(tenant_id, version)
