"""Uploaded photos and the recognition test, as the person page and the Faces page use them.

The test runs the 1:N search a camera at a site would run (the site's people and
everyone enrolled without a site) and stores nothing. Its result, or why there is none,
is a :class:`RecognitionTest` for ``partials/face_identify.html``; a refusal by the
service (a bad image) becomes the test's error, never an error page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from gatepost.api.routes.common import read_upload
from gatepost.domain.faces import OpenSetPolicy
from gatepost.errors import ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.recognition import Recognition
from gatepost.web.forms import sentence
from gatepost.web.i18n import gettext
from gatepost.web.lookups import person_names, site_names

__all__ = ["Frame", "RecognitionTest", "chosen", "recognition_test"]


def chosen(field: str) -> Callable[[Request], Awaitable[list[UploadFile]]]:
    """A dependency: the files picked for ``field`` (an empty file input sends none)."""

    async def files(request: Request) -> list[UploadFile]:
        try:
            form = await request.form()
        except HTTPException:  # a malformed body holds no files
            return []
        return [
            value
            for value in form.getlist(field)
            if isinstance(value, UploadFile) and (value.filename or value.size)
        ]

    return files


Frame = Annotated[list[UploadFile], Depends(chosen("file"))]
"""The photo of a recognition test (form field ``file``)."""


@dataclass(frozen=True)
class RecognitionTest:
    """What ``partials/face_identify.html`` shows: a result, or why there is none."""

    result: Recognition | None = None
    error: str | None = None
    policy: OpenSetPolicy | None = None
    matched_name: str = ""
    site_name: str = ""


def recognition_test(
    container: Container,
    principal: Principal,
    frame: Sequence[UploadFile],
    *,
    site_id: str | None,
) -> RecognitionTest:
    """Search the galleries of ``site_id`` (None: people without a site) for the photo."""
    if not frame:
        return RecognitionTest(error=gettext("Choose a photo to test."))
    try:
        result = container.recognition.identify(
            principal, read_upload(container, frame[0]), site_id=site_id
        )
    except ValidationFailed as exc:
        return RecognitionTest(error=sentence(exc))
    names = person_names(container, principal, [result.person_id])
    return RecognitionTest(
        result=result,
        policy=container.faces.policy(principal),
        matched_name=names.get(result.person_id or "", ""),
        site_name=site_names(container, principal).get(site_id or "", ""),
    )
