"""Every YAML example in the README and docs/ is built, so the docs cannot drift from the code.

A block that starts with `# file: PATH` is written to PATH in a fresh project (an included
part, a voice profile); a block that starts with `# dask configuration` is checked against
Dask's own settings; every other block is a practice script and must build."""

import re
import shutil
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import dask_batch_configuration, ffprobe_duration, run

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```yaml\n(.*?)^\s*```", re.DOTALL | re.MULTILINE)
DASK_CONFIGURATION = "# dask configuration"


def examples():
    for doc in DOCS:
        for number, block in enumerate(BLOCK.findall(doc.read_text(encoding="utf-8"))):
            yield doc.name, number, textwrap.dedent(block).strip() + "\n"


def write_tone(path: Path, seconds: float = 2.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 22_050)) / 22_050
    tone = (0.3 * np.sin(2 * np.pi * 330 * t) * np.hanning(t.size) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(22_050)
        file.writeframes(tone.tobytes())


def test_every_block_is_a_script_or_a_named_file():
    for doc, number, block in examples():
        assert (block.startswith(("# file: ", DASK_CONFIGURATION))
                or re.search(r"^title:", block, re.M)), (doc, number)


def test_the_dask_configuration_names_only_settings_dask_has():
    """A misspelt key would be ignored by Dask without a word: each one must be among
    distributed's own settings, with a value of the kind it has there."""
    import dask.config
    import distributed  # noqa: F401 (its settings are Dask's defaults once imported)
    import yaml
    from dask.utils import parse_timedelta

    block = dask_batch_configuration()

    def leaves(tree, path=()):
        for key, value in tree.items():
            yield from leaves(value, (*path, key)) if isinstance(value, dict) else [((*path, key), value)]

    found = list(leaves(yaml.safe_load(block)))
    assert found
    for path, value in found:
        default = dask.config.get(".".join(path))
        if isinstance(default, bool):
            assert isinstance(value, bool), path
        else:
            assert parse_timedelta(value) > parse_timedelta(default), path   # less often, not more


def test_the_podcast_yaml_example_is_valid(tmp_path):
    from audio_builder.errors import InputError
    from audio_builder.script.podcast import load_podcast

    [block] = [b for _, _, b in examples() if b.startswith("# file: podcast.yaml")]
    (tmp_path / "podcast.yaml").write_text(block.replace("image: images/cover.png", "image: c.png"))
    from PIL import Image

    Image.new("RGB", (1400, 1400)).save(tmp_path / "c.png")
    podcast = load_podcast(tmp_path)
    assert podcast.email == "hello@example.org" and podcast.base_url.endswith("/podcast/")
    (tmp_path / "podcast.yaml").write_text(block)
    with pytest.raises(InputError, match="no file"):                 # the image must exist
        load_podcast(tmp_path)


def test_the_docs_have_examples_of_every_step_kind():
    from audio_builder.script.parser import STEP_KINDS

    text = "".join(block for _, _, block in examples())
    for kind in STEP_KINDS:
        assert re.search(rf"- {kind}:", text), kind


def write_examples(project: Path) -> list[Path]:
    """Every example into a fresh project: the named files where they say, the scripts into
    scripts/. Returns the scripts."""
    write_tone(project / "scripts" / "sounds" / "stream.wav")
    shutil.copytree(ROOT / "scripts" / "parts", project / "scripts" / "parts")   # the series' parts
    scripts = []
    for doc, number, block in examples():
        first = block.splitlines()[0]
        if first == "# file: podcast.yaml" or first.startswith(DASK_CONFIGURATION):
            continue                                  # checked on their own, above
        if first.startswith("# file: "):
            target = project / first.removeprefix("# file: ").strip()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block, encoding="utf-8")
        else:
            path = project / "scripts" / f"{Path(doc).stem.lower()}-{number}.yaml"
            path.write_text(block, encoding="utf-8")
            scripts.append(path)
    return scripts


def test_every_example_checks(project):
    """Read and planned (the spoken parts timed by the default voice, here tones)."""
    scripts = write_examples(project)
    checked = run("check")
    assert checked.exit_code == 0, checked.stderr
    assert len(checked.stdout.splitlines()) >= len(scripts)


@pytest.mark.voice                  # slow: about 25 minutes of audio
@pytest.mark.slow
def test_every_example_builds(project):
    scripts = write_examples(project)
    built = run("build", "--format", "wav")            # the format is not what is tested here
    assert built.exit_code == 0, built.stderr
    tracks = sorted((project / "output").glob("*.wav"))
    assert len(tracks) >= len(scripts)
    track_lines = [line for line in built.stdout.splitlines()[:-1]
                   if not line.startswith(" ")]           # indented: a note under its track
    assert len(track_lines) == len(tracks)
    for line in track_lines:
        name, length = line.split()[:2]
        *hours_minutes, seconds = length.split(":")          # m:ss.mmm, or h:mm:ss.mmm past an hour
        whole = sum(int(part) * 60 ** (len(hours_minutes) - i) for i, part in enumerate(hours_minutes))
        assert abs(ffprobe_duration(project / name) - (whole + float(seconds))) <= 0.05
