"""Bad input gets a 4xx with a clear message, never a 500, and leaves nothing half-written.

Malformed and oversized bodies, wrong content types, bad UTF-8, unknown fields, bad ids,
invalid identity numbers and hostile uploads are each sent through the real app; after
every refusal the row counts, the audit chain and the media directory are exactly as
before (SECURITY.md 31).
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from gatepost.services.container import Container
from gatepost.store import tables
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site
from tests.support.identities import cn_number
from tests.support.routes import BASE_URL, operations
from tests.support.rows import row_counts
from tests.support.world import jpeg_bytes

# -- a client that reports server errors as 500s, and the state to compare -------------


@dataclass
class Probe:
    """Sends requests as an actor through a client that does not raise server errors."""

    client: TestClient
    actor: Actor

    def send(self, method: str, url: str, **kw: Any) -> Any:
        headers = {**self.actor.headers, **kw.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kw)


def _probe(actor: Actor) -> Probe:
    client = TestClient(actor.client.app, base_url=BASE_URL, raise_server_exceptions=False)
    return Probe(client, actor)


def _blob_files(container: Container) -> set[str]:
    root = container.settings.data_dir / "media"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _state(container: Container, admin: Actor) -> dict[str, Any]:
    verify = admin.post("/api/v1/audit/verify")
    assert verify.status_code == 200, verify.text
    assert verify.json()["intact"] is True, verify.text
    with container.db.session() as session:
        media_ids = set(session.scalars(select(tables.MediaObject.id)))
    return {
        "rows": row_counts(container),
        "audit": verify.json(),
        "blobs": _blob_files(container),
        "media_ids": media_ids,
    }


def _check_unchanged(
    failures: list[str], case: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    if after["rows"] != before["rows"]:
        changed = {
            k: (before["rows"][k], v) for k, v in after["rows"].items() if before["rows"][k] != v
        }
        failures.append(f"{case}: rows changed {changed}")
    if after["audit"] != before["audit"]:
        failures.append(f"{case}: audit changed {before['audit']} -> {after['audit']}")
    if after["blobs"] != before["blobs"]:
        failures.append(f"{case}: blob files changed {after['blobs'] ^ before['blobs']}")
    if after["blobs"] != after["media_ids"]:
        failures.append(f"{case}: orphan or missing blobs {after['blobs'] ^ after['media_ids']}")


def _check_refusal(
    failures: list[str], case: str, response: Any, allowed: set[int], field: str | None = None
) -> None:
    status = response.status_code
    if status not in allowed:
        failures.append(f"{case}: {status} (expected {sorted(allowed)}) {response.text[:160]}")
        return
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        failures.append(f"{case}: {status} without the error envelope: {response.text[:120]}")
        return
    if not error.get("message"):
        failures.append(f"{case}: no message")
    if field is not None:
        loose = field.startswith("~")  # named in the field or at least in the message
        field = field.lstrip("~")
        named = [error.get("field") or ""] + [d.get("field", "") for d in error.get("details", [])]
        in_field = any(field in n.split(".") for n in named)
        if not in_field and not (loose and field in error.get("message", "")):
            failures.append(f"{case}: the error does not name {field!r}: {error}")


Case = tuple[str, Callable[[], Any], set[int], str | None]


def _run_cases(container: Container, admin: Actor, cases: list[Case]) -> None:
    failures: list[str] = []
    before = _state(container, admin)
    for name, send, allowed, field in cases:
        response = send()
        _check_refusal(failures, name, response, allowed, field)
        _check_unchanged(failures, name, before, _state(container, admin))
    assert failures == [], "\n".join(failures)


# -- JSON bodies --------------------------------------------------------------------------

JSON = {"content-type": "application/json"}


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"name": "'
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}'


def test_malformed_bodies_get_4xx_and_write_nothing(admin: Actor, container: Container) -> None:
    probe = _probe(admin)
    limit = container.settings.security.max_json_bytes
    big = json.dumps({"name": "x", "notes": "n" * (limit + 10)}).encode()

    def post(body: bytes, headers: dict[str, str] | None = None, url: str = "/api/v1/persons"):
        return lambda: probe.send("POST", url, content=body, headers=headers or JSON)

    cases: list[Case] = [
        ("malformed json", post(b'{"name": "a",'), {422}, None),
        ("not json at all", post(b"hello"), {422}, None),
        ("invalid utf-8", post(b'{"name": "\xff\xfe\xfd"}'), {422}, None),
        ("overlong utf-8", post(b'{"name": "\xc0\xaf"}'), {422}, None),
        ("lone surrogate escape", post(b'{"name": "\\ud800"}'), {422}, None),
        ("json array", post(b'[{"name": "a"}]'), {422}, None),
        ("json string", post(b'"name"'), {422}, None),
        ("json null", post(b"null"), {422}, None),
        (
            "unknown field",
            post(b'{"name": "a", "favourite_colour": "red"}'),
            {422},
            "favourite_colour",
        ),
        ("wrong type", post(b'{"name": ["a"]}'), {422}, "name"),
        ("deep nesting", post(b"[" * 100_000 + b"]" * 100_000), {400, 413, 422}, None),
        ("text/plain", post(b'{"name": "a"}', {"content-type": "text/plain"}), {415}, None),
        (
            "form urlencoded",
            post(b"name=a", {"content-type": "application/x-www-form-urlencoded"}),
            {415},
            None,
        ),
        (
            "multipart to a json route",
            lambda: probe.send(
                "POST", "/api/v1/persons", files={"name": ("n", b"a", "text/plain")}
            ),
            {415, 422},
            None,
        ),
        ("no content type", post(b'{"name": "a"}', {"content-type": ""}), {415}, None),
        (
            "json with charset",
            post(b'{"name": 1}', {"content-type": "application/json; charset=utf-8"}),
            {422},
            "name",
        ),
        ("oversized with length", post(big), {413}, None),
        (
            "oversized chunked",
            lambda: probe.send(
                "POST", "/api/v1/persons", content=_chunks(limit + 1024), headers=JSON
            ),
            {413},
            None,
        ),
        (
            "bad content-length",
            post(b'{"name": "a"}', {**JSON, "content-length": "abc"}),
            {400, 413, 422},
            None,
        ),
    ]
    _run_cases(container, admin, cases)


def test_nul_and_control_characters_in_text_fields_are_refused(
    admin: Actor, container: Container
) -> None:
    probe = _probe(admin)
    site_id = add_site(admin)
    person = admin.post("/api/v1/persons", json={"name": "Wang Wu"}).json()["id"]

    def post(url: str, body: dict[str, Any], method: str = "POST") -> Callable[[], Any]:
        return lambda: probe.send(method, url, json=body)

    nul = "a\x00b"
    cases: list[Case] = [
        ("site name", post("/api/v1/sites", {"name": nul}), {422}, "~name"),
        ("person name", post("/api/v1/persons", {"name": nul}), {422}, "~name"),
        (
            "person external_ref",
            post("/api/v1/persons", {"name": "ok", "external_ref": nul}),
            {422},
            "~external_ref",
        ),
        (
            "person notes",
            post(f"/api/v1/persons/{person}", {"notes": nul}, "PATCH"),
            {422},
            "~notes",
        ),
        (
            "username",
            post(
                "/api/v1/users",
                {"username": "ab\x00cd", "password": STRONG_PASSWORD, "role": "guard"},
            ),
            {422},
            "~username",
        ),
        ("api key name", post("/api/v1/api-keys", {"name": nul, "role": "guard"}), {422}, "~name"),
        (
            "device name",
            post("/api/v1/devices", {"site_id": site_id, "name": nul, "kind": "camera"}),
            {422},
            "~name",
        ),
        (
            "reveal reason",
            post(f"/api/v1/persons/{person}/reveal", {"reason": "because\x00x"}),
            {422},
            "~reason",
        ),
        (
            "consent purpose",
            post(f"/api/v1/persons/{person}/consents", {"purpose": nul, "notice_version": "v1"}),
            {422},
            "~purpose",
        ),
        ("tenant name", post("/api/v1/tenants", {"name": nul, "slug": "nulco"}), {422}, "~name"),
    ]
    _run_cases(container, admin, cases)


# -- ids, queries and identity numbers ---------------------------------------------------

BAD_IDS = ["not-an-id", "G" * 32, "A" * 32, "1" * 31, "1" * 33, "1" * 31 + "%00", "%2e%2e"]


def test_bad_ids_in_paths_get_422_naming_the_parameter(admin: Actor, container: Container) -> None:
    probe = _probe(admin)
    failures: list[str] = []
    before = _state(container, admin)
    ops = [
        op
        for op in operations(admin.client.app)  # type: ignore[arg-type]
        if op.path_params and not op.is_ui and not op.is_public
    ]
    assert len(ops) >= 15
    for op in ops:
        for bad in BAD_IDS:
            url = op.url(dict.fromkeys(op.path_params, bad))
            response = probe.send(op.method, url)
            if "%00" in bad:  # refused before routing, as every NUL is
                _check_refusal(failures, f"{op} id={bad!r}", response, {400, 422})
                continue
            _check_refusal(failures, f"{op} id={bad!r}", response, {422}, op.path_params[0])
    _check_unchanged(failures, "bad ids", before, _state(container, admin))
    assert failures == [], "\n".join(failures)


QUERY_VALUES = ["\x00", "a\x00", "x" * 5000, "-1", "0", "1e400", "NaN", "9" * 40, "\u202e\ufeff"]


def test_hostile_query_values_never_cause_server_errors(admin: Actor, container: Container) -> None:
    probe = _probe(admin)
    failures: list[str] = []
    ops = [
        op
        for op in operations(admin.client.app)  # type: ignore[arg-type]
        if op.method == "GET" and not op.path_params and not op.is_ui and not op.is_public
    ]
    assert len(ops) >= 8
    for op in ops:
        for param in op.route.dependant.query_params:
            for value in QUERY_VALUES:
                response = probe.send("GET", op.path, params={param.name: value})
                if response.status_code >= 500:
                    failures.append(f"{op} {param.name}={value[:12]!r} -> {response.status_code}")
            raw = probe.send("GET", f"{op.path}?{param.name}=%FF%FE%00")
            if raw.status_code >= 500:
                failures.append(f"{op} {param.name}=<bad utf-8> -> {raw.status_code}")
    assert failures == [], "\n".join(failures)


def test_invalid_identity_numbers_get_422_naming_the_field(
    admin: Actor, container: Container
) -> None:
    probe = _probe(admin)
    person = admin.post("/api/v1/persons", json={"name": "Zhao Liu"}).json()["id"]
    valid = cn_number("11010519491231002")
    bad_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    cases_in: dict[str, tuple[str, str]] = {
        "bad checksum": ("cn_resident", bad_check),
        "bad month": ("cn_resident", cn_number("11010519491331002")),
        "bad day": ("cn_resident", cn_number("11010519490230002")),
        "too short": ("cn_resident", valid[:17]),
        "too long": ("cn_resident", valid + "1"),
        "letters": ("cn_resident", "11010519491231ABCD"),
        "leading zero region": ("cn_resident", cn_number("01010519491231002")),
        "generic too short": ("generic", "AB1"),
        "generic symbols": ("generic", "AB12;DROP"),
        "unknown kind": ("passport-ish", "E12345678"),
    }
    cases: list[Case] = []
    for name, (kind, number) in cases_in.items():
        field = "identity_kind" if kind == "passport-ish" else "identity_number"
        body = {"name": "Qian Qi", "identity_kind": kind, "identity_number": number}
        cases.append(
            (
                f"create {name}",
                lambda b=body: probe.send("POST", "/api/v1/persons", json=b),
                {422},
                field,
            )
        )
        patch = {"identity_kind": kind, "identity_number": number}
        cases.append(
            (
                f"update {name}",
                lambda b=patch: probe.send("PATCH", f"/api/v1/persons/{person}", json=b),
                {422},
                field,
            )
        )
    for phone in ("abc", "12", "+86 138 0013 8000 0000 0000", "138-0013-800x"):
        cases.append(
            (
                f"phone {phone!r}",
                lambda p=phone: probe.send(
                    "POST", "/api/v1/persons", json={"name": "Sun Ba", "phone": p}
                ),
                {422},
                "phone",
            )
        )
    _run_cases(container, admin, cases)
    # The valid form of the same number is accepted (so the refusals above are about it).
    ok = admin.post(
        "/api/v1/persons",
        json={"name": "Zhou Jiu", "identity_kind": "cn_resident", "identity_number": valid},
    )
    assert ok.status_code == 201, ok.text


# -- events -----------------------------------------------------------------------------


def test_bad_event_batches_store_nothing(admin: Actor, container: Container) -> None:
    device = add_device(admin, add_site(admin))
    probe = _probe(device)
    now = container.clock.now()

    def event(key: str, **over: Any) -> dict[str, Any]:
        return {
            "idempotency_key": key,
            "kind": "door.opened",
            "occurred_at": now.isoformat(),
            **over,
        }

    def batch(*events: dict[str, Any]) -> Callable[[], Any]:
        body = json.dumps({"events": list(events)}).encode()
        return lambda: probe.send("POST", "/api/v1/device/events", content=body, headers=JSON)

    cases: list[Case] = [
        (
            "unknown kind last",
            batch(event("a"), event("b"), event("c", kind="door.exploded")),
            {422},
            "kind",
        ),
        ("unknown person", batch(event("a"), event("b", person_id="f" * 32)), {422}, "person_id"),
        (
            "unknown snapshot",
            batch(event("a"), event("b", snapshot_id="e" * 32)),
            {422},
            "snapshot_id",
        ),
        ("nan in data", batch(event("a"), event("b", data={"t": float("nan")})), {422}, "data"),
        ("infinity in data", batch(event("a", data={"t": float("inf")})), {422}, "data"),
        ("nested data", batch(event("a", data={"t": {"x": 1}})), {422}, "data"),
        (
            "far future",
            batch(event("a"), event("b", occurred_at=(now + timedelta(days=2)).isoformat())),
            {422},
            "occurred_at",
        ),
        (
            "ancient",
            batch(event("a", occurred_at=(now - timedelta(days=400)).isoformat())),
            {422},
            "occurred_at",
        ),
        (
            "naive time",
            batch(event("a", occurred_at=now.replace(tzinfo=None).isoformat())),
            {422},
            "occurred_at",
        ),
        ("bad key", batch(event("a b/c")), {422}, "idempotency_key"),
        ("too many", batch(*[event(f"k{i}") for i in range(1001)]), {422, 413}, "events"),
        ("empty", batch(), {422}, "events"),
    ]
    _run_cases(container, admin, cases)


# -- uploads ----------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-bit greyscale PNG declaring width x height pixels, compressed to a few KB."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    block = row * 100
    idat = b"".join(compressor.compress(block) for _ in range(height // 100)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _image(fmt: str, size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(buffer, fmt)
    return buffer.getvalue()


def test_hostile_uploads_get_4xx_and_leave_no_blob(admin: Actor, container: Container) -> None:
    device = add_device(admin, add_site(admin))
    probe = _probe(device)
    max_bytes = container.settings.media.max_upload_bytes
    jpeg = jpeg_bytes((640, 480))
    bomb = png_bomb()
    assert len(bomb) < 200_000

    def upload(data: bytes, content_type: str = "image/jpeg", field: str = "file"):
        return lambda: probe.send(
            "POST", "/api/v1/device/snapshots", files={field: ("frame", data, content_type)}
        )

    padded = jpeg + b"\x00" * (max_bytes + 1 - len(jpeg))
    cases: list[Case] = [
        ("not an image", upload(b"hello, this is text"), {422}, "file"),
        ("truncated jpeg", upload(jpeg[: len(jpeg) // 2]), {422}, "file"),
        ("png bomb", upload(bomb, "image/png"), {413, 422}, "file"),
        ("png declared as jpeg", upload(_image("PNG"), "image/jpeg"), {415, 422}, "file"),
        ("jpeg declared as text", upload(jpeg, "text/plain"), {415, 422}, "file"),
        ("gif", upload(_image("GIF"), "image/gif"), {415, 422}, "file"),
        (
            "svg",
            upload(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
            {415, 422},
            "file",
        ),
        ("empty file", upload(b""), {422}, "file"),
        ("one byte over the limit", upload(padded), {413, 422}, "file"),
        ("far over the limit", upload(padded + b"\x00" * 200_000), {413}, None),
        ("no file field", upload(jpeg, field="picture"), {422}, "file"),
        (
            "raw body, not multipart",
            lambda: probe.send(
                "POST",
                "/api/v1/device/snapshots",
                content=jpeg,
                headers={"content-type": "image/jpeg"},
            ),
            {415},
            None,
        ),
    ]
    _run_cases(container, admin, cases)
    # A real frame is still accepted, and its blob is the only one on disk.
    good = probe.send(
        "POST", "/api/v1/device/snapshots", files={"file": ("frame", jpeg, "image/jpeg")}
    )
    assert good.status_code == 201, good.text
    assert _blob_files(container) == {good.json()["id"]}


@pytest.mark.parametrize("size", [(1, 1), (8000, 6000)])
def test_pixel_limit_refuses_large_images_when_bytes_are_small(
    admin: Actor, container: Container, size: tuple[int, int]
) -> None:
    device = add_device(admin, add_site(admin))
    buffer = io.BytesIO()
    Image.new("L", size, 0).save(buffer, "PNG", optimize=True)
    response = _probe(device).send(
        "POST", "/api/v1/device/snapshots", files={"file": ("f", buffer.getvalue(), "image/png")}
    )
    pixels = size[0] * size[1]
    if pixels > container.settings.media.max_pixels:
        assert response.status_code == 422, response.text
        assert "pixels" in response.json()["error"]["message"]
    else:
        assert response.status_code == 201, response.text
