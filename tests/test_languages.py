"""Practices in other languages: sentences, what the voice is given, breathing cues, the
voice chosen for the language, and the language codes of what is published.

The text rules are checked on their own (no voice); the voice tests speak with espeak-ng's
Spanish, German and French voices, a few short sentences each."""

from __future__ import annotations

import shutil

import pytest
from conftest import run, write

from audio_builder.languages import LANGUAGES, split_sentences, spoken_form

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


@pytest.mark.parametrize(("code", "text", "sentences"), [
    ("es", "¿Dónde lo sientes en el cuerpo? ¿En el pecho, en el estómago?",
     ["¿Dónde lo sientes en el cuerpo?", "¿En el pecho, en el estómago?"]),
    ("es", "Este es un momento de sufrimiento. ¡Esto duele! La Dra. Neff lo llama así.",
     ["Este es un momento de sufrimiento.", "¡Esto duele!", "La Dra. Neff lo llama así."]),
    ("es", "Habla con el Sr. García. «Estoy aquí.» Él escucha.",
     ["Habla con el Sr. García.", "«Estoy aquí.»", "Él escucha."]),
    ("de", "Atme z.B. ruhig. Am 3. Mai beginnt es. Der 2. Atemzug ist tiefer, usw. Dann ruhe.",
     ["Atme z.B. ruhig.", "Am 3. Mai beginnt es.", "Der 2. Atemzug ist tiefer, usw.",
      "Dann ruhe."]),
    ("de", "Zähle bis 3. Dann atme aus.", ["Zähle bis 3. Dann atme aus."]),
    ("de", "Ich zähle 3. Dann atme aus.", ["Ich zähle 3.", "Dann atme aus."]),
    ("fr", "M. Dupont respire. Comment allez-vous ? Bien. « Respirez. » Puis expirez.",
     ["M. Dupont respire.", "Comment allez-vous ?", "Bien.", "« Respirez. »", "Puis expirez."]),
    ("ja", "息を吸います。ゆっくり吐きます！「静かに。」終わり", 
     ["息を吸います。", "ゆっくり吐きます！", "「静かに。」", "終わり"]),
    ("en", "Rest (quietly.) Then go. It is 3.5 seconds.", ["Rest (quietly.)", "Then go.",
                                                          "It is 3.5 seconds."]),
])
def test_sentences_end_where_a_reader_of_the_language_ends_them(code, text, sentences):
    assert split_sentences(text, code) == sentences


@pytest.mark.parametrize(("code", "written", "spoken"), [
    ("es", "La 2.ª vez, el 3.er paso, el 1.º día, a las 10:05 y a las 7:00.",
     "La segunda vez, el tercer paso, el primero día, a las diez y cinco y a las siete en punto."),
    ("es", "Respira 3,5 segundos. La Dra. Neff, etc.", "Respira 3,5 segundos. La Dra. Neff, etcétera."),
    ("de", "Am 3. Mai, zum 2. Mal, der 1. Atemzug; z.B. 3,5 Sekunden usw.",
     "Am dritten Mai, zum zweiten Mal, der erste Atemzug; zum Beispiel 3,5 Sekunden und so weiter."),
    ("fr", "M. Dupont, le 2e jour, la 3ème fois, le 1er matin.",
     "Monsieur Dupont, le deuxième jour, la troisième fois, le 1er matin."),
    ("nl", "De 1e dag, bijv. zo.", "De eerste dag, bijvoorbeeld zo."),
    ("en", "On the 2nd day at 10:30, Dr. Lee.", "On the 2nd day at 10:30, Dr. Lee."),
])
def test_what_the_voice_misreads_is_given_in_words(code, written, spoken):
    assert spoken_form(written, code) == spoken


def test_every_language_record_is_complete():
    for record in LANGUAGES.values():
        assert set(record.breath_words) == {"in", "hold", "out"}, record.code
        assert len(record.iso639_2) == 3
        assert record.page_words["chapters"] and record.page_words["captions"]
        for abbreviation in record.ending_abbreviations:
            assert abbreviation in record.abbreviations


def test_a_decimal_comma_is_never_a_phrase_cut():
    from audio_builder.text import split_phrases

    assert [p.text for p in split_phrases("Respira 3,5 segundos, despacio.")] == [
        "Respira 3,5 segundos,", "despacio."]


SPANISH = """\
title: Una pausa de autocompasión
language: es
steps:
  - "¿Dónde lo sientes en el cuerpo? ¿En el pecho, en el estómago?"
  - "Este es un momento de sufrimiento. ¡Esto duele! La Dra. Neff lo llama así."
  - breathe: {in: 3s, out: 3s, cycles: 1}
"""


def test_breathing_cues_are_in_the_practices_language(project):
    write(project / "scripts" / "es.yaml", SPANISH)
    write(project / "scripts" / "own.yaml", SPANISH.replace(
        "cycles: 1}", "cycles: 1, words: {in: Toma aire, out: Suelta}}"))
    result = run("plan", "scripts/es.yaml")
    assert result.exit_code == 0, result.output
    from audio_builder import Builder, load_script, open_project

    builder = Builder(open_project())

    def said_in(name):
        plan = builder.plan(load_script(project / "scripts" / name))[0]
        return [placed.utterance.text for placed in plan.timeline.speech]

    assert said_in("own.yaml")[-2:] == ["Toma aire", "Suelta"]
    said = said_in("es.yaml")
    assert said[-2:] == ["Inhala", "y exhala"]
    # The pieces are the sentences a Spanish reader sees.
    assert said[:5] == ["¿Dónde lo sientes en el cuerpo?", "¿En el pecho, en el estómago?",
                        "Este es un momento de sufrimiento.", "¡Esto duele!",
                        "La Dra. Neff lo llama así."]


def test_a_profile_sets_the_breathing_words_and_a_bad_one_is_located(project):
    write(project / "voices" / "default.yaml", "engine: tones\nbreathe_words: {in: Atme ein}\n")
    write(project / "scripts" / "de.yaml", "title: Atem\nlanguage: de\nsteps:\n"
          "  - breathe: {in: 3s, out: 3s, cycles: 1}\n")
    from audio_builder import Builder, load_script, open_project

    plan = Builder(open_project()).plan(load_script(project / "scripts/de.yaml"))[0]
    assert [s.utterance.text for s in plan.timeline.speech] == ["Atme ein", "und ausatmen"]
    write(project / "scripts" / "bad.yaml", "title: Atem\nsteps:\n"
          "  - breathe: {in: 3s, out: 3s, words: {inn: Atme}}\n")
    result = run("check", "scripts/bad.yaml")
    assert result.exit_code == 2
    assert "bad.yaml:3" in result.output and "inn" in result.output


def test_spanish_mistakes_keep_their_good_messages(project):
    write(project / "scripts" / "es.yaml", "title: Pausa\nlanguage: es\nsteps:\n"
          "  - Respira. [pausa 3s] Suelta.\n")
    result = run("check", "scripts/es.yaml")
    assert result.exit_code == 2 and "[pausa 3s]" in result.output and "[pause 3s]" in result.output
    write(project / "scripts" / "es.yaml", "title: Pausa\nlanguage: es\nsteps:\n  - pausa: 3s\n")
    result = run("check", "scripts/es.yaml")
    assert result.exit_code == 2 and "`pausa`" in result.output and "pause" in result.output
    write(project / "scripts" / "es.yaml", "title: Pausa\nlanguage: es\nsteps:\n  - pause: 5 segundos\n")
    result = run("check", "scripts/es.yaml")
    assert result.exit_code == 2 and "5 segundos" in result.output


@needs_espeak
@pytest.mark.voice
def test_a_german_practice_with_no_voice_named_is_spoken_by_a_german_voice(project):
    write(project / "scripts" / "de.yaml", "title: Atem\nlanguage: de\nsteps:\n"
          "  - Am 3. Mai atmen wir z.B. ruhig. Der 2. Atemzug.\n")
    result = run("check", "scripts/de.yaml")
    assert result.exit_code == 0, result.output
    assert "spoken by pyttsx3:gmw/de" in result.output and "German" in result.output
    result = run("plan", "scripts/de.yaml")
    assert "spoken by pyttsx3:gmw/de" in result.output
    assert "say      Am 3. Mai atmen wir z.B. ruhig." in result.output


def test_a_japanese_practice_splits_and_with_no_japanese_voice_check_says_so(project):
    write(project / "voices" / "default.yaml", "engine: piper\n")     # joe: English only
    write(project / "scripts" / "ja.yaml", "title: 呼吸\nlanguage: ja\nsteps:\n"
          "  - 息を吸います。ゆっくり吐きます。\n")
    result = run("check", "scripts/ja.yaml")
    assert result.exit_code == 2
    assert "ja.yaml:2" in result.output and "no voice here speaks Japanese" in result.output
    assert split_sentences("息を吸います。ゆっくり吐きます。", "ja") == [
        "息を吸います。", "ゆっくり吐きます。"]


@needs_espeak
def test_voices_lists_every_voice_of_a_language(project):
    result = run("voices", "--language", "es")
    assert result.exit_code == 0, result.output
    assert "roa/es " in result.output and "roa/es-419" in result.output
    assert "mb/" not in result.output                  # MBROLA voices do not work here
    assert "es_ES-davefx-medium" in result.output      # how to get a neural one


def test_what_is_published_carries_the_language(project):
    from html.parser import HTMLParser

    from mutagen.id3 import ID3

    write(project / "podcast.yaml", "title: Pausas\nauthor: Ana\nemail: ana@example.org\nlanguage: es\n"
          "base_url: https://example.org/pausas/\n")
    write(project / "scripts" / "pausa.yaml", "title: Pausa\ndate: 2026-05-03\n"
          "description: Una pausa breve.\nsteps:\n  - chapter: Llegar\n  - Respira. ¡Suelta!\n")
    write(project / "scripts" / "atem.yaml", "title: Atem\nlanguage: de\ndate: 2026-05-04\n"
          "description: Kurz.\nsteps:\n  - Atme ein. Atme aus.\n")
    assert run("build").exit_code == 0
    result = run("feed")
    assert result.exit_code == 0, result.output
    tags = ID3(project / "output" / "pausa.mp3")
    assert tags.getall("TLAN")[0].text == ["spa"]
    assert [c.lang for c in tags.getall("COMM")] == ["spa"]
    assert ID3(project / "output" / "atem.mp3").getall("TLAN")[0].text == ["deu"]

    class Page(HTMLParser):
        found: list[tuple[str, dict]] = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    page = Page()
    html = (project / "output" / "index.html").read_text(encoding="utf-8")
    page.feed(html)
    assert page.found[0] == ("html", {"lang": "es"})
    tracks = sorted(attrs["srclang"] for tag, attrs in page.found if tag == "track")
    assert tracks == ["de", "es"]
    assert [attrs.get("lang") for tag, attrs in page.found if tag == "article"].count("de") == 1
    assert "3 de mayo de 2026" in html and "Suscribirse" in html and "Subtítulos" in html
