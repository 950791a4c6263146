"""Speech engines behind one small interface, chosen by name from `ENGINES`.

An engine turns text into mono float32 samples; it does no file I/O of its own beyond what
its library demands, and knows nothing of scripts or timelines.
"""

from __future__ import annotations

from audio_builder.model import VoiceProfile
from audio_builder.speech.engines.base import EngineUnavailable, SpeechAudio, SpeechEngine
from audio_builder.speech.engines.piper_engine import PiperEngine
from audio_builder.speech.engines.pyttsx3_engine import Pyttsx3Engine
from audio_builder.speech.engines.recorded_engine import RecordedEngine
from audio_builder.speech.engines.tones_engine import TonesEngine

ENGINES: dict[str, type[SpeechEngine]] = {
    PiperEngine.name: PiperEngine,
    Pyttsx3Engine.name: Pyttsx3Engine,
    TonesEngine.name: TonesEngine,
    RecordedEngine.name: RecordedEngine,
}



def is_recorded(profile: VoiceProfile | None) -> bool:
    """Does `profile` speak from a person's takes (see `SpeechEngine.recorded`)?"""
    return profile is not None and profile.engine in ENGINES and ENGINES[profile.engine].recorded


__all__ = ["ENGINES", "EngineUnavailable", "SpeechAudio", "SpeechEngine", "is_recorded"]
