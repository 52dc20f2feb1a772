"""CSRF protection for the public forms (sign-in, first-run setup), before any session.

A signed double-submit token: the browser holds a random nonce with its issue time in
a short-lived ``__Host-`` cookie (HttpOnly, Secure, SameSite=Strict) and the form
carries an HMAC of that nonce. Another site can neither read the cookie nor set one
for our host, so it cannot produce a matching form value. Forms of signed-in users use
the session-derived token of :mod:`gatepost.security.csrf` instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.responses import Response

__all__ = ["FORM_CSRF_COOKIE", "FormCsrf", "form_csrf", "form_csrf_valid"]

FORM_CSRF_COOKIE = "__Host-gatepost_csrf"
_LIFETIME_SECONDS = 2 * 3600
_LABEL = b"gatepost/form-csrf/v1"


@dataclass(frozen=True, repr=False)
class FormCsrf:
    """The token for the form, and the cookie to (re)set when the nonce is new."""

    token: str
    new_nonce: str | None

    def __repr__(self) -> str:
        return "FormCsrf(<token>)"

    def apply(self, response: Response) -> Response:
        if self.new_nonce is not None:
            response.set_cookie(
                FORM_CSRF_COOKIE,
                self.new_nonce,
                max_age=_LIFETIME_SECONDS,
                path="/",
                secure=True,
                httponly=True,
                samesite="strict",
            )
        return response


def _token_for(nonce: str) -> str:
    digest = hmac.new(nonce.encode(), _LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _fresh(nonce: str, now: datetime) -> bool:
    issued, _, value = nonce.partition(".")
    if not issued.isdigit() or len(value) < 32:
        return False
    age = now.timestamp() - int(issued)
    return -60 <= age <= _LIFETIME_SECONDS - 300


def form_csrf(request: Request, now: datetime) -> FormCsrf:
    """The form token for this browser; a new nonce when it has none or it is old."""
    nonce = request.cookies.get(FORM_CSRF_COOKIE, "")
    if _fresh(nonce, now):
        return FormCsrf(_token_for(nonce), None)
    nonce = f"{int(now.timestamp())}.{secrets.token_urlsafe(32)}"
    return FormCsrf(_token_for(nonce), nonce)


def form_csrf_valid(request: Request, presented: str, now: datetime) -> bool:
    """Whether ``presented`` matches this browser's (unexpired) CSRF cookie."""
    nonce = request.cookies.get(FORM_CSRF_COOKIE, "")
    issued, _, _ = nonce.partition(".")
    if not presented or not issued.isdigit():
        return False
    if not -60 <= now.timestamp() - int(issued) <= _LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(_token_for(nonce), presented)
