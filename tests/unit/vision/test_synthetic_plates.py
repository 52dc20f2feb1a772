"""The synthetic plate generator: text rules, plate looks, scene geometry, determinism."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from gatepost.domain.plates import CN_PROVINCES as PROVINCES  # the generator's provinces
from gatepost.vision import synthetic_plates, synthetic_scene
from gatepost.vision.synthetic_plates import (
    CJK_FONT,
    CJK_FONT_PACKAGE,
    FontMissing,
    PlateKind,
    display_text,
    random_plate_text,
    render_plate,
    synthetic_set,
)
from gatepost.vision.synthetic_scene import (
    SceneStyle,
    SyntheticFrame,
    gaussian_blur,
    motion_blur,
    render_scene,
    sensor_noise,
)
from tests.support.services import missing


@pytest.fixture(autouse=True)
def _font() -> None:
    """Skip without the CJK font, or fail under CI (scripts/install-system-deps.sh)."""
    if not CJK_FONT.is_file():
        missing(f"the {CJK_FONT_PACKAGE} font")


_PROVINCE = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
_CN = _PROVINCE + "[A-HJ-NP-Z]"
RULES = {
    PlateKind.CN_BLUE: _CN + "[A-HJ-NP-Z0-9]{5}",
    PlateKind.CN_YELLOW: _CN + "[A-HJ-NP-Z0-9]{5}",
    PlateKind.CN_GREEN: _CN + "[DF][0-9]{5}",
    PlateKind.CN_POLICE: _CN + "[0-9]{4}警",
    PlateKind.CN_COACH: _CN + "[0-9]{4}学",
    PlateKind.CN_TRAILER: _CN + "[0-9]{4}挂",
    PlateKind.EU: "[A-Z]{2,5}[1-9][0-9]{0,3}",
    PlateKind.BR_MERCOSUL: "[A-Z]{3}[0-9][A-Z][0-9]{2}",
    PlateKind.BR_OLD: "[A-Z]{3}[0-9]{4}",
    PlateKind.US: "[A-Z]{3}[0-9]{4}|[0-9][A-Z]{3}[0-9]{3}",
}
ASPECT = {
    PlateKind.CN_BLUE: 440 / 140,
    PlateKind.CN_YELLOW: 440 / 140,
    PlateKind.CN_POLICE: 440 / 140,
    PlateKind.CN_COACH: 440 / 140,
    PlateKind.CN_TRAILER: 440 / 140,
    PlateKind.CN_GREEN: 480 / 140,
    PlateKind.EU: 4.7,
    PlateKind.BR_MERCOSUL: 400 / 130,
    PlateKind.BR_OLD: 400 / 130,
    PlateKind.US: 2.0,
}
SIZE, WIDTHS = (480, 320), (60, 160)  # small frames keep the tests fast
CLEAN = SceneStyle(lighting=False, blur=False, noise=False, jpeg_quality=None)


def _rgb(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    return np.asarray(image, dtype=np.int32)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean())


def test_public_names_are_sorted_and_exist() -> None:
    for module in (synthetic_plates, synthetic_scene):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)


def test_every_kind_has_a_rule() -> None:
    assert set(RULES) == set(PlateKind) == set(ASPECT)
    assert set(PROVINCES) == set(_PROVINCE.strip("[]")) and len(PROVINCES) == 31


@pytest.mark.parametrize("kind", list(PlateKind))
def test_texts_follow_the_rules_of_their_kind(kind: PlateKind) -> None:
    rng = np.random.default_rng(1)
    texts = [random_plate_text(kind, rng) for _ in range(300)]
    for text in texts:
        assert re.fullmatch(RULES[kind], text), text
        assert text == text.upper() and not set(" -·") & set(text)
    if kind is PlateKind.EU:
        assert max(map(len, texts)) <= 8
    assert len(set(texts)) > 250  # varied, not one text over and over


def test_chinese_serials_never_use_i_or_o() -> None:
    rng = np.random.default_rng(2)
    serials = "".join(random_plate_text(PlateKind.CN_BLUE, rng)[1:] for _ in range(2000))
    assert "I" not in serials and "O" not in serials
    assert set("ABCDEFGHJKLMNPQRSTUVWXYZ") <= set(serials)  # letters do appear


def test_text_is_deterministic_given_seed() -> None:
    for kind in PlateKind:
        assert random_plate_text(kind, 7) == random_plate_text(kind, np.random.default_rng(7))
    assert len({random_plate_text(PlateKind.CN_BLUE, seed) for seed in range(20)}) > 15
    assert PlateKind.CN_TRAILER.chinese and not PlateKind.BR_OLD.chinese


@pytest.mark.parametrize(
    ("text", "kind", "shown"),
    [
        ("京A12345", PlateKind.CN_BLUE, "京A·12345"),
        ("粤BD12345", PlateKind.CN_GREEN, "粤B·D12345"),
        ("ABCD1234", PlateKind.EU, "AB CD 1234"),
        ("M AB 12", PlateKind.EU, "M AB 12"),
        ("ABC1234", PlateKind.BR_OLD, "ABC-1234"),
        ("BRA2E19", PlateKind.BR_MERCOSUL, "BRA2E19"),
        ("ABC1234", PlateKind.US, "ABC 1234"),
        ("1ABC234", PlateKind.US, "1ABC234"),
    ],
)
def test_display_text_groups_like_the_plate(text: str, kind: PlateKind, shown: str) -> None:
    assert display_text(text, kind) == shown


@pytest.mark.parametrize("kind", list(PlateKind))
def test_plate_has_the_real_proportions(kind: PlateKind) -> None:
    text = random_plate_text(kind, 3)
    for height in (140, 64):
        image = render_plate(text, kind, height=height)
        assert image.mode == "RGB" and image.height == height
        assert image.width / image.height == pytest.approx(ASPECT[kind], rel=0.02)


def test_plate_colours_per_kind() -> None:
    def looks(kind: PlateKind) -> np.ndarray:
        return _rgb(render_plate(random_plate_text(kind, 4), kind, rng=4))

    blue = looks(PlateKind.CN_BLUE)
    r, g, b = blue[..., 0], blue[..., 1], blue[..., 2]
    assert _share((b > r + 80) & (b > g + 50)) > 0.55
    assert _share((r > 200) & (g > 200) & (b > 200)) > 0.1  # white characters
    for kind in (PlateKind.CN_YELLOW, PlateKind.CN_COACH, PlateKind.CN_TRAILER):
        yellow = looks(kind)
        r, g, b = yellow[..., 0], yellow[..., 1], yellow[..., 2]
        assert _share((r > 190) & (g > 140) & (b < 90)) > 0.55, kind
        assert _share(yellow.max(axis=2) < 80) > 0.1, kind  # black characters
    green = looks(PlateKind.CN_GREEN)
    top, bottom = green[: green.shape[0] // 5], green[-green.shape[0] // 5 :]
    assert top.mean() > bottom.mean() + 40  # whiter at the top
    bottom_r, bottom_g, bottom_b = (bottom[..., i].mean() for i in range(3))
    assert bottom_g > bottom_r + 60 and bottom_g > bottom_b + 40
    for kind in (PlateKind.CN_POLICE, PlateKind.US, PlateKind.BR_MERCOSUL, PlateKind.EU):
        white = looks(kind)
        assert _share(white.min(axis=2) > 200) > 0.5, kind
    eu = looks(PlateKind.EU)
    band = eu[:, : eu.shape[1] * 7 // 100]
    assert _share(band[..., 2] > band[..., 0] + 80) > 0.6  # the blue band at the left
    grey = looks(PlateKind.BR_OLD)
    spread = grey.max(axis=2) - grey.min(axis=2)
    assert _share((grey.mean(axis=2) > 160) & (spread < 25)) > 0.5


def test_police_plate_has_red_only_in_the_last_character() -> None:
    image = _rgb(render_plate("京A1234警", PlateKind.CN_POLICE))
    red = (image[..., 0] > 150) & (image[..., 1] < 80) & (image[..., 2] < 80)
    ys, xs = np.nonzero(red)
    assert len(xs) > 300
    assert xs.min() > image.shape[1] * 0.8
    plain = _rgb(render_plate("京A12345", PlateKind.CN_BLUE))
    assert not ((plain[..., 0] > 150) & (plain[..., 1] < 80) & (plain[..., 2] < 80)).any()


def test_chinese_plate_has_the_gap_and_dot_after_the_second_character() -> None:
    image = _rgb(render_plate("京A88888", PlateKind.CN_BLUE))
    ink = image.min(axis=2) > 200  # white ink on blue
    columns = ink[40:100, 10:-10].any(axis=0)  # characters' middle rows, inside the border
    runs, start = [], None
    for x, on in enumerate(np.append(columns, False)):
        if on and start is None:
            start = x
        elif not on and start is not None:
            runs.append((start, x))
            start = None
    assert len(runs) == 8  # seven characters and the dot
    centres = [(a + b) / 2 for a, b in runs]
    dot, chars = centres[2], centres[:2] + centres[3:]
    assert runs[2][1] - runs[2][0] < 15  # the dot is small
    assert chars[1] + 25 < dot < chars[2] - 25  # in the middle of the wide gap
    pitches = np.diff(chars)
    assert pitches[1] > 1.3 * max(pitches[0], *pitches[2:])  # 79 mm against 57 mm


def test_plate_rendering_is_deterministic() -> None:
    a = render_plate("苏E12345", PlateKind.CN_YELLOW, rng=5)
    b = render_plate("苏E12345", PlateKind.CN_YELLOW, rng=np.random.default_rng(5))
    assert a.tobytes() == b.tobytes()
    plain = render_plate("苏E12345", PlateKind.CN_YELLOW)
    assert plain.tobytes() == render_plate("苏E12345", PlateKind.CN_YELLOW).tobytes()
    assert plain.tobytes() != a.tobytes()


def test_plate_refuses_text_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="7 characters"):
        render_plate("京A1234", PlateKind.CN_BLUE)
    with pytest.raises(ValueError, match="8 characters"):
        render_plate("京A12345", PlateKind.CN_GREEN)


def test_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    missing = tmp_path / "fonts" / "wqy-zenhei.ttc"
    with pytest.raises(FontMissing) as caught:
        render_plate("京A12345", PlateKind.CN_BLUE, font_path=missing)
    assert "fonts-wqy-zenhei" in str(caught.value) and str(missing) in str(caught.value)
    assert caught.value.package == "fonts-wqy-zenhei" and caught.value.path == missing
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    with pytest.raises(FontMissing):
        render_plate("京A12345", PlateKind.CN_BLUE, font_path=broken)


def _frame(
    seed: int, kind: PlateKind = PlateKind.CN_BLUE, style: SceneStyle | None = None
) -> SyntheticFrame:
    plate = render_plate(random_plate_text(kind, seed), kind, rng=seed)
    return render_scene(plate, rng=seed, size=SIZE, plate_width_range=WIDTHS, style=style)


def test_scene_is_deterministic_given_seed() -> None:
    a, b = _frame(11), _frame(11)
    assert np.array_equal(a.image, b.image) and a.corners == b.corners and a.box == b.box
    assert not np.array_equal(a.image, _frame(12).image)


@pytest.mark.parametrize("seed", range(6))
def test_scene_corners_lie_in_the_frame_and_the_box_holds_them(seed: int) -> None:
    frame = _frame(seed, list(PlateKind)[seed])
    height, width = frame.image.shape[:2]
    assert frame.image.dtype == np.uint8 and frame.image.shape == (320, 480, 3)
    corners = np.array(frame.corners)
    assert corners.shape == (4, 2)
    assert (corners >= 0).all() and (corners[:, 0] < width).all() and (corners[:, 1] < height).all()
    x1, y1, x2, y2 = frame.box
    assert x1 <= corners[:, 0].min() and corners[:, 0].max() <= x2
    assert y1 <= corners[:, 1].min() and corners[:, 1].max() <= y2
    assert 59 <= np.ptp(corners[:, 0]) <= 161  # the plate width drawn from the range
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = frame.corners
    assert tlx < trx and blx < brx and tly < bly and try_ < bry  # clockwise from top-left


def test_scene_corners_outline_the_plate() -> None:
    plate = render_plate("浙A12345", PlateKind.CN_BLUE)
    frame = render_scene(plate, rng=21, size=SIZE, plate_width_range=WIDTHS, style=CLEAN)
    target = np.float32([[0, 0], [220, 0], [220, 70], [0, 70]])
    back = cv2.getPerspectiveTransform(np.float32(frame.corners), target)
    seen = cv2.warpPerspective(frame.image, back, (220, 70)).astype(np.float32)
    truth = cv2.resize(np.asarray(plate), (220, 70), interpolation=cv2.INTER_AREA)
    inner = (slice(4, -4), slice(4, -4))
    assert np.abs(seen[inner] - truth[inner]).mean() < 18
    shifted = np.roll(truth, 12, axis=1)
    assert np.abs(seen[inner] - shifted[inner]).mean() > 30


def test_each_degradation_changes_pixels() -> None:
    clean = _frame(31, style=CLEAN).image
    for style in (
        SceneStyle(lighting=True, blur=False, noise=False, jpeg_quality=None),
        SceneStyle(lighting=False, blur=True, noise=False, jpeg_quality=None),
        SceneStyle(lighting=False, blur=False, noise=True, jpeg_quality=None),
        SceneStyle(lighting=False, blur=False, noise=False, jpeg_quality=(40, 40)),
    ):
        changed = _frame(31, style=style).image
        assert np.abs(changed.astype(np.int32) - clean).mean() > 0.5, style


def test_blur_and_noise_functions() -> None:
    tiles = np.indices((64, 64)).sum(axis=0) // 4 % 2 * 255
    checker = np.repeat(tiles[:, :, None], 3, axis=2).astype(np.uint8)
    for blurred in (gaussian_blur(checker, 1.5), motion_blur(checker, 7, 30.0)):
        assert blurred.shape == checker.shape and blurred.dtype == np.uint8
        assert blurred.std() < checker.std() * 0.9
    flat = np.full((64, 64, 3), 128, dtype=np.uint8)
    noisy = sensor_noise(flat, 6.0, np.random.default_rng(0))
    assert 4.0 < noisy.astype(np.float64).std() < 7.0
    assert np.array_equal(noisy, sensor_noise(flat, 6.0, np.random.default_rng(0)))


def test_scene_refuses_a_plate_wider_than_the_frame() -> None:
    plate = render_plate("京A12345", PlateKind.CN_BLUE)
    with pytest.raises(ValueError, match="does not fit"):
        render_scene(plate, size=(200, 100), rng=0, plate_width_range=(120, 320))


def test_synthetic_set_takes_kinds_in_turn_and_is_reproducible() -> None:
    kinds = [PlateKind.CN_GREEN, PlateKind.BR_MERCOSUL, PlateKind.CN_POLICE]
    first = list(synthetic_set(kinds, 4, seed=3, size=SIZE, plate_width_range=WIDTHS))
    again = list(synthetic_set(kinds, 4, seed=3, size=SIZE, plate_width_range=WIDTHS))
    assert [kind for _, kind, _ in first] == [*kinds, kinds[0]]
    for (text, kind, frame), (text2, _, frame2) in zip(first, again, strict=True):
        assert re.fullmatch(RULES[kind], text) and text == text2
        assert np.array_equal(frame.image, frame2.image)
    other = next(synthetic_set(kinds, 1, seed=4, size=SIZE, plate_width_range=WIDTHS))
    assert other[0] != first[0][0]
