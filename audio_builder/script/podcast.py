"""`podcast.yaml`: the podcast a project's practices belong to."""

from __future__ import annotations

import difflib
import uuid
from pathlib import Path

from audio_builder.errors import InputError, excerpt
from audio_builder.model import PODCAST_CATEGORIES, PODCAST_MEDIUMS, Person, Podcast, category_names
from audio_builder.script.fields import Fields, describe, web_address_problem
from audio_builder.script.paths import PODCAST_FILE
from audio_builder.script.yamlfile import YamlMap, read_yaml

PODCAST_KEYS = ("title", "author", "email", "description", "base_url", "image", "language",
                "category", "explicit", "guid", "copyright", "license", "people", "funding",
                "locked", "new_feed_url", "medium", "promotion")


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
    email = fields.email("email")
    base_url = fields.web_address("base_url")
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
        language=fields.language("language"),
        category=_category(fields),
        explicit=fields.boolean("explicit", False),
        source=path,
        guid=guid,
        copyright=fields.text("copyright"),
        license=fields.text("license"),
        people=_people(fields),
        funding_url=funding_url,
        funding_text=funding_text,
        locked=fields.boolean("locked", True),
        new_feed_url=fields.web_address("new_feed_url", "https://new-host.example/feed.xml"),
        medium=_medium(fields),
        promotion=fields.text_list("promotion"),
    )


def _medium(fields: Fields) -> str:
    """`podcast` (the default), `music`, `audiobook`, ... or a list form like `podcastL`."""
    written = fields.text("medium", "podcast")
    known = {m.lower(): m for m in PODCAST_MEDIUMS} | {m.lower() + "l": m + "L" for m in PODCAST_MEDIUMS
                                                         if m != "mixed"}
    if written.lower() not in known:
        raise fields.error("medium", f"`medium` {excerpt(written)} is not a podcast:medium; write "
                                     f"one of {', '.join(PODCAST_MEDIUMS)} (or a list of them, "
                                     f"like `podcastL`)")
    return known[written.lower()]


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
            problem = None if href is None else web_address_problem(href)
            if problem:
                raise fields.error("people", f"`href` {problem}; write a web address like "
                                             "`https://example.org/ana`")
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
    if web_address_problem(url):
        raise fields.error("funding", "`funding` is a web address (https://...), or "
                                      "`{url: https://..., text: Support the podcast}`")
    return url, str(text).strip() if text else Podcast.funding_text


def _category(fields: Fields) -> str:
    """`Main` or `Main/Sub` from Apple's list, in its spelling; a near miss gets a suggestion."""
    written = fields.text("category", Podcast.category)
    names = category_names(written)
    spelled = {name.lower(): name for name in PODCAST_CATEGORIES}
    main = spelled.get(names[0].lower()) if names else None
    subs = {name.lower(): name for name in PODCAST_CATEGORIES.get(main or "", ())}
    sub = subs.get(names[1].lower()) if len(names) > 1 else None
    if main is not None and (len(names) == 1 or sub is not None) and written.count("/") < 2:
        return main + (f"/{sub}" if sub else "")
    known = [m + (f"/{s}" if s else "") for m, ss in PODCAST_CATEGORIES.items() for s in ("", *ss)]
    close = difflib.get_close_matches(written, known, n=1, cutoff=0.5) or difflib.get_close_matches(
        names[-1] if names else "", [k.rsplit("/", 1)[-1] for k in known], n=1, cutoff=0.6)
    if close and "/" not in close[0]:
        close = [next(k for k in known if k.endswith("/" + close[0]) or k == close[0])]
    hint = (f"did you mean `{close[0]}`?" if close else
            "the categories are " + ", ".join(PODCAST_CATEGORIES) + " (some with a subcategory)")
    raise fields.error("category", f"`category` {excerpt(written)} is not one of Apple Podcasts' "
                                   f"categories; write `Category` or `Category/Subcategory`, like "
                                   f"`Health & Fitness/Mental Health`; {hint}")
