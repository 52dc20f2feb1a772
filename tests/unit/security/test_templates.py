"""Template protection: key-derived rotations keep distances, separate tenants, renew."""

from __future__ import annotations

import numpy as np
import pytest

from gatepost.errors import CryptoError
from gatepost.security.templates import (
    TemplateRotation,
    pack_template,
    rotation_matrix,
    unpack_template,
)

KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))


def _embeddings(n: int = 20, dim: int = 128) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.normal(size=(n, dim)) * 0.1 + 0.05).astype(np.float32)


def test_rotation_is_orthogonal_and_deterministic() -> None:
    matrix = rotation_matrix(KEY_A, 128)
    assert np.allclose(matrix @ matrix.T, np.eye(128), atol=1e-10)
    assert np.array_equal(matrix, rotation_matrix(KEY_A, 128))
    # Pinned: the same key must give the same rotation on every machine and release,
    # or stored templates would stop matching.
    assert float(matrix[0, 0]) == pytest.approx(-0.1235190761, abs=1e-9)
    assert float(matrix[5, 77]) == pytest.approx(0.0948572245, abs=1e-9)
    assert not np.allclose(matrix, rotation_matrix(KEY_B, 128))


def test_distances_are_kept_and_tenants_are_unlinkable() -> None:
    x = _embeddings()
    a = TemplateRotation.from_key(KEY_A, generation=1, dim=128)
    b = TemplateRotation.from_key(KEY_B, generation=1, dim=128)
    ta, tb = a.protect(x), b.protect(x)
    raw = np.linalg.norm(x[0] - x[1])
    assert np.linalg.norm(ta[0] - ta[1]) == pytest.approx(raw, rel=1e-5)
    same_face_across = np.linalg.norm(ta - tb, axis=1)
    norms = np.linalg.norm(x, axis=1)
    assert np.all(same_face_across > 0.9 * norms)  # ~sqrt(2) x norm: nothing in common


def test_renewal_moves_templates_without_the_raw_embedding() -> None:
    x = _embeddings()
    old = TemplateRotation.from_key(KEY_A, generation=1, dim=128)
    new = TemplateRotation.from_key(KEY_B, generation=2, dim=128)
    moved = old.renew(old.protect(x), to=new)
    assert np.allclose(moved, new.protect(x), atol=1e-5)


def test_packing_round_trips_and_rejects_garbage() -> None:
    x = _embeddings(1)[0]
    assert np.array_equal(unpack_template(pack_template(x)), x)
    for bad in (b"", b"GT1", b"XX1\x00\x01abcd", pack_template(x)[:-1]):
        with pytest.raises(CryptoError):
            unpack_template(bad)
    with pytest.raises(CryptoError):
        rotation_matrix(b"short", 128)
