"""Opaque bearer tokens for sessions, API keys, device credentials, setup and invitations.

A token reads ``<prefix>_<tenant id>_<secret>``: the tenant id routes the lookup (so
every token table keys on ``(tenant_id, token_hash)``), the 256-bit secret is random
and only its SHA-256 is stored. Tokens are compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ParsedToken",
    "TokenKind",
    "hash_token",
    "issue_token",
    "parse_token",
    "tokens_equal",
]

_TOKEN = re.compile(r"^(gps|gpk|gpd|gpt|gpi)_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


class TokenKind(StrEnum):
    SESSION = "gps"
    API_KEY = "gpk"
    DEVICE = "gpd"
    SETUP = "gpt"
    INVITATION = "gpi"


@dataclass(frozen=True, repr=False)
class ParsedToken:
    kind: TokenKind
    tenant_id: str
    token_hash: bytes

    def __repr__(self) -> str:
        return f"ParsedToken(kind={self.kind.value}, tenant_id={self.tenant_id})"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_token(kind: TokenKind, tenant_id: str) -> str:
    """A new token; the caller stores :func:`hash_token` of it and shows it once."""
    return f"{kind.value}_{tenant_id}_{secrets.token_urlsafe(32)}"


def parse_token(token: str, *, expect: TokenKind | None = None) -> ParsedToken | None:
    """Split a presented token; None if it is not well formed (or not of ``expect``)."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    kind = TokenKind(match.group(1))
    if expect is not None and kind is not expect:
        return None
    return ParsedToken(kind=kind, tenant_id=match.group(2), token_hash=hash_token(token))


def tokens_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
