"""Publishing: what a built track is called and carries (`tracks`, `tags`, `captions`, `cover`),
the formats it can be written in (`formats`: one record per format, with its encoder and tag
writer), and the podcast around it (`feed`, `page`, `site`, `feedcheck`, `lock`), its local preview
(`server`) and its video (`video`).

`feed` and `page` are pure functions (data in, text out); `site` is the edge that reads the
built files, writes the feed and page, and records what is published (`lock`).

May import: the core (`errors`, `model`, `durations`, `files`, `text`, `languages`), the
planner's data (`timeline`),
the script wing `script` (to read scripts), the encoder `sound.encode`, `sound.media`
(the ffmpeg a video is made with), and the web layer `web` (the preview server). Never the build,
the renderer or speech: the build asks publishing, not the other way round.
"""
