"""The language menu (POST /ui/language) and the language a page is served in.

The choice is kept in a cookie; the form needs a CSRF token (the pre-session one on
public pages, the session's when signed in) and only ever sends the browser back to a
path inside /ui. Without a choice the browser's Accept-Language decides.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gatepost.web.i18n import LANG_COOKIE
from gatepost.web.views.language import back_to
from tests.e2e.conftest import UiSession, form_token


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/ui/people", "/ui/people"),
        ("/ui", "/ui"),
        ("/ui/", "/ui/"),
        ("https://evil.example/ui/", "/ui/"),
        ("//evil.example/ui", "/ui/"),
        ("/ui//evil.example", "/ui/"),
        ("/uix/people", "/ui/"),
        ("/ui/people?phone=13800138000", "/ui/"),
        ("/ui/people#x", "/ui/"),
        ("/ui/\\evil", "/ui/"),
        ("/ui/people\r\nSet-Cookie: x=1", "/ui/"),
        ("/api/v1/persons", "/ui/"),
        ("", "/ui/"),
    ],
)
def test_language_menu_returns_only_to_paths_inside_the_ui(raw: str, expected: str) -> None:
    assert back_to(raw) == expected


def test_language_choice_needs_the_forms_csrf_token_when_signed_out(client: TestClient) -> None:
    client.get("/ui/login")
    refused = client.post(
        "/ui/language",
        data={"locale": "zh_Hans", "next": "/ui/login"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert LANG_COOKIE not in refused.headers.get("set-cookie", "")


def test_language_choice_is_kept_and_the_sign_in_page_follows_it(client: TestClient) -> None:
    login = client.get("/ui/login")
    assert '<html lang="en">' in login.text
    chosen = client.post(
        "/ui/language",
        data={"locale": "zh_Hans", "next": "/ui/login", "csrf_token": form_token(login.text)},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/ui/login"
    cookie = chosen.headers["set-cookie"]
    assert f"{LANG_COOKIE}=zh_Hans" in cookie
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    again = client.get("/ui/login")
    assert '<html lang="zh-Hans">' in again.text
    assert 'aria-label="语言"' in again.text


def test_unknown_language_is_refused_with_a_clear_error(client: TestClient) -> None:
    login = client.get("/ui/login")
    refused = client.post(
        "/ui/language",
        data={"locale": "tlh", "next": "/ui/login", "csrf_token": form_token(login.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert LANG_COOKIE not in refused.headers.get("set-cookie", "")


def test_browser_language_decides_when_no_choice_was_made(client: TestClient) -> None:
    page = client.get("/ui/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-Hans">' in page.text
    english = client.get("/ui/login", headers={"Accept-Language": "de-DE,en;q=0.5"})
    assert '<html lang="en">' in english.text


def test_signed_in_choice_uses_the_session_token_and_returns_to_the_page(
    ui_admin: UiSession,
) -> None:
    client = ui_admin.client
    refused = client.post(
        "/ui/language",
        data={"locale": "zh_Hans", "next": "/ui/people", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    chosen = client.post(
        "/ui/language",
        data={"locale": "zh_Hans", "next": "/ui/people", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/ui/people"
    assert '<html lang="zh-Hans">' in client.get("/ui/people").text
    back = client.post(
        "/ui/language",
        data={"locale": "en", "next": "/ui/", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert '<html lang="en">' in client.get("/ui/").text
