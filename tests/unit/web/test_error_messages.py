"""Service messages with values (``params``): English for the API, translated for the UI.

A message is a constant template (so the catalogue can hold its translation) and the
values travel in ``params``: ``message`` is the English text filled in, and the web's
``sentence``/``field_errors`` translate the template before filling it in. Real
catalogues, no app.
"""

from __future__ import annotations

import pytest

from gatepost.errors import Conflict, GatepostError, ValidationFailed
from gatepost.web.forms import field_errors, sentence
from gatepost.web.i18n import use_locale

PHOTOS = "send 1-%(max)s photos"  # a service template that core.po translates


def test_message_is_the_english_template_filled_in_when_raised_with_params() -> None:
    exc = ValidationFailed(
        "name must have at most %(max)s characters", field="name", params={"max": 120}
    )
    assert exc.message == "name must have at most 120 characters"
    assert str(exc) == exc.message
    assert exc.template == "name must have at most %(max)s characters"
    assert exc.params == {"max": 120}
    assert exc.field == "name"


def test_message_is_kept_as_written_when_raised_without_params() -> None:
    exc = Conflict("100% of the seats are taken")  # no params: no %-formatting at all
    assert exc.message == exc.template == "100% of the seats are taken"
    assert exc.params == {}


def test_sentence_fills_params_into_the_english_text_when_locale_is_english() -> None:
    exc = ValidationFailed(PHOTOS, field="files", params={"max": 5})
    with use_locale("en"):
        assert sentence(exc) == "Send 1-5 photos."


def test_sentence_translates_the_template_then_fills_params_in_when_locale_is_zh_hans() -> None:
    exc = ValidationFailed(PHOTOS, field="files", params={"max": 5})
    with use_locale("zh_Hans"):
        assert sentence(exc) == "请发送 1-5 张照片。"


def test_sentence_translates_a_message_without_params_when_locale_is_zh_hans() -> None:
    with use_locale("zh_Hans"):
        assert sentence(Conflict("another vehicle has this plate")) == "已有其他车辆使用此车牌。"
        assert sentence("another vehicle has this plate") == "已有其他车辆使用此车牌。"


def test_sentence_keeps_an_unknown_message_in_english_when_locale_is_zh_hans() -> None:
    exc = GatepostError("nothing like this is in a catalogue %(n)s", params={"n": 3})
    with use_locale("zh_Hans"):
        assert sentence(exc) == "Nothing like this is in a catalogue 3."


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Send 1-3 photos."), ("zh_Hans", "请发送 1-3 张照片。")],
)
def test_field_errors_put_the_translated_filled_in_message_by_its_field_in_each_locale(
    locale: str, expected: str
) -> None:
    exc = ValidationFailed(PHOTOS, field="files", params={"max": 3})
    with use_locale(locale):
        assert field_errors(exc, known={"files"}) == {"files": expected}
        assert field_errors(exc, known={"name"}) == {"_form": expected}
