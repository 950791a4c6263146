"""The command line: a thin layer over the Python API in `build`."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from audio_builder.batch import BatchOptions, build_scripts
from audio_builder.build import Builder, OutputSettings
from audio_builder.durations import DurationError, format_ms, parse_duration
from audio_builder.errors import AudioBuilderError, ErrorGroup, InputError
from audio_builder.files import CACHE_VARIABLE, os_error
from audio_builder.own_voice import commands as own_voice
from audio_builder.own_voice.pieces import (
    check_takes,
    fallback_count,
    script_in_voice,
    speaker_marks,
)
from audio_builder.preview import profile_problem, write_previews, write_voice_samples
from audio_builder.progress import progress_bars
from audio_builder.publish.feedcheck import check_feed
from audio_builder.publish.lock import read_lock
from audio_builder.publish.site import publish
from audio_builder.publish.tracks import shared_names
from audio_builder.script.parser import load_script
from audio_builder.script.project import find_scripts, open_project
from audio_builder.serve import serve
from audio_builder.sound import sounds
from audio_builder.sound.encode import FORMATS
from audio_builder.speech.cache import SpeechCache
from audio_builder.speech.engines import ENGINES
from audio_builder.timeline import describe_ranges
from audio_builder.video import video
from audio_builder.voice_commands import echo_fetched_voices, get


def _shown(file: str | None) -> str | None:
    if not file:
        return file
    try:
        return os.path.relpath(file)
    except ValueError:
        return file


def _report(error: AudioBuilderError) -> None:
    errors = error.errors if isinstance(error, ErrorGroup) else [error]
    for item in errors:
        item.file = _shown(item.file)
        click.echo(item.located(), err=True)


class Group(click.Group):
    """Turns every `AudioBuilderError` into `FILE:LINE: message` and its exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AudioBuilderError as error:
            if ctx.params.get("traceback"):
                raise
            _report(error)
            ctx.exit(error.exit_code)
        except OSError as error:         # disk full, no permission, a file for a folder, ...
            if ctx.params.get("traceback"):
                raise
            _report(os_error(error))
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("stopped; nothing half-written was left in output/", err=True)
            ctx.exit(130)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="audio-builder")
def main(traceback: bool) -> None:
    """Turn written meditation practices (YAML scripts) into finished, timed audio."""


def _lengths(values: tuple[str, ...]) -> tuple[int, ...] | None:
    lengths = []
    for value in values:
        for part in value.split(","):
            try:
                ms = parse_duration(part)
            except DurationError as error:
                raise InputError(f"--length: {error}") from None
            if ms <= 0:
                raise InputError("--length must be longer than 0")
            lengths.append(ms)
    return tuple(lengths) or None


def _load_all(paths: list[Path], project) -> list:
    scripts, errors = [], []
    for path in find_scripts(paths, project):
        try:
            scripts.append(load_script(path))
        except InputError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return scripts


paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
length_option = click.option("--length", "lengths", multiple=True, metavar="DURATION",
                             help="Build at this length instead of the script's (repeat, or "
                                  "give a list: 5m,10m).")
voice_option = click.option("--voice", help="Speak every line in this voice profile.")
cache_option = click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
                            help=f"Where spoken pieces are kept between builds "
                                 f"(default: the user cache folder, or ${CACHE_VARIABLE}).")
force_option = click.option("--force", is_flag=True,
                            help="Speak every piece anew instead of using the cache.")


def _output_settings(fmt: str, mono: bool, bitrate: str | None, loudness: str | None) -> OutputSettings:
    if bitrate is not None and not re.fullmatch(r"\d{2,3}k", bitrate):
        raise InputError(f"--bitrate {bitrate!r}: write it in kilobits, like 128k or 64k")
    if bitrate is not None and (problem := FORMATS[fmt].bitrate_problem(bitrate)):
        raise InputError(f"--bitrate {bitrate} with --format {fmt}: {problem}")
    if loudness is None or loudness == "off":
        return OutputSettings(fmt, 1 if mono else 2, bitrate, None, normalize=loudness != "off")
    try:
        target = float(loudness)
    except ValueError:
        raise InputError(f"--loudness {loudness!r}: give a target in LUFS, like -16 or -19, "
                         "or `off`") from None
    if not -40 <= target <= -5:
        raise InputError(f"--loudness {target:g}: choose a target from -40 to -5 LUFS "
                         "(-16 is usual for podcasts, -19 for mono)")
    return OutputSettings(fmt, 1 if mono else 2, bitrate, target)


def output_options(command):
    options = [
        click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="mp3",
                     show_default=True, help="The audio format to write."),
        click.option("--mono/--stereo", default=False, help="One channel or two (default two)."),
        click.option("--bitrate", help="For MP3, M4A and Opus, like 128k (default: 128k stereo, "
                                       "64k mono; Opus 96k/48k)."),
        click.option("--loudness", metavar="LUFS",
                     help="Integrated loudness to reach (default -16, or -19 with --mono); "
                          "`off` leaves the level as mixed."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@paths_argument
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Write here instead of the project's output/.")
@length_option
@voice_option
@output_options
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              envvar="AUDIO_BUILDER_JOBS", show_default="the number of cores",
              help="How many scripts and pieces of speech to work on at once "
                   "(or set AUDIO_BUILDER_JOBS).")
@click.option("--cluster", metavar="ADDRESS", help="Build on a Dask cluster: its scheduler's "
                                                  "address, like tcp://host:8786 (docs/scale.md).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars, only the summary.")
@cache_option
@force_option
def build(paths, output, lengths, voice, fmt, mono, bitrate, loudness, jobs, cluster, quiet, cache_dir,
          force):
    """Build scripts (files or folders; default scripts/) into tracks in output/."""
    project = open_project(paths[0] if paths else None)
    scripts = _load_all(list(paths), project)
    options = BatchOptions(output_dir=output, lengths=_lengths(lengths), voice=voice,
                           output=_output_settings(fmt, mono, bitrate, loudness),
                           cache_dir=cache_dir, force=force, jobs=jobs, cluster=cluster)
    show = not quiet and sys.stdout.isatty()
    with progress_bars(show) as progress, SpeechCache(cache_dir).in_use():
        report = build_scripts(project, scripts, options, progress)
    for track in report.tracks:
        click.echo(f"{_shown(str(track.audio))}  {format_ms(track.length_ms)}  "
                   f"({len(track.plan.timeline.chapters)} chapters, "
                   f"{len(track.plan.timeline.speech)} spoken pieces)")
    count = len(report.tracks)
    total_ms = sum(track.length_ms for track in report.tracks)
    click.echo(f"built {count} track{'s' * (count != 1)}, {format_ms(total_ms, precise=False)} "
               f"of audio, in {report.seconds:.1f} s; speech: {report.cache_hits} of "
               f"{report.pieces} pieces from the cache, {report.synthesized} spoken")
    for (recorded, fallback), count in fallback_count([script_in_voice(s, voice) for s in scripts],
                                                     Builder(project).voices).items():
        click.echo(f"draft: {count} line{'s' * (count != 1)} with no take of voice {recorded!r} "
                   f"spoken by {fallback!r} (its fallback)")


@main.command()
@paths_argument
@length_option
@voice_option
def check(paths, lengths, voice):
    """Validate scripts without synthesizing; print each track's estimated length."""
    project = open_project(paths[0] if paths else None)
    builder = Builder(project, voice=voice)
    errors, loaded = [], []
    for path in find_scripts(list(paths), project):
        try:
            loaded.append(load_script(path))
            script = loaded[-1]
            plans = builder.plan(script, _lengths(lengths), estimate=True)
        except InputError as error:
            errors.append(error)
            continue
        takes = check_takes(plans[0].script, builder.voices)
        for warning in takes.warnings:
            click.echo(f"warning: {warning}", err=True)
        errors += takes.errors
        for plan in plans:
            exact = "" if plan.length_ms else "about "
            click.echo(f"ok  {_shown(str(path))}  {plan.name}: {exact}"
                       f"{format_ms(plan.timeline.length_ms, precise=False)}")
        ranges = describe_ranges(builder.length_ranges(script, estimate=True))
        click.echo(f"    lengths it can reach: {ranges} (speech estimated)")
    errors += shared_names(loaded, _lengths(lengths))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@length_option
@voice_option
@cache_option
@force_option
def plan(script, lengths, voice, cache_dir, force):
    """Print the cue sheet of SCRIPT: when each step starts, and what it says.

    It speaks every line to know its length (keeping the pieces in the cache, so the
    build that follows uses the very same ones)."""
    project = open_project(script)
    builder = Builder(project, voice=voice, cache=SpeechCache(cache_dir), force=force)
    loaded = load_script(script)
    for track in builder.plan(loaded, _lengths(lengths)):
        timeline = track.timeline
        speakers = speaker_marks(timeline, builder.voices)
        click.echo(f"{track.name}: {track.script.title}"
                   f" ({format_ms(timeline.length_ms)})")
        click.echo(f"{'start':>11}  {'length':>9}  {'step':<8} text")
        for row in timeline.rows:
            length = format_ms(row.ms) if row.ms else ""
            mark = speakers.get((row.start_ms, row.text), "") if row.step == "say" else ""
            click.echo(f"{format_ms(row.start_ms):>11}  {length:>9}  {row.step:<8} {mark}{row.text}")
        click.echo(f"{format_ms(timeline.length_ms):>11}  {'':>9}  {'end':<8}")
        click.echo()
    click.echo(f"lengths it can reach: {describe_ranges(builder.length_ranges(loaded))}")


@main.group(invoke_without_command=True)
@click.option("--sample", metavar="TEXT", help="Also speak TEXT in every working voice, to "
                                                "output/voices/NAME.mp3.")
@cache_option
@click.pass_context
def voices(ctx, sample, cache_dir):
    """List the voice profiles and engines, and whether each works here."""
    if ctx.invoked_subcommand:
        return
    project = open_project()
    click.echo("engines:")
    for name, engine in ENGINES.items():
        problem = engine.problem()
        found = ", ".join(engine.voices(project.root / "voices")[:8]) if not problem else ""
        click.echo(f"  {name:<9} {'works' if not problem else 'not here: ' + problem}"
                   + (f"; voices: {found}" if found else ""))
    click.echo("profiles:")
    working = []
    for name, profile in sorted(project.profiles.items()):
        problem = profile_problem(project, name)         # it must really speak a word
        working += [] if problem else [name]
        where = "built-in" if profile.source == "built-in" else _shown(profile.source)
        click.echo(f"  {name:<12} {profile.engine:<8} voice={profile.voice or 'system default'} "
                   f"rate={profile.rate:g} ({where}) {'works' if not problem else 'not here: ' + problem}")
    echo_fetched_voices()
    if sample:
        for path in write_voice_samples(project, sample, project.output_dir / "voices", working,
                                        SpeechCache(cache_dir)):
            click.echo(f"wrote {_shown(str(path))}")
        for name in sorted(set(project.profiles) - set(working)):
            click.echo(f"no sample for {name}: it cannot speak here (see above)")


voices.add_command(get)


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="The folder of built tracks (default: the project's output/).")
@click.option("--check", "check_only", is_flag=True,
              help="Only check the built feed: what would a podcast directory reject?")
@click.option("--scheduled", is_flag=True,
              help="Preview: also the episodes dated after today, in output/preview-feed.xml and "
                   "output/preview.html (the real feed and podcast.lock stay as they are).")
def feed(output, check_only, scheduled):
    """Write output/feed.xml and output/index.html from the built tracks."""
    project = open_project()
    folder = output or project.output_dir
    if not check_only:
        report = publish(project, folder, include_scheduled=scheduled)
        click.echo(f"wrote {_shown(str(report.feed))} and {_shown(str(report.page))}: "
                   f"{len(report.items)} episode{'s' * (len(report.items) != 1)}")
        for name in report.newly_published:
            click.echo(f"  published for the first time (recorded in podcast.lock): {name}")
        for name, date in report.scheduled:
            verb = "included in the preview" if report.preview else "held back until then"
            click.echo(f"  scheduled for {date.isoformat()} ({verb}): {name}")
        for slug in report.drafts:
            click.echo(f"  draft (no date, left out): {slug}")
        for name in report.unbuilt:
            click.echo(f"  not built yet (left out): {name}; run `audio-builder build`")
        for name in report.one_off:
            click.echo(f"  built with a one-off --length (left out): {name}; to publish it, "
                       f"add its length to the script's `length:`")
        if report.preview:
            return
    problems = check_feed(folder, project.podcast.base_url or "", read_lock(project.root))
    for problem in problems:
        click.echo(f"{_shown(str(folder / 'feed.xml'))}: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo("the feed passes the directory checks")


@main.command()
@click.argument("track", type=click.Path(path_type=Path))
@click.option("--no-bells", is_flag=True, help="Leave out the recorded bells (strike your own bowl); "
                                               "needs the script, not a built track.")
@click.option("--hold", is_flag=True, help="Wait at the start of each chapter until space is pressed.")
@click.option("--from", "start", metavar="CHAPTER", help="Start at a chapter (its number or title).")
@click.option("--to-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Play into this WAV file instead of the speakers (records the session).")
@click.option("--length", "length", metavar="DURATION",
              help="Which length to play, for a script with several (or any other length).")
@click.option("--keys", hidden=True, help="Keys at playback times, like '2:space,5:n' (for tests).")
def play(track, no_bells, hold, start, to_file, length, keys):
    """Play TRACK (a built track or a script) for a live session.

    Keys: space pause and resume, n / p next and previous chapter, right / left seek 10 s,
    b strike a bell now, q quit."""
    from audio_builder.live.keys import ScriptedKeys, TerminalKeys
    from audio_builder.live.outputs import FileOutput, SystemOutput
    from audio_builder.live.player import Player
    from audio_builder.live.prepare import bell_for, prepare_track
    from audio_builder.live.session import IDLE_LIMIT_MS, run_session
    from audio_builder.live.track import scratch_folder

    project = open_project(track)
    scripted = ScriptedKeys(keys or "") if keys is not None or not sys.stdin.isatty() else None
    with scratch_folder() as folder:
        wanted = _lengths((length,)) if length else None
        playable = prepare_track(track, project, folder, no_bells=no_bells,
                                 length_ms=wanted[0] if wanted else None)
        player = Player(track=playable, hold=hold, bell=bell_for(track, project, playable))
        if start:
            try:
                player.start_at_chapter(start)
            except LookupError:
                names = ", ".join(f"{n}. {m.title}" for n, m in enumerate(playable.chapters, 1))
                raise InputError(f"--from {start!r}: no such chapter; the chapters are: "
                                 f"{names or 'none'}") from None
        output = FileOutput(to_file) if to_file else SystemOutput()
        try:
            if isinstance(output, SystemOutput):
                output.check()
            with (scripted or TerminalKeys()) as key_source:
                show = sys.stdout.isatty()
                if show:
                    from rich.live import Live

                    from audio_builder.live.view import render_view

                    with Live(render_view(player), refresh_per_second=4, transient=False) as live:
                        idled = run_session(player, output, key_source,
                                            lambda p: live.update(render_view(p)))
                else:
                    idled = run_session(player, output, key_source)
            played_ms = output.written_ms
        finally:
            output.close()
    if idled:
        click.echo(f"stopped after {format_ms(IDLE_LIMIT_MS, precise=False)} of silence: the "
                   f"session was {'paused' if player.paused else 'holding at a chapter'} and no "
                   f"key was left to press", err=True)
    if to_file:
        def clock(ms: int) -> str:
            return format_ms((ms + 500) // 1000 * 1000, precise=False)

        click.echo(f"played {clock(played_ms)} of {playable.title!r} into {_shown(str(to_file))}; "
                   f"it stopped at {clock(player.elapsed_ms)} of the track's {clock(playable.length_ms)}")


@main.group()
def cache():
    """The cache: spoken pieces kept between builds, and the built-in sounds once generated."""


@cache.command("info")
@cache_option
def cache_info(cache_dir):
    """Where the cache is, how many pieces and built-in sounds it holds and its size."""
    store = SpeechCache(cache_dir)
    stored = sounds.stored_sounds(store.directory)
    size = store.size_bytes() + sum(path.stat().st_size for path in stored)
    click.echo(f"{store.directory}: {len(store.entries())} pieces, {len(stored)} built-in sounds, "
               f"{size / 1e6:.1f} MB")


@cache.command("clear")
@cache_option
def cache_clear(cache_dir):
    """Remove every piece and built-in sound from the cache (the next build speaks everything
    again, and generates the sounds it uses)."""
    store = SpeechCache(cache_dir)
    pieces = store.clear()
    click.echo(f"removed {pieces} pieces and {sounds.clear_stored_sounds(store.directory)} "
               f"built-in sounds from {store.directory}")


@main.command("sounds")
@click.option("--preview", is_flag=True, help="Also write a preview of each to output/sounds/.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Write the previews here instead.")
def list_sounds(preview, output):
    """List the built-in bells and backgrounds."""
    for registry in (sounds.BELLS, sounds.BACKGROUNDS):
        click.echo(f"{registry.kind}s:")
        for sound in registry.values():
            click.echo(f"  {sound.name:<12} {sound.description}")
    if preview:
        folder = output or open_project().output_dir / "sounds"
        for path in write_previews(folder):
            click.echo(f"wrote {_shown(str(path))}")


main.add_command(own_voice.takes)
main.add_command(serve)
main.add_command(video)
main.add_command(own_voice.record)
