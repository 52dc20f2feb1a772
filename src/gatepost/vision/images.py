"""Untrusted image bytes in, a checked RGB pixel array out (or BadImage naming why).

One place for the rules every upload path shares: accepted formats by content (JPEG,
PNG, WebP), a cap on bytes and on pixels checked *before* decoding (decompression
bombs), complete decoding (truncated files), and normalisation of what cameras and
phones send: EXIF orientation, CMYK, 16-bit, palette, grey and alpha images all become
8-bit RGB.

Everything that stores an image stores the bytes :func:`clean_image` returns: checked as
above and stripped of their metadata (EXIF with GPS and serial numbers, XMP, comments,
ICC profiles, PNG text; see :mod:`gatepost.vision.image_metadata`).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from gatepost.errors import ValidationFailed
from gatepost.vision.image_metadata import MalformedImage, sniff_format, strip_metadata

__all__ = [
    "FORMATS",
    "BadImage",
    "CleanImage",
    "ImageFacts",
    "RgbImage",
    "clean_image",
    "decode_rgb",
    "inspect_image",
]

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

RgbImage = npt.NDArray[np.uint8]
"""Height x width x 3, uint8, RGB order, C-contiguous."""


class BadImage(ValidationFailed):
    code = "bad_image"

    def __init__(
        self,
        message: str,
        *,
        field: str = "file",
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, params=params)


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    width: int
    height: int


def _open_checked(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    if not data:
        raise BadImage("the file is empty")
    if len(data) > max_bytes:
        raise BadImage(f"the file is larger than {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if (image.format or "") not in FORMATS:
                raise BadImage("only JPEG, PNG and WebP images are accepted")
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(f"the image has more than {max_pixels} pixels")
            image.load()
            return image
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImage(f"the image has more than {max_pixels} pixels") from exc
    except UnidentifiedImageError as exc:
        raise BadImage("the file is not an image gatepost can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage("the image is truncated or corrupt") from exc


def inspect_image(
    data: bytes, *, declared: str | None, max_bytes: int, max_pixels: int
) -> ImageFacts:
    """Validate an uploaded image; raises BadImage naming the problem."""
    image = _open_checked(data, max_bytes=max_bytes, max_pixels=max_pixels)
    content_type = FORMATS[image.format or ""]
    if declared is not None and declared.split(";")[0].strip().lower() != content_type:
        raise BadImage(f"the declared content type does not match the file ({content_type})")
    return ImageFacts(content_type=content_type, width=image.width, height=image.height)


@dataclass(frozen=True, repr=False)
class CleanImage:
    """A checked image's bytes without metadata, and its facts."""

    data: bytes
    facts: ImageFacts

    def __repr__(self) -> str:
        return f"CleanImage({self.facts.content_type}, {len(self.data)} bytes)"


def clean_image(
    data: bytes, *, declared: str | None, max_bytes: int, max_pixels: int
) -> CleanImage:
    """Validate an uploaded image as :func:`inspect_image` does and strip its metadata
    (losslessly: the pixels' bytes are not re-encoded); raises BadImage."""
    image_format = sniff_format(data)
    if image_format is not None and len(data) <= max_bytes:
        try:
            data = strip_metadata(data, image_format)
        except MalformedImage as exc:
            raise BadImage("the image is truncated or corrupt") from exc
    facts = inspect_image(data, declared=declared, max_bytes=max_bytes, max_pixels=max_pixels)
    if image_format is None:  # Pillow knows them by the same signatures: not reached, but
        raise BadImage("only JPEG, PNG and WebP images are accepted")  # never keep unstripped
    return CleanImage(data=data, facts=facts)


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits by the actual range (convert("L") would clip).
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) or 1.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def decode_rgb(data: bytes, *, max_bytes: int, max_pixels: int) -> RgbImage:
    """Decode, apply EXIF orientation, and return 8-bit RGB pixels."""
    image = _open_checked(data, max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        upright = ImageOps.exif_transpose(image)
        pixels = np.asarray(_to_rgb(upright), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage("the image is truncated or corrupt") from exc
    return np.ascontiguousarray(pixels)
