"""Face photos for tests (small fixtures in tests/fixtures/faces, see SOURCES.md there)
and helpers to enrol and recognise through the real API."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from tests.support.api import Actor

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"


def photos(identity: str) -> list[Path]:
    """Single-person fixture photos of ``identity`` (file names start with it)."""
    found = sorted(p for p in FIXTURES.iterdir() if p.name.startswith(f"{identity}_"))
    assert found, f"no fixture photos of {identity} in {FIXTURES}"
    return found


def group_photo() -> Path:
    (found,) = [p for p in FIXTURES.iterdir() if p.name.startswith("group_")]
    return found


@cache
def photo_bytes(path: Path) -> bytes:
    return path.read_bytes()


def blank_jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 190, 200)).save(out, format="JPEG")
    return out.getvalue()


def files(*paths: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, photo_bytes(p), "image/jpeg")) for p in paths]


def one_file(data: bytes, name: str = "frame.jpg") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "image/jpeg")}


def add_person(admin: Actor, name: str, *, consent: bool = True, site_id: str | None = None) -> str:
    body: dict[str, Any] = {"name": name}
    if site_id:
        body["site_id"] = site_id
    created = admin.post("/api/v1/persons", json=body)
    assert created.status_code == 201, created.text
    person_id: str = created.json()["id"]
    if consent:
        given = admin.post(
            f"/api/v1/persons/{person_id}/consents",
            json={"purpose": "biometric_face", "notice_version": "2026-1"},
        )
        assert given.status_code == 201, given.text
    return person_id


def enrol(admin: Actor, person_id: str, *paths: Path) -> Any:
    return admin.post(f"/api/v1/persons/{person_id}/faces", files=files(*paths))


def identify(actor: Actor, path_or_bytes: Path | bytes, **params: str) -> Any:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else photo_bytes(path_or_bytes)
    return actor.post("/api/v1/faces/identify", files=one_file(data), params=params)
