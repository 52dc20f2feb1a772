"""Licence-plate texts: normalisation and per-region grammars.

A reading from a camera is normalised (full-width forms, spaces, dots and dashes
removed, upper case) and then checked against the grammars a site accepts. Chinese
plates never contain I or O in their serial part, so there those letters can only be
misread digits (1, 0) and are corrected. Grammars are regular expressions per region;
sites may add their own (``PlateGrammar.custom``).

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CN_PROVINCES",
    "DEFAULT_GRAMMARS",
    "PlateGrammar",
    "PlateRegion",
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


@dataclass(frozen=True)
class PlateGrammar:
    """One plate format: a name, its region and an anchored pattern over normalised text."""

    name: str
    region: PlateRegion
    pattern: re.Pattern[str]
    generic: bool = False  # a loose pattern: texts that are not plates fit it too

    @classmethod
    def custom(cls, name: str, region: PlateRegion, pattern: str) -> PlateGrammar:
        """A site's own format; the pattern must compile and match whole texts only."""
        if not 1 <= len(pattern) <= 200:
            raise ValueError("a plate pattern has 1-200 characters")
        try:
            compiled = re.compile(rf"^(?:{pattern})$")
        except re.error as exc:
            raise ValueError(f"the plate pattern does not compile: {exc}") from exc
        return cls(name, region, compiled)

    def matches(self, text: str) -> bool:
        return self.pattern.fullmatch(text) is not None


def _grammar(
    name: str, region: PlateRegion, pattern: str, *, generic: bool = False
) -> PlateGrammar:
    return PlateGrammar(name, region, re.compile(rf"^{pattern}$"), generic)


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
    # EU formats vary by country: 1-3 letters, 1-2 letters, 1-4 digits (e.g. DE, AT, PL).
    _grammar("eu_generic", PlateRegion.EU, "[A-Z]{1,3}[A-Z]{1,2}[0-9]{1,4}[EH]?", generic=True),
    _grammar("us_generic", PlateRegion.US, "(?=.*[0-9])(?=.*[A-Z])[A-Z0-9]{5,7}", generic=True),
)


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
