"""The ``tr`` filter translates a message id held in a variable without trusting it:
Jinja's newstyle ``_()`` marks what it returns safe, so ``_(variable)`` would put the
variable's markup into the page as it is. No template calls ``_()`` on a variable."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from gatepost.web.i18n import use_locale
from gatepost.web.rendering import TEMPLATE_DIR, build_templates


def _render(source: str, **values: object) -> str:
    return build_templates().env.from_string(source).render(**values)


def test_tr_escapes_markup_in_the_message_id_when_it_has_no_translation() -> None:
    assert _render('{{ "<b>x</b>"|tr }}') == "&lt;b&gt;x&lt;/b&gt;"
    assert _render("{{ value|tr }}", value=Markup("<b>x</b>")) == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize(("locale", "shown"), [("en", "Administrator"), ("zh_Hans", "管理员")])
def test_tr_translates_the_message_id_in_the_request_language(locale: str, shown: str) -> None:
    with use_locale(locale):
        assert _render("{{ role|tr }}", role="Administrator") == shown


def test_no_template_passes_a_variable_to_gettext_when_it_could_use_tr() -> None:
    called_on_a_variable = re.compile(r"\b_\(\s*[^'\"\s)]")
    found = [
        f"{path.relative_to(TEMPLATE_DIR)}:{number}"
        for path in sorted(TEMPLATE_DIR.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if called_on_a_variable.search(line)
    ]
    assert found == []
