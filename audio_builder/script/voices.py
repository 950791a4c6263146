"""Voice profiles: `voices/<name>.yaml`, the built-ins `default` and `system`, and the
project-wide pronunciation list `voices/pronounce.yaml`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audio_builder.errors import InputError, excerpt
from audio_builder.model import VoiceProfile
from audio_builder.script.fields import Fields, describe
from audio_builder.script.parser import breath_words
from audio_builder.script.paths import named_path
from audio_builder.script.yamlfile import YamlMap, read_yaml
from audio_builder.speech.engines import ENGINES, is_recorded

PROFILE_KEYS = ("engine", "voice", "rate", "sentence_pause", "phrase_pause", "step_pause",
                "pronounce", "language", "breathe_words")
RECORDED_KEYS = ("engine", "takes", "fallback", "breaths", "sentence_pause", "step_pause",
                 "noise_reduction")
BREATHS = ("trim", "keep")
PRONOUNCE_FILE = "pronounce.yaml"

# A calm pace: piper speaks about 215 words a minute on its own; slowed to 0.54, with a
# phrase pause at commas and dashes and 1.5 s between sentences, the library comes out
# within the pace teachers use (figures in docs/voices.md).
BUILTIN_PROFILES = {
    "default": VoiceProfile(name="default", engine="piper", voice="joe", rate=0.54,
                            sentence_pause_ms=1500, language="en"),
    "system": VoiceProfile(name="system", engine="pyttsx3", voice=None, rate=0.7,
                           sentence_pause_ms=1500, language="en"),
}


def load_profile(path: Path, project_pronounce: tuple[tuple[str, str], ...] = ()) -> VoiceProfile:
    """Read one voice profile file."""
    data = read_yaml(path)
    if not isinstance(data, YamlMap):
        raise InputError(f"a voice profile must be a mapping with `engine:`, not {describe(data)}",
                         path, getattr(data, "line", 1))
    fields = Fields(data, path, "a voice profile")
    engine = fields.text("engine", required=True)
    if engine not in ENGINES:
        raise fields.error("engine", f"unknown engine {excerpt(engine)}; the engines are "
                                     + ", ".join(ENGINES))
    if ENGINES[engine].recorded:
        return _recorded_profile(fields, path, engine, ENGINES[engine].sentence_pause_ms)
    fields.reject_unknown(PROFILE_KEYS)
    own = _pronounce(fields)
    voice = fields.text("voice")
    if voice and any(mark in voice for mark in ("/", "\\", "~", "..")):
        named_path(voice, named_in=path, line=fields.line("voice"), key="voice", must_exist=False)
    return VoiceProfile(
        name=path.stem,
        engine=engine,
        voice=voice,
        rate=fields.number("rate", VoiceProfile.rate, low=0.25, high=4.0),
        sentence_pause_ms=fields.duration("sentence_pause", ENGINES[engine].sentence_pause_ms),
        phrase_pause_ms=fields.duration("phrase_pause", VoiceProfile.phrase_pause_ms),
        step_pause_ms=fields.duration("step_pause"),
        pronounce=own + tuple(rule for rule in project_pronounce
                              if rule[0] not in {word for word, _ in own}),
        base_dir=path.parent,
        source=str(path),
        language=fields.language("language"),
        breath_words=breath_words(fields, "breathe_words"),
    )


def _recorded_profile(fields: Fields, path: Path, engine: str, sentence_pause_ms: int) -> VoiceProfile:
    """A voice recorded by a person: takes in a folder (default takes/<name>/ in the project)."""
    fields.reject_unknown(RECORDED_KEYS)
    project_root = path.parent.parent
    folder = fields.text("takes") or f"takes/{path.stem}"
    takes = named_path(folder, named_in=path, line=fields.line("takes"), key="takes",
                       root=project_root, base=project_root, must_exist=False)
    breaths = fields.text("breaths", VoiceProfile.breaths)
    if breaths not in BREATHS:
        raise fields.error("breaths", f"`breaths: {breaths}`: write `trim` (cut breaths before "
                                      "and after the words) or `keep`")
    return VoiceProfile(
        name=path.stem, engine=engine, sentence_pause_ms=fields.duration("sentence_pause", sentence_pause_ms),
        step_pause_ms=fields.duration("step_pause"),
        base_dir=path.parent, source=str(path), takes=takes, fallback=fields.text("fallback"),
        breaths=breaths, noise_reduction=fields.boolean("noise_reduction", True))


def _check_fallbacks(profiles: dict[str, VoiceProfile]) -> None:
    for profile in profiles.values():
        if profile.fallback is None:
            continue
        other = profiles.get(profile.fallback)
        if other is None or is_recorded(other):
            line = _line_of(Path(profile.source), "fallback")
            what = "is itself a recorded voice" if other else "is no voice profile"
            raise InputError(f"`fallback: {profile.fallback}` {what}; name a synthetic voice "
                             f"that speaks the lines with no take yet, like `fallback: default`",
                             profile.source, line)


def _line_of(path: Path, key: str) -> int | None:
    data = read_yaml(path)
    return data.line_of(key) if isinstance(data, YamlMap) else None


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
            raise InputError(f"`{str(word)[:40]}`: say how to pronounce it, like `metta: mettah`",
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
    _check_fallbacks(profiles)
    return profiles
