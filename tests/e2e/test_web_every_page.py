"""Every page of the admin UI, in every language, in headless Chromium.

The pages come from the app itself: every GET route under ``/ui`` (``app.routes``,
through included routers), never a hand list. Their ``{..._id}`` parameters are filled
from one real object of every kind (``tests/support/world.py``, the objects the
isolation tests use, plus a second, platform-managed tenant); a route this walk cannot
fill must be named in :data:`NOT_PAGES` with the reason, and a new one that is neither
fails :func:`test_every_ui_get_route_is_walked_or_excused`.

Each page is opened in English and in Simplified Chinese (the ``gatepost_lang``
cookie the language menu sets), and in English in the dark colour scheme too. It must
answer 200 (404 for the catch-all), carry the right ``<html lang>``, pass axe-core with
no serious or critical violation (``tests/e2e/accessibility.py``) and, in Chinese, show
no English message that has a Chinese translation. During the walk every request the
browser makes and every log record the server writes is kept: none may hold a personal
value of the seeded person (name, phone, identity number, card, plates), raw or
URL-encoded, searches by those values included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import unquote, unquote_plus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from gatepost.app import compose_app
from gatepost.demo.plates import REGISTERED
from gatepost.services.container import Container
from gatepost.web.catalogues import extract, placeholders
from gatepost.web.i18n import LANG_COOKIE, LOCALES, html_lang, translations
from tests.e2e.accessibility import Violation
from tests.e2e.conftest import LiveServer, browser_login, set_up_acme
from tests.support.api import Actor
from tests.support.leaks import remember
from tests.support.routes import Operation, operations
from tests.support.world import World, build_world

pytestmark = pytest.mark.browser

LANGUAGES = tuple(LOCALES)  # ("en", "zh_Hans")
#: Each language in the light colour scheme, and English once more in the dark one
#: (the stylesheet follows prefers-color-scheme; colour contrast is checked in both).
WALKS = [
    *(pytest.param(locale, "light", id=locale) for locale in LANGUAGES),
    pytest.param("en", "dark", id="en-dark"),
]

#: GET routes under /ui that are not pages of their own, and why each is not walked.
NOT_PAGES: dict[str, str] = {
    "/ui/live/stream": "a server-sent event stream, not a page: the live page reads it",
    "/ui/schedules/interval": "an htmx fragment (one interval row) of the schedule form",
    "/ui/sites/{site_id}/muster/list": "an htmx fragment the muster page loads into itself",
}
#: Public pages walked before first-run setup (after it, they redirect to the login).
BEFORE_SETUP = frozenset({"/ui/setup"})
#: Path parameters that are not object ids: the value the walk puts there.
OTHER_PARAMS = {"rest": "no-such-page"}
#: Pages whose answer is not 200 by design.
STATUS = {"/ui/{rest:path}": 404}
#: Pages that send the browser on to another page by design (with one site, the site's
#: own page); the page they lead to is walked as a page of its own.
REDIRECTS = {
    "/ui/holidays": "/ui/sites/{site_id}/holidays",
    "/ui/muster": "/ui/sites/{site_id}/muster",
}
#: The id kinds the walk can fill: the world's objects and the platform-managed tenant.
ID_KINDS = frozenset(
    {
        "access_level_id",
        "access_point_id",
        "alert_id",
        "consent_id",
        "credential_id",
        "delivery_id",
        "device_id",
        "event_id",
        "holiday_id",
        "key_id",
        "media_id",
        "person_id",
        "plate_read_id",
        "schedule_id",
        "site_id",
        "subscriber_id",
        "template_id",
        "tenant_id",
        "user_id",
        "vehicle_id",
        "webhook_id",
        "zone_id",
    }
)
#: The seeded person's tag and sequence number: their values are canaries.
TAG, SEQ = "Qvarnstrom", 7351


def ui_pages(app: FastAPI) -> list[Operation]:
    """The GET routes under /ui that are pages (every one not in NOT_PAGES)."""
    return [
        op for op in operations(app) if op.method == "GET" and op.is_ui and op.path not in NOT_PAGES
    ]


def unfillable(app: FastAPI) -> list[str]:
    """Pages with a path parameter the walk cannot fill."""
    known = ID_KINDS | set(OTHER_PARAMS)
    return sorted(
        f"{op.path} ({', '.join(sorted(set(op.path_params) - known))})"
        for op in ui_pages(app)
        if set(op.path_params) - known
    )


def test_every_ui_get_route_is_walked_or_excused(live_container: Container) -> None:
    app_routes = compose_app(live_container)
    assert unfillable(app_routes) == [], (
        "a new /ui page takes an id kind the walk cannot fill: add one object of that kind "
        "to the seeded world (ID_KINDS), or name the route in NOT_PAGES with the reason"
    )
    paths = {op.path for op in operations(app_routes) if op.method == "GET"}
    for named in (NOT_PAGES, STATUS, REDIRECTS, BEFORE_SETUP):
        assert sorted(set(named) - paths) == [], "the walk names a route that is gone"
    assert len(ui_pages(app_routes)) >= 30, "the walk lost pages: fix ui_pages"


# -- the seeded world -----------------------------------------------------------------


def seed(live_server: LiveServer, http: Any) -> World:
    """One object of every kind (as the isolation tests build them) and a second tenant,
    created through the API of the live server's app (same container and database)."""
    app = compose_app(live_server.container)
    client = TestClient(app, base_url=live_server.url)
    token = http.headers["Authorization"].removeprefix("Bearer ")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    admin = Actor(client, token, me.json()["tenant_id"], id=me.json()["id"], role="admin")
    world = build_world(admin, tag=TAG, seq=SEQ)
    tenant = admin.post("/api/v1/tenants", json={"name": "Globex", "slug": "globex"})
    assert tenant.status_code == 201, tenant.text
    world.ids["tenant_id"] = tenant.json()["id"]
    invitation = admin.post(f"/api/v1/tenants/{tenant.json()['id']}/invitations", json={})
    assert invitation.status_code == 201, invitation.text
    remember(invitation.json()["token"])
    return world


def canaries(world: World) -> list[str]:
    """The seeded personal values no URL and no log line may hold."""
    values = [
        f"Person {TAG}",
        world.identity_number,
        world.phone,
        world.phone.removeprefix("+86"),
        world.plate,
        REGISTERED,
        world.card,
    ]
    remember(*values)
    return values


def leaked(text: str, values: list[str]) -> list[str]:
    """Which of ``values`` ``text`` holds, raw or URL-encoded (reported masked)."""
    forms = {text, unquote(text), unquote_plus(text)}
    return [f"canary #{i}" for i, value in enumerate(values) if any(value in f for f in forms)]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name}: {record.getMessage()}")
        except Exception:  # noqa: BLE001 - a bad format string is still a line to check
            self.lines.append(f"{record.name}: {record.msg} {record.args}")


@contextmanager
def server_log() -> Iterator[_Records]:
    """Every log record of level INFO and above written anywhere in the process (the
    server runs in a thread): what a deployment logs, the access log included."""
    root = logging.getLogger()
    handler, level = _Records(), root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# -- untranslated English -------------------------------------------------------------

_TEXTS = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement && !skip.has(node.parentElement.tagName)) {
      const text = node.data.replace(/\\s+/g, " ").trim();
      if (text) texts.push(text);
    }
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [alt]")) {
    for (const name of ["aria-label", "placeholder", "title", "alt"]) {
      const value = (el.getAttribute(name) || "").replace(/\\s+/g, " ").trim();
      if (value) texts.push(value);
    }
  }
  texts.push(document.title);
  return texts;
}"""
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


# A phrase starts and ends at a word's edge; a code such as ``person.created``,
# ``access_level:…`` or ``/ui/people`` is not a phrase.
_BEFORE = r"(?<![A-Za-z0-9_:/-])(?<![A-Za-z0-9_]\.)"
_AFTER = r"(?![A-Za-z0-9_:/-])(?!\.[A-Za-z0-9_])"
_WORD = re.compile(r"[A-Za-z]{2,}")
_CODE = re.compile(r"[A-Z0-9]{1,3}")  # "HR", "ID", "QR": also country codes and data


def english_patterns(
    message_ids: Iterable[str], gettext: Callable[[str], str]
) -> list[tuple[str, re.Pattern[str]]]:
    """A pattern per message id that ``gettext`` translates to something else: the id
    as a whole phrase, its placeholders matching anything.

    Left out: ids the Chinese UI itself uses as they are (a term such as "UTC" or "API"
    that appears whole in some translation), short capital codes ("HR" is a role and a
    country code), and ids with placeholders whose words are fewer than two in a row
    ("%(count)s person" would match the data "3 person...").
    """
    ids = list(message_ids)
    chinese = "\n".join(gettext(message_id) for message_id in ids)
    patterns = []
    for message_id in ids:
        if gettext(message_id) == message_id:
            continue
        text = " ".join(message_id.split())
        parts = [p.strip() for p in _PLACEHOLDER.split(text)]
        if placeholders(text):
            if not any(len(_WORD.findall(p)) >= 2 for p in parts):
                continue
            body = r".+?".join(re.escape(p) for p in parts if p)
        elif not _WORD.search(text) or _CODE.fullmatch(text):
            continue
        else:
            body = re.escape(text)
        pattern = re.compile(_BEFORE + body + _AFTER)
        if not pattern.search(chinese):
            patterns.append((text, pattern))
    return patterns


def seeded_texts_for(tag: str) -> list[str]:
    """Names the seeded world gives its objects (``tests/support/world.py``): English
    words that are data, not UI text, longest first."""
    return sorted(
        {
            *(f"{kind} {tag}" for kind in ("Site", "Person", "Gate", "key", "Zone", "Hours")),
            *(f"{kind} {tag}" for kind in ("Door", "Staff", "Room")),
            f"guard-{tag}",
            "National Day",
            "Acme Ltd",
            "Globex",
        },
        key=len,
        reverse=True,
    )


def untranslated(
    texts: list[str], patterns: list[tuple[str, re.Pattern[str]]], seeded: list[str]
) -> list[str]:
    found = []
    for raw in texts:
        text = raw
        for value in seeded:
            text = text.replace(value, " ")
        for msgid, pattern in patterns:
            if pattern.search(text):
                found.append(f"{msgid!r} in {raw[:80]!r}")
    return sorted(set(found))


# -- the walk -------------------------------------------------------------------------


def _visit(
    page: Page,
    base: str,
    op: Operation,
    ids: dict[str, str],
    locale: str,
    check: Callable[[Page, str], list[str]],
) -> list[str]:
    """Open ``op``'s page; what is wrong with it (status, redirect, lang, ``check``)."""
    url = op.url(ids)
    response = page.goto(f"{base}{url}")
    expected = STATUS.get(op.path, 200)
    problems = []
    if response is None or response.status != expected:
        got = response.status if response is not None else None
        problems.append(f"{op.path}: answered {got}, expected {expected}")
    if op.path in REDIRECTS:
        target = f"{base}{Operation('GET', REDIRECTS[op.path], op.route).url(ids)}"
        if page.url != target:
            problems.append(f"{op.path}: led to {page.url.removeprefix(base)}, not {target}")
        return problems
    if page.url != f"{base}{url}":
        problems.append(f"{op.path}: redirected to {page.url.removeprefix(base)}")
        return problems
    lang = page.evaluate("() => document.documentElement.lang")
    if lang != html_lang(locale):
        problems.append(f"{op.path}: <html lang={lang!r}>, expected {html_lang(locale)!r}")
    return problems + check(page, op.path)


def searches(world: World) -> list[tuple[str, dict[str, str], str, str]]:
    """The searches by personal value a user makes (page, choices, field, value): their
    forms post, so the values stay out of URLs; each finds the seeded object."""
    return [
        ("/ui/people", {"#people-by": "name"}, "#people-q", f"Person {TAG}"),
        ("/ui/people", {"#people-by": "phone"}, "#people-q", world.phone),
        ("/ui/people", {"#people-by": "identity"}, "#people-q", world.identity_number),
        ("/ui/vehicles", {}, "#vehicles-plate", world.plate),
        ("/ui/plate-reads", {}, "#gate-log-plate", REGISTERED),
    ]


def _search(
    page: Page,
    base: str,
    search: tuple[str, dict[str, str], str, str],
    check: Callable[[Page, str], list[str]],
) -> list[str]:
    path, choices, field, value = search
    page.goto(f"{base}{path}")
    for select, option in choices.items():
        page.locator(select).select_option(option)
    page.locator(field).fill(value)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator(field).press("Enter")
    where = f"{path} search ({', '.join(choices.values()) or field})"
    if answer.value.status != 200:
        return [f"{where}: answered {answer.value.status}"]
    page.wait_for_load_state("networkidle")
    if page.locator("#results tbody tr").count() == 0:
        return [f"{where}: the search found nothing"]
    return check(page, where)


@pytest.mark.parametrize(("locale", "scheme"), WALKS)
def test_every_page_is_accessible_and_translated_without_personal_values_in_urls_or_logs(
    axe_violations_of: Callable[[Page], list[Violation]],
    live_server: LiveServer,
    page: Page,
    locale: str,
    scheme: Literal["light", "dark"],
) -> None:
    base = live_server.url
    app = compose_app(live_server.container)
    assert unfillable(app) == [], "see test_every_ui_get_route_is_walked_or_excused"
    pages = ui_pages(app)
    public = [op for op in pages if op.is_public]
    signed_in = [op for op in pages if not op.is_public]
    messages = [item.id for item in extract()]
    patterns = english_patterns(messages, translations(locale).gettext) if locale != "en" else []
    problems: list[str] = []
    violations: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], list[str]] = {}
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.emulate_media(color_scheme=scheme)
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])
    seeded: list[str] = []

    def check(opened: Page, where: str) -> list[str]:
        found = []
        for v in axe_violations_of(opened):
            if v.fails:  # grouped below: the layout's faults would repeat on every page
                key = (v.impact, v.rule, f"{v.help} ({v.help_url})", v.targets)
                violations.setdefault(key, []).append(where)
        if patterns:
            texts: list[str] = opened.evaluate(_TEXTS)
            found += [f"{where}: English {hit}" for hit in untranslated(texts, patterns, seeded)]
        return found

    with server_log() as log:
        for op in public:
            if op.path in BEFORE_SETUP:
                problems += _visit(page, base, op, OTHER_PARAMS, locale, check)
        with set_up_acme(live_server) as http:
            world = seed(live_server, http)
        values = canaries(world)
        seeded += seeded_texts_for(TAG)
        ids = {**world.ids, **OTHER_PARAMS}
        for op in public:
            if op.path not in BEFORE_SETUP:
                problems += _visit(page, base, op, ids, locale, check)
        page.context.clear_cookies()
        browser_login(page, base)
        page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])
        for op in signed_in:
            problems += _visit(page, base, op, ids, locale, check)
        for search in searches(world):
            problems += _search(page, base, search, check)
    walked = len(public) + len(signed_in)
    assert walked >= 30
    url_leaks = [f"{url_hit} in a request URL" for u in urls for url_hit in leaked(u, values)]
    log_leaks = [f"{hit} in a log line" for line in log.lines for hit in leaked(line, values)]
    assert url_leaks + log_leaks == [], "a personal value left the page: " + ", ".join(
        sorted(set(url_leaks + log_leaks))
    )
    assert len(log.lines) > walked, "the server's log records were not captured"
    for (impact, rule, help_text, targets), where in sorted(violations.items()):
        shown = where if len(where) <= 6 else [*where[:6], f"... {len(where) - 6} more pages"]
        problems.append(f"[{impact}] {rule}: {help_text}\n    on {', '.join(shown)}")
        problems.extend(f"    {target}    {html}" for target, html in targets[:8])
    assert problems == [], f"{len(problems)} problems on {walked} pages ({locale}, {scheme}):\n" + (
        "\n".join(problems)
    )


def test_english_is_found_when_a_translation_exists_and_seeded_names_are_not() -> None:
    chinese = {
        "Sign in": "登录",
        "Delete access level %(name)s?": "删除门禁级别 %(name)s？",
        "Site": "站点",
        "level": "级别",
        "ID": "ID",  # translated as itself: never English
        "HR": "人事",  # a capital code: also ISO 3166 for Croatia
        "UTC": "协调世界时",  # the Chinese UI writes "UTC" elsewhere
        "%(time)s UTC": "%(time)s（UTC）",  # one word beside a placeholder: left out
    }
    patterns = english_patterns(chinese, lambda message: chinese.get(message, message))
    found = [text for text, _ in patterns]
    assert found == ["Sign in", "Delete access level %(name)s?", "Site", "level"]
    texts = [
        "登录",
        "Sign in",
        "请先 Sign in 再继续。",
        "Delete access level Staff Qvarnstrom?",
        "Site Qvarnstrom",
        "Sign inside",
        "ID",
        "Website",
        "access_level.created",
        "/ui/access-levels/level",
        "时间（UTC）",
        "克罗地亚 (HR)",
        "Sign in.",
    ]
    assert untranslated(texts, patterns, seeded_texts_for("Qvarnstrom")) == [
        "'Delete access level %(name)s?' in 'Delete access level Staff Qvarnstrom?'",
        "'Sign in' in 'Sign in'",
        "'Sign in' in 'Sign in.'",
        "'Sign in' in '请先 Sign in 再继续。'",
        "'level' in 'Delete access level Staff Qvarnstrom?'",
    ]


def test_personal_values_are_found_in_urls_when_raw_or_encoded() -> None:
    values = ["+8613900007351", "京A07351", "Person Qvarnstrom"]
    assert leaked("http://127.0.0.1/ui/people?q=%2B8613900007351", values) == ["canary #0"]
    assert leaked("http://127.0.0.1/ui/vehicles?plate=%E4%BA%ACA07351", values) == ["canary #1"]
    assert leaked("http://127.0.0.1/ui/people?q=Person+Qvarnstrom", values) == ["canary #2"]
    assert leaked("http://127.0.0.1/ui/people?q=Person%20Qvarnstrom", values) == ["canary #2"]
    assert leaked("http://127.0.0.1/ui/people/0cbb0f27a1", values) == []
