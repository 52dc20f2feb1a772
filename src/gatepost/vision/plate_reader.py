"""The default plate reader: text detection and recognition (PP-OCR) used as a plate
detector plus a crop reader, checked against plate grammars.

Every model ships inside a wheel (nothing is downloaded): PP-OCRv4 detection and
recognition from ``rapidocr-onnxruntime``, the PP-OCRv6 small recogniser from the
``rapidocr`` 3.x wheel (model file only), hyperlpr2's SSD plate detector. Running OCR
over a whole frame reads every sign and costs ~0.3-0.4 s; instead:

1. for Chinese formats, the SSD plate detector's boxes first, read only when their
   widest crop starts with a Chinese character; a sure reading (``_SURE``) ends there;
2. the text detector on the frame scaled to ``detect_side`` (640) pixels; its boxes
   become plate proposals (:mod:`gatepost.vision.plate_boxes`: single lines, neighbours
   joined across an emblem, stacked rows, a box split between two rows), read largest
   first until a sure reading, which only a layout with fixed places can give;
3. each proposal is cut from the *full-resolution* frame with a perspective warp at
   two or three margins (the detector sometimes leaves out a first or last character),
   stretched 1.3x (CTC recognisers merge repeated characters on narrow crops), a
   European plate's blue band cut off, and recognised in batches of similar width;
   Chinese-led proposals by PP-OCRv4, Latin ones by PP-OCRv6 (which reads them better);
4. each crop is decoded keeping every character's alternatives (``gatepost.vision.ctc``):
   impossible Chinese characters give way to the likeliest possible ones, look-alike
   letters and digits move to the kind their place holds where a layout fixes it, and
   the crops of a proposal vote for the most specific grammar they fit; the plate's
   colour decides between a 7- and an 8-character Chinese reading;
5. when nothing was read, the text detector looks again at ``second_look_side``.

Figures and the reasons for each threshold: docs/plates.md (``gatepost bench plates``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from math import ceil, floor
from typing import Any, NamedTuple

import cv2
import numpy as np

from gatepost.domain.plates import (
    DEFAULT_GRAMMARS,
    PlateGrammar,
    PlateRegion,
)
from gatepost.vision.ctc import Alphabet
from gatepost.vision.images import RgbImage
from gatepost.vision.plate_boxes import (
    PlateProposal,
    Quad,
    band_width,
    grown_upwards,
    may_hold_two_rows,
    plate_proposals,
    row_split,
    split_rows,
)
from gatepost.vision.plate_models import Recogniser, SsdNets, latin_recogniser, recognise_crops
from gatepost.vision.plate_text import vote
from gatepost.vision.plates import PlateReading, plate_color

__all__ = ["RapidOcrPlateReader"]

_CROP_HEIGHT = 48
_STRETCH = 1.3
_SSD_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_SSD_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_MARGINS = ((0.0, 0.0), (0.04, 0.12), (0.12, 0.2))
# A reading of the plate detector's boxes this confident skips the text detector. On
# the CCPD photos and 240 synthetic frames, 0.9 and above changed no result (0.85 lost
# two synthetic frames); it skipped for every CCPD photo and ~92% of synthetic frames.
_SURE = 0.92
_MAX_ASPECT = 16  # a crop at most this many times as wide as tall (a plate line's 12 x 1.3)
_WHOLE_MARGIN = 0.1  # a piece of a plate beats the whole only this much more confident
_UPPER_REACH = 0.8  # how far above a box a plate's upper row may reach, in box heights
_SURE_WEIGHT = 1.0  # only a fit to a layout with fixed places (or a site's own) is sure


def _warp(
    image: Any,
    quad: Quad,
    margin_x: float,
    margin_y: float,
    *,
    stretch: float = _STRETCH,
    height: int = _CROP_HEIGHT,
) -> Any:
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
    tall = float(np.linalg.norm(down)) * (1 + 2 * margin_y)
    out_w = max(8, min(_MAX_ASPECT * height, round(stretch * height * width / max(tall, 1.0))))
    target = np.array([[0, 0], [out_w, 0], [out_w, height], [0, height]], dtype=np.float32)
    matrix: Any = cv2.getPerspectiveTransform(grown, target)
    return cv2.warpPerspective(
        image, matrix, (out_w, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


class RapidOcrPlateReader:
    """Plates from a frame (see the module docstring); safe to call from threads."""

    def __init__(
        self,
        *,
        grammars: Sequence[PlateGrammar] = DEFAULT_GRAMMARS,
        detect_side: int = 640,
        second_look_side: int | None = 1280,
        max_candidates: int = 6,
        threads: int = 1,
        plate_detector: bool = True,
        latin_model: bool = True,
    ) -> None:
        """``plate_detector``: also take boxes from hyperlpr2's SSD plate detector (a
        network trained on Chinese plates; it keeps the province character the text
        detector sometimes cuts off). Default: on, used only for frames whose grammars
        include a Chinese one. ``grammars``: the default for :meth:`read`.
        ``second_look_side``: when nothing was read at ``detect_side``, the text
        detector looks again at up to this long side (None: never). ``latin_model``:
        read Latin plates with PP-OCRv6 (from the ``rapidocr`` wheel; off: PP-OCRv4,
        the Chinese plates' recogniser, reads them too)."""
        from rapidocr_onnxruntime import RapidOCR

        if not grammars:
            raise ValueError("a plate reader needs at least one grammar")
        self._grammars = tuple(grammars)
        self._max_candidates = max_candidates
        engine: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        detector = engine.text_det
        self._detect = detector
        self._preprocess = {
            side: self._det_preprocess(side)
            for side in (detect_side, second_look_side)
            if side is not None
        }
        self._detect_side = detect_side
        self._second_look_side = second_look_side
        rec = engine.text_rec
        self._chinese_rec = Recogniser(
            rec.session, Alphabet.of(rec.postprocess_op.character), rec.resize_norm_img
        )
        # PP-OCRv6 is loaded on the first Latin proposal (a Chinese-only site never does).
        self._latin_model = latin_model
        self._latin: Recogniser | None = None
        self._resize = rec.resize_norm_img
        self._threads = threads
        self._lock = threading.Lock()
        self._ssd = SsdNets() if plate_detector else None  # for Chinese grammars only

    def read(
        self, image: RgbImage, *, grammars: Sequence[PlateGrammar] | None = None
    ) -> list[PlateReading]:
        accepted = self._grammars if grammars is None else tuple(grammars)
        if not accepted:
            raise ValueError("a plate reader needs at least one grammar")
        chinese = any(g.region is PlateRegion.CN for g in accepted)
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        with self._lock:
            # The plate detector's boxes first: when they already give a sure reading
            # of a plate format (the usual frame at a Chinese gate), the text detector
            # and the crops of its boxes are skipped, about half the time of a frame.
            # Only its Chinese readings count: the network knows no other plates, and
            # its box over a European plate holds the band's letters (DWT3647).
            ssd = [PlateProposal((quad,), ()) for quad in self._chinese_boxes(image, bgr, chinese)]
            found = [
                read
                for read in self._read_proposals(
                    bgr, ssd, accepted, self._chinese_rec, chinese=True
                )
                if read.reading.region == PlateRegion.CN.value
            ]
            if not any(read.sure for read in found):
                found += self._read_detected(bgr, self._detect_side, accepted)
            longest = max(bgr.shape[:2])
            second = self._second_look_side
            if not found and second is not None and longest > self._detect_side * 1.25:
                # Nothing at all: the plate may be too small for the first look.
                found = self._read_detected(bgr, second, accepted)
        return _best_per_text(_whole_over_parts(found))

    def _read_detected(
        self,
        bgr: Any,
        side: int,
        accepted: tuple[PlateGrammar, ...],
    ) -> list[_Read]:
        """Readings of the text detector's proposals at ``side``, largest first, until
        one is sure: a gate decides on the nearest car, so smaller boxes (signs, a car
        further back) are left unread then. A joined proposal is read together with its
        parts, so that the whole plate and a part of it can be weighed."""
        preprocess = self._preprocess.get(side)
        if preprocess is None:
            preprocess = self._preprocess.setdefault(side, self._det_preprocess(side))
        self._detect.get_preprocess = lambda _longest: preprocess
        boxes, _ = self._detect(bgr)
        queue = plate_proposals(boxes, limit=self._max_candidates)
        found: list[_Read] = []
        while queue:
            batch = [queue.pop(0)]
            if batch[0].joined:
                parts = set(batch[0].parts)
                batch += [p for p in queue if set(p.parts) <= parts]
                queue = [p for p in queue if not set(p.parts) <= parts]
            found += self._read_either_script(bgr, batch, accepted)
            if any(read.sure for read in found):
                break
        return found

    def _read_either_script(
        self, bgr: Any, proposals: list[PlateProposal], accepted: tuple[PlateGrammar, ...]
    ) -> list[_Read]:
        """The proposals read by the recogniser of their script: where both Chinese and
        Latin formats are accepted, the Chinese recogniser reads each proposal's widest
        crop first (a province character leads a Chinese plate) to choose."""
        cn, chinese_rec = PlateRegion.CN, self._chinese_rec
        if not any(g.region is cn for g in accepted):
            return self._read_proposals(bgr, proposals, accepted, self._latin_rec(), chinese=False)
        if all(g.region is cn for g in accepted) or not self._latin_model:
            return self._read_proposals(bgr, proposals, accepted, chinese_rec, chinese=True)
        mx, my = _MARGINS[-1]
        widest = [_warp(bgr, p.rows[0], mx, my) for p in proposals]
        # The band's letters cut off first: a European plate is not Chinese-led.
        probes = recognise_crops(chinese_rec, [c[:, band_width(c) :] for c in widest])
        led = [p for p, t in zip(proposals, probes, strict=True) if _chinese_led(t.text)]
        rest = [p for p in proposals if not any(p is q for q in led)]
        return self._read_proposals(
            bgr, led, accepted, chinese_rec, chinese=True
        ) + self._read_proposals(bgr, rest, accepted, self._latin_rec(), chinese=False)

    def _read_proposals(
        self,
        bgr: Any,
        proposals: Sequence[PlateProposal],
        accepted: tuple[PlateGrammar, ...],
        recogniser: Recogniser,
        *,
        chinese: bool,
    ) -> list[_Read]:
        """A reading per proposal whose crops vote for a plate format, with the
        detector boxes it was made of. A two-row proposal's rows are cut and recognised
        apart and their readings joined, top row first. A European plate's blue band
        is cut off each crop first (its letters are not part of the plate)."""
        if not proposals:
            return []
        # The widest margin is for a Chinese province character the detector cut off.
        margins = _MARGINS if chinese else _MARGINS[:2]
        proposals = self._with_two_rows(bgr, proposals)
        crops, banded = [], []
        for proposal in proposals:
            for mx, my in margins[:1] if proposal.split else margins:
                for row in proposal.rows:
                    crop = _warp(bgr, row, mx, my)
                    band = band_width(crop)
                    crops.append(crop[:, band:])
                    banded.append(band > 0)
        texts = recognise_crops(recogniser, crops)
        found = []
        at = 0  # the first crop of this proposal
        for proposal in proposals:
            tight, band = crops[at], banded[at]
            votes = []
            for _ in margins[:1] if proposal.split else margins:
                rows = texts[at : at + len(proposal.rows)]
                at += len(proposal.rows)
                # Every row read, and none a state's name: else not this plate's rows.
                if len(rows) == 1 or all(r.text and not _is_word(r.text) for r in rows):
                    votes.append(sum(rows[1:], start=rows[0]))
            color = plate_color(cv2.cvtColor(tight, cv2.COLOR_BGR2RGB))
            voted = vote(votes, color, accepted)
            if voted is None:
                continue
            text, confidence, grammar = voted
            # A fit to the bare Latin shape is never sure: a watermark's "19208" is
            # one, and a larger box than the plate's.
            sure = grammar.weight >= _SURE_WEIGHT and confidence >= _SURE * grammar.weight
            if band and grammar.generic:  # a blue band: a European plate
                grammar = next(
                    (
                        g
                        for g in accepted
                        if g.pattern == grammar.pattern and g.region is PlateRegion.EU
                    ),
                    grammar,
                )
            x1, y1, x2, y2 = proposal.bounds
            box = (max(0, floor(x1)), max(0, floor(y1)), ceil(x2), ceil(y2))
            reading = PlateReading(text, confidence, box, color, grammar.region.value)
            found.append(_Read(reading, proposal.parts, proposal.split, sure))
        return found

    def _latin_rec(self) -> Recogniser:
        """The recogniser of Latin plates: PP-OCRv6, loaded on first use (under the
        reader's lock), or PP-OCRv4 where ``latin_model`` is off."""
        if not self._latin_model:
            return self._chinese_rec
        if self._latin is None:
            self._latin = latin_recogniser(self._resize, self._threads)
        return self._latin

    @staticmethod
    def _with_two_rows(bgr: Any, proposals: Sequence[PlateProposal]) -> list[PlateProposal]:
        """The proposals, each box narrow enough to be a two-row plate followed by its
        two rows where its crop divides into two (the detector often gives one box
        over both rows of a motorcycle or Chinese rear plate)."""
        out = []
        for proposal in proposals:
            out.append(proposal)
            if not may_hold_two_rows(proposal):
                continue
            (quad,) = proposal.rows
            # The box may cover both rows, or only the lower, larger one.
            for tall in (quad, grown_upwards(quad, _UPPER_REACH)):
                split = row_split(_warp(bgr, tall, 0.0, 0.0, stretch=1.0, height=96))
                if split is not None:
                    rows = split_rows(tall, *split)
                    out.append(PlateProposal(rows, proposal.parts, split=True))
                    break
        return out

    def _det_preprocess(self, side: int) -> Any:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        return DetPreProcess(side, "max", self._detect.mean, self._detect.std)

    def _chinese_boxes(self, image: RgbImage, bgr: Any, chinese: bool) -> list[Quad]:
        """The plate detector's boxes whose widest crop begins with a Chinese character
        (one crop each, for the province): the others are not read further from it."""
        quads = self._plate_boxes(image, chinese)
        mx, my = _MARGINS[-1]
        texts = recognise_crops(self._chinese_rec, [_warp(bgr, q, mx, my) for q in quads])
        return [
            q for q, t in zip(quads, texts, strict=True) if t.text[:1] and not t.text[0].isascii()
        ]

    def _plate_boxes(self, image: RgbImage, chinese: bool) -> list[Quad]:
        """Boxes from the SSD plate detector, run at half size (none without it or
        where no Chinese format is read)."""
        if self._ssd is None or not chinese:
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


def _chinese_led(text: str) -> bool:
    """Whether a reading begins with a Chinese character (a province, read or misread)."""
    return bool(text) and not text[0].isascii()


def _is_word(text: str) -> bool:
    """Four or more letters alone: a state's or a country's name over a plate's
    number (TEXAS, OHIO), not a plate's row."""
    return len(text) >= 4 and text.isascii() and text.isalpha()


class _Read(NamedTuple):
    """A proposal's reading, the detector boxes it was made of, whether it came from a
    box split into two rows, and whether it is sure (``_SURE``, for a fit to a layout
    with fixed places only)."""

    reading: PlateReading
    parts: tuple[int, ...]
    split: bool
    sure: bool


def _holds(whole: _Read, part: _Read) -> bool:
    """Whether ``part`` was read from a piece of ``whole``: fewer of its boxes, or the
    same box before it was split into rows."""
    if not part.parts:
        return False
    if set(part.parts) < set(whole.parts):
        return True
    return part.parts == whole.parts and whole.split and not part.split


def _whole_over_parts(found: list[_Read]) -> list[PlateReading]:
    """The readings, where a whole (neighbours joined across an emblem, stacked rows, a
    box split into rows) and pieces of it were both read, keeping the whole unless a
    piece is clearly more confident (by 0.1), then the pieces instead. Wholes are
    weighed largest first, and only against pieces still kept, so something of every
    plate is always kept."""
    kept = set(range(len(found)))
    order = sorted(kept, key=lambda i: (len(found[i].parts), found[i].split), reverse=True)
    for w in order:
        if w not in kept:
            continue
        pieces = [p for p in kept if p != w and _holds(found[w], found[p])]
        if not pieces:
            continue
        best_piece = max(found[p].reading.confidence for p in pieces)
        if found[w].reading.confidence >= best_piece - _WHOLE_MARGIN:
            kept -= set(pieces)
        else:
            kept.discard(w)
    return [read.reading for i, read in enumerate(found) if i in kept]


def _best_per_text(readings: list[PlateReading]) -> list[PlateReading]:
    """One reading per plate text (overlapping boxes), most confident first."""
    best: dict[str, PlateReading] = {}
    for reading in readings:
        if reading.text not in best or reading.confidence > best[reading.text].confidence:
            best[reading.text] = reading
    return sorted(best.values(), key=lambda r: r.confidence, reverse=True)
