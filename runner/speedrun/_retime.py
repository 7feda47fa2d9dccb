"""Record times measured on this machine: the machine fingerprint, the retime file beside a manifest, and the
reference times a trial's FSR uses."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from runner._errors import BenchsmithError
from runner.environments import EnvironmentSpec, ensure_environment, installed_versions, python_version
from runner.hardware import detect_gpus
from runner.preparation import PreparedTask
from spec import LoadedTask, SpeedrunRecord, SpeedrunTask, StrictModel
from spec._speedrun import Clock

from ._measure import SCRIPT_NAME, Bench, SeedRun, mean_std, sha256_file, time_script

RETIME_SUFFIX = ".retime.json"

ReferenceSource = Literal["manifest", "retime", "interleaved"]


class SpeedrunScriptError(BenchsmithError, RuntimeError):
    """A record's script is not available as a file here (a url script that prepare could not fetch)."""


class MachineFingerprint(StrictModel):
    """What makes timings comparable between two machines."""

    cpu: str = Field(description="CPU model name (from /proc/cpuinfo, else platform.processor()).")
    cores: int = Field(ge=1, description="Logical CPU cores of the machine.")
    python: str = Field(description="Python version of the sandbox environment.")
    torch: str | None = Field(default=None, description="torch version in the sandbox environment, if installed.")
    gpus: list[str] = Field(default_factory=list, description="GPU names (nvidia-smi), one per GPU.")

    @property
    def key(self) -> str:
        """A short stable key of this fingerprint."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class RetimedRecord(StrictModel):
    """One record's times on one machine."""

    script_sha256: str = Field(description="SHA-256 of the script that was timed; a changed script voids the entry.")
    times_s: list[float] = Field(min_length=1, description="Time of each seed, in seconds of the protocol's clock.")
    mean_s: float = Field(gt=0, description="Mean time over the seeds.")
    std_s: float = Field(ge=0, description="Sample standard deviation over the seeds (0 for one seed).")
    three_sigma_s: float = Field(ge=0, description="Three standard deviations.")
    metrics: list[float | None] = Field(description="The evaluator's value for each seed's model.")
    reached: bool = Field(description="Whether every seed reached the target.")
    measured_at: datetime = Field(description="When the record was timed (UTC).")


class MachineTimes(StrictModel):
    """Every record timed on one machine."""

    fingerprint: MachineFingerprint = Field(description="The machine.")
    clock: Clock = Field(description="The protocol's clock the times are in.")
    records: dict[str, RetimedRecord] = Field(default_factory=dict, description="Times by record id.")


class RetimeFile(StrictModel):
    """`<manifest stem>.retime.json`: a chain's record times per machine."""

    schema_version: Literal[1] = Field(default=1, description="Version of this file format.")
    task_id: str = Field(description="The task these times belong to.")
    machines: dict[str, MachineTimes] = Field(default_factory=dict, description="Times by machine fingerprint key.")


def retime_path(manifest_path: Path) -> Path:
    """Where a manifest's retime file lives: beside it, outside the task folder (so the digest stays)."""
    return manifest_path.with_name(manifest_path.stem + RETIME_SUFFIX)


def read_retime(manifest_path: Path) -> RetimeFile | None:
    """The retime file of a manifest; None when there is none or it cannot be read (a note is the caller's)."""
    path = retime_path(manifest_path)
    try:
        return RetimeFile.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        return None


def write_retime(manifest_path: Path, data: RetimeFile) -> Path:
    """Write the retime file atomically."""
    path = retime_path(manifest_path)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(data.model_dump_json(indent=1) + "\n", encoding="utf-8")
    scratch.replace(path)
    return path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_fingerprint(task: SpeedrunTask) -> MachineFingerprint:
    """This machine, with the versions of the sandbox environment `task` runs in."""
    environment = ensure_environment(EnvironmentSpec(tuple(task.environment.packages)))
    versions = installed_versions(environment)
    return MachineFingerprint(
        cpu=_cpu_model(), cores=os.cpu_count() or 1, python=python_version(environment) or "unknown",
        # The GPU query the trials' GPU checks use (one nvidia-smi call shape to support, real or faked).
        torch=versions.get("torch"), gpus=[gpu.name for gpu in detect_gpus()],
    )  # fmt: skip


def record_script(record: SpeedrunRecord, manifest_dir: Path, prepared: PreparedTask) -> Path:
    """The record's script as a file: from the task folder, or the prepared raw file with the url's SHA-256."""
    if record.script is not None:
        return manifest_dir / record.script
    assert record.script_url is not None
    wanted = record.script_url.sha256
    for path in sorted(prepared.raw.rglob("*")):
        if path.is_file() and sha256_file(path) == wanted:
            return path
    raise SpeedrunScriptError(
        f"record {record.id}'s script is {record.script_url.url}, which preparation did not fetch; list it as a "
        "url source (same sha256) and prepare where there is a network"
    )


@dataclass(frozen=True)
class ReferenceTimes:
    """The reference times of a record and its successor, and where they came from."""

    record_s: float
    next_s: float
    source: ReferenceSource
    machine: str | None
    note: str | None


def reference_times(
    task: SpeedrunTask, manifest_path: Path, prepared: PreparedTask, record: SpeedrunRecord, successor: SpeedrunRecord
) -> ReferenceTimes:
    """This machine's retimed times when the retime file has both records with their current scripts, else the
    manifest's (with a note saying why)."""
    fallback = "the manifest's reference-hardware times"
    retimed = read_retime(manifest_path)
    if retimed is None:
        return ReferenceTimes(record.time_s, successor.time_s, "manifest", None,
                              f"no readable {retime_path(manifest_path).name}; using {fallback}")  # fmt: skip
    try:
        machine = machine_fingerprint(task).key
    except Exception as error:
        return ReferenceTimes(record.time_s, successor.time_s, "manifest", None,
                              f"cannot fingerprint this machine ({error}); using {fallback}")  # fmt: skip
    times = retimed.machines.get(machine)
    if times is None or times.clock != task.protocol.clock:
        return ReferenceTimes(record.time_s, successor.time_s, "manifest", machine,
                              f"this machine ({machine}) was not retimed; using {fallback}")  # fmt: skip
    found: list[RetimedRecord] = []
    for wanted in (record, successor):
        entry = times.records.get(wanted.id)
        try:
            current = sha256_file(record_script(wanted, manifest_path.parent, prepared))
        except (SpeedrunScriptError, OSError):
            current = None
        if entry is None or entry.script_sha256 != current or not entry.reached:
            return ReferenceTimes(record.time_s, successor.time_s, "manifest", machine,
                                  f"record {wanted.id} has no valid retimed entry for this machine (missing, its "
                                  f"script changed, or it missed the target); using {fallback}")  # fmt: skip
        found.append(entry)
    faster, margin = significantly_faster(found[0], found[1])
    if not faster:
        # FSR divides by t_R - t_{R+1}: a speed-up this machine does not show would make any time score wildly.
        return ReferenceTimes(record.time_s, successor.time_s, "manifest", machine,
                              f"on this machine record {successor.id} ({found[1].mean_s:.3g} s) is not faster than "
                              f"{record.id} ({found[0].mean_s:.3g} s) by 3 sigma (margin {margin:.3g} s); using "
                              f"{fallback}")  # fmt: skip
    return ReferenceTimes(found[0].mean_s, found[1].mean_s, "retime", machine, None)


def time_record(
    bench: Bench,
    script: Path,
    work: Path,
    seeds: int,
    name: str,
    on_seed: Callable[[SeedRun], None] | None = None,
) -> list[SeedRun]:
    """Time a record script over `seeds` seeds, from a scratch workspace holding only the script."""
    workspace = work / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    shutil.copyfile(script, workspace / SCRIPT_NAME)
    runs = []
    for seed in range(seeds):
        run = time_script(bench, workspace, work / f"seed-{seed}", seed, name)
        runs.append(run)
        if on_seed is not None:
            on_seed(run)
    return runs


def retimed_record(bench: Bench, script: Path, runs: Sequence[SeedRun]) -> RetimedRecord | None:
    """The retime entry for a record's runs; None when any run failed (nothing to time)."""
    times = [run.time_s for run in runs if run.time_s is not None and run.failure is None]
    if len(times) != len(runs):
        return None
    mean, std = mean_std(times)
    metrics = [run.metric for run in runs]
    reached = all(value is not None and bench.task.target.reached(value) for value in metrics)
    return RetimedRecord(
        script_sha256=sha256_file(script), times_s=times, mean_s=mean, std_s=std, three_sigma_s=3 * std,
        metrics=metrics, reached=reached, measured_at=datetime.now(UTC),
    )  # fmt: skip


@dataclass
class RetimeOutcome:
    """One record's retiming: its runs, its file entry (None when a run failed) and how it compares."""

    record: SpeedrunRecord
    runs: list[SeedRun]
    entry: RetimedRecord | None
    faster: bool | None = None
    """Faster than the previous timed record by at least 3 sigma of the difference (None for the first)."""
    margin_s: float | None = None
    """The previous record's mean minus this one's."""


def significantly_faster(previous: RetimedRecord, current: RetimedRecord) -> tuple[bool, float]:
    """Whether `current` beats `previous` by at least 3 * sqrt(std_prev**2 + std**2), and by how much (seconds)."""
    margin = previous.mean_s - current.mean_s
    return margin >= 3 * (previous.std_s**2 + current.std_s**2) ** 0.5 and margin > 0, margin


def retime_chain(
    loaded: LoadedTask,
    prepared: PreparedTask,
    work: Path,
    *,
    backend: str = "local",
    seeds: int | None = None,
    only: Sequence[str] = (),
    on_seed: Callable[[SpeedrunRecord, SeedRun], None] | None = None,
) -> tuple[Path, MachineFingerprint, list[RetimeOutcome]]:
    """Time every record (or those in `only`) on this machine and merge the times into the retime file.

    Returns the file written, this machine's fingerprint and each record's outcome in chain order.
    """
    task = loaded.manifest
    assert isinstance(task, SpeedrunTask), "retime is for speedrun manifests"
    bench = Bench(task, loaded.path.parent, prepared, backend)
    fingerprint = machine_fingerprint(task)
    outcomes: list[RetimeOutcome] = []
    for record in task.records:
        if only and record.id not in only:
            continue
        script = record_script(record, loaded.path.parent, prepared)
        report = None if on_seed is None else partial(on_seed, record)
        name = f"retime-{task.id}-{record.id}"
        runs = time_record(bench, script, work / record.id, seeds or task.protocol.seeds, name, report)
        outcomes.append(RetimeOutcome(record, runs, retimed_record(bench, script, runs)))
    previous: RetimedRecord | None = None
    for outcome in outcomes:
        if outcome.entry is not None and previous is not None:
            outcome.faster, outcome.margin_s = significantly_faster(previous, outcome.entry)
        previous = outcome.entry
    data = read_retime(loaded.path) or RetimeFile(task_id=task.id)
    machine = data.machines.get(fingerprint.key)
    if machine is None or machine.clock != task.protocol.clock:
        machine = MachineTimes(fingerprint=fingerprint, clock=task.protocol.clock)
    for outcome in outcomes:
        if outcome.entry is not None:
            machine.records[outcome.record.id] = outcome.entry
        else:
            machine.records.pop(outcome.record.id, None)
    data.machines[fingerprint.key] = machine
    return write_retime(loaded.path, data), fingerprint, outcomes
