"""JSON request bodies are UTF-8 and nothing else (RFC 8259, section 8.1).

Starlette parses a JSON body with ``json.loads(bytes)``, which guesses UTF-16 and
UTF-32 from the NUL bytes of ASCII text, skips a UTF-8 byte order mark and lets
UTF-8-encoded surrogates through. gatepost takes the RFC's one encoding instead:
:func:`require_utf8_json` refuses a JSON body with a byte order mark, a NUL byte (which
JSON text never holds unescaped: it is the mark of UTF-16 or UTF-32) or bytes that are
not strict UTF-8, with a 422 saying so. :class:`gatepost.api.deps.GuardedRoute` runs it
for every route, after authentication and before the body is parsed.
"""

from __future__ import annotations

import codecs
from email.message import Message

from starlette.requests import Request

from gatepost.errors import ValidationFailed

__all__ = ["is_json_content_type", "require_utf8_json", "utf8_json_problem"]

_MUST = "the body must be UTF-8 JSON (RFC 8259)"


def is_json_content_type(value: str | None) -> bool:
    """Whether FastAPI would parse a body of this content type as JSON: none given,
    ``application/json`` or ``application/*+json``."""
    if not value:
        return True
    message = Message()
    message["content-type"] = value
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def utf8_json_problem(body: bytes) -> str | None:
    """Why ``body`` is not UTF-8 JSON text as RFC 8259 sends it, or None if it is."""
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return f"{_MUST}, without a byte order mark"
    if b"\x00" in body:
        return f"{_MUST}; it has NUL bytes (UTF-16 or UTF-32?)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{_MUST}; byte {exc.start} is not valid UTF-8"
    return None


async def require_utf8_json(request: Request) -> None:
    """Raise ValidationFailed (422) if the request carries a JSON body that is not
    UTF-8; the body read here is cached for the handler."""
    if not is_json_content_type(request.headers.get("content-type")):
        return
    problem = utf8_json_problem(await request.body())
    if problem is not None:
        raise ValidationFailed(problem)
