"""One plug-in mechanism: a package installed beside benchsmith adds an agent through the `benchsmith.agents` entry
point group, and it runs a trial without a line of the project changed; unknown names fail one way, with a hint."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from runner.agents import get_agent
from runner.executors import get_executor
from runner.plugins import PluginUnavailableError, Registry, UnknownPluginError
from runner.sandboxes import get_backend
from tests.conftest import REPO, RUNNER, require_bwrap

PLUGIN_MODULE = '''
"""A plug-in agent: hands in the sample submission, read through the workspace contract's variables."""
from runner.agents import Agent, AgentContext, AgentOutcome, outcome_of


class HandInSample(Agent):
    def run(self, context: AgentContext) -> AgentOutcome:
        command = 'cp "$BENCHSMITH_DATA/sample_submission.csv" "$BENCHSMITH_SUBMISSION" && echo plug-in ran'
        result = context.sandbox.run(["sh", "-c", command])
        context.log(result.stdout)
        return outcome_of(result, "the plug-in")
'''


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path, entry_points: str, module: str = PLUGIN_MODULE) -> Path:
    """A pure-Python wheel of `benchsmith_demo_plugin` (0.1) declaring `entry_points` (the text of entry_points.txt)."""
    dist_info = "benchsmith_demo_plugin-0.1.dist-info"
    files = {
        "benchsmith_demo_plugin.py": module.encode(),
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: benchsmith-demo-plugin\nVersion: 0.1\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": entry_points.encode(),
    }
    record = [_record_line(name, data) for name, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / "benchsmith_demo_plugin-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def install(wheel: Path, target: Path) -> Path:
    """Install a pure-Python wheel into `target` (what an installer does for one: unpack it onto a site folder)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_an_installed_plugin_agent_runs_a_trial(tmp_path: Path) -> None:
    require_bwrap()
    site = install(build_wheel(tmp_path, "[benchsmith.agents]\nhand-in = benchsmith_demo_plugin:HandInSample\n"),
                   tmp_path / "site")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    completed = subprocess.run(
        [*RUNNER, "exec", str(REPO / "tasks" / "curated" / "penguins-species.yaml"), "--agent", "hand-in",
         "--backend", "local", "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result_file,) = (tmp_path / "runs").glob("*/hand-in/seed-0/result.json")
    result = json.loads(result_file.read_text())
    assert result["status"] == "ok" and result["agent"] == "hand-in" and result["score"] is not None
    assert "plug-in ran" in (result_file.parent / "logs" / "agent.log").read_text()


def test_a_broken_plugin_says_so_and_leaves_the_others_working(tmp_path: Path) -> None:
    site = install(build_wheel(tmp_path, "[benchsmith.agents]\nbroken = benchsmith_demo_plugin:Missing\n"),
                   tmp_path / "site")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    completed = subprocess.run(
        [*RUNNER, "exec", str(REPO / "tasks" / "curated" / "penguins-species.yaml"), "--agent", "broken",
         "--runs-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    message = " ".join(completed.stderr.split())
    assert completed.returncode == 2, completed.stderr
    assert "agent 'broken' is not available here" in message and "benchsmith_demo_plugin:Missing" in message
    assert "Traceback" not in completed.stderr


def test_unknown_names_fail_one_way_listing_what_exists_and_the_closest() -> None:
    for lookup, name, closest in ((get_agent, "smaple", "sample"), (get_backend, "dokcer", "docker"),
                                  (get_executor, "rayy", "ray")):  # fmt: skip
        with pytest.raises(UnknownPluginError, match=f"did you mean '{closest}'") as raised:
            lookup(name)
        assert raised.value.exit_code == 2 and closest in raised.value.known


def test_a_builtin_that_cannot_import_names_what_to_install() -> None:
    registry: Registry[type] = Registry("sandbox backend", "benchsmith.test-nothing")
    registry.add("local", object)
    registry.unavailable("docker", "the docker SDK cannot be imported: `pip install docker`")
    with pytest.raises(PluginUnavailableError, match="pip install docker"):
        registry.get("docker")
    assert registry.names() == ["local"]
