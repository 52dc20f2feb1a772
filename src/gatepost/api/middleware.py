"""ASGI middleware: body-size and content-type limits, and security headers.

Limits are enforced while the body streams in, so an oversized request is refused with
413 before it is buffered, whatever its Content-Length says.
"""

from __future__ import annotations

import html
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimitMiddleware", "HSTS", "SecurityHeadersMiddleware"]

_BODY_METHODS = {b"POST", b"PUT", b"PATCH", b"DELETE"}


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": {"code": code, "message": message}}).encode()


# htmx requests get the flash stack the UI's own errors use (web.errors: retargeted to
# #flash, so the form that posted stays in place); plain posts a small page.
_FLASH_HEADERS = [
    (b"hx-retarget", b"#flash"),
    (b"hx-reswap", b"outerHTML"),
    (b"hx-reselect", b"#flash"),
]


def _page_error(message: str, *, fragment: bool) -> bytes:
    """The admin UI's answer: the #flash stack for htmx, or a page with a way back."""
    notice = f'<div class="flash flash-error" role="alert"><p>{html.escape(message)}</p></div>'
    if fragment:
        return f'<div id="flash" class="flash-stack" aria-live="polite">{notice}</div>'.encode()
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<title>Too large - gatepost</title><link rel="stylesheet" '
        'href="/static/gatepost.css"></head><body><main class="container">'
        f'{notice}<p><a href="/ui">Back to gatepost</a></p></main></body></html>'
    ).encode()


class _TooLarge(HTTPException):
    """Raised while the body streams in; FastAPI passes HTTPExceptions through as-is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Caps request bodies (JSON and form bodies vs. uploads) and API content types."""

    def __init__(self, app: ASGIApp, *, max_json: int, max_upload: int) -> None:
        self.app = app
        self.max_json = max_json
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        path: str = scope.get("path", "")
        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await self._reply(send, *_error(400, "bad_request", "NUL characters are not allowed"))
            return
        is_upload = content_type.startswith("multipart/form-data")
        limit = self.max_upload + 64 * 1024 if is_upload else self.max_json
        method = scope.get("method", "GET").encode()
        if method in _BODY_METHODS and path.startswith("/api/"):
            length = headers.get(b"content-length")
            has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
            if has_body and not (content_type.startswith("application/json") or is_upload):
                await self._reply(
                    send,
                    *_error(
                        415,
                        "unsupported_media_type",
                        "send application/json (or multipart/form-data for uploads)",
                    ),
                )
                return
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await self._reply(send, *_error(400, "bad_request", "invalid Content-Length"))
                return
            if too_big:
                await self._too_large(send, path, headers, limit, is_upload)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send, path, headers, limit, is_upload)

    async def _too_large(
        self, send: Send, path: str, headers: dict[bytes, bytes], limit: int, is_upload: bool
    ) -> None:
        if not path.startswith("/ui"):
            await self._reply(
                send, *_error(413, "too_large", f"the body is larger than {limit} bytes")
            )
            return
        if is_upload:
            size = f"{self.max_upload / 2**20:.3g} MB"
            message = f"The file is too large: the limit is {size}. Choose a smaller file."
        else:
            message = f"The form is too large: the limit is {limit // 1024} kB."
        htmx = b"hx-request" in headers
        await self._reply(
            send,
            413,
            _page_error(message, fragment=htmx),
            content_type=b"text/html; charset=utf-8",
            extra=_FLASH_HEADERS if htmx else [],
        )

    @staticmethod
    async def _reply(
        send: Send,
        status: int,
        body: bytes,
        *,
        content_type: bytes = b"application/json",
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    *(extra or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
_DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


#: Sent only on requests that came over HTTPS (see SecurityHeadersMiddleware).
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """no-store, nosniff, no-referrer and a strict CSP on every response (SECURITY.md 22).

    ``Strict-Transport-Security`` goes on every response to a request that came over
    HTTPS: the ASGI scheme is ``https`` when the server terminates TLS itself, or when
    the trusted proxy (``server.trusted_proxy``, and only it: uvicorn's proxy-headers
    middleware, set up by ``gatepost serve``) says so in ``X-Forwarded-Proto``. Never on
    plain HTTP, where a header a client sends itself changes nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"cache-control" or static
                ]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                    (b"content-security-policy", (_DOCS_CSP if path == "/docs" else _CSP).encode()),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"pragma", b"no-cache"))
                if https:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
