"""Licence-plate texts: normalisation and per-region grammars.

A reading from a camera is normalised (full-width forms, spaces, dots and dashes
removed, upper case) and then checked against the grammars a site accepts. Chinese
plates never contain I or O in their serial part, so there those letters can only be
misread digits (1, 0) and are corrected. Grammars are regular expressions per region;
sites may add their own (``PlateGrammar.custom``).

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CN_PROVINCES",
    "DEFAULT_GRAMMARS",
    "LATIN_PLATE_SHAPE",
    "PlateGrammar",
    "PlatePatternError",
    "PlateRegion",
    "fixed_layout",
    "match_grammar",
    "normalise_plate",
]

CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CN_LETTER = "A-HJ-NP-Z"  # no I, no O
_CN_SERIAL = f"{_CN_LETTER}0-9"
_DROP = re.compile(r"[\s·•.\-_]+")


class PlateRegion(StrEnum):
    CN = "cn"
    EU = "eu"
    BR = "br"
    US = "us"


class PlatePatternError(ValueError):
    """Why :meth:`PlateGrammar.custom` refused a pattern: ``problem`` is ``length``,
    ``syntax`` (``detail``: the regular-expression engine's own words) or ``nested``
    (a repetition that can take exponential time)."""

    def __init__(self, problem: str, text: str, *, detail: str = "") -> None:
        super().__init__(f"{text}: {detail}" if detail else text)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class PlateGrammar:
    """One plate format: a name, its region and an anchored pattern over normalised text."""

    name: str
    region: PlateRegion
    pattern: re.Pattern[str]
    generic: bool = False  # a loose pattern: texts that are not plates fit it too
    weight: float = 1.0  # how much a reading that fits counts (less for loose patterns)

    @classmethod
    def custom(cls, name: str, region: PlateRegion, pattern: str) -> PlateGrammar:
        """A site's own format; the pattern must compile and match whole texts only."""
        if not 1 <= len(pattern) <= 200:
            raise PlatePatternError("length", "a plate pattern has 1-200 characters")
        try:
            compiled = re.compile(rf"^(?:{pattern})$")
        except (re.error, OverflowError, RecursionError) as exc:  # a{99999999999}: Overflow
            raise PlatePatternError(
                "syntax", "the plate pattern does not compile", detail=str(exc)
            ) from exc
        if _nested_repetition(pattern):
            raise PlatePatternError(
                "nested",
                "the plate pattern repeats a group that itself repeats or alternates "
                "(like (A+)+ or (A|B)*), which can take exponential time; "
                "write the repetition once, e.g. [A-Z]{2,3}",
            )
        return cls(name, region, compiled)

    def matches(self, text: str) -> bool:
        return self.pattern.fullmatch(text) is not None

    @property
    def layout(self) -> str | None:
        """Which places hold letters (``L``), digits (``N``) or either (``X``), where
        the pattern fixes them: ``[A-Z]{3}[0-9][A-Z][0-9]{2}`` is ``LLLNLNN``; None for
        a pattern of any other shape. A reader moves look-alike characters (0/O, 8/B)
        to the kind their place holds."""
        return fixed_layout(self.pattern.pattern)


_QUANTIFIER = re.compile(r"\*|\+|\?|\{(\d*)(,?)(\d*)\}")


def _repeats(quantifier: re.Match[str]) -> bool:
    """Whether a quantifier allows more than one occurrence (``?`` and ``{0,1}`` do not;
    ``{}`` is a literal)."""
    text = quantifier.group(0)
    if text in ("*", "+"):
        return True
    low, comma, high = quantifier.group(1, 2, 3)
    if text == "?" or not (low or comma):
        return False
    if not comma:
        return int(low) > 1
    return not high or int(high) > 1


def _group_start(pattern: str, at: int) -> int:
    """Where a group's body starts: after ``(`` and any ``?:``, ``?=``, ``?P<name>``."""
    at += 1
    if pattern.startswith("?P<", at):
        return pattern.find(">", at) + 1
    if pattern.startswith(("?<=", "?<!"), at):
        return at + 3
    if pattern.startswith(("?:", "?=", "?!", "?>"), at):
        return at + 2
    if pattern.startswith("?", at):  # inline flags: (?i) or (?i:...)
        at += 1
        while at < len(pattern) and (pattern[at].isalpha() or pattern[at] == "-"):
            at += 1
        return at + 1 if pattern.startswith(":", at) else at
    return at


def _nested_repetition(pattern: str) -> bool:
    """Whether a repeated group holds a repetition or an alternation (``(A+)+``,
    ``(A|AB)*``, ``(?:[0-9]{2}){3}``): the shapes whose backtracking can grow
    exponentially with the text. An optional group (``?``, ``{0,1}``) is harmless.
    Character classes and escapes are skipped; the pattern already compiled."""
    inner: list[bool] = [False]  # per open group (the whole pattern first): repeats inside
    closed = False  # the previous token closed a group that repeats inside
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at, closed = at + 2, False
        elif char == "[":
            at += 1
            if pattern.startswith("^", at):
                at += 1
            if pattern.startswith("]", at):
                at += 1
            while at < len(pattern) and pattern[at] != "]":
                at += 2 if pattern[at] == "\\" else 1
            at, closed = at + 1, False
        elif char == "(":
            inner.append(False)
            at, closed = _group_start(pattern, at), False
        elif char == ")" and len(inner) > 1:
            closed = inner.pop()
            inner[-1] = inner[-1] or closed
            at += 1
        elif char == "|":
            inner[-1] = True
            at, closed = at + 1, False
        elif (found := _QUANTIFIER.match(pattern, at)) is not None:
            if _repeats(found):
                if closed:
                    return True
                inner[-1] = True
            at, closed = found.end(), False
            if at < len(pattern) and pattern[at] in "?+":  # lazy or possessive
                at += 1
        else:
            at, closed = at + 1, False
    return False


def _grammar(name: str, region: PlateRegion, pattern: str, *, weight: float = 1.0) -> PlateGrammar:
    return PlateGrammar(name, region, re.compile(rf"^{pattern}$"), weight < 1.0, weight)


# A Latin plate of any country: 4-8 letters and digits with at least one digit (the
# separators, spaces, dashes, emblems, are gone after normalising). A region's own
# layouts only rank readings above this; a site's own patterns may restrict them.
LATIN_PLATE_SHAPE = "(?=[A-Z]*[0-9])[A-Z0-9]{4,8}"
_P = f"[{CN_PROVINCES}]"
DEFAULT_GRAMMARS: tuple[PlateGrammar, ...] = (
    # Blue (small cars) and yellow (large vehicles): province, issuing letter, 5 serial.
    _grammar("cn_standard", PlateRegion.CN, f"{_P}[{_CN_LETTER}][{_CN_SERIAL}]{{5}}"),
    # Green new-energy: small cars D/F then 5 (first may be a letter); large: 5 digits, D/F.
    _grammar(
        "cn_new_energy",
        PlateRegion.CN,
        f"{_P}[{_CN_LETTER}](?:[DF][{_CN_SERIAL}][0-9]{{4}}|[0-9]{{5}}[DF])",
    ),
    # Police, driving school, trailer: 4 serial characters and a special character.
    _grammar("cn_special", PlateRegion.CN, f"{_P}[{_CN_LETTER}][{_CN_SERIAL}]{{4}}[警学挂]"),
    _grammar("br_mercosul", PlateRegion.BR, "[A-Z]{3}[0-9][A-Z][0-9]{2}"),
    _grammar("br_old", PlateRegion.BR, "[A-Z]{3}[0-9]{4}"),
    # European national layouts with fixed places: France (since 2009) and Italy
    # "AB123CD", Spain (since 2000) "1234BCD" (no vowels), United Kingdom "AB12CDE".
    _grammar("eu_fr_it", PlateRegion.EU, "[A-HJ-NP-TV-Z]{2}[0-9]{3}[A-HJ-NP-TV-Z]{2}"),
    _grammar("eu_es", PlateRegion.EU, "[0-9]{4}[B-DF-HJ-NP-TV-Z]{3}"),
    _grammar("eu_uk", PlateRegion.EU, "[A-Z]{2}[0-9]{2}[A-Z]{3}"),
    # Croatia, Slovakia: the same places as France and Italy, with every letter.
    _grammar("eu_hr_sk", PlateRegion.EU, "[A-Z]{2}[0-9]{3}[A-Z]{2}"),
    # Many other European layouts: 1-3 letters, 1-2 letters, 1-4 digits (DE, AT, PL);
    # it ranks a reading with its letters first (PIDK23) above a misread (P1DK23).
    _grammar(
        "eu_letters_digits",
        PlateRegion.EU,
        "(?=.{3,8}$)[A-Z]{1,3}[A-Z]{1,2}[0-9]{1,4}[EH]?",
        weight=0.85,
    ),
    # Every other Latin plate: the generic shape, one per region so a reading says
    # which region's cameras took it (US first: the reader tells EU plates by their band).
    _grammar("us_generic", PlateRegion.US, LATIN_PLATE_SHAPE, weight=0.8),
    _grammar("eu_generic", PlateRegion.EU, LATIN_PLATE_SHAPE, weight=0.8),
    _grammar("br_generic", PlateRegion.BR, LATIN_PLATE_SHAPE, weight=0.8),
)


_LAYOUT_TOKEN = re.compile(r"(\[[^\]]+\]|\\d|[A-Z0-9])(?:\{(\d+)\})?")


@functools.lru_cache(maxsize=512)
def fixed_layout(pattern: str) -> str | None:
    """The layout of an anchored pattern made only of character classes, ``\\d`` and
    literal letters or digits, each repeated a fixed number of times (see
    :attr:`PlateGrammar.layout`); None otherwise."""
    body = pattern.removeprefix("^(?:").removesuffix(")$")
    if body == pattern:
        body = pattern.removeprefix("^").removesuffix("$")
    layout, at = [], 0
    while at < len(body):
        token = _LAYOUT_TOKEN.match(body, at)
        if token is None:
            return None
        unit, count = token.group(1), int(token.group(2) or 1)
        members = _class_members(unit)
        if not members:
            return None
        kind = "L" if members.isalpha() else "N" if members.isdigit() else "X"
        layout.append(kind * count)
        at = token.end()
    return "".join(layout) or None


def _class_members(unit: str) -> str:
    """The ASCII letters and digits a class (``[A-HJ-NP-Z]``, ``\\d``) or literal stands
    for; empty for a negated class or one holding anything else."""
    if unit == "\\d":
        return "0123456789"
    if not unit.startswith("["):
        return unit
    inner = unit[1:-1]
    if inner.startswith("^"):
        return ""
    members, at = [], 0
    while at < len(inner):
        if at + 2 < len(inner) and inner[at + 1] == "-":
            low, high = inner[at], inner[at + 2]
            members += [chr(c) for c in range(ord(low), ord(high) + 1)]
            at += 3
        else:
            members.append(inner[at])
            at += 1
    text = "".join(members)
    return text if text.isascii() and text.isalnum() and text.upper() == text else ""


def normalise_plate(raw: str) -> str:
    """Canonical form of a reading: NFKC, upper case, no spaces, dots or dashes; in a
    Chinese plate's serial part (after province and letter) I and O become 1 and 0."""
    text = _DROP.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if len(text) >= 3 and text[0] in CN_PROVINCES:
        serial = text[2:].replace("O", "0").replace("I", "1")
        text = text[:2] + serial
    return text


def match_grammar(text: str, grammars: Iterable[PlateGrammar]) -> PlateGrammar | None:
    """The first grammar the normalised ``text`` matches, or None."""
    for grammar in grammars:
        if grammar.matches(text):
            return grammar
    return None


def grammars_for(regions: Sequence[PlateRegion]) -> tuple[PlateGrammar, ...]:
    """The default grammars of these regions, in the default order."""
    wanted = set(regions)
    return tuple(g for g in DEFAULT_GRAMMARS if g.region in wanted)
