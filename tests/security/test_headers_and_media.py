"""Response headers on every API and media response, and signed, expiring media URLs.

Every response that can carry personal data says ``Cache-Control: no-store``,
``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options: nosniff``. Media is
reachable only through a URL signed for one user, one object and one tenant, which
expires; there is no listing and no static media route, and the blob on disk is
sealed (SECURITY.md 21, 22).
"""

from __future__ import annotations

import stat
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi.routing import APIRoute
from starlette.routing import Mount

from gatepost.domain.ports import FixedClock
from gatepost.services.container import Container
from tests.support.api import Actor, add_user, call
from tests.support.routes import anonymous_client, flat_routes, operations
from tests.support.world import World, build_world, jpeg_bytes, post_snapshot

REQUIRED_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def _header_problems(response: Any) -> list[str]:
    problems = []
    directives = {d.strip().lower() for d in response.headers.get("cache-control", "").split(",")}
    if "no-store" not in directives or "public" in directives:
        problems.append(f"cache-control={response.headers.get('cache-control')!r}")
    for name, value in REQUIRED_HEADERS.items():
        if response.headers.get(name, "").lower() != value:
            problems.append(f"{name}={response.headers.get(name)!r}")
    return problems


def _split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def _with(url: str, **changes: str) -> str:
    path, query = _split(url)
    return f"{path}?{urlencode({**query, **changes})}"


# -- headers ----------------------------------------------------------------------------


def test_every_api_and_media_response_carries_privacy_headers(
    admin: Actor, container: Container
) -> None:
    world = build_world(admin, tag="h", seq=11)
    ids = world.ids
    anon = anonymous_client(admin.client.app)
    responses: list[tuple[str, Any]] = []
    for op in operations(admin.client.app):  # type: ignore[arg-type]
        if op.method != "GET" or any(p not in ids for p in op.path_params):
            continue
        params = world.media_query if op.path.startswith("/media/") else None
        responses.append((f"{op}", call(admin, "GET", op.url(ids), params=params)))
        responses.append((f"{op} anonymous", anon.get(op.url(ids))))
    guard = add_user(admin, "guard", username="header-guard")
    limit = container.settings.security.max_json_bytes
    responses += [
        ("201 create", admin.post("/api/v1/sites", json={"name": "Header site"})),
        ("403", guard.get("/api/v1/audit")),
        ("404", admin.get("/api/v1/persons/" + "f" * 32)),
        ("405", call(admin, "PUT", "/api/v1/persons")),
        (
            "413",
            call(
                admin,
                "POST",
                "/api/v1/persons",
                content=b"{" + b" " * (limit + 1) + b"}",
                headers={"content-type": "application/json"},
            ),
        ),
        (
            "415",
            call(
                admin,
                "POST",
                "/api/v1/persons",
                content=b"x",
                headers={"content-type": "text/plain"},
            ),
        ),
        ("422", admin.post("/api/v1/persons", json={"nope": 1})),
        ("media 200", call(admin, "GET", world.media_url)),
        ("media 404", call(admin, "GET", _with(world.media_url, sig="A" * 43))),
        ("media 401", anon.get(world.media_url)),
        (
            "reveal",
            admin.post(
                f"/api/v1/persons/{ids['person_id']}/reveal", json={"reason": "header check"}
            ),
        ),
        ("204 sign-out", guard.post("/api/v1/auth/logout")),
    ]
    assert len(responses) >= 40
    failures = [
        f"{name} ({r.status_code}): {_header_problems(r)}"
        for name, r in responses
        if _header_problems(r)
    ]
    assert failures == [], "\n".join(failures)
    statuses = {r.status_code for _, r in responses}
    assert {200, 201, 204, 401, 403, 404, 405, 413, 415, 422} <= statuses


# -- media URLs -------------------------------------------------------------------------


def test_media_url_serves_the_image_to_its_user_until_it_expires(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    world = build_world(admin, tag="m", seq=12)
    ttl = container.settings.media.url_ttl_seconds
    path, query = _split(world.media_url)
    assert path == f"/media/{world.ids['media_id']}"
    assert set(query) == {"exp", "sig"}
    assert int(query["exp"]) == int(clock.now().timestamp()) + ttl
    served = call(admin, "GET", world.media_url)
    assert served.status_code == 200
    assert served.content == world.image
    assert served.headers["content-type"] == "image/jpeg"
    clock.advance(timedelta(seconds=ttl - 1))
    assert call(admin, "GET", world.media_url).status_code == 200
    clock.advance(timedelta(seconds=2))
    expired = call(admin, "GET", world.media_url)
    assert expired.status_code == 404
    assert world.image not in expired.content
    # A fresh URL works again, so the 404 above is the expiry.
    fresh = admin.get(f"/api/v1/events/{world.ids['event_id']}/snapshot-url").json()["url"]
    assert call(admin, "GET", fresh).status_code == 200


def test_media_url_fails_when_any_part_is_altered(admin: Actor, container: Container) -> None:
    world = build_world(admin, tag="m", seq=13)
    url = world.media_url
    path, query = _split(url)
    exp, sig = int(query["exp"]), query["sig"]
    other = post_snapshot(world.device, jpeg_bytes(color=(1, 2, 3)))
    assert other.status_code == 201
    other_id = other.json()["id"]
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    altered = {
        "exp + 1": _with(url, exp=str(exp + 1)),
        "exp - 1": _with(url, exp=str(exp - 1)),
        "exp far future": _with(url, exp=str(exp + 10**9)),
        "sig flipped": _with(url, sig=flipped),
        "sig truncated": _with(url, sig=sig[:-4]),
        "sig upper-cased": _with(url, sig=sig.upper()) if sig.upper() != sig else None,
        "sig padded": _with(url, sig=sig + "="),
        "other object": f"/media/{other_id}?{urlencode(query)}",
        "object id case": path.upper().replace("/MEDIA/", "/media/") + "?" + urlencode(query),
    }
    failures = []
    for name, bad in altered.items():
        if bad is None:
            continue
        response = call(admin, "GET", bad)
        if response.status_code not in (404, 422) or world.image in response.content:
            failures.append(f"{name}: {response.status_code}")
    assert failures == [], "\n".join(failures)
    for missing in ("exp", "sig"):
        partial = {k: v for k, v in query.items() if k != missing}
        assert call(admin, "GET", f"{path}?{urlencode(partial)}").status_code == 422
    # The untouched URL still works.
    assert call(admin, "GET", url).status_code == 200


def test_media_url_is_bound_to_the_user_it_was_signed_for(
    admin: Actor, container: Container
) -> None:
    world = build_world(admin, tag="m", seq=14)
    guard = add_user(admin, "guard", username="media-guard")
    operator = add_user(admin, "operator", username="media-operator")
    key = admin.post("/api/v1/api-keys", json={"name": "media key", "role": "guard"}).json()
    guard_key = Actor(admin.client, key["token"], admin.tenant_id, key["id"], "guard")
    for other in (guard, operator, guard_key):
        response = call(other, "GET", world.media_url)
        assert response.status_code == 404, other.role
        assert world.image not in response.content
        own = other.get(f"/api/v1/events/{world.ids['event_id']}/snapshot-url")
        assert own.status_code == 200
        assert call(other, "GET", own.json()["url"]).status_code == 200
        assert call(admin, "GET", own.json()["url"]).status_code == 404
    # Without any login the URL is worthless.
    assert anonymous_client(admin.client.app).get(world.media_url).status_code == 401
    # Roles without media access cannot get a URL at all.
    hr = add_user(admin, "hr", username="media-hr")
    assert hr.get(f"/api/v1/events/{world.ids['event_id']}/snapshot-url").status_code == 403
    assert call(hr, "GET", world.media_url).status_code == 403


def test_media_has_no_listing_and_no_static_route(admin: Actor, container: Container) -> None:
    world = build_world(admin, tag="m", seq=15)
    media_routes = [
        (path, route)
        for path, route in flat_routes(admin.client.app)  # type: ignore[arg-type]
        if path.startswith("/media") or "media" in path.split("/")
    ]
    assert [(p, sorted(r.methods)) for p, r in media_routes if isinstance(r, APIRoute)] == [
        ("/media/{media_id}", ["GET"])
    ]
    mounts = [p for p, r in flat_routes(admin.client.app) if isinstance(r, Mount)]  # type: ignore[arg-type]
    assert mounts == ["/static"]
    media_root = container.settings.data_dir / "media"
    for probe in (
        "/media",
        "/media/",
        f"/media/{admin.tenant_id}",
        f"/media/{admin.tenant_id}/",
        f"/media/{admin.tenant_id}/{world.ids['media_id'][:2]}/{world.ids['media_id']}",
        "/api/v1/media",
        "/api/v1/media/",
        f"/static/{admin.tenant_id}",
        f"/static/../{media_root.name}",
        "/static/media",
        "/media?list=1",
    ):
        response = call(admin, "GET", probe)
        if response.status_code in (307, 308):  # trailing-slash redirect: follow it once
            response = call(admin, "GET", response.headers["location"])
        assert response.status_code in (401, 404, 405, 422), f"{probe}: {response.status_code}"
        assert world.image not in response.content, probe


def test_stored_blob_is_sealed_and_private(admin: Actor, container: Container) -> None:
    world: World = build_world(admin, tag="m", seq=16)
    media_id = world.ids["media_id"]
    files = [p for p in (container.settings.data_dir / "media").rglob(media_id) if p.is_file()]
    assert len(files) == 1
    blob = files[0].read_bytes()
    image = world.image
    assert image not in blob
    for start in range(0, len(image) - 32, max(1, len(image) // 16)):
        assert image[start : start + 32] not in blob
    assert b"JFIF" not in blob and not blob.startswith(b"\xff\xd8")
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    # The same bytes come back through the signed URL, so the blob is the image, sealed.
    assert call(admin, "GET", world.media_url).content == image
