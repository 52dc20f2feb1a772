"""A rendered plate placed in a plausible camera frame, with the camera's faults.

Owns the scene half of the synthetic plate generator (the plate half is
:mod:`gatepost.vision.synthetic_plates`): a car-park background, a car front built
around the plate, a perspective view of both (yaw and pitch up to 25 degrees, a small
roll), and the degradations a gate camera adds: uneven lighting with a shadow band,
brightness, contrast and gamma, Gaussian or motion blur, sensor noise and JPEG
artefacts. Everything is drawn from the ``numpy.random.Generator`` passed in, so one
seed gives the same pixels every time. Test and benchmark material only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from gatepost.vision.images import RgbImage

__all__ = [
    "Point",
    "SceneStyle",
    "SyntheticFrame",
    "as_rng",
    "gaussian_blur",
    "motion_blur",
    "render_scene",
    "scene_set",
    "sensor_noise",
]

Point = tuple[float, float]
_Float = npt.NDArray[np.float32]

_CAR_COLOURS = (
    (235, 235, 232),
    (30, 30, 34),
    (150, 152, 156),
    (95, 98, 104),
    (160, 25, 30),
    (25, 50, 120),
    (200, 200, 205),
    (70, 40, 30),
)


@dataclass(frozen=True)
class SyntheticFrame:
    """A frame with one plate: ``corners`` clockwise from the plate's top-left, in
    frame pixels; ``box`` is ``(x1, y1, x2, y2)`` around them, clipped to the frame."""

    image: RgbImage
    corners: tuple[Point, Point, Point, Point]
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class SceneStyle:
    """How hard the view is; switch a degradation off to see what it alone does.
    The random draws are the same whatever is switched off."""

    max_yaw_deg: float = 25.0
    max_pitch_deg: float = 25.0
    max_roll_deg: float = 5.0
    lighting: bool = True
    blur: bool = True
    noise: bool = True
    jpeg_quality: tuple[int, int] | None = (40, 95)


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """The generator itself, or a new one seeded with the int (``None``: seed 0)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


def gaussian_blur(image: RgbImage, sigma: float) -> RgbImage:
    """Defocus: a Gaussian of ``sigma`` pixels."""
    out: RgbImage = np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)
    return out


def motion_blur(image: RgbImage, length: int, angle_deg: float) -> RgbImage:
    """A straight streak ``length`` pixels long at ``angle_deg`` (0 is horizontal)."""
    size = max(1, length) | 1
    kernel = np.zeros((size, size), dtype=np.float32)
    kernel[size // 2, :] = 1.0
    turn = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle_deg, 1.0)
    kernel = np.asarray(cv2.warpAffine(kernel, turn, (size, size)), dtype=np.float32)
    kernel /= max(float(kernel.sum()), 1e-6)
    out: RgbImage = np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.uint8)
    return out


def sensor_noise(image: RgbImage, sigma: float, rng: np.random.Generator) -> RgbImage:
    """Gaussian read noise of ``sigma`` grey levels per channel, plus a little
    brightness-dependent shot noise."""
    pixels = image.astype(np.float32)
    spread = sigma * (0.6 + 0.4 * pixels / 255.0)
    pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * spread
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _vertical_gradient(
    height: int,
    width: int,
    top: npt.NDArray[np.floating[Any]],
    bottom: npt.NDArray[np.floating[Any]],
) -> _Float:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = top[None, None, :] * (1 - t) + bottom[None, None, :] * t
    return np.repeat(column, width, axis=1).astype(np.float32)


def _blotches(
    height: int, width: int, cell: int, amplitude: float, rng: np.random.Generator
) -> _Float:
    """Low-frequency light and dirt: a coarse random grid smoothly enlarged."""
    coarse = rng.standard_normal((max(2, height // cell), max(2, width // cell)), dtype=np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(smooth, dtype=np.float32)[:, :, None] * amplitude


def _muted(rng: np.random.Generator, low: float, high: float, tint: float) -> _Float:
    """A colour near grey: a level between ``low`` and ``high``, tinted a little."""
    colour = rng.uniform(low, high) + rng.uniform(-tint, tint, 3)
    return np.clip(colour, 0, 255).astype(np.float32)


def _background(width: int, height: int, ground_at: float, rng: np.random.Generator) -> _Float:
    """Wall or sky above a horizon, asphalt below, parked shapes and painted lines;
    the horizon stays above ``ground_at`` so the car stands on the ground."""
    horizon = int(np.clip(min(height * rng.uniform(0.25, 0.55), ground_at - 12), 0, height - 1))
    upper, ground = _muted(rng, 70, 200, 30), _muted(rng, 50, 120, 8)
    scene = np.empty((height, width, 3), dtype=np.float32)
    scene[:horizon] = _vertical_gradient(horizon, width, upper * 1.1, upper * 0.8)
    scene[horizon:] = _vertical_gradient(height - horizon, width, ground * 0.8, ground * 1.15)
    for _ in range(int(rng.integers(3, 9))):  # pillars, other cars, doors
        x1, y1 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (
            int(rng.integers(width // 20, width // 3)),
            int(rng.integers(height // 10, height // 2)),
        )
        cv2.rectangle(scene, (x1, y1), (x1 + w, y1 + h), _muted(rng, 25, 220, 35).tolist(), -1)
    for _ in range(int(rng.integers(1, 4))):  # parking bay lines
        x1, x2 = int(rng.integers(0, width)), int(rng.integers(0, width))
        thickness = int(rng.integers(3, 9))
        cv2.line(scene, (x1, horizon), (x2, height), (215, 215, 205), thickness, cv2.LINE_AA)
    scene += _blotches(height, width, 90, 7.0, rng) + _blotches(height, width, 6, 3.0, rng)
    scene += rng.standard_normal((height, width, 1), dtype=np.float32) * 3.0
    return scene


def _car_front(
    plate: RgbImage, rng: np.random.Generator
) -> tuple[RgbImage, _Float, tuple[int, int]]:
    """A car front drawn around the plate, in the plate's own pixel units: the picture,
    its coverage (0-1) and where the plate's top-left sits in it."""
    ph, pw = plate.shape[:2]
    width, height = int(pw * 4.2), int(ph * 7.0)
    ox, oy = (width - pw) // 2, int(ph * 4.4)
    body = np.array(_CAR_COLOURS[int(rng.integers(len(_CAR_COLOURS)))], dtype=np.float32)
    body = np.clip(body + rng.uniform(-12, 12, 3), 0, 255).astype(np.float32)
    car = _vertical_gradient(height, width, body * 1.12, body * 0.85)
    cover = np.zeros((height, width), dtype=np.float32)
    roof, hood = int(1.7 * ph), int(2.5 * ph)
    outline = [(0.12, 0), (0.88, 0), (0.98, roof), (1.0, hood), (1.0, height), (0.0, height)]
    outline += [(0.0, hood), (0.02, roof)]
    silhouette = np.array([(int(x * width), y) for x, y in outline], dtype=np.int32)
    cv2.fillPoly(cover, [silhouette], 1.0, cv2.LINE_AA)
    glass = [(0.16, ph // 8), (0.84, ph // 8), (0.93, roof - ph // 8), (0.07, roof - ph // 8)]
    glass_px = np.array([(int(x * width), y) for x, y in glass], dtype=np.int32)
    cv2.fillPoly(car, [glass_px], _muted(rng, 25, 70, 10).tolist(), cv2.LINE_AA)
    glint = rng.uniform(0.25, 0.6) * width
    glint_px = [(int(glint), ph // 8), (int(glint + 0.08 * width), ph // 8)]
    glint_px += [
        (int(glint - 0.05 * width), roof - ph // 8),
        (int(glint - 0.12 * width), roof - ph // 8),
    ]
    cv2.fillPoly(car, [np.array(glint_px, dtype=np.int32)], _muted(rng, 80, 130, 5).tolist())
    trim = (body * rng.uniform(0.35, 0.7)).tolist()
    bumper_top, bumper_bottom = oy - int(0.7 * ph), oy + int(1.9 * ph)
    cv2.rectangle(car, (0, bumper_top), (width, bumper_bottom), (body * 0.92).tolist(), -1)
    cv2.line(car, (0, bumper_top), (width, bumper_top), (body * 1.2).tolist(), max(2, ph // 20))
    cv2.line(car, (0, hood), (width, hood), (body * 0.7).tolist(), max(1, ph // 25))
    grille = (int(width * 0.28), hood + ph // 3, int(width * 0.72), bumper_top - ph // 5)
    cv2.rectangle(car, grille[:2], grille[2:], trim, -1)
    for y in range(grille[1] + ph // 6, grille[3], max(4, ph // 6)):
        cv2.line(car, (grille[0], y), (grille[2], y), (body * 0.25).tolist(), max(1, ph // 25))
    lamp = (210.0, 212.0, 215.0)
    for cx in (width * 0.13, width * 0.87):
        center, axes = (int(cx), hood + int(0.7 * ph)), (int(width * 0.1), int(ph * 0.4))
        cv2.ellipse(car, center, axes, 0, 0, 360, lamp, -1, cv2.LINE_AA)
        cv2.ellipse(car, center, (axes[0] // 2, axes[1] // 2), 0, 0, 360, (250.0,) * 3, -1)
    intake = (int(width * 0.3), oy + int(1.25 * ph), int(width * 0.7), oy + int(1.7 * ph))
    cv2.rectangle(car, intake[:2], intake[2:], trim, -1)
    cv2.rectangle(car, (0, bumper_bottom), (width, height), (22.0,) * 3, -1)  # underbody
    for x1, x2 in ((0.03, 0.2), (0.8, 0.97)):  # tyres
        cv2.rectangle(
            car, (int(x1 * width), bumper_bottom), (int(x2 * width), height), (8.0,) * 3, -1
        )
    rim = max(2, ph // 14)
    cv2.rectangle(car, (ox - rim, oy - rim), (ox + pw + rim, oy + ph + rim), (20.0,) * 3, -1)
    car += _blotches(height, width, max(8, ph // 2), 3.0, rng)
    car[oy : oy + ph, ox : ox + pw] = plate
    return np.clip(car, 0, 255).astype(np.uint8), cover, (ox, oy)


def _shrunk(image: npt.NDArray[Any], factor: float) -> npt.NDArray[Any]:
    small: npt.NDArray[Any] = cv2.resize(
        image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA
    )
    return small


def _rotation(yaw: float, pitch: float, roll: float) -> npt.NDArray[np.float64]:
    cy, sy, cp, sp, cr, sr = (
        f(math.radians(a)) for a in (yaw, pitch, roll) for f in (math.cos, math.sin)
    )
    about_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    about_x = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    about_z = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    turn: npt.NDArray[np.float64] = about_z @ about_x @ about_y
    return turn


def _project(
    corners: npt.NDArray[np.float64], rotation: npt.NDArray[np.float64], focal: float
) -> npt.NDArray[np.float64]:
    """Pinhole view of plate-centred points on the z=0 plane, ``focal`` away."""
    points = np.column_stack([corners, np.zeros(len(corners))]) @ rotation.T
    flat: npt.NDArray[np.float64] = points[:, :2] * focal / (focal + points[:, 2:3])
    return flat


def _light(image: _Float, rng: np.random.Generator) -> _Float:
    """A lighting ramp across the frame and one soft shadow band at a random angle."""
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp_angle = rng.uniform(0, 2 * math.pi)
    ramp = (xs * math.cos(ramp_angle) + ys * math.sin(ramp_angle)) / max(width, height)
    gain = 1.0 + rng.uniform(0.1, 0.35) * (ramp - float(ramp.mean()))
    band_angle = rng.uniform(0, math.pi)
    across = xs * math.cos(band_angle) + ys * math.sin(band_angle)
    centre = rng.uniform(float(across.min()), float(across.max()))
    half, soft = rng.uniform(0.05, 0.25) * width, rng.uniform(5, 40)
    inside = np.clip((half - np.abs(across - centre)) / soft + 0.5, 0.0, 1.0)
    gain *= 1.0 - rng.uniform(0.2, 0.5) * inside
    out: _Float = (image * gain[:, :, None]).astype(np.float32)
    return out


def render_scene(
    plate: Image.Image | RgbImage,
    *,
    size: tuple[int, int] = (1280, 720),
    rng: np.random.Generator | int,
    plate_width_range: tuple[int, int] = (120, 320),
    style: SceneStyle | None = None,
) -> SyntheticFrame:
    """``plate`` on a car in a ``size`` (width, height) frame, seen at an angle, with
    the plate's on-screen width drawn from ``plate_width_range`` (pixels)."""
    style = style or SceneStyle()
    gen = as_rng(rng)
    width, height = size
    low, high = plate_width_range
    if not 8 <= low <= high <= width - 16:
        raise ValueError(f"plate_width_range {plate_width_range} does not fit a {width}px frame")
    pixels = np.asarray(
        plate.convert("RGB") if isinstance(plate, Image.Image) else plate, dtype=np.uint8
    )
    target_width = gen.uniform(low, high)
    yaw, pitch, roll = (
        gen.uniform(-m, m) for m in (style.max_yaw_deg, style.max_pitch_deg, style.max_roll_deg)
    )
    car, car_cover, (ox, oy) = _car_front(pixels, gen)
    ph, pw = pixels.shape[:2]
    shrink = min(1.0, 1.6 * target_width / pw)  # pre-shrink so warping does not alias
    if shrink < 1.0:
        car = np.asarray(_shrunk(car, shrink), dtype=np.uint8)
        car_cover = np.asarray(_shrunk(car_cover, shrink), dtype=np.float32)
    half = np.array([[-pw, -ph], [pw, -ph], [pw, ph], [-pw, ph]], dtype=np.float64) / 2
    view = _project(half, _rotation(yaw, pitch, roll), focal=3.0 * car.shape[1] / shrink)
    view *= target_width / float(np.ptp(view[:, 0]))
    margin = 4.0
    low_x, high_x = margin - view[:, 0].min(), width - margin - view[:, 0].max()
    low_y, high_y = margin - view[:, 1].min(), height - margin - view[:, 1].max()
    if low_x > high_x or low_y > high_y:
        raise ValueError(f"a plate {target_width:.0f}px wide does not fit a {width}x{height} frame")
    where = gen.beta(2.0, 2.0, 2)  # mostly towards the middle, sometimes at an edge
    corners = view + [low_x + (high_x - low_x) * where[0], low_y + (high_y - low_y) * where[1]]
    source = (half + [ox + pw / 2, oy + ph / 2]) * shrink
    homography = cv2.getPerspectiveTransform(source.astype(np.float32), corners.astype(np.float32))
    wheels = np.array([[[0, car.shape[0]], [car.shape[1], car.shape[0]]]], dtype=np.float32)
    ground_at = float(cv2.perspectiveTransform(wheels, homography)[0, :, 1].max())
    scene = _background(width, height, ground_at, gen)
    warped = cv2.warpPerspective(car, homography, (width, height), flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(car_cover, homography, (width, height), flags=cv2.INTER_LINEAR)
    alpha = np.asarray(cover, dtype=np.float32)[:, :, None]
    scene = scene * (1 - alpha) + np.asarray(warped, dtype=np.float32) * alpha
    lit = _light(scene, gen)
    gamma, contrast, brightness = (
        gen.uniform(0.7, 1.4),
        gen.uniform(0.75, 1.2),
        gen.uniform(-25, 25),
    )
    if style.lighting:
        scene = (np.clip(lit, 0, 255) / 255.0) ** gamma * 255.0 * contrast + brightness
    image = np.clip(scene, 0, 255).astype(np.uint8)
    use_motion, sigma = gen.random() < 0.4, gen.uniform(0.3, 0.5 + target_width / 400)
    length, angle = int(gen.integers(3, max(4, int(target_width / 40)) + 1)), gen.uniform(0, 180)
    if style.blur:
        image = motion_blur(image, length, angle) if use_motion else gaussian_blur(image, sigma)
    noise_sigma = gen.uniform(1.5, 7.0)
    if style.noise:
        image = sensor_noise(image, noise_sigma, gen)
    if style.jpeg_quality is not None:
        quality = int(gen.integers(style.jpeg_quality[0], style.jpeg_quality[1] + 1))
        image = _jpeg(image, quality)
    points = tuple((float(x), float(y)) for x, y in corners)
    box = (
        max(0, math.floor(corners[:, 0].min())),
        max(0, math.floor(corners[:, 1].min())),
        min(width, math.ceil(corners[:, 0].max())),
        min(height, math.ceil(corners[:, 1].max())),
    )
    return SyntheticFrame(
        image=image, corners=(points[0], points[1], points[2], points[3]), box=box
    )


def _jpeg(image: RgbImage, quality: int) -> RgbImage:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if not ok or decoded is None:  # pragma: no cover - a uint8 RGB image always round-trips
        raise RuntimeError("JPEG round trip failed")
    out: RgbImage = np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return out


Choice = TypeVar("Choice")


def scene_set(
    count: int,
    seed: int,
    choices: Sequence[Choice],
    draw: Callable[[Choice, np.random.Generator], tuple[str, Image.Image]],
    *,
    size: tuple[int, int],
    plate_width_range: tuple[int, int],
    style: SceneStyle | None,
) -> Iterator[tuple[str, Choice, SyntheticFrame]]:
    """``count`` labelled frames ``(label, choice, frame)``, the choices (plate kinds,
    formats) taken in turn; ``draw`` gives a choice's label and plate. Item ``i``
    depends only on ``(seed, i)``, so any one can be rebuilt alone and sets of two
    seeds differ."""
    for i in range(count):
        choice = choices[i % len(choices)]
        rng = np.random.default_rng([seed, i])
        label, plate = draw(choice, rng)
        frame = render_scene(
            plate, size=size, rng=rng, plate_width_range=plate_width_range, style=style
        )
        yield label, choice, frame
