"""Sound: samples and what is done to them. The built-in bells and backgrounds (`sounds`),
decoding files (`media`), loudness (`loudness`, `master`) and encoding (`encode`).

May import: the core (`errors`, `model`, `durations`, `files`, `text`, `languages`) and nothing else of
the package.
"""
