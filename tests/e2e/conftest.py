"""Fixtures for the admin UI: signing in through the forms, a live server, a browser.

``ui_admin`` signs the first administrator in through ``/ui/login`` with the
TestClient (cookie session, both databases). ``live_server`` runs the real app under
uvicorn on 127.0.0.1 for the browser tests, on its own SQLite database; ``browser``
is headless Debian Chromium (one per test module) and ``page`` a fresh page in it that
fails the test on a script error or a CSP violation.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from gatepost.app import compose_app
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from tests.e2e.accessibility import Violation, assert_accessible, axe_source, axe_violations
from tests.support.api import STRONG_PASSWORD, Actor
from tests.support.browser import watch
from tests.support.leaks import remember
from tests.support.services import missing
from tests.support.settings import test_settings

_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = _HIDDEN_CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def session_csrf(html: str) -> str:
    """The session CSRF token a signed-in page publishes for htmx requests."""
    match = _META_CSRF.search(html)
    assert match, "the page has no csrf-token meta element (not signed in?)"
    return match.group(1)


def ui_login(client: TestClient, tenant: str, username: str, password: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    client.cookies.clear()
    page = client.get("/ui/login")
    assert page.status_code == 200, page.text
    response = client.post(
        "/ui/login",
        data={
            "tenant": tenant,
            "username": username,
            "password": password,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/"
    return session_csrf(client.get("/ui/").text)


@dataclass
class UiSession:
    """A browser-like session: the client carries the cookie; ``csrf`` is for writes."""

    client: TestClient
    csrf: str

    def htmx_headers(self, *, boosted: bool = False) -> dict[str, str]:
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf}
        if boosted:
            headers["HX-Boosted"] = "true"
        return headers


@pytest.fixture
def ui_admin(client: TestClient, admin: Actor) -> UiSession:
    """The first administrator, signed in through the UI (tenant ``acme``)."""
    return UiSession(client, ui_login(client, "acme", "admin", STRONG_PASSWORD))


# -- live server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    container: Container


@pytest.fixture
def live_container(tmp_path: Path, sqlite_template: Path) -> Iterator[Container]:
    """A container like ``container`` but on SQLite only and with the system clock."""
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    settings = test_settings(tmp_path / "data", f"sqlite:///{path}", allowed_hosts=["127.0.0.1"])
    create_key_file(settings.key_file)
    built = build_container(settings)
    yield built
    built.close()


@pytest.fixture
def live_server(live_container: Container) -> Iterator[LiveServer]:
    """The real app under uvicorn on 127.0.0.1:<free port>, in a background thread."""
    port = _free_port()
    config = uvicorn.Config(
        compose_app(live_container),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=True,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", live_container)
    server.should_exit = True
    thread.join(timeout=10)


@contextmanager
def set_up_acme(live_server: LiveServer) -> Iterator[httpx.Client]:
    """Complete the live server's setup (tenant ``acme``, administrator ``admin``) and
    give an API client signed in as that administrator (closed on exit)."""
    container = live_server.container
    container.setup.complete(
        token=container.setup.issue_token(),
        tenant_name="Acme Ltd",
        tenant_slug="acme",
        username="admin",
        password=STRONG_PASSWORD,
    )
    # A generous timeout: under `pytest -n 2` the server thread shares its process and
    # the machine's two cores with the other worker's browser (a write seen at 5+ s).
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        login = {"tenant": "acme", "username": "admin", "password": STRONG_PASSWORD}
        answer = http.post("/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        token = answer.json()["token"]
        remember(token)
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


def browser_login(page: Page, base: str, username: str = "admin") -> None:
    """Sign ``username`` of tenant ``acme`` in through the login form of the browser."""
    page.goto(f"{base}/ui/login")
    page.get_by_label("Organisation").fill("acme")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/ui/")


CHROMIUM = "/usr/bin/chromium"  # Debian's, installed by scripts/install-system-deps.sh
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"headless Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def axe_violations_of() -> Callable[[Page], list[Violation]]:
    """axe-core's violations of a page (tests/e2e/accessibility.py); skips, or fails
    under CI, when axe-core is not installed (``make axe``)."""
    axe_source()
    return axe_violations


@pytest.fixture
def accessible() -> Callable[..., list[Violation]]:
    """``accessible(page)`` fails on serious or critical axe-core violations (see
    :func:`tests.e2e.accessibility.assert_accessible`)."""
    axe_source()
    return assert_accessible


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems = watch(opened)
    yield opened
    context.close()
    assert problems == [], "the page broke the CSP or raised a script error"
