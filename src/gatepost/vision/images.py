"""Untrusted image bytes in, a checked RGB pixel array out (or BadImage naming why).

One place for the rules every upload path shares: accepted formats by content (JPEG,
PNG, WebP), a cap on bytes and on pixels checked *before* decoding (decompression
bombs), complete decoding (truncated files), and normalisation of what cameras and
phones send: EXIF orientation, CMYK, 16-bit, palette, grey and alpha images all become
8-bit RGB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from gatepost.errors import ValidationFailed

__all__ = ["FORMATS", "BadImage", "ImageFacts", "RgbImage", "decode_rgb", "inspect_image"]

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

RgbImage = npt.NDArray[np.uint8]
"""Height x width x 3, uint8, RGB order, C-contiguous."""


class BadImage(ValidationFailed):
    code = "bad_image"

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message, field=field)


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
