"""The studio's routes, on the shared keyed web layer: every route needs the key, answers only
this machine, and serves only the project's own files (its practices, its takes, its output)
and the studio's own style sheet and script.

    GET  /                               the practices
    GET  /practice/NAME?length=&voice=   one practice's lines, its player, its import
    GET  /api/lines/NAME?voice=          how each line's take stands (JSON)
    GET  /api/hear/NAME/N?voice=         line N: its take, or the synthetic voice saying it
    POST /api/take/NAME/N?voice=         a recording of line N (the body: audio, 50 MB at most)
    GET  /api/cut/NAME/N?columns=        where line N's imported take was cut, and its reading
                                         around the cut as a waveform envelope (JSON)
    POST /api/cut/NAME/N?start=&end=     line N's take made again from new edges (ms of the reading;
                                         &keep_flagged=1: kept even if listening back finds it worse)
    POST /api/build/NAME?length=&voice=  build the practice, as `audio-builder build` does
    POST /api/import/NAME?voice=         a whole reading (the body), cut as `takes import` does
    GET  /api/build/NAME, /api/import/NAME   how that work stands (JSON)
    GET  /output/PATH                    a built file (with HTTP ranges, so the player seeks)
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from audio_builder import api
from audio_builder.api.lines import line_numbered, spoken_wav, warm_voice
from audio_builder.durations import DurationError, format_ms, parse_duration
from audio_builder.errors import AudioBuilderError, InputError
from audio_builder.model import Script, VoiceProfile
from audio_builder.own_voice import one_take
from audio_builder.own_voice.importer import ImportRow
from audio_builder.own_voice.one_take import LineState
from audio_builder.publishing.formats import FORMATS
from audio_builder.publishing.server import file_response, served_type
from audio_builder.publishing.tracks import scheduled_folder
from audio_builder.script.project import Project
from audio_builder.speech.takes import TakeError
from audio_builder.studio import pages
from audio_builder.studio.jobs import Jobs, Report
from audio_builder.studio.practices import (
    Practice,
    chosen_voice,
    practice,
    practices,
    recorded_voices,
    synthetic_lines,
    synthetic_voice,
)
from audio_builder.web.server import keyed_app

Handler = Callable[[Request, "Studio"], Awaitable[Response]]
TAKE_LIMIT = 50 * 1024 * 1024           # one line's recording: minutes of any format
READING_LIMIT = 1024 * 1024 * 1024      # a whole reading: an hour of 44.1 kHz stereo WAV is 635 MB
STATIC = {"studio.css": "text/css; charset=utf-8", "studio.js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asked:
    """What a request names: the project, one of its practices, the recorded voice to show it
    in (None: the project has none, or several and none chosen) and the length."""

    project: Project
    practice: Practice
    voice: str | None
    length_ms: int | None

    @property
    def script(self) -> Script:
        assert self.practice.script is not None
        return self.practice.script

    @property
    def length(self) -> str | None:
        """The length as the API takes it (as a script writes it)."""
        return f"{self.length_ms / 1000:g}s" if self.length_ms else None


class Studio:
    """One project served: it is read again on each request, so edits show on reload."""

    def __init__(self, root: Path, key: str, cache_dir: Path | None = None):
        self.root = root
        self.key = key                # what its pages' links and requests carry back
        self.cache_dir = cache_dir
        self.jobs = Jobs()

    def project(self) -> Project:
        return api.open_project(self.root)

    def asked(self, request: Request) -> Asked:
        project = self.project()
        found = practice(project, request.path_params["name"])
        if found.script is None:
            raise InputError(found.problem)
        profile = chosen_voice(project, found.script, request.query_params.get("voice") or None)
        return Asked(project, found, profile.name if profile else None, _length(request, found))


def studio_app(root: Path, key: str, cache_dir: Path | None = None) -> Starlette:
    """The studio of the project at `root`, answering only requests that carry `key`; lines
    are spoken through the speech cache in `cache_dir` (default: the user's, as builds)."""
    studio = Studio(root, key, cache_dir)
    threading.Thread(target=_warm, args=(studio,), name="studio-warm", daemon=True).start()

    def route(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Handler], Route]:
        return lambda handler: Route(path, _answering(handler, studio), methods=list(methods))

    routes = [
        route("/")(_practices_page),
        route("/practice/{name}")(_practice_page),
        route("/static/{file}")(_static),
        route("/api/lines/{name}")(_line_states),
        route("/api/hear/{name}/{number:int}")(_hear),
        route("/api/take/{name}/{number:int}", ("POST",))(_take),
        route("/api/cut/{name}/{number:int}", ("GET", "POST"))(_cut),
        route("/api/build/{name}", ("GET", "POST"))(_build),
        route("/api/import/{name}", ("GET", "POST"))(_import),
        route("/output/{path:path}")(_output),
    ]
    return keyed_app(routes, key=key, max_body=READING_LIMIT)


def _warm(studio: Studio) -> None:
    """Before the first page asks: read the practices, and load the synthetic voices that
    speak their lines with no take."""
    try:
        project = studio.project()
        voices = {synthetic_voice(project, found.script, chosen_voice(project, found.script, None))
                  for found in practices(project) if found.script is not None}
        for voice in sorted(voices):
            warm_voice(project.profiles, voice)
    except (AudioBuilderError, OSError):
        pass                          # the pages say what is wrong, when they are asked for


def _answering(handler, studio: Studio):
    """The handler with the program's errors turned into answers: a page's error as a short
    page, an API's as JSON {"error": ...}."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, studio)
        except TakeError as error:
            return JSONResponse({"error": error.message}, status_code=422)
        except AudioBuilderError as error:
            status = 404 if "there is no practice" in error.message else 400
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": error.located()}, status_code=status)
            return HTMLResponse(pages.document("Studio: error", f"<h1>Cannot show this</h1>"
                                               f"<p>{pages.escape(error.located())}</p>",
                                               studio.key),
                                status_code=status)

    return endpoint


# --- pages ---------------------------------------------------------------------------------

async def _practices_page(request: Request, studio: Studio) -> Response:
    def render() -> str:
        project = studio.project()
        return pages.practices_page(project.podcast.title, practices(project), studio.key)
    return HTMLResponse(await run_in_threadpool(render))


async def _practice_page(request: Request, studio: Studio) -> Response:
    def render() -> str:
        asked = studio.asked(request)
        synthetic = synthetic_voice(asked.project, asked.script, _profile(asked))
        if asked.voice is None:
            states = [LineState(line, "synthetic") for line in synthetic_lines(asked.script)]
        else:       # the takes are judged after the page shows (/api/lines): it is usable at once
            lines = api.voice_lines(asked.practice.path, asked.voice, asked.length).lines
            states = [LineState(line, "checking" if line.take else one_take.MISSING) for line in lines]
        return pages.practice_page(asked.practice, states, studio.key, voice=asked.voice,
                                   recorded=recorded_voices(asked.project), length_ms=asked.length_ms,
                                   synthetic=synthetic)
    return HTMLResponse(await run_in_threadpool(render))


def _profile(asked: Asked) -> VoiceProfile | None:
    return asked.project.profiles[asked.voice] if asked.voice else None


async def _static(request: Request, studio: Studio) -> Response:
    name = request.path_params["file"]
    if name not in STATIC:
        raise HTTPException(404)
    text = resources.files("audio_builder.studio").joinpath("static", name).read_text(encoding="utf-8")
    return Response(text, media_type=STATIC[name])


# --- lines ---------------------------------------------------------------------------------

async def _line_states(request: Request, studio: Studio) -> Response:
    def judge() -> list[dict[str, Any]]:
        asked = studio.asked(request)
        if asked.voice is None:
            return []
        _, states = api.line_states(asked.practice.path, voice=asked.voice, length=asked.length)
        return [_state_json(state) for state in states]
    return JSONResponse({"lines": await run_in_threadpool(judge)})


def _state_json(state: LineState) -> dict[str, Any]:
    return {"number": state.line.number, "status": state.status, "why": state.why,
            "length": format_ms(state.take_ms, precise=False) if state.take_ms is not None else "—",
            "cut": state.cut is not None}


async def _cut(request: Request, studio: Studio) -> Response:
    """GET: the take's cut and the reading around it; POST: the take made again from
    `start` and `end` (ms of the reading), or {"refused": why} (nothing was written)."""
    def work() -> dict[str, Any]:
        asked = studio.asked(request)
        if asked.voice is None:
            raise InputError("choose a recorded voice first")
        number = request.path_params["number"]
        if request.method == "POST":
            start, end = (_whole_number(request, name) for name in ("start", "end"))
            try:
                return _state_json(api.recut_take(
                    asked.practice.path, number, start, end, voice=asked.voice, length=asked.length,
                    keep_flagged=request.query_params.get("keep_flagged") == "1"))
            except TakeError as error:      # an answer to show, not a failed request
                return {"refused": error.message}
        view = api.take_cut(asked.practice.path, number, voice=asked.voice, length=asked.length,
                            columns=_whole_number(request, "columns"))
        return {"number": number, "start": view.start_ms, "end": view.end_ms,
                "view_start": view.view_start_ms, "view_end": view.view_end_ms,
                "low": view.low, "high": view.high}
    return JSONResponse(await run_in_threadpool(work))


def _whole_number(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not value.isdigit() or len(value) > 9:
        raise InputError(f"{name}: give a whole number, not {value[:20]!r}")
    return int(value)


async def _hear(request: Request, studio: Studio) -> Response:
    def audio() -> Response:
        asked = studio.asked(request)
        number = request.path_params["number"]
        if asked.voice is not None:
            heard = api.hear_line(asked.practice.path, number, voice=asked.voice, length=asked.length,
                                  cache_dir=studio.cache_dir)
            if heard.take is not None:
                return FileResponse(heard.take, media_type=served_type(heard.take.name))
            wav = heard.wav
        else:
            line = line_numbered(synthetic_lines(asked.script), number)
            speaker = synthetic_voice(asked.project, asked.script, None)
            wav = spoken_wav(asked.project.profiles, line.text, speaker, studio.cache_dir)
        return Response(wav, media_type=FORMATS["wav"].mime_type)
    return await run_in_threadpool(audio)


async def _take(request: Request, studio: Studio) -> Response:
    with tempfile.TemporaryDirectory(prefix="studio-take-") as folder:
        recording = await _received(request, Path(folder) / "recording", TAKE_LIMIT)

        def keep() -> LineState:
            asked = studio.asked(request)
            if asked.voice is None:
                raise InputError("choose a recorded voice first")
            return api.keep_line_take(asked.practice.path, request.path_params["number"], recording,
                                      voice=asked.voice, length=asked.length)
        return JSONResponse(_state_json(await run_in_threadpool(keep)))


async def _received(request: Request, path: Path, limit: int) -> Path:
    """The request's body written to `path` (a private temporary folder), at most `limit`
    bytes: a larger one is refused (413) before or while it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise InputError(f"the recording is over {limit // (1024 * 1024)} MB; record a shorter one")
    size = 0
    with path.open("wb") as file:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise InputError(f"the recording is over {limit // (1024 * 1024)} MB; record a "
                                 "shorter one")
            file.write(chunk)
    if size == 0:
        raise InputError("nothing was recorded: the recording is empty")
    return path


# --- build and import ------------------------------------------------------------------------

async def _build(request: Request, studio: Studio) -> Response:
    name = request.path_params["name"]
    if request.method == "POST":
        asked = await run_in_threadpool(studio.asked, request)
        studio.jobs.start("build", name, lambda report: _build_work(asked, studio.cache_dir, report))
    job = studio.jobs.get("build", name)
    return JSONResponse(job.as_json() if job else {"kind": "build", "finished": False, "stage": "none"})


def _build_work(asked: Asked, cache_dir: Path | None, report: Report) -> dict[str, Any]:
    """The same build as `audio-builder build SCRIPT --length L --voice V`, into output/."""
    built = api.build(asked.project, [asked.practice.path], voice=asked.voice, jobs=1,
                      lengths=[asked.length] if asked.length else None, cache_dir=cache_dir,
                      progress=report)
    track = built.tracks[0]
    def link(path: Path) -> str:          # a track dated after today is in the scheduled folder
        return "/output/" + path.name

    captions = track.plan.track.sidecar(track.audio.parent, "vtt")
    return {"audio": link(track.audio), "captions": link(captions) if captions.is_file() else None,
            "chapters": [{"title": chapter.title, "start": chapter.start_ms / 1000}
                         for chapter in track.plan.timeline.chapters],
            "length": format_ms(track.length_ms, precise=False)}


async def _import(request: Request, studio: Studio) -> Response:
    name = request.path_params["name"]
    if request.method == "POST":
        folder = Path(tempfile.mkdtemp(prefix="studio-reading-"))
        try:
            suffix = Path(request.query_params.get("filename", "reading")).suffix[:8]
            reading = await _received(request, folder / f"reading{suffix}", READING_LIMIT)
            asked = await run_in_threadpool(studio.asked, request)
            if asked.voice is None:
                raise InputError("choose a recorded voice first")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        studio.jobs.start("import", name, lambda report: _import_work(asked, reading, report))
    job = studio.jobs.get("import", name)
    return JSONResponse(job.as_json() if job else {"kind": "import", "finished": False, "stage": "none"})


def _import_work(asked: Asked, reading: Path, report: Report) -> dict[str, Any]:
    """The same import as `audio-builder takes import SCRIPT READING --voice V --length L`."""
    try:
        report("listening", 0, 0)
        _, result = api.import_takes(asked.practice.path, reading, voice=asked.voice,
                                     length=asked.length)
    finally:
        shutil.rmtree(reading.parent, ignore_errors=True)
    return {"rows": [{"number": row.line.number, "text": row.line.text,
                      "found": (f"{format_ms(row.found.start_ms, precise=False)}–"
                                f"{format_ms(row.found.end_ms, precise=False)}") if row.found else "",
                      "result": _import_result(row), "flagged": row.badness > 0}
                     for row in result.worst_first],
            "missing": len(result.missing), "flagged": len(result.flagged)}


def _import_result(row: ImportRow) -> str:
    if row.found is None:
        return "not found in the reading: read it again, or record it above"
    if not row.found.fits:
        return "not cut: this reading of it runs longer than its words can take; read it again"
    if row.verdict is not None and not row.verdict.ok:
        return f"flagged: {row.verdict.describe()} (listen at {format_ms(row.listen_at_ms, precise=False)})"
    return "kept" if row.written else "found (kept the take already there)"


# --- output ----------------------------------------------------------------------------------

async def _output(request: Request, studio: Studio) -> Response:
    """A built file, from output/ or (a track dated after today) the scheduled folder, opened
    as `serve` opens the site's: a plain file of a bounded size inside the folder, no hidden
    name, no link leading out."""
    output = studio.project().output_dir
    return await file_response((output.resolve(), scheduled_folder(output).resolve()), request)


# --- small readers ------------------------------------------------------------------------

def _length(request: Request, found: Practice) -> int | None:
    """The length asked for (milliseconds, or a duration like 10m), else the script's first."""
    asked = request.query_params.get("length")
    assert found.script is not None
    if not asked:
        return found.script.lengths[0] if found.script.lengths else None
    try:
        ms = int(asked) if asked.isdigit() else parse_duration(asked)
    except DurationError as error:
        raise InputError(f"length: {error}") from None
    if ms <= 0:
        raise InputError("length: give a length longer than 0")
    return ms
