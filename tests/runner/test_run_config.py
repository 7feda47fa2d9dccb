"""`runner exec --config run.toml`: a batch's settings in a file whose keys are the flags, flags on the command line
win, bad files are refused saying where, the settings are recorded in every result; --retry-on-error and
--fail-on-error decide how infrastructure errors are retried and judged."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

from tests.conftest import REPO, RUNNER, require_bwrap

PENGUINS = REPO / "tasks" / "curated" / "penguins-species.yaml"


def _runner(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})  # fmt: skip


def _results(runs: Path) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted(runs.glob("*/*/seed-*/result.json"))]


def test_settings_come_from_the_file_flags_win_and_every_result_records_them(tmp_path: Path) -> None:
    require_bwrap()
    (tmp_path / "run.toml").write_text(
        f'tasks = ["{PENGUINS}"]\nagent = "sample"\nseeds = 2\nbackend = "local"\nruns-dir = "runs"\n'
        f'cache-dir = "{tmp_path / "cache"}"\nretry-on-error = 1\n'
    )
    completed = _runner("exec", "--config", "run.toml", "--seeds", "1", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = _results(tmp_path / "runs")  # --seeds 1 on the command line won over seeds = 2
    config = result["run_config"]
    assert isinstance(config, dict)
    assert config["agent"] == "sample" and config["seeds"] == 1 and config["backend"] == "local"
    assert config["retry_on_error"] == 1 and config["tasks"] == [str(PENGUINS)] and config["runs_dir"] == "runs"


def test_bad_run_configs_are_refused_saying_where(tmp_path: Path) -> None:
    cases = {
        "typo.toml": ('agnet = "sample"\n', "typo.toml: key agnet: Extra inputs are not permitted (known keys: "),
        "type.toml": ('seeds = "many"\n', "type.toml: key seeds: Input should be a valid integer"),
        "syntax.toml": ('agent = "sample"\nseeds = = 2\n', "syntax.toml: not valid TOML: "),
        "range.toml": ("fail-on-error = 2\n", "range.toml: key fail-on-error: Input should be less than or equal to 1"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        completed = _runner("exec", str(PENGUINS), "--config", name, cwd=tmp_path)
        assert completed.returncode == 2 and message in " ".join(completed.stderr.split()), (name, completed.stderr)
        assert "Traceback" not in completed.stderr
    missing = _runner("exec", str(PENGUINS), "--config", "absent.toml", cwd=tmp_path)
    assert missing.returncode == 2 and "absent.toml: cannot read the run configuration" in missing.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_retry_on_error_sets_the_attempts_and_fail_on_error_the_exit_code(tmp_path: Path) -> None:
    """The model endpoint refuses connections: every attempt is an infra_error, retried as asked."""
    require_bwrap()
    env = {"BENCHSMITH_TEST_KEY": "k"}
    endpoint = f"http://127.0.0.1:{_closed_port()}/v1"
    base = ["exec", str(PENGUINS), "--agent", "llm", "--backend", "local", "--api-key-env", "BENCHSMITH_TEST_KEY",
            "--base-url", endpoint, "--model", "m", "--cache-dir", str(tmp_path / "c")]  # fmt: skip
    strict = _runner(*base, "--runs-dir", "strict", "--retry-on-error", "0", cwd=tmp_path, env=env)
    assert strict.returncode == 1, strict.stderr
    (result,) = _results(tmp_path / "strict")
    assert result["status"] == "infra_error" and result["attempts"] == 1
    tolerant = _runner(*base, "--runs-dir", "tolerant", "--retry-on-error", "1", "--fail-on-error", "1", cwd=tmp_path,
                       env=env)  # fmt: skip
    assert tolerant.returncode == 0, tolerant.stderr
    (result,) = _results(tmp_path / "tolerant")
    assert result["status"] == "infra_error" and result["attempts"] == 2
    assert "1 of 1 trial(s) ended in infra_error, within --fail-on-error 1" in " ".join(tolerant.stderr.split())
