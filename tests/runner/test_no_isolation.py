"""Without bubblewrap the local backend still keeps the workspace contract: every path an agent is given through the
BENCHSMITH_* variables (and the llm agent's prompt) is the host folder behind it, and one warning line says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.sandboxes import CODE_DIR, DATA_DIR, LocalSandbox, SandboxSpec
from tests.conftest import REPO, RUNNER


def _path_without_bwrap(tmp_path: Path) -> str:
    """A PATH with every program of this machine's system folders except bwrap."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for directory in (Path("/usr/local/bin"), Path("/usr/bin"), Path("/bin"), Path("/usr/sbin"), Path("/sbin")):
        for program in directory.iterdir():
            if program.name != "bwrap" and not (folder / program.name).exists():
                (folder / program.name).symlink_to(program)
    return f"{Path(sys.executable).parent}:{folder}"


@pytest.mark.parametrize(("task", "agent"), [("penguins-species", "sample"), ("diabetes-progression", "baseline")])
def test_builtin_agents_work_without_bubblewrap_with_one_warning_line(tmp_path: Path, task: str, agent: str) -> None:
    env = {**os.environ, "PATH": _path_without_bwrap(tmp_path), "COLUMNS": "200"}
    completed = subprocess.run(
        [*RUNNER, "exec", str(REPO / "tasks" / "curated" / f"{task}.yaml"), "--agent", agent, "--backend", "local",
         "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result_file,) = (tmp_path / "runs").glob("*/*/seed-*/result.json")
    result = json.loads(result_file.read_text())
    assert result["status"] == "ok" and result["score"] is not None, result["reason"]
    warnings = [line for line in completed.stderr.splitlines() if "bubblewrap" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: bubblewrap (bwrap) is not installed"), warnings
    assert "IsolationWarning" not in completed.stderr and ".py:" not in completed.stderr


def test_contract_paths_are_the_host_folders_without_bubblewrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", _path_without_bwrap(tmp_path))
    folders = {name: tmp_path / name for name in ("task", "data", "code", "submission")}
    for folder in folders.values():
        folder.mkdir()
    (folders["data"] / "train.csv").write_text("a\n1\n")
    spec = SandboxSpec(
        trial_id="no-bwrap", task_dir=folders["task"], data_dir=folders["data"], code_dir=folders["code"],
        submission_dir=folders["submission"], submission_file="s.csv",
    )  # fmt: skip
    with pytest.warns(UserWarning, match="NO isolation"):
        sandbox = LocalSandbox(spec, Path(sys.executable).parent.parent)
    try:
        assert sandbox.contract_path(f"{DATA_DIR}/train.csv") == str(folders["data"] / "train.csv")
        assert sandbox.contract_path(CODE_DIR) == str(folders["code"])
        assert sandbox.contract_path("/database") == "/database"  # a prefix of a name is not the folder
        listed = sandbox.run(["sh", "-c", 'cat "$BENCHSMITH_DATA/train.csv"; echo "$BENCHSMITH_TASK"'])
        assert listed.ok and listed.stdout.split() == ["a", "1", str(folders["task"])], listed
    finally:
        sandbox.close()
