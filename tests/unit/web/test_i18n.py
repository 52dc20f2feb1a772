"""The UI's language choice and catalogues (gatepost.web.i18n, gatepost.web.catalogues).

The locale rule is pure and tested as such; the catalogue tests read the real ``.po``
files: every message id the UI uses must have a Simplified Chinese translation, and no
translation may drop or invent a placeholder.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.web.catalogues import extract, placeholders, untranslated
from gatepost.web.i18n import (
    DEFAULT_LOCALE,
    LOCALES,
    catalogue,
    choose_locale,
    current_locale,
    gettext,
    html_lang,
    use_locale,
)


@pytest.mark.parametrize(
    ("choice", "header", "expected"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        (None, "zh-TW", "zh_Hans"),
        (None, "zh-Hant-HK", "zh_Hans"),
        (None, "zh_Hans", "zh_Hans"),
        (None, "en-GB,zh;q=0.5", "en"),
        (None, "fr-FR,zh;q=0.5,en;q=0.4", "zh_Hans"),
        (None, "fr-FR,de;q=0.9", "en"),
        (None, "en;q=0.1,zh;q=0.9", "zh_Hans"),
        (None, "zh;q=0,en", "en"),
        (None, "*", "en"),
        (None, "zh;q=abc,en", "en"),
        ("en", "zh-CN", "en"),
        ("zh_Hans", "en-US", "zh_Hans"),
        ("klingon", "zh-CN", "zh_Hans"),
        ("", "zh-CN", "zh_Hans"),
    ],
)
def test_locale_is_the_choice_then_the_browsers_best_then_english(
    choice: str | None, header: str | None, expected: str
) -> None:
    assert choose_locale(choice, header) == expected


@given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=200)))
def test_locale_is_always_a_supported_one_whatever_the_input(
    choice: str | None, header: str | None
) -> None:
    assert choose_locale(choice, header) in LOCALES


def test_html_lang_is_a_bcp47_tag_when_asked_for_each_locale() -> None:
    assert html_lang("en") == "en"
    assert html_lang("zh_Hans") == "zh-Hans"
    assert html_lang("nonsense") == "en"


def test_gettext_follows_the_locale_in_use_and_restores_it_when_done() -> None:
    assert current_locale() == DEFAULT_LOCALE
    assert gettext("Language") == "Language"
    with use_locale("zh_Hans"):
        assert current_locale() == "zh_Hans"
        assert gettext("Language") == "语言"
        with use_locale("unknown"):
            assert gettext("Language") == "Language"
    assert current_locale() == DEFAULT_LOCALE


def test_unknown_message_is_shown_as_itself_when_translating() -> None:
    with use_locale("zh_Hans"):
        assert gettext("no such message id, ever") == "no such message id, ever"


def test_extraction_finds_templates_python_marks_and_service_messages() -> None:
    where = {item.id: item.where for item in extract()}
    assert where["Language"].startswith("web/templates/base.html")  # {{ _() }} in a template
    assert where["Chinese resident ID"].startswith("web/labels.py")  # N_()
    assert where["Access level created."].startswith("web/rendering.py")  # Message(_, text)
    assert where["unknown language"].startswith("web/views/language.py")  # ValidationFailed


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != DEFAULT_LOCALE])
def test_every_ui_message_is_translated_when_locale_is_offered(locale: str) -> None:
    missing = [f"{item.where}: {item.id!r}" for item in untranslated(locale)]
    assert missing == [], (
        f"{len(missing)} message(s) have no {locale} translation; "
        "run `python -m gatepost.web.catalogues` for the entries to fill in:\n"
        + "\n".join(missing[:40])
    )


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != DEFAULT_LOCALE])
def test_translations_keep_exactly_the_placeholders_of_their_message(locale: str) -> None:
    wrong = []
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(placeholders(text) for text in ids))
        for text in strings:
            if text and placeholders(text) != expected:
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert wrong == []


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != DEFAULT_LOCALE])
def test_areas_agree_on_the_translation_of_a_shared_message(locale: str) -> None:
    """Each area keeps its own .po file; a message two areas share must read the same
    in both, or the page would depend on which file happened to be merged last."""
    from babel.messages.pofile import read_po

    from gatepost.web.i18n import LOCALE_DIR

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if not message.id or not message.string or message.fuzzy:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                text = str(message.string)
                if key in seen and seen[key][1] != text:
                    clashes.append(
                        f"{key!r}: {seen[key][0]} {seen[key][1]!r} / {path.name} {text!r}"
                    )
                seen.setdefault(key, (path.name, text))
    assert clashes == []


def test_password_and_schedule_refusals_read_in_the_users_language_when_shown() -> None:
    """Refusals raised below the services (password policy, schedule rules) carry a
    constant template and their values, and a field's name as a ``Term``, so a form
    shows them translated; the API's English message is unchanged."""
    from gatepost.domain.errors import InvalidSchedule
    from gatepost.domain.schedules import Interval
    from gatepost.security.password_policy import WeakPassword, check_password_policy
    from gatepost.web.forms import sentence

    with pytest.raises(WeakPassword) as weak:
        check_password_policy("123456789012", field="new_password")
    assert weak.value.message == (
        "new password is a sequence such as 1234, abcd or qwerty; "
        "use a passphrase of unrelated words"
    )
    with pytest.raises(InvalidSchedule) as schedule:
        Interval.parse("25:00-26:00")
    assert schedule.value.message == "invalid schedule: '25:00-26:00' is not a time of day"
    with use_locale("zh_Hans"):
        assert sentence(weak.value).startswith("新密码是 1234")
        assert sentence(schedule.value) == "'25:00-26:00' 不是有效的时刻"
    assert sentence(weak.value).startswith("New password is a sequence")
