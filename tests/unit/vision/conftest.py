"""Shared face-engine fixtures: one engine per test session (building one loads dlib's
models and the onnxruntime session), photos from tests/fixtures/faces (see SOURCES.md
there) and helpers that re-encode them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gatepost.vision.dlib_faces import DlibFaceEngine
from gatepost.vision.faces import Embedding, largest
from gatepost.vision.images import RgbImage, decode_rgb

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"
PORTRAITS = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "biden_1.jpg", "biden_2.jpg")
GROUP = "group_obama_biden.jpg"
LIMITS = {"max_bytes": 40 * 1024 * 1024, "max_pixels": 80_000_000}


def fixture_path(name: str) -> Path:
    return FIXTURES / name


def load(name: str) -> RgbImage:
    return decode(fixture_path(name).read_bytes())


def decode(data: bytes) -> RgbImage:
    return decode_rgb(data, **LIMITS)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def pil(name: str) -> Image.Image:
    return Image.fromarray(load(name))


EmbedLargest = Callable[[RgbImage], Embedding]


def distance(a: Embedding, b: Embedding) -> float:
    return float(np.linalg.norm(a - b))


@pytest.fixture(scope="session")
def engine() -> DlibFaceEngine:
    return DlibFaceEngine()


@pytest.fixture(scope="session")
def embed_largest(engine: DlibFaceEngine) -> EmbedLargest:
    def embed(image: RgbImage) -> Embedding:
        face = largest(engine.detect(image))
        assert face is not None, "no face found"
        return engine.embed(image, [face])[0]

    return embed
