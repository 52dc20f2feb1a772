"""Metadata rows of sealed media objects."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.store.tables import MediaObject

__all__ = ["add_media", "delete_media", "delete_media_rows", "existing_ids", "get_media"]


def add_media(session: Session, media: MediaObject) -> None:
    session.add(media)
    session.flush()


def get_media(session: Session, *, tenant_id: str, media_id: str) -> MediaObject | None:
    return session.get(MediaObject, (tenant_id, media_id))


def delete_media(session: Session, *, tenant_id: str, media_id: str) -> None:
    session.execute(
        delete(MediaObject).where(MediaObject.tenant_id == tenant_id, MediaObject.id == media_id)
    )


def delete_media_rows(session: Session, *, tenant_id: str, media_ids: list[str]) -> None:
    if media_ids:
        session.execute(
            delete(MediaObject).where(
                MediaObject.tenant_id == tenant_id, MediaObject.id.in_(media_ids)
            )
        )


def existing_ids(session: Session, *, tenant_id: str, media_ids: list[str]) -> list[str]:
    """Which of ``media_ids`` exist in this tenant."""
    return list(
        session.scalars(
            select(MediaObject.id).where(
                MediaObject.tenant_id == tenant_id, MediaObject.id.in_(media_ids)
            )
        )
    )
