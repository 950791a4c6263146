"""The audio formats a track can be written in: one record per format holds every fact about
it (extension, MIME type, encoder, tag writer, whether podcast directories take it), so adding
a format, or asking where a format's MIME type is decided, is one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.publishing.tags import (
    TagWriter,
    TrackTags,
    write_flac,
    write_m4a,
    write_mp3,
    write_opus,
    write_wav,
)
from audio_builder.sound.encode import Encoder
from audio_builder.timeline import ChapterStart


@dataclass(frozen=True, kw_only=True)
class Format:
    name: str                       # as `--format` and `build(format=...)` take it
    extension: str                  # of the track's file, without the dot
    mime_type: str                  # in the feed's enclosure and when served
    title: str                      # as a listener's app names it
    codecs: str | None              # RFC 6381 codec name, for the feed's alternate enclosures
    encoder: Encoder
    tag_writer: TagWriter
    enclosure: bool                 # podcast directories take it as an episode's main file
    in_video: bool                  # an MP4 video carries it as it is (else it is re-encoded)

    def bitrate_problem(self, bitrate: str) -> str | None:
        """What is wrong with `bitrate` (like "128k") for this format, or None."""
        if self.encoder.bitrates_kbps is None:
            return f"{self.title} is lossless: leave the bitrate out"
        low, high = self.encoder.bitrates_kbps
        if not low <= int(bitrate.rstrip("k")) <= high:
            return f"{self.title} takes {low}k to {high}k"
        return None

    def pcm_frames(self, wanted: int) -> int:
        """How many samples to encode so the decoded audio and the header's duration land
        nearest `wanted` (see `Encoder.pcm_frames`)."""
        return self.encoder.pcm_frames(wanted)

    def write_tags(self, path: Path, tags: TrackTags, chapters: tuple[ChapterStart, ...],
                   length_ms: int) -> None:
        self.tag_writer(path, tags, chapters, length_ms)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format(name="mp3", extension="mp3", mime_type="audio/mpeg", title="MP3", codecs="mp3",
           encoder=Encoder(codec_args=("-c:a", "libmp3lame", "-b:a", "{bitrate}", "-f", "mp3"),
                           default_bitrate={2: "128k", 1: "64k"}, frame_size=1152,
                           reads_longer_by=1152,
                           # LAME's output is ~0.4 dB quieter than its input, at every frequency
                           loudness_shift=-0.4, bitrates_kbps=(32, 320)),
           tag_writer=write_mp3, enclosure=True, in_video=True),
    Format(name="m4a", extension="m4a", mime_type="audio/mp4", title="AAC", codecs="mp4a.40.2",
           encoder=Encoder(codec_args=("-c:a", "aac", "-b:a", "{bitrate}", "-movflags", "+faststart",
                                       "-f", "mp4"),
                           default_bitrate={2: "128k", 1: "64k"}, bitrates_kbps=(16, 320)),
           tag_writer=write_m4a, enclosure=True, in_video=True),
    Format(name="opus", extension="opus", mime_type="audio/ogg", title="Opus", codecs="opus",
           encoder=Encoder(codec_args=("-c:a", "libopus", "-b:a", "{bitrate}", "-ar", "48000",
                                       "-f", "ogg"),
                           default_bitrate={2: "96k", 1: "48k"}, bitrates_kbps=(16, 510)),
           tag_writer=write_opus, enclosure=False, in_video=False),
    Format(name="flac", extension="flac", mime_type="audio/flac", title="FLAC", codecs="flac",
           encoder=Encoder(codec_args=("-c:a", "flac", "-f", "flac"), default_bitrate={}),
           tag_writer=write_flac, enclosure=False, in_video=False),
    Format(name="wav", extension="wav", mime_type="audio/wav", title="WAV", codecs=None,
           encoder=Encoder(codec_args=("-c:a", "pcm_s16le", "-f", "wav"), default_bitrate={}),
           tag_writer=write_wav, enclosure=False, in_video=False),
)}


def format_named(name: str) -> Format:
    """The format called `name`, or an `InputError` listing the ones there are."""
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise InputError(f"format {name!r}: choose one of {', '.join(FORMATS)}") from None
