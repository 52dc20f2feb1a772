"""argon2id password hashing with rehash-on-verify and a dummy hash for uniform timing.

Which new passwords are acceptable is decided in one place,
:mod:`gatepost.security.password_policy`.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Passwords"]


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
