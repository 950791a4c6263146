"""The languages a practice can be written in: one record per language in `LANGUAGES`.

A record holds a language's text rules as data: what ends and opens a sentence, which
abbreviations do not end one (and how they are said), which numbers the voices read wrong
and how to say them instead, the words of the breathing cues, the words of the podcast page,
its codes for tags and video, and where to find a voice for it. Code reads the records; a
new language is a new record, not a new branch.

Both engines read numbers through espeak-ng's text rules (piper phonemizes with espeak-ng),
so the rewrites below fill only what espeak-ng was heard to get wrong (docs/voices.md lists
what was checked): for example it reads "3,5" in every language here as "three comma five"
in that language, which is right, but German "am 3. Mai" as "am drei. Mai" and French "2e"
as "deux e".
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from num2words import num2words

# --- how a number is said: a registry of sayers, named by the rewrites --------------------

Sayer = Callable[[re.Match[str], str], str]
SAYERS: dict[str, Sayer] = {}


def _sayer(name: str) -> Callable[[Sayer], Sayer]:
    def register(function: Sayer) -> Sayer:
        SAYERS[name] = function
        return function
    return register


def _number(match: re.Match[str]) -> int:
    return int(match.group("n"))


@_sayer("ordinal")
def _ordinal(match: re.Match[str], code: str) -> str:
    return str(num2words(_number(match), lang=code, to="ordinal"))


@_sayer("ordinal_feminine")
def _ordinal_feminine(match: re.Match[str], code: str) -> str:
    """Spanish and Portuguese `1.ª`: the masculine ordinal with each word's -o made -a."""
    return re.sub(r"o\b", "a", _ordinal(match, code))


@_sayer("ordinal_short")
def _ordinal_short(match: re.Match[str], code: str) -> str:
    """Spanish `1er`, `3er` (before a masculine noun): primer, tercer."""
    return re.sub(r"o$", "", _ordinal(match, code))


@_sayer("ordinal_inflected")
def _ordinal_inflected(match: re.Match[str], code: str) -> str:
    """German `am 3. Mai`, `zum 2. Mal`: the ordinal with the ending the word before asks
    for (`-n` after am, zum, dem, den, ...; none after der, die, das)."""
    ordinal = _ordinal(match, code)
    before = (match.group("before") or "").lower()
    return ordinal + ("n" if before in GERMAN_WEAK_ENDING else "")


@_sayer("time_es")
def _time_es(match: re.Match[str], code: str) -> str:
    """Spanish `10:05`: "diez y cinco" (espeak-ng says "diez cero cinco")."""
    hours, minutes = int(match.group("h")), int(match.group("m"))
    said = str(num2words(hours, lang=code))
    return said + (" en punto" if minutes == 0 else f" y {num2words(minutes, lang=code)}")


# After these words a German ordinal takes the weak ending -n ("am dritten Mai").
GERMAN_WEAK_ENDING = frozenset("am im vom zum beim dem den des einem einen eines "
                               "meinem meinen seinem seinen ihrem ihren".split())
_GERMAN_ORDINAL_BEFORE = ("der die das am im vom zum zur beim dem den des ein eine einem einen "
                          "jeder jede jedem jeden bis ab seit".split())


@dataclass(frozen=True)
class Rewrite:
    """Written text an engine reads wrong, and the sayer that says it instead."""

    pattern: str            # a regular expression; the number is its group `n`
    sayer: str              # a name in SAYERS


# --- the record ----------------------------------------------------------------------

def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Language:
    """What the program knows of one language. `code` is its ISO 639-1 code."""

    code: str
    name: str                                  # in English, for messages
    iso639_2: str      # ISO 639-2/T: ID3 TLAN and COMM, a video's subtitle track
    # Written -> spoken; "" where the voices already read it right. None of them ends a
    # sentence, even before a capital ("Dra. Neff", "z.B. Atem", "M. Dupont").
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    # Those that also end sentences ("usw.", "etc."): one ends a sentence before a capital.
    ending_abbreviations: frozenset[str] = frozenset()
    openers: str = ""                          # marks that open a sentence: ¿ ¡
    closed_by_mark: bool = False               # 。！？ end a sentence with no space after
    decimal_comma: bool = True                 # 3,5 is three and a half (a phrase never cuts it)
    rewrites: tuple[Rewrite, ...] = ()
    # Numbers followed by a period that are ordinals, not a sentence's end: after one of
    # these words, or before a month's name (German "am 3. Mai", "der 2. Atemzug").
    ordinal_dot_after: frozenset[str] = frozenset()
    breath_words: Mapping[str, str] = field(default_factory=dict)   # in, hold, out
    page_words: Mapping[str, str] = field(default_factory=dict)     # see PAGE_WORDS
    # espeak-ng's voice for the language; None: any of its voices of the language; "": none
    # of them can read the language's text (`espeak_note` says why).
    espeak_voice: str | None = None
    espeak_note: str = ""
    calm_voices: tuple[str, ...] = ()           # piper voices suggested (docs/voices.md)

    @property
    def abbreviation_keys(self) -> frozenset[str]:
        """The abbreviations that never end a sentence, lower case, without the last period."""
        return frozenset(a.rstrip(".").lower() for a in self.abbreviations
                         if a not in self.ending_abbreviations)


# The words of the podcast page and of a video's description, by key.
PAGE_WORDS = ("episodes", "chapters", "captions", "transcript", "subscribe", "feed", "minutes",
              "download", "language_name", "no_episodes")

ENGLISH = Language(
    code="en", name="English", iso639_2="eng",
    ending_abbreviations=frozenset({"etc."}),
    abbreviations=_frozen({"Dr.": "", "Mr.": "", "Mrs.": "", "Ms.": "", "St.": "", "Prof.": "",
                           "e.g.": "", "i.e.": "", "etc.": "", "vs.": ""}),
    decimal_comma=False,
    breath_words=_frozen({"in": "Breathe in", "hold": "Hold", "out": "and out"}),
    page_words=_frozen({"episodes": "Episodes", "chapters": "Chapters", "captions": "Captions",
                        "transcript": "Transcript", "subscribe": "Subscribe",
                        "feed": "Podcast feed", "minutes": "min", "download": "Download the audio",
                        "language_name": "English",
                        "no_episodes": "No episodes yet."}),
    espeak_voice="gmw/en-US",
    calm_voices=("en_US-amy-medium", "en_US-lessac-medium", "en_GB-alba-medium",
                 "en_US-ryan-medium"),
)

SPANISH = Language(
    code="es", name="Spanish", iso639_2="spa",
    ending_abbreviations=frozenset({"etc."}),
    abbreviations=_frozen({"Dr.": "", "Dra.": "", "Sr.": "", "Sra.": "", "Srta.": "",
                           "Ud.": "", "Uds.": "", "Lic.": "licenciado", "etc.": "etcétera",
                           "p. ej.": "por ejemplo", "aprox.": "", "pág.": "página",
                           "núm.": "número", "Dña.": "doña", "D.": "don"}),
    openers="¿¡",
    rewrites=(Rewrite(r"\b(?P<n>\d+)\.?ª", "ordinal_feminine"),
              Rewrite(r"\b(?P<n>\d+)\.?º", "ordinal"),
              Rewrite(r"\b(?P<n>[13])\.?er\b", "ordinal_short"),
              Rewrite(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b", "time_es")),
    breath_words=_frozen({"in": "Inhala", "hold": "Sostén", "out": "y exhala"}),
    page_words=_frozen({"episodes": "Episodios", "chapters": "Capítulos",
                        "captions": "Subtítulos", "transcript": "Transcripción",
                        "subscribe": "Suscribirse", "feed": "Feed del pódcast",
                        "minutes": "min", "download": "Descargar",
                        "language_name": "Español",
                        "no_episodes": "Todavía no hay episodios."}),
    espeak_voice="roa/es",
    calm_voices=("es_ES-davefx-medium", "es_MX-claude-high", "es_ES-sharvard-medium"),
)

GERMAN = Language(
    code="de", name="German", iso639_2="deu",
    ending_abbreviations=frozenset({"usw.", "etc."}),
    abbreviations=_frozen({"Dr.": "Doktor", "Prof.": "Professor", "Fr.": "Frau", "Hr.": "Herr",
                           "z.B.": "zum Beispiel", "z. B.": "zum Beispiel",
                           "usw.": "und so weiter", "bzw.": "beziehungsweise",
                           "d.h.": "das heißt", "d. h.": "das heißt", "ca.": "circa",
                           "Nr.": "Nummer", "evtl.": "eventuell", "ggf.": "gegebenenfalls",
                           "u.a.": "unter anderem", "vgl.": "vergleiche", "etc.": "etcetera",
                           "bzgl.": "bezüglich", "sog.": "sogenannt"}),
    rewrites=(Rewrite(r"\b(?P<before>(?i:" + "|".join(_GERMAN_ORDINAL_BEFORE) + r"))\s+"
                      r"(?P<n>\d{1,3})\.(?=\s+\w)", "ordinal_inflected"),),
    ordinal_dot_after=frozenset(_GERMAN_ORDINAL_BEFORE),
    breath_words=_frozen({"in": "Einatmen", "hold": "Halten", "out": "und ausatmen"}),
    page_words=_frozen({"episodes": "Folgen", "chapters": "Kapitel", "captions": "Untertitel",
                        "transcript": "Transkript", "subscribe": "Abonnieren",
                        "feed": "Podcast-Feed", "minutes": "Min.", "download": "Herunterladen",
                        "language_name": "Deutsch",
                        "no_episodes": "Noch keine Folgen."}),
    espeak_voice="gmw/de",
    calm_voices=("de_DE-thorsten-medium", "de_DE-eva_k-x_low", "de_DE-kerstin-low"),
)

FRENCH = Language(
    code="fr", name="French", iso639_2="fra",
    ending_abbreviations=frozenset({"etc."}),
    abbreviations=_frozen({"M.": "Monsieur", "MM.": "Messieurs", "Mme": "", "Mlle": "",
                           "Dr": "", "Dr.": "docteur", "etc.": "", "p. ex.": "par exemple",
                           "cf.": "", "env.": "environ", "St.": "saint", "Ste.": "sainte"}),
    rewrites=(Rewrite(r"\b(?P<n>\d+)(?:e|è|ème|eme)\b", "ordinal"),),
    breath_words=_frozen({"in": "Inspirez", "hold": "Retenez", "out": "et expirez"}),
    page_words=_frozen({"episodes": "Épisodes", "chapters": "Chapitres",
                        "captions": "Sous-titres", "transcript": "Transcription",
                        "subscribe": "S’abonner", "feed": "Flux du podcast",
                        "minutes": "min", "download": "Télécharger",
                        "language_name": "Français",
                        "no_episodes": "Pas encore d’épisodes."}),
    espeak_voice="roa/fr",
    calm_voices=("fr_FR-siwis-medium", "fr_FR-upmc-medium"),
)

ITALIAN = Language(
    code="it", name="Italian", iso639_2="ita",
    ending_abbreviations=frozenset({"ecc."}),
    abbreviations=_frozen({"Sig.": "signor", "Sig.ra": "signora", "Dott.": "dottor",
                           "Dott.ssa": "dottoressa", "Prof.": "professor", "ecc.": "eccetera",
                           "es.": "ad esempio", "p.es.": "per esempio"}),
    breath_words=_frozen({"in": "Inspira", "hold": "Trattieni", "out": "ed espira"}),
    page_words=_frozen({"episodes": "Episodi", "chapters": "Capitoli", "captions": "Sottotitoli",
                        "transcript": "Trascrizione", "subscribe": "Iscriviti",
                        "feed": "Feed del podcast", "minutes": "min", "download": "Scarica",
                        "language_name": "Italiano",
                        "no_episodes": "Ancora nessun episodio."}),
    espeak_voice="roa/it",
    calm_voices=("it_IT-paola-medium", "it_IT-riccardo-x_low"),
)

PORTUGUESE = Language(
    code="pt", name="Portuguese", iso639_2="por",
    ending_abbreviations=frozenset({"etc."}),
    abbreviations=_frozen({"Sr.": "senhor", "Sra.": "senhora", "Dr.": "doutor",
                           "Dra.": "", "Prof.": "professor", "etc.": "", "p. ex.": "por exemplo",
                           "V. Exa.": "vossa excelência"}),
    rewrites=(Rewrite(r"\b(?P<n>\d+)\.?ª", "ordinal_feminine"),),
    breath_words=_frozen({"in": "Inspire", "hold": "Segure", "out": "e expire"}),
    page_words=_frozen({"episodes": "Episódios", "chapters": "Capítulos", "captions": "Legendas",
                        "transcript": "Transcrição", "subscribe": "Assinar",
                        "feed": "Feed do podcast", "minutes": "min", "download": "Baixar",
                        "language_name": "Português",
                        "no_episodes": "Ainda não há episódios."}),
    espeak_voice="roa/pt",
    calm_voices=("pt_BR-faber-medium", "pt_PT-tugão-medium"),
)

DUTCH = Language(
    code="nl", name="Dutch", iso639_2="nld",
    ending_abbreviations=frozenset({"enz."}),
    abbreviations=_frozen({"dhr.": "de heer", "Dhr.": "de heer", "mevr.": "mevrouw",
                           "Mevr.": "mevrouw", "bijv.": "bijvoorbeeld", "enz.": "",
                           "d.w.z.": "dat wil zeggen", "o.a.": "onder andere", "Dr.": "dokter",
                           "ca.": "circa", "nr.": "nummer"}),
    rewrites=(Rewrite(r"\b(?P<n>\d+)(?:e|ste|de)\b", "ordinal"),),
    breath_words=_frozen({"in": "Adem in", "hold": "Vasthouden", "out": "en adem uit"}),
    page_words=_frozen({"episodes": "Afleveringen", "chapters": "Hoofdstukken",
                        "captions": "Ondertiteling", "transcript": "Transcript",
                        "subscribe": "Abonneren", "feed": "Podcastfeed", "minutes": "min",
                        "download": "Downloaden", "language_name": "Nederlands",
                        "no_episodes": "Nog geen afleveringen."}),
    espeak_voice="gmw/nl",
    calm_voices=("nl_NL-mls-medium", "nl_BE-nathalie-medium"),
)

JAPANESE = Language(
    code="ja", name="Japanese", iso639_2="jpn",
    closed_by_mark=True, decimal_comma=False,
    breath_words=_frozen({"in": "吸って", "hold": "止めて", "out": "吐いて"}),
    page_words=_frozen({"episodes": "エピソード", "chapters": "チャプター", "captions": "字幕",
                        "transcript": "文字起こし", "subscribe": "購読",
                        "feed": "ポッドキャストのフィード", "minutes": "分",
                        "download": "ダウンロード", "language_name": "日本語",
                        "no_episodes": "エピソードはまだありません。"}),
    espeak_voice="",
    espeak_note=("espeak-ng's Japanese voice (`jpx/ja`) reads only kana: it says every kanji as "
                 "\"Chinese letter\", so it is not used; piper's catalogue has no Japanese voice"),
)

LANGUAGES: dict[str, Language] = {language.code: language for language in (
    ENGLISH, SPANISH, GERMAN, FRENCH, ITALIAN, PORTUGUESE, DUTCH, JAPANESE)}


def language(code: str | None) -> Language:
    """The record for a language code (`es`, `es-MX`, `pt_BR`); a language with no record
    gets the plain rules (sentences at `. ! ? …`, no abbreviations, no rewrites) and
    English page words, under its own code."""
    base = base_code(code)
    found = LANGUAGES.get(base)
    if found is not None:
        return found
    return _plain(base)


@cache
def _plain(code: str) -> Language:
    return Language(code=code, name=code, iso639_2=ISO639_2.get(code, "und"),
                    breath_words=ENGLISH.breath_words, page_words=ENGLISH.page_words)


def base_code(code: str | None) -> str:
    """`es-MX` -> `es`; `pt_BR` -> `pt`; None -> `en`."""
    return re.split(r"[-_]", code or "en", maxsplit=1)[0].lower()


# ISO 639-2 (terminology, as ffmpeg and MP4 use them) codes for languages without a record of their own.
ISO639_2 = {"ar": "ara", "ca": "cat", "cs": "ces", "da": "dan", "el": "ell", "fi": "fin",
            "he": "heb", "hi": "hin", "hu": "hun", "is": "isl", "ko": "kor", "no": "nor",
            "nb": "nob", "pl": "pol", "ro": "ron", "ru": "rus", "sv": "swe", "tr": "tur",
            "uk": "ukr", "vi": "vie", "zh": "zho", "id": "ind", "fa": "fas", "sk": "slk"}


# --- sentences -----------------------------------------------------------------------

_CLOSERS = "\"'”’»)]」』）】"
_QUOTES_OPEN = "\"'“‘«(¿¡「『（"


def split_sentences(text: str, code: str | None = "en") -> list[str]:
    """Split text into sentences, as a reader of the language would: at `.`, `!`, `?` or `…`
    before a capital, a digit or a sentence opener (`¿`, `¡`); at `。！？` with or without a
    space; closing quotes and brackets stay with their sentence; an abbreviation of the
    language ("Dra.", "z.B.", "M.") and a German ordinal ("am 3. Mai") end none.

    >>> split_sentences("Breathe in.  Breathe out! Rest… Now, Dr. Lee says: 3 breaths? Yes.")
    ['Breathe in.', 'Breathe out!', 'Rest…', 'Now, Dr. Lee says: 3 breaths?', 'Yes.']
    >>> split_sentences("¿Dónde lo sientes? ¿En el pecho? La Dra. Neff dice: ¡Esto duele!", "es")
    ['¿Dónde lo sientes?', '¿En el pecho?', 'La Dra. Neff dice: ¡Esto duele!']
    >>> split_sentences("息を吸います。吐きます。「静かに。」", "ja")
    ['息を吸います。', '吐きます。', '「静かに。」']
    """
    rules = language(code)
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for end in _sentence_ends(text, rules):
        candidate = text[start:end].strip()
        if candidate:
            sentences.append(candidate)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


@cache
def _end_pattern(closed_by_mark: bool, openers: str) -> re.Pattern[str]:
    closers = re.escape(_CLOSERS)
    if closed_by_mark:
        # 。！？ (and ! ? . followed by a space) end a sentence whatever follows.
        return re.compile(rf"(?:[。！？]+|[.!?…]+(?=\s))(?:\s?[{closers}])*\s*")
    starts = re.escape(_QUOTES_OPEN + openers)
    return re.compile(rf"(?<=[.!?…])(?:\s?[{closers}])*\s+(?=(?:[{starts}]\s?)*[^\W_])")


def _sentence_ends(text: str, rules: Language) -> list[int]:
    ends = []
    for match in _end_pattern(rules.closed_by_mark, rules.openers).finditer(text):
        if not rules.closed_by_mark and not _starts_sentence(text, match.end(), rules):
            continue
        if not rules.closed_by_mark and _ends_without_sentence(text[:match.start()], text,
                                                               match.end(), rules):
            continue
        ends.append(match.end())
    return ends


def _starts_sentence(text: str, at: int, rules: Language) -> bool:
    """A sentence starts with a capital or a digit, after any opening quote or opener."""
    rest = text[at:].lstrip(_QUOTES_OPEN + rules.openers + " ")
    if text[at:at + 1] in rules.openers:
        return True
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit())


def _ends_without_sentence(before: str, text: str, after: int, rules: Language) -> bool:
    """The period before `after` belongs to an abbreviation or an ordinal."""
    words = before.rstrip(_CLOSERS).split(" ")
    last = words[-1].rstrip(".").lower()
    two = " ".join(words[-2:]).rstrip(".").lower()
    if last in rules.abbreviation_keys or two in rules.abbreviation_keys:
        return True
    if rules.ordinal_dot_after and last.isdigit() and before.endswith("."):
        previous = words[-2].lower() if len(words) > 1 else ""
        following = text[after:].split(" ", 1)[0].strip(".,;:!?").lower()
        return previous in rules.ordinal_dot_after or following in month_names(rules.code)
    return False


@cache
def month_names(code: str) -> frozenset[str]:
    """The names of the months in a language, from Babel's locale data (lower case)."""
    from babel import Locale, UnknownLocaleError

    try:
        months = Locale.parse(code).months["format"]["wide"]
    except (UnknownLocaleError, ValueError, KeyError):
        return frozenset()
    return frozenset(name.lower() for name in months.values())


# --- what the voice is given -------------------------------------------------------

def spoken_form(text: str, code: str | None) -> str:
    """The text as the voice should be given it: abbreviations the voices misread said in
    full, and the numbers they misread (ordinals, some times) in words.

    >>> spoken_form("z.B. am 3. Mai, usw.", "de")
    'zum Beispiel am dritten Mai, und so weiter.'
    >>> spoken_form("El 1.er paso, la 2.ª vez, a las 10:05.", "es")
    'El primer paso, la segunda vez, a las diez y cinco.'
    >>> spoken_form("M. Dupont, le 2e jour.", "fr")
    'Monsieur Dupont, le deuxième jour.'
    """
    rules = language(code)
    for pattern, spoken in _abbreviation_rules(rules.code):
        text = pattern.sub(_in_full(spoken), text)
    for rewrite in rules.rewrites:
        sayer = SAYERS[rewrite.sayer]
        text = re.sub(rewrite.pattern, _say_with(sayer, rules.code), text)
    return text


def _in_full(spoken: str) -> Callable[[re.Match[str]], str]:
    """An abbreviation said in full; the period of one that ends the text ends it still."""
    def say(match: re.Match[str]) -> str:
        ends = match.group().endswith(".") and match.end() == len(match.string)
        return spoken + ("." if ends else "")
    return say


def _say_with(sayer: Sayer, code: str) -> Callable[[re.Match[str]], str]:
    def say(match: re.Match[str]) -> str:
        said = sayer(match, code)
        before = match.groupdict().get("before")
        return f"{before} {said}" if before else said
    return say


@cache
def _abbreviation_rules(code: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    rules = language(code)
    written = sorted((a for a, spoken in rules.abbreviations.items() if spoken), key=len,
                     reverse=True)
    return tuple((re.compile(rf"(?<![\w.]){re.escape(a)}(?=\s|$|[,;:])"),
                  rules.abbreviations[a]) for a in written)


def long_date(date: datetime.date, code: str | None) -> str:
    """A date as the language writes it in full, from Babel's locale data.

    >>> long_date(datetime.date(2026, 5, 3), "es"), long_date(datetime.date(2026, 5, 3), "de")
    ('3 de mayo de 2026', '3. Mai 2026')
    """
    from babel import UnknownLocaleError
    from babel.dates import format_date

    try:
        return str(format_date(date, format="long", locale=(code or "en").replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return str(format_date(date, format="long", locale="en"))
