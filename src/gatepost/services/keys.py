"""KeyService: creates, unwraps, rotates and shreds tenants' data keys.

Each tenant has three kinds of data key, wrapped by the KEK: ``data`` (AES-GCM sealing;
new generations may be added and old ones stay readable), ``index`` (blind indexes)
and ``mac`` (audit chain, signed URLs). Unwrapped keys are cached per process.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from gatepost.domain.ports import Clock
from gatepost.errors import CryptoError, KeyShredded
from gatepost.security.crypto import TenantKeys, new_key, unwrap_key, wrap_key
from gatepost.security.kek import KekProvider
from gatepost.store.repositories import tenants as tenant_repo
from gatepost.store.tables import TenantKey

__all__ = ["KeyService"]

PURPOSES = ("data", "index", "mac")


class KeyService:
    def __init__(self, *, kek: KekProvider, clock: Clock) -> None:
        self._kek_provider = kek
        self._kek: bytes | None = None
        self._clock = clock
        self._cache: dict[str, TenantKeys] = {}
        self._lock = threading.Lock()

    def _current_kek(self) -> bytes:
        if self._kek is None:
            self._kek = self._kek_provider.load()
        return self._kek

    def create_tenant_keys(self, session: Session, *, tenant_id: str) -> TenantKeys:
        kek = self._current_kek()
        now = self._clock.now()
        for purpose in PURPOSES:
            tenant_repo.add_key(
                session,
                TenantKey(
                    tenant_id=tenant_id,
                    purpose=purpose,
                    generation=1,
                    wrapped=wrap_key(
                        kek,
                        new_key(),
                        tenant_id=tenant_id,
                        purpose=purpose,
                        generation=1,
                    ),
                    active=True,
                    created_at=now,
                ),
            )
        return self.keys_for(session, tenant_id=tenant_id)

    def keys_for(self, session: Session, *, tenant_id: str) -> TenantKeys:
        """The tenant's unwrapped keys; raises KeyShredded if they were destroyed."""
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None:
            return cached
        rows = tenant_repo.keys_of(session, tenant_id=tenant_id)
        if not rows:
            raise KeyShredded("this tenant's keys do not exist (shredded or never created)")
        kek = self._current_kek()
        try:
            unwrap_key(
                kek,
                rows[0].wrapped,
                tenant_id=tenant_id,
                purpose=rows[0].purpose,
                generation=rows[0].generation,
            )
        except CryptoError:
            kek = self._recover_staged_kek()
        data: dict[int, bytes] = {}
        active = 0
        singles: dict[str, bytes] = {}
        for row in rows:
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

    def _recover_staged_kek(self) -> bytes:
        """A rotation crashed after the database committed: finish it."""
        staged = self._kek_provider.load_staged()
        if staged is None:
            raise CryptoError("data keys do not open with the key-encryption key")
        self.adopt_kek(staged)
        return staged

    def add_data_generation(self, session: Session, *, tenant_id: str) -> int:
        """Start sealing new values with a fresh data key; older ones stay readable."""
        keys = self.keys_for(session, tenant_id=tenant_id)
        generation = max(keys.data_keys) + 1
        tenant_repo.deactivate_keys(session, tenant_id=tenant_id, purpose="data")
        tenant_repo.add_key(
            session,
            TenantKey(
                tenant_id=tenant_id,
                purpose="data",
                generation=generation,
                wrapped=wrap_key(
                    self._current_kek(),
                    new_key(),
                    tenant_id=tenant_id,
                    purpose="data",
                    generation=generation,
                ),
                active=True,
                created_at=self._clock.now(),
            ),
        )
        self.forget(tenant_id)
        return generation

    def rewrap_all(self, session: Session, new_kek: bytes) -> int:
        """Re-wrap every tenant's data keys under ``new_kek``; returns the count.

        The caller commits the transaction and then calls :meth:`adopt_kek` after the
        new KEK is stored, so a crash between the two leaves the old KEK valid.
        """
        old = self._current_kek()
        count = 0
        for row in tenant_repo.all_keys(session):
            key = unwrap_key(
                old,
                row.wrapped,
                tenant_id=row.tenant_id,
                purpose=row.purpose,
                generation=row.generation,
            )
            row.wrapped = wrap_key(
                new_kek,
                key,
                tenant_id=row.tenant_id,
                purpose=row.purpose,
                generation=row.generation,
            )
            count += 1
        session.flush()
        return count

    def stage_kek(self, new_kek: bytes) -> None:
        """Store the new KEK durably beside the current one, before the re-wrap commits."""
        self._kek_provider.stage(new_kek)

    def adopt_kek(self, new_kek: bytes) -> None:
        """After the re-wrap committed: make the new KEK the current one."""
        self._kek_provider.commit_staged()
        self._kek = new_kek
        self.forget()

    def shred(self, session: Session, *, tenant_id: str) -> int:
        """Destroy the tenant's keys: every sealed value of it becomes unreadable."""
        count = tenant_repo.delete_keys(session, tenant_id=tenant_id)
        tenant = tenant_repo.get_tenant(session, tenant_id=tenant_id)
        if tenant is not None:
            tenant.keys_shredded_at = self._clock.now()
        self.forget(tenant_id)
        return count

    def forget(self, tenant_id: str | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._cache.clear()
            else:
                self._cache.pop(tenant_id, None)
