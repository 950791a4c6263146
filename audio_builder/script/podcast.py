"""`podcast.yaml`: the podcast a project's practices belong to."""

from __future__ import annotations

import uuid
from pathlib import Path

from audio_builder.errors import InputError, excerpt
from audio_builder.model import Person, Podcast
from audio_builder.script.fields import Fields, describe
from audio_builder.script.paths import PODCAST_FILE
from audio_builder.script.yamlfile import YamlMap, read_yaml

PODCAST_KEYS = ("title", "author", "email", "description", "base_url", "image", "language",
                "category", "explicit", "guid", "copyright", "license", "people", "funding")


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
        raise fields.error("email", f"`email` {excerpt(email)} is not an email address")
    base_url = fields.text("base_url")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise fields.error("base_url", "`base_url` must start with https:// (where output/ "
                                       "is published)")
    guid = fields.text("guid")
    if guid is not None:
        try:
            guid = str(uuid.UUID(guid))
        except ValueError:
            raise fields.error("guid", f"`guid` {excerpt(guid)} is not a guid; copy the podcast:guid of "
                                       f"your published feed (like 9b024349-ccf0-5f69-a609-"
                                       f"6b82873eab3c)") from None
    funding_url, funding_text = _funding(fields)
    return Podcast(
        title=fields.text("title", required=True, max_len=255),
        author=fields.text("author", required=True),
        email=email,
        description=fields.text("description", "") or "",
        base_url=base_url,
        image=fields.image("image", root),
        language=fields.text("language", "en"),
        category=fields.text("category", Podcast.category),
        explicit=fields.boolean("explicit", False),
        source=path,
        guid=guid,
        copyright=fields.text("copyright"),
        license=fields.text("license"),
        people=_people(fields),
        funding_url=funding_url,
        funding_text=funding_text,
    )


def _people(fields: Fields) -> tuple[Person, ...]:
    """`people: [Ana Ruiz]` or `people: [{name: Ana Ruiz, role: host, href: https://...}]`."""
    if not fields.has("people"):
        return ()
    value = fields.raw("people")
    people = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, str) and entry.strip():
            people.append(Person(name=entry.strip()))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str) and set(entry) <= {
                "name", "role", "href"}:
            href = entry.get("href")
            if href is not None and not str(href).startswith(("http://", "https://")):
                raise fields.error("people", f"`href` {excerpt(href)} must be a web address (https://...)")
            people.append(Person(name=entry["name"].strip(), role=str(entry.get("role") or "host").lower(),
                                 href=str(href) if href else None))
        else:
            raise fields.error("people", "each of `people` is a name, or `{name: ..., role: host, "
                                         f"href: https://...}}`; not {describe(entry)}")
    return tuple(people)


def _funding(fields: Fields) -> tuple[str | None, str]:
    """`funding: https://...` or `funding: {url: https://..., text: Support us}`."""
    if not fields.has("funding"):
        return None, Podcast.funding_text
    value = fields.raw("funding")
    url, text = (value.get("url"), value.get("text")) if isinstance(value, dict) else (value, None)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise fields.error("funding", "`funding` is a web address (https://...), or "
                                      "`{url: https://..., text: Support the podcast}`")
    return url, str(text).strip() if text else Podcast.funding_text
