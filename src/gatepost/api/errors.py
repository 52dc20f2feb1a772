"""The one place where errors become HTTP responses.

Every error body has the same shape: ``{"error": {"code", "message", "field"?,
"details"?}}``. Unexpected exceptions become a 500 with no internals in the body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gatepost import errors as e

__all__ = ["error_response", "install_error_handlers", "status_for", "unauthenticated_response"]

log = logging.getLogger("gatepost.api")

_STATUS: list[tuple[type[e.GatepostError], int]] = [
    (e.Throttled, 429),
    (e.AuthenticationFailed, 401),
    (e.PermissionDenied, 403),
    (e.NotFound, 404),
    (e.MethodNotAllowed, 405),
    (e.Conflict, 409),
    (e.SetupError, 409),
    (e.ValidationFailed, 422),
    (e.KeyShredded, 410),
    (e.ServiceUnavailable, 503),
    (e.ConfigError, 500),
    (e.CryptoError, 500),
    (e.IntegrityError, 500),
]


def status_for(exc: e.GatepostError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def unauthenticated_response() -> JSONResponse:
    """The one answer to any request without a credential that authenticates.

    No credential, or a bearer token, session cookie, API key or device token that is
    malformed, unknown, revoked or expired: the same 401, code, message and headers.
    """
    return error_response(
        401,
        e.Unauthenticated.code,
        e.Unauthenticated.MESSAGE,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _gatepost_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.GatepostError)  # noqa: S101 - registered for this type only
    if isinstance(exc, e.Unauthenticated):
        return unauthenticated_response()
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, e.Throttled | e.ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, e.AuthenticationFailed) and status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, e.MethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(exc.allowed))
    if status >= 500:
        log.error("request failed: %s (%s)", exc.code, type(exc).__name__)
        if not isinstance(exc, e.ServiceUnavailable):
            return error_response(status, exc.code, "the server could not complete this request")
    return error_response(
        status, exc.code, exc.message, field=getattr(exc, "field", None), headers=headers
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    details = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "invalid")
        message = str(err.get("msg", "invalid value"))
        field = _field_path(loc)
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "json_invalid":
            message = f"the body is not valid JSON (near byte {field})"
            field = ""
        details.append({"field": field, "type": kind, "message": message})
    first = details[0] if details else {"field": "", "message": "invalid request"}
    summary = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return error_response(422, "invalid", summary, field=first["field"] or None, details=details)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError | RecursionError):
        # FastAPI reports an undecodable (or absurdly nested) JSON body as a bare 400.
        return error_response(422, "invalid", "the body is not valid UTF-8 JSON")
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "the server could not complete this request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.GatepostError, _gatepost_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
