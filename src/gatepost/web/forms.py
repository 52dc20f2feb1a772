"""Lenient parsing of query strings and form fields for the views.

Views take raw strings so a malformed query never becomes a JSON 422 inside the UI;
these functions turn them into clean values or ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Form

from gatepost.errors import GatepostError, Term, ValidationFailed
from gatepost.web.i18n import gettext

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "FormText",
    "field_errors",
    "optional",
    "page_limit",
    "sentence",
    "whole_number",
]

FormText = Annotated[str, Form()]  # a form field taken as raw text (parsed by the view)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def page_limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    """A page size in 1..MAX_LIMIT; anything unreadable becomes ``default``."""
    try:
        value = int(raw or default)
    except ValueError:
        return default
    return min(max(value, 1), MAX_LIMIT)


def optional(raw: str | None, max_length: int = 200) -> str | None:
    """Trimmed text, or None when empty; over-long input is cut to ``max_length``."""
    value = (raw or "").strip()[:max_length]
    return value or None


def whole_number(raw: str, *, field: str, message: str) -> int | None:
    """A form field as a whole number, or None when left empty.

    Anything else raises ValidationFailed(``message``) on ``field``: mark ``message``
    with ``N_`` where it is written so the catalogue has it. Ranges are the service's
    (or the caller's) to check.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationFailed(message, field=field) from exc


def sentence(message: str | GatepostError) -> str:
    """A service message as a sentence in the request's language.

    Give the error itself where it has one: its constant ``template`` is what the
    catalogue translates, and its ``params`` are filled in after translating (see
    :mod:`gatepost.errors`). The translation is used when the catalogue has one, else
    the English text, capitalised with a full stop.
    """
    if isinstance(message, GatepostError):
        template = message.template.strip()
        params = {
            key: gettext(value) if isinstance(value, Term) else value
            for key, value in message.params.items()
        }
    else:
        template, params = message.strip(), {}
    if not template:
        return template
    translated = gettext(template)
    if translated != template:
        try:
            return translated % dict(params) if params else translated
        except (KeyError, TypeError, ValueError):
            pass  # a broken translation: the English text below is still right
    text = (template % dict(params) if params else template).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def field_errors(
    exc: ValidationFailed, *, known: set[str], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map a service's ValidationFailed to ``{form field: message}`` (``_form`` if none)."""
    field = exc.field or ""
    field = (aliases or {}).get(field, field)
    return {field if field in known else "_form": sentence(exc)}
