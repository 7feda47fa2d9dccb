"""Developer and CI sessions: tests, lint, validate, schema.

Sessions install the project with uv into their own virtualenv (`nox -s tests`); `--no-venv` style reuse is
not needed because uv makes the install take seconds.
"""

from __future__ import annotations

import shutil
import subprocess

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "validate", "tests"]

PYTHON = "3.11"
CODE = ["spec", "runner", "validators", "generators", "tests", "benchmarks", "noxfile.py"]


def _docker_answers() -> bool:
    """A Docker engine is running here (CI starts one; a laptop may not have one)."""
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def _install(session: nox.Session, extras: str = "dev") -> None:
    session.install("-e", f".[{extras}]")
    # The `aeon:` provider reads the UCR problems shipped in aeon's wheel and never imports aeon, whose pins
    # (pandas < 3.1, numpy < 2.5) would otherwise hold the whole environment back.
    session.install("--no-deps", "aeon>=1.0")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (arguments after -- go to pytest)."""
    _install(session)
    # Sandbox environments are built before the tests (this is where wheels are downloaded), never during them.
    session.run("runner", "envs", "build")
    if _docker_answers():
        session.run("runner", "images", "build")
    session.run("pytest", "-n", "auto", "--dist", "loadfile", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy --strict, and the committed JSON Schema is current."""
    _install(session)
    session.run("ruff", "check", *CODE)
    session.run("ruff", "format", "--check", *CODE)
    session.run("mypy")
    session.run("runner", "schema", "--check")


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Validate the catalogue; `-- --changed-since REF` checks only tasks changed since REF (pull-request mode)."""
    _install(session)
    session.run("runner", "validate", "tasks/", "--execute", *session.posargs)


@nox.session(python=PYTHON)
def schema(session: nox.Session) -> None:
    """Regenerate spec/task.schema.json from the models."""
    _install(session)
    session.run("runner", "schema")
