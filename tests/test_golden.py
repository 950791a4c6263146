"""Golden files: the feed, the page and the captions, byte for byte.

Each case is an input file beside the output it must give (as podcastparser's tests do):
  tests/golden/feed/NAME.json       -> NAME.xml    (publishing.feed.feed_xml)
  tests/golden/page/NAME.json       -> NAME.html   (publishing.page.page_html)
  tests/golden/captions/NAME.yaml   -> NAME.vtt, NAME.srt, NAME.chapters.json (publishing.captions
                                                    of the planned script, speech timed at 100 ms
                                                    a word)
One small case per feature (feed/person, feed/funding, feed/escaping, ...), so a failure names
the feature; the kitchen-sink cases stay as well.
After a deliberate change of output, regenerate them, read the diff, and commit it:
    AUDIO_BUILDER_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py
A regenerating run skips every case it rewrites, so it can never pass by itself; CI never sets it.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from audio_builder.publishing.captions import to_chapters_json, to_srt, to_vtt
from audio_builder.publishing.feed import Alternate, Channel, Item, feed_xml
from audio_builder.publishing.page import PageEpisode, page_html
from audio_builder.script.parser import load_script
from audio_builder.timeline import Measures, Timeline, plan_timeline

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("AUDIO_BUILDER_REGENERATE_GOLDEN") == "1"
MEASURES = Measures(
    speech_ms=lambda utterance, place: 100 * len(utterance.text.split()),
    sound_ms=lambda path, place: 1_000,
    sentence_pause_ms=lambda voice, place: 700,
    bell_ms=lambda sound, place: 12_000,
)


def feed_from(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = [Item(**{**item, "date": datetime.date.fromisoformat(item["date"]),
                     "alternates": tuple(Alternate(**a) for a in item.get("alternates", ()))})
             for item in data["items"]]
    channel = data["channel"]
    if "last_build" in channel:
        channel["last_build"] = datetime.datetime.fromisoformat(channel["last_build"])
    return feed_xml(Channel(**channel), items)


def page_from(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    episodes = [PageEpisode(**{**episode, "chapters": tuple(map(tuple, episode["chapters"])),
                               "transcript": tuple(episode["transcript"])})
                for episode in data.pop("episodes")]
    return page_html(**data, episodes=episodes)


def captions_with(write: Callable[[Timeline], str]) -> Callable[[Path], str]:
    return lambda path: write(plan_timeline(load_script(path), MEASURES))


# kind: (input suffix, output suffix, how the output is made), each kind in its own folder
KINDS = {"feed": (".json", ".xml", feed_from), "page": (".json", ".html", page_from),
         "captions": (".yaml", ".vtt", captions_with(to_vtt)),
         "srt": (".yaml", ".srt", captions_with(to_srt)),
         "chapters": (".yaml", ".chapters.json", captions_with(to_chapters_json))}
FOLDERS = {"srt": "captions", "chapters": "captions"}      # from the captions' scripts
CASES = [(kind, path) for kind, (suffix, _, _) in KINDS.items()
         for path in sorted((GOLDEN / FOLDERS.get(kind, kind)).glob(f"*{suffix}"))]


@pytest.mark.parametrize("kind, source", CASES, ids=[f"{k}/{p.stem}" for k, p in CASES])
def test_output_matches_its_golden_file(kind, source):
    _, suffix, produce = KINDS[kind]
    expected = source.with_suffix(suffix)
    produced = produce(source)
    if REGENERATE:
        expected.write_text(produced, encoding="utf-8", newline="\n")
        pytest.skip(f"regenerated {expected.relative_to(GOLDEN)}")
    assert expected.is_file(), f"no {expected.name}: regenerate (see this file's docstring)"
    assert produced == expected.read_text(encoding="utf-8")


def test_every_kind_has_cases():
    assert {kind for kind, _ in CASES} == set(KINDS)
