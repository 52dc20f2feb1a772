"""Password policy and argon2id hashing with rehash-on-verify and a dummy hash.

Policy (SECURITY.md 16, NIST 800-63B): at least 12 characters, at most 1024 (no
truncation: argon2 reads every byte), not in the common-password list shipped with
``zxcvbn``, and not the username.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gatepost.errors import ValidationFailed

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "WeakPassword",
    "check_password_policy",
    "dummy_verify",
    "hash_password",
    "verify_password",
]

MAX_PASSWORD_LENGTH = 1024

# argon2id, RFC 9106 second recommended option scaled for a 2-core server.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)
_DUMMY_HASH = _HASHER.hash("gatepost dummy password for uniform timing")


class WeakPassword(ValidationFailed):
    code = "weak_password"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, field="password")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *, min_length: int = 12, username: str = "") -> None:
    """Raise WeakPassword with a reason the user can act on."""
    if len(password) < min_length:
        raise WeakPassword(f"password must have at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password must have at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise WeakPassword("this password is too common; choose another")
    if username and lowered == username.lower():
        raise WeakPassword("password must differ from the username")
    if len(set(password)) < 4:
        raise WeakPassword("password repeats too few characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Check a password; returns (ok, new_hash) where new_hash is set when parameters aged."""
    try:
        _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if _HASHER.check_needs_rehash(stored_hash):
        return True, _HASHER.hash(password)
    return True, None


def dummy_verify(password: str) -> None:
    """Spend the same time as a real verify, for unknown accounts."""
    try:
        _HASHER.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass
