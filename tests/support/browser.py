"""Helpers of the browser tests (Playwright, headless Chromium) shared by their modules.

``watch`` collects a page's script errors and Content Security Policy refusals (the
``page`` fixture fails on them); ``stranger_page`` is a second browser with no session, as an
invitee opens a link in, held to the same rule; ``shown`` is a message as the UI shows
it in a language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page

from gatepost.web.i18n import LANG_COOKIE, translations


def watch(page: Page) -> list[str]:
    """The script errors and CSP refusals ``page`` meets from now on (a list that grows)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return problems


@contextmanager
def stranger_page(browser: Browser, base: str, locale: str = "en") -> Iterator[Page]:
    """A page in a second browser context, signed in nowhere, showing ``locale`` (the
    language cookie for ``base``). Closed on leaving; it must have raised no script error
    and broken no CSP rule."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if locale != "en":
        context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])
    opened = context.new_page()
    problems = watch(opened)
    try:
        yield opened
    finally:
        context.close()
    assert problems == [], "the page broke the CSP or raised a script error"


def shown(locale: str, english: str, **values: Any) -> str:
    """``english`` as the page shows it in ``locale`` (the merged catalogue's choice),
    checked to be translated in Chinese; ``values`` fill its placeholders."""
    text = english
    if locale != "en":
        text = translations(locale).gettext(english)
        assert text != english and not text.isascii(), english
    return text % values if values else text
