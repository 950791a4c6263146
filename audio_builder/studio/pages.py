"""The studio's two pages as HTML: the practices, and one practice's lines with its player and
its import. Every value is escaped; every address carries the key (the server answers nothing
without it). What changes while the page is open (a take's status, a build's progress) the
script in static/studio.js asks the server for."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode

from audio_builder.durations import format_ms
from audio_builder.own_voice.one_take import LineState
from audio_builder.studio.practices import Practice


def length_label(ms: int) -> str:
    return format_ms(ms, words=True)


STATUS_TEXT = {"recorded": "recorded", "missing": "missing", "flagged": "flagged",
               "checking": "checking…", "synthetic": "synthetic voice"}


def address(path: str, key: str, **query: str | None) -> str:
    """A link within the studio, with its key (and the given query values, where set)."""
    values = {name: value for name, value in query.items() if value}
    return f"{path}?{urlencode({**values, 'key': key})}"


def document(title: str, body: str, key: str, *, data: dict[str, str] | None = None) -> str:
    attributes = "".join(f' data-{name}="{escape(value)}"' for name, value in (data or {}).items())
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{escape(address('/static/studio.css', key))}">
<script src="{escape(address('/static/studio.js', key))}" defer></script>
</head>
<body>
<main id="studio"{attributes}>
{body}
</main>
</body>
</html>
"""


def lengths_text(lengths: tuple[int, ...]) -> str:
    return ", ".join(length_label(ms) for ms in lengths) if lengths else "as written"


def practices_page(podcast_title: str, found: list[Practice], key: str) -> str:
    if not found:
        items = ("<p>No practices yet: write one in <code>scripts/</code> (for example "
                 "<code>scripts/my-practice.yaml</code>) and reload this page.</p>")
    else:
        rows = []
        for practice in found:
            link = f'<a href="{escape(address("/practice/" + quote(practice.name), key))}">' \
                   f'{escape(practice.title)}</a>'
            if practice.script is None:
                detail = f'<span class="problem">cannot be read: {escape(practice.problem)}</span>'
            else:
                detail = (f'<span class="detail">lengths: {escape(lengths_text(practice.lengths))}'
                          f' · voices: {escape(", ".join(practice.voices))}</span>')
            rows.append(f"<li>{link} {detail}</li>")
        items = '<ul class="practices">\n' + "\n".join(rows) + "\n</ul>"
    body = f"""<h1>Studio: {escape(podcast_title)}</h1>
<h2>Practices</h2>
{items}"""
    return document(f"Studio: {podcast_title}", body, key)


def practice_page(practice: Practice, states: list[LineState], key: str, *, voice: str | None,
                  recorded: list[str], length_ms: int | None, synthetic: str) -> str:
    assert practice.script is not None
    script = practice.script
    lengths = script.lengths or ()
    choose = _choices(practice, key, voice, recorded, length_ms, lengths)
    heading = f"Lines in the voice {voice!r}" if voice else f"Lines (no recorded voice: {synthetic})"
    rows = "\n".join(_line_row(state, recordable=voice is not None) for state in states)
    note = "" if voice else ("<p>This project has no recorded voice chosen. To record your own, add "
                             "<code>voices/teacher.yaml</code> holding <code>engine: recorded</code>"
                             " and reload this page.</p>")
    off = "" if voice else " disabled"
    length_shown = length_label(length_ms) if length_ms else "its length as written"
    body = f"""<p><a href="{escape(address('/', key))}">All practices</a></p>
<h1>{escape(script.title)}</h1>
{choose}
<section aria-labelledby="lines-heading">
<h2 id="lines-heading">{escape(heading)}</h2>
{note}
<p class="hint">Play hears a line (your take, or the {escape(synthetic)} voice where there is none
yet); Record takes the microphone, Stop keeps the take if it is good.</p>
<ol class="lines">
{rows}
</ol>
{CUT_PANEL if voice else ""}
</section>
<section aria-labelledby="whole-heading">
<h2 id="whole-heading">Hear the whole</h2>
<p><button type="button" id="build">Build at {escape(length_shown)}</button>
<progress id="build-progress" max="1" value="0" hidden aria-label="Build progress"></progress></p>
<p id="build-status" role="status"></p>
<div id="player-box" hidden>
<audio id="player" controls preload="metadata" aria-label="The built practice"></audio>
<p class="now">Now: <span id="now-line">(not playing)</span></p>
<h3>Chapters</h3>
<ol id="chapters"></ol>
</div>
</section>
<section aria-labelledby="import-heading">
<h2 id="import-heading">Import a reading</h2>
<p>Read the whole practice once into any recorder, pausing between lines, then choose the file:
each line is found in it and kept as its take (lines with a take already keep theirs).</p>
<p><label for="reading">Recording of the whole reading</label>
<input type="file" id="reading" accept="audio/*,.wav,.flac,.mp3,.m4a,.ogg,.opus"{off}>
<button type="button" id="import"{off}>Import</button></p>
<p id="import-status" role="status"></p>
<table id="import-table" hidden>
<caption>The lines found in the reading, flagged lines first</caption>
<thead><tr><th scope="col">#</th><th scope="col">Line</th><th scope="col">Found at</th>
<th scope="col">Result</th></tr></thead>
<tbody></tbody>
</table>
</section>"""
    data = {"practice": practice.name, "voice": voice or "", "length": str(length_ms or "")}
    return document(f"{script.title}: studio", body, key, data=data)


# One panel, moved into the row of the line whose cut is shown (studio.js draws and drives it).
SMALL_STEP_MS, LARGE_STEP_MS = 20, 200
EDGE_STEPS = (-LARGE_STEP_MS, -SMALL_STEP_MS, SMALL_STEP_MS, LARGE_STEP_MS)
MINUS = "\u2212"


def _edge_buttons(edge: str) -> str:
    return "".join(f'<button type="button" data-edge="{edge.lower()}" data-step="{step}" '
                   f'aria-label="{edge} {_signed(step)}">{_signed(step)}</button>'
                   for step in EDGE_STEPS)


def _signed(step: int) -> str:
    return f"{'+' if step > 0 else MINUS}{abs(step)} ms"


CUT_PANEL = f"""<section id="cut-panel" class="cut" hidden aria-labelledby="cut-heading">
<h3 id="cut-heading">The cut of line <span id="cut-number"></span> in its reading</h3>
<canvas id="cut-wave" height="120" tabindex="0" role="img" aria-label="The reading around the take"
 aria-describedby="cut-keys"></canvas>
<p id="cut-keys" class="hint">The shaded part is the take as it is; the lines mark the new start
and end. On the waveform: click to move the nearer edge there; Left and Right move the chosen
edge 20 ms (200 ms with Shift); S and E choose the start or the end; Enter makes the take again.</p>
<p id="cut-readout" aria-live="polite"></p>
<fieldset><legend>Start</legend>{_edge_buttons("Start")}</fieldset>
<fieldset><legend>End</legend>{_edge_buttons("End")}</fieldset>
<p><button type="button" id="cut-remake">Make the take again</button>
<button type="button" id="cut-reset">Back to the cut as it is</button>
<button type="button" id="cut-close">Close</button></p>
<p id="cut-status" role="status"></p>
<p><button type="button" id="cut-keep" hidden>Keep it anyway, flagged</button></p>
</section>"""


def _choices(practice: Practice, key: str, voice: str | None, recorded: list[str],
             length_ms: int | None, lengths: tuple[int, ...]) -> str:
    """A small form (sent as GET, so the choice is in the address) for length and voice."""
    fields = [f'<input type="hidden" name="key" value="{escape(key)}">']
    if len(lengths) > 1:
        options = "".join(f'<option value="{ms}"{" selected" * (ms == length_ms)}>'
                          f'{escape(length_label(ms))}</option>' for ms in lengths)
        fields.append(f'<label for="length">Length</label> <select id="length" name="length">'
                      f'{options}</select>')
    else:
        shown = length_label(lengths[0]) if lengths else "as written"
        fields.append(f'<span>Length: {escape(shown)}</span>')
    if len(recorded) > 1:
        options = "".join(f'<option value="{escape(name)}"{" selected" * (name == voice)}>'
                          f'{escape(name)}</option>' for name in recorded)
        fields.append(f'<label for="voice">Recorded voice</label> <select id="voice" name="voice">'
                      f'{options}</select>')
    elif recorded:
        fields.append(f"<span>Recorded voice: {escape(recorded[0])}</span>")
    button = '<button type="submit">Show</button>' if len(recorded) > 1 or len(lengths) > 1 else ""
    action = escape("/practice/" + quote(practice.name))
    return f'<form class="choices" method="get" action="{action}">{" ".join(fields)} {button}</form>'


def _line_row(state: LineState, *, recordable: bool) -> str:
    line, number = state.line, state.line.number
    status = state.status
    why = f": {state.why}" if state.why else ""
    length = format_ms(state.take_ms, precise=False) if state.take_ms is not None else "—"
    record = (f'<button type="button" data-act="record" aria-label="Record line {number}">Record</button>'
              f'<button type="button" data-act="stop" aria-label="Stop line {number}" disabled>Stop</button>'
              if recordable else
              f'<button type="button" data-act="stop" aria-label="Stop line {number}" disabled>Stop</button>')
    hidden = "" if state.cut else " hidden"
    cut = (f'<button type="button" data-act="cut" aria-label="See the cut of line {number}"'
           f' aria-expanded="false"{hidden}>Cut</button>' if recordable else "")
    return f"""<li class="line" id="line-{number}" data-number="{number}" data-status="{escape(status)}">
<p class="words"><span class="number">{number}.</span> {escape(line.text)}</p>
<p class="meta"><span class="status">{escape(STATUS_TEXT.get(status, status))}</span>\
<span class="why">{escape(why)}</span> · <span class="length">{escape(length)}</span></p>
<p class="buttons"><button type="button" data-act="play" aria-label="Play line {number}">Play</button>\
{record}{cut}
<meter class="level" min="0" max="1" value="0" hidden aria-label="Microphone level, line {number}">\
</meter></p>
<p class="message" role="status"></p>
</li>"""
