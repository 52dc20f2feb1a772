"""KeyService: creates, unwraps, rotates and shreds tenants' data keys.

Each tenant has four kinds of data key, wrapped by the KEK: ``data`` (AES-GCM sealing;
new generations may be added and old ones stay readable), ``index`` (blind indexes),
``mac`` (audit chain, signed URLs) and ``template`` (the secret rotation of face
templates, by generation: a new one renews every template, see
``gatepost.security.templates``). Unwrapped data keys are cached per process;
the KEK itself is read from its provider whenever it is needed, so a rotation done by
another process (``gatepost keys rotate``) is seen at once.

Rotation is crash-safe: the new KEK is *staged* durably, the database re-wrap commits,
then the staged KEK replaces the current one. If a process dies between the commit and
the swap, the next reader finds data keys that open only with the staged KEK *in the
committed database* and finishes the swap. A staged KEK is never discarded
automatically: another process may be in the middle of a rotation.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gatepost.domain.ports import Clock
from gatepost.errors import CryptoError, KeyShredded
from gatepost.security.crypto import TenantKeys, new_key, unwrap_key, wrap_key
from gatepost.security.kek import KekProvider
from gatepost.security.templates import TemplateRotation
from gatepost.store.db import Database
from gatepost.store.repositories.tenants import TenantKeyRepository, WrappedKey

if TYPE_CHECKING:
    from gatepost.services.uow import UnitOfWork

__all__ = ["KeyService"]

PURPOSES = ("data", "index", "mac", "template")


def _opens(kek: bytes, key: WrappedKey) -> bool:
    try:
        unwrap_key(
            kek,
            key.wrapped,
            tenant_id=key.tenant_id,
            purpose=key.purpose,
            generation=key.generation,
        )
    except CryptoError:
        return False
    return True


class KeyService:
    """The tenants' key ring.

    The unit of work reaches it with its key repository (``uow.keys``, the
    template rotations); key administration (a new tenant's keys, a data-key generation, KEK
    rotation, shredding) is handed the caller's unit of work, so it commits or rolls
    back with the rest of that use case.
    """

    def __init__(self, *, kek: KekProvider, clock: Clock, db: Database) -> None:
        self._kek_provider = kek
        self._clock = clock
        self._db = db
        self._cache: dict[str, TenantKeys] = {}
        self._rotations: dict[tuple[str, int, int], TemplateRotation] = {}
        self._lock = threading.Lock()

    def check_kek(self) -> None:
        """Load the KEK once; raises ConfigError naming the problem (e.g. file mode)."""
        self._kek_provider.load()

    def _wrap(self, kek: bytes, *, tenant_id: str, purpose: str, generation: int) -> WrappedKey:
        return WrappedKey(
            tenant_id=tenant_id,
            purpose=purpose,
            generation=generation,
            wrapped=wrap_key(
                kek, new_key(), tenant_id=tenant_id, purpose=purpose, generation=generation
            ),
            active=True,
            created_at=self._clock.now(),
        )

    def create_tenant_keys(self, uow: UnitOfWork, *, tenant_id: str) -> TenantKeys:
        """A new tenant's first keys, one of each purpose, in the caller's transaction."""
        kek = self._kek_provider.load()
        stored = uow.tenant_keys
        for purpose in PURPOSES:
            stored.add(self._wrap(kek, tenant_id=tenant_id, purpose=purpose, generation=1))
        return self.keys_for(uow.tenant_keys, tenant_id=tenant_id)

    def _kek_for(self, keys: Sequence[WrappedKey]) -> bytes:
        """The KEK that opens these keys: the current one, else a staged one (in memory)."""
        kek = self._kek_provider.load()
        if _opens(kek, keys[0]):
            return kek
        staged = self._kek_provider.load_staged()
        if staged is not None and _opens(staged, keys[0]):
            self.finish_pending_rotation()
            return staged
        raise CryptoError("data keys do not open with the key-encryption key")

    def keys_for(self, stored_keys: TenantKeyRepository, *, tenant_id: str) -> TenantKeys:
        """The tenant's unwrapped keys; raises KeyShredded if they were destroyed."""
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None:
            return cached
        stored = stored_keys.of_tenant(tenant_id=tenant_id)
        if not stored:
            raise KeyShredded("this tenant's keys do not exist (shredded or never created)")
        kek = self._kek_for(stored)
        data: dict[int, bytes] = {}
        active = 0
        singles: dict[str, bytes] = {}
        for row in stored:
            if row.purpose == "template":
                continue  # see template_rotation
            key = unwrap_key(
                kek,
                row.wrapped,
                tenant_id=tenant_id,
                purpose=row.purpose,
                generation=row.generation,
            )
            if row.purpose == "data":
                data[row.generation] = key
                if row.active:
                    active = row.generation
            else:
                singles[row.purpose] = key
        if not active or "index" not in singles or "mac" not in singles:
            raise CryptoError("this tenant's key set is incomplete")
        keys = TenantKeys(
            tenant_id=tenant_id,
            data_keys=data,
            active_generation=active,
            index_key=singles["index"],
            mac_key=singles["mac"],
        )
        with self._lock:
            self._cache[tenant_id] = keys
        return keys

    def add_data_generation(self, uow: UnitOfWork, *, tenant_id: str) -> int:
        """Start sealing new values with a fresh data key; older ones stay readable."""
        keys = uow.keys(tenant_id)
        generation = max(keys.data_keys) + 1
        stored = uow.tenant_keys
        stored.deactivate(tenant_id=tenant_id, purpose="data")
        kek = self._kek_for(stored.of_tenant(tenant_id=tenant_id))
        stored.add(self._wrap(kek, tenant_id=tenant_id, purpose="data", generation=generation))
        self.forget(tenant_id)
        uow.after_commit(lambda: self.forget(tenant_id))
        uow.on_rollback(lambda: self.forget(tenant_id))  # no uncommitted generation cached
        return generation

    # -- face template rotations -------------------------------------------------

    def template_rotation(
        self,
        stored_keys: TenantKeyRepository,
        *,
        tenant_id: str,
        dim: int,
        generation: int | None = None,
    ) -> TemplateRotation | None:
        """The tenant's template rotation (the active one unless ``generation`` is given).

        None when the tenant has no template key yet (no face was ever enrolled).
        """
        rows = [
            row
            for row in stored_keys.of_tenant(tenant_id=tenant_id)
            if row.purpose == "template"
            and (row.generation == generation if generation is not None else row.active)
        ]
        if not rows:
            return None
        row = rows[0]
        cache_key = (tenant_id, row.generation, dim)
        with self._lock:
            cached = self._rotations.get(cache_key)
        if cached is not None:
            return cached
        key = unwrap_key(
            self._kek_for(rows),
            row.wrapped,
            tenant_id=tenant_id,
            purpose="template",
            generation=row.generation,
        )
        rotation = TemplateRotation.from_key(key, generation=row.generation, dim=dim)
        with self._lock:
            self._rotations[cache_key] = rotation
        return rotation

    def ensure_template_rotation(
        self, stored_keys: TenantKeyRepository, *, tenant_id: str, dim: int
    ) -> TemplateRotation:
        """The active rotation, creating the tenant's first template key if needed."""
        rotation = self.template_rotation(stored_keys, tenant_id=tenant_id, dim=dim)
        if rotation is not None:
            return rotation
        return self.add_template_generation(stored_keys, tenant_id=tenant_id, dim=dim)

    def add_template_generation(
        self, stored_keys: TenantKeyRepository, *, tenant_id: str, dim: int
    ) -> TemplateRotation:
        """A fresh template key becomes active; the caller renews the stored templates."""
        stored = stored_keys
        rows = stored.of_tenant(tenant_id=tenant_id)
        if not rows:
            raise KeyShredded("this tenant's keys do not exist (shredded or never created)")
        generation = 1 + max((r.generation for r in rows if r.purpose == "template"), default=0)
        stored.deactivate(tenant_id=tenant_id, purpose="template")
        kek = self._kek_for(rows)
        stored.add(self._wrap(kek, tenant_id=tenant_id, purpose="template", generation=generation))
        rotation = self.template_rotation(
            stored_keys, tenant_id=tenant_id, dim=dim, generation=generation
        )
        if rotation is None:  # pragma: no cover - just added
            raise CryptoError("the new template key is missing")
        return rotation

    # -- KEK rotation -------------------------------------------------------------

    def stage_kek(self, new_kek: bytes) -> None:
        """Store the new KEK durably beside the current one, before the re-wrap commits."""
        self._kek_provider.stage(new_kek)

    def rewrap_all(self, uow: UnitOfWork, new_kek: bytes) -> int:
        """Re-wrap every tenant's data keys under ``new_kek``; returns the count.

        Every tenant's keys are unwrapped (and cached) first, so nothing inside this
        transaction needs the KEK again. The caller commits, then calls :meth:`adopt_kek`.
        """
        old = self._kek_provider.load()
        stored = uow.tenant_keys
        rows = stored.all()
        for tenant_id in {row.tenant_id for row in rows}:
            uow.keys(tenant_id)
        for row in rows:
            key = unwrap_key(
                old,
                row.wrapped,
                tenant_id=row.tenant_id,
                purpose=row.purpose,
                generation=row.generation,
            )
            stored.rewrap(
                row,
                wrapped=wrap_key(
                    new_kek,
                    key,
                    tenant_id=row.tenant_id,
                    purpose=row.purpose,
                    generation=row.generation,
                ),
            )
        return len(rows)

    def adopt_kek(self, new_kek: bytes) -> None:
        """After the re-wrap committed: the staged KEK becomes the current one."""
        self._kek_provider.commit_staged()
        if self._kek_provider.load() != new_kek:
            raise CryptoError(
                "the new key-encryption key was not installed: keep the .staged key file "
                "and run any gatepost command to finish the rotation"
            )

    def finish_pending_rotation(self) -> bool:
        """Finish a rotation whose re-wrap committed but whose KEK swap did not happen.

        Looks at committed data only (its own connection). Returns True if it finished one.
        """
        staged = self._kek_provider.load_staged()
        if staged is None:
            return False
        with self._db.read_committed() as committed:
            rows = TenantKeyRepository(committed).all()
        if rows and not _opens(self._kek_provider.load(), rows[0]) and _opens(staged, rows[0]):
            self._kek_provider.commit_staged()
            return True
        return False

    # -- shredding ----------------------------------------------------------------

    def shred(self, uow: UnitOfWork, *, tenant_id: str) -> int:
        """Destroy the tenant's keys: every sealed value of it becomes unreadable."""
        count = uow.tenant_keys.delete_all(tenant_id=tenant_id)
        uow.tenants.mark_shredded(tenant_id=tenant_id, at=self._clock.now())
        self.forget(tenant_id)
        uow.after_commit(lambda: self.forget(tenant_id))
        return count

    def forget(self, tenant_id: str | None = None) -> None:
        """Drop cached keys (all, or one tenant's): they are read again when needed."""
        with self._lock:
            if tenant_id is None:
                self._cache.clear()
                self._rotations.clear()
            else:
                self._cache.pop(tenant_id, None)
                for key in [k for k in self._rotations if k[0] == tenant_id]:
                    del self._rotations[key]
