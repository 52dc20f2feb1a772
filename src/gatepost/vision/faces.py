"""What a face engine finds and measures, the protocol engines implement, and the
quality gates that decide whether a face is good enough to enrol or to search.

Coordinates are pixels of the image as given (after EXIF orientation), ``right`` and
``bottom`` exclusive. Embeddings are float32 vectors compared by Euclidean distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gatepost.vision.images import RgbImage

__all__ = [
    "Embedding",
    "FaceBox",
    "FaceEngine",
    "FaceFinding",
    "FaceQuality",
    "QualityGates",
    "Point",
    "largest",
]

Embedding = npt.NDArray[np.float32]
Point = tuple[float, float]


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


@dataclass(frozen=True)
class FaceQuality:
    """Measurements of one detected face.

    ``size`` is the face box width in pixels; ``sharpness`` the variance of the
    Laplacian of the aligned grey chip (blur lowers it); ``pose`` a 0-1 frontal-ness
    from the landmarks (1 = eyes level and nose centred); ``score`` the detector's
    confidence (higher is surer).
    """

    size: int
    sharpness: float
    pose: float
    score: float

    def as_dict(self) -> dict[str, float]:
        return {
            "size": self.size,
            "sharpness": round(self.sharpness, 1),
            "pose": round(self.pose, 3),
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class FaceFinding:
    """A detected face: where, its landmarks and its quality, plus the engine's own
    alignment data (opaque to callers, handed back to :meth:`FaceEngine.embed`)."""

    box: FaceBox
    landmarks: tuple[Point, ...]
    quality: FaceQuality
    alignment: object = None


@dataclass(frozen=True)
class QualityGates:
    """Minimums a face must meet (enrolment is stricter than recognition)."""

    min_size: int = 80
    min_sharpness: float = 40.0
    min_pose: float = 0.5

    def problems(self, quality: FaceQuality) -> list[str]:
        found = []
        if quality.size < self.min_size:
            found.append(
                f"the face is too small ({quality.size} px wide, at least {self.min_size} needed)"
            )
        if quality.sharpness < self.min_sharpness:
            found.append("the face is blurred")
        if quality.pose < self.min_pose:
            found.append("the face is turned or tilted too far from the camera")
        return found


class FaceEngine(Protocol):
    """Detect faces and embed them; implementations must be safe to call from threads."""

    @property
    def model(self) -> str:
        """A stable name of the embedding model; templates of different models never mix."""

    @property
    def dim(self) -> int: ...

    def detect(self, image: RgbImage) -> list[FaceFinding]:
        """Faces in the image, most confident first."""

    def embed(self, image: RgbImage, faces: Sequence[FaceFinding]) -> list[Embedding]:
        """One embedding per face, in order."""


def largest(faces: Sequence[FaceFinding]) -> FaceFinding | None:
    """The face nearest the camera (widest box), the one a door camera should act on."""
    return max(faces, key=lambda f: f.box.width * f.box.height, default=None)


def frontal_pose(left_eye: Point, right_eye: Point, nose: Point) -> float:
    """0-1 from three landmarks: 1 when the eyes are level and the nose is centred."""
    (lx, ly), (rx, ry), (nx, _ny) = left_eye, right_eye, nose
    eye_distance = math.hypot(rx - lx, ry - ly)
    if eye_distance < 1e-6:
        return 0.0
    roll = abs(math.degrees(math.atan2(ry - ly, rx - lx)))
    roll = min(roll, 180 - roll)
    centre = (lx + rx) / 2
    yaw = abs(nx - centre) / eye_distance  # 0 centred, ~0.5 at a strong profile
    return max(0.0, 1.0 - roll / 45.0) * max(0.0, 1.0 - yaw / 0.6)
