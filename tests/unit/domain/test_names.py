"""visible_name: a name needs one character that draws something."""

from __future__ import annotations

import pytest

from gatepost.domain.names import has_visible_character, visible_name
from gatepost.errors import ValidationFailed

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    "\u00ad\u180e\u200e\u202e",  # soft hyphen, Mongolian vowel separator, bidi marks
    "\U000e0041\U000e007f",  # tag characters
    " \t\u3000\u2028",  # spaces and a line separator
    "\u0301\u20dd",  # a combining mark and an enclosing mark with nothing to sit on
    "\u3164\uffa0\u115f\u1160\u2800",  # Hangul fillers, Braille blank
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_only_names_are_refused_naming_the_field(text: str) -> None:
    assert not has_visible_character(text)
    with pytest.raises(ValidationFailed) as refused:
        visible_name(text, field="zone")
    assert refused.value.field == "zone"


@pytest.mark.parametrize(
    "text", ["A", "Mehr\u200cdad", "\u200bGate 1\u200b", "王", "é", "👩\u200d💻", "-", "0"]
)
def test_names_with_something_visible_are_kept_as_they_are(text: str) -> None:
    assert visible_name(text) == text
