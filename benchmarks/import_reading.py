"""Importing one whole reading: time and peak memory against the reading's length.

    python benchmarks/import_reading.py [--minutes 10] [--keep DIR] [--language es]

Makes a practice from passages of text (one line per sentence) and a reading of it by the
system voice (espeak-ng) at three paces with pauses of 1-4 s between lines, as a phone in a
room hears it (reverb, hiss at -45 dBFS, hum, a band limit; `--dry` for low room noise only),
as long as asked; then runs `audio-builder takes import` on it in a fresh process (every take
listened back included) and reports its wall and CPU time, its peak memory (the largest
resident size of the import and the programs it runs), how many lines it found, what listening
back said, how many takes hold their line's whole speech (each take's cut, as the takes'
index keeps it, against the line's true speech), and then the time to clean every take as a
build does (hum, noise reduction, expander, trim). Targets: import and cleaning at most 0.3
of the reading's length on 2 cores; under 500 MB.

`--language es` (or `de`) reads Spanish (German) sentences with espeak-ng's voice of that
language, for the multilingual recognizer (the `multilingual` extra; it loads 145 MB more, so
its memory target is under 800 MB).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from num2words import num2words  # noqa: E402

from tests.readings import RATE, Reading, Room, save_in_room, speak_quickly  # noqa: E402

# Lines as a teacher writes them, for a reading in another language than English.
SENTENCES = {
    "es": ["Busca una postura cómoda y cierra los ojos.", "¿Dónde lo sientes en el cuerpo?",
           "Este es un momento de sufrimiento.", "Respira despacio, sin prisa.",
           "Pon una mano sobre el corazón y quédate aquí.", "Nota el peso de tu cuerpo en la silla.",
           "Deja que el aire entre y salga solo.", "Si la mente se va, vuelve con suavidad.",
           "No hay nada que hacer ahora mismo.", "Siente la calidez de tu mano.",
           "Cada respiración es un pequeño descanso.", "Puedes ser amable contigo en este momento.",
           "Escucha los sonidos a tu alrededor.", "Suelta los hombros y la mandíbula.",
           "Date lo que necesitas ahora.", "Cuando estés listo, abre los ojos."],
    "de": ["Finde eine bequeme Haltung und schließe die Augen.", "Wo spürst du es im Körper?",
           "Das ist ein Moment des Leidens.", "Atme langsam, ohne Eile.",
           "Lege eine Hand auf dein Herz und bleibe hier.", "Spüre das Gewicht deines Körpers.",
           "Lass den Atem von selbst kommen und gehen.", "Wenn die Gedanken wandern, kehre sanft zurück.",
           "Im Moment gibt es nichts zu tun.", "Spüre die Wärme deiner Hand.",
           "Jeder Atemzug ist eine kleine Pause.", "Du darfst jetzt freundlich mit dir sein.",
           "Lausche den Geräuschen um dich herum.", "Lass die Schultern und den Kiefer los.",
           "Gib dir, was du jetzt brauchst.", "Wenn du bereit bist, öffne die Augen."],
}
AGAIN = {"es": "Otra vez", "de": "Noch einmal"}


def sentences(seeds: Path | None) -> list[str]:
    """Sentences to read: from the .txt passages in `seeds`, else from the lines of the
    practices in the project's scripts/ (lines as teachers write them, all different)."""
    found = []
    for path in sorted(seeds.glob("*.txt")) if seeds and seeds.is_dir() else []:
        text = " ".join(path.read_text(encoding="utf-8").split())
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 3 <= len(s.split()) <= 30]
    if not found:
        for path in sorted((ROOT / "scripts").glob("*.yaml")):
            for row in path.read_text(encoding="utf-8").splitlines():
                text = re.sub(r"^\s*-\s+(say:\s*)?|\[[^]]*\]", "", row).strip().strip("|'\"")
                if re.match(r"^[A-Z][^:#{}]*[.!?]$", text):
                    found += [s for s in re.split(r"(?<=[.!?])\s+", text) if 3 <= len(s.split()) <= 30]
    return list(dict.fromkeys(found))


def make_project(folder: Path, minutes: float, seeds: Path | None, dry: bool = False,
                 language: str = "en") -> tuple[Path, Path, int, dict[str, list[tuple[int, int]]]]:
    (folder / "scripts").mkdir(parents=True)
    (folder / "voices").mkdir()
    (folder / "voices" / "teacher.yaml").write_text("engine: recorded\n")
    reading = Reading()
    reading.pause(1.0)
    lines: list[str] = []
    pool = SENTENCES.get(language) or sentences(seeds)
    voice = None if language == "en" else language
    while reading.length < minutes * 60 * RATE:
        line = pool[len(lines) % len(pool)]
        if len(lines) >= len(pool) and language == "en":   # past the seeds: read again
            line = f"Once more: {line}"
        elif len(lines) >= len(pool):        # a short pool: each round named by its number
            line = f"{AGAIN[language]} {num2words(len(lines) // len(pool) + 1, lang=language)}, {line}"
        reading.add(speak_quickly(line, (115, 140, 165)[len(lines) % 3], voice), line)
        reading.pause((1.2, 2.6, 1.7, 3.8)[len(lines) % 4])
        lines.append(line)
    steps = "\n".join(f"  - {line!r}" for line in lines)
    script = folder / "scripts" / "long.yaml"
    script.write_text(f"title: Long\nlanguage: {language}\nvoice: teacher\nsteps:\n{steps}\n",
                      encoding="utf-8")
    path = folder / "reading.wav"
    saved = reading.save(path) if dry else save_in_room(reading, path, Room())
    return script, saved, reading.length * 1000 // RATE, reading.truth


ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(not found|\S+)\s+(\S*)\s+(ok|CHECK|LONG|-)\s+(.*)$")


def rows_of(output: str) -> list[tuple[str, str, str]]:
    """(found at, status, words) of each row of the import's table."""
    return [(m.group(3), m.group(5), m.group(6).replace("  (kept the take already there)", ""))
            for m in map(ROW.match, output.splitlines()) if m]


def holding(rows: list[tuple[str, str, str]], truth: dict[str, list[tuple[int, int]]],
            soft_ms: int = 150) -> int:
    """How many lines' speech, as found, holds their true speech: starting at most `soft_ms`
    after it (a soft first sound under the room's noise; the take keeps up to 300 ms more)
    and ending at most `soft_ms` before it."""
    from audio_builder.durations import parse_duration

    good = 0
    for where, _, text in rows:
        spans = truth.get(text, [])
        if "-" not in where or not spans:
            continue
        start, end = (parse_duration(part) for part in where.split("-"))
        a, b = read_there(spans, start, end)
        if start <= a + soft_ms and end >= b - soft_ms:
            good += 1
        else:
            print(f"  off: start {start - a:+d} ms, end {end - b:+d} ms: {text[:60]}")
    return good


def read_there(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Of a line's readings, the one a take (from `start` to `end`) overlaps most: a line that
    comes round again in a long practice is one take, read twice."""
    return max(spans, key=lambda span: min(end, span[1]) - max(start, span[0]))


def edges(folder: Path, truth: dict[str, list[tuple[int, int]]]) -> None:
    """Each take's cut (as the takes' index keeps it) against its line's true speech: how many
    start after their first word or end before their last, and the worst by how much; the
    lines with no take."""
    from audio_builder.own_voice.takes_index import read_verdicts
    from audio_builder.speech.takes import take_id

    kept = read_verdicts(folder / "takes" / "teacher")
    late = early = worst = 0
    missing = []
    for line, spans in truth.items():
        listened = kept.get(take_id(line))
        place = listened.place if listened else None
        if place is None:
            missing.append(line)
            continue
        _, start, end = place
        said_from, said_to = read_there(spans, start, end)
        late += start > said_from
        early += end < said_to
        worst = max(worst, start - said_from, said_to - end)
        if start > said_from or end < said_to:
            print(f"  cut into: start {start - said_from:+d} ms, end {end - said_to:+d} ms: {line[:60]}")
    print(f"takes against the true speech: {len(truth) - len(missing)} of {len(truth)} lines have a "
          f"take; {late} start after their first word, {early} end before their last; worst edge "
          f"{worst} ms into the speech")
    for line in missing:
        print(f"  no take: {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--keep", type=Path, help="make the project here and keep it")
    parser.add_argument("--seeds", type=Path, help="a folder of .txt passages to read (default: "
                                                   "numbered lines)")
    parser.add_argument("--dry", action="store_true", help="no room: low noise only")
    parser.add_argument("--language", default="en", choices=["en", *SENTENCES],
                        help="read sentences in this language, with espeak-ng's voice of it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        started = time.monotonic()
        script, reading, length_ms, truth = make_project(folder, args.minutes, args.seeds, args.dry,
                                                         args.language)
        print(f"reading of {length_ms / 60000:.1f} min made in {time.monotonic() - started:.0f} s")
        exe = Path(sys.executable).with_name("audio-builder")
        before = children_cpu()                 # making the reading ran espeak-ng
        started = time.monotonic()
        result = subprocess.run([str(exe), "takes", "import", str(script), str(reading)], cwd=folder,
                                capture_output=True, text=True)
        seconds = time.monotonic() - started
        cpu = children_cpu() - before
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = rows_of(result.stdout)
        status = {name: sum(row[1] == name for row in rows) for name in ("ok", "CHECK", "LONG", "-")}
        print(f"import: {seconds:.0f} s wall, {cpu:.0f} s CPU for {length_ms / 1000:.0f} s of reading "
              f"({seconds * 1000 / length_ms:.2f} and {cpu * 1000 / length_ms:.2f} of its length; "
              f"target at most 0.3), peak memory {peak_mb:.0f} MB (target under 500)")
        print(f"lines found {len(rows) - status['-']} of {len(rows)}; listened back: {status['ok']} ok, "
              f"{status['CHECK']} to check, {status['LONG']} too long to cut")
        print(f"found speech holds the whole line (start and end within 150 ms): "
              f"{holding(rows, truth)} of {len(rows) - status['-']}")
        edges(folder, truth)
        before, started = children_cpu(), time.monotonic()
        subprocess.run([sys.executable, "-c", CLEAN_EVERY_TAKE, str(folder / "takes" / "teacher")],
                       check=True)
        clean_wall, clean_cpu = time.monotonic() - started, children_cpu() - before
        print(f"cleaning every take as a build does: {clean_wall:.0f} s wall, {clean_cpu:.0f} s CPU; "
              f"import and cleaning: {(seconds + clean_wall) * 1000 / length_ms:.2f} of the reading's "
              f"length in wall time, {(cpu + clean_cpu) * 1000 / length_ms:.2f} in CPU time "
              "(target at most 0.3)")
        if result.returncode not in (0, 1):
            print(result.stderr[-2000:])


CLEAN_EVERY_TAKE = """
import sys
from pathlib import Path
from audio_builder.speech.takes import clean_take, read_take
for path in sorted(Path(sys.argv[1]).glob("*.wav")):
    clean_take(read_take(path), path)
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
