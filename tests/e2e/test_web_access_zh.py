"""The access-rules and activity pages in both languages: access levels, schedules,
access points, alerts, the audit log, events, the gate log, the live feed, the muster
list and webhooks, with one refused form of each kind, read in English and in
Simplified Chinese (the ``gatepost_lang`` cookie the language menu sets).

The texts the page scripts show (``static/live.js``: the stream's state and the
event's words) come from the page and the server in the reader's language too.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gatepost.web.i18n import LANG_COOKIE, translations
from tests.e2e.conftest import (
    LiveServer,
    UiSession,
    browser_login,
    form_token,
    set_up_acme,
)
from tests.support.api import Actor, add_device, add_site
from tests.support.leaks import remember

LANGUAGES = ("en", "zh_Hans")
REASON = "Fire drill on the ground floor"
remember(REASON)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _in(locale: str, en: str, zh: str) -> str:
    return zh if locale == "zh_Hans" else en


def _shared(locale: str, en: str) -> str:
    """A message other areas' catalogues translate too (the merged catalogue's choice),
    which must be translated all the same."""
    if locale == "en":
        return en
    zh = translations("zh_Hans").gettext(en)
    assert zh != en and not zh.isascii(), en
    return zh


def _choose(page: Page, base: str, locale: str) -> None:
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])


def _heading(page: Page, text: str) -> None:
    expect(page.locator("h1")).to_have_text(text)


@pytest.mark.browser
@pytest.mark.parametrize("locale", LANGUAGES)
def test_access_pages_and_their_refusals_are_in_the_chosen_language_when_browsing(
    live_server: LiveServer, page: Page, locale: str
) -> None:
    base = live_server.url
    with set_up_acme(live_server) as http:
        site = _ok(http.post("/api/v1/sites", json={"name": "HQ", "timezone": "UTC"}), 201)["id"]
        zone = _ok(http.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
        body = {"site_id": site, "name": "Front door", "into_zone_id": zone["id"]}
        point = _ok(http.post("/api/v1/access-points", json=body), 201)["id"]
    browser_login(page, base)
    _choose(page, base, locale)

    # Schedules: the empty list, a refused form (a half-filled row, no name), weekday
    # names from the locale.
    page.goto(f"{base}/ui/schedules")
    expect(page.locator("html")).to_have_attribute("lang", _in(locale, "en", "zh-Hans"))
    _heading(page, _in(locale, "Schedules", "时间表"))
    expect(page.locator("#results")).to_contain_text(
        _in(locale, "No schedules yet", "还没有时间表")
    )
    page.goto(f"{base}/ui/schedules/new")
    _heading(page, _in(locale, "New schedule", "新建时间表"))
    expect(page.locator("#schedule-mon-label")).to_have_text(_in(locale, "Monday", "星期一"))
    expect(page.locator("#schedule-holiday-label")).to_have_text(
        _in(locale, "Site holidays", "站点节假日")
    )
    page.get_by_label(_in(locale, "Monday from", "星期一 开始")).fill("08:00")
    page.get_by_role("button", name=_in(locale, "Create schedule", "创建时间表")).click()
    expect(page.locator("#schedule-name-error")).to_have_text(
        _in(locale, "Enter a name for the schedule.", "请输入时间表名称。")
    )
    expect(page.locator("#schedule-mon-0-error")).to_have_text(
        _in(locale, "Enter both times, or leave both empty.", "请填写两个时间，或都留空。")
    )
    page.get_by_label(_in(locale, "Name", "名称")).fill("Office hours")
    page.get_by_label(_in(locale, "Monday until", "星期一 结束")).fill("18:00")
    page.get_by_role("button", name=_in(locale, "Create schedule", "创建时间表")).click()
    expect(page.locator("#flash")).to_contain_text(_in(locale, "Schedule created.", "时间表"))
    expect(page.locator("table.week")).to_contain_text(_in(locale, "Tuesday", "星期二"))
    expect(page.locator("table.week")).to_contain_text(_in(locale, "Closed", "关闭"))
    page.goto(f"{base}/ui/schedules")
    expect(page.locator(".week-summary-day").first).to_have_text(_in(locale, "Mon", "周一"))

    # Access levels: a refused form (no name, no schedule), then one created.
    page.goto(f"{base}/ui/access-levels/new")
    _heading(page, _in(locale, "New access level", "新建权限组"))
    page.get_by_role("button", name=_in(locale, "Create access level", "创建权限组")).click()
    expect(page.locator("#level-name-error")).to_have_text(
        _in(locale, "Enter a name for the access level.", "请输入权限组名称。")
    )
    expect(page.locator("#level-schedule_id-error")).to_have_text(
        _in(locale, "Choose when the level lets people through.", "请选择此权限组允许通行的时间。")
    )
    page.get_by_label(_in(locale, "Name", "名称")).fill("Staff")
    page.get_by_label(_in(locale, "Schedule", "时间表"), exact=True).select_option(
        label="Office hours"
    )
    page.get_by_label("Front door").check()
    page.get_by_role("button", name=_in(locale, "Create access level", "创建权限组")).click()
    _heading(page, "Staff")
    expect(page.locator(".page-description")).to_contain_text(
        _in(locale, "Access level · 1 access point", "权限组 · 1 个门禁点")
    )
    expect(page.locator("main")).to_contain_text(_in(locale, "Into Lobby", "进入Lobby"))
    page.goto(f"{base}/ui/access-levels")
    _heading(page, _shared(locale, "Access levels"))
    expect(page.locator("thead")).to_contain_text(_in(locale, "Held by", "持有人员"))

    # Access points: a remote command and its notice.
    page.goto(f"{base}/ui/access-points")
    _heading(page, _in(locale, "Access points", "门禁点"))
    row = page.locator(f"#point-{point}")
    expect(row).to_contain_text(_in(locale, "No device bound", "未绑定设备"))
    expect(row).to_contain_text(_in(locale, "Normally locked", "常闭"))
    row.locator("summary", has_text=_in(locale, "Lockdown", "锁闭")).click()
    row.get_by_label(_in(locale, "Reason for lockdown", "锁闭原因")).fill(REASON)
    row.get_by_role("button", name=_in(locale, "Send lockdown", "发送锁闭")).click()
    expect(page.locator("#flash")).to_contain_text(
        _in(
            locale,
            "Lockdown sent to 0 devices at Front door. Door mode: lockdown.",
            "已向Front door的 0 台设备发送“锁闭”。 门模式：锁闭。",
        )
    )

    # The audit log finds the command; its chain verifies.
    page.goto(f"{base}/ui/audit")
    _heading(page, _in(locale, "Audit log", "审计日志"))
    expect(page.locator("thead")).to_contain_text(_in(locale, "Actor", "操作人"))
    page.get_by_role("button", name=_in(locale, "Verify chain", "校验哈希链")).click()
    expect(page.locator("#audit-verify")).to_contain_text(
        _in(locale, "Chain intact.", "哈希链完整。")
    )

    # Alerts, events, gate log (a refused search), muster list, webhooks (a refused form).
    page.goto(f"{base}/ui/alerts")
    _heading(page, _in(locale, "Alerts", "告警"))
    expect(page.locator("#results")).to_contain_text(
        _in(locale, "No open alerts", "没有未处理的告警")
    )
    page.goto(f"{base}/ui/events")
    _heading(page, _in(locale, "Events", "事件"))
    expect(page.get_by_label(_in(locale, "Event kind", "事件类型"))).to_contain_text(
        _in(locale, "Access granted", "允许通行")
    )
    page.goto(f"{base}/ui/plate-reads")
    _heading(page, _shared(locale, "Gate log"))
    expect(page.get_by_label(_in(locale, "Plate", "车牌"))).to_have_attribute(
        "placeholder", _in(locale, "Plate, e.g. 京A12345", "车牌，例如 京A12345")
    )
    page.goto(f"{base}/ui/muster")
    _heading(page, _shared(locale, "Muster list") + " · HQ")
    expect(page.locator("#muster-summary")).to_contain_text(
        _in(locale, "people on site at HQ", "HQ 当前在场")
    )
    expect(page.locator("#muster-print")).to_have_text(_in(locale, "Print", "打印"))
    page.goto(f"{base}/ui/webhooks")
    _heading(page, _in(locale, "Webhooks", "Webhook"))
    expect(page.locator("h2.card-title")).to_have_text(_in(locale, "Add an endpoint", "添加端点"))
    page.get_by_label(_in(locale, "Description", "描述")).fill("Dispatch")
    page.get_by_label(_in(locale, "URL", "URL")).fill("ftp://hooks.example.com/in")
    page.get_by_role("button", name=_in(locale, "Add endpoint", "添加端点")).click()
    expect(page.locator("#webhook-url-error")).to_have_text(
        _in(locale, "Url must start with https://.", "URL 必须以 https:// 开头。")
    )


@pytest.mark.browser
@pytest.mark.parametrize("locale", LANGUAGES)
def test_live_feed_words_come_in_the_chosen_language_when_an_event_arrives(
    live_server: LiveServer, page: Page, locale: str
) -> None:
    container = live_server.container
    base = live_server.url
    with set_up_acme(live_server) as http:
        site = _ok(http.post("/api/v1/sites", json={"name": "HQ", "timezone": "UTC"}), 201)["id"]
        body = {"site_id": site, "name": "Turnstile 3", "kind": "turnstile"}
        device = _ok(http.post("/api/v1/devices", json=body), 201)
        remember(device["credential"], device["mqtt_password"], device["mqtt_mac_key"])
        browser_login(page, base)
        _choose(page, base, locale)
        page.goto(f"{base}/ui/live")
        _heading(page, _in(locale, "Live events", "实时监控"))
        expect(page.locator("#live-status")).to_have_text(_in(locale, "Live", "实时"))
        expect(page.locator("#live-empty")).to_have_text(
            _in(locale, "Waiting for events…", "正在等待事件…")
        )
        arrival = {
            "kind": "card",
            "value": "FEEDF00D",
            "idempotency_key": f"live-zh-{locale}",
            "device_time": container.clock.now().isoformat(),
        }
        headers = {"Authorization": f"Bearer {device['credential']}"}
        posted = _ok(http.post("/api/v1/device/arrivals", json=arrival, headers=headers))
    row = page.locator(f"#live-{posted['event_id']}")
    expect(row).to_be_visible(timeout=5000)
    expect(row).to_contain_text(
        _in(locale, "Unknown card, PIN or QR code", "未知的卡、密码或二维码")
    )
    expect(row).to_contain_text(_in(locale, "Denied", "拒绝"))
    expect(row).to_contain_text(_in(locale, "Access denied", "拒绝通行"))


@pytest.mark.parametrize("locale", LANGUAGES)
def test_refusals_and_notices_are_in_the_chosen_language_when_forms_are_posted(
    ui_admin: UiSession, admin: Actor, client: TestClient, locale: str
) -> None:
    site = add_site(admin)
    zone = _ok(admin.post("/api/v1/zones", json={"site_id": site, "name": "Lobby"}), 201)
    body = {"site_id": site, "name": "Front door", "into_zone_id": zone["id"]}
    point = _ok(admin.post("/api/v1/access-points", json=body), 201)["id"]
    device = add_device(admin, site, "Reader 1")
    _ok(admin.put(f"/api/v1/devices/{device.id}/access-point", json={"access_point_id": point}))
    client.cookies.set(LANG_COOKIE, locale)

    form = client.get("/ui/schedules/new")
    assert f'<html lang="{_in(locale, "en", "zh-Hans")}">' in form.text
    refused = client.post(
        "/ui/schedules",
        data={"name": "Shift", "mon_start": "8am", "mon_end": "17:00", "csrf_token": ui_admin.csrf},
    )
    assert refused.status_code == 422
    assert _in(locale, "Enter times as HH:MM", "请按 HH:MM 格式输入时间") in refused.text
    assert _in(locale, "The schedule was not saved.", "时间表未保存。") in refused.text

    level = client.post(
        "/ui/access-levels",
        data={"name": "", "schedule_id": "", "csrf_token": ui_admin.csrf},
    )
    assert level.status_code == 422
    assert _in(locale, "Enter a name for the access level.", "请输入权限组名称。") in level.text

    points = client.get("/ui/access-points")
    sent = client.post(
        f"/ui/access-points/zones/{zone['id']}/lockdown",
        data={"reason": REASON, "csrf_token": form_token(points.text)},
    )
    assert sent.status_code == 200
    assert (
        _in(
            locale,
            "Lockdown of Lobby sent to 1 access point (1 device). In lockdown now: 1 of 1.",
            "已向Lobby的 1 个门禁点（1 台设备）发送“锁闭”。 当前锁闭：1 / 1。",
        )
        in sent.text
    )
    search = client.post("/ui/plate-reads/search", data={"plate": " ", "csrf_token": ui_admin.csrf})
    assert search.status_code == 422
    assert _in(locale, "Enter a plate to search for.", "请输入要搜索的车牌。") in search.text

    person = _ok(admin.post("/api/v1/persons", json={"name": "Wang Fang"}), 201)["id"]
    given = client.post(
        f"/ui/people/{person}/access-levels",
        data={"access_level_id": "nope", "csrf_token": ui_admin.csrf},
    )
    assert given.status_code == 422
    assert (
        _in(locale, "Choose an access level from the list.", "请从列表中选择权限组。") in given.text
    )
    assert _in(locale, "Give an access level", "授予权限组") in given.text
