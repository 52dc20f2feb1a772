"""dlib's face descriptor network rebuilt as an ONNX graph, and a runner for it.

Owns the translation of a :class:`~gatepost.vision.dlib_net.DlibNetwork` (dlib's
ResNet-29 ``dlib_face_recognition_resnet_model_v1``) into an ONNX model, built in
memory from the installed ``.dat`` file (no files written, nothing downloaded), and
:class:`OnnxDescriptor`, which runs it with onnxruntime on a fixed number of threads.
It computes what ``dlib.face_recognition_model_v1.compute_face_descriptor`` computes
(to float32 rounding) at a fraction of the cost, and releases the GIL while it runs.

The graph: input ``chip`` uint8 ``[N, 150, 150, 3]`` (RGB chips as
``dlib.get_face_chip`` returns them), output ``descriptor`` float32 ``[N, 128]``.
Each per-channel affine layer (dlib's frozen batch normalisation) is folded into the
convolution before it. The residual wiring is not stored in the ``.dat`` (tag and skip
ids are compile-time types in dlib), so it is written down here from the network's
C++ type (``tools/python/src/face_recognition.cpp`` in dlib) and the file's layer
sequence is checked against it before anything is built.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from gatepost.vision.dlib_net import (
    WRAPPER,
    AddPrev,
    Affine,
    Conv,
    DlibNetwork,
    FullyConnected,
    Layer,
    ModelFormatError,
    Pool,
    Relu,
    load_network,
)

__all__ = ["DESCRIPTOR_DIM", "OnnxDescriptor", "build_model", "model_bytes"]

DESCRIPTOR_DIM = 128
_OPSET = 13
_IR_VERSION = 8

# Residual blocks bottom-up as (filters, downsamples): alevel4 .. alevel0.
_BLOCKS: tuple[tuple[int, bool], ...] = (
    ((32, False),) * 3
    + ((64, True),)
    + ((64, False),) * 3
    + ((128, True),)
    + ((128, False),) * 2
    + ((256, True),)
    + ((256, False),) * 2
    + ((256, True),)
)

_L = TypeVar("_L", Conv, Affine, Relu, Pool, AddPrev, FullyConnected)
Shape = tuple[int, int, int]  # channels, rows, cols


def _expected_structure() -> tuple[str, ...]:
    """The bottom-up layer walk of dlib's ``anet_type`` (see the module docstring)."""
    walk = ["con", "affine", "relu", "max_pool"]
    for _filters, down in _BLOCKS:
        walk += [WRAPPER, "con", "affine", "relu", "con", "affine"]  # tag1, block
        walk += [WRAPPER, WRAPPER, "avg_pool"] if down else []  # tag2, skip1, avg_pool
        walk += ["add_prev", "relu"]
    return (*walk, "avg_pool", "fc")


def _conv_size(size: int, window: int, stride: int, padding: int) -> int:
    return 1 + (size + 2 * padding - window) // stride


class _Graph:
    """Accumulates ONNX nodes and initializers under generated unique names."""

    def __init__(self, layers: tuple[Layer, ...]) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._layers: Iterator[Layer] = iter(layers)
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def constant(self, array: npt.NDArray[Any], prefix: str) -> str:
        name = self._name(prefix)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], **attributes: Any) -> str:
        output = self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output

    def take(self, kind: type[_L]) -> _L:
        layer = next(self._layers, None)
        if not isinstance(layer, kind):
            raise ModelFormatError(f"expected a {kind.__name__} layer, found {layer!r}")
        return layer

    def finished(self) -> bool:
        return next(self._layers, None) is None

    def conv_affine(self, x: str, shape: Shape, *, relu: bool) -> tuple[str, Shape]:
        """A convolution with the affine layer after it folded in, then maybe a ReLU."""
        conv, affine = self.take(Conv), self.take(Affine)
        filters, channels, rows, cols = conv.weights.shape
        if channels != shape[0] or affine.gamma.shape != (filters,):
            raise ModelFormatError(f"layer sizes do not chain ({shape} into {conv.weights.shape})")
        weights = (conv.weights * affine.gamma[:, None, None, None]).astype(np.float32)
        bias = (conv.bias * affine.gamma + affine.beta).astype(np.float32)
        (stride_y, stride_x), (pad_y, pad_x) = conv.stride, conv.padding
        y = self.op(
            "Conv",
            [x, self.constant(weights, "weights"), self.constant(bias, "bias")],
            kernel_shape=[rows, cols],
            strides=[stride_y, stride_x],
            pads=[pad_y, pad_x, pad_y, pad_x],
        )
        if relu:
            self.take(Relu)
            y = self.op("Relu", [y])
        out_rows = _conv_size(shape[1], rows, stride_y, pad_y)
        out_cols = _conv_size(shape[2], cols, stride_x, pad_x)
        return y, (filters, out_rows, out_cols)

    def pool(self, x: str, shape: Shape, op_type: str) -> tuple[str, Shape]:
        layer = self.take(Pool)
        (window_y, window_x), (stride_y, stride_x) = layer.window, layer.stride
        if layer.padding != (0, 0) or 0 in layer.window:
            raise ModelFormatError(f"unsupported pooling {layer!r}")
        y = self.op(op_type, [x], kernel_shape=[window_y, window_x], strides=[stride_y, stride_x])
        rows = _conv_size(shape[1], window_y, stride_y, 0)
        cols = _conv_size(shape[2], window_x, stride_x, 0)
        return y, (shape[0], rows, cols)

    def add_prev(self, a: str, shape_a: Shape, b: str, shape_b: Shape) -> tuple[str, Shape]:
        """dlib's ``add_prev_``: sizes may differ; the smaller is zero-padded at the end."""
        self.take(AddPrev)
        shape = (
            max(shape_a[0], shape_b[0]),
            max(shape_a[1], shape_b[1]),
            max(shape_a[2], shape_b[2]),
        )
        return self.op("Add", [self._pad(a, shape_a, shape), self._pad(b, shape_b, shape)]), shape

    def _pad(self, x: str, shape: Shape, to: Shape) -> str:
        if shape == to:
            return x
        ends = [0, to[0] - shape[0], to[1] - shape[1], to[2] - shape[2]]
        pads = self.constant(np.array([0, 0, 0, 0, *ends], dtype=np.int64), "pads")
        return self.op("Pad", [x, pads], mode="constant")


def build_model(network: DlibNetwork) -> onnx.ModelProto:
    """The ONNX model of dlib's face descriptor network (checked with onnx.checker)."""
    if network.structure != _expected_structure():
        raise ModelFormatError("the layers are not those of dlib_face_recognition_resnet_model_v1")
    source = network.input
    graph = _Graph(network.layers)
    # input_rgb_image_sized: NHWC uint8 -> NCHW float, (pixel - mean) / 256
    x = graph.op("Cast", ["chip"], to=TensorProto.FLOAT)
    x = graph.op("Transpose", [x], perm=[0, 3, 1, 2])
    mean = np.array(source.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    x = graph.op("Sub", [x, graph.constant(mean, "mean")])
    x = graph.op("Mul", [x, graph.constant(np.array(1 / 256, dtype=np.float32), "scale")])
    shape: Shape = (3, source.rows, source.cols)

    x, shape = graph.conv_affine(x, shape, relu=True)
    x, shape = graph.pool(x, shape, "MaxPool")
    for filters, down in _BLOCKS:
        skip, skip_shape = x, shape
        y, y_shape = graph.conv_affine(x, shape, relu=True)
        y, y_shape = graph.conv_affine(y, y_shape, relu=False)
        if y_shape[0] != filters:
            raise ModelFormatError(f"a residual block has {y_shape[0]} filters, not {filters}")
        if down:  # add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<tag1>>>>>
            skip, skip_shape = graph.pool(skip, skip_shape, "AveragePool")
            x, shape = graph.add_prev(skip, skip_shape, y, y_shape)
        else:  # add_prev1<block<tag1>>
            x, shape = graph.add_prev(y, y_shape, skip, skip_shape)
        graph.take(Relu)
        x = graph.op("Relu", [x])

    if graph.take(Pool).window != (0, 0):
        raise ModelFormatError("the last pooling layer must be avg_pool_everything")
    x = graph.op("GlobalAveragePool", [x])
    x = graph.op("Flatten", [x], axis=1)
    fc = graph.take(FullyConnected)
    if fc.weights.shape != (shape[0], DESCRIPTOR_DIM):
        raise ModelFormatError(f"the descriptor layer has shape {fc.weights.shape}")
    x = graph.op("MatMul", [x, graph.constant(fc.weights, "fc_weights")])
    if fc.bias is not None:
        x = graph.op("Add", [x, graph.constant(fc.bias, "fc_bias")])
    if not graph.finished():
        raise ModelFormatError("layers left over after the descriptor layer")
    graph.nodes.append(helper.make_node("Identity", [x], ["descriptor"]))

    chip = helper.make_tensor_value_info(
        "chip", TensorProto.UINT8, ["N", source.rows, source.cols, 3]
    )
    out = helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", DESCRIPTOR_DIM])
    model = helper.make_model(
        helper.make_graph(graph.nodes, "dlib_face_descriptor", [chip], [out], graph.initializers),
        opset_imports=[helper.make_opsetid("", _OPSET)],
        producer_name="gatepost",
        ir_version=_IR_VERSION,
    )
    onnx.checker.check_model(model)
    return model


@functools.cache
def _serialized(path: str) -> bytes:
    return bytes(build_model(load_network(Path(path))).SerializeToString())


def model_bytes(path: Path) -> bytes:
    """The serialized ONNX model for a ``.dat`` file, built once per process (~0.5 s)."""
    return _serialized(str(path.resolve()))


class OnnxDescriptor:
    """Face descriptors from 150x150 RGB chips with onnxruntime on the CPU.

    ``intra_op_threads`` bounds the threads one call may use (1: the calling thread
    only, the right choice when other work shares the cores); execution is sequential
    and idle threads do not spin. ``compute`` may be called from several threads at
    once.
    """

    def __init__(
        self, model_path: Path, *, intra_op_threads: int = 1, inter_op_threads: int = 1
    ) -> None:
        if intra_op_threads < 1 or inter_op_threads < 1:
            raise ValueError("thread counts must be at least 1")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        self._session: Any = onnxruntime.InferenceSession(
            model_bytes(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._chip_shape: tuple[int, ...] = tuple(self._session.get_inputs()[0].shape[1:])

    def compute(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Descriptors ``[N, 128]`` of chips ``[N, 150, 150, 3]`` (uint8 RGB)."""
        if chips.dtype != np.uint8 or chips.ndim != 4 or chips.shape[1:] != self._chip_shape:
            raise ValueError(
                f"chips must be uint8 [N, {', '.join(map(str, self._chip_shape))}], "
                f"not {chips.dtype} {list(chips.shape)}"
            )
        if chips.shape[0] == 0:
            return np.zeros((0, DESCRIPTOR_DIM), dtype=np.float32)
        (descriptors,) = self._session.run(["descriptor"], {"chip": np.ascontiguousarray(chips)})
        return np.asarray(descriptors, dtype=np.float32)
