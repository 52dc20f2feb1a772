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
from collections.abc import Callable, Sequence
from math import ceil, floor
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from gatepost.domain.plates import (
    CN_PROVINCES,
    DEFAULT_GRAMMARS,
    PlateGrammar,
    PlateRegion,
    normalise_plate,
)
from gatepost.vision.ctc import Alphabet, DecodedText, ctc_greedy
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
# Crops are padded to at least this width / height, not to the recogniser's own 320 x
# 48: a plate crop is narrower, and padding costs as much as pixels. At 3 (144 px)
# the Brazilian, CCPD and synthetic sets read as at 6.67, in 60-75% of the time.
_MIN_CROP_RATIO = 3.0
_LATIN_MODEL = "PP-OCRv6_rec_small.onnx"
_BATCH_SPREAD = 1.3  # crops batched together differ in width by at most this factor
_UPPER_REACH = 0.8  # how far above a box a plate's upper row may reach, in box heights
_SURE_WEIGHT = 1.0  # only a fit to a layout with fixed places (or a site's own) is sure
# Digits alone fit the Latin shape (some US plates) but so do years, phone numbers and
# watermarks: such a reading counts this much less.
_DIGITS_ONLY = 0.85
# A Latin reading that fits only a loose pattern counts this much less when it is
# short: most plates have 6-8 characters, the signs and stickers around them fewer.
_SHORT = {4: 0.9, 5: 0.95}
# A reading one character longer at an end (a wider crop's) replaces the best one when
# at least this confident, relative to it.
_CUT_OFF = 0.9
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "7": "T", "4": "A"}


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
    out_w = max(8, round(stretch * height * width / max(tall, 1.0)))
    target = np.array([[0, 0], [out_w, 0], [out_w, height], [0, height]], dtype=np.float32)
    matrix: Any = cv2.getPerspectiveTransform(grown, target)
    return cv2.warpPerspective(
        image, matrix, (out_w, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
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


def _candidates(decoded: DecodedText, layouts: Sequence[str]) -> list[str]:
    """The normalised reading, then its constrained form and their plausible repairs
    (``layouts``: those of the accepted grammars), once each."""
    text = normalise_plate(decoded.text)
    constrained = _constrained(decoded, text)
    found = list(dict.fromkeys((text, constrained)))
    for base in tuple(found):
        found += [r for r in _repairs(base, layouts) if _plausible(decoded, base, r)]
    return list(dict.fromkeys(found))


def _repairs(text: str, layouts: Sequence[str]) -> list[str]:
    """Where a fixed layout says which places hold letters and which digits (a
    Brazilian LLLNLNN, a French LLNNNLL, a site's own pattern), the reading with
    look-alike characters moved to the kind their place holds; a Chinese plate's
    issuing letter made a letter; a Latin reading's lone digit among letters made a
    letter and lone letter among digits a digit."""
    candidates = []
    if len(text) in (7, 8) and text[0] in CN_PROVINCES:  # the issuing letter is a letter
        return [text[0] + _TO_LETTER.get(text[1], text[1]) + text[2:]]
    for layout in layouts:
        if len(layout) == len(text):
            fixed = [
                _TO_LETTER.get(c, c) if kind == "L" else _TO_DIGIT.get(c, c) if kind == "N" else c
                for kind, c in zip(layout, text, strict=True)
            ]
            candidates.append("".join(fixed))
    if text.isascii() and len(text) >= 4:
        candidates.append(_grouped(text))
    return candidates


def _grouped(text: str) -> str:
    """A Latin reading with a digit between two letters made a letter (P1DK23 ->
    PIDK23) and a letter between two digits a digit (12O4 -> 1204)."""
    chars = list(text)
    for i in range(1, len(text) - 1):
        before, here, after = text[i - 1], text[i], text[i + 1]
        if here.isdigit() and before.isalpha() and after.isalpha():
            chars[i] = _TO_LETTER.get(here, here)
        elif here.isalpha() and before.isdigit() and after.isdigit():
            chars[i] = _TO_DIGIT.get(here, here)
    return "".join(chars)


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
        self._chinese_rec = _Recogniser(
            rec.session, Alphabet.of(rec.postprocess_op.character), rec.resize_norm_img
        )
        self._latin_rec = (
            _latin_recogniser(rec.resize_norm_img, threads) if latin_model else self._chinese_rec
        )
        self._lock = threading.Lock()
        self._ssd = _SsdNets() if plate_detector else None  # for Chinese grammars only

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
                found = self._read_detected(bgr, min(second, longest), accepted)
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
        cn, chinese_rec, latin_rec = PlateRegion.CN, self._chinese_rec, self._latin_rec
        if not any(g.region is cn for g in accepted):
            return self._read_proposals(bgr, proposals, accepted, latin_rec, chinese=False)
        if all(g.region is cn for g in accepted) or latin_rec is chinese_rec:
            return self._read_proposals(bgr, proposals, accepted, chinese_rec, chinese=True)
        mx, my = _MARGINS[-1]
        probes = self._recognise_crops(
            chinese_rec, [_warp(bgr, p.rows[0], mx, my) for p in proposals]
        )
        led = [p for p, t in zip(proposals, probes, strict=True) if _chinese_led(t.text)]
        rest = [p for p in proposals if not any(p is q for q in led)]
        return self._read_proposals(
            bgr, led, accepted, chinese_rec, chinese=True
        ) + self._read_proposals(bgr, rest, accepted, latin_rec, chinese=False)

    def _read_proposals(
        self,
        bgr: Any,
        proposals: Sequence[PlateProposal],
        accepted: tuple[PlateGrammar, ...],
        recogniser: _Recogniser,
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
        texts = self._recognise_crops(recogniser, crops)
        found = []
        at = 0  # the first crop of this proposal
        for proposal in proposals:
            tight, band = crops[at], banded[at]
            votes = []
            for _ in margins[:1] if proposal.split else margins:
                rows = texts[at : at + len(proposal.rows)]
                at += len(proposal.rows)
                if len(rows) == 1 or not any(_is_word(row.text) for row in rows):
                    votes.append(sum(rows[1:], start=rows[0]))
            color = plate_color(cv2.cvtColor(tight, cv2.COLOR_BGR2RGB))
            vote = self._vote(votes, color, accepted)
            if vote is None:
                continue
            text, confidence, grammar = vote
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
            found.append(_Read(reading, proposal.parts, sure))
        return found

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

    @staticmethod
    def _recognise_crops(recogniser: _Recogniser, crops: list[Any]) -> list[DecodedText]:
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

    def _chinese_boxes(self, image: RgbImage, bgr: Any, chinese: bool) -> list[Quad]:
        """The plate detector's boxes whose widest crop begins with a Chinese character
        (one crop each, for the province): the others are not read further from it."""
        quads = self._plate_boxes(image, chinese)
        mx, my = _MARGINS[-1]
        texts = self._recognise_crops(self._chinese_rec, [_warp(bgr, q, mx, my) for q in quads])
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

    @staticmethod
    def _vote(
        texts: Sequence[DecodedText], color: PlateColor, grammars: tuple[PlateGrammar, ...]
    ) -> tuple[str, float, PlateGrammar] | None:
        scores: dict[str, list[float]] = defaultdict(list)
        grammar_of: dict[str, PlateGrammar] = {}
        layouts = tuple(dict.fromkeys(g.layout for g in grammars if g.layout is not None))
        for decoded in texts:
            score = decoded.score
            # Of the reading and its repairs, the one that fits the most specific grammar
            # (grammars run from specific to generic); a repair counts a little less.
            fits = [
                (specificity, rank, candidate, grammar)
                for rank, candidate in enumerate(_candidates(decoded, layouts))
                for specificity, grammar in enumerate(grammars)
                if grammar.matches(candidate)
            ]
            if fits:
                _, rank, candidate, grammar = min(fits, key=lambda fit: (fit[0], fit[1]))
                # A repair counts a little less; so does a fit to a loose pattern only.
                weight = (1.0 if rank == 0 else 0.9) * grammar.weight
                weight *= _DIGITS_ONLY if candidate.isdigit() else 1.0
                if grammar.generic:  # most plates have 6-8 characters; signs fewer
                    weight *= _SHORT.get(len(candidate), 1.0)
                scores[candidate].append(score * weight)
                grammar_of[candidate] = grammar
        if not scores:
            return None
        expected = 8 if color is PlateColor.GREEN else 7

        def strength(text: str) -> tuple[float, float]:
            length_fits = grammar_of[text].region is not PlateRegion.CN or len(text) == expected
            return (sum(scores[text]) + (0.5 if length_fits else 0.0), max(scores[text]))

        best = max(scores, key=strength)
        # A wider crop that read one character more at an end than the best reading:
        # the detector's tight box had cut that character off (0KM237 / OKM2371).
        folded = best.replace("O", "0")
        for longer in scores:
            alike = longer.replace("O", "0")
            if (
                len(longer) == len(best) + 1
                and longer.isascii()
                and (alike.startswith(folded) or alike.endswith(folded))
                and max(scores[longer]) >= _CUT_OFF * max(scores[best])
            ):
                best = longer
                break
        return best, sum(scores[best]) / len(scores[best]), grammar_of[best]


def _chinese_led(text: str) -> bool:
    """Whether a reading begins with a Chinese character (a province, read or misread)."""
    return bool(text) and not text[0].isascii()


class _Recogniser(NamedTuple):
    """A CTC text recogniser: its network (a batch of crops in, columns out), its
    classes, and how it resizes and normalises a crop to a width / height ratio."""

    run: Callable[[Any], Any]
    alphabet: Alphabet
    resize: Callable[[Any, float], Any]


def _latin_recogniser(resize: Callable[[Any, float], Any], threads: int) -> _Recogniser:
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
    return _Recogniser(
        lambda batch: session.run(None, {name: batch}),
        Alphabet.of(["blank", *characters, " "]),
        resize,
    )


def _is_word(text: str) -> bool:
    """Four or more letters alone: a state's or a country's name over a plate's
    number (TEXAS, OHIO), not a plate's row."""
    return len(text) >= 4 and text.isascii() and text.isalpha()


class _Read(NamedTuple):
    """A proposal's reading, the detector boxes it was made of, and whether it is sure
    (see ``_SURE``; a loose pattern's fit needs the same evidence after its weight)."""

    reading: PlateReading
    parts: tuple[int, ...]
    sure: bool


def _whole_over_parts(found: list[_Read]) -> list[PlateReading]:
    """The readings, where a joined proposal (an emblem's two sides, two rows) and one
    of its parts were both read, keeping only the better of the two: the whole unless
    a part is clearly more confident (by 0.1)."""
    dropped: set[int] = set()
    for w, whole in enumerate(found):
        if len(whole.parts) < 2:
            continue
        for p, part in enumerate(found):
            if p == w or not part.parts or not set(part.parts) < set(whole.parts):
                continue
            if whole.reading.confidence >= part.reading.confidence - 0.1:
                dropped.add(p)
            else:
                dropped.add(w)
    return [read.reading for i, read in enumerate(found) if i not in dropped]


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
