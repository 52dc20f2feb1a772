"""Where the key-encryption key (KEK) comes from: a 0600 key file or the environment.

The KEK never enters the database. Providers share one small interface so a KMS can be
added later without touching callers.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path
from typing import Protocol

from gatepost.errors import ConfigError
from gatepost.security.crypto import KEY_BYTES, new_key

__all__ = ["EnvKekProvider", "FileKekProvider", "KekProvider", "create_key_file"]


class KekProvider(Protocol):
    """Supplies the KEK and stores a replacement in two steps (stage, then commit).

    Rotation stages the new KEK durably *before* the database re-wrap commits, and
    commits it after; a crash in between leaves both keys on hand, so nothing is lost.
    """

    def load(self) -> bytes: ...

    def load_staged(self) -> bytes | None: ...

    def stage(self, new_kek: bytes) -> None: ...

    def commit_staged(self) -> None: ...


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise ConfigError(f"{where} is not valid base64", key="keys") from exc
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{where} must hold {KEY_BYTES} bytes", key="keys")
    return key


def create_key_file(path: Path) -> bool:
    """Create a fresh key file with mode 0600; False if one already exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(new_key()).decode() + "\n")
    return True


class FileKekProvider:
    """KEK in a file readable by the owner only; refuses a file others can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> bytes:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError as exc:
            raise ConfigError(
                f"key file {self.path} does not exist: run `gatepost init`",
                key="keys.file",
            ) from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"key file {self.path} is readable by others: chmod 600 it",
                key="keys.file",
            )
        return _decode(self.path.read_text(), f"key file {self.path}")

    @property
    def staged_path(self) -> Path:
        return self.path.with_name(self.path.name + ".staged")

    def load_staged(self) -> bytes | None:
        if not self.staged_path.exists():
            return None
        return _decode(self.staged_path.read_text(), f"key file {self.staged_path}")

    def stage(self, new_kek: bytes) -> None:
        fd = os.open(self.staged_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(new_kek).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def commit_staged(self) -> None:
        if self.staged_path.exists():
            os.replace(self.staged_path, self.path)


class EnvKekProvider:
    """KEK given as base64 in settings (GATEPOST_KEYS__KEK); rotation prints the new one."""

    def __init__(self, encoded: str) -> None:
        self._encoded = encoded
        self.replacement: bytes | None = None

    def load(self) -> bytes:
        return _decode(self._encoded, "GATEPOST_KEYS__KEK")

    def load_staged(self) -> bytes | None:
        return self.replacement

    def stage(self, new_kek: bytes) -> None:
        self.replacement = new_kek

    def commit_staged(self) -> None:
        if self.replacement is not None:
            self._encoded = base64.b64encode(self.replacement).decode()
