"""Names people give things (persons, sites, zones, doors, devices, keys): they must show.

A name made only of invisible characters (zero-width space, joiners, byte order marks,
word joiners and the other Unicode format characters, whitespace, lone combining marks,
the Hangul and Braille blanks) looks empty on every page and list yet is stored as a
distinct value. :func:`visible_name` refuses such a name; characters like ZWJ and ZWNJ
stay allowed *inside* a name with visible letters (Persian and Indic names use them).
"""

from __future__ import annotations

import unicodedata

from gatepost.errors import ValidationFailed

__all__ = ["has_visible_character", "visible_name"]

# Categories that draw nothing on their own: controls, format characters (Cf: ZWSP,
# ZWNJ, ZWJ, WJ, BOM, bidi marks, tags...), separators, combining marks.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that render as blank space (used for "empty" names elsewhere).
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(text: str) -> bool:
    """Whether ``text`` has a character that draws something."""
    return any(
        char not in _BLANKS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        for char in text
    )


def visible_name(name: str, *, field: str = "name") -> str:
    """``name`` unchanged if something in it is visible, else ValidationFailed naming
    ``field``."""
    if not has_visible_character(name):
        raise ValidationFailed(
            "%(field)s must contain a visible character", field=field, params={"field": field}
        )
    return name
