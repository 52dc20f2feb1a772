"""JSON bodies are UTF-8 only (RFC 8259), and names must have something visible in them.

A JSON body in UTF-16 or UTF-32, or with a byte order mark, gets a 422 saying the body
must be UTF-8 JSON, on every route that takes a body, and changes nothing. A name made
only of zero-width and other invisible characters is refused with a 422 naming the
field, wherever a name is given (SECURITY.md 31).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from gatepost.services.container import Container
from tests.security.test_bad_input import JSON, Case, _probe, _run_cases
from tests.support.api import Actor, add_device, add_site
from tests.support.routes import body_model_name, operations, random_id

BODY = {"name": "Encoding test site", "timezone": "Asia/Shanghai"}


def _encodings(text: str) -> dict[str, bytes]:
    return {
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "utf-16 with BOM": text.encode("utf-16"),
        "utf-32-le": text.encode("utf-32-le"),
        "utf-32 with BOM": text.encode("utf-32"),
        "utf-8 with BOM": codecs.BOM_UTF8 + text.encode(),
        "utf-8 encoded surrogate": text.replace("test", "t\udc80st").encode(
            "utf-8", "surrogatepass"
        ),
    }


def _says_utf8(response: Any) -> bool:
    return response.status_code == 422 and "UTF-8 JSON" in response.json()["error"]["message"]


def test_json_bodies_that_are_not_utf8_are_refused(admin: Actor, container: Container) -> None:
    probe = _probe(admin)
    text = json.dumps(BODY, ensure_ascii=False)

    def post(body: bytes) -> Callable[[], Any]:
        return lambda: probe.send("POST", "/api/v1/sites", content=body, headers=JSON)

    cases: list[Case] = [(name, post(body), {422}, None) for name, body in _encodings(text).items()]
    _run_cases(container, admin, cases)
    for name, body in _encodings(text).items():
        response = probe.send("POST", "/api/v1/sites", content=body, headers=JSON)
        assert _says_utf8(response), f"{name}: {response.status_code} {response.text}"
    # The same body in UTF-8 is taken, with or without a charset parameter.
    created = probe.send("POST", "/api/v1/sites", content=text.encode(), headers=JSON)
    assert created.status_code == 201, created.text
    charset = {"content-type": "application/json; charset=utf-8"}
    again = {**BODY, "name": "Encoding test site 2"}
    created = probe.send(
        "POST", "/api/v1/sites", content=json.dumps(again).encode(), headers=charset
    )
    assert created.status_code == 201, created.text


def test_every_route_taking_a_body_refuses_utf16_json(admin: Actor) -> None:
    device = add_device(admin, add_site(admin, "UTF-16 walk"))
    actors = [_probe(admin), _probe(device)]
    body = '{"name": "x"}'.encode("utf-16-le")
    walked, failures = 0, []
    for op in operations(admin.client.app):  # type: ignore[arg-type]
        if op.is_ui or op.method not in {"POST", "PUT", "PATCH"} or body_model_name(op) is None:
            continue
        url = op.url({name: random_id() for name in op.path_params})
        for probe in actors:
            response = probe.send(op.method, url, content=body, headers=JSON)
            if response.status_code != 403:  # the role may not use the route: try the next
                break
        walked += 1
        if not _says_utf8(response):
            failures.append(f"{op}: {response.status_code} {response.text[:120]}")
    assert walked >= 30
    assert failures == [], "\n".join(failures)
    # Public routes too: login and setup read no UTF-16 either.
    login = actors[0].client.post("/api/v1/auth/login", content=body, headers=JSON)
    assert _says_utf8(login), login.text


INVISIBLE = "\u200b\u200c\u200d\ufeff\u2060 \u00ad\u180e\u2800\u3164\u0301"


def test_names_of_invisible_characters_only_are_refused(admin: Actor, container: Container) -> None:
    probe = _probe(admin)
    site_id = add_site(admin, "Invisible names")
    person = admin.post("/api/v1/persons", json={"name": "Visible Person"}).json()["id"]
    zone = admin.post("/api/v1/zones", json={"site_id": site_id, "name": "Lobby"}).json()["id"]
    schedule = admin.post(
        "/api/v1/schedules", json={"name": "Office hours", "holiday_intervals": []}
    )
    assert schedule.status_code == 201, schedule.text
    schedule_id = schedule.json()["id"]

    def send(url: str, body: dict[str, Any], method: str = "POST") -> Callable[[], Any]:
        return lambda: probe.send(method, url, json=body)

    blank = INVISIBLE
    cases: list[Case] = [
        ("site", send("/api/v1/sites", {"name": blank}), {422}, "name"),
        ("person", send("/api/v1/persons", {"name": blank}), {422}, "name"),
        (
            "person rename",
            send(f"/api/v1/persons/{person}", {"name": blank}, "PATCH"),
            {422},
            "name",
        ),
        ("zone", send("/api/v1/zones", {"site_id": site_id, "name": blank}), {422}, "name"),
        ("zone rename", send(f"/api/v1/zones/{zone}", {"name": blank}, "PATCH"), {422}, "name"),
        (
            "access point",
            send("/api/v1/access-points", {"site_id": site_id, "name": blank}),
            {422},
            "name",
        ),
        (
            "schedule",
            send("/api/v1/schedules", {"name": blank, "holiday_intervals": []}),
            {422},
            "name",
        ),
        (
            "schedule rename",
            send(f"/api/v1/schedules/{schedule_id}", {"name": blank}, "PATCH"),
            {422},
            "name",
        ),
        (
            "holiday",
            send(f"/api/v1/sites/{site_id}/holidays", {"date": "2027-01-01", "name": blank}),
            {422},
            "name",
        ),
        (
            "access level",
            send("/api/v1/access-levels", {"name": blank, "schedule_id": schedule_id}),
            {422},
            "name",
        ),
        (
            "device",
            send("/api/v1/devices", {"site_id": site_id, "name": blank, "kind": "camera"}),
            {422},
            "name",
        ),
        (
            "device zone",
            send(
                "/api/v1/devices",
                {"site_id": site_id, "name": "Cam 2", "kind": "camera", "zone": blank},
            ),
            {422},
            "zone",
        ),
        ("api key", send("/api/v1/api-keys", {"name": blank, "role": "guard"}), {422}, "name"),
        (
            "username",
            send(
                "/api/v1/users",
                {"username": blank, "password": "correct horse battery staple", "role": "guard"},
            ),
            {422},
            "username",
        ),
        (
            "username with a zero-width space",
            send(
                "/api/v1/users",
                {
                    "username": "ad\u200bmin",
                    "password": "correct horse battery staple",
                    "role": "guard",
                },
            ),
            {422},
            "username",
        ),
        ("tenant", send("/api/v1/tenants", {"name": blank, "slug": "blankco"}), {422}, "name"),
        (
            "notification subscriber",
            send("/api/v1/notification-subscribers", {"name": blank}),
            {422},
            "name",
        ),
    ]
    _run_cases(container, admin, cases)


def test_joiners_inside_a_visible_name_are_kept(admin: Actor) -> None:
    persian = "Mehr\u200cdad"  # ZWNJ between the parts of a Persian name
    created = admin.post("/api/v1/persons", json={"name": persian})
    assert created.status_code == 201, created.text
    assert admin.get(f"/api/v1/persons/{created.json()['id']}").json()["name"] == persian
