"""Python environments for sandboxes: wheels downloaded once on the host, installed offline into venvs.

Agents never install from the network: the host builds a wheelhouse (pip can reach PyPI where the runner runs,
containers often cannot), and each environment is a venv of Debian's /usr/bin/python3 installed from it with
`--no-index`. Environments and wheelhouses are keyed by the content of their requirements and reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SANDBOX_PYTHON = Path("/usr/bin/python3")
BASE_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy")
_TAIL = 3000


class EnvironmentError_(RuntimeError):
    """An environment could not be built; the message says which step and why."""


@dataclass(frozen=True)
class EnvironmentSpec:
    """What a sandbox's Python must provide."""

    packages: tuple[str, ...] = ()
    no_deps: tuple[str, ...] = ()
    """Packages installed without their declared dependencies: an agent's program whose metadata names far more
    than it imports (aideml declares torch and dozens more); what it does import is among `packages`."""

    @property
    def requirements(self) -> tuple[str, ...]:
        """Base packages every agent gets, then the task's own, without repeats, in a stable order."""
        return tuple(dict.fromkeys((*BASE_PACKAGES, *sorted(self.packages))))

    @property
    def key(self) -> str:
        """Content key of the environment."""
        # `no_deps` joins the text only when given, so every environment without it keeps its key.
        no_deps = ("--no-deps", *sorted(self.no_deps)) if self.no_deps else ()
        text = "\n".join(("env-v1", str(SANDBOX_PYTHON), *self.requirements, *no_deps))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def environments_root() -> Path:
    """`$BENCHSMITH_ENV_DIR`, else /opt/benchsmith/envs (bound at the same path inside sandboxes)."""
    configured = os.environ.get("BENCHSMITH_ENV_DIR")
    return Path(configured) if configured else Path("/opt/benchsmith/envs")


def run_checked(
    command: list[str], what: str, error: type[Exception] = EnvironmentError_, timeout_s: float = 1800
) -> None:
    """Run a build step; failure raises `error` saying `what` failed, with the end of the step's output."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise error(f"{what}: no result within {timeout_s:g} s") from None
    except OSError as problem:
        raise error(f"{what}: {problem}") from None
    if completed.returncode != 0:
        raise error(f"{what} failed:\n{(completed.stdout + completed.stderr).strip()[-_TAIL:]}")


@contextmanager
def _building(base: Path, key: str) -> Iterator[None]:
    """One builder per key at a time, across threads and processes (the loser then finds it built)."""
    base.mkdir(parents=True, exist_ok=True)
    with (base / f".{key}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_wheelhouse(spec: EnvironmentSpec, root: Path | None = None) -> Path:
    """A folder of wheels for `spec.requirements` (and their dependencies), downloaded once."""
    folder = (root or environments_root()) / "wheelhouses" / spec.key
    if (folder / ".complete").is_file():
        return folder
    with _building(folder.parent, spec.key):
        return _build_wheelhouse(spec, folder)


def _build_wheelhouse(spec: EnvironmentSpec, folder: Path) -> Path:
    if (folder / ".complete").is_file():
        return folder
    scratch = folder.with_name(f".tmp-{spec.key}-{uuid.uuid4().hex[:8]}")
    scratch.mkdir(parents=True)
    try:
        run_checked(
            [str(SANDBOX_PYTHON), "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(scratch),
             *spec.requirements],
            f"downloading wheels for {', '.join(spec.requirements)}",
        )  # fmt: skip
        if spec.no_deps:
            run_checked(
                [str(SANDBOX_PYTHON), "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps", "--dest",
                 str(scratch), *spec.no_deps],
                f"downloading wheels for {', '.join(spec.no_deps)}",
            )  # fmt: skip
        (scratch / ".complete").write_text("\n".join(spec.requirements))
        shutil.rmtree(folder, ignore_errors=True)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def ensure_environment(spec: EnvironmentSpec, root: Path | None = None) -> Path:
    """A venv of the sandbox Python with `spec`'s packages, built offline from the wheelhouse; reused by key."""
    base = root or environments_root()
    folder = base / spec.key
    if (folder / ".complete").is_file():
        return folder
    with _building(base, spec.key):
        return _build_environment(spec, base, folder)


def _build_environment(spec: EnvironmentSpec, base: Path, folder: Path) -> Path:
    if (folder / ".complete").is_file():
        return folder
    if not SANDBOX_PYTHON.is_file():
        raise EnvironmentError_(f"{SANDBOX_PYTHON} is missing: install Debian's python3 and python3-venv")
    wheels = ensure_wheelhouse(spec, base)
    # Built in place (venvs do not survive a move: their scripts name their own path); `.complete` marks done.
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    run_checked([str(SANDBOX_PYTHON), "-m", "venv", str(folder)], f"creating a venv at {folder}")
    run_checked(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels),
         *spec.requirements],
        f"installing {', '.join(spec.requirements)} into {folder}",
    )  # fmt: skip
    if spec.no_deps:
        run_checked(
            [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
             "--find-links", str(wheels), *spec.no_deps],
            f"installing {', '.join(spec.no_deps)} into {folder}",
        )  # fmt: skip
    for path in (base, folder):
        path.chmod(0o755)
    (folder / ".complete").write_text("\n".join(spec.requirements))
    return folder


def installed_versions(environment: Path) -> dict[str, str]:
    """Package versions installed in an environment, for a trial's lock."""
    versions = {}
    for record in (environment / "lib").glob("python3*/site-packages/*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1) for line in record.read_text(errors="replace").splitlines()[:20] if ": " in line
        )
        if "Name" in fields and "Version" in fields:
            versions[fields["Name"].lower()] = fields["Version"]
    return dict(sorted(versions.items()))


def python_version(environment: Path) -> str | None:
    """The Python version a venv was made with (its pyvenv.cfg), for a trial's lock."""
    try:
        lines = (environment / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return None
    fields = dict(line.split(" = ", 1) for line in lines if " = " in line)
    return fields.get("version") or fields.get("version_info")
