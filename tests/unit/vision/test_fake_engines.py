"""The fake face engine and plate reader: deterministic, through the real interfaces,
and blind to every image their helpers did not draw."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateRegion, grammars_for
from gatepost.vision import fake_faces, fake_plates
from gatepost.vision.calibration import threshold_for
from gatepost.vision.faces import FaceEngine, FaceFinding, QualityGates
from gatepost.vision.fake_faces import FakeFaceEngine, fake_embedding, fake_face_image
from gatepost.vision.fake_plates import FakePlateReader, fake_plate_image
from gatepost.vision.images import RgbImage, decode_rgb
from gatepost.vision.plates import PlateColor, PlateReader

from .conftest import fixture_path

LIMITS = {"max_bytes": 8 * 1024 * 1024, "max_pixels": 40_000_000}


def _decode(data: bytes) -> RgbImage:
    return decode_rgb(data, **LIMITS)


def _embed_one(engine: FaceEngine, data: bytes) -> np.ndarray:
    image = _decode(data)
    (face,) = engine.detect(image)
    (embedding,) = engine.embed(image, [face])
    return embedding


def _reencoded(data: bytes, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, format=fmt, **params)
    return out.getvalue()


@pytest.fixture
def engine() -> FaceEngine:
    return FakeFaceEngine()


@pytest.fixture
def reader() -> PlateReader:
    return FakePlateReader()


# -- faces --------------------------------------------------------------------


def test_fake_face_is_found_once_with_quality_that_passes_the_gates(engine: FaceEngine) -> None:
    image = _decode(fake_face_image("alice"))
    (face,) = engine.detect(image)
    height, width = image.shape[:2]
    assert 0 <= face.box.left < face.box.right <= width
    assert 0 <= face.box.top < face.box.bottom <= height
    assert face.box.width == face.box.height == 160
    assert face.quality.size == 160
    assert face.quality.score == fake_faces.SCORE
    assert len(face.landmarks) == 5
    assert all(face.box.left <= x < face.box.right for x, _ in face.landmarks)
    assert QualityGates().problems(face.quality) == []  # the enrolment defaults
    assert "alice" not in repr(face)


def test_fake_face_reports_the_quality_it_was_drawn_with(engine: FaceEngine) -> None:
    image = _decode(fake_face_image("bob", size=30, sharpness=5.0, pose=0.25))
    (face,) = engine.detect(image)
    assert face.quality.size == 30
    assert face.quality.sharpness == pytest.approx(5.0)
    assert face.quality.pose == pytest.approx(0.25)
    problems = QualityGates().problems(face.quality)
    assert len(problems) == 3  # too small, blurred, turned


def test_fake_faces_are_deterministic(engine: FaceEngine) -> None:
    assert fake_face_image("carol") == fake_face_image("carol")
    first = _embed_one(engine, fake_face_image("carol"))
    again = _embed_one(FakeFaceEngine(), fake_face_image("carol", size=300))
    assert first.dtype == np.float32 and first.shape == (engine.dim,) == (128,)
    assert np.array_equal(first, again)
    assert np.array_equal(first, fake_embedding("carol"))
    assert float(np.linalg.norm(first)) == pytest.approx(1.0, abs=1e-6)


def test_same_identity_matches_and_different_ones_are_far_apart(engine: FaceEngine) -> None:
    threshold = threshold_for(engine.model, 1e-2)  # the most lenient calibrated threshold
    names = [f"person-{n}" for n in range(40)] + ["张伟", "José Ñúñez", "a", "b"]
    vectors = {name: _embed_one(engine, fake_face_image(name)) for name in names}
    for name in names:
        again = _embed_one(engine, fake_face_image(name, size=90))
        assert float(np.linalg.norm(vectors[name] - again)) == 0.0
    distances = [
        float(np.linalg.norm(vectors[a] - vectors[b])) for a, b in itertools.combinations(names, 2)
    ]
    assert min(distances) > 1.0 > threshold
    assert np.mean(distances) == pytest.approx(np.sqrt(2), abs=0.05)


def test_fake_engine_names_its_own_model(engine: FaceEngine) -> None:
    assert engine.model == fake_faces.MODEL == "fake-identity-v1"
    assert threshold_for(engine.model, 1e-3) == pytest.approx(0.60)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(fixture_path("obama_1.jpg").read_bytes(), id="a-real-photo"),
        pytest.param(_reencoded(fake_face_image("dave"), "JPEG", quality=95), id="jpeg-copy"),
        pytest.param(fake_plate_image("ABC1234"), id="a-fake-plate"),
    ],
)
def test_images_without_the_code_have_no_face(engine: FaceEngine, data: bytes) -> None:
    assert engine.detect(_decode(data)) == []


def test_a_changed_pixel_of_the_code_leaves_no_face(engine: FaceEngine) -> None:
    image = _decode(fake_face_image("erin")).copy()
    image[0, 5, 1] ^= 1
    assert engine.detect(image) == []
    assert engine.detect(np.zeros((2, 2, 3), dtype=np.uint8)) == []


def test_fake_code_survives_lossless_reencoding(engine: FaceEngine) -> None:
    copy = _reencoded(fake_face_image("frank"), "WEBP", lossless=True)
    assert np.array_equal(_embed_one(engine, copy), fake_embedding("frank"))


def test_fake_engine_refuses_faces_it_did_not_find(engine: FaceEngine) -> None:
    image = _decode(fake_face_image("grace"))
    (face,) = engine.detect(image)
    foreign = FaceFinding(box=face.box, landmarks=face.landmarks, quality=face.quality)
    with pytest.raises(ValueError, match="not found by FakeFaceEngine"):
        engine.embed(image, [foreign])
    assert engine.embed(image, []) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"identity": ""},
        {"identity": "x" * 1025},
        {"identity": "x", "size": 15},
        {"identity": "x", "pose": 1.5},
        {"identity": "x", "sharpness": -1.0},
    ],
)
def test_fake_face_image_refuses_impossible_faces(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        fake_face_image(**kwargs)  # type: ignore[arg-type]


# -- plates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drawn", "text", "region", "color"),
    [
        ("ABC1D23", "ABC1D23", PlateRegion.BR, PlateColor.WHITE),
        ("ab-123-cd", "AB123CD", PlateRegion.EU, PlateColor.WHITE),
        ("京A12345", "京A12345", PlateRegion.CN, PlateColor.BLUE),
        ("粤B D12345", "粤BD12345", PlateRegion.CN, PlateColor.GREEN),
        ("沪A1234警", "沪A1234警", PlateRegion.CN, PlateColor.WHITE),
        ("7ABC123", "7ABC123", PlateRegion.US, PlateColor.WHITE),
    ],
)
def test_fake_reader_round_trips_latin_and_chinese_plates(
    reader: PlateReader, drawn: str, text: str, region: PlateRegion, color: PlateColor
) -> None:
    image = _decode(fake_plate_image(drawn, color=color, confidence=0.91))
    (reading,) = reader.read(image)
    assert reading.text == text
    assert reading.region == region.value
    assert reading.color is color
    assert reading.confidence == pytest.approx(0.91)
    left, top, right, bottom = reading.box
    assert 0 <= left < right <= image.shape[1] and 0 <= top < bottom <= image.shape[0]


def test_fake_plates_are_deterministic(reader: PlateReader) -> None:
    assert fake_plate_image("京A12345") == fake_plate_image("京A12345")
    image = _decode(fake_plate_image("京A12345"))
    assert reader.read(image) == FakePlateReader().read(image)
    (reading,) = reader.read(image)
    assert reading.color is PlateColor.BLUE and reading.confidence == pytest.approx(0.97)


def test_fake_reader_keeps_only_plates_of_the_frames_grammars(reader: PlateReader) -> None:
    image = _decode(fake_plate_image("京A12345"))
    assert reader.read(image, grammars=grammars_for([PlateRegion.BR])) == []
    (reading,) = reader.read(image, grammars=grammars_for([PlateRegion.CN]))
    assert reading.region == PlateRegion.CN.value
    assert reader.read(_decode(fake_plate_image("not a plate!"))) == []
    with pytest.raises(ValueError, match="grammar"):
        reader.read(image, grammars=[])
    with pytest.raises(ValueError, match="grammar"):
        FakePlateReader(grammars=())
    own = FakePlateReader(grammars=grammars_for([PlateRegion.BR]))
    assert own.read(image) == [] and own.read(image, grammars=DEFAULT_GRAMMARS) != []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(fixture_path("obama_1.jpg").read_bytes(), id="a-real-photo"),
        pytest.param(_reencoded(fake_plate_image("ABC1234"), "JPEG", quality=95), id="jpeg"),
        pytest.param(fake_face_image("ABC1234"), id="a-fake-face"),
    ],
)
def test_images_without_the_code_have_no_plate(reader: PlateReader, data: bytes) -> None:
    assert reader.read(_decode(data)) == []


@pytest.mark.parametrize(
    "kwargs", [{"text": ""}, {"text": "京" * 100}, {"text": "ABC1234", "confidence": 1.01}]
)
def test_fake_plate_image_refuses_impossible_plates(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        fake_plate_image(**kwargs)  # type: ignore[arg-type]


def test_fake_modules_export_sorted_names() -> None:
    for module in (fake_faces, fake_plates):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
