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

__all__ = ["MAX_PASSWORD_LENGTH", "Passwords", "WeakPassword", "check_password_policy"]

MAX_PASSWORD_LENGTH = 1024


class WeakPassword(ValidationFailed):
    code = "weak_password"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, field="password")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

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


class Passwords:
    """argon2id hashing with parameters from settings (OWASP minimum: 19 MiB, t=2)."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 64 * 1024, parallelism: int = 2):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._dummy = self._hasher.hash("gatepost dummy password for uniform timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> tuple[bool, str | None]:
        """Check a password; returns (ok, new_hash), new_hash set when parameters changed."""
        try:
            self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        if self._hasher.check_needs_rehash(stored_hash):
            return True, self._hasher.hash(password)
        return True, None

    def dummy_verify(self, password: str) -> None:
        """Spend the same time as a real verify, for unknown accounts."""
        try:
            self._hasher.verify(self._dummy, password)
        except VerificationError:
            pass
