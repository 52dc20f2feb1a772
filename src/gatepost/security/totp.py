"""Time-based one-time passwords (RFC 6238) with replay protection.

A code is accepted for the current 30-second step or the one before it, and only if
its step is later than the last step this user already used (SECURITY.md 19).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

__all__ = ["new_totp_secret", "provisioning_uri", "totp_code", "verify_totp"]

_STEP = 30


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str = "gatepost") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def verify_totp(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The step the code belongs to if valid and unused, else None."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP
    for step in (current, current - 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
