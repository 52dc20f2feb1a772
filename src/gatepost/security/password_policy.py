"""The one password rule (SECURITY.md 16, NIST SP 800-63B-4 section 3.1.1.2).

Every place that takes a new password (first-run setup over the API, the web form and
``gatepost init``; user creation; password change) calls :func:`check_password_policy`
and nothing else. In order, a password is refused when it:

1. has fewer than ``min_length`` (at least 12) or more than 1024 characters;
2. contains the username, the organisation's name or its slug (case-insensitive,
   also written in leetspeak), or is one of their words with digits or symbols
   around it (``harbour2024!`` for "Harbour Facilities Ltd");
3. is repetitive or sequential: fewer than four different characters, one short
   pattern repeated (``abcabcabcabc``), or mostly runs of repeats, alphabet or digit
   sequences and keyboard-row neighbours (``123456789012``, ``abcdefghijkl``,
   ``qwertyuiopas``);
4. is, or is built from, a commonly used or breached password: the whole password,
   or what is left after stripping leading and trailing digits and symbols and
   undoing leetspeak (``iloveyou1234``, ``P@ssw0rd2024!``), is in the 100,000 most
   common passwords of Mark Burnett's 10-million-password set (``data/``, see its
   SOURCES.md), loaded once per process;
5. scores below 3 with zxcvbn (a floor: "safely unguessable" against online attack),
   given the username and organisation as known words.

Nothing is looked up over the network. Each refusal is a :class:`WeakPassword` naming
the field and saying why, in words a person can act on.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import cache
from importlib.resources import files

from gatepost.errors import Term, ValidationFailed

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_ZXCVBN_SCORE",
    "WeakPassword",
    "WeakPasswordReason",
    "check_password_policy",
    "common_passwords",
]

MAX_PASSWORD_LENGTH = 1024
MIN_ZXCVBN_SCORE = 3
# zxcvbn's matching grows with the square of the length, and zxcvbn-python refuses
# input past 72 characters: the floor is scored on the first 72 (a prefix that is
# easy to guess is refused; anything longer passes the other checks on its own).
_ZXCVBN_MAX_CHARS = 72
# Shorter stripped remains are not looked up: "zq" from "zq!8472619305" is no word.
_MIN_STEM = 4
# A password is "mostly runs" when this share of neighbouring pairs is predictable.
_PREDICTABLE_SHARE = 0.75
_MIN_DISTINCT = 4
_COMMON_PASSWORDS = "common-passwords.txt.gz"

_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")
_KEYBOARD_NEIGHBOURS = frozenset(
    pair
    for row in _KEYBOARD_ROWS
    for left, right in zip(row, row[1:], strict=False)
    for pair in ((left, right), (right, left))
)
# Leetspeak back to letters; "1" stands for i or l, so both readings are tried.
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
                       "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})  # fmt: skip
_ONES = ("i", "l")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NOT_ALNUM = re.compile(r"[\W_]+")
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user inputs in a module global


class WeakPasswordReason(StrEnum):
    """Why a password was refused (a structured field beside the message)."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    CONTAINS_USERNAME = "contains_username"
    CONTAINS_ORGANISATION = "contains_organisation"
    REPETITIVE = "repetitive"
    SEQUENTIAL = "sequential"
    COMMON = "common"
    GUESSABLE = "guessable"


# The names of the fields a password arrives in, as the refusal words them.
_FIELD_NAMES = {"password": Term("password"), "new_password": Term("new password")}


class WeakPassword(ValidationFailed):
    """A refused password: ``template`` begins with ``%(field)s``, the field's name."""

    code = "weak_password"

    def __init__(
        self,
        template: str,
        *,
        reason: WeakPasswordReason,
        field: str = "password",
        params: Mapping[str, object] | None = None,
    ) -> None:
        name = _FIELD_NAMES.get(field) or Term(field.replace("_", " "))
        super().__init__(template, field=field, params={"field": name, **(params or {})})
        self.reason = reason


@cache
def common_passwords() -> frozenset[str]:
    """The shipped common-password list, lower-cased; read on first use, then kept."""
    data = (files("gatepost.security") / "data" / _COMMON_PASSWORDS).read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    return frozenset(line.lower() for line in text.splitlines() if line)


def check_password_policy(
    password: str,
    *,
    min_length: int = 12,
    username: str = "",
    organisation: Iterable[str] = (),
    field: str = "password",
) -> None:
    """Refuse a weak new password with :class:`WeakPassword`; return if it is acceptable.

    ``organisation`` holds the tenant's name and slug; ``field`` is the request field
    the password came in (``new_password`` for a change), named in the refusal.
    """

    def refuse(template: str, reason: WeakPasswordReason, **params: object) -> WeakPassword:
        return WeakPassword(template, reason=reason, field=field, params=params)

    if len(password) < min_length:
        raise refuse(
            "%(field)s must have at least %(min)s characters",
            WeakPasswordReason.TOO_SHORT,
            min=min_length,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise refuse(
            "%(field)s must have at most %(max)s characters",
            WeakPasswordReason.TOO_LONG,
            max=MAX_PASSWORD_LENGTH,
        )
    organisation = tuple(organisation)
    if _uses_context(password, [username]):
        raise refuse(
            "%(field)s must not contain the username", WeakPasswordReason.CONTAINS_USERNAME
        )
    if _uses_context(password, organisation):
        raise refuse(
            "%(field)s must not contain the organisation's name",
            WeakPasswordReason.CONTAINS_ORGANISATION,
        )
    lowered = password.lower()
    if len(set(lowered)) < _MIN_DISTINCT or _repeats_a_pattern(lowered):
        raise refuse(
            "%(field)s repeats the same characters or pattern; use a passphrase of unrelated words",
            WeakPasswordReason.REPETITIVE,
        )
    if _mostly_sequences(lowered):
        raise refuse(
            "%(field)s is a sequence such as 1234, abcd or qwerty; "
            "use a passphrase of unrelated words",
            WeakPasswordReason.SEQUENTIAL,
        )
    if _is_common(lowered):
        raise refuse(
            "%(field)s is, or is built from, a commonly used or breached password; choose another",
            WeakPasswordReason.COMMON,
        )
    if _zxcvbn_score(password, [username, *organisation]) < MIN_ZXCVBN_SCORE:
        raise refuse(
            "%(field)s is too easy to guess; "
            "use a longer passphrase of three or four unrelated words",
            WeakPasswordReason.GUESSABLE,
        )


# -- the parts ----------------------------------------------------------------------


def _readings(text: str) -> set[str]:
    """The text as written and with leetspeak undone (both readings of "1")."""
    undone = text.translate(_LEET)
    return {text, *(undone.replace("1", one) for one in _ONES)}


def _stem(text: str) -> str:
    """The text without leading and trailing digits, symbols and spaces."""
    return _EDGES.sub("", text)


def _uses_context(password: str, words: Iterable[str]) -> bool:
    """Whether the password contains one of ``words``, or one of their parts with
    only digits and symbols around it (``alice12``, ``harbour2024!``).

    A name is looked for inside each word of the password, not across the words, so a
    passphrase that merely spells it over a gap (``bad minty`` for ``admin``,
    ``start`` for ``art``) is not refused; a name of several parts (``alice-admin``)
    is looked for in the password run together too, where its parts meet."""
    lowered = password.lower()
    readings = _readings(lowered)
    squeezed = {_NOT_ALNUM.sub("", reading) for reading in readings}
    tokens = {token for reading in readings for token in _NOT_ALNUM.split(reading) if token}
    stems = {_NOT_ALNUM.sub("", _stem(reading)) for reading in readings}
    for word in words:
        parts = [part for part in _NOT_ALNUM.split(word.lower()) if part]
        whole = "".join(parts)
        if len(whole) >= 4 and any(whole in token for token in tokens):
            return True
        if len(parts) > 1 and len(whole) >= 6 and any(whole in text for text in squeezed):
            return True
        if {part for part in parts if len(part) >= 3} & stems:
            return True
    return False


def _repeats_a_pattern(lowered: str) -> bool:
    """Whether the whole password is one shorter pattern said again and again."""
    length = len(lowered)
    for period in range(1, length // 2 + 1):
        unit = lowered[:period]
        if (unit * (length // period + 1))[:length] == lowered:
            return True
    return False


def _predictable(left: str, right: str) -> bool:
    if left == right or (left, right) in _KEYBOARD_NEIGHBOURS:
        return True
    same_kind = (left.isdigit() and right.isdigit()) or (left.isalpha() and right.isalpha())
    return same_kind and left.isascii() and right.isascii() and abs(ord(left) - ord(right)) == 1


def _mostly_sequences(lowered: str) -> bool:
    """Whether most neighbouring characters are repeats, sequences or keyboard neighbours."""
    pairs = list(zip(lowered, lowered[1:], strict=False))
    predictable = sum(1 for left, right in pairs if _predictable(left, right))
    return predictable >= _PREDICTABLE_SHARE * len(pairs)


def _is_common(lowered: str) -> bool:
    """The whole password, or its stem with leetspeak undone, is a common password."""
    common = common_passwords()
    if lowered in common:
        return True
    candidates = {_stem(lowered), *(_stem(reading) for reading in _readings(lowered))}
    candidates |= {reading for stem in list(candidates) for reading in _readings(stem)}
    return any(len(text) >= _MIN_STEM and text in common for text in candidates)


def _zxcvbn_score(password: str, known_words: list[str]) -> int:
    from zxcvbn import zxcvbn  # 0.1 s of frequency lists: only when a password is set

    inputs = [word for word in known_words if word]
    with _zxcvbn_lock:
        result = zxcvbn(password[:_ZXCVBN_MAX_CHARS], user_inputs=inputs)
    return int(result["score"])
