"""Bad input: exit 2, `FILE:LINE: message` on stderr, no traceback, nothing in output/."""

import pytest
from conftest import run, write

GOOD = """
title: Good
steps:
  - Hello there.
"""

CASES = {
    "broken YAML": ("title: T\nsteps:\n  - say: [unclosed\n", 4, "not valid YAML"),
    "unknown key": ("titel: T\nsteps:\n  - Hi.\n", 1, "did you mean `title`"),
    "unknown step": ("title: T\nsteps:\n  - Hi.\n  - pase: 3s\n", 4, "did you mean `pause`"),
    "two keys in a step": ("title: T\nsteps:\n  - {pause: 3s, bell: 1}\n", 3, "exactly one"),
    "bad duration": ("title: T\nsteps:\n  - pause: 3 sec\n", 3, "`1m30s`"),
    "bad inline pause": ("title: T\nsteps:\n  - Hi [pause soon] there.\n", 3, "not a duration"),
    "unknown inline mark": ("title: T\nsteps:\n  - Hi [sigh] there.\n", 3, "[pause 3s]"),
    "at already passed": ("title: T\nsteps:\n  - pause: 20s\n  - at: 10s\n  - Hi.\n", 4,
                          "already passed"),
    "length cannot be met": ("title: T\nlength: 1m\nsteps:\n  - Hi.\n  - pause: 5s..10s\n", 2,
                             "too long"),
    "length too short": ("title: T\nlength: 2s\nsteps:\n  - pause: 5s\n  - Hi.\n", 2, "too short"),
    "missing sound file": ("title: T\nsteps:\n  - sound: nowhere.wav\n", 3, "no file"),
    "missing include": ("title: T\nsteps:\n  - include: parts/nothing.yaml\n", 3, "no file"),
    "empty script": ("", 1, "empty"),
    "no steps": ("title: T\n", 1, "no steps"),
    "tab indentation": ("title: T\nsteps:\n\t- Hi.\n", 3, "indent with spaces"),
    "value its tag does not fit": ("title: T\nepisode: !!int five\nsteps:\n  - Hi.\n", 2,
                                   "remove the `!!` tag"),
    "python tag": ("title: !!python/object/apply:os.system [echo hi]\nsteps:\n  - Hi.\n", 1,
                   "remove the `!!` tag"),
    "unknown voice": ("title: T\nvoice: nobody\nsteps:\n  - Hi.\n", 2, "no voice profile"),
    "unknown step voice": ("title: T\nsteps:\n  - Hi.\n  - say: {text: Hi., voice: nobody}\n", 4,
                           "no voice profile"),
    "unknown bell": ("title: T\nsteps:\n  - bell: {sound: trumpet}\n", 3, "no built-in bell"),
    "bad flexible pause": ("title: T\nsteps:\n  - pause: 0s..10s\n", 3, "minimum above 0"),
    "title too long": ("title: " + "x" * 300 + "\nsteps:\n  - Hi.\n", 1, "at most 255"),
    "bad length": ("title: T\nlength: soon\nsteps:\n  - Hi.\n", 2, "not a duration"),
    "duplicate key": ("title: T\ntitle: U\nsteps:\n  - Hi.\n", 2, "twice"),
}


@pytest.mark.parametrize("command", ["build", "check"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_a_located_message_and_exit_2(project, name, command):
    text, line, words = CASES[name]
    write(project / "scripts" / "bad.yaml", text)
    result = run(command, "scripts/bad.yaml")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"scripts/bad.yaml:{line}: "), result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert not (project / "output").exists() or not any((project / "output").iterdir())


def test_an_include_cycle_names_the_chain(project):
    write(project / "scripts" / "a.yaml", "title: A\nsteps:\n  - include: parts/b.yaml\n")
    write(project / "scripts" / "parts" / "b.yaml", "steps:\n  - Hi.\n  - include: c.yaml\n")
    write(project / "scripts" / "parts" / "c.yaml", "- include: b.yaml\n")
    result = run("check", "scripts/a.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("scripts/parts/c.yaml:1: ")
    assert "a.yaml -> b.yaml -> c.yaml -> b.yaml" in result.stderr


def test_every_bad_script_of_a_folder_is_reported(project):
    write(project / "scripts" / "one.yaml", "title: One\nsteps:\n  - pause: 3 sec\n")
    write(project / "scripts" / "two.yaml", "title: Two\nstepz: []\n")
    write(project / "scripts" / "fine.yaml", GOOD)
    result = run("check")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("scripts/one.yaml:3: ") and lines[1].startswith("scripts/two.yaml:2: ")
    assert "ok  scripts/fine.yaml" in result.stdout


def test_traceback_only_when_asked(project):
    write(project / "scripts" / "bad.yaml", "title: T\nsteps:\n  - pause: 3 sec\n")
    with pytest.raises(Exception, match="not a duration"):
        run("--traceback", "check", "scripts/bad.yaml")


def test_a_bad_option_is_exit_2(project):
    write(project / "scripts" / "good.yaml", GOOD)
    result = run("build", "--length", "soon", "scripts/good.yaml")
    assert result.exit_code == 2 and "--length" in result.stderr and "Traceback" not in result.output
    assert run("build", "scripts/missing.yaml").exit_code == 2


def test_a_bad_voice_profile_is_located(project):
    write(project / "voices" / "calm.yaml", "engine: piper\nrate: fast\n")
    write(project / "scripts" / "good.yaml", GOOD)
    result = run("check", "scripts/good.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("voices/calm.yaml:2: ") and "rate" in result.stderr
