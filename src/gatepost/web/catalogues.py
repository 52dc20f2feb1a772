"""Which UI messages exist, and which a locale's catalogue has not translated yet.

Message ids are extracted with Babel the way ``pybabel extract -F babel.cfg`` would:
from every template (``_()``, ``{% trans %}``) and from the Python that produces
text a page shows (``_``/``gettext``/``ngettext``/``N_`` anywhere in the package, the
second argument of the web's ``Message``, ``Term`` parameters, and the message of the
errors that forms display: the service errors, ``InvalidSchedule`` and the password
policy's ``refuse``). A message built with an f-string is not extracted, so it is shown in
English: keep service messages constant and put values in fields.

``python -m gatepost.web.catalogues`` prints the ids still missing from each locale as
``.po`` entries to translate (or ``--pot`` for a whole template); the unit tests fail
while any is missing or a translation drops or invents a placeholder.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from gatepost.web.i18n import DEFAULT_LOCALE, LOCALES, catalogue

__all__ = ["KEYWORDS", "Extracted", "extract", "placeholders", "untranslated"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent

KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "Message": (2,),
    "ValidationFailed": None,
    "Conflict": None,
    "SetupError": None,
    "AuthenticationFailed": None,
    "Term": None,
    "refuse": None,
    "InvalidSchedule": None,
}

_METHODS = [
    ("web/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
_OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|%[sdr]|\{\w*\}")


@dataclass(frozen=True)
class Extracted:
    """One message id and where it was found (``path:line``, first place only)."""

    id: str
    plural: str | None
    where: str


def extract() -> list[Extracted]:
    """Every message id of the UI, once each, in a stable order."""
    seen: dict[str, Extracted] = {}
    results: Iterable[tuple[str, int, str | tuple[str, ...], list[str], str | None]]
    results = extract_from_dir(
        str(PACKAGE_DIR),
        method_map=_METHODS,
        options_map=_OPTIONS,
        keywords=KEYWORDS,
        comment_tags=(),
        strip_comment_tags=True,
    )
    for filename, lineno, message, _comments, _context in results:
        singular, plural = (message, None) if isinstance(message, str) else message[:2]
        if not singular or singular in seen:
            continue
        seen[singular] = Extracted(singular, plural or None, f"{filename}:{lineno}")
    return sorted(seen.values(), key=lambda item: item.where)


def placeholders(text: str) -> set[str]:
    """The interpolation placeholders of ``text`` (``%(name)s``, ``%s``, ``{name}``)."""
    return {match.group(0) for match in _PLACEHOLDER.finditer(text)}


def untranslated(locale: str, messages: Iterable[Extracted] | None = None) -> Iterator[Extracted]:
    """The extracted ids that ``locale``'s catalogue lacks (or has empty or fuzzy)."""
    known = catalogue(locale)
    for item in extract() if messages is None else messages:
        entry = known.get(item.id)
        if entry is None or not entry.string:
            yield item
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            yield item


def _write(catalog: Catalog) -> None:
    write_po(sys.stdout.buffer, catalog, omit_header=True, width=100)


def main(argv: list[str]) -> int:
    messages = extract()
    if "--pot" in argv:
        pot = Catalog()
        for item in messages:
            pot.add((item.id, item.plural) if item.plural else item.id, locations=())
        _write(pot)
        return 0
    missing_any = False
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        missing = list(untranslated(locale, messages))
        if not missing:
            continue
        missing_any = True
        sys.stderr.write(f"# {locale}: {len(missing)} untranslated\n")
        todo = Catalog(locale=locale)
        for item in missing:
            msg_id = (item.id, item.plural) if item.plural else item.id
            todo.add(msg_id, string=("", "") if item.plural else "", auto_comments=[item.where])
        _write(todo)
    return 1 if missing_any else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
