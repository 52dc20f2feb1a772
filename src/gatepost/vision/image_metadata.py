"""Image bytes without their metadata: EXIF, XMP, IPTC, comments, ICC profiles, text.

A camera's JPEG can carry GPS coordinates, its serial number, the owner's name and a
thumbnail of the uncropped scene; a PNG its text chunks; a WebP the same EXIF and XMP.
:func:`strip_metadata` removes all of it *losslessly*, working on the container rather
than the pixels, so nothing is re-compressed and an image that carries no metadata comes
back byte for byte:

* JPEG: every APPn segment and comment goes, except a JFIF header without a thumbnail
  (APP0) and the Adobe colour-transform flags (APP14) that decoders need; so do the
  bytes after the end-of-image marker (MPF second images, appended files).
* PNG: only the chunks that say how to draw the pixels stay (header, palette,
  transparency, gamma and sRGB, image data, animation); text, eXIf, iCCP, tIME and
  private chunks go, and so does anything after IEND.
* WebP: EXIF, XMP and ICC chunks go (their VP8X flags cleared), and anything past the
  RIFF size.

The one fact kept is the EXIF orientation, because it says which way up the pixels
are: an image that has one other than "normal" gets a minimal EXIF block holding that
tag alone, so viewers and :func:`gatepost.vision.images.decode_rgb` still turn it
upright. ICC profiles are dropped everywhere: colours are then read as sRGB, which is
what cameras at doors and gates produce.

The input has not been decoded yet: every length is bounds-checked, and anything that
does not parse raises :class:`MalformedImage` (the caller turns it into a 4xx).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from PIL import Image

__all__ = ["MalformedImage", "sniff_format", "strip_metadata"]

_ORIENTATION_TAG = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEPT = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"cICP",
        b"sBIT",
        b"bKGD",
        b"pHYs",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)

_WEBP_KEPT = frozenset({b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"})
_VP8X_ICC, _VP8X_EXIF, _VP8X_XMP = 0x20, 0x08, 0x04


class MalformedImage(ValueError):
    """The bytes do not follow their container's structure."""


def _orientation(exif: bytes | None) -> int:
    """The EXIF orientation (1-8) in an EXIF block, 1 when absent or unreadable."""
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        value = parsed.get(_ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError, KeyError, struct.error):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _orientation_tiff(orientation: int) -> bytes:
    """A minimal little-endian TIFF/EXIF block: one IFD holding the orientation only."""
    entry = struct.pack("<HHIHH", _ORIENTATION_TAG, 3, 1, orientation, 0)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + b"\x00" * 4


# -- JPEG -------------------------------------------------------------------------------


def _jpeg_segment_kept(marker: int, body: bytes) -> bool:
    if marker == 0xE0:  # APP0: a plain JFIF header (14 bytes: no thumbnail) only
        return body.startswith(b"JFIF\x00") and len(body) == 14 and body[12:14] == b"\x00\x00"
    if marker == 0xEE:  # APP14: Adobe colour transform, read by decoders
        return body.startswith(b"Adobe") and len(body) == 12
    return not (0xE1 <= marker <= 0xEF or marker == 0xFE)  # other APPn, COM


def _jpeg_scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at ``pos`` ends: at the next marker that is
    not a stuffed 0xFF00 or a restart marker (or at the end of the data)."""
    end = len(data)
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= end:
            return end
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos = found + 2
        elif following == 0xFF:
            pos = found + 1
        else:
            return found


def _strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise MalformedImage("no JPEG start-of-image marker")
    segments: list[bytes] = [b"\xff\xd8"]
    exif: bytes | None = None
    header_ends = 1  # segments before this index are SOI and a kept JFIF header
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise MalformedImage("JPEG marker expected")
        while pos < end and data[pos] == 0xFF:
            pos += 1  # fill bytes
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # end of image: whatever follows is dropped
            segments.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            segments.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > end:
            raise MalformedImage("truncated JPEG segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > end:
            raise MalformedImage("JPEG segment length out of range")
        body = data[pos + 2 : pos + length]
        segment = bytes((0xFF, marker)) + data[pos : pos + length]
        pos += length
        if marker == 0xE1 and exif is None and body.startswith(_EXIF_HEADER):
            exif = body
        if _jpeg_segment_kept(marker, body):
            segments.append(segment)
            if marker == 0xE0 and header_ends == len(segments) - 1:
                header_ends = len(segments)
        if marker == 0xDA:  # start of scan: copy the entropy-coded data as it is
            scan_end = _jpeg_scan_end(data, pos)
            segments.append(data[pos:scan_end])
            pos = scan_end
    orientation = _orientation(exif)
    if orientation != 1:
        tiff = _EXIF_HEADER + _orientation_tiff(orientation)
        app1 = b"\xff\xe1" + struct.pack(">H", len(tiff) + 2) + tiff
        segments.insert(header_ends, app1)
    return b"".join(segments)


# -- PNG --------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _strip_png(data: bytes) -> bytes:
    chunks: list[bytes] = [_PNG_SIGNATURE]
    exif: bytes | None = None
    pos, end = len(_PNG_SIGNATURE), len(data)
    while pos + 12 <= end:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        chunk_end = pos + 12 + length
        if chunk_end > end:
            raise MalformedImage("PNG chunk length out of range")
        if kind == b"eXIf" and exif is None:
            exif = data[pos + 8 : pos + 8 + length]
        if kind in _PNG_KEPT:
            chunks.append(data[pos:chunk_end])
        pos = chunk_end
        if kind == b"IEND":  # whatever follows is dropped
            break
    if len(chunks) < 2 or not chunks[1][4:8] == b"IHDR":
        raise MalformedImage("PNG without a header chunk first")
    orientation = _orientation(exif)
    if orientation != 1:
        chunks.insert(2, _png_chunk(b"eXIf", _orientation_tiff(orientation)))
    return b"".join(chunks)


# -- WebP -------------------------------------------------------------------------------


_VP8X_SIZE = 10  # flags (1), reserved (3), canvas width and height (3 + 3)


def _strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MalformedImage("no RIFF WEBP header")
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))  # later bytes dropped
    chunks: list[bytearray] = []
    exif: bytes | None = None
    pos = 12
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body_end = pos + 8 + size
        if body_end > end:
            raise MalformedImage("WebP chunk length out of range")
        if kind == b"VP8X" and size != _VP8X_SIZE:
            raise MalformedImage("WebP extended header of the wrong size")
        if kind == b"EXIF" and exif is None:
            exif = data[pos + 8 : body_end]
        padded_end = min(body_end + (size & 1), end)
        if kind in _WEBP_KEPT:
            chunks.append(bytearray(data[pos:padded_end]))
        pos = padded_end
    if not chunks:
        raise MalformedImage("WebP without image data")
    orientation = _orientation(exif)
    if chunks[0][:4] == b"VP8X":
        flags = chunks[0][8] & ~(_VP8X_ICC | _VP8X_EXIF | _VP8X_XMP)
        if orientation != 1:
            flags |= _VP8X_EXIF
            tiff = _orientation_tiff(orientation)
            chunks.append(bytearray(b"EXIF" + struct.pack("<I", len(tiff)) + tiff))
        chunks[0][8] = flags
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


_STRIPPERS: dict[str, Callable[[bytes], bytes]] = {
    "JPEG": _strip_jpeg,
    "PNG": _strip_png,
    "WEBP": _strip_webp,
}


def sniff_format(data: bytes) -> str | None:
    """JPEG, PNG or WEBP by the file's signature (the names Pillow uses), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def strip_metadata(data: bytes, image_format: str) -> bytes:
    """``data`` (an image in ``image_format``: JPEG, PNG or WEBP) without its metadata,
    keeping only a non-default EXIF orientation; raises MalformedImage."""
    stripper = _STRIPPERS.get(image_format)
    if stripper is None:
        raise MalformedImage(f"no metadata stripper for {image_format}")
    try:
        return stripper(data)
    except MalformedImage:
        raise
    except (IndexError, ValueError, struct.error) as exc:  # a field no check foresaw
        raise MalformedImage(f"malformed {image_format} container") from exc
