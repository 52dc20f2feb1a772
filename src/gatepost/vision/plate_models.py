"""The plate reader's networks beside PP-OCRv4's own: a CTC recogniser as the reader
uses it (:class:`Recogniser`, :func:`recognise_crops` in batches of similar width), the
PP-OCRv6 recogniser for Latin plates (:func:`latin_recogniser`) and hyperlpr2's SSD
plate detector (:class:`SsdNets`). Model files are read from the wheels that ship
them; those packages are not imported.
"""

from __future__ import annotations

import importlib.util
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from gatepost.vision.ctc import Alphabet, DecodedText, ctc_greedy

__all__ = ["Recogniser", "SsdNets", "latin_recogniser", "recognise_crops"]

# Crops are padded to at least this width / height, not to the recogniser's own 320 x
# 48: a plate crop is narrower, and padding costs as much as pixels. At 3 (144 px)
# the Brazilian, CCPD and synthetic sets read as at 6.67, in 60-75% of the time.
_MIN_CROP_RATIO = 3.0
_BATCH_SPREAD = 1.3  # crops batched together differ in width by at most this factor
_LATIN_MODEL = "PP-OCRv6_rec_small.onnx"


class Recogniser(NamedTuple):
    """A CTC text recogniser: its network (a batch of crops in, columns out), its
    classes, and how it resizes and normalises a crop to a width / height ratio."""

    run: Callable[[Any], Any]
    alphabet: Alphabet
    resize: Callable[[Any, float], Any]


def latin_recogniser(resize: Callable[[Any, float], Any], threads: int) -> Recogniser:
    """PP-OCRv6's small recogniser from the ``rapidocr`` 3.x wheel (Apache-2.0; the
    package is not imported, only its model file is read). It takes the same crops as
    PP-OCRv4's, and reads Latin plates better (docs/plates.md); its classes are in
    the model's metadata, after the CTC blank and before a space."""
    import onnxruntime

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("rapidocr is not installed (see the Makefile)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / _LATIN_MODEL
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    name = session.get_inputs()[0].name
    return Recogniser(
        lambda batch: session.run(None, {name: batch}),
        Alphabet.of(["blank", *characters, " "]),
        resize,
    )


def recognise_crops(recogniser: Recogniser, crops: list[Any]) -> list[DecodedText]:
    """The crops recognised in batches of similar width (each padded to its widest,
    see ``_MIN_CROP_RATIO``), decoded keeping alternatives; in the order given."""
    if not crops:
        return []
    ratios = [max(_MIN_CROP_RATIO, c.shape[1] / c.shape[0]) for c in crops]
    order = sorted(range(len(crops)), key=lambda i: ratios[i])
    decoded: dict[int, DecodedText] = {}
    while order:
        batch = [i for i in order if ratios[i] <= ratios[order[0]] * _BATCH_SPREAD]
        order = order[len(batch) :]
        ratio = ratios[batch[-1]]
        pixels = np.stack([recogniser.resize(crops[i], ratio) for i in batch])
        columns = recogniser.run(pixels.astype(np.float32))[0]
        for i, crop_columns in zip(batch, columns, strict=True):
            decoded[i] = ctc_greedy(crop_columns, recogniser.alphabet)
    return [decoded[i] for i in range(len(crops))]


class SsdNets:
    """hyperlpr2's SSD plate detector (Caffe files inside its wheel, run by OpenCV's dnn
    module), one network per input shape. An OpenCV network is not independent of the
    shapes it saw before: after frames of another size, the same frame's boxes moved by
    up to 20 px (measured here). Cameras keep one resolution, so this is one network
    per camera model; the least recently used of more than four is dropped."""

    _KEEP = 4

    def __init__(self) -> None:
        spec = importlib.util.find_spec("hyperlpr2")  # not imported: it loads every model
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("hyperlpr2 is not installed (see the Makefile)")
        folder = Path(next(iter(spec.submodule_search_locations))) / "models" / "dnn"
        self._files = (
            str(folder / "mininet_ssd_v1.prototxt"),
            str(folder / "mininet_ssd_v1.caffemodel"),
        )
        self._nets: OrderedDict[tuple[int, int], Any] = OrderedDict()
        self.for_shape((360, 640))  # fails here, not on the first frame, if files are missing

    def for_shape(self, shape: tuple[int, ...]) -> Any:
        key = (int(shape[0]), int(shape[1]))
        if key in self._nets:
            self._nets.move_to_end(key)
        else:
            self._nets[key] = cv2.dnn.readNetFromCaffe(*self._files)
            while len(self._nets) > self._KEEP:
                self._nets.popitem(last=False)
        return self._nets[key]
