"""The admin UI by keyboard alone, in headless Chromium, in every language.

From a freshly loaded signed-in page the first Tab lands on the skip link and the next
ones in the sidebar's navigation; Enter on the skip link moves focus to the main
content; the account menu (a ``<details>``) opens with Enter and its items are reached
with Tab; a confirmation dialog (an HTML popover) opens with Enter on its button, takes
the focus into itself and closes with Escape, giving the focus back to the button. The
texts asserted are the ones of the page's language (``gatepost_lang``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from gatepost.web.i18n import LANG_COOKIE, LOCALES, html_lang, translations
from tests.e2e.accessibility import Violation
from tests.e2e.conftest import LiveServer, browser_login, set_up_acme

pytestmark = pytest.mark.browser

#: What the focused element is, as a short description the assertions compare.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  const where = el.closest("[popover]") ? "dialog" : el.closest("#main") ? "main"
    : el.closest("nav") ? "nav" : el.closest(".sidebar") ? "sidebar"
    : el.closest(".menu-panel") ? "menu" : "page";
  return where + " " + el.tagName.toLowerCase() + " " + (el.textContent || "").trim();
}"""


def _tab_until(page: Page, predicate: str, limit: int = 80) -> int:
    """Press Tab until ``predicate`` (a JS function of document.activeElement) holds;
    how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({predicate})(document.activeElement)"):
            return presses
    pytest.fail(f"Tab never reached {predicate} in {limit} presses")


@pytest.mark.parametrize("locale", tuple(LOCALES))
def test_keyboard_reaches_skip_link_nav_menu_and_dialog_when_signed_in(
    accessible: Callable[[Page], list[Violation]],
    live_server: LiveServer,
    page: Page,
    locale: str,
) -> None:
    base = live_server.url
    _ = translations(locale).gettext
    with set_up_acme(live_server) as http:
        schedule = http.post(
            "/api/v1/schedules",
            json={"name": "Office hours", "intervals": {"mon": ["08:00-18:00"]}},
        )
        assert schedule.status_code == 201, schedule.text
        level = http.post(
            "/api/v1/access-levels",
            json={"name": "Staff", "schedule_id": schedule.json()["id"], "access_point_ids": []},
        )
        assert level.status_code == 201, level.text
    browser_login(page, base)
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])

    # A fresh page: the skip link first, shown when focused; then the sidebar's links.
    page.goto(f"{base}/ui/")
    expect(page.locator("html")).to_have_attribute("lang", html_lang(locale))
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(_("Skip to content"))
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED).startswith("sidebar a"), "after the skip link: the sidebar"
    page.keyboard.press("Tab")
    dashboard = page.get_by_role("navigation", name=_("Main navigation")).get_by_role(
        "link", name=_("Dashboard")
    )
    expect(dashboard).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED).startswith("nav a")

    # Enter on the skip link moves the focus to the main content, and Tab goes on there.
    page.goto(f"{base}/ui/")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED).startswith("main "), page.evaluate(_FOCUSED)

    # The account menu: reached by Tab, opened by Enter, its items reached by Tab.
    page.goto(f"{base}/ui/")
    _tab_until(page, "el => el.matches('summary.user-button')")
    menu = page.locator("details.menu")
    expect(menu).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    reached = []
    for _press in range(8):
        page.keyboard.press("Tab")
        where = page.evaluate(_FOCUSED)
        if not where.startswith("menu "):
            break
        reached.append(where.split(" ", 2)[2])
    assert _("Two-step verification") in reached, reached
    assert _("Sign out") in reached, reached
    assert any(name in reached for name in LOCALES.values()), "the language menu"
    page.locator("summary.user-button").focus()
    page.keyboard.press("Enter")
    expect(menu).not_to_have_attribute("open", "")

    # A confirmation dialog: Enter opens it, the focus goes in, Escape closes it and the
    # focus returns to the button that opened it.
    page.goto(f"{base}/ui/access-levels/{level.json()['id']}")
    _tab_until(page, "el => el.getAttribute('popovertarget') === 'level-delete'")
    opener = page.locator("button[popovertarget='level-delete']").first
    expect(opener).to_have_text(_("Delete"))
    dialog = page.locator("#level-delete")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED).startswith("dialog button"), page.evaluate(_FOCUSED)
    expect(page.locator("#level-delete button[type=button]")).to_have_text(_("Cancel"))
    accessible(page)  # with the dialog open
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
