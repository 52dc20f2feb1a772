"""Reader of dlib's binary serialization, for the face descriptor network.

Owns the parsing of ``dlib_face_recognition_resnet_model_v1.dat`` (the file in the
``face-recognition-models`` package) into plain numpy arrays, with no dlib involved:
:func:`read_network` returns the loss, the input layer and every computational layer
in execution order, and checks that every byte was consumed. It reads only what that
network is made of; anything else raises :class:`ModelFormatError` naming the byte
offset, never a half-read model.

dlib's encoding (``dlib/serialize.h``, ``dlib/dnn/tensor.h``, ``dlib/dnn/core.h``):

* integer: one control byte (low 4 bits: byte count 1-8; 0x80: negative), then the
  magnitude in that many little-endian bytes;
* string: an integer length, then the bytes; bool: one ASCII ``0`` or ``1``;
* float: two integers, a 64-bit mantissa and a 16-bit exponent (``m * 2**e``;
  exponents 32000/32001/32002 are +inf/-inf/NaN);
* tensor (version 2): integers 2, n, k, rows, cols, then ``n*k*rows*cols``
  little-endian IEEE float32; alias tensor: integers 1, n, k, rows, cols;
* network: the loss layer (version 1, its details), then one version integer per layer
  from the top down (2: a computational layer, 1: a tag or skip wrapper, 3: the bottom
  layer, which sits on the input), the input layer's details, then each computational
  layer's details from the bottom up, each followed by three bools and three (normally
  empty) tensors, and the bottom one by its sample expansion factor.

Tag and skip ids are not stored, so the residual wiring is not in the file: the
caller checks :attr:`DlibNetwork.structure` against the network type it expects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from gatepost.errors import GatepostError

__all__ = [
    "WRAPPER",
    "AddPrev",
    "Affine",
    "Conv",
    "DlibNetwork",
    "FullyConnected",
    "InputRgb",
    "Layer",
    "MetricLoss",
    "ModelFormatError",
    "Pool",
    "Relu",
    "load_network",
    "read_network",
]

Floats = npt.NDArray[np.float32]
Pair = tuple[int, int]

WRAPPER = "tag/skip"
"""The entry :attr:`DlibNetwork.structure` uses for a tag or skip wrapper."""

_LOSS = "loss_metric_2"
_INPUT = "input_rgb_image_sized"
_SPECIAL_EXPONENTS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}


class ModelFormatError(GatepostError):
    """A model file that is damaged, or holds something this reader does not support."""

    code = "model_format"

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message if offset is None else f"{message} (at byte {offset})")
        self.offset = offset


@dataclass(frozen=True)
class MetricLoss:
    """``loss_metric_``: the training loss; ``distance_threshold`` is the distance
    the model was trained to keep different people beyond."""

    margin: float
    distance_threshold: float


@dataclass(frozen=True)
class InputRgb:
    """``input_rgb_image_sized``: an RGB image of ``rows`` x ``cols``; each plane enters
    the network as ``(pixel - mean) / 256``."""

    mean_rgb: tuple[float, float, float]
    rows: int
    cols: int


@dataclass(frozen=True, eq=False)
class Conv:
    """``con_``: weights ``[filters, channels, rows, cols]``, one bias per filter,
    symmetric zero padding ``(y, x)``."""

    weights: Floats
    bias: Floats
    stride: Pair
    padding: Pair
    kind: Literal["con"] = "con"


@dataclass(frozen=True, eq=False)
class Affine:
    """``affine_`` in per-channel (convolutional) mode: ``x * gamma[c] + beta[c]``."""

    gamma: Floats
    beta: Floats
    kind: Literal["affine"] = "affine"


@dataclass(frozen=True)
class Relu:
    kind: Literal["relu"] = "relu"


@dataclass(frozen=True)
class Pool:
    """``max_pool_``/``avg_pool_``; a ``(0, 0)`` window pools the whole plane."""

    kind: Literal["max_pool", "avg_pool"]
    window: Pair
    stride: Pair
    padding: Pair


@dataclass(frozen=True)
class AddPrev:
    """``add_prev_``: element-wise sum with a tagged layer's output; where the shapes
    differ the output takes the larger size and the missing elements count as zero."""

    kind: Literal["add_prev"] = "add_prev"


@dataclass(frozen=True, eq=False)
class FullyConnected:
    """``fc_``: ``x @ weights (+ bias)`` with weights ``[inputs, outputs]``."""

    weights: Floats
    bias: Floats | None
    kind: Literal["fc"] = "fc"


Layer = Conv | Affine | Relu | Pool | AddPrev | FullyConnected


@dataclass(frozen=True, eq=False)
class DlibNetwork:
    """A parsed network: ``layers`` bottom-up (execution order); ``structure`` the
    same walk with :data:`WRAPPER` where a tag or skip wrapper sits."""

    loss: MetricLoss
    input: InputRgb
    layers: tuple[Layer, ...]
    structure: tuple[str, ...]


class _Stream:
    """A cursor over the file's bytes with dlib's primitive decoders."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self.offset

    def fail(self, message: str, offset: int | None = None) -> ModelFormatError:
        return ModelFormatError(message, offset=self.offset if offset is None else offset)

    def take(self, count: int) -> memoryview:
        if count < 0 or count > self.remaining:
            raise self.fail(f"the file ends early ({count} bytes needed, {self.remaining} left)")
        chunk = self._data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def integer(self) -> int:
        start = self.offset
        control = self.take(1)[0]
        size = control & 0x0F
        if not 1 <= size <= 8 or control & 0x70:
            raise self.fail(f"not an integer (control byte 0x{control:02x})", start)
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def count(self, what: str) -> int:
        start = self.offset
        value = self.integer()
        if value < 0:
            raise self.fail(f"negative {what} ({value})", start)
        return value

    def string(self) -> str:
        return bytes(self.take(self.count("string length"))).decode("latin-1")

    def boolean(self) -> bool:
        value = bytes(self.take(1))
        if value not in (b"0", b"1"):
            raise self.fail(f"not a bool ({value!r})", self.offset - 1)
        return value == b"1"

    def real(self) -> float:
        if self.remaining and self._data[self.offset] & 0x70:
            raise self.fail("floats in dlib's old text format are not supported")
        mantissa = self.integer()
        exponent = self.integer()
        if exponent in _SPECIAL_EXPONENTS:
            return _SPECIAL_EXPONENTS[exponent]
        return math.ldexp(float(mantissa), exponent)

    def shape(self) -> tuple[int, int, int, int]:
        return (self.count("n"), self.count("k"), self.count("rows"), self.count("cols"))

    def tensor(self) -> Floats:
        start = self.offset
        version = self.integer()
        if version != 2:
            raise self.fail(f"tensor version {version} is not supported (only 2)", start)
        shape = self.shape()
        size = math.prod(shape)
        raw = self.take(4 * size)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, int, int, int]:
        start = self.offset
        version = self.integer()
        if version != 1:
            raise self.fail(f"alias tensor version {version} is not supported (only 1)", start)
        return self.shape()

    def pair(self) -> Pair:
        return (self.count("size"), self.count("size"))


def _split(stream: _Stream, params: Floats, *shapes: tuple[int, ...]) -> list[Floats]:
    """Cut a layer's flat parameter tensor into the pieces its alias shapes describe."""
    flat = params.reshape(-1)
    if flat.size != sum(math.prod(shape) for shape in shapes):
        raise stream.fail(f"{flat.size} parameters do not fill the shapes {list(shapes)}")
    pieces, start = [], 0
    for shape in shapes:
        end = start + math.prod(shape)
        pieces.append(flat[start:end].reshape(shape).copy())
        start = end
    return pieces


def _multipliers(stream: _Stream) -> None:
    for _ in range(4):  # learning-rate and weight-decay multipliers: training only
        stream.real()


def _conv(stream: _Stream) -> Conv:
    params = stream.tensor()
    filters, rows, cols = stream.count("filters"), stream.count("rows"), stream.count("cols")
    stride, padding = stream.pair(), stream.pair()
    weight_shape, bias_shape = stream.alias(), stream.alias()
    _multipliers(stream)
    if weight_shape[0] != filters or weight_shape[2:] != (rows, cols):
        raise stream.fail(f"filter shape {weight_shape} does not match {filters}x{rows}x{cols}")
    if math.prod(bias_shape) != filters or 0 in stride:
        raise stream.fail("convolution bias or stride is inconsistent")
    weights, bias = _split(stream, params, weight_shape, bias_shape)
    return Conv(weights=weights, bias=bias.reshape(filters), stride=stride, padding=padding)


def _affine(stream: _Stream) -> Affine:
    params = stream.tensor()
    gamma_shape, beta_shape = stream.alias(), stream.alias()
    mode = stream.integer()
    if mode != 0 or gamma_shape != beta_shape or gamma_shape[0] != 1 or gamma_shape[2:] != (1, 1):
        raise stream.fail("only per-channel affine layers are supported")
    gamma, beta = _split(stream, params, gamma_shape, beta_shape)
    return Affine(gamma=gamma.reshape(-1), beta=beta.reshape(-1))


def _pool(stream: _Stream, kind: Literal["max_pool", "avg_pool"]) -> Pool:
    window, stride, padding = stream.pair(), stream.pair(), stream.pair()
    if 0 in stride:
        raise stream.fail("pooling stride of zero")
    return Pool(kind=kind, window=window, stride=stride, padding=padding)


def _fully_connected(stream: _Stream) -> FullyConnected:
    outputs, inputs = stream.count("outputs"), stream.count("inputs")
    params = stream.tensor()
    weight_shape, bias_shape = stream.alias(), stream.alias()
    bias_mode = stream.integer()  # 0: with bias, 1: without
    _multipliers(stream)
    if weight_shape != (inputs, outputs, 1, 1) or bias_mode not in (0, 1):
        raise stream.fail(f"fully connected weights {weight_shape} for {inputs}->{outputs}")
    if bias_mode == 1:
        (weights,) = _split(stream, params, weight_shape)
        return FullyConnected(weights=weights.reshape(inputs, outputs), bias=None)
    weights, bias = _split(stream, params, weight_shape, bias_shape)
    return FullyConnected(weights=weights.reshape(inputs, outputs), bias=bias.reshape(-1))


def _layer(stream: _Stream) -> Layer:
    start = stream.offset
    name = stream.string()
    if name == "con_4":
        return _conv(stream)
    if name == "affine_":
        return _affine(stream)
    if name == "relu_":
        return Relu()
    if name == "max_pool_2":
        return _pool(stream, "max_pool")
    if name == "avg_pool_2":
        return _pool(stream, "avg_pool")
    if name == "add_prev_":
        return AddPrev()
    if name == "fc_2":
        return _fully_connected(stream)
    raise stream.fail(f"unsupported layer {name!r}", start)


def _stack(stream: _Stream) -> list[int]:
    """The version integers from the top layer down to the bottom one (3)."""
    versions = []
    while True:
        start = stream.offset
        version = stream.integer()
        if version not in (1, 2, 3):
            raise stream.fail(f"unexpected layer version {version}", start)
        versions.append(version)
        if version == 3:
            return versions


def read_network(data: bytes) -> DlibNetwork:
    """Parse a serialized dlib metric-learning network; every byte must be consumed."""
    stream = _Stream(data)
    if stream.integer() != 1:
        raise stream.fail("not a dlib network file (expected a loss layer, version 1)", 0)
    start = stream.offset
    loss_name = stream.string()
    if loss_name != _LOSS:
        raise stream.fail(f"unsupported loss layer {loss_name!r}", start)
    loss = MetricLoss(margin=stream.real(), distance_threshold=stream.real())
    versions = _stack(stream)
    start = stream.offset
    input_name = stream.string()
    if input_name != _INPUT:
        raise stream.fail(f"unsupported input layer {input_name!r}", start)
    mean = (stream.real(), stream.real(), stream.real())
    source = InputRgb(mean_rgb=mean, rows=stream.count("rows"), cols=stream.count("cols"))
    layers: list[Layer] = []
    structure: list[str] = []
    for version in reversed(versions):
        if version == 1:
            structure.append(WRAPPER)
            continue
        layer = _layer(stream)
        for _ in range(3):  # setup called, gradient stale, output disabled: training state
            stream.boolean()
        for _ in range(3):  # x_grad, cached_output, params_grad: empty in a saved model
            stream.tensor()
        if version == 3:
            stream.integer()  # sample expansion factor
        layers.append(layer)
        structure.append(layer.kind)
    if stream.remaining:
        raise stream.fail(f"{stream.remaining} bytes left after the network")
    return DlibNetwork(loss=loss, input=source, layers=tuple(layers), structure=tuple(structure))


def load_network(path: Path) -> DlibNetwork:
    """Read and parse a model file (see :func:`read_network`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read the model file {path}: {exc.strerror}") from exc
    return read_network(data)
