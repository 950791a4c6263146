"""Speech: from an utterance (text, voice, rate) to a clean clip, through engines and a cache.

`engines/` holds the engine registry (one small interface: text in, samples out);
`synthesizer` trims, levels and caches what they say; `cache` keeps it on disk.

May import: the core (`errors`, `model`, `durations`, `files`, `text` for pronunciation
and sentences, `languages` for how a language's numbers and abbreviations are said), the
sample helpers `sound.audio` and `sound.loudness`, and `sound.media` (ffmpeg,
which reads recorded takes). Never the planner, the build or publishing.
"""
