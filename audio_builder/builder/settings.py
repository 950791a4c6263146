"""What the finished file is: format, channels, bitrate and loudness (`OutputSettings`),
each checked when it is made."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_builder.errors import InputError, excerpt
from audio_builder.publishing.formats import FORMATS, Format, format_named
from audio_builder.sound.master import (
    DEFAULT_LOUDNESS_LUFS,
    LOUDNESS_RANGE_LUFS,
)


@dataclass(frozen=True)
class OutputSettings:
    """What the finished file is: format, channels, bitrate and loudness."""

    format: str = "mp3"
    channels: int = 2
    bitrate: str | None = None               # default: the format's, for the channel count
    loudness_lufs: float | None = None       # default: by channels, DEFAULT_LOUDNESS_LUFS
    normalize: bool = True
    sample_rate: int | None = None           # None: the build's own; 48000 where a platform asks

    def __post_init__(self) -> None:
        codec = format_named(self.format)
        if self.channels not in (1, 2) or isinstance(self.channels, bool):
            raise InputError(f"channels {self.channels!r}: a track has 1 channel (mono) or 2 (stereo)")
        if self.bitrate is not None:
            if not isinstance(self.bitrate, str) or not re.fullmatch(r"\d{2,3}k", self.bitrate):
                raise InputError(f"bitrate {self.bitrate!r}: write it in kilobits, like 128k or 64k")
            if problem := codec.bitrate_problem(self.bitrate):
                raise InputError(f"bitrate {self.bitrate} with format {self.format}: {problem}")
        if self.loudness_lufs is not None:
            low, high = LOUDNESS_RANGE_LUFS
            if (isinstance(self.loudness_lufs, bool) or not isinstance(self.loudness_lufs, (int, float))
                    or not low <= self.loudness_lufs <= high):
                raise InputError(f"loudness {excerpt(self.loudness_lufs)}: choose a target from {low} "
                                 f"to {high} LUFS (-16 is usual for podcasts, -19 for mono)")

    @property
    def codec(self) -> Format:
        return FORMATS[self.format]

    @property
    def loudness(self) -> float | None:
        if not self.normalize:
            return None
        if self.loudness_lufs is not None:
            return self.loudness_lufs
        return DEFAULT_LOUDNESS_LUFS[self.channels]

