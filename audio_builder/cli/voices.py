"""`audio-builder voices`: the voice profiles and engines, and `voices get NAME`."""

from __future__ import annotations

import click

from audio_builder import api
from audio_builder.cli.options import cache_option, echo, shown
from audio_builder.errors import Cancelled
from audio_builder.files import Stopped, how_stopped
from audio_builder.languages import language
from audio_builder.preview import profile_problem, write_voice_samples
from audio_builder.script.project import Project, open_project
from audio_builder.script.speakers import profile_language
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.catalogue import (
    FOLDER_VAR,
    URL_VAR,
    voice_folder,
)
from audio_builder.speech.engines import ENGINES, is_recorded


@click.group(invoke_without_command=True)
@click.option("--sample", metavar="TEXT", help="Also speak TEXT in every working voice, to "
                                                "output/voices/NAME.mp3.")
@click.option("--language", "language_code", metavar="CODE",
              help="List every voice here that speaks language CODE (like es, de, fr).")
@cache_option
@click.pass_context
def voices(ctx, sample, language_code, cache_dir):
    """List the voice profiles and engines, and whether each works here."""
    if ctx.invoked_subcommand:
        return
    project = open_project()
    if language_code:
        echo_voices_of_language(project, language_code)
        return
    echo_engines(project)
    working = echo_profiles(project)
    echo_fetched_voices()
    if sample:
        echo_samples(project, sample, working, SpeechCache(cache_dir))


def echo_engines(project: Project) -> None:
    echo("engines:")
    for name, engine in ENGINES.items():
        problem = engine.problem()
        found = ", ".join(engine.voices(project.root / "voices")[:8]) if not problem else ""
        echo(f"  {name:<9} {'works' if not problem else 'not here: ' + problem}"
             + (f"; voices: {found}" if found else ""))


def echo_profiles(project: Project) -> list[str]:
    """Each profile and whether it speaks here (it must really speak a word); those that do."""
    echo("profiles:")
    working = []
    for name, profile in sorted(project.profiles.items()):
        problem = profile_problem(project, name)
        working += [] if problem else [name]
        where = "built-in" if profile.source == "built-in" else shown(profile.source)
        echo(f"  {name:<12} {profile.engine:<8} voice={profile.voice or 'system default'} "
             f"rate={profile.rate:g} ({where}) {'works' if not problem else 'not here: ' + problem}")
    return working


def echo_samples(project: Project, text: str, working: list[str], cache: SpeechCache) -> None:
    for path in write_voice_samples(project, text, project.output_dir / "voices", working, cache):
        echo(f"wrote {shown(str(path))}")
    for name in sorted(set(project.profiles) - set(working)):
        echo(f"no sample for {name}: it cannot speak here (see above)")


@voices.command("get")
@click.argument("name")
def get(name: str) -> None:
    """Fetch piper voice NAME (like en_US-amy-medium) from the public voice catalogue.

    The model and its config are checked against the catalogue's sizes and MD5s and only
    then put in the voice folder; a profile then speaks with it as `voice: NAME`."""
    try:
        voice = api.fetch_voice(name, report=lambda line: echo(line, err=True))
    except (KeyboardInterrupt, Stopped) as stop:
        said, status = how_stopped(stop)
        cancelled = Cancelled(f"{said}; the voices in {shown(str(voice_folder()))} are as they "
                              "were: nothing half-written was left in the voice folder")
        cancelled.exit_code = status
        raise cancelled from None
    echo(f"fetched {voice.name} ({voice.language}, {voice.quality}): {voice.description}")
    echo(f"  into {voice.model.parent}; use it in a profile: `engine: piper`, "
         f"`voice: {voice.name}`")


def echo_voices_of_language(project: Project, code: str) -> None:
    """Every voice here of language `code`: the project's profiles, then each engine's."""
    rules = language(code)
    echo(f"voices that speak {rules.name} ({rules.code}):")
    found = 0
    for name, profile in sorted(project.profiles.items()):
        if not is_recorded(profile) and profile_language(profile) == rules.code:
            echo(f"  {name:<28} profile ({profile.engine})")
            found += 1
    for engine in ENGINES.values():
        for voice, about in engine.voices_of_language(rules.code, project.root / "voices"):
            echo(f"  {voice:<28} {about}")
            found += 1
    if rules.espeak_note:
        echo(f"  (not listed: {rules.espeak_note})")
    if not found:
        echo("  none here")
    if rules.calm_voices:
        echo("suggested for calm speech (fetch with `audio-builder voices get NAME`): "
             + ", ".join(rules.calm_voices))


def echo_fetched_voices() -> None:
    voices = api.fetched_voices()
    folder = voice_folder()
    echo(f"fetched piper voices (in {folder}; ${FOLDER_VAR} moves it):"
         if voices else f"fetched piper voices: none yet; `audio-builder voices get NAME` "
                              f"fetches one from the piper catalogue (${URL_VAR} sets a mirror)")
    for voice in voices:
        echo(f"  {voice.name:<36} {voice.language:<6} {voice.quality:<7} {voice.description}")
