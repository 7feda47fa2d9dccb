"""Score a strategy in the iterated prisoner's dilemma tournament (protected: a pristine copy is always used).

    python evaluate.py --split dev --artefact strategy.py --public /data
    python evaluate.py --split test --artefact strategy.py --public /data --private DIR

(the test split runs after the agent stops) and prints one JSON object as its last line: `score` (mean payoff per
round, averaged over the opponents; higher is better) and `vs_<opponent>`, the mean payoff per round against each
opponent. The strategy runs in its own process and sees only the moves of its matches, never the opponents' code,
seeds or this evaluator's state.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

import benchsmith_guard as guard  # the runner puts it beside this file in /task

HERE = Path(__file__).resolve().parent
MOVE_TIMEOUT_S = 2.0
TOTAL_TIMEOUT_S = 300.0


class StrategyError(Exception):
    """The strategy crashed, answered something other than 0 or 1, or was too slow."""


def _load_module(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(strategy_path: Path) -> None:
    """Child side: answer one move per request line; the strategy's own prints go to stderr."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(strategy_path.parent))
    try:
        strategy = _load_module(strategy_path, "strategy").strategy  # type: ignore[attr-defined]
    except Exception as error:  # any import failure is the strategy's
        protocol.write(f"E cannot load the strategy: {type(error).__name__}: {error}\n")
        return
    history: list[tuple[int, int]] = []
    for line in sys.stdin:
        request = line.split()
        if not request or request[0] == "Q":
            return
        if request[0] == "S":
            history = []
            random.seed(int(request[1]))
            try:
                import numpy

                numpy.random.seed(int(request[1]) % 2**32)
            except ImportError:
                pass
        else:
            history.append((int(request[0][0]), int(request[0][1])))
        try:
            move = strategy(list(history))
        except Exception as error:
            protocol.write(f"E strategy raised {type(error).__name__}: {error}\n")
            return
        if move not in (0, 1) or isinstance(move, float):
            protocol.write(f"E strategy returned {move!r}; a move is 0 (cooperate) or 1 (defect)\n")
            return
        protocol.write(f"{int(move)}\n")


class Player:
    """Parent side: the strategy's process."""

    def __init__(self, strategy_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(strategy_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def ask(self, request: str) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise StrategyError("the strategy's process exited") from None
        ready, _, _ = select.select([self.process.stdout], [], [], MOVE_TIMEOUT_S)
        if not ready:
            raise StrategyError(f"the strategy took longer than {MOVE_TIMEOUT_S:g} s for one move")
        answer = self.process.stdout.readline().strip()
        if answer in ("0", "1"):
            return int(answer)
        raise StrategyError(answer[2:] if answer.startswith("E ") else "the strategy's process exited")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("Q\n")
                self.process.stdin.flush()
                self.process.wait(timeout=2)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()


def play(strategy_path: Path, config: dict) -> dict[str, float]:
    """Run the tournament of `config` (seeded) and return the scores."""
    # In the sandbox the pristine opponents.py sits next to this script in /task; in the task's source folder it
    # is in starter/.
    pool_file = HERE / "opponents.py" if (HERE / "opponents.py").is_file() else HERE / "starter" / "opponents.py"
    opponents = _load_module(pool_file, "opponents").POOL  # type: ignore[attr-defined]
    payoff = {(mine, theirs): value for mine, theirs, value in config["payoffs"]}
    noise = float(config["noise"])
    low, high = config["rounds"]
    master = random.Random(config["seed"])
    player = Player(strategy_path)
    started = time.monotonic()
    totals = dict.fromkeys(config["opponents"], 0)
    rounds_played = dict.fromkeys(config["opponents"], 0)
    # Matches come in a seeded random order, so counting matches does not tell the strategy whom it is facing.
    schedule = [name for name in config["opponents"] for _ in range(config["matches_per_opponent"])]
    master.shuffle(schedule)
    try:
        for name in schedule:
            opponent = opponents[name]
            # The strategy's own seed is a separate draw, so it cannot rebuild the match's generator (the
            # opponent's coin flips, the noise, the match length) from it.
            rng = random.Random(master.randrange(2**31))
            rounds = rng.randint(low, high)
            theirs_history: list[tuple[int, int]] = []
            mine = player.ask(f"S {master.randrange(2**31)}")
            for round_number in range(rounds):
                theirs = opponent(list(theirs_history), rng)
                # Noise: either executed move flips with probability `noise`; both players see what happened.
                if rng.random() < noise:
                    mine = 1 - mine
                if rng.random() < noise:
                    theirs = 1 - theirs
                totals[name] += payoff[(mine, theirs)]
                theirs_history.append((theirs, mine))
                if round_number + 1 < rounds:
                    mine = player.ask(f"{mine}{theirs}")
            rounds_played[name] += rounds
            if time.monotonic() - started > TOTAL_TIMEOUT_S:
                raise StrategyError(f"the tournament took longer than {TOTAL_TIMEOUT_S:g} s")
    finally:
        player.close()
    per_opponent = {name: totals[name] / rounds_played[name] for name in config["opponents"]}
    score = sum(per_opponent.values()) / len(per_opponent)
    return {"score": score, **{f"vs_{name}": value for name, value in per_opponent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test"], default="dev", help="which tournament to play")
    parser.add_argument("--artefact", type=Path, default=Path("strategy.py"), help="module defining strategy()")
    parser.add_argument("--public", type=Path, default=Path(os.environ.get("BENCHSMITH_DATA", "/data")))
    parser.add_argument("--private", type=Path, help="folder holding test.json (test split only)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve.resolve())
        return
    if args.split == "test" and args.private is None:
        sys.exit("--split test needs --private")
    if not args.artefact.is_file():
        sys.exit(f"invalid: {args.artefact} does not exist; write your strategy there")
    hidden = guard.private_folder(args.public, args.private)
    if hidden is not None:
        guard.make_undumpable()
    config_path = args.public / "dev.json" if args.split == "dev" else args.private / "test.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    # The test tournament's seed is what the strategy must not know: it would predict the noise and the
    # opponents' coin flips.
    watch = guard.AccessWatch(hidden) if hidden is not None else None
    try:
        result = play(args.artefact.resolve(), config)
    except StrategyError as error:
        sys.exit(f"invalid: {error}")
    if watch is not None and watch.touched():
        sys.exit(f"invalid: the strategy opened the hidden test tournament in {hidden} while it was being played")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
