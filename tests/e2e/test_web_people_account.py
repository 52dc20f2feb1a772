"""People and the account page in a real browser, in English and Simplified Chinese:
edit a person (masked values not filled in), erase one with a wrong and then the right
typed name, change the password (a session elsewhere is signed out, this one stays),
and sign out everywhere else. Headless Debian Chromium against uvicorn
(``live_server``), the strict CSP and htmx real; the language is the ``gatepost_lang``
cookie the language menu sets.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from gatepost.web.i18n import LANG_COOKIE
from tests.e2e.conftest import LiveServer, browser_login, set_up_acme
from tests.support.api import STRONG_PASSWORD
from tests.support.leaks import remember

LANGUAGES = ("en", "zh_Hans")
NAME = "Qian Duoduo"
PHONE = "13912345678"
NEW_PASSWORD = "another long passphrase for qian 7"
remember(NAME, PHONE, NEW_PASSWORD)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _in(locale: str, en: str, zh: str) -> str:
    return zh if locale == "zh_Hans" else en


def _api_login(base: str, password: str) -> httpx.Client:
    """Another place signed in (a session of the same administrator, over the API)."""
    client = httpx.Client(base_url=base)
    body = {"tenant": "acme", "username": "admin", "password": password}
    token = _ok(client.post("/api/v1/auth/login", json=body))["token"]
    remember(token)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.mark.browser
@pytest.mark.parametrize("locale", LANGUAGES)
def test_person_edit_erase_password_and_sessions_work_in_the_chosen_language(
    live_server: LiveServer, page: Page, locale: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server) as http:
        person = _ok(http.post("/api/v1/persons", json={"name": NAME, "phone": PHONE}), 201)["id"]
        browser_login(page, base)
        page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])

        # Edit: the phone is not filled in (masked); left empty, it stays.
        page.goto(f"{base}/ui/people/{person}")
        page.get_by_role("link", name=_in(locale, "Edit", "编辑"), exact=True).click()
        expect(page.locator("#person-phone")).to_have_value("")
        expect(page.locator("#person-phone-help")).to_contain_text(
            _in(locale, "Leave empty to keep it.", "留空则保持不变。")
        )
        page.locator("#person-notes").fill("Works nights")
        page.get_by_role("button", name=_in(locale, "Save person", "保存人员")).click()
        expect(page).to_have_url(f"{base}/ui/people/{person}?notice=person_saved")
        expect(page.locator(".dl")).to_contain_text("Works nights")
        assert _ok(http.get(f"/api/v1/persons/{person}"))["phone_masked"]

        # Erase: what goes is listed; a wrong name erases nothing, the right one does.
        page.get_by_role("link", name=_in(locale, "Erase", "彻底删除"), exact=True).click()
        expect(page.locator("h1")).to_contain_text(NAME)
        expect(page.locator(".erase-list").first).to_contain_text(
            _in(locale, "0 face templates", "0 个人脸模板")
        )
        confirm = page.get_by_label(
            _in(locale, "Type the person's name to confirm", "请输入该人员的姓名以确认"),
            exact=False,
        )
        confirm.fill("Qian Duo")
        erase = page.get_by_role("button", name=_in(locale, "Erase this person", "彻底删除此人员"))
        erase.click()
        expect(page.locator("#erase-confirm_name-error")).to_contain_text(
            _in(locale, "Type the person's name exactly as shown", "请准确输入所示的人员姓名")
        )
        expect(confirm).to_have_attribute("aria-invalid", "true")
        assert http.get(f"/api/v1/persons/{person}").status_code == 200
        confirm.fill(NAME)
        erase.click()
        expect(page).to_have_url(f"{base}/ui/people?notice=person_erased")
        expect(page.locator(".flash")).to_contain_text(
            _in(locale, "Person erased", "人员已被彻底删除")
        )
        assert http.get(f"/api/v1/persons/{person}").status_code == 404

        # Password: the API session elsewhere is signed out, this page stays signed in.
        page.locator("summary.user-button").click()
        page.get_by_role("link", name=_in(locale, "Account", "账户"), exact=True).click()
        expect(page.locator("h1")).to_have_text(_in(locale, "Account", "账户"))
        page.get_by_label(_in(locale, "Current password", "当前密码")).fill(STRONG_PASSWORD)
        page.get_by_label(_in(locale, "New password", "新密码"), exact=True).fill(NEW_PASSWORD)
        page.get_by_label(_in(locale, "New password again", "再次输入新密码")).fill(NEW_PASSWORD)
        page.get_by_role("button", name=_in(locale, "Change password", "修改密码")).click()
        expect(page).to_have_url(f"{base}/ui/account?notice=password_changed")
        expect(page.locator(".flash")).to_contain_text(
            _in(locale, "Password changed.", "密码已修改。")
        )
        assert http.get("/api/v1/auth/me").status_code == 401
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody")).to_contain_text(_in(locale, "This session", "当前会话"))

    # Log out everywhere else: a new place signed in is listed, then signed out.
    elsewhere = _api_login(base, NEW_PASSWORD)
    try:
        page.reload()
        expect(page.locator("tbody tr")).to_have_count(2)
        page.get_by_role(
            "button", name=_in(locale, "Log out everywhere else", "退出其他所有位置的登录")
        ).click()
        expect(page).to_have_url(f"{base}/ui/account?notice=sessions_revoked")
        expect(page.locator("tbody tr")).to_have_count(1)
        assert elsewhere.get("/api/v1/auth/me").status_code == 401
    finally:
        elsewhere.close()
    page.goto(f"{base}/ui/people")
    expect(page.locator("#results")).to_contain_text(_in(locale, "No people yet", "暂无人员"))
