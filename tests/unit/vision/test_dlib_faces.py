"""DlibFaceEngine on real photos: detection, landmarks, quality and distances."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from gatepost.vision.dlib_faces import DEFAULT_THRESHOLD, DlibFaceEngine
from gatepost.vision.faces import FaceFinding
from tests.unit.vision.conftest import (
    GROUP,
    PORTRAITS,
    EmbedLargest,
    decode,
    distance,
    encode,
    load,
    pil,
)


@pytest.mark.parametrize("name", PORTRAITS)
def test_detect_finds_one_face_in_a_portrait(engine: DlibFaceEngine, name: str) -> None:
    image = load(name)
    (face,) = engine.detect(image)
    height, width = image.shape[:2]
    assert 0 <= face.box.left < face.box.right <= width
    assert 0 <= face.box.top < face.box.bottom <= height
    assert len(face.landmarks) == 5
    assert all(face.box.left - 20 <= x <= face.box.right + 20 for x, _ in face.landmarks)
    assert face.quality.size == face.box.width >= 80
    assert 0 <= face.quality.pose <= 1 and face.quality.sharpness > 0


def test_detect_finds_both_faces_in_the_group(engine: DlibFaceEngine) -> None:
    faces = engine.detect(load(GROUP))
    assert len(faces) == 2
    scores = [face.quality.score for face in faces]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "image",
    [
        np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8),
        np.full((480, 640, 3), 128, dtype=np.uint8),
    ],
    ids=["noise", "flat"],
)
def test_detect_finds_nothing_without_a_face(engine: DlibFaceEngine, image: np.ndarray) -> None:
    assert engine.detect(image) == []
    assert engine.embed(image, []) == []


def test_same_person_is_near_and_different_people_far(embed_largest: EmbedLargest) -> None:
    vectors = {name: embed_largest(load(name)) for name in PORTRAITS}
    for a, b in itertools.combinations(PORTRAITS, 2):
        gap = distance(vectors[a], vectors[b])
        if a.split("_")[0] == b.split("_")[0]:
            assert gap < DEFAULT_THRESHOLD, (a, b, gap)
        else:
            assert gap > DEFAULT_THRESHOLD, (a, b, gap)


def test_group_faces_match_their_portraits(
    engine: DlibFaceEngine, embed_largest: EmbedLargest
) -> None:
    group = load(GROUP)
    faces = sorted(engine.detect(group), key=lambda f: f.box.left)  # biden left, obama right
    biden, obama = engine.embed(group, faces)
    assert distance(biden, embed_largest(load("biden_1.jpg"))) < DEFAULT_THRESHOLD
    assert distance(obama, embed_largest(load("obama_1.jpg"))) < DEFAULT_THRESHOLD
    assert distance(biden, obama) > DEFAULT_THRESHOLD


def test_exif_rotated_photo_embeds_like_the_upright_one(embed_largest: EmbedLargest) -> None:
    upright = pil("obama_1.jpg")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # pixels lie on their side
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    rotated = decode(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    plain = decode(encode(upright, "JPEG", quality=95))

    assert rotated.shape == plain.shape
    assert distance(embed_largest(rotated), embed_largest(plain)) < 0.1


def test_embed_refuses_faces_from_another_engine(engine: DlibFaceEngine) -> None:
    image = load("obama_1.jpg")
    (face,) = engine.detect(image)
    foreign = FaceFinding(box=face.box, landmarks=face.landmarks, quality=face.quality)
    with pytest.raises(ValueError, match="not found by DlibFaceEngine"):
        engine.embed(image, [foreign])


def test_unknown_descriptor_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown descriptor"):
        DlibFaceEngine(descriptor="cuda")  # type: ignore[arg-type]


def test_engine_gives_the_same_answers_from_several_threads(engine: DlibFaceEngine) -> None:
    image = load(GROUP)
    expected = engine.embed(image, engine.detect(image))

    def run(_: int) -> list[np.ndarray]:
        return engine.embed(image, engine.detect(image))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(8)))
    for vectors in results:
        assert len(vectors) == len(expected)
        for got, want in zip(vectors, expected, strict=True):
            assert np.array_equal(got, want)


def test_cnn_detector_is_available_and_finds_the_same_face(engine: DlibFaceEngine) -> None:
    image = load("obama_2.jpg")
    cnn = DlibFaceEngine(detector="cnn", detect_width=320)
    (face,) = cnn.detect(image)
    (hog,) = engine.detect(image)
    overlap_x = min(face.box.right, hog.box.right) - max(face.box.left, hog.box.left)
    assert overlap_x > 0.5 * hog.box.width
    assert distance(cnn.embed(image, [face])[0], engine.embed(image, [hog])[0]) < 0.3
