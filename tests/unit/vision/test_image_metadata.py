"""clean_image: the metadata goes, the pixels stay exactly as they were."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from gatepost.vision.image_metadata import MalformedImage, strip_metadata
from gatepost.vision.images import BadImage, clean_image
from tests.unit.vision.conftest import LIMITS, pil

SECRET = "serial SN-0042 at 39.9N 116.4E"


def _exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = SECRET  # Artist
    exif.get_ifd(0x8769)[0xA431] = SECRET  # BodySerialNumber
    exif.get_ifd(0x8825)[2] = (39.0, 54.0, 27.0)  # GPS latitude
    if orientation is not None:
        exif[0x0112] = orientation
    return exif.tobytes()


def _save(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _clean(data: bytes) -> bytes:
    return clean_image(data, declared=None, **LIMITS).data


def _pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.mode, image.size, image.tobytes()


def _jpeg(**options: Any) -> bytes:
    image = options.pop("image", None) or pil("obama_1.jpg")
    extra = {"exif": _exif(), "comment": SECRET.encode(), "icc_profile": b"icc " + b"\x07" * 40}
    return _save(image, "JPEG", **extra, xmp=SECRET.encode(), **options)


VARIANTS = {
    "baseline 4:2:0": lambda: _jpeg(quality=90),
    "progressive": lambda: _jpeg(quality=85, progressive=True),
    "restart markers": lambda: _jpeg(quality=90, restart_marker_rows=1),
    "4:4:4 optimised": lambda: _jpeg(quality=95, subsampling=0, optimize=True),
    "grey": lambda: _jpeg(image=pil("obama_1.jpg").convert("L")),
    "CMYK (Adobe APP14)": lambda: _jpeg(image=pil("obama_1.jpg").convert("CMYK")),
    "PNG palette with transparency": lambda: _save(
        pil("obama_1.jpg").quantize(colors=64), "PNG", transparency=3, exif=_exif()
    ),
    "PNG RGBA": lambda: _save(pil("obama_1.jpg").convert("RGBA"), "PNG", exif=_exif()),
    "WebP lossy": lambda: _save(pil("obama_1.jpg"), "WEBP", exif=_exif(), xmp=SECRET.encode()),
    "WebP lossless with alpha": lambda: _save(
        pil("obama_1.jpg").convert("RGBA"), "WEBP", lossless=True, exif=_exif()
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_metadata_goes_and_pixels_stay(variant: str) -> None:
    original = VARIANTS[variant]()
    assert SECRET.encode() in original
    cleaned = _clean(original)
    assert SECRET.encode() not in cleaned and b"Exif\x00\x00" not in cleaned
    assert _pixels(cleaned) == _pixels(original)
    info = Image.open(io.BytesIO(cleaned)).info
    assert {"exif", "comment", "xmp", "icc_profile"}.isdisjoint(info), sorted(info)
    assert _clean(cleaned) == cleaned  # nothing left to strip


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_an_image_without_metadata_is_kept_byte_for_byte(image_format: str) -> None:
    plain = _save(pil("obama_1.jpg"), image_format)
    assert _clean(plain) == plain


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_orientation_is_the_one_tag_kept(image_format: str) -> None:
    rotated = _clean(_save(pil("obama_1.jpg"), image_format, exif=_exif(orientation=8)))
    assert SECRET.encode() not in rotated
    assert dict(Image.open(io.BytesIO(rotated)).getexif()) == {0x0112: 8}


def test_bytes_after_the_image_are_dropped() -> None:
    payload = b"PK\x03\x04 appended archive " + SECRET.encode()
    for image_format in ("JPEG", "PNG"):
        plain = _save(pil("obama_1.jpg"), image_format)
        assert _clean(plain + payload) == plain
    webp = _save(pil("obama_1.jpg"), "WEBP")
    assert _clean(webp + payload) == webp


def test_broken_containers_are_refused_not_passed_through() -> None:
    jpeg = _save(pil("obama_1.jpg"), "JPEG")
    png = _save(pil("obama_1.jpg"), "PNG")
    broken = {
        "JPEG segment longer than the file": jpeg[:2] + b"\xff\xe1\xff\xff" + jpeg[2:40],
        "JPEG marker missing": jpeg[:2] + b"\x00\x00" + jpeg[2:],
        "PNG chunk longer than the file": png[:8] + b"\x7f\xff\xff\xff" + png[12:200],
        # An extended header (VP8X) of size 0, then lossless data: its flags byte is
        # not there to read.
        "WEBP extended header of size 0": _riff(b"VP8X" + b"\x00" * 4 + b"VP8L" + b"\x00" * 4),
    }
    for name, data in broken.items():
        with pytest.raises(BadImage):
            _clean(data)
        with pytest.raises(MalformedImage):
            strip_metadata(data, name.split()[0])


def _riff(body: bytes) -> bytes:
    return b"RIFF" + len(b"WEBP" + body).to_bytes(4, "little") + b"WEBP" + body
