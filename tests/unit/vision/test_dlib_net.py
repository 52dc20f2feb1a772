"""The reader of dlib's serialization, on the installed face descriptor network."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from gatepost.vision.dlib_faces import model_file
from gatepost.vision.dlib_net import (
    WRAPPER,
    Affine,
    Conv,
    FullyConnected,
    ModelFormatError,
    load_network,
    read_network,
)


@cache
def model_data() -> bytes:
    return model_file("dlib_face_recognition_resnet_model_v1.dat").read_bytes()


def test_reads_every_layer_of_the_resnet() -> None:
    network = read_network(model_data())  # raises if a byte is left over

    assert network.input.rows == network.input.cols == 150
    assert network.loss.distance_threshold == pytest.approx(0.6)
    kinds = [layer.kind for layer in network.layers]
    assert kinds.count("con") == kinds.count("affine") == 29
    assert kinds.count("add_prev") == 14
    assert network.structure.count(WRAPPER) == 22
    assert [k for k in network.structure if k != WRAPPER] == kinds
    first, last = network.layers[0], network.layers[-1]
    assert isinstance(first, Conv) and first.weights.shape == (32, 3, 7, 7)
    assert first.stride == (2, 2)
    assert isinstance(network.layers[1], Affine) and network.layers[1].gamma.shape == (32,)
    assert isinstance(last, FullyConnected) and last.weights.shape == (256, 128)
    assert last.bias is None


def test_load_network_reads_the_file() -> None:
    path = model_file("dlib_face_recognition_resnet_model_v1.dat")
    assert len(load_network(path).layers) == 108


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="cannot read"):
        load_network(tmp_path / "absent.dat")


def test_truncated_file_is_refused() -> None:
    with pytest.raises(ModelFormatError, match="ends early") as caught:
        read_network(model_data()[:1_000_000])
    assert caught.value.offset is not None


def test_trailing_bytes_are_refused() -> None:
    with pytest.raises(ModelFormatError, match="3 bytes left"):
        read_network(model_data() + b"\x00\x00\x00")


def test_unknown_layer_is_named() -> None:
    data = model_data()
    at = data.index(b"relu_")
    with pytest.raises(ModelFormatError, match="unsupported layer 'relx_'") as caught:
        read_network(data[:at] + b"relx_" + data[at + 5 :])
    assert caught.value.offset == at - 2  # the string's length prefix


@pytest.mark.parametrize("data", [b"", b"\x01", b"not a model", b"\x01\x02ab"])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ModelFormatError):
        read_network(data)
