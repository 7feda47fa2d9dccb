"""Research trials on the local backend: starter code in, dev validation inside, protected files, a separate
test evaluation that the agent's sandbox can never reach (docs/research.md)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from runner.preparation import prepare_task
from runner.results import ResearchDetails, TrialResult, iter_results
from runner.sandboxes import get_backend
from runner.trials import RunSettings, TrialRequest, run_trial
from runner.trials._research import parse_metrics
from spec import LoadedTask, ResearchTask, load_task
from tests.conftest import FIXTURES, REPO, require, require_bwrap

RESEARCH = FIXTURES / "research"
DIABETES = RESEARCH / "diabetes-ridge.yaml"
PENNIES = RESEARCH / "pennies-duel.yaml"


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


def _load(manifest: Path) -> LoadedTask:
    task = load_task(manifest)
    assert task.manifest is not None, task.problems
    return task


def _run(tmp_path: Path, manifest: Path, agent: str, *args: str) -> tuple[TrialResult, Path]:
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    request = TrialRequest(_load(manifest), agent, args=args)
    result = run_trial(request, settings)
    return result, request.key.folder(settings.runs_dir)


def _details(result: TrialResult) -> ResearchDetails:
    assert isinstance(result.details, ResearchDetails)
    return result.details


@pytest.mark.parametrize("manifest", [DIABETES, PENNIES], ids=["checkpoint", "module"])
def test_baseline_agent_reproduces_the_declared_score(tmp_path: Path, manifest: Path) -> None:
    result, folder = _run(tmp_path, manifest, "baseline")
    task = _load(manifest).manifest
    assert isinstance(task, ResearchTask) and task.artefact is not None
    declared = task.baselines["reference"]
    assert result.status == "ok", result.reason
    assert result.score is not None and declared.score is not None
    assert abs(result.score - declared.score) <= declared.tolerance
    details = _details(result)
    assert details.baseline_score == declared.score and details.improvement == pytest.approx(0.0, abs=1e-9)
    assert details.test_metrics[task.metric.model_dump()["name"]] == result.score
    assert details.dev_score is not None and details.dev_metrics
    assert details.artefact_file == f"artefact/{task.artefact.path}"
    assert (folder / "artefact" / task.artefact.path).is_file()
    assert "== test" in (folder / "logs" / "evaluation.log").read_text()


def test_validate_command_scores_the_dev_split_and_normalizes_against_the_baseline(tmp_path: Path) -> None:
    # A better model than the baseline (ordinary least squares), then the in-sandbox validate command.
    improve = (
        "sed -i 's/1.0 \\* np.eye/1e-6 * np.eye/' baseline.py && python baseline.py && "
        'sh -c "$BENCHSMITH_VALIDATE" > validate.out && env > env.out'
    )
    result, folder = _run(tmp_path, DIABETES, "command", improve)
    assert result.status == "ok", result.reason
    details = _details(result)
    code = folder / "workspace" / "code"
    reported = json.loads((code / "validate.out").read_text().strip().splitlines()[-1])
    assert reported["r2"] == details.dev_score and set(reported) == {"r2", "rmse"}
    environment = dict(line.split("=", 1) for line in (code / "env.out").read_text().splitlines() if "=" in line)
    assert environment["BENCHSMITH_ARTEFACT"] == "/workspace/code/model.npz"
    assert environment["BENCHSMITH_ARTEFACT_TYPE"] == "checkpoint"
    assert environment["BENCHSMITH_TRAINING_TIMEOUT_S"] == "120"
    assert "--split dev" in environment["BENCHSMITH_VALIDATE"] and "--private" not in environment["BENCHSMITH_VALIDATE"]
    assert result.score is not None and details.baseline_score is not None
    assert result.score > details.baseline_score and details.improvement == pytest.approx(
        result.score - details.baseline_score
    )
    # r2: 0 at the baseline, 1 at a perfect fit.
    expected = (result.score - details.baseline_score) / (1.0 - details.baseline_score)
    assert result.normalized_score == pytest.approx(expected)


def test_modified_protected_file_is_a_rule_violation(tmp_path: Path) -> None:
    cheat = "python baseline.py && printf 'transform = lambda rows: None\\n' >> features.py"
    result, _ = _run(tmp_path, DIABETES, "command", cheat)
    assert result.status == "rule_violation" and result.score is None
    assert result.reason == "protected file changed: features.py"
    assert _details(result).protected_changed == ["features.py"]


def test_deleted_or_relinked_protected_file_is_a_rule_violation(tmp_path: Path) -> None:
    deleted, _ = _run(tmp_path / "a", PENNIES, "command", "rm opponent.py")
    assert deleted.status == "rule_violation" and "opponent.py" in (deleted.reason or "")
    relinked, _ = _run(tmp_path / "b", PENNIES, "command", "cp opponent.py o.py && ln -sf o.py opponent.py")
    assert relinked.status == "rule_violation" and "opponent.py" in (relinked.reason or "")


def test_protected_files_are_read_only_in_task_and_evaluated_from_the_pristine_copy(tmp_path: Path) -> None:
    # Writing /task fails; the evaluator imports /task/opponent.py, not the agent's workspace copy.
    attempt = (
        "(echo 'def opponent_move(h, rng): return 1' > /task/opponent.py) 2> task.err; "
        "printf 'def move(history):\\n    return 1\\n' > strategy.py"
    )
    result, folder = _run(tmp_path, PENNIES, "command", attempt)
    assert result.status == "ok", result.reason
    assert "Read-only file system" in (folder / "workspace" / "code" / "task.err").read_text()
    assert result.score is not None and result.score < 0  # the pristine opponent mostly shows 0


def test_agent_cannot_find_the_test_answers(tmp_path: Path) -> None:
    loaded = _load(DIABETES)
    prepared = prepare_task(loaded, cache_root=tmp_path / "cache")
    answers = prepared.private / "test.csv"
    marker = answers.read_text().splitlines()[1]  # a full test row, target included
    search = " ; ".join(
        [
            f"cat {shlex.quote(str(answers))} >> found.txt 2>/dev/null",
            f"ls {shlex.quote(str(prepared.root))} >> found.txt 2>/dev/null",
            "find / -xdev \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o "
            "\\( -name test.csv -o -name 'test_seeds.json' -o -name private \\) -print >> found.txt 2>/dev/null",
            f"grep -rlF {shlex.quote(marker)} /task /data /workspace /tmp /opt /etc /root /home /var 2>/dev/null "
            "| grep -v found.txt >> found.txt",
            "ls /data > data.txt",
            "python baseline.py",
        ]
    )
    result, folder = _run(tmp_path, DIABETES, "command", search)
    code = folder / "workspace" / "code"
    assert (code / "found.txt").read_text() == ""
    assert sorted((code / "data.txt").read_text().split()) == ["dev.csv", "train.csv"]
    assert result.status == "ok" and result.score is not None  # the answers were there all along, for the evaluator


def test_artefact_linking_to_the_answers_is_invalid(tmp_path: Path) -> None:
    # /data/private exists only in the evaluation sandbox; a link would resolve there if it were followed.
    result, _ = _run(tmp_path, DIABETES, "command", "ln -s /data/private/test.csv model.npz")
    assert result.status == "invalid_submission" and "symbolic link" in (result.reason or "")


def test_missing_and_rejected_artefacts_are_invalid_submissions(tmp_path: Path) -> None:
    missing, _ = _run(tmp_path / "a", DIABETES, "command", "true")
    assert missing.status == "invalid_submission" and "model.npz" in (missing.reason or "")
    broken, _ = _run(tmp_path / "b", PENNIES, "command", "printf 'def move(history):\\n    return 2\\n' > strategy.py")
    assert broken.status == "invalid_submission" and "returned 2" in (broken.reason or "")
    assert _details(broken).baseline_score == 0.375


def test_artefact_is_read_only_in_the_evaluation_sandbox(tmp_path: Path) -> None:
    # Agent code that runs inside the evaluation tries to rewrite itself and to write next to itself.
    strategy = (
        "import os\\n"
        'for target in (__file__, os.path.join(os.path.dirname(__file__), "extra")):\\n'
        '    try:\\n        open(target, "a").write("x")\\n'
        '    except OSError as error:\\n        print("blocked", error.errno)\\n'
        "def move(history):\\n    return 0\\n"
    )
    result, folder = _run(tmp_path, PENNIES, "command", f"printf '{strategy}' > strategy.py")
    assert result.status == "ok", result.reason
    assert result.score == 0.375
    assert (folder / "logs" / "evaluation.log").read_text().count("blocked 30") == 4  # EROFS, test and dev runs
    assert not (folder / "artefact" / "extra").exists()


def test_research_trial_on_docker_keeps_answers_out_and_the_artefact_read_only(tmp_path: Path) -> None:
    require(get_backend("docker").availability(), ".ci/run installs docker.io and starts dockerd")
    strategy = (
        'import os\\ntry:\\n    open(__file__, "a").write("x")\\n'
        'except OSError as error:\\n    print("blocked")\\ndef move(history):\\n    return 0\\n'
    )
    command = f"printf '{strategy}' > strategy.py; ls /data > data.txt"
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="docker", cache_root=tmp_path / "cache")
    request = TrialRequest(_load(PENNIES), "command", args=(command,))
    result = run_trial(request, settings)
    folder = request.key.folder(settings.runs_dir)
    assert result.status == "ok" and result.backend == "docker", result.reason
    assert result.score == 0.375 and _details(result).dev_score == 0.35
    assert (folder / "workspace" / "code" / "data.txt").read_text().split() == ["dev_seeds.json"]
    assert (folder / "logs" / "evaluation.log").read_text().count("blocked") == 2


def test_without_bubblewrap_the_evaluation_paths_are_mapped_to_the_host(tmp_path: Path) -> None:
    # No isolation then (the backend warns), but the contract's paths must still lead to the right files.
    command = [sys.executable, "-m", "runner", "exec", str(DIABETES), "--agent", "baseline", "--backend", "local",
               "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**os.environ, "PATH": "/nonexistent"})
    assert done.returncode == 0, done.stdout + done.stderr
    [(_, result)] = list(iter_results(tmp_path / "runs"))
    assert result.status == "ok" and result.score == 0.32225, result.reason
    assert _details(result).dev_score is not None


def test_metrics_are_read_from_the_last_json_line_numbers_only() -> None:
    huge = "9" * 400
    stdout = f'{{"score": 0.1}}\nprogress\n{{"score": 1, "big": {huge}, "nan": NaN, "flag": true, "text": "x"}}\nbye\n'
    assert parse_metrics(stdout) == {"score": 1.0}
    assert parse_metrics("no metrics here\n[1, 2]") is None
