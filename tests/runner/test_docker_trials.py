"""Trials on the docker backend: graded results, and the canary statuses (oom, timeout) at the trial level."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.results import TrialResult
from runner.sandboxes import get_backend
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, require

MANIFEST = CURATED / "penguins-species.yaml"


@pytest.fixture(autouse=True)
def _needs_docker() -> None:
    require(get_backend("docker").availability(), ".ci/run installs docker.io and starts dockerd")


def _trial(tmp_path: Path, agent: str, args: tuple[str, ...] = (), **resources: object) -> TrialResult:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(update=resources)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="docker", cache_root=tmp_path / "cache")
    return run_trial(TrialRequest(task, agent, args=args), settings)


def test_sample_agent_on_docker(tmp_path: Path) -> None:
    result = _trial(tmp_path, "sample")
    assert result.status == "ok", result.reason
    assert result.backend == "docker" and result.lock.image_id
    assert result.score is not None and result.normalized_score == pytest.approx(0.0)


def test_docker_canary_statuses(tmp_path: Path) -> None:
    oom = _trial(tmp_path / "a", "command", ("python -c 'x = bytearray(2 * 1024**3)'",), memory_gb=0.25)
    assert oom.status == "oom", oom.reason
    slow = _trial(tmp_path / "b", "command", ("sleep 60",), time_limit="3s")
    assert slow.status == "timeout" and slow.duration_s < 30
    snoop = _trial(tmp_path / "c", "command", ("! find / -name answers.csv 2>/dev/null | grep -q .",))
    assert snoop.status == "invalid_submission", snoop.reason  # found nothing, submitted nothing
