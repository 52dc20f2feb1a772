"""CSRF tokens for cookie-authenticated writes, derived from the session token.

The token is an HMAC keyed by the raw session token, so it needs no storage, changes
whenever the session rotates, and cannot be computed by a page that only sees cookies
sent automatically.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["csrf_token_for", "csrf_valid"]


def csrf_token_for(session_token: str) -> str:
    digest = hmac.new(session_token.encode(), b"gatepost/csrf/v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_valid(session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token_for(session_token), presented)
