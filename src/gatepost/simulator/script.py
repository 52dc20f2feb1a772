"""What a simulated device is told to do: one step per line of a script or of stdin.

A line is one of::

    card 04A2B3C4D5     a card read (1-64 of A-Za-z0-9)
    pin 4711            a PIN typed (4-12 digits)
    qr TEXT             a QR code's text (the rest of the line)
    exit                the exit button pressed
    face PATH.jpg       a door camera's frame (JPEG, PNG or WebP, at most 1 MiB)
    plate PATH.jpg      a lane camera's frame
    wait 2              pause (seconds, up to 3600; fractions allowed)

Blank lines and lines starting with ``#`` are skipped. A relative ``PATH`` is found
next to the script (or in the working directory for stdin). :func:`parse_line` turns
one line into a :class:`Step`; a bad line is a :class:`ScriptError` naming the line and
what is wrong. The frame is read when the line is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gatepost.simulator.messages import Arrival

__all__ = ["ScriptError", "Step", "WORDS", "parse_line", "parse_lines"]

_CARD: Final = re.compile(r"^[A-Za-z0-9]{1,64}$")
_PIN: Final = re.compile(r"^[0-9]{4,12}$")
_MAX_FRAME: Final = 1024 * 1024
_MAX_WAIT: Final = 3600.0
WORDS: Final = ("card", "pin", "qr", "exit", "face", "plate", "wait")


class ScriptError(ValueError):
    """A script line the simulator cannot follow."""


@dataclass(frozen=True)
class Step:
    """An arrival to send, or a pause."""

    line: int
    arrival: Arrival | None = None
    wait: float = 0.0


def _frame(kind: str, rest: str, base: Path) -> Arrival:
    if not rest:
        raise ScriptError(f"{kind} needs the path of an image file")
    path = Path(rest).expanduser()
    if not path.is_absolute():
        path = base / path
    try:
        with path.open("rb") as handle:
            frame = handle.read(_MAX_FRAME + 1)
    except OSError as exc:
        raise ScriptError(f"{kind}: cannot read {path}: {exc.strerror or exc}") from None
    if len(frame) > _MAX_FRAME:
        raise ScriptError(f"{kind}: {path} is larger than 1 MiB")
    if not frame:
        raise ScriptError(f"{kind}: {path} is empty")
    return Arrival(kind, frame=frame)


def _arrival(word: str, rest: str, base: Path) -> Arrival:
    if word == "card":
        if not _CARD.fullmatch(rest):
            raise ScriptError("card needs a number of 1-64 letters and digits")
        return Arrival("card", value=rest)
    if word == "pin":
        if not _PIN.fullmatch(rest):
            raise ScriptError("pin needs 4-12 digits")
        return Arrival("pin", value=rest)
    if word == "qr":
        if not rest or len(rest) > 512 or not rest.isascii() or not rest.isprintable():
            raise ScriptError("qr needs 1-512 printable ASCII characters")
        return Arrival("qr", value=rest)
    if word == "exit":
        if rest:
            raise ScriptError("exit takes nothing after it")
        return Arrival("exit_button")
    return _frame(word, rest, base)


def parse_line(text: str, *, number: int = 1, base: Path = Path()) -> Step | None:
    """The step on one line (None for a blank line or a comment)."""
    line = text.strip()
    if not line or line.startswith("#"):
        return None
    word, _, rest = line.partition(" ")
    word, rest = word.lower(), rest.strip()
    try:
        if word == "wait":
            try:
                seconds = float(rest)
            except ValueError:
                raise ScriptError("wait needs a number of seconds") from None
            if not 0 <= seconds <= _MAX_WAIT:
                raise ScriptError("wait takes 0-3600 seconds")
            return Step(number, wait=seconds)
        if word not in WORDS:
            raise ScriptError(f"unknown step {word!r}; one of: {', '.join(WORDS)}")
        return Step(number, arrival=_arrival(word, rest, base))
    except ScriptError as exc:
        raise ScriptError(f"line {number}: {exc}") from None


def parse_lines(lines: Iterable[str], *, base: Path = Path()) -> Iterator[Step]:
    """The steps of ``lines``, one by one (a bad line raises when it is reached)."""
    for number, text in enumerate(lines, start=1):
        step = parse_line(text, number=number, base=base)
        if step is not None:
            yield step
