import io, json, math
from datetime import UTC, datetime
from PIL import Image
from tests.support.api import Actor, add_device, add_site, add_user

def _jpeg():
    b = io.BytesIO(); Image.new("RGB", (64, 48), (200, 10, 10)).save(b, "JPEG"); return b.getvalue()

def test_explore(admin: Actor, container) -> None:
    c = admin.client
    site = add_site(admin)
    dev = add_device(admin, site)
    out = []
    def rec(name, r):
        out.append(f"{name}: {r.status_code} {r.text[:400]}")
    rec("badutf8", c.post("/api/v1/persons", content=b'{"name": "\xff\xfe"}', headers={**admin.headers, "content-type": "application/json"}))
    def gen():
        for _ in range(40):
            yield b" " * 65536
    rec("chunked", c.post("/api/v1/persons", content=gen(), headers={**admin.headers, "content-type": "application/json"}))
    rec("deep", c.post("/api/v1/persons", content=b"[" * 200000, headers={**admin.headers, "content-type": "application/json"}))
    now = datetime.now(UTC).isoformat()
    rec("nan", c.post("/api/v1/device/events", content=json.dumps({"events": [{"idempotency_key": "n1", "kind": "door.opened", "occurred_at": now, "data": {"t": float("nan")}}]}).encode(), headers={**dev.headers, "content-type": "application/json"}))
    rec("list-events", admin.get("/api/v1/events"))
    rec("nul-site", admin.post("/api/v1/sites", json={"name": "a\x00b"}))
    rec("nul-ref", admin.post("/api/v1/persons", json={"name": "x", "external_ref": "a\x00b"}))
    rec("nul-user", admin.post("/api/v1/users", json={"username": "a\x00bcd", "password": "Tangerine-Lighthouse-47", "role": "guard"}))
    rec("noauth-multipart", c.post("/api/v1/persons", content=b"--x\r\ngarbage", headers={"content-type": "multipart/form-data; boundary=x"}))
    rec("noauth-form", c.post("/api/v1/persons", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}))
    rec("noauth-textplain", c.post("/api/v1/persons", content=b"a=b", headers={"content-type": "text/plain"}))
    rec("noauth-badjson", c.post("/api/v1/persons", content=b"{", headers={"content-type": "application/json"}))
    rec("snapshot", dev.post("/api/v1/device/snapshots", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}))
    rec("cursor", admin.get("/api/v1/events", params={"cursor": "zzz|abc"}))
    rec("cursor2", admin.get("/api/v1/events", params={"cursor": "2024-01-01|" + "a"*32}))
    rec("cursor3", admin.get("/api/v1/events", params={"cursor": "9999-99-99T00:00:00+00:00|" + "a"*32}))
    rec("textplain-auth", c.post("/api/v1/persons", content=b"a", headers={**admin.headers, "content-type": "text/plain"}))
    rec("multipart-auth-json-route", c.post("/api/v1/persons", headers=admin.headers, files={"file": ("a", b"x", "text/plain")}))
    print("\n".join(out))
    assert False
