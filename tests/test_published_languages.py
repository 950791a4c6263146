"""What is published in another language, read by independent readers: the page of a Spanish
and of a German podcast opened in Chromium (its `lang`, each episode's, the captions' `srclang`,
and axe-core finding nothing wrong), and the video's language tag read by ffprobe."""

from __future__ import annotations

from importlib import resources

import pytest
from conftest import ffprobe_json, project_once

from audio_builder.publishing.server import SitePreview

PODCASTS = {
    "es": ("Pausas", "Una pausa breve para volver al cuerpo.", "Llegar", "Respira. ¡Suelta!",
           "Quedarse", "Descansa aquí.", "Despedida", "Gracias."),
    "de": ("Pausen", "Eine kurze Pause, um zum Körper zurückzukehren.", "Ankommen",
           "Atme ein. Atme aus.", "Bleiben", "Ruhe hier.", "Abschied", "Danke."),
}
# the other language's practice on each podcast: an episode whose language is not the page's
OTHER = {"es": "de", "de": "es"}


def _script(code: str, day: int, own_language: bool = False) -> str:
    title, description, *chapters = PODCASTS[code]
    steps = "".join(f"  - chapter: {chapters[i]}\n  - {chapters[i + 1]!r}\n  - pause: 12s\n"
                    for i in range(0, 6, 2))
    language = f"language: {code}\n" if own_language else ""
    return (f"title: {title}\n{language}date: 2026-05-0{day}\ndescription: {description}\n"
            f"steps:\n{steps}")


@pytest.fixture(scope="module", params=["es", "de"])
def published(request, tmp_path_factory):
    code = request.param
    podcast = (f"title: {PODCASTS[code][0]}\nauthor: Ana\nemail: ana@example.org\nlanguage: {code}\n"
               "base_url: https://example.org/pausas/\n")
    root, _ = project_once(tmp_path_factory, f"page-{code}", {
        "podcast.yaml": podcast,
        "scripts/own.yaml": _script(code, 3),
        "scripts/other.yaml": _script(OTHER[code], 4, own_language=True),
    }, ("build", "--quiet"), ("feed",), ("video",))
    return code, root / "output"


@pytest.mark.browser
def test_the_page_in_its_language_is_accessible_in_chromium(published, browser):
    code, output = published
    axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    with SitePreview(output) as site:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(site.url + "index.html")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == code
        languages = page.evaluate("[...document.querySelectorAll('article')].map(a => a.lang)")
        assert sorted(languages) == sorted(["", OTHER[code]])   # only the other one says its own
        tracks = page.evaluate("[...document.querySelectorAll('track')].map(t => t.srclang)")
        assert sorted(tracks) == sorted([code, OTHER[code]])
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []
        page.close()


@pytest.mark.slow                 # a podcast built and its video encoded, in each language
def test_the_video_carries_the_practice_s_language(published):
    code, output = published
    streams = ffprobe_json(output / "own.mp4", "-show_streams")["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio"]   # no subtitle stream to tag
    audio = streams[1]
    assert audio["tags"]["language"] == {"es": "spa", "de": "deu"}[code]
    heading = {"es": "Capítulos:", "de": "Kapitel:"}[code]
    assert heading in (output / "own.video.txt").read_text(encoding="utf-8").splitlines()
