"""The layout and the core pages in both languages: sign-in (and a failed sign-in), the
dashboard and navigation, devices, and the vehicle form with a refused plate.

Simplified Chinese is chosen either by the ``gatepost_lang`` cookie (what the language
menu sets) or, with no cookie, by the browser's ``Accept-Language: zh-CN``; English is
the default. The language menu switches back to English, and the choice stays (the
cookie wins over the browser's language). Real browser, real server, real database.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gatepost.web.i18n import LANG_COOKIE
from tests.e2e.conftest import LiveServer, set_up_acme
from tests.support.api import STRONG_PASSWORD

# How the reader's language is chosen: English by default, Chinese by the cookie or by
# the browser's Accept-Language header (no cookie).
WAYS = ("en", "zh_Hans-cookie", "zh_Hans-accept-language")


def _zh(way: str) -> bool:
    return way.startswith("zh_Hans")


def _in(way: str, en: str, zh: str) -> str:
    return zh if _zh(way) else en


def _choose(page: Page, base: str, way: str) -> None:
    if way == "zh_Hans-cookie":
        page.context.add_cookies([{"name": LANG_COOKIE, "value": "zh_Hans", "url": base}])
    elif way == "zh_Hans-accept-language":
        page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})


def _lang(page: Page, way: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", _in(way, "en", "zh-Hans"))


def _sign_in(page: Page, base: str, way: str, password: str) -> None:
    page.goto(f"{base}/ui/login")
    page.get_by_label(_in(way, "Organisation", "组织"), exact=True).fill("acme")
    page.get_by_label(_in(way, "Username", "用户名")).fill("admin")
    page.get_by_label(_in(way, "Password", "密码")).fill(password)
    page.get_by_role("button", name=_in(way, "Sign in", "登录")).click()


@pytest.mark.browser
@pytest.mark.parametrize("way", WAYS)
def test_core_pages_and_their_refusals_are_in_the_chosen_language_when_browsing(
    live_server: LiveServer, page: Page, way: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server):
        pass
    _choose(page, base, way)

    # Sign-in page, and a failed sign-in: one message, in the reader's language.
    page.goto(f"{base}/ui/login")
    _lang(page, way)
    expect(page.locator("h1")).to_have_text(_in(way, "Sign in", "登录"))
    expect(page).to_have_title(_in(way, "Sign in · Gatepost", "登录 · Gatepost"))
    _sign_in(page, base, way, "not the password at all")
    expect(page.get_by_role("alert")).to_have_text(
        _in(
            way,
            "Invalid organisation, username, password or one-time code.",
            "组织、用户名、密码或一次性验证码不正确。",
        )
    )

    # The dashboard and the navigation.
    _sign_in(page, base, way, STRONG_PASSWORD)
    expect(page).to_have_url(f"{base}/ui/")
    _lang(page, way)
    expect(page.locator("h1")).to_have_text(_in(way, "Dashboard", "仪表盘"))
    expect(page.locator(".page-description")).to_have_text(
        _in(way, "Acme Ltd at a glance", "Acme Ltd 概览")
    )
    nav = page.get_by_role("navigation", name=_in(way, "Main navigation", "主导航"))
    for en, zh in [("People", "人员"), ("Vehicles", "车辆"), ("Audit", "审计")]:
        expect(nav.get_by_role("link", name=_in(way, en, zh), exact=True)).to_be_visible()
    expect(nav).to_contain_text(_in(way, "Coming soon", "即将推出"))
    expect(page.locator(".stats")).to_contain_text(
        _in(way, "Events today (UTC)", "今日事件（UTC）")
    )
    expect(page.get_by_role("heading", level=2)).to_have_text(_in(way, "Recent events", "最近事件"))

    # Devices: reached from the navigation; the empty list.
    nav.get_by_role("link", name=_in(way, "Devices", "设备"), exact=True).click()
    expect(page).to_have_url(f"{base}/ui/devices")
    expect(page.locator("h1")).to_have_text(_in(way, "Devices", "设备"))
    expect(page.locator("#results")).to_contain_text(_in(way, "No devices yet", "暂无设备"))
    page.get_by_role("link", name=_in(way, "Register device", "注册设备")).first.click()
    expect(page.locator("h1")).to_have_text(_in(way, "Register device", "注册设备"))
    expect(page.get_by_role("heading", level=2)).to_have_text(
        _in(way, "First, add a site", "请先添加站点")
    )

    # Vehicles: the empty list, then the form refuses a plate of no known format, next
    # to the field, and keeps what was typed.
    nav.get_by_role("link", name=_in(way, "Vehicles", "车辆"), exact=True).click()
    expect(page.locator("h1")).to_have_text(_in(way, "Vehicles", "车辆"))
    expect(page.locator("#results")).to_contain_text(_in(way, "No vehicles yet", "暂无车辆"))
    page.get_by_role("link", name=_in(way, "Add vehicle", "添加车辆")).first.click()
    expect(page.locator("h1")).to_have_text(_in(way, "Add vehicle", "添加车辆"))
    page.get_by_label(_in(way, "Plate", "车牌"), exact=True).fill("NOT A PLATE!")
    page.get_by_role("button", name=_in(way, "Add vehicle", "添加车辆")).click()
    error = page.locator("#vehicle-plate-error")
    expect(error).to_have_text(
        _in(
            way,
            "This matches no plate format gatepost knows (China, Europe, Brazil, United States).",
            "不符合 Gatepost 支持的任何车牌格式（中国, 欧洲, 巴西, 美国）。",
        )
    )
    expect(page.get_by_label(_in(way, "Plate", "车牌"), exact=True)).to_have_value("NOT A PLATE!")
    _lang(page, way)


@pytest.mark.browser
@pytest.mark.parametrize("way", ["zh_Hans-cookie", "zh_Hans-accept-language"])
def test_language_menu_switches_to_english_and_the_choice_stays_when_chinese_was_chosen(
    live_server: LiveServer, page: Page, way: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server):
        pass
    _choose(page, base, way)
    _sign_in(page, base, way, STRONG_PASSWORD)
    expect(page.locator("h1")).to_have_text("仪表盘")

    menu = page.locator("summary.user-button")
    expect(menu).to_have_attribute("aria-label", "admin 的账户菜单")
    menu.click()
    page.locator(".menu-languages").get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{base}/ui/")
    _lang(page, "en")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(menu).to_have_attribute("aria-label", "Account menu for admin")
    cookies = {c["name"]: c["value"] for c in page.context.cookies(base)}
    assert cookies.get(LANG_COOKIE) == "en"

    # The choice stays on other pages, also while the browser still asks for Chinese.
    page.goto(f"{base}/ui/vehicles")
    _lang(page, "en")
    expect(page.locator("h1")).to_have_text("Vehicles")
    page.reload()
    expect(page.locator("h1")).to_have_text("Vehicles")
