"""Publishing: what a built track is called and carries (`tracks`, `tags`, `captions`, `cover`),
and the podcast around it (`feed`, `page`, `site`, `feedcheck`).

`feed` and `page` are pure functions (data in, text out); `site` is the edge that reads the
built files and writes the feed and page.

May import: the core (`errors`, `model`, `durations`, `files`), the planner's data (`timeline`),
the script wing `script` (to read scripts) and the format table `sound.encode`. Never the build,
the renderer or speech: the build asks publishing, not the other way round.
"""
