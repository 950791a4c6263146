"""Who speaks a practice: the voice it names, else a voice of its language.

A practice's language is its own `language`, else the podcast's, else its voice's. A practice
that names no voice is spoken by the default voice when that voice speaks its language;
otherwise by a voice profile of the project that does, else an installed voice of that
language (a fetched piper voice first, then espeak-ng's), made into a profile with the
default voice's pace. When none is installed, that is an error that says how to get one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from audio_builder.errors import InputError
from audio_builder.languages import base_code, language
from audio_builder.model import Podcast, Script, VoiceProfile
from audio_builder.script.voices import BUILTIN_PROFILES
from audio_builder.speech.engines import ENGINES, is_recorded

DEFAULT_VOICE = "default"
# Engines tried for a language, in order: neural voices first.
ENGINES_BY_PREFERENCE = ("piper", "pyttsx3")
CHOSEN = "chosen for the practice's language"      # the `source` of a profile made here


@dataclass(frozen=True)
class Speaker:
    """The voice a practice is spoken in, and why that one."""

    name: str                   # its profile's name
    profile: VoiceProfile
    reason: str


def profile_language(profile: VoiceProfile) -> str | None:
    """The language a profile speaks: as it says, else as its engine tells of its voice."""
    if profile.language:
        return base_code(profile.language)
    engine = ENGINES.get(profile.engine)
    if engine is None or engine.problem():
        return None
    return engine.language_of(profile.voice, profile.base_dir)


def practice_language(script: Script, podcast: Podcast,
                      profiles: dict[str, VoiceProfile]) -> str:
    """The script's `language`, else the podcast's, else its voice's (else English)."""
    if script.language:
        return script.language
    if podcast.language:
        return podcast.language
    profile = profiles.get(script.voice)
    return (profile_language(profile) if profile else None) or "en"


def podcast_language(podcast: Podcast, profiles: dict[str, VoiceProfile]) -> str:
    """The podcast's `language`, else its default voice's."""
    profile = profiles.get(DEFAULT_VOICE)
    return podcast.language or (profile_language(profile) if profile else None) or "en"


def speaker_for(script: Script, profiles: dict[str, VoiceProfile]) -> Speaker:
    """The voice `script` (its language already settled) is spoken in."""
    if script.line_of("voice") is not None or script.voice != DEFAULT_VOICE:
        engine_name, _, voice = script.voice.partition(":")
        if script.voice not in profiles and engine_name in ENGINES_BY_PREFERENCE and voice:
            # a voice chosen by language before (the script was passed on with its name)
            profile = _chosen(engine_name, voice, base_code(script.language), profiles[DEFAULT_VOICE])
            return Speaker(profile.name, profile, f"a voice of {language(profile.language).name}")
        if script.voice not in profiles:
            raise InputError(f"no voice profile called {script.voice!r}; the voices are "
                             + ", ".join(sorted(profiles))
                             + f" (add voices/{script.voice}.yaml to make one)",
                             script.path, script.line_of("voice"))
        return Speaker(script.voice, profiles[script.voice], "named in the script")
    code = base_code(script.language)
    default = profiles[DEFAULT_VOICE]
    if profile_language(default) in (code, None):       # None: a voice of no one language (tones)
        return Speaker(DEFAULT_VOICE, default, "the default voice")
    for name, profile in sorted(profiles.items()):
        if (not is_recorded(profile) and name != DEFAULT_VOICE and profile.source != CHOSEN
                and profile_language(profile) == code):
            return Speaker(name, profile, f"the project's voice for {language(code).name}")
    installed = installed_speaker(code, default)
    if installed is None:
        raise no_voice_error(script, code)
    return installed


def installed_speaker(code: str, default: VoiceProfile) -> Speaker | None:
    """A profile for the best installed voice of language `code`, or None."""
    for engine_name in ENGINES_BY_PREFERENCE:
        engine = ENGINES[engine_name]
        voices = engine.voices_of_language(code)
        wanted = language(code).espeak_voice if engine_name == "pyttsx3" else None
        if wanted == "":
            continue                     # this engine's voices cannot read the language
        voices.sort(key=lambda voice: voice[0] != wanted)
        if voices:
            voice, about = voices[0]
            profile = _chosen(engine_name, voice, code, default)
            return Speaker(profile.name, profile, f"a voice of {language(code).name}: {about}")
    return None


def chosen_profile(name: str, profiles: dict[str, VoiceProfile]) -> VoiceProfile | None:
    """The profile of a voice chosen by language, from its name (`pyttsx3:roa/es`), or None."""
    engine_name, _, voice = name.partition(":")
    if engine_name not in ENGINES_BY_PREFERENCE or not voice:
        return None
    default = profiles[DEFAULT_VOICE]
    return _chosen(engine_name, voice, ENGINES[engine_name].language_of(voice, None) or "en", default)


def _chosen(engine_name: str, voice: str, code: str, default: VoiceProfile) -> VoiceProfile:
    """A profile for `voice` of `engine_name`, at the default voice's pace for its engine."""
    pace = default if engine_name == default.engine else BUILTIN_PROFILES["system"]
    return replace(pace, name=f"{engine_name}:{voice}", voice=voice, language=code,
                   source=CHOSEN, pronounce=default.pronounce)


def no_voice_error(script: Script, code: str) -> InputError:
    rules = language(code)
    ways = []
    if rules.calm_voices:
        ways.append(f"fetch a piper voice: `audio-builder voices get {rules.calm_voices[0]}`")
    if rules.espeak_voice:
        ways.append(f"install espeak-ng, whose voice `{rules.espeak_voice}` speaks it")
    elif rules.espeak_voice is None:
        ways.append(f"install espeak-ng (`espeak-ng --voices={code}` lists its voices)")
    else:
        ways.append(rules.espeak_note)
    ways.append("or name a voice profile of that language with `voice:` "
                f"(one with `language: {code}`)")
    return InputError(f"no voice here speaks {rules.name} (`{code}`), the language of this "
                      "practice: " + "; ".join(ways), script.path, script.line_of("language") or 1)
