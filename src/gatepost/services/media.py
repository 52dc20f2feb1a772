"""MediaService: image uploads sealed into the blob store, served by signed URL only.

Uploads are checked before anything is stored: allowed types (JPEG, PNG, WebP) by
content, the declared content type must agree, bytes and pixels are capped, and the
image must decode completely. Its metadata (EXIF with GPS and camera serials, XMP,
comments, ICC profiles, PNG text) is stripped first, losslessly, for every kind of
image (snapshots, kept enrolment photos, plate frames). The object is sealed with the
tenant's data key, bound to its id, written to the blob store, and only then recorded;
if recording fails the blob is removed again, so a failed request leaves no orphan
(SECURITY.md 21, 31).

Objects are deleted row first, blob after the commit: :meth:`MediaService.remove` does
both inside another use case's unit of work (a person's erasure, a retention purge).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from gatepost.domain.media import MediaKind, MediaObject
from gatepost.domain.ports import Clock
from gatepost.errors import NotFound, ServiceUnavailable
from gatepost.security.media_urls import media_signature, signature_valid
from gatepost.security.policy import Principal
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.media import BlobNotFound, BlobStore, BlobStoreUnavailable
from gatepost.vision.images import clean_image

__all__ = ["MediaContent", "MediaService", "SignedMediaUrl"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedMediaUrl:
    url: str
    expires: int


@dataclass(frozen=True, repr=False)
class MediaContent:
    data: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"MediaContent({self.content_type}, {len(self.data)} bytes)"


class MediaService:
    def __init__(
        self,
        *,
        tx: Transactions,
        blobs: BlobStore,
        clock: Clock,
        max_bytes: int,
        max_pixels: int,
        url_ttl: timedelta,
        retention: timedelta,
    ) -> None:
        self._tx = tx
        self._blobs = blobs
        self._clock = clock
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._url_ttl = url_ttl
        self._retention = retention

    @property
    def retention(self) -> timedelta:
        """How long an image is kept when its use case names no period of its own."""
        return self._retention

    def store_image(
        self,
        principal: Principal,
        *,
        data: bytes,
        declared_type: str | None,
        kind: MediaKind,
        retention: timedelta | None = None,
    ) -> MediaObject:
        """Seal and store an image without its metadata; it expires after ``retention``
        (default: events')."""
        clean = clean_image(
            data, declared=declared_type, max_bytes=self._max_bytes, max_pixels=self._max_pixels
        )
        data, facts = clean.data, clean.facts
        now = self._clock.now()
        media_id = new_id()
        with self._tx.read() as uow:
            keys = uow.keys(principal.tenant_id)
        sealed = keys.seal(data, table="media", column="blob", row_id=media_id)
        try:
            self._blobs.put(tenant_id=principal.tenant_id, object_id=media_id, data=sealed)
        except BlobStoreUnavailable as exc:
            raise ServiceUnavailable("the media store is unavailable") from exc
        media = MediaObject(
            tenant_id=principal.tenant_id,
            id=media_id,
            kind=MediaKind(kind),
            content_type=facts.content_type,
            size=len(data),
            width=facts.width,
            height=facts.height,
            created_at=now,
            expires_at=now + (retention or self._retention),
            uploaded_by=principal.actor,
        )
        try:
            with self._tx.write() as uow:
                uow.media.add(media)
        except BaseException:
            self._blobs.delete(tenant_id=principal.tenant_id, object_id=media_id)
            raise
        return media

    def delete(self, *, tenant_id: str, media_ids: Sequence[str]) -> None:
        """Delete objects: their rows, then their blobs."""
        if not media_ids:
            return
        with self._tx.write() as uow:
            self.remove(uow, tenant_id=tenant_id, media_ids=media_ids)

    def remove(self, uow: UnitOfWork, *, tenant_id: str, media_ids: Sequence[str]) -> None:
        """Inside the caller's unit of work: delete the objects' rows now and their blobs
        once it has committed (:meth:`discard`); nothing is deleted if it rolls back."""
        if not media_ids:
            return
        ids = tuple(media_ids)
        uow.media.delete_rows(tenant_id=tenant_id, media_ids=ids)
        uow.after_commit(lambda: self.discard(tenant_id=tenant_id, media_ids=ids))

    def discard(self, *, tenant_id: str, media_ids: Sequence[str]) -> None:
        """Delete objects whose rows the caller has already deleted (or never wrote).

        Best effort after the caller's commit: a blob the store fails to delete stays
        sealed under the tenant's key and is logged, never served (no row points to it).
        """
        for media_id in media_ids:
            try:
                self._blobs.delete(tenant_id=tenant_id, object_id=media_id)
            except BlobStoreUnavailable:
                log.warning("media store unavailable: sealed object %s left behind", media_id)

    def signed_url(self, principal: Principal, media_id: str) -> SignedMediaUrl:
        signed = self.signed_urls(principal, [media_id]).get(media_id)
        if signed is None:
            raise NotFound("media")
        return signed

    def signed_urls(
        self, principal: Principal, media_ids: Sequence[str]
    ) -> dict[str, SignedMediaUrl]:
        """Signed URLs for several of the caller's objects at once (one key lookup);
        ids of other tenants or of deleted objects get none."""
        if not media_ids:
            return {}
        with self._tx.read() as uow:
            keys = uow.keys(principal.tenant_id)
            found = uow.media.existing_ids(tenant_id=principal.tenant_id, media_ids=media_ids)
        expires = int((self._clock.now() + self._url_ttl).timestamp())
        urls = {}
        for media_id in found:
            sig = media_signature(keys, object_id=media_id, user_id=principal.id, expires=expires)
            urls[media_id] = SignedMediaUrl(
                url=f"/media/{media_id}?exp={expires}&sig={sig}", expires=expires
            )
        return urls

    def fetch(self, principal: Principal, media_id: str, *, expires: int, sig: str) -> MediaContent:
        """The plaintext object, if the URL was signed for this user and is unexpired."""
        with self._tx.read() as uow:
            media = uow.media.get(tenant_id=principal.tenant_id, media_id=media_id)
            if media is None:
                raise NotFound("media")
            keys = uow.keys(principal.tenant_id)
        if not signature_valid(
            keys,
            object_id=media_id,
            user_id=principal.id,
            expires=expires,
            sig=sig,
            now=self._clock.now(),
        ):
            raise NotFound("media")
        try:
            sealed = self._blobs.get(tenant_id=principal.tenant_id, object_id=media_id)
        except BlobNotFound as exc:
            raise NotFound("media") from exc
        except BlobStoreUnavailable as exc:
            raise ServiceUnavailable("the media store is unavailable") from exc
        data = keys.open(sealed, table="media", column="blob", row_id=media_id)
        return MediaContent(data=data, content_type=media.content_type)
