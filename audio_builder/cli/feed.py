"""`audio-builder feed`: the podcast feed and page from the built tracks."""

from __future__ import annotations

from pathlib import Path

import click

from audio_builder import api
from audio_builder.cli.options import echo, shown
from audio_builder.publishing.tracks import site_files


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="The folder of built tracks (default: the project's output/).")
@click.option("--check", "check_only", is_flag=True,
              help="Only check the built feed: what would a podcast directory reject?")
@click.option("--scheduled", is_flag=True,
              help="Preview: also the episodes dated after today, in "
                   "output-scheduled/preview-feed.xml and preview.html (the real feed, "
                   "podcast.lock and output/ stay as they are; see it with `serve --scheduled`).")
def feed(output, check_only, scheduled):
    """Write output/feed.xml and output/index.html from the built tracks."""
    project = api.open_project()
    if not check_only:
        report = api.publish(project, output, scheduled=scheduled)
        echo(f"wrote {shown(report.feed)} and {shown(report.page)}: "
             f"{len(report.items)} episode{'s' * (len(report.items) != 1)}")
        for name in report.newly_published:
            echo(f"  published for the first time (recorded in podcast.lock): {name}")
        for name, date in report.scheduled:
            verb = "included in the preview" if report.preview else "held back until then"
            echo(f"  scheduled for {date.isoformat()} ({verb}): {name}")
        for slug in report.drafts:
            echo(f"  draft (no date, left out): {slug}")
        for name in report.unbuilt:
            echo(f"  not built yet (left out): {name}; run `audio-builder build`")
        for name in report.unmastered:
            echo(f"  built with --loudness off (left out: for editing, not for listeners): {name}")
        for name in report.one_off:
            echo(f"  built with a one-off --length (left out): {name}; to publish it, "
                 f"add its length to the script's `length:`")
        if report.preview:
            return
    problems = api.check_feed(project, output)
    for problem in problems:
        echo(f"{shown(site_files(output or project.output_dir)[0])}: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    echo("the feed passes the directory checks")
