"""The engine registry: every backend built from its settings, unknown backends refused
at config load with their key path, and the container's shared engines chosen by
settings without loading any model runtime for the fakes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from gatepost.errors import ConfigError
from gatepost.settings import (
    DlibFaceEngineConfig,
    FaceEngineConfig,
    FakeFaceEngineConfig,
    FakePlateReaderConfig,
    PlateReaderConfig,
    Settings,
)
from gatepost.vision import registry
from gatepost.vision.calibration import CALIBRATIONS, DLIB_RESNET
from gatepost.vision.fake_faces import FakeFaceEngine
from gatepost.vision.fake_plates import FakePlateReader
from gatepost.vision.registry import (
    FACE_ENGINES,
    PLATE_READERS,
    build_face_engine,
    build_plate_reader,
    face_dim,
    face_model,
)

DATA = Path("unused-data-dir")
HEAVY = ("dlib", "onnx", "onnxruntime", "rapidocr_onnxruntime", "hyperlpr2")


def _members(union: object) -> set[type[BaseModel]]:
    (inner, *_) = typing.get_args(union)  # Annotated[A | B, Field(...)]
    return set(typing.get_args(inner))


def _key(config: type[BaseModel]) -> object:
    return config.model_fields["type"].default


def test_every_backend_of_the_settings_unions_is_registered_under_its_key() -> None:
    for backends, union in ((FACE_ENGINES, FaceEngineConfig), (PLATE_READERS, PlateReaderConfig)):
        assert {backend.config for backend in backends.values()} == _members(union)
        assert all(_key(backend.config) == key for key, backend in backends.items())
    assert set(FACE_ENGINES) == {"dlib", "fake"}
    assert set(PLATE_READERS) == {"rapidocr", "fake"}
    assert all(backend.model in CALIBRATIONS for backend in FACE_ENGINES.values())


def test_registry_builds_the_fakes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__TYPE", "fake")
    monkeypatch.setenv("GATEPOST_PLATES__READER__TYPE", "fake")
    settings = Settings(data_dir=DATA, env="test")
    engine = build_face_engine(settings.faces.engine)
    assert isinstance(engine, FakeFaceEngine)
    assert engine.model == face_model(settings.faces.engine) == "fake-identity-v1"
    assert isinstance(build_plate_reader(settings.plates.reader), FakePlateReader)


def test_registry_builds_the_real_engines_from_settings() -> None:
    from gatepost.vision.dlib_faces import DlibFaceEngine
    from gatepost.vision.plate_reader import RapidOcrPlateReader

    settings = Settings(
        data_dir=DATA,
        faces={"engine": {"detect_width": 320, "onnx_threads": 1}},
        plates={"reader": {"type": "rapidocr", "detect_side": 480, "plate_detector": False}},
    )
    engine = build_face_engine(settings.faces.engine)
    assert isinstance(engine, DlibFaceEngine)
    assert engine.model == face_model(settings.faces.engine) == DLIB_RESNET
    assert isinstance(build_plate_reader(settings.plates.reader), RapidOcrPlateReader)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"faces": {"engine": {"type": "opencv"}}}, ("faces", "engine")),
        ({"plates": {"reader": {"type": "tesseract"}}}, ("plates", "reader")),
        ({"faces": {"engine": {"type": "fake", "detect_width": 320}}}, ("faces", "engine")),
        ({"plates": {"reader": {"type": "fake", "threads": 2}}}, ("plates", "reader")),
    ],
)
def test_unknown_backend_or_option_is_a_config_error_naming_the_key(
    values: dict[str, object], key: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=DATA, **values)  # type: ignore[arg-type]
    (error,) = caught.value.errors()
    assert error["loc"][: len(key)] == key


def test_unknown_backend_from_the_environment_names_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__TYPE", "opencv")
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=DATA)
    (error,) = caught.value.errors()
    assert error["loc"] == ("faces", "engine")
    assert "'dlib', 'fake'" in error["msg"]


def test_build_refuses_a_config_no_backend_has() -> None:
    odd_face = DlibFaceEngineConfig().model_copy(update={"type": "opencv"})
    with pytest.raises(ConfigError) as caught:
        build_face_engine(odd_face)
    assert caught.value.key == "faces.engine.type"
    with pytest.raises(ConfigError):
        face_model(odd_face)
    odd_plate = FakePlateReaderConfig().model_copy(update={"type": "rapidocr"})  # wrong model
    with pytest.raises(ConfigError) as caught:
        build_plate_reader(odd_plate)
    assert caught.value.key == "plates.reader.type"


def test_registry_exports_sorted_names() -> None:
    assert registry.__all__ == sorted(registry.__all__)
    assert all(hasattr(registry, name) for name in registry.__all__)


def test_container_shares_one_engine_per_configuration() -> None:
    from gatepost.services.container import shared_face_engine, shared_plate_reader

    fake = Settings(data_dir=DATA, env="test", faces={"engine": {"type": "fake"}})
    assert shared_face_engine(fake.faces) is shared_face_engine(fake.faces)
    assert isinstance(shared_face_engine(fake.faces), FakeFaceEngine)
    fake_plates = Settings(
        data_dir=DATA, env="test", plates={"reader": FakePlateReaderConfig()}
    ).plates
    assert shared_plate_reader(fake_plates) is shared_plate_reader(fake_plates)
    assert isinstance(shared_plate_reader(fake_plates), FakePlateReader)
    again = Settings(data_dir=DATA, env="test", faces={"engine": FakeFaceEngineConfig()})
    assert shared_face_engine(again.faces) is shared_face_engine(fake.faces)  # equal configs


_CONTAINER_SCRIPT = """
import json, sys
from gatepost.services.container import build_container
from gatepost.settings import Settings
from gatepost.vision.fake_faces import fake_face_image
from gatepost.vision.fake_plates import fake_plate_image
from gatepost.vision.images import decode_rgb

container = build_container(Settings())
try:
    face = decode_rgb(fake_face_image("alice"), max_bytes=10**7, max_pixels=10**7)
    plate = decode_rgb(fake_plate_image("京A12345"), max_bytes=10**7, max_pixels=10**7)
    engine, reader = container.faces.engine, container.arrivals.reader
    (found,) = engine.detect(face)
    print(json.dumps({
        "engine": type(engine).__name__,
        "reader": type(reader).__name__,
        "model": container.faces.model,
        "dim": len(engine.embed(face, [found])[0]),
        "plate": reader.read(plate)[0].text,
        "loaded": sorted(set(sys.argv[1:]) & set(sys.modules)),
    }))
finally:
    container.close()
"""


def test_container_picks_the_fakes_from_the_environment_without_model_runtimes(
    tmp_path: Path,
) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEPOST_")}
    env |= {
        "GATEPOST_ENV": "test",
        "GATEPOST_DATA_DIR": str(tmp_path),
        "GATEPOST_KEYS__SOURCE": "env",
        "GATEPOST_KEYS__KEK": base64.b64encode(b"k" * 32).decode(),
        "GATEPOST_FACES__ENGINE__TYPE": "fake",
        "GATEPOST_PLATES__READER__TYPE": "fake",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CONTAINER_SCRIPT, *HEAVY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "engine": "FakeFaceEngine",
        "reader": "FakePlateReader",
        "model": "fake-identity-v1",
        "dim": 128,
        "plate": "京A12345",
        "loaded": [],
    }


def test_face_dim_is_known_without_building_the_engine() -> None:
    """The galleries are sized from settings, before any model loads."""
    fake = FakeFaceEngineConfig()
    assert face_dim(fake) == build_face_engine(fake).dim == 128
    assert face_dim(DlibFaceEngineConfig()) == 128  # dlib's ResNet embeds in 128 dims
