"""The fonts synthetic plates are drawn with (Debian packages that make test installs):
a test that draws plates calls :func:`require_plate_fonts` first, which skips without
them, or fails under CI."""

from __future__ import annotations

from gatepost.vision.synthetic_latin import LATIN_FONTS
from gatepost.vision.synthetic_plates import CJK_FONT, CJK_FONT_PACKAGE
from tests.support.services import missing


def require_plate_fonts() -> None:
    for path, package in (*LATIN_FONTS, (CJK_FONT, CJK_FONT_PACKAGE)):
        if not path.is_file():
            missing(f"the {package} font")
