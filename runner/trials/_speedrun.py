"""Speedrun trials: the agent starts from record R's script (and a hint); the runner times what it leaves under
the task's protocol, evaluates the saved models itself, checks the invariants and scores FSR against R+1."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from runner.preparation import PreparedTask, default_cache_root
from runner.results import SpeedrunDetails, TrialDetails
from runner.sandboxes import CODE_DIR
from runner.scoring import fsr
from runner.speedrun import (
    DATA_FOLDER,
    MODEL_NAME,
    RULE_FAILURES,
    SCRIPT_NAME,
    Bench,
    ReferenceTimes,
    SeedRun,
    SpeedrunScriptError,
    copy_public_data,
    data_changes,
    declared_slices,
    mean_std,
    pristine_problems,
    public_hashes,
    record_script,
    reference_times,
    script_environment,
    staging_problems,
    time_script,
)
from spec import HINT_LEVELS, HintSelection, ScriptUrl, SpeedrunRecord, SpeedrunTask, UrlSource, task_file

from ._kinds import KindRuntime, Scored, TrialOptionError, kind_runtime
from ._workspace import TrialFolders

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest

HINT_NAME = "HINT.md"
HINT_FETCH_TIMEOUT_S = 30


def _task(request: TrialRequest) -> SpeedrunTask:
    manifest = request.manifest
    assert isinstance(manifest, SpeedrunTask), "the speedrun runtime runs speedrun tasks"
    return manifest


def record_pair(request: TrialRequest) -> tuple[SpeedrunRecord, SpeedrunRecord]:
    """Record R the agent starts from (default: the first of the chain) and its successor R+1."""
    task = _task(request)
    record_id = request.record if request.record is not None else task.records[0].id
    try:
        record = task.record(record_id)
    except KeyError as error:
        raise TrialOptionError(f"--record: {error.args[0]}") from None
    successor = task.successor(record.id)
    if successor is None:
        starts = ", ".join(r.id for r in task.records[:-1])
        raise TrialOptionError(
            f"--record {record.id} is the last record of {task.id}: there is no next record to measure a speed-up "
            f"against; start from one of {starts}"
        )
    return record, successor


def _stage_records(
    task: SpeedrunTask,
    request: TrialRequest,
    prepared: PreparedTask,
    folders: TrialFolders,
    record: SpeedrunRecord,
    successor: SpeedrunRecord,
) -> list[Path]:
    """Workspaces holding only records R's and R+1's scripts, for timing them alongside the agent's."""
    workspaces = []
    for which in (record, successor):
        workspace = folders.root / "speedrun" / "references" / which.id / "workspace"
        shutil.rmtree(workspace, ignore_errors=True)
        workspace.mkdir(parents=True)
        shutil.copyfile(record_script(which, request.task.path.parent, prepared), workspace / SCRIPT_NAME)
        workspaces.append(workspace)
    return workspaces


def _interleaved_references(
    record: SpeedrunRecord, successor: SpeedrunRecord, timed: list[list[SeedRun]]
) -> ReferenceTimes | str:
    """Reference times from records R and R+1 timed in this trial; a string says why there are none."""
    means = []
    for which, runs in zip((record, successor), timed, strict=True):
        failed = next((run for run in runs if run.failure is not None or run.time_s is None), None)
        if failed is not None:
            return f"record {which.id}'s own script failed when timed for reference: {failed.reason or failed.failure}"
        means.append(mean_std([run.time_s for run in runs if run.time_s is not None])[0])
    return ReferenceTimes(means[0], means[1], "interleaved", None, None)


def hint_selection(request: TrialRequest) -> HintSelection:
    """The request's hints (`--hint-level`), parsed; TrialOptionError when the text names none."""
    try:
        return HintSelection.parse(str(request.hint_level or 0))
    except ValueError as error:
        raise TrialOptionError(f"--hint-level: {error}") from None


def _level_name(level: int) -> str:
    return "0 (diff)" if level == 0 else f"{level} ({HINT_LEVELS[level - 1]})"


def _upstream_hint(url: ScriptUrl, selection: HintSelection) -> bytes:
    """An upstream hint file, from the cache or fetched once (it needs the network then), checked by SHA-256."""
    cached = default_cache_root() / "hints" / url.sha256
    if cached.is_file():
        return cached.read_bytes()
    try:
        with urllib.request.urlopen(url.url, timeout=HINT_FETCH_TIMEOUT_S) as response:
            data: bytes = response.read()
    except (OSError, ValueError) as error:
        raise TrialOptionError(
            f"--hint-level {selection.text}: cannot fetch {url.url} ({type(error).__name__}); upstream hints need the "
            "network once; offline, use the task's own hints (the same levels without `upstream:`)"
        ) from None
    if hashlib.sha256(data).hexdigest() != url.sha256:
        raise TrialOptionError(f"--hint-level {selection.text}: {url.url} does not have the sha256 the manifest pins")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{url.sha256}.{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(cached)  # atomic: a concurrent trial reads the whole file or none
    return data


@kind_runtime("speedrun")
class SpeedrunRuntime(KindRuntime):
    """Time the agent's train.py over the protocol's seeds, evaluate, check invariants and target, score FSR."""

    def check(self, request: TrialRequest) -> None:
        record, successor = record_pair(request)
        fetched = {source.sha256 for source in request.manifest.sources if isinstance(source, UrlSource)}
        for needed in (record, successor):
            if needed.script_url is not None and needed.script_url.sha256 not in fetched:
                # Preparation could never provide it: retrying the trial would fail the same way forever.
                raise TrialOptionError(
                    f"--record {record.id}: record {needed.id}'s script_url {needed.script_url.url} is not among "
                    f"the sources of {request.manifest.id}, so preparation never fetches it; add it as a url source "
                    "with the same sha256 (`runner validate` reports this as speedrun.script-url-no-source)"
                )
        selection = hint_selection(request)
        for level in selection.levels:
            if selection.upstream:
                url = successor.hints.upstream.at_level(level) if successor.hints.upstream is not None else None
                if url is None:
                    raise TrialOptionError(
                        f"--hint-level {selection.text}: record {successor.id} of {request.manifest.id} has no "
                        f"upstream hint at level {level}"
                    )
                _upstream_hint(url, selection)  # fetched now, so that no trial starts without it
            elif level and successor.hints.at_level(level) is None:
                raise TrialOptionError(
                    f"--hint-level {selection.text}: record {successor.id} of {request.manifest.id} has no hint at "
                    f"level {level}"
                )

    def setup(self, request: TrialRequest, folders: TrialFolders, prepared: PreparedTask) -> dict[str, str]:
        task = _task(request)
        record, _ = record_pair(request)
        manifest_dir = request.task.path.parent
        try:
            script = record_script(record, manifest_dir, prepared)
        except SpeedrunScriptError as error:
            raise OSError(str(error)) from None
        shutil.copyfile(script, folders.code / SCRIPT_NAME)
        selection = hint_selection(request)
        texts = [self._hint(selection, level, request, prepared) for level in selection.levels]
        if len(texts) == 1:
            (folders.code / HINT_NAME).write_bytes(texts[0])
        elif texts:
            joined = b"\n\n".join(
                f"# Hint level {_level_name(level)}\n\n".encode() + text
                for level, text in zip(selection.levels, texts, strict=True)
            )
            (folders.code / HINT_NAME).write_bytes(joined)
        copy_public_data(prepared, folders.code / DATA_FOLDER)
        env = script_environment(task, 0, f"{CODE_DIR}/{DATA_FOLDER}", f"{CODE_DIR}/{MODEL_NAME}")
        return env | {"SPEEDRUN_RECORD": record.id, "SPEEDRUN_HINT_LEVEL": selection.text}

    def _hint(self, selection: HintSelection, level: int, request: TrialRequest, prepared: PreparedTask) -> bytes:
        """One level's hint: the upstream file, the diff of the two records' scripts, or our hint file."""
        record, successor = record_pair(request)
        if selection.upstream:
            assert successor.hints.upstream is not None  # `check` made sure
            url = successor.hints.upstream.at_level(level)
            assert url is not None
            return _upstream_hint(url, selection)
        if level == 0:
            manifest_dir = request.task.path.parent
            try:
                scripts = [record_script(which, manifest_dir, prepared) for which in (record, successor)]
            except SpeedrunScriptError as error:
                raise OSError(str(error)) from None
            before, after = (path.read_text(encoding="utf-8").splitlines(keepends=True) for path in scripts)
            diff = difflib.unified_diff(
                before, after, fromfile=f"{record.id}/{SCRIPT_NAME}", tofile=f"{successor.id}/{SCRIPT_NAME}"
            )
            return "".join(diff).encode("utf-8")
        reference = successor.hints.at_level(level)
        assert reference is not None  # `check` made sure
        return task_file(request.task.path, reference).read_bytes()

    def higher_is_better(self, request: TrialRequest) -> bool:
        return True  # the score is FSR

    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        task = _task(request)
        record, successor = record_pair(request)
        selection = hint_selection(request)
        details = SpeedrunDetails(
            record=record.id, next_record=successor.id, hint_level=selection.highest, hints=selection.text,
            clock=task.protocol.clock, metric=task.target.metric, threshold=task.target.threshold,
        )  # fmt: skip
        broken = pristine_problems(task, prepared)
        if broken:
            return Scored(status="infra_error", reason="the task's prepared data is wrong: " + "; ".join(broken),
                          details=details)  # fmt: skip
        violations = data_changes(folders.code / DATA_FOLDER, public_hashes(prepared))
        validation = task.invariants.validation
        if validation.constant is not None:
            violations += [
                f"{place} but the validation slice is fixed at {validation.tokens} tokens"
                for place in declared_slices(folders.code, validation.constant, validation.tokens)
            ]
        violations += staging_problems(folders.code)
        if violations:
            details.violations = violations
            return Scored(score=0.0, status="rule_violation", reason="; ".join(violations), details=details)
        if not (folders.code / SCRIPT_NAME).is_file():
            return Scored(score=0.0, status="invalid_submission",
                          reason=f"the workspace has no {SCRIPT_NAME} to time", details=details)  # fmt: skip
        bench = Bench(task, request.task.path.parent, prepared, settings.backend)
        name = request.key.trial_id.replace("/", "-")
        interleaved = task.protocol.references == "interleaved"
        pair = _stage_records(task, request, prepared, folders, record, successor) if interleaved else []
        runs: list[SeedRun] = []
        reference_runs: list[list[SeedRun]] = [[] for _ in pair]
        for seed in range(task.protocol.seeds):
            if settings.stop.is_set():
                return Scored(status="infra_error", reason="stopped before every seed was timed", details=details)
            for workspace, timed in zip(pair, reference_runs, strict=True):
                timed.append(time_script(bench, workspace, workspace.parent / f"seed-{seed}", seed, name))
            run = time_script(bench, folders.code, folders.root / "speedrun" / f"seed-{seed}", seed, name)
            runs.append(run)
            if run.failure is not None:
                break
        measured = _interleaved_references(record, successor, reference_runs) if interleaved else None
        if isinstance(measured, str):
            return Scored(status="infra_error", reason=measured, details=details)
        return self._scored(request, task, prepared, details, record, successor, runs, measured)

    @staticmethod
    def _scored(
        request: TrialRequest,
        task: SpeedrunTask,
        prepared: PreparedTask,
        details: SpeedrunDetails,
        record: SpeedrunRecord,
        successor: SpeedrunRecord,
        runs: list[SeedRun],
        measured: ReferenceTimes | None = None,
    ) -> Scored:
        details.cpu_s = [run.cpu_s for run in runs if run.cpu_s is not None]
        details.wall_s = [run.wall_s for run in runs if run.wall_s is not None]
        details.metric_values = [run.metric for run in runs]
        failed = next((run for run in runs if run.failure is not None), None)
        if failed is not None:
            if failed.failure in RULE_FAILURES:
                details.violations = [failed.reason or failed.failure or "a rule was broken"]
                return Scored(score=0.0, status="rule_violation", reason=failed.reason, details=details)
            details.fsr = 0.0
            return Scored(score=0.0, status="invalid_submission", reason=failed.reason, details=details)
        times = [run.time_s for run in runs if run.time_s is not None]
        details.times_s = times
        details.time_s, details.time_std_s = mean_std(times)
        metrics = [run.metric for run in runs if run.metric is not None]
        worst = min(metrics) if task.target.higher_is_better else max(metrics)
        details.metric_value = worst
        details.reached = task.target.reached(worst)
        references = measured or reference_times(task, request.task.path, prepared, record, successor)
        details.reference_time_s, details.next_reference_time_s = references.record_s, references.next_s
        details.reference_source, details.reference_note = references.source, references.note
        details.machine = references.machine
        if not details.reached:
            missed = next(run for run in runs if run.metric is not None and not task.target.reached(run.metric))
            details.fsr = 0.0
            relation = "below" if task.target.higher_is_better else "above"
            return Scored(
                score=0.0,
                reason=f"missed the target: seed {missed.seed} reached {task.target.metric} = {missed.metric:.4f}, "
                f"{relation} the threshold {task.target.threshold:g} on the fixed "
                f"{task.invariants.validation.tokens}-token validation slice",
                details=details,
            )
        try:
            details.fsr = fsr(references.record_s, references.next_s, details.time_s)
        except ValueError as error:  # reference times that show no speed-up: the task's data is at fault
            return Scored(status="infra_error", details=details,
                          reason=f"cannot score FSR against {references.source} times of {record.id} and "
                          f"{successor.id}: {error}")  # fmt: skip
        return Scored(score=details.fsr, details=details)

    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        try:
            record, successor = record_pair(request)
        except TrialOptionError:
            selection = hint_selection(request)
            return SpeedrunDetails(record=request.record, hint_level=selection.highest, hints=selection.text)
        selection = hint_selection(request)
        return SpeedrunDetails(
            record=record.id, next_record=successor.id, hint_level=selection.highest, hints=selection.text
        )
