"""The default face engine: dlib's HOG detector, 5-point alignment and ResNet embedding.

Models come from the ``face-recognition-models`` package (dlib's published weights);
nothing is downloaded. The pipeline is built for one CPU core at a door:

1. detect on a grey copy scaled down to ``detect_width`` (HOG cost grows with pixels;
   a 640-pixel-wide frame keeps faces of ~80 px and up);
2. 5 landmarks on the *full-resolution* image inside the scaled-back box;
3. a 150x150 face chip aligned from those landmarks (padding 0.25, as the model was
   trained), its sharpness measured on the chip;
4. the 128-d ResNet descriptor of the chip, no jitter: by default dlib's network
   rebuilt for onnxruntime (:mod:`gatepost.vision.dlib_onnx`, same numbers to float32
   rounding, ~20x cheaper on one core); ``descriptor="dlib"`` runs dlib's own
   ``compute_face_descriptor`` instead (the reference).

The CNN detector is more robust to pose but far too slow for a CPU; it is not used.
dlib objects are not documented as thread-safe, so dlib calls go through one lock;
the onnxruntime session is thread-safe and releases the GIL, so it runs outside it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import cv2
import dlib
import numpy as np

from gatepost.vision.calibration import DLIB_RESNET, threshold_for
from gatepost.vision.dlib_onnx import OnnxDescriptor
from gatepost.vision.faces import (
    Embedding,
    FaceBox,
    FaceFinding,
    FaceQuality,
    Point,
    frontal_pose,
)
from gatepost.vision.images import RgbImage

__all__ = [
    "model_file",
    "DEFAULT_FMR",
    "DEFAULT_THRESHOLD",
    "DescriptorBackend",
    "DlibFaceEngine",
    "MODEL",
]

MODEL = DLIB_RESNET
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def model_file(name: str) -> Path:
    """A model file shipped by ``face-recognition-models``.

    Found without importing that package: its ``__init__`` imports ``pkg_resources``,
    which setuptools 82 and later no longer provide.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face-recognition-models package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise RuntimeError(f"face-recognition-models has no {name}")
    return path


DEFAULT_FMR = 1e-3
# Largest distance taken as the same person when no tenant policy applies (CLI, bench):
# the calibrated threshold for a false-match rate of 1e-3 (0.60, which is also dlib's
# training threshold, the loss layer's distance_threshold).
DEFAULT_THRESHOLD = threshold_for(MODEL, DEFAULT_FMR)

DescriptorBackend = Literal["onnx", "dlib"]
Detector = Literal["hog", "cnn"]


class DlibFaceEngine:
    """HOG + 5-point + ResNet, tuned for one core (see the module docstring)."""

    def __init__(
        self,
        *,
        detect_width: int = 640,
        upsample: int = 0,
        descriptor: DescriptorBackend = "onnx",
        onnx_threads: int = 1,
        detector: Detector = "hog",
    ) -> None:
        """``descriptor``: "onnx" (default) or "dlib" (the reference, ~20x slower);
        ``onnx_threads``: threads one onnxruntime call may use; ``detector``: "hog"
        (default) or "cnn" (dlib's MMOD CNN: better with turned faces, but about a second
        per 640-pixel frame on a CPU core, so for enrolment desks rather than doors)."""
        if detect_width < 160:
            raise ValueError("detect_width below 160 pixels misses most faces")
        self._detect_width = detect_width
        self._upsample = upsample
        self._lock = threading.Lock()
        if detector == "hog":
            self._detector: Any = dlib.get_frontal_face_detector()
        elif detector == "cnn":
            self._detector = dlib.cnn_face_detection_model_v1(
                str(model_file("mmod_human_face_detector.dat"))
            )
        else:
            raise ValueError(f"unknown detector {detector!r}")
        self._cnn = detector == "cnn"
        self._landmarks: Any = dlib.shape_predictor(
            str(model_file("shape_predictor_5_face_landmarks.dat"))
        )
        net_path = model_file("dlib_face_recognition_resnet_model_v1.dat")
        self._onnx: OnnxDescriptor | None = None
        self._net: Any = None
        if descriptor == "onnx":
            self._onnx = OnnxDescriptor(net_path, intra_op_threads=onnx_threads)
        elif descriptor == "dlib":
            self._net = dlib.face_recognition_model_v1(str(net_path))
        else:
            raise ValueError(f"unknown descriptor backend {descriptor!r}")

    @property
    def model(self) -> str:
        return MODEL

    @property
    def dim(self) -> int:
        return 128

    def detect(self, image: RgbImage) -> list[FaceFinding]:
        height, width = image.shape[:2]
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        scale = 1.0
        if width > self._detect_width:
            scale = width / self._detect_width
            grey = cv2.resize(
                grey,
                (self._detect_width, max(1, round(height / scale))),
                interpolation=cv2.INTER_AREA,
            )
        with self._lock:
            rects, scores = self._boxes(image, grey, scale)
            found = []
            for rect, score in zip(rects, scores, strict=True):
                box = FaceBox(
                    left=max(0, round(rect.left() * scale)),
                    top=max(0, round(rect.top() * scale)),
                    right=min(width, round((rect.right() + 1) * scale)),
                    bottom=min(height, round((rect.bottom() + 1) * scale)),
                )
                if box.width < 8 or box.height < 8:
                    continue
                shape = self._landmarks(
                    image, dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
                )
                chip = dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
                found.append(_finding(box, shape, chip, float(score)))
        found.sort(key=lambda f: f.quality.score, reverse=True)
        return found

    def _boxes(self, image: RgbImage, grey: Any, scale: float) -> tuple[list[Any], list[float]]:
        """Detector boxes in the coordinates of the (possibly downscaled) grey frame."""
        if not self._cnn:
            rects, scores, _ = self._detector.run(grey, self._upsample, 0.0)
            return list(rects), [float(x) for x in scores]
        small: Any = image
        if scale != 1.0:
            small = cv2.resize(image, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_AREA)
        found = self._detector(small, self._upsample)
        return [d.rect for d in found], [float(d.confidence) for d in found]

    def embed(self, image: RgbImage, faces: Sequence[FaceFinding]) -> list[Embedding]:
        chips = [_chip_of(face) for face in faces]
        if not chips:
            return []
        if self._onnx is not None:
            batch = self._onnx.compute(np.stack(chips))
            return [batch[i] for i in range(len(chips))]
        with self._lock:
            vectors = self._net.compute_face_descriptor(chips)
        return [np.asarray(v, dtype=np.float32) for v in vectors]


def _chip_of(face: FaceFinding) -> Any:
    if not isinstance(face.alignment, np.ndarray):
        raise ValueError("this face was not found by DlibFaceEngine")
    return face.alignment


def _finding(box: FaceBox, shape: Any, chip: Any, score: float) -> FaceFinding:
    points: tuple[Point, ...] = tuple(
        (float(shape.part(i).x), float(shape.part(i).y)) for i in range(shape.num_parts)
    )
    eye_a = ((points[0][0] + points[1][0]) / 2, (points[0][1] + points[1][1]) / 2)
    eye_b = ((points[2][0] + points[3][0]) / 2, (points[2][1] + points[3][1]) / 2)
    left_eye, right_eye = sorted((eye_a, eye_b))
    chip_array = np.asarray(chip)
    grey = cv2.cvtColor(chip_array, cv2.COLOR_RGB2GRAY)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    quality = FaceQuality(
        size=box.width,
        sharpness=sharpness,
        pose=frontal_pose(left_eye, right_eye, points[4]),
        score=score,
    )
    return FaceFinding(box=box, landmarks=points, quality=quality, alignment=chip_array)
