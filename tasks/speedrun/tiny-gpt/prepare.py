"""Sample the tiny-GPT corpus from the word-bigram grammar and write it as flat uint8 token files.

public/train.bin  2,000,000 tokens the record scripts train on
public/val.bin    a dev slice (32,768 tokens) for scripts that log their own loss, sampled separately
private/val.bin   the evaluation slice (32,768 tokens); never public, so a timed script cannot memorise it
public/meta.json  alphabet, context length and the corpus's entropy rate

A token is a character's index in the grammar's alphabet (space and a-z). Python's `random` with fixed seeds keeps
the files byte-identical on every machine, so the manifest can pin their SHA-256.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

TRAIN_TOKENS = 2_000_000
VAL_TOKENS = 32_768
CONTEXT = 64  # the evaluator scores non-overlapping windows of this length
TRAIN_SEED = 1
VAL_SEED = 2
DEV_SEED = 3


def _sample(grammar: dict[str, object], n_chars: int, seed: int) -> bytes:
    words: list[str] = grammar["words"]  # type: ignore[assignment]
    successors: list[list[int]] = grammar["successors"]  # type: ignore[assignment]
    probabilities: list[float] = grammar["successor_probabilities"]  # type: ignore[assignment]
    alphabet: str = grammar["alphabet"]  # type: ignore[assignment]
    rng = random.Random(seed)
    current = rng.randrange(len(words))
    pieces: list[str] = []
    total = 0
    while total < n_chars + 1:
        pieces.append(words[current])
        total += len(words[current]) + 1
        current = rng.choices(successors[current], probabilities)[0]
    text = " ".join(pieces)[:n_chars]
    index = {char: i for i, char in enumerate(alphabet)}
    return bytes(index[char] for char in text)


def prepare(raw: Path, public: Path, private: Path) -> None:
    grammar = json.loads((raw / "grammar.json").read_text())
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    (public / "train.bin").write_bytes(_sample(grammar, TRAIN_TOKENS, TRAIN_SEED))
    (public / "val.bin").write_bytes(_sample(grammar, VAL_TOKENS, DEV_SEED))
    (private / "val.bin").write_bytes(_sample(grammar, VAL_TOKENS, VAL_SEED))
    meta = {
        "alphabet": grammar["alphabet"],
        "vocab_size": len(grammar["alphabet"]),
        "context": CONTEXT,
        "train_tokens": TRAIN_TOKENS,
        "val_tokens": VAL_TOKENS,
        "entropy_nats_per_char": grammar["entropy_nats_per_char"],
    }
    (public / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
