"""Voice profiles: `voices/<name>.yaml`, the built-ins `default` and `system`, and the
project-wide pronunciation list `voices/pronounce.yaml`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audio_builder.errors import InputError
from audio_builder.model import VoiceProfile
from audio_builder.script.fields import Fields, describe
from audio_builder.script.yamlfile import YamlMap, read_yaml

PROFILE_KEYS = ("engine", "voice", "rate", "sentence_pause", "pronounce")
PRONOUNCE_FILE = "pronounce.yaml"

# A calm pace: piper speaks about 215 words a minute on its own; slowed to 0.72 and with
# 1.5 s between sentences, passages come out at about 130 words a minute (docs/voices.md).
BUILTIN_PROFILES = {
    "default": VoiceProfile(name="default", engine="piper", voice="joe", rate=0.72,
                            sentence_pause_ms=1500),
    "system": VoiceProfile(name="system", engine="pyttsx3", voice=None, rate=0.7,
                           sentence_pause_ms=1500),
}


def load_profile(path: Path, project_pronounce: tuple[tuple[str, str], ...] = ()) -> VoiceProfile:
    """Read one voice profile file."""
    from audio_builder.speech.engines import ENGINES

    data = read_yaml(path)
    if not isinstance(data, YamlMap):
        raise InputError(f"a voice profile must be a mapping with `engine:`, not {describe(data)}",
                         path, getattr(data, "line", 1))
    fields = Fields(data, path, "a voice profile")
    fields.reject_unknown(PROFILE_KEYS)
    engine = fields.text("engine", required=True)
    if engine not in ENGINES:
        raise fields.error("engine", f"unknown engine {engine!r}; the engines are "
                                     + ", ".join(ENGINES))
    own = _pronounce(fields)
    return VoiceProfile(
        name=path.stem,
        engine=engine,
        voice=fields.text("voice"),
        rate=fields.number("rate", 1.0, low=0.25, high=4.0),
        sentence_pause_ms=fields.duration("sentence_pause", 700),
        pronounce=own + tuple(rule for rule in project_pronounce
                              if rule[0] not in {word for word, _ in own}),
        base_dir=path.parent,
        source=str(path),
    )


def _pronounce(fields: Fields) -> tuple[tuple[str, str], ...]:
    if not fields.has("pronounce"):
        return ()
    rules = fields.raw("pronounce")
    if not isinstance(rules, YamlMap):
        raise fields.error("pronounce", "`pronounce` must be a mapping of word: how to say it, "
                                        "like `metta: mettah`")
    return _rules(rules, fields.file)


def _rules(rules: YamlMap, file: Path) -> tuple[tuple[str, str], ...]:
    result = []
    for word, spoken in rules.items():
        if isinstance(spoken, (dict, list)) or spoken is None or not str(spoken).strip():
            raise InputError(f"`{word}`: say how to pronounce it, like `metta: mettah`",
                             file, rules.line_of(word))
        result.append((str(word).lower(), str(spoken).strip()))
    return tuple(result)


def load_project_pronounce(voices_dir: Path) -> tuple[tuple[str, str], ...]:
    path = voices_dir / PRONOUNCE_FILE
    if not path.is_file():
        return ()
    data = read_yaml(path)
    if data is None:
        return ()
    if not isinstance(data, YamlMap):
        raise InputError("pronounce.yaml must be a mapping of word: how to say it, "
                         "like `metta: mettah`", path, getattr(data, "line", 1))
    return _rules(data, path)


def load_profiles(voices_dir: Path | None) -> dict[str, VoiceProfile]:
    """The built-ins, overridden and extended by the files in `voices_dir`."""
    pronounce = load_project_pronounce(voices_dir) if voices_dir and voices_dir.is_dir() else ()
    profiles = {name: replace(profile, pronounce=pronounce)
                for name, profile in BUILTIN_PROFILES.items()}
    if voices_dir and voices_dir.is_dir():
        for path in sorted(voices_dir.glob("*.yaml")):
            if path.name != PRONOUNCE_FILE:
                profiles[path.stem] = load_profile(path, pronounce)
    return profiles
