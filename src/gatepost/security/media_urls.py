"""Short-lived signed media URLs bound to tenant, object and user (SECURITY.md 21).

A URL carries ``exp`` and ``sig``; the signature is the tenant MAC over tenant, object,
user and expiry, so changing any of them, or presenting it as another user, fails.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime

from gatepost.security.crypto import TenantKeys

__all__ = ["media_signature", "signature_valid"]


def _message(tenant_id: str, object_id: str, user_id: str, expires: int) -> bytes:
    return f"gatepost/media/v1|{tenant_id}|{object_id}|{user_id}|{expires}".encode()


def media_signature(keys: TenantKeys, *, object_id: str, user_id: str, expires: int) -> str:
    mac = keys.mac(_message(keys.tenant_id, object_id, user_id, expires))
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signature_valid(
    keys: TenantKeys,
    *,
    object_id: str,
    user_id: str,
    expires: int,
    sig: str,
    now: datetime,
) -> bool:
    if expires < int(now.timestamp()):
        return False
    expected = media_signature(keys, object_id=object_id, user_id=user_id, expires=expires)
    return hmac.compare_digest(expected, sig)
