"""The ONNX rebuild of dlib's network against dlib's own descriptor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gatepost.vision.dlib_faces import DlibFaceEngine, model_file
from gatepost.vision.dlib_net import ModelFormatError, load_network
from gatepost.vision.dlib_onnx import OnnxDescriptor, build_model, model_bytes
from tests.unit.vision.conftest import GROUP, PORTRAITS, load

MODEL = model_file("dlib_face_recognition_resnet_model_v1.dat")


@pytest.fixture(scope="module")
def descriptor() -> OnnxDescriptor:
    return OnnxDescriptor(MODEL)


def test_onnx_descriptors_match_dlib_on_fixture_chips(engine: DlibFaceEngine) -> None:
    reference = DlibFaceEngine(descriptor="dlib")
    compared = 0
    for name in (*PORTRAITS, GROUP):
        image = load(name)
        faces = engine.detect(image)
        ours, theirs = engine.embed(image, faces), reference.embed(image, faces)
        for a, b in zip(ours, theirs, strict=True):
            assert a.dtype == np.float32 and a.shape == (128,)
            assert float(np.linalg.norm(a - b)) < 1e-4
            compared += 1
    assert compared == len(PORTRAITS) + 2


def test_batch_equals_one_by_one(engine: DlibFaceEngine, descriptor: OnnxDescriptor) -> None:
    image = load(GROUP)
    chips = np.stack([np.asarray(face.alignment) for face in engine.detect(image)])
    batch = descriptor.compute(chips)
    single = np.concatenate([descriptor.compute(chips[i : i + 1]) for i in range(len(chips))])
    assert np.abs(batch - single).max() < 1e-5


def test_empty_batch_gives_no_descriptors(descriptor: OnnxDescriptor) -> None:
    out = descriptor.compute(np.zeros((0, 150, 150, 3), dtype=np.uint8))
    assert out.shape == (0, 128) and out.dtype == np.float32


@pytest.mark.parametrize(
    "chips",
    [
        np.zeros((1, 150, 150, 3), dtype=np.float32),
        np.zeros((1, 100, 100, 3), dtype=np.uint8),
        np.zeros((150, 150, 3), dtype=np.uint8),
    ],
)
def test_wrong_chips_are_refused(descriptor: OnnxDescriptor, chips: np.ndarray) -> None:
    with pytest.raises(ValueError, match="chips must be uint8"):
        descriptor.compute(chips)


def test_model_is_built_once_per_process() -> None:
    assert model_bytes(MODEL) is model_bytes(MODEL)


def test_thread_counts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        OnnxDescriptor(MODEL, intra_op_threads=0)


def test_other_network_shape_is_refused() -> None:
    network = load_network(MODEL)
    changed = dataclasses.replace(network, structure=network.structure[:-1])
    with pytest.raises(ModelFormatError, match="not those of"):
        build_model(changed)
