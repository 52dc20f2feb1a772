"""The default plate reader: PP-OCRv4 text detection and recognition (RapidOCR), used
as a plate detector plus a crop reader, checked against plate grammars.

The PP-OCRv4 models ship inside the ``rapidocr-onnxruntime`` wheel (nothing is
downloaded). Running its OCR over a whole frame reads every sign and costs ~0.2-0.4 s;
instead:

1. the text detector runs on the frame scaled down to ``detect_side`` pixels (640: a
   plate of ~80 px in a 1280-pixel frame stays detectable, at 40-70 ms for 1280x720);
2. boxes shaped like plates (aspect 1.5-9, not tiny) are kept, largest first, at most
   ``max_candidates``;
3. each is cut from the *full-resolution* frame with a perspective warp to a fixed
   height, at three margins (the detector sometimes leaves out a plate's first
   character), stretched 1.3x horizontally (CTC recognisers merge repeated
   characters on narrow crops: "999" read as "99");
4. the crops of a box are recognised in one batch (~30 ms a crop on these cores);
5. each crop is decoded keeping every character's alternatives (``gatepost.vision.ctc``):
   where a Chinese plate's character is impossible in its place (the first must be a
   province, a final Chinese character one of 警/学/挂), the likeliest possible one
   replaces it; readings are normalised, repaired position by position only where that
   reaches a plate grammar (a Brazilian plate's letters and digits have fixed places),
   checked against the grammars, and the crops of one box vote;
6. the plate's colour decides between a 7- and an 8-character Chinese reading (green
   new-energy plates have 8).

For Chinese plates, hyperlpr2's SSD plate detector (its wheel carries the network, run
by OpenCV's dnn module) gives up to two boxes first: it keeps the province character that
the text detector sometimes leaves out, and when its boxes already give a sure reading
(``_SURE``) the text detector is skipped. Text-detector boxes are then read largest
first, one at a time, until a sure reading; Latin plates use the first two margins only
(the widest is for a Chinese province character). Figures: docs/plates.md
(``gatepost bench plates``).
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from gatepost.domain.plates import (
    CN_PROVINCES,
    DEFAULT_GRAMMARS,
    PlateGrammar,
    PlateRegion,
    normalise_plate,
)
from gatepost.vision.ctc import Alphabet, DecodedText, ctc_greedy
from gatepost.vision.images import RgbImage
from gatepost.vision.plates import PlateColor, PlateReading, plate_color

__all__ = ["RapidOcrPlateReader"]

_CROP_HEIGHT = 48
_STRETCH = 1.3
_SSD_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_SSD_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_MARGINS = ((0.0, 0.0), (0.04, 0.12), (0.12, 0.2))
_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "J": "1", "Z": "2"}
_TO_DIGIT |= {"S": "5", "B": "8", "G": "6", "T": "7", "A": "4"}
_CN_SPECIAL = "警学挂"
# A repair (8 -> B where a letter belongs) needs the recogniser to have given the new
# character at least this probability. Measured on the Brazilian set, right repairs had
# 0.05-0.46 (O/0, I/1 look alike); on synthetic US plates read with every region on,
# wrong ones (7 -> T making a US plate Brazilian) had 0.0001-0.02.
_MIN_REPAIR = 0.03
# A reading of the plate detector's boxes this confident skips the text detector. On
# the CCPD photos and 240 synthetic frames, 0.9 and above changed no result (0.85 lost
# two synthetic frames); it skipped for every CCPD photo and ~92% of synthetic frames.
_SURE = 0.92
_GENERIC = 0.85  # the weight of a reading that fits only a loose pattern (EU, US)
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "7": "T", "4": "A"}

Quad = npt.NDArray[np.float32]


def _order(quad: Quad) -> Quad:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    sums = quad.sum(axis=1)
    diffs = np.diff(quad, axis=1).ravel()
    return np.array(
        [quad[sums.argmin()], quad[diffs.argmin()], quad[sums.argmax()], quad[diffs.argmax()]],
        dtype=np.float32,
    )


def _warp(image: Any, quad: Quad, margin_x: float, margin_y: float) -> Any:
    """The quad widened by the margins, rectified to a fixed height (stretched)."""
    tl, tr, br, bl = quad
    across = (tr - tl + br - bl) / 2
    down = (bl - tl + br - tr) / 2
    grown = np.array(
        [
            tl - margin_x * across - margin_y * down,
            tr + margin_x * across - margin_y * down,
            br + margin_x * across + margin_y * down,
            bl - margin_x * across + margin_y * down,
        ],
        dtype=np.float32,
    )
    width = float(np.linalg.norm(across)) * (1 + 2 * margin_x)
    height = float(np.linalg.norm(down)) * (1 + 2 * margin_y)
    out_w = max(8, round(_STRETCH * _CROP_HEIGHT * width / max(height, 1.0)))
    target = np.array(
        [[0, 0], [out_w, 0], [out_w, _CROP_HEIGHT], [0, _CROP_HEIGHT]], dtype=np.float32
    )
    matrix: Any = cv2.getPerspectiveTransform(grown, target)
    return cv2.warpPerspective(
        image, matrix, (out_w, _CROP_HEIGHT), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def _constrained(decoded: DecodedText, text: str) -> str:
    """``text`` (the normalised reading) with a Chinese plate's impossible characters
    replaced by the likeliest possible ones: the first by a province, a final Chinese
    character by 警, 学 or 挂 (see ``gatepost.vision.ctc``)."""
    if len(text) not in (7, 8) or len(text) != len(decoded.text) or text[0].isascii():
        return text
    chars = list(text)
    if chars[0] not in CN_PROVINCES:
        chars[0] = decoded.best_of(0, CN_PROVINCES)[0]
    if len(chars) == 7 and not chars[-1].isascii() and chars[-1] not in _CN_SPECIAL:
        chars[-1] = decoded.best_of(6, _CN_SPECIAL)[0]
    return "".join(chars)


def _plausible(decoded: DecodedText, text: str, repaired: str) -> bool:
    """Whether the recogniser gave each repaired character a real chance (see
    ``_MIN_REPAIR``); a reading whose places cannot be told apart is not judged."""
    if len(text) != len(decoded.text):
        return True
    return all(
        decoded.probability(i, new) >= _MIN_REPAIR
        for i, (old, new) in enumerate(zip(text, repaired, strict=True))
        if old != new
    )


def _candidates(decoded: DecodedText) -> list[str]:
    """The normalised reading, then its constrained form and their plausible repairs,
    once each."""
    text = normalise_plate(decoded.text)
    constrained = _constrained(decoded, text)
    found = list(dict.fromkeys((text, constrained)))
    for base in tuple(found):
        found += [r for r in _repairs(base) if _plausible(decoded, base, r)]
    return list(dict.fromkeys(found))


def _repairs(text: str) -> list[str]:
    """Where a fixed layout says which places hold letters and which digits, the reading
    with confusable characters moved to the right kind (none elsewhere)."""
    candidates = []
    if len(text) == 7 and text[0] not in CN_PROVINCES:  # BR: LLL N (L|N) NN
        fixed = [
            _TO_LETTER.get(c, c) if i < 3 else _TO_DIGIT.get(c, c) if i in (3, 5, 6) else c
            for i, c in enumerate(text)
        ]
        candidates.append("".join(fixed))
    if len(text) in (7, 8) and text[0] in CN_PROVINCES:  # the issuing letter is a letter
        candidates.append(text[0] + _TO_LETTER.get(text[1], text[1]) + text[2:])
    return candidates


class RapidOcrPlateReader:
    """Plates from a frame (see the module docstring); safe to call from threads."""

    def __init__(
        self,
        *,
        grammars: Sequence[PlateGrammar] = DEFAULT_GRAMMARS,
        detect_side: int = 640,
        max_candidates: int = 6,
        threads: int = 1,
        plate_detector: bool = True,
    ) -> None:
        """``plate_detector``: also take boxes from hyperlpr2's SSD plate detector (a
        network trained on Chinese plates; it keeps the province character the text
        detector sometimes cuts off). Default: on, used only for frames whose grammars
        include a Chinese one. ``grammars``: the default for :meth:`read`."""
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        if not grammars:
            raise ValueError("a plate reader needs at least one grammar")
        self._grammars = tuple(grammars)
        self._max_candidates = max_candidates
        engine: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        detector = engine.text_det
        # RapidOCR's own limit ignores the side length for "max"; fix the preprocess.
        detector.get_preprocess = lambda _side: DetPreProcess(
            detect_side, "max", detector.mean, detector.std
        )
        self._detect = detector
        self._recognise = engine.text_rec
        self._alphabet = Alphabet.of(engine.text_rec.postprocess_op.character)
        self._lock = threading.Lock()
        self._ssd = _SsdNets() if plate_detector else None  # for Chinese grammars only

    def read(
        self, image: RgbImage, *, grammars: Sequence[PlateGrammar] | None = None
    ) -> list[PlateReading]:
        accepted = self._grammars if grammars is None else tuple(grammars)
        if not accepted:
            raise ValueError("a plate reader needs at least one grammar")
        chinese = any(g.region is PlateRegion.CN for g in accepted)
        # The widest margin is for a Chinese province character the detector cut off.
        margins = _MARGINS if chinese else _MARGINS[:2]
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        with self._lock:
            # The plate detector's boxes first: when they already give a sure reading
            # of a plate format (the usual frame at a Chinese gate), the text detector
            # and the crops of its boxes are skipped, about half the time of a frame.
            ssd = self._plate_boxes(image) if chinese else []
            readings = self._read_quads(bgr, ssd, accepted, margins)
            if readings and readings[0].confidence >= _SURE:
                return _best_per_text(readings)
            boxes, _ = self._detect(bgr)
            # Largest first, until one is sure: a gate decides on the nearest car, so
            # smaller boxes (signs, a car further back) are left unread then.
            for quad in self._plate_shaped(boxes):
                readings += self._read_quads(bgr, [quad], accepted, margins)
                if readings and max(r.confidence for r in readings) >= _SURE:
                    break
        return _best_per_text(readings)

    def _read_quads(
        self,
        bgr: Any,
        quads: Sequence[Quad],
        accepted: tuple[PlateGrammar, ...],
        margins: Sequence[tuple[float, float]],
    ) -> list[PlateReading]:
        """A reading per quad whose crops vote for a plate format, most confident first."""
        crops = [_warp(bgr, q, mx, my) for q in quads for mx, my in margins]
        texts = self._recognise_crops(crops)
        readings = []
        per_quad = len(margins)
        for index, quad in enumerate(quads):
            tight_rgb = cv2.cvtColor(crops[index * per_quad], cv2.COLOR_BGR2RGB)
            color = plate_color(tight_rgb)
            found = self._vote(texts[index * per_quad : (index + 1) * per_quad], color, accepted)
            if found is None:
                continue
            text, confidence, grammar = found
            x1, y1 = np.floor(quad.min(axis=0)).astype(int)
            x2, y2 = np.ceil(quad.max(axis=0)).astype(int)
            box = (max(0, int(x1)), max(0, int(y1)), int(x2), int(y2))
            readings.append(PlateReading(text, confidence, box, color, grammar.region.value))
        return sorted(readings, key=lambda r: r.confidence, reverse=True)

    def _recognise_crops(self, crops: list[Any]) -> list[DecodedText]:
        """All crops in one batch (padded to the widest), decoded keeping alternatives."""
        if not crops:
            return []
        recogniser = self._recognise
        _, height, width = recogniser.rec_image_shape
        ratio = max(width / height, *(c.shape[1] / c.shape[0] for c in crops))
        batch = np.stack([recogniser.resize_norm_img(c, ratio) for c in crops])
        columns = recogniser.session(batch.astype(np.float32))[0]
        return [ctc_greedy(crop_columns, self._alphabet) for crop_columns in columns]

    def _plate_boxes(self, image: RgbImage) -> list[Quad]:
        """Boxes from the SSD plate detector, run at half size (none without it)."""
        if self._ssd is None:
            return []
        height, width = image.shape[:2]
        small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        scaled = (small.astype(np.float32) / 255 - _SSD_MEAN) / _SSD_STD
        net = self._ssd.for_shape(small.shape[:2])
        net.setInput(scaled.transpose(2, 0, 1)[None].astype(np.float32))
        found = net.forward()[0, 0]
        quads = []
        for detection in found:
            if float(detection[2]) < 0.3:
                continue
            x1, y1 = detection[3] * width, detection[4] * height
            x2, y2 = detection[5] * width, detection[6] * height
            if x2 - x1 >= 16 and y2 - y1 >= 8:
                quads.append(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32))
        return quads[:2]

    def _plate_shaped(self, boxes: Any) -> list[Quad]:
        if boxes is None or len(boxes) == 0:
            return []
        shaped = []
        for raw in boxes:
            quad = _order(np.asarray(raw, dtype=np.float32))
            width = float(np.linalg.norm(quad[1] - quad[0]))
            height = float(np.linalg.norm(quad[3] - quad[0]))
            if height >= 8 and 1.5 <= width / max(height, 1.0) <= 9:
                shaped.append((width * height, quad))
        shaped.sort(key=lambda item: item[0], reverse=True)
        return [quad for _, quad in shaped[: self._max_candidates]]

    @staticmethod
    def _vote(
        texts: Sequence[DecodedText], color: PlateColor, grammars: tuple[PlateGrammar, ...]
    ) -> tuple[str, float, PlateGrammar] | None:
        scores: dict[str, list[float]] = defaultdict(list)
        grammar_of: dict[str, PlateGrammar] = {}
        for decoded in texts:
            score = decoded.score
            # Of the reading and its repairs, the one that fits the most specific grammar
            # (grammars run from specific to generic); a repair counts a little less.
            fits = [
                (specificity, rank, candidate, grammar)
                for rank, candidate in enumerate(_candidates(decoded))
                for specificity, grammar in enumerate(grammars)
                if grammar.matches(candidate)
            ]
            if fits:
                _, rank, candidate, grammar = min(fits, key=lambda fit: (fit[0], fit[1]))
                # A repair counts a little less; so does a fit to a loose pattern only.
                weight = (1.0 if rank == 0 else 0.9) * (_GENERIC if grammar.generic else 1.0)
                scores[candidate].append(score * weight)
                grammar_of[candidate] = grammar
        if not scores:
            return None
        expected = 8 if color is PlateColor.GREEN else 7

        def strength(text: str) -> tuple[float, float]:
            length_fits = grammar_of[text].region is not PlateRegion.CN or len(text) == expected
            return (sum(scores[text]) + (0.5 if length_fits else 0.0), max(scores[text]))

        best = max(scores, key=strength)
        return best, sum(scores[best]) / len(scores[best]), grammar_of[best]


class _SsdNets:
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


def _best_per_text(readings: list[PlateReading]) -> list[PlateReading]:
    """One reading per plate text (overlapping boxes), most confident first."""
    best: dict[str, PlateReading] = {}
    for reading in readings:
        if reading.text not in best or reading.confidence > best[reading.text].confidence:
            best[reading.text] = reading
    return sorted(best.values(), key=lambda r: r.confidence, reverse=True)
