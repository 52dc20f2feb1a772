"""Which engine backends exist, and building the one the settings choose.

Each family has an explicit map from backend key (the ``type`` of its settings model in
``gatepost.settings``) to a :class:`FaceBackend` / :class:`PlateBackend`: the settings
model, the engine class's builder and, for faces, the name of the templates it makes.
No discovery and no subclass magic: a new backend is a module, a settings model added
to the union in ``gatepost.settings`` and one line here.

- ``faces.engine.type``: ``dlib`` (``gatepost.vision.dlib_faces``, the default) or
  ``fake`` (``gatepost.vision.fake_faces``);
- ``plates.reader.type``: ``rapidocr`` (``gatepost.vision.plate_reader``, the default)
  or ``fake`` (``gatepost.vision.fake_plates``).

The real backends' modules load dlib, onnxruntime and RapidOCR, so only their builders
import them, when called: choosing the fake engines loads none of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel

from gatepost.errors import ConfigError
from gatepost.settings import (
    DlibFaceEngineConfig,
    FaceEngineConfig,
    FakeFaceEngineConfig,
    FakePlateReaderConfig,
    PlateReaderConfig,
    RapidOcrPlateReaderConfig,
)
from gatepost.vision import fake_faces, fake_plates
from gatepost.vision.calibration import DLIB_RESNET
from gatepost.vision.faces import FaceEngine
from gatepost.vision.plates import PlateReader

__all__ = [
    "FACE_ENGINES",
    "FaceBackend",
    "PLATE_READERS",
    "PlateBackend",
    "build_face_engine",
    "build_plate_reader",
    "face_dim",
    "face_model",
]

ConfigT = TypeVar("ConfigT", bound=BaseModel)


@dataclass(frozen=True)
class FaceBackend(Generic[ConfigT]):
    """A face engine backend: its settings model, the template model name and embedding
    size it produces (known without building it) and how to build it from its settings."""

    config: type[ConfigT]
    model: str
    build: Callable[[ConfigT], FaceEngine]
    dim: int = 128


@dataclass(frozen=True)
class PlateBackend(Generic[ConfigT]):
    """A plate reader backend: its settings model and how to build it from them."""

    config: type[ConfigT]
    build: Callable[[ConfigT], PlateReader]


def _dlib_face_engine(config: DlibFaceEngineConfig) -> FaceEngine:
    from gatepost.vision.dlib_faces import DlibFaceEngine  # dlib, onnxruntime: only now

    return DlibFaceEngine(
        detect_width=config.detect_width,
        detector=config.detector,
        onnx_threads=config.onnx_threads,
    )


def _fake_face_engine(config: FakeFaceEngineConfig) -> FaceEngine:
    return fake_faces.FakeFaceEngine()


def _rapidocr_plate_reader(config: RapidOcrPlateReaderConfig) -> PlateReader:
    from gatepost.vision.plate_reader import RapidOcrPlateReader  # RapidOCR: only now

    return RapidOcrPlateReader(
        detect_side=config.detect_side,
        max_candidates=config.max_candidates,
        second_look_side=config.second_look_side,
        threads=config.threads,
        plate_detector=config.plate_detector,
        latin_model=config.latin_model,
    )


def _fake_plate_reader(config: FakePlateReaderConfig) -> PlateReader:
    return fake_plates.FakePlateReader()


FACE_ENGINES: Final[Mapping[str, FaceBackend[Any]]] = MappingProxyType(
    {
        "dlib": FaceBackend(DlibFaceEngineConfig, DLIB_RESNET, _dlib_face_engine),
        fake_faces.KEY: FaceBackend(
            FakeFaceEngineConfig, fake_faces.MODEL, _fake_face_engine, fake_faces.DIM
        ),
    }
)
"""Face engine backends by key (``faces.engine.type``)."""

PLATE_READERS: Final[Mapping[str, PlateBackend[Any]]] = MappingProxyType(
    {
        "rapidocr": PlateBackend(RapidOcrPlateReaderConfig, _rapidocr_plate_reader),
        fake_plates.KEY: PlateBackend(FakePlateReaderConfig, _fake_plate_reader),
    }
)
"""Plate reader backends by key (``plates.reader.type``)."""


def _face_backend(config: FaceEngineConfig) -> FaceBackend[Any]:
    backend = FACE_ENGINES.get(config.type)
    if backend is None or not isinstance(config, backend.config):
        raise ConfigError(f"no face engine {config.type!r}", key="faces.engine.type")
    return backend


def build_face_engine(config: FaceEngineConfig) -> FaceEngine:
    """A new face engine of the backend ``config`` names (loading its models: slow for
    the real one; share it, see ``services.container.shared_face_engine``)."""
    return _face_backend(config).build(config)


def face_model(config: FaceEngineConfig) -> str:
    """The model name the templates of this engine carry, without building it."""
    return _face_backend(config).model


def face_dim(config: FaceEngineConfig) -> int:
    """The size of this engine's embeddings, without building it."""
    return _face_backend(config).dim


def build_plate_reader(config: PlateReaderConfig) -> PlateReader:
    """A new plate reader of the backend ``config`` names (loading its models: slow for
    the real one; share it, see ``services.container.shared_plate_reader``)."""
    backend = PLATE_READERS.get(config.type)
    if backend is None or not isinstance(config, backend.config):
        raise ConfigError(f"no plate reader {config.type!r}", key="plates.reader.type")
    return backend.build(config)
