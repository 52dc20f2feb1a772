"""Stored images keep no metadata: what a signed URL serves has no EXIF (GPS, camera
serial), XMP, comment, ICC profile or PNG text, on every path that stores an image:
device snapshots, kept enrolment photos and gate frames (SECURITY.md 6, 21).

Each image is a real camera-style file built with Pillow, posted the way devices and
administrators post them, and read back through the signed URL.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from gatepost.demo.plates import ASSETS, REGISTERED
from gatepost.services.container import Container
from gatepost.store.tables import FaceTemplate
from tests.support.api import Actor, add_device, add_site, admin_principal, call, now_iso
from tests.support.faces import add_person, photos
from tests.support.world import jpeg_bytes, post_snapshot

SERIAL = "SN-4711-CAMERA-SERIAL"
OWNER = "Owner Name Zhang"
COMMENT = b"installed at the back door of No. 12"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description creator="Li Secret"/></x:xmpmeta>'
ICC = b"\x00\x00\x02\x0cICC profile from camera " + b"\x01" * 64
SECRETS = (SERIAL.encode(), OWNER.encode(), COMMENT, b"Li Secret", b"ICC profile from camera")


def _exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Hikvision"  # Make
    exif[0x0110] = "DS-2CD2T47"  # Model
    exif[0x013B] = OWNER  # Artist
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0xA431] = SERIAL  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 27.0)  # latitude
    gps[3], gps[4] = "E", (116.0, 23.0, 50.0)  # longitude
    return exif.tobytes()


def camera_file(image: Image.Image, image_format: str = "JPEG", **options: Any) -> bytes:
    """``image`` saved the way a camera would: EXIF with GPS and serial, XMP, a comment
    (JPEG), text chunks (PNG) and an ICC profile."""
    out = io.BytesIO()
    exif = _exif(options.pop("orientation", None))
    extra: dict[str, Any] = {"exif": exif, "xmp": XMP, "icc_profile": ICC}
    if image_format == "JPEG":
        extra |= {"comment": COMMENT, "quality": 92}
    elif image_format == "PNG":
        text = PngInfo()
        text.add_text("Comment", COMMENT.decode())
        text.add_itxt("Author", OWNER)
        text.add_itxt("XML:com.adobe.xmp", XMP.decode())
        extra |= {"pnginfo": text}
    image.save(out, image_format, **extra, **options)
    data = out.getvalue()
    assert SERIAL.encode() in data and b"Li Secret" in data  # the test's premise
    assert "icc_profile" in Image.open(io.BytesIO(data)).info
    return data


def assert_no_metadata(served: Any, original: bytes) -> Image.Image:
    """``served`` (a signed URL's response) decodes to ``original``'s size, with none
    of its metadata left."""
    assert served.status_code == 200, served.text
    data: bytes = served.content
    for secret in SECRETS:
        assert secret not in data, secret
    assert b"Exif\x00\x00" not in data and b"GPS" not in data and b"eXIf" not in data
    image = Image.open(io.BytesIO(data))
    image.load()
    before = Image.open(io.BytesIO(original))
    assert (image.format, image.size) == (before.format, before.size)
    leftovers = {"exif", "comment", "xmp", "XML:com.adobe.xmp", "icc_profile", "Comment"}
    assert leftovers.isdisjoint(image.info), sorted(image.info)
    assert dict(image.getexif()) == {}
    return image


def _snapshot_url(admin: Actor, device: Actor, data: bytes, content_type: str, key: str) -> str:
    uploaded = post_snapshot(device, data, content_type)
    assert uploaded.status_code == 201, uploaded.text
    batch = {
        "events": [
            {
                "idempotency_key": key,
                "kind": "access.granted",
                "occurred_at": now_iso(admin),
                "snapshot_id": uploaded.json()["id"],
            }
        ]
    }
    ingested = device.post("/api/v1/device/events", json=batch)
    assert ingested.status_code == 200, ingested.text
    event_id = ingested.json()[0]["event_id"]
    signed = admin.get(f"/api/v1/events/{event_id}/snapshot-url")
    assert signed.status_code == 200, signed.text
    url: str = signed.json()["url"]
    return url


@pytest.mark.parametrize(
    ("image_format", "content_type", "mode"),
    [
        ("JPEG", "image/jpeg", "RGB"),
        ("PNG", "image/png", "RGBA"),
        ("WEBP", "image/webp", "RGB"),
    ],
)
def test_device_snapshot_is_served_without_metadata(
    admin: Actor, image_format: str, content_type: str, mode: str
) -> None:
    device = add_device(admin, add_site(admin))
    picture = Image.open(io.BytesIO(jpeg_bytes((160, 120), (40, 120, 200)))).convert(mode)
    original = camera_file(picture, image_format)
    url = _snapshot_url(admin, device, original, content_type, f"meta-{image_format}")
    served = call(admin, "GET", url)
    assert served.headers["content-type"] == content_type
    stored = assert_no_metadata(served, original)
    # Only the metadata went: the pixels are the camera's, not a re-encoding.
    assert stored.tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_snapshot_keeps_its_orientation_and_nothing_else(admin: Actor) -> None:
    device = add_device(admin, add_site(admin))
    original = camera_file(Image.new("RGB", (80, 40), (250, 200, 10)), orientation=6)
    served = call(admin, "GET", _snapshot_url(admin, device, original, "image/jpeg", "rot"))
    assert served.status_code == 200
    for secret in SECRETS:
        assert secret not in served.content
    image = Image.open(io.BytesIO(served.content))
    assert dict(image.getexif()) == {0x0112: 6}  # "rotate 90° clockwise to view": kept
    assert image.getexif().get_ifd(0x8825) == {} and "comment" not in image.info


def test_kept_enrolment_photo_is_stored_without_metadata(
    admin: Actor, container: Container
) -> None:
    policy = admin.put(
        "/api/v1/faces/policy", json={"target_fmr": 1e-4, "max_fpir": 0.05, "photo_days": 30}
    )
    assert policy.status_code == 200, policy.text
    person = add_person(admin, "Kept Photo")
    original = camera_file(Image.open(photos("obama")[0]).convert("RGB"))
    enrolled = admin.post(
        f"/api/v1/persons/{person}/faces", files=[("files", ("me.jpg", original, "image/jpeg"))]
    )
    assert enrolled.status_code == 201, enrolled.text
    with container.db.session() as session:
        (photo_id,) = session.scalars(select(FaceTemplate.photo_id)).all()
    assert photo_id is not None
    signed = container.media.signed_url(admin_principal(admin), photo_id)
    assert_no_metadata(call(admin, "GET", signed.url), original)


def test_gate_frame_is_stored_without_metadata(admin: Actor) -> None:
    site_id = add_site(admin, "Frame site")
    device = add_device(admin, site_id, "Barrier")
    car = admin.post("/api/v1/vehicles", json={"plate": REGISTERED, "site_id": site_id})
    assert car.status_code == 201, car.text
    policy = admin.put("/api/v1/plates/policy", json={"image_days": 7})
    assert policy.status_code == 200, policy.text
    original = camera_file(Image.open(ASSETS / "registered_car.jpg").convert("RGB"))
    read = device.post("/api/v1/plates/read", files={"file": ("gate.jpg", original, "image/jpeg")})
    assert read.status_code == 200 and read.json()["read_id"], read.text
    (entry,) = admin.get("/api/v1/plate-reads").json()["items"]
    assert entry["has_frame"] is True, entry
    assert_no_metadata(call(admin, "GET", entry["frame"]["url"]), original)
