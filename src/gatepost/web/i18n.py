"""The admin UI's languages: the catalogues, which one a request gets, and gettext.

The UI is written in English (the message ids) and translated into Simplified Chinese
(``zh_Hans``). A locale's catalogue is every ``.po`` file under
``web/locale/<locale>/LC_MESSAGES/`` (one per area of the UI), merged and compiled in
memory the first time it is needed, so there is no ``.mo`` build step to forget.

A request's language is the user's choice (the :data:`LANG_COOKIE` cookie, set by the
language menu), else the best match for the browser's ``Accept-Language``, else
English. :class:`LocaleMiddleware` puts it into the request's context, so templates
(``_()``, ``{% trans %}``) and Python messages (:func:`gettext`) agree; code outside a
request (the CLI, tests) may pick one with :func:`use_locale`.

Python strings that are shown later (flash notices, labels) are marked with :func:`N_`
so that extraction finds them, and translated where they are shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "DEFAULT_LOCALE",
    "LANG_COOKIE",
    "LOCALES",
    "LOCALE_DIR",
    "LocaleMiddleware",
    "N_",
    "catalogue",
    "choose_locale",
    "current_locale",
    "gettext",
    "html_lang",
    "ngettext",
    "translations",
    "use_locale",
]

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DEFAULT_LOCALE: Final = "en"
LANG_COOKIE: Final = "gatepost_lang"

# Each locale with its own name for itself (what the language menu shows).
LOCALES: Final[Mapping[str, str]] = {"en": "English", "zh_Hans": "简体中文"}

_HTML_LANG: Final[Mapping[str, str]] = {"en": "en", "zh_Hans": "zh-Hans"}

_current: ContextVar[str] = ContextVar("gatepost_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def _supported(tag: str) -> str | None:
    """The supported locale for one language tag (``zh-CN`` -> ``zh_Hans``), if any.

    Every Chinese tag maps to Simplified Chinese, the only Chinese catalogue: a reader
    of Traditional Chinese is better served by it than by English.
    """
    cleaned = tag.strip().replace("_", "-")
    if not cleaned or cleaned == "*":
        return None
    if cleaned in LOCALES:
        return cleaned
    try:
        locale = Locale.parse(cleaned, sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    if locale.language == "zh":
        return "zh_Hans"
    return locale.language if locale.language in LOCALES else None


def _accepted(header: str) -> list[str]:
    """The tags of an ``Accept-Language`` header, best first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose_locale(choice: str | None, accept_language: str | None) -> str:
    """The locale for a request: a supported ``choice``, else the browser's best
    supported language, else :data:`DEFAULT_LOCALE`."""
    if choice and choice in LOCALES:
        return choice
    for tag in _accepted(accept_language or ""):
        supported = _supported(tag)
        if supported is not None:
            return supported
    return DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    """The BCP 47 tag for ``<html lang>`` (``zh_Hans`` -> ``zh-Hans``)."""
    return _HTML_LANG.get(locale, DEFAULT_LOCALE)


@cache
def catalogue(locale: str) -> Catalog:
    """All of ``locale``'s ``.po`` files merged into one catalogue (fuzzy entries and
    empty translations count as untranslated)."""
    merged = Catalog(locale=Locale.parse(locale) if locale != DEFAULT_LOCALE else None)
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            part = read_po(handle, locale=locale)
        for message in part:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    return merged


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled translations of ``locale`` (English: the message ids themselves)."""
    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(locale))
    buffer.seek(0)
    return Translations(fp=buffer)


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate into ``locale`` inside the ``with`` block."""
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current locale (itself when it has no translation)."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    prefix = name.encode() + b"="
    for key, value in headers:
        if key == b"cookie":
            for part in value.split(b";"):
                part = part.strip()
                if part.startswith(prefix):
                    return part[len(prefix) :].decode("latin-1")
    return None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


class LocaleMiddleware:
    """Chooses each HTTP request's locale and sets it for the request's context (and
    ``request.state.locale``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        locale = choose_locale(_cookie(headers, LANG_COOKIE), _header(headers, b"accept-language"))
        scope.setdefault("state", {})["locale"] = locale
        token = _current.set(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
