"""`runner export harbor` / `runner import harbor`: benchsmith tasks in Harbor's task layout, checked by Harbor itself.

Harbor needs Python >= 3.12 and the project runs on 3.11, so the real `harbor` package lives in its own virtual
environment, built once from the package index and kept under the benchsmith cache; the exported folder is loaded
there with Harbor's own `Task` (which parses `task.toml` with its `TaskConfig` model and checks the layout). Under
CI=true an environment that cannot be built fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from spec import AnyTask, load_task
from tests.conftest import REPO, RUNNER, replace_in, require

HARBOR_VERSION = "0.26.0"
PENGUINS = REPO / "tasks" / "curated" / "penguins-species.yaml"
"""The live catalogue's task: it has a reference solution, which Harbor's `solution/` is made from."""
_LOAD = """
import json, sys, warnings
warnings.simplefilter("error", DeprecationWarning)  # a deprecated field would be silently migrated
from harbor.models.task.task import Task
task = Task(sys.argv[1])
print(json.dumps({"name": task.name, "instruction": task.instruction, "valid": Task.is_valid_dir(sys.argv[1]),
                  "config": task.config.model_dump(mode="json"),
                  "solve": str(task.paths.discovered_solve_path), "test": str(task.paths.discovered_test_path)}))
"""


def _penguins() -> AnyTask:
    manifest = load_task(PENGUINS).manifest
    assert manifest is not None
    return manifest


def _python312() -> str:
    """A Python 3.12 interpreter that runs, else the version for uv to find or fetch."""
    candidates = [shutil.which("python3.12"), *sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))]
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "--version"], capture_output=True, check=False).returncode == 0:
            return str(candidate)
    return "3.12"


@pytest.fixture(scope="session")
def harbor_python() -> Path:
    """The python of a virtual environment holding `harbor` (built once, kept under the benchsmith cache)."""
    cache = Path(os.environ.get("BENCHSMITH_CACHE_DIR") or Path.home() / ".cache" / "benchsmith")
    venv = cache / "interop" / f"harbor-{HARBOR_VERSION}"
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import harbor.models.task.task"]
    if python.is_file() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    # The dev extra installs uv beside this interpreter; a PATH without that folder (pytest run directly) finds it.
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    require(None if uv else "uv is not installed", "install uv (`pip install uv`): it builds harbor's environment")
    assert uv is not None
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [uv, "venv", "--quiet", "--python", _python312(), str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(python), f"harbor=={HARBOR_VERSION}"],
    ]
    for step in steps:
        built = subprocess.run(step, capture_output=True, text=True, check=False, timeout=600)
        if built.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            require(
                f"harbor's Python 3.12 environment could not be built ({' '.join(step[:3])}: "
                f"{built.stderr.strip()[-300:]})",
                "CI needs Python 3.12 (or uv allowed to fetch it) and the package index for harbor",
            )
    return python


def _harbor_load(harbor_python: Path, folder: Path) -> dict[str, Any]:
    loaded = subprocess.run(
        [str(harbor_python), "-c", _LOAD, str(folder)], capture_output=True, text=True, check=False, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    result: dict[str, Any] = json.loads(loaded.stdout)
    return result


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """penguins-species exported by the CLI, as a user would: `runner export harbor TASK --out DIR`."""
    out = tmp_path_factory.mktemp("harbor")
    cache = tmp_path_factory.mktemp("cache")
    done = subprocess.run(
        [*RUNNER, "export", "harbor", str(PENGUINS), "--out", str(out), "--cache-dir", str(cache)],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "penguins-species" in done.stdout
    return out / "penguins-species"


def test_export_loads_with_harbors_own_task_model(exported: Path, harbor_python: Path) -> None:
    loaded = _harbor_load(harbor_python, exported)
    assert loaded["valid"] is True
    assert loaded["name"] == "benchsmith/penguins-species"
    config = loaded["config"]
    assert config["task"]["version"] == _penguins().version
    assert config["agent"] == {**config["agent"], "timeout_sec": 1800.0, "user": "agent"}
    assert config["environment"]["cpus"] == 2
    assert config["environment"]["memory_mb"] == 4096
    assert config["environment"]["network_mode"] == "no-network"
    assert config["metadata"]["benchsmith"]["id"] == "penguins-species"
    assert loaded["solve"].endswith("solution/solve.sh") and loaded["test"].endswith("tests/test.sh")
    assert "/workspace/submission/submission.csv" in str(loaded["instruction"])


def test_export_with_a_wheel_ships_it_into_the_image(tmp_path: Path, harbor_python: Path) -> None:
    """`--wheel` puts the given wheel in the environment, and Harbor still loads the folder."""
    wheel = tmp_path / "benchsmith-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: only copied here, installed by Harbor's build
    done = subprocess.run(
        [*RUNNER, "export", "harbor", str(PENGUINS), "--out", str(tmp_path / "out"), "--wheel", str(wheel)],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=300, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--wheel" not in done.stderr
    folder = tmp_path / "out" / "penguins-species"
    assert (folder / "environment" / "wheels" / wheel.name).read_bytes() == wheel.read_bytes()
    dockerfile = (folder / "environment" / "Dockerfile").read_text()
    assert "COPY wheels/ /tmp/wheels/" in dockerfile and f"/tmp/wheels/{wheel.name}" in dockerfile
    assert "benchsmith==" not in dockerfile
    assert _harbor_load(harbor_python, folder)["valid"] is True


def test_export_from_a_checkout_ships_a_wheel_built_from_it(tmp_path: Path) -> None:
    """benchsmith is not on the package index: installed from this checkout (as the tests are), the export builds a
    wheel of it and the image installs that, so Harbor's build needs nothing the index lacks."""
    done = subprocess.run(
        [*RUNNER, "export", "harbor", str(PENGUINS), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False, cwd=REPO, timeout=300, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    environment = tmp_path / "penguins-species" / "environment"
    [wheel] = (environment / "wheels").glob("benchsmith-*.whl")
    dockerfile = (environment / "Dockerfile").read_text()
    assert f"/tmp/wheels/{wheel.name}" in dockerfile and "benchsmith==" not in dockerfile
    assert "built from this checkout" in done.stderr
    with zipfile.ZipFile(wheel) as archive:
        assert "runner/grading/__init__.py" in archive.namelist()


def test_export_keeps_answers_out_of_the_agents_environment(exported: Path) -> None:
    environment = {
        path.relative_to(exported / "environment").as_posix() for path in (exported / "environment").rglob("*")
    }
    assert {"data/train.csv", "data/test.csv", "task/description.md", "task/validate_submission.py"} <= environment
    assert not any("answers" in name or name.endswith(".yaml") for name in environment)
    dockerfile = (exported / "environment" / "Dockerfile").read_text()
    assert "COPY data/ /data/" in dockerfile and 'ENV BENCHSMITH_DATA="/data"' in dockerfile
    assert (exported / "tests" / "prepared" / "private" / "answers.csv").is_file()


def _run_script(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The container's `python3` is benchsmith's: here, this test environment's interpreter.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(script)], env={**os.environ, **env, "PATH": path}, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip


def test_solution_and_tests_grade_with_benchsmiths_grader(exported: Path, tmp_path: Path) -> None:
    """Harbor's oracle then verifier, with the container's paths pointed at local folders: the reference
    solution earns the reference score, and the rewards carry the normalized score, validity and medal."""
    env = {
        "BENCHSMITH_DATA": str(exported / "environment" / "data"),
        "BENCHSMITH_WORKDIR": str(tmp_path / "code"),
        "BENCHSMITH_SUBMISSION": str(tmp_path / "submission" / "submission.csv"),
        "BENCHSMITH_REWARD_DIR": str(tmp_path / "verifier"),
    }
    (tmp_path / "code").mkdir()
    solved = _run_script(exported / "solution" / "solve.sh", env)
    assert solved.returncode == 0, solved.stderr
    graded = _run_script(exported / "tests" / "test.sh", env)
    assert graded.returncode == 0, graded.stderr
    rewards = json.loads((tmp_path / "verifier" / "reward.json").read_text())
    assert rewards["valid"] == 1
    reference = _penguins().baselines["reference"]
    assert rewards["score"] == pytest.approx(reference.score, abs=reference.tolerance)
    assert 0 < rewards["reward"] <= 1 and rewards["medal"] in (0, 1, 2, 3)

    (tmp_path / "submission" / "submission.csv").write_text("id,species\n0,Adelie\n")
    graded = _run_script(exported / "tests" / "test.sh", env)
    assert graded.returncode == 0, graded.stderr
    assert json.loads((tmp_path / "verifier" / "reward.json").read_text()) == {"reward": 0.0, "valid": 0}
    assert "invalid submission" in graded.stdout


def test_import_round_trip_restores_the_manifest(exported: Path, tmp_path: Path) -> None:
    from spec import task_digest

    out = tmp_path / "imported"
    done = subprocess.run(
        [*RUNNER, "import", "harbor", str(exported.parent), "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    assert task_digest(out / "penguins-species.yaml") == task_digest(PENGUINS)
    again = subprocess.run(
        [*RUNNER, "import", "harbor", str(exported), "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert again.returncode == 0 and "1 unchanged" in again.stdout


def test_import_refuses_a_task_whose_grading_cannot_be_wrapped(tmp_path: Path) -> None:
    """A Harbor task as `harbor tasks init` makes one: its test.sh grades the container, not a submission file."""
    task = tmp_path / "hello"
    (task / "tests").mkdir(parents=True)
    (task / "environment").mkdir()
    (task / "task.toml").write_text('schema_version = "1.4"\n\n[verifier]\ntimeout_sec = 900.0\n')
    (task / "instruction.md").write_text("Write hello.txt.\n")
    (task / "environment" / "Dockerfile").write_text("FROM ubuntu:24.04\n")
    (task / "tests" / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    done = subprocess.run(
        [*RUNNER, "import", "harbor", str(tmp_path), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 1
    assert "no [metadata.benchsmith] manifest" in done.stdout and "test.sh" in done.stdout
    assert "Traceback" not in done.stderr
    missing = subprocess.run(
        [*RUNNER, "import", "harbor", str(task / "tests"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 2 and "nor a folder of Harbor tasks" in missing.stderr.replace("\n", " ")


def test_export_refuses_a_research_task(tmp_path: Path) -> None:
    research = next(iter(sorted((REPO / "tasks" / "research").glob("*.yaml"))), None)
    if research is None:
        pytest.skip("no research task in the catalogue")
    done = subprocess.run(
        [*RUNNER, "export", "harbor", str(research), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "only competitions are exported" in done.stderr and "Traceback" not in done.stderr


def test_the_agent_can_neither_read_the_grader_nor_plant_code_in_it(exported: Path) -> None:
    """benchsmith's wheel carries the catalogue (split seeds, reference solutions): it is installed where only root,
    the verifier, reads; and the verifier's Python ignores the agent-owned $HOME and PYTHONPATH."""
    dockerfile = (exported / "environment" / "Dockerfile").read_text()
    assert "--target /opt/benchsmith" in dockerfile and "chmod -R go-rwx /opt/benchsmith" in dockerfile
    install = next(line for line in dockerfile.splitlines() if "--target /opt/benchsmith" in line)
    assert "benchsmith" in install and "rm -rf /tmp/wheels" in install
    assert "python3 -I " in (exported / "tests" / "test.sh").read_text()
    assert 'sys.path.insert(0, "/opt/benchsmith")' in (exported / "tests" / "grade.py").read_text()
    config = tomllib.loads((exported / "task.toml").read_text())
    assert config["verifier"]["user"] == "root" and config["agent"]["user"] == "agent"


def test_refusals_come_before_anything_is_written(tmp_path: Path) -> None:
    old_python = tmp_path / "catalogue" / "penguins-species.yaml"
    old_python.parent.mkdir()
    shutil.copyfile(PENGUINS, old_python)
    (old_python.parent / "penguins-species").symlink_to(PENGUINS.parent / "penguins-species")
    twin = tmp_path / "twin" / "penguins-species.yaml"
    shutil.copytree(old_python.parent, twin.parent, symlinks=True)
    replace_in(old_python, 'python: "3.11"', 'python: "3.10"')
    not_a_wheel = tmp_path / "grader.txt"
    not_a_wheel.write_text("x")
    cases = {
        "needs Python >= 3.11": [str(old_python)],
        "not a benchsmith wheel": [str(PENGUINS), "--wheel", str(not_a_wheel)],
        "is named twice": [str(PENGUINS), str(twin)],
        "only competitions are exported": [str(PENGUINS), "mnist-cnn"],
    }
    for expected, arguments in cases.items():
        out = tmp_path / f"out-{len(expected)}"
        done = subprocess.run(
            [*RUNNER, "export", "harbor", *arguments, "--out", str(out)],
            capture_output=True, text=True, check=False, cwd=REPO, timeout=300, env={**os.environ, "COLUMNS": "300"},
        )  # fmt: skip
        assert done.returncode == 2 and expected in " ".join(done.stderr.split()), (expected, done.stderr)
        assert not out.exists() or not any(out.iterdir()), expected
