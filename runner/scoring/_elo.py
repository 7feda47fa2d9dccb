"""Arena-style ratings: per-task pairwise matches, a Bradley-Terry fit on the Elo scale, bootstrap intervals.

Conventions follow Chatbot Arena's maximum-likelihood Elo: the chance that agent `a` beats agent `b` is
``1 / (1 + 10 ** ((R_b - R_a) / 400))``, a tie counts as half a win for each side, and ratings are centred
so that their mean is 1000.

Perfect separation (an agent that wins, or loses, every comparison it is in) has no finite maximum-likelihood
estimate, so the fit adds a tiny L2 penalty ``L2_PENALTY / 2 * sum(theta ** 2)`` on the ratings in natural
log-odds units (``theta = (R - 1000) * ln(10) / 400``). It is small enough that on data without separation the
ratings move by well under half a rating point against the unpenalised fit (pass ``l2=0`` to get that fit),
and large enough that a separated agent ends up finite, a couple of thousand points away from the rest.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, sparse
from scipy.sparse import csgraph
from scipy.special import expit, log_expit

__all__ = [
    "ELO_BASE",
    "ELO_SCALE",
    "L2_PENALTY",
    "bootstrap_ratings",
    "bradley_terry",
    "pairwise_matches",
    "separation",
    "win_matrix",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ELO_BASE = 1000.0
"""Mean of the fitted ratings."""
ELO_SCALE = 400.0
"""Rating points per factor of ten in the odds of winning."""
L2_PENALTY = 1e-5
"""L2 penalty on ratings in natural log-odds units; keeps perfectly separated agents finite."""

_LOG_ODDS_PER_POINT = math.log(10.0) / ELO_SCALE
_RESULT_COLUMNS = ("task", "agent", "seed", "status", "score", "higher_is_better")
_MATCH_COLUMNS = ["task", "a", "b", "winner"]
_WINNER_LABELS = np.array(["a", "b", "tie"], dtype=object)
_DENSE_LIMIT = 50_000_000  # task x pair cells kept as dense matrices in the bootstrap (2 x 400 MB at most)


# ---------------------------------------------------------------------------------------------------------
# Matches
# ---------------------------------------------------------------------------------------------------------


def pairwise_matches(results: pd.DataFrame) -> pd.DataFrame:
    """Turn per-trial results into one match per unordered agent pair per task.

    `results` has one row per trial with columns task, agent, seed, status, score and higher_is_better. An
    agent's task score is the mean of its valid seeds (status ``"ok"`` and a non-null score). An agent with rows
    on a task but no valid seed failed it: a failure loses to any valid score and two failures tie. An agent
    with no rows on a task has no match there. `higher_is_better` must be constant within a task.

    Returns columns task, a, b, winner (``"a"``, ``"b"`` or ``"tie"``) with ``a < b`` lexicographically,
    sorted by task, a, b.
    """
    missing = [column for column in _RESULT_COLUMNS if column not in results.columns]
    if missing:
        raise ValueError(f"results lack columns: {', '.join(missing)}")
    if results.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in _MATCH_COLUMNS})

    direction = results.groupby("task", sort=True)["higher_is_better"].agg(["min", "max"])
    mixed = direction.index[direction["min"].astype(bool) != direction["max"].astype(bool)]
    if len(mixed):
        raise ValueError(f"higher_is_better differs between rows of tasks: {', '.join(map(str, mixed))}")
    higher = direction["min"].astype(bool)

    score = pd.to_numeric(results["score"], errors="coerce").astype("float64")
    valid = (results["status"] == "ok").fillna(False).to_numpy(dtype=bool) & score.notna().to_numpy()
    frame = pd.DataFrame(
        {
            "task": results["task"].to_numpy(),
            "agent": results["agent"].astype(str).to_numpy(),
            "value": score.where(valid).to_numpy(),
        }
    )
    per_agent = frame.groupby(["task", "agent"], sort=True)["value"].mean()
    task_keys = per_agent.index.get_level_values("task")
    agent_keys = per_agent.index.get_level_values("agent")
    agent_names = np.asarray(sorted(set(agent_keys)), dtype=object)
    agent_codes = np.searchsorted(agent_names, np.asarray(agent_keys, dtype=object))
    values = per_agent.to_numpy(dtype=np.float64)
    task_codes, task_names = pd.factorize(task_keys, sort=True)
    signs = np.where(higher.reindex(task_names).to_numpy(dtype=bool), 1.0, -1.0)
    oriented = values * signs[task_codes]

    bounds = np.flatnonzero(np.diff(task_codes, prepend=-1, append=len(task_codes) + 1) != 0)
    chunk_task: list[IntArray] = []
    chunk_a: list[IntArray] = []
    chunk_b: list[IntArray] = []
    for start, stop in itertools.pairwise(bounds):
        count = int(stop - start)
        if count < 2:
            continue
        first, second = np.triu_indices(count, k=1)
        chunk_a.append(first + start)
        chunk_b.append(second + start)
        chunk_task.append(np.full(first.size, task_codes[start], dtype=np.int64))
    if not chunk_a:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in _MATCH_COLUMNS})
    rows_a = np.concatenate(chunk_a)
    rows_b = np.concatenate(chunk_b)
    score_a = oriented[rows_a]
    score_b = oriented[rows_b]
    valid_a = ~np.isnan(score_a)
    valid_b = ~np.isnan(score_b)
    a_wins = valid_a & (~valid_b | (score_a > score_b))
    b_wins = valid_b & (~valid_a | (score_b > score_a))
    outcome = np.where(a_wins, 0, np.where(b_wins, 1, 2))
    return pd.DataFrame(
        {
            "task": np.asarray(task_names)[np.concatenate(chunk_task)],
            "a": agent_names[agent_codes[rows_a]],
            "b": agent_names[agent_codes[rows_b]],
            "winner": _WINNER_LABELS[outcome],
        }
    )


# ---------------------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------------------


class _Pairs:
    """Matches reduced to agent codes: for each match the canonical pair (i < j) and i's score (1, 0.5, 0)."""

    def __init__(self, matches: pd.DataFrame, *, need_task: bool = False) -> None:
        required = ["a", "b", "winner", *(["task"] if need_task else [])]
        missing = [column for column in required if column not in matches.columns]
        if missing:
            raise ValueError(f"matches lack columns: {', '.join(missing)}")
        if matches.empty:
            raise ValueError("no matches to rate")
        a_codes, b_codes, names = _agent_codes(matches["a"], matches["b"])
        if np.any(a_codes == b_codes):
            raise ValueError("a match pits an agent against itself")
        winner = matches["winner"].astype(str)
        known = winner.isin(["a", "b", "tie"]).to_numpy(dtype=bool)
        if not known.all():
            bad = sorted({str(value) for value in winner[~known].unique()})
            raise ValueError(f"winner must be 'a', 'b' or 'tie', got: {', '.join(bad)}")
        codes = np.asarray(pd.Categorical(winner, categories=["a", "b", "tie"]).codes)
        score_a = np.array([1.0, 0.0, 0.5])[codes]
        swap = a_codes > b_codes
        self.names: list[str] = names
        self.low: IntArray = np.where(swap, b_codes, a_codes)
        self.high: IntArray = np.where(swap, a_codes, b_codes)
        self.score: FloatArray = np.where(swap, 1.0 - score_a, score_a)
        self.task: IntArray | None = None
        if need_task:
            self.task = np.asarray(pd.factorize(matches["task"])[0], dtype=np.int64)

    @property
    def size(self) -> int:
        return len(self.names)

    def totals(self) -> tuple[FloatArray, FloatArray]:
        """Return (wins, games): n x n matrices with wins[i, j] = wins of i over j (ties half each)."""
        n = self.size
        flat = self.low * n + self.high
        won = np.bincount(flat, weights=self.score, minlength=n * n).reshape(n, n)
        games = np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.float64)
        wins = won + (games - won).T
        return wins, games + games.T


def _agent_codes(a: pd.Series, b: pd.Series) -> tuple[IntArray, IntArray, list[str]]:
    codes, uniques = pd.factorize(pd.concat([a.astype(str), b.astype(str)], ignore_index=True))
    order = np.argsort(np.asarray(uniques, dtype=object))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    codes = rank[codes].astype(np.int64)
    names = [str(name) for name in np.asarray(uniques, dtype=object)[order]]
    return codes[: len(a)], codes[len(a) :], names


def _components(games: FloatArray, names: list[str]) -> list[list[str]]:
    count, labels = csgraph.connected_components(sparse.csr_matrix(games > 0), directed=False)
    groups: list[list[str]] = [[] for _ in range(count)]
    for name, label in zip(names, labels, strict=True):
        groups[label].append(name)
    return sorted(groups, key=lambda group: group[0])


def _require_connected(games: FloatArray, names: list[str]) -> None:
    groups = _components(games, names)
    if len(groups) > 1:
        listed = "; ".join("{" + ", ".join(group) + "}" for group in groups)
        raise ValueError(
            f"comparison graph is disconnected into {len(groups)} components, so their ratings are not "
            f"comparable: {listed}"
        )


# ---------------------------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------------------------


def _fit(wins: FloatArray, start: FloatArray | None, l2: float) -> FloatArray:
    """Maximum-likelihood log-odds strengths (mean zero) for the win matrix; Newton trust-region via scipy."""
    n = wins.shape[0]
    games = wins + wins.T
    # The likelihood only sees differences; the (sum theta)^2 term pins the free shift at sum theta = 0,
    # where it vanishes, so it changes nothing but the Hessian's null direction.
    shift = 1.0 / n

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        diff = theta[:, None] - theta[None, :]
        total = theta.sum()
        value = -float(np.sum(wins * log_expit(diff))) + 0.5 * l2 * float(theta @ theta) + 0.5 * shift * total**2
        grad = (games * expit(diff)).sum(axis=1) - wins.sum(axis=1) + l2 * theta + shift * total
        return value, np.asarray(grad, dtype=np.float64)

    def hessian(theta: FloatArray) -> FloatArray:
        prob = np.asarray(expit(theta[:, None] - theta[None, :]), dtype=np.float64)
        curvature = games * prob * (1.0 - prob)
        hess = -curvature
        hess[np.diag_indices(n)] += curvature.sum(axis=1) + l2
        return np.asarray(hess + shift, dtype=np.float64)

    x0 = np.zeros(n) if start is None else start - start.mean()
    result = optimize.minimize(
        objective, x0, jac=True, hess=hessian, method="trust-exact", options={"gtol": 1e-9, "maxiter": 500}
    )
    theta: FloatArray = np.asarray(result.x, dtype=np.float64)
    residual = float(np.abs(objective(theta)[1]).max())
    if residual > 1e-6 * max(1.0, float(games.sum(axis=1).max())):
        raise RuntimeError(f"Bradley-Terry fit did not converge: {result.message} (max gradient {residual:.3g})")
    centred: FloatArray = theta - float(theta.mean())
    return centred


def _to_elo(theta: FloatArray) -> FloatArray:
    return np.asarray(ELO_BASE + (theta - theta.mean()) / _LOG_ODDS_PER_POINT, dtype=np.float64)


def bradley_terry(matches: pd.DataFrame, *, l2: float = L2_PENALTY) -> pd.Series:
    """Fit Bradley-Terry ratings on the Elo scale from matches (columns a, b, winner).

    Matches are aggregated to per-pair win counts before fitting (ties add half a win to each side). Returns
    ratings indexed by agent (sorted), named ``"rating"``, with mean 1000. `l2` is the penalty described in
    the module docstring; ``l2=0`` gives the plain maximum-likelihood fit, which diverges under separation.

    Raises ValueError for no matches, malformed matches, or a comparison graph that falls into more than one
    connected component (the message lists the components' agents).
    """
    pairs = _Pairs(matches)
    wins, games = pairs.totals()
    _require_connected(games, pairs.names)
    theta = _fit(wins, None, l2)
    return pd.Series(_to_elo(theta), index=pd.Index(pairs.names, name="agent"), name="rating")


def bootstrap_ratings(
    matches: pd.DataFrame, rounds: int = 1000, seed: int = 0, *, l2: float = L2_PENALTY
) -> pd.DataFrame:
    """Point ratings with 95% percentile bootstrap intervals, resampling tasks with replacement.

    Matches need a task column. Counts are aggregated once to a task x pair matrix; each round draws
    multinomial task weights (`rounds` draws from `numpy.random.default_rng(seed)`), so the round's pair counts
    are a weighted sum of rows, and the fit starts from the full-data ratings. A round whose resample leaves
    agents without comparisons rates the rest; if the resampled comparison graph is disconnected, the round
    is dropped. Bounds come from the rounds in which an agent was rated (NaN if it never was).

    Returns a frame indexed by agent with columns rating (the full-data fit), lower and upper.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    pairs = _Pairs(matches, need_task=True)
    wins, games = pairs.totals()
    _require_connected(games, pairs.names)
    full = _fit(wins, None, l2)

    n = pairs.size
    assert pairs.task is not None
    pair_id, pair_low_high = _pair_index(pairs.low, pairs.high, n)
    n_tasks = int(pairs.task.max()) + 1
    n_pairs = pair_low_high.shape[0]
    cells = pairs.task * n_pairs + pair_id
    won_flat = np.bincount(cells, weights=pairs.score, minlength=n_tasks * n_pairs)
    games_flat = np.bincount(cells, minlength=n_tasks * n_pairs).astype(np.float64)
    task_won: FloatArray | sparse.csr_matrix
    task_games: FloatArray | sparse.csr_matrix
    if n_tasks * n_pairs <= _DENSE_LIMIT:
        task_won = won_flat.reshape(n_tasks, n_pairs)
        task_games = games_flat.reshape(n_tasks, n_pairs)
    else:
        task_won = sparse.csr_matrix(won_flat.reshape(n_tasks, n_pairs))
        task_games = sparse.csr_matrix(games_flat.reshape(n_tasks, n_pairs))
    del won_flat, games_flat

    rng = np.random.default_rng(seed)
    low, high = pair_low_high[:, 0], pair_low_high[:, 1]
    samples = np.full((rounds, n), np.nan)
    chunk = 100
    for begin in range(0, rounds, chunk):
        weights = rng.multinomial(n_tasks, np.full(n_tasks, 1.0 / n_tasks), size=min(chunk, rounds - begin))
        weights = weights.astype(np.float64)
        round_won = np.asarray(task_won.T @ weights.T).T
        round_games = np.asarray(task_games.T @ weights.T).T
        for offset in range(weights.shape[0]):
            matrix = np.zeros((n, n))
            matrix[low, high] = round_won[offset]
            matrix[high, low] = round_games[offset] - round_won[offset]
            samples[begin + offset] = _fit_round(matrix, full, l2)

    with np.errstate(all="ignore"):
        lower = np.nanpercentile(samples, 2.5, axis=0) if np.isfinite(samples).any() else np.full(n, np.nan)
        upper = np.nanpercentile(samples, 97.5, axis=0) if np.isfinite(samples).any() else np.full(n, np.nan)
    return pd.DataFrame(
        {"rating": _to_elo(full), "lower": lower, "upper": upper}, index=pd.Index(pairs.names, name="agent")
    )


def _pair_index(low: IntArray, high: IntArray, n: int) -> tuple[IntArray, IntArray]:
    flat = low * n + high
    keys = np.flatnonzero(np.bincount(flat, minlength=n * n))
    lookup = np.full(n * n, -1, dtype=np.int64)
    lookup[keys] = np.arange(keys.size)
    return lookup[flat], np.stack([keys // n, keys % n], axis=1)


def _fit_round(wins: FloatArray, start: FloatArray, l2: float) -> FloatArray:
    """Elo ratings for one bootstrap round; NaN for unrated agents, all NaN if the round is disconnected."""
    n = wins.shape[0]
    games = wins + wins.T
    present = games.sum(axis=1) > 0
    out = np.full(n, np.nan)
    if present.sum() < 2:
        return out
    if not present.all():
        wins = wins[np.ix_(present, present)]
        games = games[np.ix_(present, present)]
        start = start[present]
    count, _ = csgraph.connected_components(sparse.csr_matrix(games > 0), directed=False)
    if count > 1:
        return out
    out[present] = _to_elo(_fit(wins, start, l2))
    return out


# ---------------------------------------------------------------------------------------------------------
# Separation
# ---------------------------------------------------------------------------------------------------------


def separation(matches: pd.DataFrame) -> pd.DataFrame:
    """Which agents' ratings have no finite maximum-likelihood value, and on which side.

    Agent i "scored against" j when it won or tied a match with j. The maximum-likelihood ratings exist only when
    that directed graph is strongly connected; otherwise its strongly connected groups are ordered, and each
    group's distance to the groups it never scored against, or that never scored against it, is infinite: only
    the L2 penalty makes the fitted number finite, and every bootstrap round puts it at about the same place, so
    its interval says nothing. A group no other agent scored against is unbounded above, one that scored against
    no other agent unbounded below, one between such groups both.

    Returns a frame indexed by agent (sorted) with boolean columns above and below and `group`, the agents of its
    group (comma-separated). Raises ValueError for no matches or malformed matches.
    """
    pairs = _Pairs(matches)
    wins, _ = pairs.totals()
    scored = wins > 0
    count, labels = csgraph.connected_components(sparse.csr_matrix(scored), directed=True, connection="strong")
    above = np.zeros(pairs.size, dtype=bool)
    below = np.zeros(pairs.size, dtype=bool)
    members: dict[int, list[str]] = {}
    for name, label in zip(pairs.names, labels, strict=True):
        members.setdefault(int(label), []).append(name)
    if count > 1:
        for label in range(count):
            inside = labels == label
            # outside the group's own strongly connected part, every match was won by one side: the group is
            # infinitely far above those it scored against and below those that scored against it
            above[inside] = bool(scored[np.ix_(inside, ~inside)].any())
            below[inside] = bool(scored[np.ix_(~inside, inside)].any())
    index = pd.Index(pairs.names, name="agent")
    group = [", ".join(members[int(label)]) for label in labels]
    return pd.DataFrame({"above": above, "below": below, "group": group}, index=index)


# ---------------------------------------------------------------------------------------------------------
# Win matrix
# ---------------------------------------------------------------------------------------------------------


def win_matrix(matches: pd.DataFrame) -> pd.DataFrame:
    """Share of comparisons each row agent won against each column agent (ties count half).

    Indexed by agent on both axes (sorted); NaN on the diagonal and for pairs never compared. Raises
    ValueError for no matches.
    """
    pairs = _Pairs(matches)
    wins, games = pairs.totals()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(games > 0, wins / np.where(games > 0, games, 1.0), np.nan)
    np.fill_diagonal(share, np.nan)
    index = pd.Index(pairs.names, name="agent")
    return pd.DataFrame(share, index=index, columns=index.rename("opponent"))
