"""A default cover when a podcast or practice has none: a calm square with the title."""

from __future__ import annotations

import io
import textwrap

COVER_SIZE = 1400
BACKGROUND = (46, 72, 84)        # deep slate blue-green
CIRCLE = (70, 104, 112)
TEXT = (244, 238, 226)           # warm off-white


def default_cover_png(title: str, size: int = COVER_SIZE) -> bytes:
    """A PNG, `size` pixels square, the same bytes for the same title."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = size // 7
    draw.ellipse((margin, margin, size - margin, size - margin), fill=CIRCLE)
    lines = textwrap.wrap(title, width=16)[:4] or [" "]
    font_size = size // (9 if len(lines) <= 2 else 11)
    font = ImageFont.load_default(size=font_size)
    line_height = int(font_size * 1.25)
    top = (size - line_height * len(lines)) // 2
    for index, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((size - width) / 2, top + index * line_height), line, font=font, fill=TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int, str]:
    """Width, height and format (PNG, JPEG ...) of an image."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.width, image.height, image.format or "?"
