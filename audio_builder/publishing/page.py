"""The podcast's web page: one self-contained, accessible HTML file (no network needed)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from audio_builder import languages
from audio_builder.durations import format_ms


@dataclass(frozen=True, kw_only=True)
class PageEpisode:
    anchor: str                # the article's id, percent-encoded (see `site.element_id`)
    title: str
    description: str
    date: str
    duration: str
    audio: str                 # links to files in output/, percent-encoded (`site.file_link`)
    vtt: str | None
    chapters: tuple[tuple[float, str], ...]        # (seconds, title)
    transcript: tuple[str, ...]
    language: str = "en"       # the episode's own (the page says it where it differs)


STYLE = """
:root { color-scheme: light dark; --ink: #1f2d33; --paper: #f7f4ee; --accent: #2e4854; }
@media (prefers-color-scheme: dark) { :root { --ink: #eee8dc; --paper: #172126; --accent: #9cc3cf; } }
* { box-sizing: border-box; }
body { margin: 0; font: 1.05rem/1.6 system-ui, sans-serif; color: var(--ink); background: var(--paper); }
header, main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem; }
header { display: flex; gap: 1.25rem; align-items: center; }
@media (max-width: 30rem) { header { flex-direction: column; align-items: flex-start; } }
header img { width: 7.5rem; height: 7.5rem; border-radius: .75rem; flex: none; }
h1 { margin: 0 0 .25rem; font-size: 1.8rem; } h2 { margin: 0 0 .25rem; font-size: 1.3rem; }
article { padding: 1.25rem 0; border-top: 1px solid color-mix(in srgb, var(--ink) 20%, transparent); }
.meta { margin: 0 0 .5rem; opacity: .8; font-size: .95rem; }
audio { width: 100%; margin: .5rem 0; }
ol.chapters { padding-left: 1.25rem; }
ol.chapters button { font: inherit; color: var(--accent); background: none; border: 0; padding: .2rem 0;
  text-decoration: underline; cursor: pointer; text-align: left; }
ol.chapters button:focus-visible, summary:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px; }
.time { font-variant-numeric: tabular-nums; opacity: .75; margin-right: .4rem; }
details { margin-top: .5rem; } summary { cursor: pointer; color: var(--accent); }
a { color: var(--accent); }
.seek-note { font-size: .95rem; border-left: 3px solid var(--accent); padding-left: .6rem; }
"""

SCRIPT = """
document.querySelectorAll("ol.chapters button").forEach(function (button) {
  button.addEventListener("click", function () {
    var audio = document.getElementById(button.dataset.audio);
    var target = parseFloat(button.dataset.start);
    audio.currentTime = target;
    audio.play().catch(function () {});
    setTimeout(function () { checkSeek(audio, target, button); }, 1500);
  });
});
function checkSeek(audio, target, button) {
  var note = document.getElementById(audio.id + "-seek");
  var missed = Math.abs(audio.currentTime - target) > 2 && audio.currentTime < target;
  note.hidden = !missed;
  if (missed) {
    note.textContent = "The player could not jump to " + button.querySelector(".time").textContent +
      ": this web server does not let players seek (it ignores HTTP Range requests). " +
      "Use the player's own slider, or preview the site with `audio-builder serve`.";
  }
}
"""


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def page_html(title: str, description: str, author: str, language: str, image: str,
              feed: str, episodes: list[PageEpisode]) -> str:
    """The page, its own words in the podcast's `language` (`languages.PAGE_WORDS`)."""
    words = languages.language(language).page_words
    parts = [
        "<!doctype html>",
        f'<html lang="{escape(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f'<link rel="icon" href="{escape(image)}">',
        f'<link rel="alternate" type="application/rss+xml" title="{escape(title)}" href="{escape(feed)}">',
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<img src="{escape(image)}" alt="">',
        f"<div><h1>{escape(title)}</h1>{_paragraphs(description)}"
        f'<p class="meta">{escape(author)} · '
        f'<a href="{escape(feed)}">{escape(words["subscribe"])} (RSS)</a></p></div>',
        "</header>",
        "<main>",
    ]
    for episode in episodes:
        parts.append(_episode(episode, language))
    if not episodes:
        parts.append(f"<p>{escape(words['no_episodes'])}</p>")
    parts += ["</main>", f"<script>{SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _episode(episode: PageEpisode, page_language: str) -> str:
    audio_id = f"audio-{episode.anchor}"
    words = languages.language(episode.language).page_words
    own = f' lang="{escape(episode.language)}"' if episode.language != page_language else ""
    html = [f'<article id="{escape(episode.anchor)}"{own} aria-labelledby="{escape(episode.anchor)}-title">',
            f'<h2 id="{escape(episode.anchor)}-title">{escape(episode.title)}</h2>',
            f'<p class="meta">{escape(episode.date)} · {escape(episode.duration)}</p>',
            _paragraphs(episode.description),
            f'<audio id="{escape(audio_id)}" controls preload="metadata" src="{escape(episode.audio)}">']
    if episode.vtt:
        html.append(f'<track kind="captions" srclang="{escape(episode.language)}" '
                    f'label="{escape(words["captions"])}" src="{escape(episode.vtt)}">')
    html.append(f'<a href="{escape(episode.audio)}">{escape(words["download"])}</a></audio>')
    html.append(f'<p class="seek-note" id="{escape(audio_id)}-seek" role="status" hidden></p>')
    if episode.chapters:
        html.append(f'<h3 class="meta">{escape(words["chapters"])}</h3>'
                    f'<ol class="chapters" aria-label="{escape(words["chapters"])}: '
                    f'{escape(episode.title)}">')
        for start, name in episode.chapters:
            clock = format_ms(round(start * 1000), precise=False)
            html.append(f'<li><button type="button" data-audio="{escape(audio_id)}" data-start="{start:g}">'
                        f'<span class="time">{clock}</span>{escape(name)}</button></li>')
        html.append("</ol>")
    if episode.transcript:
        html.append(f"<details><summary>{escape(words['transcript'])}</summary>")
        html += [f"<p>{escape(line)}</p>" for line in episode.transcript]
        html.append("</details>")
    html.append("</article>")
    return "\n".join(html)
