"""`espeak:<name>`: speech synthesised offline by espeak-ng from real words and phrases, one row per WAV clip.

Each corpus is a list of texts with their labels, spoken in many voices (espeak-ng's languages and voice variants),
at several speeds and pitches; every clip then gets a seeded lead-in, tail, gain and background hiss, so that no
two clips are the same recording. The voice, speed, pitch and seed of every clip are drawn from the corpus's own
seed, so a corpus is the same table on every machine; its `sha256` column holds each clip's WAV bytes' SHA-256, so
pinning the table (a manifest's `sha256`) pins the audio too: another espeak-ng version that speaks differently
changes the table and preparation fails saying so.

`render_clip(row)` makes one clip's WAV bytes from a row (the task's preparation calls it);
`export_audio_folder(reference, folder)` writes a corpus as `folder/audio/<n>.wav` plus `folder/labels.csv`, the
raw input `runner generate FOLDER --no-llm` takes. Needs the `espeak-ng` program (`apt-get install espeak-ng`).
Clips are 16-bit mono PCM at espeak-ng's 22,050 Hz; every step after synthesis is integer arithmetic, so the bytes do
not depend on the machine's floating point.
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import subprocess
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._registry import DatasetError, DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd

ESPEAK = "espeak-ng"
SAMPLE_RATE = 22050
"""espeak-ng's output rate; clips keep it."""
RENDER_COLUMNS = ("text", "voice", "speed", "pitch", "noise", "seed")
"""The columns `render_clip` reads; a corpus table has them plus its label columns, `file` and `sha256`."""
_TIMEOUT_S = 30

# Voice variants that colour a voice without naming its speaker's sex in the label; a nuisance for word tasks.
_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "croak", "klatt", "klatt2",
             "klatt3", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee", "Michael", "adam", "aunty", "boris",
             "david", "edward", "iven", "john", "linda", "max", "norbert", "paul", "quincy", "robert", "steph",
             "travis")  # fmt: skip
_ENGLISH = ("en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan", "en-us-nyc")
_MALE = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8")

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
_E_SET = ("B", "C", "D", "E", "G", "P", "T", "V", "Z")
_HVD = ("heed", "hid", "head", "had", "hod", "hawed", "hood", "who'd", "hud", "heard")
_WORDS = ("house", "water", "garden", "window", "morning", "river", "market", "yellow", "table", "winter", "paper",
          "little", "number", "people", "mountain", "silver", "kitchen", "orange", "letter", "forest")  # fmt: skip
_SENTENCES = ("you are going home", "the train leaves at nine", "she found the key", "they will come tomorrow",
              "it is raining again", "the shop is closed", "we can start now", "he knows the answer",
              "the door was open", "this is your seat", "the meeting is over", "you like green tea")  # fmt: skip
# Real date phrases: weekday, day of the month, month, in each language's own words (espeak-ng reads the number).
_DATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
           ("January", "March", "April", "June", "July", "October", "December")),
    "de": (("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
           ("Januar", "März", "April", "Juni", "Juli", "Oktober", "Dezember")),
    "fr": (("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
           ("janvier", "mars", "avril", "juin", "juillet", "octobre", "décembre")),
    "es": (("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
           ("enero", "marzo", "abril", "junio", "julio", "octubre", "diciembre")),
    "it": (("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
           ("gennaio", "marzo", "aprile", "giugno", "luglio", "ottobre", "dicembre")),
    "nl": (("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
           ("januari", "maart", "april", "juni", "juli", "oktober", "december")),
}  # fmt: skip
_ACCENTS = (("british-rp", "en-gb-x-rp"), ("scottish", "en-gb-scotland"), ("american", "en-us"),
            ("new-york", "en-us-nyc"), ("caribbean", "en-029"))  # fmt: skip
_LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch"}
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen", "twenty")  # fmt: skip
_GERMAN_DIGITS = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")


@dataclass(frozen=True)
class Clip:
    """One clip to synthesise: its text, labels and the languages/variants its voice may take."""

    text: str
    labels: Mapping[str, object]
    languages: tuple[str, ...] = _ENGLISH
    variants: tuple[str, ...] = _VARIANTS


@dataclass(frozen=True)
class SpeechCorpus:
    """A corpus: `clips` items each spoken `repeats` times with seeded voice, speed and pitch.

    `speeds` and `pitches` are the grids drawn from (espeak-ng's words per minute and 0-99 pitch); `noise` is the
    largest hiss amplitude (of 32,767) drawn per clip; `about` says what is asked and where the text comes from.
    """

    name: str
    about: str
    items: tuple[Clip, ...]
    repeats: int
    seed: int
    speeds: tuple[int, ...] = tuple(range(120, 241, 15))
    pitches: tuple[int, ...] = tuple(range(20, 81, 10))
    noise: tuple[int, int] = (100, 900)
    group: str | None = None
    """A column whose values never straddle a task's split (`text`: test clips say phrases no training clip says),
    when a phrase would otherwise give its label away."""
    curated: bool = False
    """Used by a hand-written task (`tasks/curated/`): the generator leaves it alone, so no generated task repeats
    it."""
    labels: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(dict.fromkeys(key for item in self.items for key in item.labels)))


def _words(words: tuple[str, ...], label: str, values: tuple[object, ...] | None = None, **kwargs: Any
           ) -> tuple[Clip, ...]:  # fmt: skip
    return tuple(Clip(word, {label: value}, **kwargs) for word, value in zip(words, values or words, strict=True))


def _rate_items() -> tuple[Clip, ...]:
    # The rate is drawn per clip by the corpus (see `_rows`); each item is a five-word phrase of common words.
    return tuple(
        Clip(" ".join(_WORDS[(start + step * 3) % len(_WORDS)] for step in range(5)), {})
        for start in range(len(_WORDS))
    )


def _date_items() -> tuple[Clip, ...]:
    items = []
    for language, (days, months) in _DATES.items():
        for index in range(2 * len(days)):
            day = days[index % len(days)]
            text = f"{day} {3 + 2 * index} {months[(index * 3) % len(months)]}"
            # The language's own voice only: the target is the language spoken, not the accent it is read with.
            items.append(Clip(text, {"language": _LANGUAGE_NAMES[language]}, languages=(language,)))
    return tuple(items)


def _count_items() -> tuple[Clip, ...]:
    items = []
    for count in range(1, 6):
        for offset in range(12):
            text = " ".join(_DIGITS[(offset * 7 + position * 3 + count) % 10] for position in range(count))
            items.append(Clip(text, {"count": count}))
    return tuple(items)


CORPORA: dict[str, SpeechCorpus] = {
    corpus.name: corpus
    for corpus in (
        SpeechCorpus(
            "spoken-digits",
            "English digit words, zero to nine, each spoken by many synthetic voices.",
            _words(_DIGITS, "digit", tuple(range(10))),
            repeats=30,
            seed=11,
        ),
        SpeechCorpus(
            "spoken-digits-german",
            "German digit words, null to neun, in espeak-ng's German voice with its variants.",
            _words(_GERMAN_DIGITS, "digit", tuple(range(10)), languages=("de",)),
            repeats=28,
            seed=12,
        ),
        SpeechCorpus(
            "commands",
            "Ten short commands (the Speech Commands vocabulary: yes, no, up, down, left, right, on, off, stop, go).",
            _words(_COMMANDS, "word"),
            repeats=28,
            seed=13,
        ),
        SpeechCorpus(
            "e-set-letters",
            "The English E-set: the letters B, C, D, E, G, P, T, V and Z spoken alone, which differ only in a "
            "short onset (a classic hard set for speech recognisers).",
            _words(_E_SET, "letter"),
            repeats=30,
            seed=14,
        ),
        SpeechCorpus(
            "hvd-vowels",
            "The ten h-vowel-d words phoneticians use to elicit English vowels (heed, hid, head, had, hod, hawed, "
            "hood, who'd, hud, heard): the word, and so the vowel, is the label.",
            _words(_HVD, "word"),
            repeats=28,
            seed=15,
        ),
        SpeechCorpus(
            "date-languages",
            "Dates (weekday, day, month) read in English, German, French, Spanish, Italian and Dutch in each "
            "language's own espeak-ng voice: identify the language.",
            _date_items(),
            repeats=4,
            seed=16,
            group="text",
        ),
        SpeechCorpus(
            "english-accents",
            "Twenty common English words read in five of espeak-ng's English accents (British RP, Scottish, "
            "American, New York, Caribbean): identify the accent.",
            tuple(Clip(word, {"accent": accent}, languages=(voice,)) for word in _WORDS for accent, voice in _ACCENTS),
            repeats=3,
            seed=17,
        ),
        SpeechCorpus(
            "voice-variants",
            "Common English words read by eight of espeak-ng's voice variants (m1 to m8): identify the variant. The "
            "variants are synthetic voices, not people.",
            tuple(Clip(word, {"variant": variant}, variants=(variant,)) for word in _WORDS for variant in _MALE),
            repeats=2,
            seed=18,
            pitches=tuple(range(30, 71, 10)),
            group="voice",
        ),
        SpeechCorpus(
            "speech-rate",
            "Five-word phrases of common English words read at rates from 90 to 330 words per minute: estimate the "
            "rate.",
            _rate_items(),
            repeats=15,
            seed=19,
            speeds=tuple(range(90, 331, 10)),
        ),
        SpeechCorpus(
            "digit-count",
            "Sequences of one to five English digit words: count the digits spoken.",
            _count_items(),
            repeats=5,
            seed=20,
            group="text",
        ),
        SpeechCorpus(
            "question-or-statement",
            "Short English sentences read as statements or, with a question mark, as questions (a rising "
            "intonation): tell which.",
            tuple(
                Clip(sentence + mark, {"sentence_type": kind})
                for sentence in _SENTENCES
                for mark, kind in ((".", "statement"), ("?", "question"))
            ),
            repeats=12,
            seed=21,
            group="text",
        ),
        SpeechCorpus(
            "spoken-digits-french",
            "The digits 0 to 9 read by espeak-ng's French voice with its variants (zéro, un, deux, ...).",
            _words(tuple(str(digit) for digit in range(10)), "digit", tuple(range(10)), languages=("fr",)),
            repeats=28,
            seed=22,
        ),
        SpeechCorpus(
            "spoken-tens",
            "The English tens, twenty to ninety, each spoken by many synthetic voices (thirty, forty and fifty share "
            "their ending).",
            _words(
                ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
                "number",
                (20, 30, 40, 50, 60, 70, 80, 90),
            ),
            repeats=34,
            seed=23,
        ),
        SpeechCorpus(
            "spoken-numbers",
            "English number words from ten to twenty (ten, eleven, ..., nineteen, twenty), each spoken by many "
            "synthetic voices; the teens differ from each other only in their first syllable.",
            _words(_TEENS, "number", tuple(range(10, 21))),
            repeats=32,
            seed=31,
            curated=True,
        ),
    )
}
"""The corpora by name; each is `espeak:<name>`."""

_RENDERED: dict[tuple[str | int | None, ...], bytes] = {}
"""Clips rendered in this process, by their render columns: loading a corpus and preparing a task from it synthesise
each clip once."""


def espeak_version() -> str:
    """The installed espeak-ng's version line; `DatasetError` saying how to install it when it is missing."""
    if shutil.which(ESPEAK) is None:
        raise DatasetError(
            f"the `espeak` datasets need the {ESPEAK} program, which is not installed: `apt-get install {ESPEAK}` "
            "(Debian/Ubuntu)"
        )
    return _version(shutil.which(ESPEAK) or ESPEAK)


@functools.lru_cache(maxsize=8)
def _version(program: str) -> str:
    done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    return done.stdout.strip().split("  Data at:")[0] or f"{ESPEAK} at {program}"


def _synthesise(text: str, voice: str, speed: int, pitch: int) -> Any:
    import numpy as np

    done = subprocess.run(
        [ESPEAK, "--stdout", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdin"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    # espeak-ng writes a 44-byte PCM header whose sizes are placeholders when it streams: the samples follow it.
    if done.returncode != 0 or len(done.stdout) <= 44:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise DatasetError(f"{ESPEAK} could not speak {text!r} with voice {voice!r}: {message or 'no audio'}")
    return np.frombuffer(done.stdout[44:], dtype="<i2")


def wav_bytes(samples: Any, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM WAV bytes of integer `samples`, with no chunk but the format and the data."""
    import numpy as np

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return buffer.getvalue()


def render_clip(row: Mapping[Any, Any]) -> bytes:
    """The WAV bytes of one corpus row (its `RENDER_COLUMNS`): espeak-ng's speech with a seeded lead-in, tail,
    gain and hiss. `DatasetError` when espeak-ng is missing or fails."""
    import numpy as np

    # The program is part of the key: another espeak-ng (a PATH change) must speak again, not reuse these clips.
    text, voice, speed, pitch, noise, seed = (row[column] for column in RENDER_COLUMNS)
    key = (shutil.which(ESPEAK), str(text), str(voice), int(speed), int(pitch), int(noise), int(seed))
    cached = _RENDERED.get(key)
    if cached is not None:
        return cached
    espeak_version()
    speech = _synthesise(str(text), str(voice), int(speed), int(pitch))
    rng = np.random.default_rng(int(seed))
    lead, tail = (int(value) for value in rng.integers(0, SAMPLE_RATE // 5, size=2))
    gain = int(rng.integers(96, 257))  # of 256
    samples = np.zeros(lead + len(speech) + tail, dtype=np.int64)
    samples[lead : lead + len(speech)] = speech.astype(np.int64) * gain // 256
    # Triangular hiss (the sum of two uniform draws), integers only, so the bytes are the same on every machine.
    amplitude = int(noise)
    samples += rng.integers(-amplitude, amplitude + 1, size=len(samples))
    samples += rng.integers(-amplitude, amplitude + 1, size=len(samples))
    data = wav_bytes(np.clip(samples, -32768, 32767))
    if len(_RENDERED) > 20_000:
        _RENDERED.clear()
    _RENDERED[key] = data
    return data


def _drift_hint() -> str:
    try:
        here = espeak_version()
    except DatasetError as error:
        return str(error)
    return (
        f"the clips are synthesised by espeak-ng, and this machine's ({here}) speaks differently from the one the task "
        "was pinned with: install that version, or regenerate the task"
    )


def _rows(corpus: SpeechCorpus) -> list[dict[str, Any]]:
    """The corpus's clips with their seeded voice, speed, pitch, hiss and seed; no two share text, voice, speed and
    pitch."""
    import numpy as np

    rng = np.random.default_rng(corpus.seed)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int, int]] = set()
    for item in corpus.items:
        for _ in range(corpus.repeats):
            while True:
                language = item.languages[int(rng.integers(len(item.languages)))]
                variant = item.variants[int(rng.integers(len(item.variants)))]
                speed = corpus.speeds[int(rng.integers(len(corpus.speeds)))]
                pitch = corpus.pitches[int(rng.integers(len(corpus.pitches)))]
                key = (item.text, f"{language}+{variant}", speed, pitch)
                if key not in seen:
                    break
            seen.add(key)
            noise = int(rng.integers(corpus.noise[0], corpus.noise[1] + 1))
            seed = int(rng.integers(2**31))
            labels = {name: item.labels.get(name) for name in corpus.labels}
            if corpus.name == "speech-rate":
                labels = {"rate": speed}
            rows.append({**labels, "text": item.text, "voice": key[1], "speed": speed, "pitch": pitch,
                         "noise": noise, "seed": seed})  # fmt: skip
    order = rng.permutation(len(rows))
    return [{"file": f"audio/{position:05d}.wav", **rows[int(index)]} for position, index in enumerate(order)]


def load_corpus(name: str) -> pd.DataFrame:
    """The table of corpus `name`: `file`, its label column(s), the `RENDER_COLUMNS` and each clip's `sha256`."""
    import pandas as pd

    corpus = CORPORA.get(name)
    if corpus is None:
        raise DatasetError(f"no speech corpus {name!r}; known: {', '.join(sorted(CORPORA))}")
    from concurrent.futures import ThreadPoolExecutor

    rows = _rows(corpus)
    # Each clip is one espeak-ng process: a few at once keep idle cores busy (the results do not depend on order).
    with ThreadPoolExecutor(max_workers=4) as pool:
        clips = list(pool.map(render_clip, rows))
    for row, clip in zip(rows, clips, strict=True):
        row["sha256"] = hashlib.sha256(clip).hexdigest()
    return pd.DataFrame(rows)


@dataset_provider(
    "espeak",
    package="numpy",
    description="speech synthesised offline by the espeak-ng program (`apt-get install espeak-ng`) from real "
    "words and phrases: spoken digits, commands, letters, vowels, dates in six languages, English accents, voice "
    "variants, speech rate; one row per WAV clip with its labels, synthesis settings and the clip's `sha256`",
    pip="numpy",
    drift_hint=_drift_hint,
)
class EspeakDatasets:
    """The `CORPORA`, each synthesised when loaded (about 25 ms a clip)."""

    def list(self) -> DatasetNames:
        # Listed whether or not espeak-ng is installed: loading one then says how to install it.
        return sorted(CORPORA)

    def load(self, name: str) -> pd.DataFrame:
        return load_corpus(name)


def export_audio_folder(reference: str, folder: Path, *, readme: str | None = None) -> int:
    """Write the corpus `reference` (`espeak:<name>`) as `folder/audio/<n>.wav` plus `folder/labels.csv` (file and
    the label columns); `readme` (default: the corpus's `about`) as `folder/README.md`. Returns the clip count."""
    from runner.preparation import write_csv

    provider, _, name = reference.partition(":")
    if provider != "espeak" or name not in CORPORA:
        raise DatasetError(f"{reference!r} is not a speech corpus; known: espeak:{', espeak:'.join(sorted(CORPORA))}")
    table = load_corpus(name)
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    for row in table.to_dict("records"):
        (folder / str(row["file"])).write_bytes(render_clip(row))
    labels = [column for column in table.columns if column not in (*RENDER_COLUMNS, "sha256")]
    write_csv(table[labels], folder / "labels.csv")
    (folder / "README.md").write_text((readme or CORPORA[name].about) + "\n", encoding="utf-8")
    return len(table)
