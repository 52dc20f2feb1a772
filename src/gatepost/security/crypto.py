"""Envelope encryption: KEK-wrapped data keys, AES-GCM sealing and blind indexes.

Sealed values are bytes laid out as ``version(1) | generation(2) | nonce(12) |
ciphertext+tag``. The associated data binds a ciphertext to its tenant, table, column
and row, so a value copied anywhere else fails to open (SECURITY.md 7). Blind indexes
are HMAC-SHA256 under a tenant key over a normalised value (SECURITY.md 8).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gatepost.errors import CryptoError

__all__ = [
    "KEY_BYTES",
    "TenantKeys",
    "derive_key",
    "new_key",
    "unwrap_key",
    "wrap_key",
]

KEY_BYTES = 32
_VERSION = 1
_HEADER = struct.Struct(">BH")
_NONCE_BYTES = 12


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def derive_key(root: bytes, label: str) -> bytes:
    """A sub-key of ``root`` for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label.encode()).derive(
        root
    )


def _wrap_aad(tenant_id: str, purpose: str, generation: int) -> bytes:
    return f"gatepost/kek-wrap/v1|{tenant_id}|{purpose}|{generation}".encode()


def wrap_key(kek: bytes, key: bytes, *, tenant_id: str, purpose: str, generation: int) -> bytes:
    """Encrypt a data key under the KEK, bound to its tenant, purpose and generation."""
    nonce = os.urandom(_NONCE_BYTES)
    aad = _wrap_aad(tenant_id, purpose, generation)
    return nonce + AESGCM(kek).encrypt(nonce, key, aad)


def unwrap_key(
    kek: bytes, wrapped: bytes, *, tenant_id: str, purpose: str, generation: int
) -> bytes:
    try:
        return AESGCM(kek).decrypt(
            wrapped[:_NONCE_BYTES],
            wrapped[_NONCE_BYTES:],
            _wrap_aad(tenant_id, purpose, generation),
        )
    except InvalidTag as exc:
        raise CryptoError("a data key does not open with this key-encryption key") from exc


def _aad(tenant_id: str, table: str, column: str, row_id: str) -> bytes:
    return f"gatepost/seal/v1|{tenant_id}|{table}|{column}|{row_id}".encode()


@dataclass(frozen=True, repr=False)
class TenantKeys:
    """A tenant's unwrapped keys: sealing (by generation), blind index and MAC keys."""

    tenant_id: str
    data_keys: dict[int, bytes]
    active_generation: int
    index_key: bytes
    mac_key: bytes
    _aead: dict[int, AESGCM] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        return f"TenantKeys(tenant_id={self.tenant_id!r}, generations={sorted(self.data_keys)})"

    def _cipher(self, generation: int) -> AESGCM:
        cipher = self._aead.get(generation)
        if cipher is None:
            key = self.data_keys.get(generation)
            if key is None:
                raise CryptoError(f"data key generation {generation} is not available")
            cipher = AESGCM(key)
            self._aead[generation] = cipher
        return cipher

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Encrypt ``plaintext`` bound to (tenant, table, column, row)."""
        nonce = os.urandom(_NONCE_BYTES)
        generation = self.active_generation
        sealed = self._cipher(generation).encrypt(
            nonce, plaintext, _aad(self.tenant_id, table, column, row_id)
        )
        return _HEADER.pack(_VERSION, generation) + nonce + sealed

    def open(self, sealed: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Decrypt a sealed value; fails if anything in its binding changed."""
        if len(sealed) < _HEADER.size + _NONCE_BYTES + 16:
            raise CryptoError("sealed value is truncated")
        version, generation = _HEADER.unpack_from(sealed)
        if version != _VERSION:
            raise CryptoError("unknown sealed-value version")
        nonce = sealed[_HEADER.size : _HEADER.size + _NONCE_BYTES]
        try:
            return self._cipher(generation).decrypt(
                nonce,
                sealed[_HEADER.size + _NONCE_BYTES :],
                _aad(self.tenant_id, table, column, row_id),
            )
        except InvalidTag as exc:
            raise CryptoError("sealed value does not open in this place") from exc

    def seal_text(self, text: str, *, table: str, column: str, row_id: str) -> bytes:
        return self.seal(text.encode(), table=table, column=column, row_id=row_id)

    def open_text(self, sealed: bytes, *, table: str, column: str, row_id: str) -> str:
        return self.open(sealed, table=table, column=column, row_id=row_id).decode()

    def blind_index(self, normalised: str, *, purpose: str) -> bytes:
        """Keyed HMAC of a normalised value for exact lookups (never an unkeyed hash)."""
        return hmac.new(
            self.index_key, f"{purpose}\x00{normalised}".encode(), hashlib.sha256
        ).digest()

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 under the tenant's MAC key (audit chain, signed URLs)."""
        return hmac.new(self.mac_key, message, hashlib.sha256).digest()
