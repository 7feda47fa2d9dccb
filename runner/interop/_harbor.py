"""Harbor's task layout: export benchsmith competitions as Harbor tasks, and import Harbor tasks back as manifests.

A Harbor task is a folder: `task.toml` (its config), `instruction.md`, `environment/` (a Dockerfile and what it
copies), `tests/test.sh` (run after the agent; it writes `/logs/verifier/reward.json`) and `solution/solve.sh`.
An exported task keeps benchsmith's workspace contract inside Harbor's container: the public data at `/data`,
`/task` with the description and the format check, `/workspace/code` and `/workspace/submission`, the
`BENCHSMITH_*` variables. `tests/` carries what Harbor copies in only after the agent has finished: the private
answers, the manifest with its task folder, and `grade.py`, which grades with benchsmith's own grader (benchsmith is
installed in the environment; it knows no answers). `[metadata.benchsmith]` in `task.toml` records the task's id,
version and digest, which is what lets `import_harbor` restore the manifest exactly.

Only competitions (a submission file graded against answers) are exported: research and speedrun tasks are scored
by running the agent's program under the runner's own measurement, which a Harbor verifier script does not do.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runner._errors import BenchsmithError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from runner.importers import ImportReport
    from spec import AnyTask, LoadedTask

HARBOR_ORG = "benchsmith"
"""The registry organisation of exported tasks' package names (`benchsmith/<task id>`)."""
CONFIG_FILE = "task.toml"
REWARD_DIR = "/logs/verifier"
_MEDAL_RANK = {None: 0, "bronze": 1, "silver": 2, "gold": 3}
_IMPORTED = "tests/task"
AGENT_UID = 1000


class HarborError(BenchsmithError, ValueError):
    """A task cannot be exported to, or imported from, Harbor's layout; the message says which and why."""


@dataclass(frozen=True)
class HarborExport:
    """One exported task."""

    id: str
    folder: Path


@dataclass(frozen=True)
class HarborImport:
    """One imported task: its manifest and whether it is new, updated or unchanged."""

    id: str
    manifest: Path
    version: str
    status: Literal["new", "updated", "unchanged"]


def _benchsmith_version() -> str:
    try:
        return version("benchsmith")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0.0.0"


def installed_checkout() -> Path | None:
    """The source folder benchsmith was installed from (`pip install -e .` or `pip install .` of a checkout), if any:
    pip and uv record it in the distribution's `direct_url.json` (PEP 610)."""
    from importlib.metadata import distribution
    from urllib.parse import unquote, urlparse

    try:
        recorded = distribution("benchsmith").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    url = urlparse(json.loads(recorded or "{}").get("url", ""))
    folder = Path(unquote(url.path)) if url.scheme == "file" else None
    return folder if folder is not None and (folder / "pyproject.toml").is_file() else None


def checkout_wheel(out: Path) -> Path | None:
    """A wheel of the checkout benchsmith was installed from, built into `out` (uv, else pip), or None when it was
    installed from a package index. Exported environments install it: the index may not hold this version."""
    import subprocess
    import sys

    checkout = installed_checkout()
    if checkout is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    build = (
        [uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(checkout)]
        if uv
        else [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(checkout)]
    )
    done = subprocess.run(build, capture_output=True, text=True, check=False, timeout=600)
    wheels = sorted(out.glob("benchsmith-*.whl"))
    if done.returncode != 0 or not wheels:
        raise HarborError(
            f"could not build a benchsmith wheel from {checkout} ({' '.join(build[:3])}: "
            f"{(done.stderr or done.stdout).strip()[-500:]}); build one yourself and pass it with --wheel"
        )
    return wheels[-1]


GRADER_DIR = "/opt/benchsmith"
"""Where the image installs benchsmith, readable by root only: its wheel carries the whole catalogue (manifests with
their split seeds, prepare scripts, reference solutions), from which an agent could rebuild the answers of any task
whose data ships in a package. Only the verifier, which runs as root, imports it."""


def _dockerfile(python: str, packages: list[str], wheel: str | None, env: dict[str, str]) -> str:
    grader = f"/tmp/wheels/{wheel}" if wheel else f"benchsmith=={_benchsmith_version()}"
    install_task = f"RUN pip install --no-cache-dir {' '.join(shlex.quote(p) for p in packages)}" if packages else None
    lines = [
        f"FROM python:{python}-slim",
        *([install_task] if install_task else []),
        "# benchsmith grades after the agent (tests/grade.py); it is installed where only root, the verifier, reads.",
        *(["COPY wheels/ /tmp/wheels/"] if wheel else []),
        f"RUN pip install --no-cache-dir --target {GRADER_DIR} {shlex.quote(grader)} && chmod -R go-rwx {GRADER_DIR}"
        + (" && rm -rf /tmp/wheels" if wheel else ""),
        "COPY data/ /data/",
        "COPY task/ /task/",
        # The contract's read-only folders hold for the agent, which runs as `agent` (`[agent] user`).
        f"RUN useradd --create-home --uid {AGENT_UID} agent && mkdir -p /workspace/code /workspace/submission "
        "&& chown -R agent /workspace && chmod -R a-w /data /task",
        *(f"ENV {name}={json.dumps(value)}" for name, value in sorted(env.items())),
        "WORKDIR /workspace/code",
    ]
    return "\n".join(lines) + "\n"


# `-I`: the agent owns $HOME (/workspace/code), so user site-packages, PYTHONPATH and the current folder must not
# reach the grader's imports (a planted `usercustomize.py` could otherwise write any reward).
_TEST_SH = """#!/bin/bash
# Grades the submission with benchsmith's grader; rewards go to {reward_dir}/reward.json.
exec python3 -I "$(dirname "$0")/grade.py"
"""

_SOLVE_SH = """#!/bin/bash
# The task's reference solution, run under the workspace contract.
set -e
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$(dirname "$BENCHSMITH_SUBMISSION")"
cd "$BENCHSMITH_WORKDIR"
python3 "$here/{script}"
"""

_GRADE_PY = '''"""Grade the agent's submission with benchsmith's grader and write Harbor's rewards.

reward: the normalized score when the task has one, else the raw score (0 for an invalid submission);
score, valid (1/0) and medal (0 none, 1 bronze, 2 silver, 3 gold) are kept beside it.
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, "{grader_dir}")  # benchsmith, installed where only the verifier reads (see the Dockerfile)
from runner.grading import grade_submission
from runner.preparation import PreparedTask
from runner.trials import score_fields
from spec import load_task

MEDAL_RANK = {medal_rank!r}
tests = Path(__file__).resolve().parent
loaded = load_task(tests / "task" / "{manifest}")
task = loaded.manifest
prepared = PreparedTask(key="harbor", root=tests / "prepared", cache_hit=True, files={{}})
submission = Path(os.environ.get("BENCHSMITH_SUBMISSION", "{submission}"))
rewards = {{"reward": 0.0, "valid": 0}}
if submission.is_file() and not submission.is_symlink():
    grade = grade_submission(task, loaded.path, submission, prepared.private)
    if grade.valid and grade.score is not None:
        fields = score_fields(task, loaded.path, prepared, grade.score)
        normalized = fields.get("normalized_score")
        rewards = {{
            "reward": float(normalized if normalized is not None else grade.score),
            "score": float(grade.score),
            "valid": 1,
            "medal": MEDAL_RANK[fields.get("medal")],
        }}
    else:
        print(f"invalid submission: {{grade.reason}}")
else:
    print(f"no submission at {{submission}}")
out = Path(os.environ.get("BENCHSMITH_REWARD_DIR", "{reward_dir}"))
out.mkdir(parents=True, exist_ok=True)
(out / "reward.json").write_text(json.dumps(rewards))
print(json.dumps(rewards))
'''


def _instruction(description: str, env: dict[str, str], time_limit_s: float) -> str:
    return (
        f"{description.rstrip()}\n\n"
        "## Your workspace\n\n"
        f"- The data is in `{env['BENCHSMITH_DATA']}` (read-only); `{env['BENCHSMITH_TASK']}` holds this description "
        "and `validate_submission.py`, a format check that knows no answers.\n"
        f"- Work in `{env['BENCHSMITH_WORKDIR']}`.\n"
        f"- Write your submission to `{env['BENCHSMITH_SUBMISSION']}`; check its format with "
        f"`{env['BENCHSMITH_VALIDATE']} {env['BENCHSMITH_SUBMISSION']}`.\n"
        f"- You have {time_limit_s:g} seconds.\n"
    )


def _config(task: AnyTask, manifest_path: Path, digest: str) -> dict[str, Any]:
    resources = task.resources
    environment: dict[str, Any] = {
        "cpus": resources.cpus,
        "memory_mb": int(resources.memory_gb * 1024),
        "storage_mb": int(resources.disk_gb * 1024),
        "network_mode": "public" if resources.network else "no-network",
    }
    if resources.gpus:
        environment["gpus"] = resources.gpus
    return {
        "schema_version": "1.4",
        "task": {
            "name": f"{HARBOR_ORG}/{task.id}",
            "version": task.version,
            "description": task.title,
            "keywords": [task.tags.modality, task.tags.problem, task.tags.domain, *task.tags.keywords],
        },
        "metadata": {
            "benchsmith": {
                "id": task.id,
                "version": task.version,
                "digest": digest,
                "kind": task.kind,
                "manifest": f"{_IMPORTED}/{manifest_path.name}",
                "license": task.license,
            }
        },
        # Installing the grader's packages is the environment's job; grading itself is seconds.
        # root: benchsmith is installed where only root reads (GRADER_DIR).
        "verifier": {"timeout_sec": 600.0, "user": "root"},
        "agent": {"timeout_sec": resources.time_limit_s, "user": "agent"},
        "environment": environment,
    }


def _copy_task(manifest_path: Path, destination: Path) -> None:
    """The manifest and every content file of its task folder (the folder named like the manifest's stem)."""
    from spec import task_files

    destination.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest_path, destination / manifest_path.name)
    folder = manifest_path.parent / manifest_path.stem
    for path in task_files(folder):
        target = destination / manifest_path.stem / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _replace_folder(staging: Path, folder: Path) -> None:
    """Put `staging` at `folder`, replacing what was there, so a reader never sees half an export."""
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old)
    else:
        staging.rename(folder)


def check_exportable(loaded: LoadedTask) -> None:
    """Raise HarborError when `loaded` cannot become a Harbor task: not a valid manifest, not a competition, or an
    environment Python older than benchsmith's grader needs (the verifier grades in the task's image)."""
    task, manifest_path = loaded.manifest, loaded.path
    if task is None:
        raise HarborError(f"{manifest_path}: not a valid manifest (`runner validate {manifest_path}` says why)")
    if task.kind != "competition" or task.submission is None:
        raise HarborError(
            f"{task.id}: a {task.kind} task is scored by running its program under the runner's measurement, which "
            "a Harbor verifier cannot reproduce; only competitions are exported"
        )
    needed = _grader_python()
    if needed is not None and not needed.contains(task.environment.python):
        wanted = ", ".join(f"{spec.operator} {spec.version}" for spec in needed)
        raise HarborError(
            f"{task.id}: its environment is Python {task.environment.python}, but benchsmith's grader, which runs in "
            f"the same image, needs Python {wanted}; raise `environment.python` to export it"
        )


def _grader_python() -> SpecifierSet | None:
    """The Pythons benchsmith supports (its `Requires-Python`), or None when it is not installed as a package."""
    from importlib.metadata import metadata

    from packaging.specifiers import SpecifierSet

    try:
        requires = metadata("benchsmith")["Requires-Python"]
    except PackageNotFoundError:
        return None
    return SpecifierSet(requires) if requires else None


def export_harbor(
    loaded: LoadedTask, out: Path, *, cache_root: Path | None = None, wheel: Path | None = None
) -> HarborExport:
    """Write `loaded` (a competition's LoadedTask) as a Harbor task folder `out/<id>/`; its data is prepared first.

    `wheel` is a benchsmith wheel to install in the environment instead of `benchsmith==<this version>` from the
    package index."""
    import tomli_w

    from runner.grading import answers_file
    from runner.preparation import SAMPLE_FILE, prepare_task
    from runner.sandboxes import SandboxSpec
    from runner.trials import make_workspace
    from spec import task_digest

    check_exportable(loaded)
    task, manifest_path = loaded.manifest, loaded.path
    assert task is not None and task.submission is not None
    prepared = prepare_task(loaded, cache_root=cache_root)
    contract = SandboxSpec(
        trial_id=task.id, task_dir=Path(), data_dir=Path(), code_dir=Path(), submission_dir=Path(),
        submission_file=task.submission.file, time_limit_s=task.resources.time_limit_s,
    ).contract_environment()  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{task.id}.", dir=out))
    try:
        environment = staging / "environment"
        shutil.copytree(prepared.public, environment / "data")
        with tempfile.TemporaryDirectory() as scratch:
            # The runner's own /task folder (description, format check), exactly as a trial gets it.
            folders = make_workspace(Path(scratch), task, manifest_path, prepared)
            shutil.copytree(folders.task, environment / "task")
        wheel_name = None
        if wheel is not None:
            (environment / "wheels").mkdir()
            shutil.copyfile(wheel, environment / "wheels" / wheel.name)
            wheel_name = wheel.name
        packages = list(task.environment.packages)
        (environment / "Dockerfile").write_text(_dockerfile(task.environment.python, packages, wheel_name, contract))
        description = (environment / "task" / "description.md").read_text(encoding="utf-8")
        (staging / "instruction.md").write_text(_instruction(description, contract, task.resources.time_limit_s))
        tests = staging / "tests"
        _copy_task(manifest_path, tests / "task")
        answers = answers_file(task)
        (tests / "prepared" / "private").mkdir(parents=True)
        shutil.copyfile(prepared.private / answers, tests / "prepared" / "private" / answers)
        if (prepared.public / SAMPLE_FILE).is_file():  # the trivial score that normalizes the reward
            (tests / "prepared" / "public").mkdir(parents=True)
            shutil.copyfile(prepared.public / SAMPLE_FILE, tests / "prepared" / "public" / SAMPLE_FILE)
        (tests / "grade.py").write_text(
            _GRADE_PY.format(medal_rank=_MEDAL_RANK, manifest=manifest_path.name, grader_dir=GRADER_DIR,
                             submission=contract["BENCHSMITH_SUBMISSION"], reward_dir=REWARD_DIR)
        )  # fmt: skip
        (tests / "test.sh").write_text(_TEST_SH.format(reward_dir=REWARD_DIR))
        reference = task.baselines.get("reference")
        if reference is not None and reference.script is not None:
            solution = staging / "solution"
            solution.mkdir()
            script = manifest_path.parent / reference.script
            shutil.copyfile(script, solution / script.name)
            (solution / "solve.sh").write_text(_SOLVE_SH.format(script=script.name))
        config = _config(task, manifest_path, task_digest(manifest_path, task))
        (staging / CONFIG_FILE).write_text(tomli_w.dumps(config))
        for script_path in staging.rglob("*.sh"):
            script_path.chmod(0o755)
        staging.chmod(0o755)
        _replace_folder(staging, out / task.id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return HarborExport(id=task.id, folder=out / task.id)


def _read_config(folder: Path) -> dict[str, Any]:
    import tomllib

    path = folder / CONFIG_FILE
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarborError(f"{folder}: no {CONFIG_FILE}: not a Harbor task folder") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise HarborError(f"{path}: cannot read it: {error}") from None
    return config


def harbor_task_folders(folder: Path) -> list[Path]:
    """`folder` itself when it is a Harbor task, else its sub-folders that are (a dataset of tasks)."""
    if (folder / CONFIG_FILE).is_file():
        return [folder]
    return sorted(path.parent for path in folder.glob(f"*/{CONFIG_FILE}"))


def import_harbor(folder: Path, out: Path) -> HarborImport:
    """Turn one Harbor task folder into a manifest and task folder under `out`.

    A task exported by benchsmith carries its manifest and task folder in `tests/` (named by
    `[metadata.benchsmith]`): they are restored byte for byte, so the imported task has the digest it had. A task
    without it is refused with the reason: its `tests/test.sh` grades the container's state after the agent, and a
    manifest's grading is a metric over a submission file against answers (docs/interop.md)."""
    from spec import load_task, task_digest

    config = _read_config(folder)
    meta = config.get("metadata", {}).get("benchsmith")
    if not isinstance(meta, dict) or not isinstance(meta.get("manifest"), str):
        test = folder / "tests" / "test.sh"
        what = (
            f"its grading is {test.name}, a script over the container's state" if test.is_file() else "it has no tests"
        )
        raise HarborError(
            f"{folder / CONFIG_FILE}: no [metadata.benchsmith] manifest, and {what}: a manifest grades a submission "
            "file against answers with a metric, which that cannot be wrapped as"
        )
    manifest = (folder / meta["manifest"]).resolve()
    tests = (folder / _IMPORTED).resolve()
    if not manifest.is_relative_to(tests) or not manifest.is_file():
        raise HarborError(f"{folder / CONFIG_FILE}: [metadata.benchsmith] manifest {meta['manifest']!r} is not a file "
                          f"under {_IMPORTED}/")  # fmt: skip
    loaded = load_task(manifest)
    errors = [problem for problem in loaded.problems if problem.severity == "error"]
    if loaded.manifest is None or errors:
        reason = f"{errors[0].where()}: {errors[0].message}" if errors else "not a manifest"
        raise HarborError(f"{manifest}: {reason}")
    target = out / manifest.name
    before = task_digest(target) if target.is_file() else None
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{manifest.stem}.", dir=out))
    try:
        _copy_task(manifest, staging)
        shutil.rmtree(out / manifest.stem, ignore_errors=True)
        if (staging / manifest.stem).is_dir():
            (staging / manifest.stem).rename(out / manifest.stem)
        (staging / manifest.name).replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    after = task_digest(target)
    status: Literal["new", "updated", "unchanged"] = (
        "new" if before is None else ("unchanged" if before == after else "updated")
    )
    return HarborImport(id=loaded.manifest.id, manifest=target, version=loaded.manifest.version, status=status)


def import_harbor_tasks(folder: Path, out: Path) -> ImportReport:
    """Import every Harbor task in `folder` (a task folder, or a folder of them) into `out`; a task that cannot be
    wrapped is an error issue of the report, saying why."""
    from runner.importers import ImportedTask, ImportReport

    folders = harbor_task_folders(folder)
    if not folders:
        raise HarborError(f"{folder}: neither a Harbor task ({CONFIG_FILE}) nor a folder of Harbor tasks")
    report = ImportReport(benchmark="harbor", out=out)
    for task_folder in folders:
        try:
            imported = import_harbor(task_folder, out)
        except HarborError as error:
            report.error(task_folder.name, str(error))
            continue
        report.tasks.append(
            ImportedTask(id=imported.id, manifest=imported.manifest, version=imported.version,
                         status=imported.status, upstream=task_folder.name)
        )  # fmt: skip
    return report
