"""`podcast.yaml`: the podcast a project's practices belong to."""

from __future__ import annotations

from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import Podcast
from audio_builder.script.fields import Fields, describe
from audio_builder.script.yamlfile import YamlMap, read_yaml

PODCAST_FILE = "podcast.yaml"
PODCAST_KEYS = ("title", "author", "email", "description", "base_url", "image", "language",
                "category", "explicit")


def load_podcast(root: Path) -> Podcast:
    """The project's podcast settings; defaults when there is no podcast.yaml."""
    path = root / PODCAST_FILE
    if not path.is_file():
        return Podcast()
    data = read_yaml(path)
    if not isinstance(data, YamlMap):
        raise InputError(f"podcast.yaml must be a mapping with `title:` and `author:`, "
                         f"not {describe(data)}", path, getattr(data, "line", 1))
    fields = Fields(data, path, "podcast.yaml")
    fields.reject_unknown(PODCAST_KEYS)
    email = fields.text("email")
    if email is not None and "@" not in email:
        raise fields.error("email", f"`email` {email!r} is not an email address")
    base_url = fields.text("base_url")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise fields.error("base_url", "`base_url` must start with https:// (where output/ "
                                       "is published)")
    return Podcast(
        title=fields.text("title", required=True, max_len=255),
        author=fields.text("author", required=True),
        email=email,
        description=fields.text("description", "") or "",
        base_url=base_url,
        image=fields.existing_file("image", root),
        language=fields.text("language", "en"),
        category=fields.text("category", Podcast.category),
        explicit=fields.boolean("explicit", False),
        source=path,
    )
