"""The opponent pool of the tournament (protected: the evaluator always loads a pristine copy of this file).

Every opponent is `opponent(history, rng) -> move`, where `history` is the list of past rounds as
`(own move, other player's move)` from the opponent's point of view, `rng` a `random.Random` seeded per match,
and a move is 0 (cooperate) or 1 (defect).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

C, D = 0, 1
History = list[tuple[int, int]]
Opponent = Callable[[History, random.Random], int]


def always_cooperate(history: History, rng: random.Random) -> int:
    return C


def always_defect(history: History, rng: random.Random) -> int:
    return D


def tit_for_tat(history: History, rng: random.Random) -> int:
    return history[-1][1] if history else C


def suspicious_tit_for_tat(history: History, rng: random.Random) -> int:
    return history[-1][1] if history else D


def tit_for_two_tats(history: History, rng: random.Random) -> int:
    return D if len(history) >= 2 and history[-1][1] == D and history[-2][1] == D else C


def two_tits_for_tat(history: History, rng: random.Random) -> int:
    return D if any(theirs == D for _, theirs in history[-2:]) else C


def grim_trigger(history: History, rng: random.Random) -> int:
    return D if any(theirs == D for _, theirs in history) else C


def pavlov(history: History, rng: random.Random) -> int:
    # Win-stay, lose-shift: repeat the last move after a good payoff (R or T), switch after a bad one (P or S).
    if not history:
        return C
    mine, theirs = history[-1]
    return mine if theirs == C else 1 - mine


def generous_tit_for_tat(history: History, rng: random.Random) -> int:
    if history and history[-1][1] == D:
        return C if rng.random() < 0.3 else D
    return C


def joss(history: History, rng: random.Random) -> int:
    # Tit for tat that sneaks in a defection one time in ten.
    move = tit_for_tat(history, rng)
    return D if move == C and rng.random() < 0.1 else move


def random_player(history: History, rng: random.Random) -> int:
    return C if rng.random() < 0.5 else D


def alternator(history: History, rng: random.Random) -> int:
    return C if len(history) % 2 == 0 else D


def prober(history: History, rng: random.Random) -> int:
    # Opens C, D, C, C; exploits a player that never retaliated, otherwise plays tit for tat.
    opening = [C, D, C, C]
    if len(history) < len(opening):
        return opening[len(history)]
    if all(theirs == C for _, theirs in history[1:4]):
        return D
    return tit_for_tat(history, rng)


def soft_majority(history: History, rng: random.Random) -> int:
    defections = sum(theirs for _, theirs in history)
    return C if defections * 2 <= len(history) else D


def forgiving_grudger(history: History, rng: random.Random) -> int:
    # Punishes each defection with three defections, then cooperates again.
    for back, (_, theirs) in enumerate(reversed(history[-3:])):
        if theirs == D:
            return D if back < 3 else C
    return C


def adaptive_exploiter(history: History, rng: random.Random) -> int:
    # Defects while the other player keeps cooperating after being exploited; otherwise mirrors their majority.
    if len(history) < 6:
        return C if len(history) < 3 else D
    exploited = [theirs for (mine, _), (_, theirs) in itertools.pairwise(history) if mine == D]
    if exploited and sum(1 - move for move in exploited) / len(exploited) > 0.7:
        return D
    return soft_majority(history, rng)


POOL: dict[str, Opponent] = {
    function.__name__: function
    for function in (
        always_cooperate,
        always_defect,
        tit_for_tat,
        suspicious_tit_for_tat,
        tit_for_two_tats,
        two_tits_for_tat,
        grim_trigger,
        pavlov,
        generous_tit_for_tat,
        joss,
        random_player,
        alternator,
        prober,
        soft_majority,
        forgiving_grudger,
        adaptive_exploiter,
    )
}
