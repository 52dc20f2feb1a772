"""Query and path parameter aliases, and upload reading, shared by routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query, Request
from starlette.datastructures import UploadFile

from gatepost.errors import ValidationFailed
from gatepost.services.container import Container

__all__ = [
    "CursorQuery",
    "IdPath",
    "IdempotencyKeyHeader",
    "LimitQuery",
    "read_upload",
    "refuse_personal_query",
]

IdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A 32-hex-digit id.")]
LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size (max 200).")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="From next_cursor.")]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
        description="Devices: the arrival's own key, 1-64 of A-Z a-z 0-9 . _ : - (as over "
        "MQTT). The same frame sent again under it is stored once and answered with the "
        "stored decision (`duplicate`); another frame under it is refused (409). "
        "Ignored for a user's test frame.",
    ),
]


def read_upload(container: Container, upload: UploadFile) -> bytes:
    """An uploaded file's bytes, at most one past the upload limit (the service then
    refuses it, naming the limit) so an oversized part is never read whole."""
    return upload.file.read(container.settings.media.max_upload_bytes + 1)


def refuse_personal_query(request: Request, names: tuple[str, ...], *, search: str) -> None:
    """Refuse (422) a list request that puts a personal value (name, phone, identity
    number, plate) in its query string, where proxies and access logs keep it; the
    message names the POST search that takes it in the body instead."""
    for name in names:
        if name in request.query_params:
            raise ValidationFailed(
                "%(field)s is not accepted in a URL; search with %(search)s",
                field=name,
                params={"field": name, "search": search},
            )
