"""The solver ladder: real trials of ladder-dummy < ladder-linear < ladder-boosting in the local sandbox, a paired
bootstrap of their graded submissions, a verdict recorded in verification.json per task digest."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spec import load_task
from tests.conftest import REPO, RUNNER, require_bwrap
from tests.validators.test_execute_checks import make_task
from validators import (
    VERIFICATION_FILE,
    LadderRecord,
    VerificationRecord,
    decide,
    record_verification,
    run_ladder,
    validate_paths,
)

PREPARE = """\
from pathlib import Path
import numpy as np
import pandas as pd

def prepare(raw, public, private):
    table = pd.read_csv(Path(raw) / "wine.csv")
    rng = np.random.default_rng(0)
    {target}
    table.insert(0, "id", rng.permutation(len(table)) + 1)
    test = table.sample(frac=0.3, random_state=0)
    train = table.drop(test.index)
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["target"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "target"]].to_csv(Path(private) / "answers.csv", index=False)
    test[["id"]].assign(target=0).to_csv(Path(public) / "sample_submission.csv", index=False)
"""

# Wine's cultivar with a quarter of the labels redrawn at random: learnable, but no model is perfect (on plain wine
# the linear rung is, which the ladder rejects as saturated).
LEARNABLE = PREPARE.format(
    target='table["target"] = np.where(rng.random(len(table)) < 0.25, rng.integers(0, 3, len(table)), table["target"])'
)
# Wine's features with a target drawn at random: nothing to learn, so no rung can beat the prior.
NOISE = PREPARE.format(target='table["target"] = rng.integers(0, 2, len(table))')


def _task(tmp_path: Path, prepare: str) -> Path:
    return make_task(tmp_path, prepare="  script: wine-test/prepare.py", files={"prepare.py": prepare}, solution_c=1.0)


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


def _ladder(manifest: Path, tmp_path: Path) -> LadderRecord:
    [outcome] = run_ladder([load_task(manifest)], tmp_path / "runs", cache_root=tmp_path / "cache")
    assert outcome.record is not None, outcome.reason
    return outcome.record


def _stored(manifest: Path) -> VerificationRecord:
    return VerificationRecord.model_validate_json((manifest.parent / VERIFICATION_FILE).read_text())


def test_a_learnable_task_discriminates_the_rungs_and_is_recorded(tmp_path: Path) -> None:
    manifest = _task(tmp_path, LEARNABLE)
    env = {**os.environ, "COLUMNS": "200"}
    command = [*RUNNER, "ladder", str(manifest), "--runs-dir", str(tmp_path / "runs"),
               "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 task(s), 1 discriminating, 0 rejected" in completed.stdout

    record = _stored(manifest).ladders["wine-test"]
    assert record.verdict == "discriminates" and not record.problems
    assert [rung.agent for rung in record.rungs] == ["ladder-dummy", "ladder-linear", "ladder-boosting"]
    assert all(
        rung.status == "ok" and rung.version and rung.version.startswith("1+") and rung.scikit_learn
        for rung in record.rungs
    )
    dummy, linear, boosting = (rung.score for rung in record.rungs)
    assert dummy is not None and linear is not None and boosting is not None
    assert dummy < 0.5 < min(linear, boosting) <= max(linear, boosting) < 1.0
    # The scores are those of real trials, graded like any agent's.
    result = json.loads((tmp_path / "runs" / record.rungs[1].trial_id / "result.json").read_text())
    assert result["agent"] == "ladder-linear" and result["score"] == linear
    lead = next(gap for gap in record.gaps if (gap.weaker, gap.stronger) == ("ladder-dummy", "ladder-boosting"))
    assert 0 < lead.low <= boosting - dummy <= lead.high

    # Resumable: a second run answers from the record and starts no trial.
    again = run_ladder([load_task(manifest)], tmp_path / "other-runs", cache_root=tmp_path / "cache")
    assert again[0].from_record and again[0].record == record
    assert not (tmp_path / "other-runs").exists()


def test_a_pure_noise_target_is_rejected_as_indistinct(tmp_path: Path) -> None:
    manifest = _task(tmp_path, NOISE)
    record = _ladder(manifest, tmp_path)
    assert record.verdict == "indistinct" and record.rejected
    assert [problem.code for problem in record.problems if problem.severity == "error"] == ["ladder.indistinct"]
    assert record.problems[0].file == "wine-test.yaml", "recorded problems name files relative to the record"
    assert _stored(manifest).ladders["wine-test"] == record


def test_a_task_the_linear_rung_solves_perfectly_is_rejected_as_saturated(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)  # plain wine: its cultivars are linearly separable
    record = _ladder(manifest, tmp_path)
    assert record.rungs[1].score == 1.0
    assert record.verdict == "saturated"
    assert "ladder.saturated" in {problem.code for problem in record.problems}


def test_the_record_survives_a_refresh_and_goes_stale_with_the_task(tmp_path: Path) -> None:
    manifest = _task(tmp_path, LEARNABLE)
    record = _ladder(manifest, tmp_path)
    path = manifest.parent / VERIFICATION_FILE
    text = path.read_text()
    assert str(tmp_path) not in text, "the record must not hold this machine's paths"
    assert VerificationRecord.model_validate_json(text).model_dump_json() == _stored(manifest).model_dump_json()

    # Recording the execution verdict keeps the ladder's.
    record_verification(validate_paths([manifest], layers=("static", "execute"), cache_root=tmp_path / "cache"),
                        cache_root=tmp_path / "cache")  # fmt: skip
    stored = _stored(manifest)
    assert "wine-test" in stored.tasks and stored.ladders["wine-test"] == record

    # Another digest (an edited task) runs the ladder again; `force` does too.
    (manifest.with_suffix("") / "description.md").write_text("# Wine, edited\n\nFiles: `train.csv`, `test.csv`.\n")
    [outcome] = run_ladder([load_task(manifest)], tmp_path / "runs", cache_root=tmp_path / "cache")
    assert not outcome.from_record and outcome.record is not None
    assert outcome.record.task_digest != record.task_digest
    [forced] = run_ladder([load_task(manifest)], tmp_path / "runs", cache_root=tmp_path / "cache", force=True)
    assert not forced.from_record


def test_decide_names_an_inversion_and_a_tie() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, (200, 1))
    ordered = np.hstack([0.5 + noise, 0.8 + noise, 0.9 + noise])
    verdict, gaps, found = decide(["d", "l", "b"], ordered, saturated=False)
    assert verdict == "discriminates" and not found and len(gaps) == 3
    inverted = np.hstack([0.5 + noise, 0.9 + noise, 0.8 + noise])
    verdict, _, found = decide(["d", "l", "b"], inverted, saturated=False)
    assert verdict == "inverted" and "b scores significantly worse than the weaker l" in found[0][1]
    tied = np.hstack([0.5 + noise, 0.5 + rng.normal(0, 0.01, (200, 1))])
    assert decide(["d", "b"], tied, saturated=False)[0] == "indistinct"
    assert decide(["d"], None, saturated=False)[0] == "undecided"


def test_another_agent_joins_the_ladder_above_boosting(tmp_path: Path) -> None:
    # The task's reference solution stands in for the llm agent (which needs a model server): any agent may.
    manifest = _task(tmp_path, LEARNABLE)
    first = _ladder(manifest, tmp_path)
    [outcome] = run_ladder(
        [load_task(manifest)], tmp_path / "runs", cache_root=tmp_path / "cache", extra_agents=("baseline",)
    )
    assert not outcome.from_record, "a record made without the extra rung does not answer for it"
    assert outcome.record is not None
    assert [rung.agent for rung in outcome.record.rungs] == [*(rung.agent for rung in first.rungs), "baseline"]
    assert outcome.record.rungs[-1].status == "ok" and outcome.record.rungs[-1].score is not None
    assert {(gap.stronger, gap.weaker) for gap in outcome.record.gaps} >= {("baseline", "ladder-dummy")}
    assert _stored(manifest).ladders["wine-test"] == outcome.record
