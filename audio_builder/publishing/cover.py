"""A default cover when a podcast or practice has none: a calm square with the title."""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache

COVER_SIZE = 1400
BACKGROUND = (46, 72, 84)        # deep slate blue-green
CIRCLE = (70, 104, 112)
TEXT = (244, 238, 226)           # warm off-white


@lru_cache(maxsize=16)             # a build tags every track of a podcast with the same cover
def default_cover_png(title: str, size: int = COVER_SIZE) -> bytes:
    """A PNG, `size` pixels square, the same bytes for the same title; the title sits inside
    the circle (the largest type at which every line's corners fit in it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = size // 7
    draw.ellipse((margin, margin, size - margin, size - margin), fill=CIRCLE)
    font, lines, line_height = _fitted_title(draw, title, radius=(size - 2 * margin) / 2 * 0.92,
                                             largest=size // 9)
    top = (size - line_height * len(lines)) // 2
    for index, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((size - width) / 2, top + index * line_height), line, font=font, fill=TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG")     # optimize=True: 4 % smaller, 2.5 times slower
    return out.getvalue()


def _fitted_title(draw, title: str, radius: float, largest: int):
    from PIL import ImageFont

    for font_size in range(largest, 11, -4):
        font = ImageFont.load_default(size=font_size)
        line_height = int(font_size * 1.25)
        for width in range(8, 40, 2):
            lines = textwrap.wrap(title, width=width) or [" "]
            if len(lines) > 5:
                continue
            half_height = line_height * len(lines) / 2
            fits = all(_inside(draw.textlength(line, font=font) / 2,
                               abs(index * line_height - half_height),
                               abs((index + 1) * line_height - half_height), radius)
                       for index, line in enumerate(lines))
            if fits:
                return font, lines, line_height
    font = ImageFont.load_default(size=12)
    return font, textwrap.wrap(title, width=40)[:5] or [" "], 15


def _inside(half_width: float, y1: float, y2: float, radius: float) -> bool:
    """Whether a line's box (centred; its top and bottom `y1`, `y2` from the centre) is in the circle."""
    return all(half_width ** 2 + y ** 2 <= radius ** 2 for y in (y1, y2))


def image_size(data: bytes) -> tuple[int, int, str]:
    """Width, height and format (PNG, JPEG ...) of an image."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.width, image.height, image.format or "?"
