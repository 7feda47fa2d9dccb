"""Score a character language model on the dev or test reviews (protected: a pristine copy is always used).

    python evaluate.py --split dev --artefact lm --public /data
    python evaluate.py --split test --artefact lm --public /data --private DIR   (after the agent stops)

The artefact is a folder holding `model.py`, which defines `load(folder)`; the returned object's
`next_char_probs(context)` gets the current review's text so far and returns the probabilities of the next
character over the 96 symbols of vocab.json. The model runs in its own process and is given the reviews one
character at a time, so it never sees a character before it has predicted it. Prints one JSON object as its
last line: `bits_per_char` (the primary metric, lower is better) and `perplexity` (2 ** bits_per_char).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

import benchsmith_guard as guard  # the runner puts it beside this file in /task
import numpy as np

STEP_TIMEOUT_S = 5.0
LOAD_TIMEOUT_S = 120.0
PROBABILITY_FLOOR = 1e-9


class ModelError(Exception):
    """The model failed to load, raised, was too slow or returned something that is not a distribution."""


def serve(folder: Path, size: int) -> None:
    """Child side: one request per line ("R" starts a review, a number appends that symbol); binary replies."""
    out = os.fdopen(os.dup(1), "wb")
    sys.stdout = sys.stderr
    random.seed(0)
    np.random.seed(0)
    vocab = json.loads(sys.stdin.readline())

    def fail(message: str) -> None:
        out.write(b"E" + message.replace("\n", " ").encode() + b"\n")
        out.flush()

    try:
        sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location("model", folder / "model.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.load(str(folder))
        if "torch" in sys.modules:
            sys.modules["torch"].manual_seed(0)
    except Exception as error:  # any load failure is the model's
        fail(f"cannot load the model: {type(error).__name__}: {error}")
        return
    out.write(b"L")
    out.flush()
    context = ""
    for line in sys.stdin:
        request = line.strip()
        if request == "Q":
            return
        context = "" if request == "R" else context + vocab[int(request)]
        try:
            probs = np.asarray(model.next_char_probs(context), dtype=np.float64)
        except Exception as error:
            fail(f"next_char_probs raised {type(error).__name__}: {error}")
            return
        if probs.shape != (size,):
            fail(f"next_char_probs returned shape {probs.shape}; expected ({size},), one per vocab.json symbol")
            return
        out.write(b"K" + probs.tobytes())
        out.flush()


class Model:
    """Parent side: the model's process."""

    def __init__(self, folder: Path, vocab: list[str]) -> None:
        self.size = len(vocab)
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(folder), "--size", str(self.size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self._send(json.dumps(vocab))
        if self._read(1, LOAD_TIMEOUT_S) != b"L":
            self._error()

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(line.encode() + b"\n")
        except BrokenPipeError:
            raise ModelError("the model's process exited") from None

    def _read(self, count: int, timeout: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        while count:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise ModelError(f"the model took longer than {timeout:g} s")
            chunk = os.read(fd, count)
            if not chunk:
                raise ModelError("the model's process exited")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _error(self) -> None:
        message = bytearray()
        while not message.endswith(b"\n"):
            try:
                message += self._read(1, 1.0)
            except ModelError:
                break
        raise ModelError(message.decode(errors="replace").strip() or "the model's process exited")

    def probs(self, request: str) -> np.ndarray:
        self._send(request)
        if self._read(1, STEP_TIMEOUT_S) != b"K":
            self._error()
        return np.frombuffer(self._read(8 * self.size, STEP_TIMEOUT_S), dtype=np.float64)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._send("Q")
                self.process.wait(timeout=2)
            except (ModelError, subprocess.TimeoutExpired):
                self.process.kill()


def bits(probs: np.ndarray, symbol: int) -> float:
    if not np.isfinite(probs).all() or (probs < 0).any() or probs.sum() <= 0:
        raise ModelError("next_char_probs must return finite, non-negative numbers with a positive sum")
    return -math.log2(max(probs[symbol] / probs.sum(), PROBABILITY_FLOOR))


def evaluate(folder: Path, reviews: list[str], vocab: list[str]) -> dict[str, float]:
    index = {char: position for position, char in enumerate(vocab)}
    model = Model(folder, vocab)
    total = 0.0
    count = 0
    try:
        for review in reviews:
            probs = model.probs("R")
            for char in review:
                symbol = index[char]
                total += bits(probs, symbol)
                count += 1
                if char != "\n":
                    probs = model.probs(str(symbol))
    finally:
        model.close()
    per_char = total / count
    return {"bits_per_char": per_char, "perplexity": 2.0**per_char}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--artefact", type=Path, default=Path("lm"))
    parser.add_argument("--public", type=Path, default=Path("/data"))
    parser.add_argument("--private", type=Path, help="folder holding test.txt (test split only)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve.resolve(), args.size)
        return
    if args.split == "test" and args.private is None:
        sys.exit("--split test needs --private")
    if not (args.artefact / "model.py").is_file():
        sys.exit(f"invalid: {args.artefact}/model.py does not exist; the artefact is a folder holding model.py")
    hidden = guard.private_folder(args.public, args.private)
    if hidden is not None:
        guard.make_undumpable()
    vocab = json.loads((args.public / "vocab.json").read_text(encoding="utf-8"))
    folder = args.public if args.split == "dev" else args.private
    reviews = (folder / f"{args.split}.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    watch = guard.AccessWatch(hidden) if hidden is not None else None
    try:
        result = evaluate(args.artefact.resolve(), reviews, vocab)
    except ModelError as error:
        sys.exit(f"invalid: {error}")
    if watch is not None and watch.touched():
        sys.exit(f"invalid: the model opened the hidden test data in {hidden} while it was being evaluated")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
