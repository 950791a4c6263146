"""`rate` really changes the pace: a piece's length follows 1/rate, for both real engines.

Twenty sentences of a seed-like passage, each spoken at three rates through the Python API
(VoiceBook + Synthesizer, phrase pauses set to 0 so only speech is compared)."""

import pytest
from conftest import espeak_available

from audio_builder.model import Utterance, VoiceProfile
from audio_builder.speech.synthesizer import Synthesizer, VoiceBook

SENTENCES = """
Find a comfortable position and let your eyes close. Notice the weight of your body.
Let the breath come and go on its own. There is nothing you need to do right now.
Bring to mind a moment when you felt at ease. Notice where you feel it in your body.
Let your shoulders soften as you breathe out. Feel the ground holding you up.
Each of us leaves a legacy to the next generation. Notice any tension in your face.
May I be kind to myself in this moment. May I give myself the compassion I need.
Suffering is a part of every life. Other people feel this way too.
Place a hand on your heart and feel its warmth. Let the kindness sink in slowly.
When you are ready, let your attention widen. Hear the sounds around you.
Take one more full breath in. And gently open your eyes.
""".replace("\n", " ").split(". ")
RATES = (1.0, 0.8, 0.6)


@pytest.mark.voice
@pytest.mark.parametrize("engine", ["piper", "pyttsx3"])
def test_a_pieces_length_follows_one_over_rate(engine):
    if engine == "pyttsx3" and not espeak_available():
        pytest.skip("espeak-ng is not installed")
    sentences = [" ".join(s.split()).rstrip(".") + "." for s in SENTENCES if s.strip(" .\n")]
    assert len(sentences) >= 20
    profile = VoiceProfile(name="v", engine=engine, phrase_pause_ms=0)
    synthesizer = Synthesizer(VoiceBook({"v": profile}))
    for sentence in sentences:
        lengths = [synthesizer.length_ms(Utterance(sentence, "v", rate)) for rate in RATES]
        assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths), (sentence, lengths)
        for rate, ms in zip(RATES, lengths, strict=True):
            proportional = lengths[0] / rate
            assert abs(ms / proportional - 1) <= 0.05, (sentence, rate, ms, proportional)
