"""Metadata rows of sealed media objects (rows in, ``domain.media.MediaObject`` out)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.domain.media import MediaKind, MediaObject
from gatepost.store.tables import MediaObject as MediaRow

__all__ = ["MediaRepository"]


def _media(row: MediaRow) -> MediaObject:
    return MediaObject(
        tenant_id=row.tenant_id,
        id=row.id,
        kind=MediaKind(row.kind),
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        created_at=row.created_at,
        expires_at=row.expires_at,
        uploaded_by=row.uploaded_by,
    )


class MediaRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, media: MediaObject) -> None:
        self._session.add(
            MediaRow(
                tenant_id=media.tenant_id,
                id=media.id,
                kind=media.kind.value,
                content_type=media.content_type,
                size=media.size,
                width=media.width,
                height=media.height,
                created_at=media.created_at,
                expires_at=media.expires_at,
                uploaded_by=media.uploaded_by,
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, media_id: str) -> MediaObject | None:
        row = self._session.get(MediaRow, (tenant_id, media_id))
        return _media(row) if row is not None else None

    def existing_ids(self, *, tenant_id: str, media_ids: Collection[str]) -> list[str]:
        """Which of ``media_ids`` exist in this tenant."""
        if not media_ids:
            return []
        query = select(MediaRow.id).where(
            MediaRow.tenant_id == tenant_id, MediaRow.id.in_(media_ids)
        )
        return list(self._session.scalars(query))

    def delete_rows(self, *, tenant_id: str, media_ids: Collection[str]) -> None:
        """Delete the rows (the blobs are the media service's to delete after commit)."""
        if media_ids:
            self._session.execute(
                delete(MediaRow).where(MediaRow.tenant_id == tenant_id, MediaRow.id.in_(media_ids))
            )
