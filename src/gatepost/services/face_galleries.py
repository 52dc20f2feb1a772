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

from gatepost.domain.faces import FaceTemplate
from gatepost.domain.tenants import Tenant
from gatepost.matching.faces import FaceGalleries, FaceGallery, GalleryEntry
from gatepost.security.crypto import TenantKeys
from gatepost.security.templates import TemplateRotation, pack_template, unpack_template
from gatepost.services.uow import UnitOfWork
from gatepost.store.repositories.faces import SealedTemplate

__all__ = ["GallerySync", "SiteGalleries", "open_template", "seal_template"]

_TABLE, _COLUMN = "face_templates", "template"


Template = npt.NDArray[np.float32]


def seal_template(keys: TenantKeys, template: FaceTemplate, vector: Template) -> SealedTemplate:
    """The protected ``vector`` sealed with the tenant's data key, bound to its row."""
    sealed = keys.seal(pack_template(vector), table=_TABLE, column=_COLUMN, row_id=template.id)
    return SealedTemplate(template, sealed)


def open_template(keys: TenantKeys, stored: SealedTemplate) -> Template:
    """The protected vector of a stored template (still under its template key)."""
    row_id = stored.template.id
    return unpack_template(keys.open(stored.sealed, table=_TABLE, column=_COLUMN, row_id=row_id))


@dataclass(frozen=True)
class SiteGalleries:
    """The galleries a probe at one site is searched in: the site's own people and
    the people enrolled for every site."""

    galleries: tuple[FaceGallery, ...]

    @property
    def person_count(self) -> int:
        return sum(g.person_count for g in self.galleries)


class GallerySync:
    def __init__(self, *, galleries: FaceGalleries, model: str) -> None:
        self._galleries = galleries
        self._model = model
        self._loading = threading.Lock()

    @property
    def galleries(self) -> FaceGalleries:
        return self._galleries

    def current(self, uow: UnitOfWork, *, tenant: Tenant, site_id: str | None) -> SiteGalleries:
        """The tenant's galleries for ``site_id``, reloaded first if they are stale (the
        caller has read ``tenant`` in ``uow``: its face-data version decides)."""
        tenant_id, version = tenant.id, tenant.face_gallery_version
        if self._galleries.version(tenant_id) != version:
            with self._loading:
                if self._galleries.version(tenant_id) != version:
                    self.load(uow, tenant_id=tenant_id, version=version)
        wanted: list[str | None] = [None] if site_id is None else [site_id, None]
        found = (self._galleries.find(tenant_id, s) for s in wanted)
        return SiteGalleries(tuple(g for g in found if g is not None))

    def load(self, uow: UnitOfWork, *, tenant_id: str, version: int) -> int:
        """Rebuild the tenant's galleries from the database; returns the template count."""
        dim = self._galleries.dim
        keys = uow.keys(tenant_id)
        active = uow.template_rotation(tenant_id, dim=dim)
        older: dict[int, TemplateRotation | None] = {}
        entries: list[tuple[str | None, GalleryEntry]] = []
        for stored, site_id in uow.faces.stream_gallery(tenant_id=tenant_id, model=self._model):
            template = stored.template
            vector = open_template(keys, stored)
            generation = template.key_generation
            if active is not None and generation != active.generation:
                if generation not in older:
                    older[generation] = uow.template_rotation(
                        tenant_id, dim=dim, generation=generation
                    )
                old = older[generation]
                if old is None:
                    continue  # its key is gone: the template can no longer be used
                vector = old.renew(vector, to=active)
            entries.append((site_id, GalleryEntry(template.id, template.person_id, vector)))
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
