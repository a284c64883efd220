"""Image files in and out: base64 and data URLs to bytes, bytes to a checked image, and back to PNG.

The first step of the pipeline, and the one that meets hostile input: formats, pixel counts and
decompression bombs are checked here, before any pixel is decoded.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from recognition.errors import InputError

MAX_PIXELS = 16_000_000  # refuse to decode anything larger (decompression bombs)
JPEG_DRAFT = 1000  # large JPEG photos are decoded at a reduced scale (1/2 to 1/8) down to about this side: much faster
FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP"}
FULL_SIZE = "full_size"  # key in a decoded image's info: (width, height) before any reduction, turned upright
MEDIA_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp"}

_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*)(?P<b64>;base64)?,", re.I)


def decode_base64_image(text: str) -> bytes:
    """Return the bytes of a `data:image/...;base64,` URL or of bare base64 text."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("image must be a non-empty string: a data URL or base64 PNG")
    text = text.strip()
    if text[:5].lower() == "data:":
        match = _DATA_URL.match(text)
        if not match or not match.group("b64"):
            raise InputError("image data URL must be of the form data:image/png;base64,...")
        media_type = (match.group("type") or "").lower()
        if media_type not in MEDIA_TYPES:
            raise InputError(f"unsupported media type {media_type or '(none)'!r}: send an image (PNG, JPEG, WebP, GIF, BMP)")
        text = text[match.end():]
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("image is not valid base64") from None
    if not data:
        raise InputError("image is empty")
    return data


def open_image(data: bytes) -> Image.Image:
    """Open image file bytes as a checked image: a known format within MAX_PIXELS, its first frame,
    EXIF rotation applied. A large JPEG is decoded reduced; `image.info[FULL_SIZE]` keeps the
    (width, height) the image is shown at, which answers' boxes are given in. Raises InputError,
    with the reason, for anything else."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise InputError(f"unsupported image format {image.format}: send PNG, JPEG, WebP, GIF or BMP")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(f"image is too large: {width}x{height} pixels (limit {MAX_PIXELS:,})")
            image.seek(0)  # animated images: the first frame
            if image.format == "JPEG":  # the largest reduction that keeps the longest side >= JPEG_DRAFT
                scale = JPEG_DRAFT / max(width, height)
                image.draft(image.mode, (max(1, int(width * scale)), max(1, int(height * scale))))
            image.load()
            decoded = image.size
            ImageOps.exif_transpose(image, in_place=True)
            turned = image.size != decoded  # a quarter turn: width and height swap
            image.info[FULL_SIZE] = (height, width) if turned else (width, height)
            return image
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"image is too large: over {MAX_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        raise InputError("not a readable image") from None
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError, KeyError, struct.error, MemoryError):
        raise InputError("image is corrupt or truncated") from None


def encode_png(image: np.ndarray) -> bytes:
    """A uint8 grey image as PNG bytes (to show the client what the model saw)."""
    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buffer.tobytes()
