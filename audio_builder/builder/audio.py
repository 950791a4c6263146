"""One track's audio: rendered, brought to loudness, limited, encoded and tagged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np

from audio_builder.builder.settings import OutputSettings
from audio_builder.errors import Cancelled
from audio_builder.publishing.tags import TrackTags
from audio_builder.render import render, render_with_weighting
from audio_builder.sound.audio import ms_to_samples
from audio_builder.sound.encode import encode
from audio_builder.sound.master import (
    Mastering,
    MasterReport,
    master,
)
from audio_builder.speech.synthesizer import Synthesizer
from audio_builder.timeline import (
    Timeline,
)

IsCancelled = Callable[[], bool]          # has the work been stopped? (asked between blocks)


def stop_if(cancelled: IsCancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled()


def write_audio(timeline: Timeline, synthesizer: Synthesizer, path: Path, settings: OutputSettings,
                tags: TrackTags, cancelled: IsCancelled | None = None) -> MasterReport | None:
    """Render, master, encode and tag `timeline` into `path` (which the caller renames)."""
    codec = settings.codec
    blocks, report = mastered_audio(timeline, synthesizer, settings, cancelled)
    encode(blocks, path, encoder=codec.encoder, channels=settings.channels, bitrate=settings.bitrate,
           sample_rate=settings.sample_rate)
    codec.write_tags(path, tags, timeline.chapters, timeline.length_ms)
    return report


def mastered_audio(timeline: Timeline, synthesizer: Synthesizer, settings: OutputSettings,
                   cancelled: IsCancelled | None = None) -> tuple[Iterator[np.ndarray], MasterReport | None]:
    """The float blocks `write_audio` hands the encoder (rendered, brought to loudness,
    limited, and as long as the format needs), and the loudness report. `cancelled` is asked
    before each block of both passes (measuring, writing)."""
    codec = settings.codec
    total = codec.pcm_frames(ms_to_samples(timeline.length_ms))

    mastering = Mastering(settings.loudness, settings.channels, codec.encoder.loudness_shift,
                          has_bed=timeline.background is not None)

    def render_pass(with_weighting: bool, bed_db: float) -> Iterator[np.ndarray]:
        mix = render_with_weighting if with_weighting else render
        with closing(mix(with_bed_moved(timeline, bed_db), synthesizer, total=total,
                         mastering=mastering)) as blocks:
            for block in blocks:        # closed at once if stopped: no decoder left reading
                stop_if(cancelled)
                yield block

    voice = [(ms_to_samples(s.start_ms), ms_to_samples(s.end_ms)) for s in timeline.speech]
    return master(render_pass, mastering, voice)


def with_bed_moved(timeline: Timeline, bed_db: float) -> Timeline:
    """`timeline` with its bed `bed_db` from its volume (mastering lowers a bed that would
    count in a quiet practice's loudness)."""
    bed = timeline.background
    if not bed_db or bed is None:
        return timeline
    return replace(timeline, background=replace(bed, volume_db=bed.volume_db + bed_db))
