"""Face template protection: a secret per-tenant orthogonal rotation, then sealing.

A face embedding is multiplied by a random orthogonal matrix drawn from the tenant's
*template key* before it is stored or searched. Rotations keep every distance inside
the tenant, so matching works unchanged on protected templates; the same face enrolled
in two tenants gives templates about ``sqrt(2)`` times the embedding's norm apart (far
in the impostor range), so they cannot be linked (SECURITY.md 9, ISO/IEC 24745
unlinkability). A new key generation renews every template without new photos:
``t' = R_new R_old^T t`` (renewability). The rotated template is then sealed with the
tenant's data key like any other personal data.

The matrix is derived with SHAKE-256 and a fixed Gaussian transform, not NumPy's random
generators (whose streams may change between releases), so a key gives the same
rotation on every machine and version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gatepost.errors import CryptoError

__all__ = ["TemplateRotation", "pack_template", "rotation_matrix", "unpack_template"]

Vector = npt.NDArray[np.float32]

_LABEL = b"gatepost/face-template-rotation/v1"
_TEMPLATE_MAGIC = b"GT1"


def rotation_matrix(key: bytes, dim: int) -> npt.NDArray[np.float64]:
    """The Haar-random orthogonal ``dim x dim`` matrix that ``key`` selects."""
    if len(key) < 32:
        raise CryptoError("a template key needs 32 bytes")
    stream = hashlib.shake_256(_LABEL + dim.to_bytes(4, "big") + key).digest(dim * dim * 16)
    words = np.frombuffer(stream, dtype=">u8").astype(np.float64)
    uniform = (words + 0.5) / 2.0**64  # in (0, 1), never exactly 0
    u1, u2 = uniform[0::2], uniform[1::2]
    gaussian = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    q, r = np.linalg.qr(gaussian.reshape(dim, dim))
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return np.asarray(q * signs, dtype=np.float64)  # unique Q: positive diagonal of R


@dataclass(frozen=True, repr=False)
class TemplateRotation:
    """One tenant's rotation for one key generation."""

    generation: int
    matrix: npt.NDArray[np.float64]
    _matrix32: npt.NDArray[np.float32] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matrix32", self.matrix.astype(np.float32))

    @classmethod
    def from_key(cls, key: bytes, *, generation: int, dim: int) -> TemplateRotation:
        return cls(generation=generation, matrix=rotation_matrix(key, dim))

    def __repr__(self) -> str:
        return f"TemplateRotation(generation={self.generation}, dim={self.matrix.shape[0]})"

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[0])

    def protect(self, embedding: npt.ArrayLike) -> Vector:
        """Rotate a raw embedding (or a stack of them, one per row) into template space."""
        vectors = np.asarray(embedding, dtype=np.float32)
        if vectors.shape[-1] != self.dim:
            raise ValueError(f"expected {self.dim}-d embeddings, got {vectors.shape}")
        return np.asarray(vectors @ self._matrix32.T, dtype=np.float32)

    def renew(self, template: npt.ArrayLike, *, to: TemplateRotation) -> Vector:
        """Move a template protected by this rotation to ``to`` without the raw embedding."""
        vectors = np.asarray(template, dtype=np.float64)
        moved = vectors @ self.matrix @ to.matrix.T  # (R_old^T t) then R_new
        return np.asarray(moved, dtype=np.float32)


def pack_template(template: Vector) -> bytes:
    """Bytes of a template for sealing: a short header, then little-endian float32."""
    vector = np.asarray(template, dtype="<f4").reshape(-1)
    return _TEMPLATE_MAGIC + len(vector).to_bytes(2, "big") + vector.tobytes()


def unpack_template(data: bytes) -> Vector:
    if len(data) < 5 or data[:3] != _TEMPLATE_MAGIC:
        raise CryptoError("not a face template")
    dim = int.from_bytes(data[3:5], "big")
    if len(data) != 5 + 4 * dim:
        raise CryptoError("face template has the wrong length")
    return np.frombuffer(data, dtype="<f4", offset=5).astype(np.float32)
