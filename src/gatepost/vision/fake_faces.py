"""The fake face engine: deterministic, instant, no model (``faces.engine.type=fake``).

For device-flow tests and load benchmarks, never for real doors. :func:`fake_face_image`
draws a small PNG of one "face" whose pixels carry the identity, the face box and the
quality to report (see ``gatepost.vision._pixel_payloads``; PNG is lossless, so the
code survives upload and ``decode_rgb``; a JPEG re-encode destroys it). The engine
finds that face and nothing else: any other image has no face. Its embedding is
:func:`fake_embedding`, a fixed 128-d unit vector derived from the identity string
(SHAKE-256), so the same identity is at distance 0 from itself and two identities are
about 1.41 apart (never below ~0.8 in practice), far beyond every calibrated threshold
of ``gatepost.vision.calibration.FAKE_IDENTITY``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from gatepost.vision._pixel_payloads import canvas, png_bytes, read_payload, rows_for
from gatepost.vision.calibration import FAKE_IDENTITY
from gatepost.vision.faces import Embedding, FaceBox, FaceFinding, FaceQuality, Point
from gatepost.vision.images import RgbImage

__all__ = [
    "DIM",
    "FakeFaceEngine",
    "KEY",
    "MODEL",
    "SCORE",
    "fake_embedding",
    "fake_face_image",
]

KEY: Final = "fake"
"""This backend's key in ``faces.engine.type`` and ``gatepost.vision.registry``."""

MODEL: Final = FAKE_IDENTITY
DIM: Final = 128
SCORE: Final = 2.0
"""The detector confidence every fake face gets (a clear face for dlib's HOG)."""

_MAGIC = b"GPFACE1"
_HEAD = struct.Struct(">HHHHff")  # box left, top, right, bottom; sharpness; pose
_MAX_IDENTITY = 1024
_SKIN = (214, 168, 130)
_FEATURES = (60, 40, 30)


@dataclass(frozen=True, repr=False)
class _FakeFace:
    """What the fake detector hands to :meth:`FakeFaceEngine.embed`."""

    identity: str

    def __repr__(self) -> str:
        return "_FakeFace(...)"


def fake_embedding(identity: str) -> Embedding:
    """The unit vector the fake engine gives every face of ``identity``."""
    digest = hashlib.shake_256(b"gatepost-fake-face\x00" + identity.encode()).digest(DIM * 4)
    spread = np.frombuffer(digest, dtype=">u4").astype(np.float64) / 2.0**32 - 0.5
    return (spread / np.linalg.norm(spread)).astype(np.float32)


def fake_face_image(
    identity: str, *, size: int = 160, sharpness: float = 120.0, pose: float = 1.0
) -> bytes:
    """A PNG with one fake face of ``identity``, ``size`` pixels wide and high, that the
    fake engine reports with this ``sharpness`` and ``pose`` (the defaults pass the
    enrolment gates; a small ``size`` or low ``sharpness``/``pose`` fails them)."""
    encoded = identity.encode()
    if not 1 <= len(encoded) <= _MAX_IDENTITY:
        raise ValueError(f"a fake identity has 1-{_MAX_IDENTITY} UTF-8 bytes")
    if not 16 <= size <= 2048:
        raise ValueError("a fake face is 16-2048 pixels wide")
    if not 0 <= sharpness <= 100_000 or not 0 <= pose <= 1:
        raise ValueError("sharpness is 0-100000 and pose 0-1")
    margin = max(16, size // 4)
    width = size + 2 * margin
    top = rows_for(_MAGIC, bytes(_HEAD.size) + encoded, width=width) + margin
    box = FaceBox(left=margin, top=top, right=margin + size, bottom=top + size)
    body = _HEAD.pack(box.left, box.top, box.right, box.bottom, sharpness, pose) + encoded
    image = canvas(_MAGIC, body, width=width, height=box.bottom + margin)
    image[box.top : box.bottom, box.left : box.right] = _SKIN
    dot = max(1, size // 24)
    for x, y in _landmarks(box):  # only for a person looking at the image
        image[round(y) - dot : round(y) + dot, round(x) - dot : round(x) + dot] = _FEATURES
    return png_bytes(image)


def _landmarks(box: FaceBox) -> tuple[Point, ...]:
    """Five frontal points in dlib's order: two corners of each eye, then the nose."""
    left, top, w, h = box.left, box.top, box.width, box.height
    eyes_y = top + 0.4 * h
    return (
        (left + 0.82 * w, eyes_y),
        (left + 0.62 * w, eyes_y),
        (left + 0.18 * w, eyes_y),
        (left + 0.38 * w, eyes_y),
        (left + 0.5 * w, top + 0.68 * h),
    )


def _finding(image: RgbImage, body: bytes) -> FaceFinding | None:
    if len(body) <= _HEAD.size:
        return None
    left, top, right, bottom, sharpness, pose = _HEAD.unpack(body[: _HEAD.size])
    try:
        identity = body[_HEAD.size :].decode()
    except UnicodeDecodeError:
        return None
    height, width = image.shape[:2]
    if not (left < right <= width and top < bottom <= height):
        return None
    box = FaceBox(left=left, top=top, right=right, bottom=bottom)
    quality = FaceQuality(size=box.width, sharpness=sharpness, pose=pose, score=SCORE)
    return FaceFinding(
        box=box, landmarks=_landmarks(box), quality=quality, alignment=_FakeFace(identity)
    )


class FakeFaceEngine:
    """Finds the face drawn by :func:`fake_face_image` and embeds its identity
    (see the module docstring). Stateless, so safe from any thread."""

    @property
    def model(self) -> str:
        return MODEL

    @property
    def dim(self) -> int:
        return DIM

    def detect(self, image: RgbImage) -> list[FaceFinding]:
        body = read_payload(image, _MAGIC)
        found = None if body is None else _finding(image, body)
        return [] if found is None else [found]

    def embed(self, image: RgbImage, faces: Sequence[FaceFinding]) -> list[Embedding]:
        embeddings = []
        for face in faces:
            if not isinstance(face.alignment, _FakeFace):
                raise ValueError("this face was not found by FakeFaceEngine")
            embeddings.append(fake_embedding(face.alignment.identity))
        return embeddings
