"""Speedrun trials end to end on the local backend, on the micro chain (tests/fixtures/tasks/speedrun/): the runner
times scripts itself, evaluates the saved models itself, enforces the invariants, and scores FSR against the next
record with times retimed on this machine."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.preparation import prepare_task
from runner.results import SpeedrunDetails, TrialResult
from runner.speedrun import (
    HELPER_MAX_BYTES,
    MachineTimes,
    RetimedRecord,
    RetimeFile,
    SeedRun,
    declared_slices,
    machine_fingerprint,
    pristine_problems,
    read_retime,
    reference_times,
    retime_path,
    sha256_file,
    write_retime,
)
from runner.trials import RunSettings, TrialRequest, run_trial
from runner.trials._kinds import TrialOptionError, get_kind_runtime
from runner.trials._speedrun import SpeedrunRuntime
from spec import HintSelection, SpeedrunTask, load_task
from tests.conftest import FIXTURES, REPO, RUNNER, replace_in, require_bwrap


@dataclass(frozen=True)
class Chain:
    manifest: Path
    cache: Path
    runs: Path


# The sample agent recovers none of the speed-up: its FSR belongs near 0. It is one timing of record R's script
# (about 1 s of CPU) against another taken earlier, and CPU time on a loaded 2-core machine (the suite runs in
# parallel) drifts by up to a third between the two, so a single sample lands anywhere from well below zero to about
# 0.6 (seen in CI: -0.82 and 0.56). The bounds are loose on purpose; what the test insists on is the gap to the
# baseline, which runs R+1's script and recovers the whole speed-up.
SAMPLE_FSR_FLOOR = -1.5
SAMPLE_FSR_CEILING = 0.75
BASELINE_LEAD = 0.25


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """A copy of the micro chain timed with one seed per run (the tests compare behaviour, not precision)."""
    require_bwrap()
    root = tmp_path_factory.mktemp("speedrun")
    ignore = shutil.ignore_patterns("__pycache__", "*.retime.json")
    shutil.copytree(FIXTURES / "speedrun", root / "speedrun", ignore=ignore)
    manifest = root / "speedrun" / "micro-chain.yaml"
    replace_in(manifest, "seeds: 2, threads: 1", "seeds: 1, threads: 1")
    yield Chain(manifest, root / "cache", root / "runs")


def _trial(chain: Chain, agent: str, *, record: str | None = "r0", hint: int | str | None = None,
           args: tuple[str, ...] = ()) -> TrialResult:  # fmt: skip
    task = load_task(chain.manifest)
    settings = RunSettings(runs_dir=chain.runs, backend="local", cache_root=chain.cache)
    level = None if hint is None else str(hint)
    return run_trial(TrialRequest(task, agent, args=args, record=record, hint_level=level), settings)


def _details(result: TrialResult) -> SpeedrunDetails:
    assert isinstance(result.details, SpeedrunDetails)
    return result.details


def test_declared_slice_is_found_in_every_form(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ignored.py").write_text("VAL_TOKENS = 1\n")
    (tmp_path / "train.py").write_text(
        "VAL_TOKENS = 4096\nval_tokens: int = 512\n"
        "class Hyper:\n    Val_Tokens = 64\n"
        "def f(**kw): pass\nf(val_tokens=8)\nother = 3\nVAL_TOKENS = True\n"
    )
    assert declared_slices(tmp_path, "VAL_TOKENS", 4096) == [
        "train.py:2 sets val_tokens = 512", "train.py:4 sets Val_Tokens = 64", "train.py:6 sets val_tokens = 8",
    ]  # fmt: skip


def test_record_and_hint_options_are_checked(chain: Chain) -> None:
    runtime = get_kind_runtime("speedrun")
    task = load_task(chain.manifest)
    runtime.check(TrialRequest(task, "sample"))
    runtime.check(TrialRequest(task, "sample", record="r1", hint_level="3"))
    runtime.check(TrialRequest(task, "sample", record="r1", hint_level="diff+1+2+3"))
    with pytest.raises(TrialOptionError, match="expected 0 \\(none\\), levels 1-3 and diff"):
        runtime.check(TrialRequest(task, "sample", record="r1", hint_level="4"))
    with pytest.raises(TrialOptionError, match="no upstream hint at level 1"):
        runtime.check(TrialRequest(task, "sample", record="r1", hint_level="upstream:1"))
    with pytest.raises(TrialOptionError, match="r2 is the last record"):
        runtime.check(TrialRequest(task, "sample", record="r2"))
    with pytest.raises(TrialOptionError, match="no record 'r9'"):
        runtime.check(TrialRequest(task, "sample", record="r9"))


def test_edited_validation_data_is_a_rule_violation(chain: Chain) -> None:
    result = _trial(chain, "command", hint=2, args=("printf x >> data/val.bin",))
    assert result.status == "rule_violation" and result.score == 0.0
    assert result.reason is not None and "data/val.bin was changed" in result.reason
    workspace = chain.runs / result.trial_id / "workspace" / "code"
    hint = (FIXTURES / "speedrun" / "micro-chain" / "hints" / "r1" / "description.md").read_text()
    assert (workspace / "HINT.md").read_text() == hint
    record = (FIXTURES / "speedrun" / "micro-chain" / "records" / "r0.py").read_text()
    assert (workspace / "train.py").read_text() == record
    assert _details(result).violations and _details(result).record == "r0"


def test_shrunk_validation_slice_is_a_rule_violation(chain: Chain) -> None:
    result = _trial(chain, "command", args=("sed -i 's/^VAL_TOKENS = 4096/VAL_TOKENS = 256/' train.py",))
    assert result.status == "rule_violation" and result.score == 0.0
    assert result.reason is not None and "train.py:12 sets VAL_TOKENS = 256" in result.reason
    assert "4096 tokens" in result.reason


def test_script_that_writes_its_data_is_a_rule_violation(chain: Chain) -> None:
    script = 'import os; open(os.environ["SPEEDRUN_DATA"] + "/val.bin", "ab").write(b"x")'
    result = _trial(chain, "command", args=(f"echo '{script}' > train.py",))
    assert result.status == "rule_violation" and result.score == 0.0
    assert result.reason is not None and "the script changed its data" in result.reason


def test_missed_target_scores_zero_whatever_the_script_prints(chain: Chain) -> None:
    command = "sed -i 's/^STEPS = 1500/STEPS = 3/' train.py && echo 'print(\"val_loss 0.5\")' >> train.py"
    result = _trial(chain, "command", args=(command,))
    details = _details(result)
    assert result.status == "ok" and result.score == 0.0 and details.fsr == 0.0
    assert details.reached is False and details.metric_value is not None and details.metric_value > 1.02
    assert result.reason is not None and "missed the target" in result.reason and "4096-token" in result.reason
    # Collected before the retime test, so no retime file exists yet: the manifest's times, with a note.
    assert details.reference_source == "manifest" and details.reference_time_s == 3.11
    assert details.reference_note is not None and "micro-chain.retime.json" in details.reference_note


def test_cpu_of_processes_the_script_leaves_behind_is_counted(chain: Chain) -> None:
    # The script idles while a detached helper burns CPU, then exits without waiting for it or saving a model.
    script = (
        "import os, subprocess, sys, time\n"
        'burn = \'import time\\nwhile time.process_time() < 0.6: pass\\nopen("burnt", "w").close()\\n'
        "while True: pass'\n"
        "subprocess.Popen([sys.executable, '-c', burn], start_new_session=True)\n"
        "while not os.path.exists('burnt'): time.sleep(0.05)\n"
    )
    encoded = base64.b64encode(script.encode()).decode()
    result = _trial(chain, "command", args=(f"echo {encoded} | base64 -d > train.py",))
    assert result.status == "invalid_submission" and "saved no model" in (result.reason or "")
    assert _details(result).cpu_s and _details(result).cpu_s[0] >= 0.6


def test_failing_script_is_an_invalid_submission(chain: Chain) -> None:
    result = _trial(chain, "command", args=("echo 'raise SystemExit(3)' > train.py",))
    assert result.status == "invalid_submission" and result.score == 0.0
    assert result.reason is not None and "exit code 3" in result.reason


def _script(source: str) -> tuple[str]:
    """A command-agent argument that replaces train.py with `source`."""
    return (f"echo {base64.b64encode(source.encode()).decode()} | base64 -d > train.py",)


def test_model_that_sees_future_tokens_is_a_rule_violation(chain: Chain) -> None:
    # No training: predict each position's next token by reading it from the input. Without the causality probe
    # this scores a near-zero validation loss in a fraction of a second, an enormous FSR.
    cheat = (
        "import os, torch\n"
        "class Peek(torch.nn.Module):\n"
        "    def forward(self, idx: torch.Tensor) -> torch.Tensor:\n"
        "        return torch.nn.functional.one_hot(torch.roll(idx, -1, 1), 32).float() * 20\n"
        "torch.jit.save(torch.jit.script(Peek()), os.environ['SPEEDRUN_MODEL'])\n"
    )
    result = _trial(chain, "command", args=_script(cheat))
    assert result.status == "rule_violation" and result.score == 0.0, result
    assert result.reason is not None and "the model is not causal" in result.reason
    assert _details(result).violations and _details(result).fsr is None


def test_weights_trained_outside_the_clock_never_reach_the_timed_run(chain: Chain) -> None:
    # The agent trains in its sandbox, untimed, and submits a script that only copies the weights into place.
    copy = "import os, shutil\nshutil.copyfile('weights.bin', os.environ['SPEEDRUN_MODEL'])\n"
    command = f"python train.py && mv model.pt weights.bin && {_script(copy)[0]}"
    result = _trial(chain, "command", record="r1", args=(command,))
    assert (chain.runs / result.trial_id / "workspace" / "code" / "weights.bin").is_file()
    assert result.status == "invalid_submission" and result.score == 0.0, result
    assert result.reason is not None and "weights.bin" in result.reason and "No such file" in result.reason


def test_python_file_over_the_cap_is_a_rule_violation(chain: Chain) -> None:
    command = f"head -c {HELPER_MAX_BYTES + 1} /dev/zero | tr '\\0' '#' > weights.py"
    result = _trial(chain, "command", args=(command,))
    assert result.status == "rule_violation" and result.score == 0.0, result
    assert result.reason is not None and f"weights.py is {HELPER_MAX_BYTES + 1} bytes, over the" in result.reason


def test_timer_secret_cannot_be_forged_from_the_script(chain: Chain) -> None:
    # The script searches its own memory for the timer's secret, prints a forged report under every candidate,
    # then kills the timer so that the real report never comes.
    forger = (
        "import ctypes, json, os, re, signal, torch\n"
        "class Zero(torch.nn.Module):\n"
        "    def forward(self, idx: torch.Tensor) -> torch.Tensor:\n"
        "        return torch.zeros(idx.shape[0], idx.shape[1], 32)\n"
        "torch.jit.save(torch.jit.script(Zero()), os.environ['SPEEDRUN_MODEL'])\n"
        "found = set()\n"
        "with open('/proc/self/maps') as maps:\n"
        "    for line in maps:\n"
        "        fields = line.split()\n"
        "        if not fields[1].startswith('rw') or (len(fields) > 5 and fields[5] != '[heap]'):\n"
        "            continue\n"
        "        start, end = (int(x, 16) for x in fields[0].split('-'))\n"
        "        memory = ctypes.string_at(start, end - start)\n"
        "        found.update(re.findall(rb'(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])', memory))\n"
        "report = json.dumps({'exit_code': 0, 'cpu_s': 0.001, 'wall_s': 0.001, 'max_rss_kb': 1})\n"
        "print(f'candidates {len(found)}')\n"
        "print(''.join(f'\\n{c.decode()} {report}' for c in found), flush=True)\n"
        "os.kill(os.getppid(), signal.SIGKILL)\n"
    )
    result = _trial(chain, "command", args=_script(forger))
    assert result.status == "invalid_submission" and result.score == 0.0, result
    assert _details(result).cpu_s != [0.001]
    assert result.reason is not None and "exit code" in result.reason and "Traceback" not in result.reason


def test_evaluation_slice_is_not_public_and_a_leak_is_caught(chain: Chain, tmp_path: Path) -> None:
    loaded = load_task(chain.manifest)
    task = loaded.manifest
    assert isinstance(task, SpeedrunTask)
    prepared = prepare_task(loaded, cache_root=chain.cache)
    assert pristine_problems(task, prepared) == []
    private = (prepared.private / "val.bin").read_bytes()
    assert all(private not in path.read_bytes() for path in prepared.public.rglob("*") if path.is_file())
    # A preparation that leaks the slice (here: inside the training data) leaves the task unusable.
    root = tmp_path / "leaky"
    shutil.copytree(chain.manifest.parent, root, ignore=shutil.ignore_patterns("*.retime.json"))
    manifest = root / chain.manifest.name
    replace_in(root / "micro-chain" / "prepare.py", '.tofile(private / "val.bin")',
               '.tofile(private / "val.bin")\n    (private / "val.bin").write_bytes((public / "train.bin").read_bytes()'
               '[1000:5096])')  # fmt: skip
    replace_in(manifest, "    sha256: 36afd8bb1f98a1b85de20f009687459f84be6d4053334da8e96fcb1941006b1a\n", "")
    leaky = load_task(manifest)
    assert isinstance(leaky.manifest, SpeedrunTask), leaky.problems
    problems = pristine_problems(leaky.manifest, prepare_task(leaky, cache_root=tmp_path / "cache"))
    assert problems == [
        "the evaluation slice private/val.bin is in the public data (public/train.bin); a timed script could "
        "memorise it (prepare must write a different public slice, or none)"
    ]


def test_retimed_times_without_a_speedup_fall_back_and_fsr_errors_are_reported(chain: Chain, tmp_path: Path) -> None:
    root = tmp_path / "flat"
    shutil.copytree(chain.manifest.parent, root, ignore=shutil.ignore_patterns("*.retime.json"))
    manifest = root / chain.manifest.name
    loaded = load_task(manifest)
    task = loaded.manifest
    assert isinstance(task, SpeedrunTask)
    prepared = prepare_task(loaded, cache_root=chain.cache)
    r0, r1 = task.record("r0"), task.record("r1")
    fingerprint = machine_fingerprint(task)
    machine = MachineTimes(fingerprint=fingerprint, clock=task.protocol.clock)
    for record in (r0, r1):  # this machine shows no speed-up from r0 to r1
        assert record.script is not None
        machine.records[record.id] = RetimedRecord(
            script_sha256=sha256_file(root / record.script), times_s=[2.0, 2.0], mean_s=2.0, std_s=0.0,
            three_sigma_s=0.0, metrics=[0.9, 0.9], reached=True, measured_at="2026-11-22T00:00:00Z",
        )  # fmt: skip
    write_retime(manifest, RetimeFile(task_id=task.id, machines={fingerprint.key: machine}))
    references = reference_times(task, manifest, prepared, r0, r1)
    assert (references.source, references.record_s, references.next_s) == ("manifest", 3.11, 1.13)
    assert references.note is not None and "r1 (2 s) is not faster than r0 (2 s)" in references.note
    # Manifest times that show no speed-up either: FSR is undefined, which is the task's fault, not a traceback.
    retime_path(manifest).unlink()
    replace_in(manifest, "time_s: 1.13", "time_s: 3.11")
    loaded = load_task(manifest)
    request = TrialRequest(loaded, "sample", record="r0")
    details = SpeedrunDetails(record="r0", next_record="r1", hint_level=0)
    flat = loaded.manifest
    assert isinstance(flat, SpeedrunTask)
    run = SeedRun(seed=0, time_s=1.0, cpu_s=1.0, wall_s=1.5, metric=0.9)
    scored = SpeedrunRuntime._scored(request, flat, prepared, details, flat.record("r0"), flat.record("r1"), [run])
    assert scored.status == "infra_error" and scored.reason is not None
    assert "cannot score FSR against manifest times of r0 and r1" in scored.reason


def test_unfetchable_record_script_is_a_usage_error(chain: Chain, tmp_path: Path) -> None:
    root = tmp_path / "url"
    shutil.copytree(chain.manifest.parent, root, ignore=shutil.ignore_patterns("*.retime.json"))
    manifest = root / chain.manifest.name
    replace_in(manifest, "script: micro-chain/records/r1.py",
               f"script_url: {{url: 'https://example.org/r1.py', sha256: {'a' * 64}}}")  # fmt: skip
    task = load_task(manifest)
    with pytest.raises(TrialOptionError, match=r"record r1's script_url \S+ is not among the sources"):
        get_kind_runtime("speedrun").check(TrialRequest(task, "sample", record="r0"))


def test_retime_usage_errors() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    manifest = FIXTURES / "speedrun" / "micro-chain.yaml"
    for arguments, message in (
        ([str(FIXTURES / "curated" / "penguins-species.yaml")], "retime is for speedrun tasks"),
        ([str(manifest), "--record", "r7"], "--record r7: not in the chain (r0, r1, r2)"),
    ):
        completed = subprocess.run([*RUNNER, "speedrun", "retime", *arguments], capture_output=True, text=True,
                                   cwd=REPO, env=env, timeout=120)  # fmt: skip
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr


def test_retime_then_baseline_and_sample_recover_all_and_none_of_the_speedup(chain: Chain) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    completed = subprocess.run(
        [*RUNNER, "speedrun", "retime", str(chain.manifest), "--cache-dir", str(chain.cache)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=900,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "wrote" in completed.stdout and "faster by" in completed.stdout
    retimed = read_retime(chain.manifest)
    assert retimed is not None and retime_path(chain.manifest).name == "micro-chain.retime.json"
    (machine,) = retimed.machines.values()
    means = [machine.records[r].mean_s for r in ("r0", "r1", "r2")]
    assert means == sorted(means, reverse=True) and all(entry.reached for entry in machine.records.values())
    task = load_task(chain.manifest).manifest
    assert isinstance(task, SpeedrunTask)
    for record, successor in (("r0", "r1"), ("r1", "r2")):
        baseline, sample = _trial(chain, "baseline", record=record), _trial(chain, "sample", record=record)
        for result in (baseline, sample):
            details = _details(result)
            assert result.status == "ok" and result.higher_is_better, result.reason
            assert details.reference_source == "retime" and details.next_record == successor
            assert details.reached and details.time_s is not None and details.time_s > 0
            assert result.score == details.fsr
        assert 0.5 < _details(baseline).fsr < 1.5, _details(baseline)  # type: ignore[operator]
        assert SAMPLE_FSR_FLOOR < _details(sample).fsr < SAMPLE_FSR_CEILING, _details(sample)  # type: ignore[operator]
        assert _details(sample).fsr < _details(baseline).fsr - BASELINE_LEAD  # type: ignore[operator]
    on_disk = json.loads((chain.runs / baseline.trial_id / "result.json").read_text())
    assert on_disk["details"]["kind"] == "speedrun" and on_disk["details"]["reference_source"] == "retime"


def test_interleaved_references_time_both_records_in_the_trial(tmp_path: Path) -> None:
    require_bwrap()
    shutil.copytree(FIXTURES / "speedrun", tmp_path / "speedrun", ignore=shutil.ignore_patterns("*.retime.json"))
    manifest = tmp_path / "speedrun" / "micro-chain.yaml"
    replace_in(manifest, "seeds: 2, threads: 1", "seeds: 2, threads: 1, references: interleaved")
    task = load_task(manifest)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    baseline = run_trial(TrialRequest(task, "baseline", record="r0"), settings)
    sample = run_trial(TrialRequest(task, "sample", record="r0"), settings)
    for result in (baseline, sample):
        details = _details(result)
        assert result.status == "ok", result.reason
        assert details.reference_source == "interleaved" and details.reference_note is None
        assert details.reference_time_s is not None and details.next_reference_time_s is not None
        assert details.next_reference_time_s < details.reference_time_s
        folder = tmp_path / "runs" / result.trial_id / "speedrun" / "references"
        assert sorted(path.name for path in folder.iterdir()) == ["r0", "r1"]
        assert all((folder / record / "seed-1").is_dir() for record in ("r0", "r1")), "every seed times both"
    assert 0.5 < _details(baseline).fsr < 1.5, _details(baseline)  # type: ignore[operator]
    assert SAMPLE_FSR_FLOOR < _details(sample).fsr < SAMPLE_FSR_CEILING, _details(sample)  # type: ignore[operator]
    assert _details(sample).fsr < _details(baseline).fsr - BASELINE_LEAD  # type: ignore[operator]


def test_hint_selections_are_written_one_way() -> None:
    assert [HintSelection.parse(text).text for text in ("0", "none", "2", "2+1", "1+2+3", "diff", "1+diff")] == [
        "0", "0", "2", "1+2", "1+2+3", "diff", "diff+1"
    ]  # fmt: skip
    upstream = HintSelection.parse("upstream:1+2")
    assert upstream.upstream and upstream.levels == (1, 2) and upstream.slug == "upstream-1+2"
    assert HintSelection.parse("diff").highest == 0 and HintSelection.parse("1+2+3").highest == 3
    for bad in ("4", "1+1", "upstream:0", "one"):
        with pytest.raises(ValueError, match="hint selection"):
            HintSelection.parse(bad)


def test_combined_levels_and_the_level_0_diff_reach_the_workspace(chain: Chain) -> None:
    hints = FIXTURES / "speedrun" / "micro-chain" / "hints" / "r1"
    combined = _trial(chain, "command", hint="1+2", args=("printf x >> data/val.bin",))
    assert _details(combined).hints == "1+2" and _details(combined).hint_level == 2
    assert combined.trial_id.split("/")[1].endswith("-hint-1+2")
    text = (chain.runs / combined.trial_id / "workspace" / "code" / "HINT.md").read_text()
    assert text.index("# Hint level 1 (pseudocode)") < text.index("# Hint level 2 (description)")
    assert (hints / "pseudocode.md").read_text() in text and (hints / "description.md").read_text() in text

    diff = _trial(chain, "command", hint="diff", args=("printf x >> data/val.bin",))
    text = (chain.runs / diff.trial_id / "workspace" / "code" / "HINT.md").read_text()
    assert text.startswith("--- r0/train.py\n+++ r1/train.py\n")
    assert _details(diff).hints == "diff" and _details(diff).hint_level == 0


def test_upstream_hints_come_from_the_cache_or_the_network_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import socket

    shutil.copytree(FIXTURES / "speedrun", tmp_path / "speedrun", ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tmp_path / "speedrun" / "micro-chain.yaml"
    cached, missing = b"upstream level 1\n", b"upstream level 2\n"
    refs = {name: hashlib.sha256(data).hexdigest() for name, data in (("one", cached), ("two", missing))}
    with socket.socket() as probe:  # a loopback port nobody listens on: the fetch is refused, as offline
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    replace_in(
        manifest,
        "hints: {pseudocode: micro-chain/hints/r1/pseudocode.md,",
        "hints: {upstream: {pseudocode: {url: 'https://example.invalid/l1.txt', sha256: " + refs["one"] + "}, "
        f"description: {{url: 'http://127.0.0.1:{closed_port}/l2.txt', sha256: " + refs["two"] + "}}, "
        "pseudocode: micro-chain/hints/r1/pseudocode.md,",
    )
    monkeypatch.setenv("BENCHSMITH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "hints").mkdir(parents=True)
    (tmp_path / "cache" / "hints" / refs["one"]).write_bytes(cached)

    task = load_task(manifest)
    runtime = get_kind_runtime("speedrun")
    runtime.check(TrialRequest(task, "sample", record="r0", hint_level="upstream:1"))
    with pytest.raises(TrialOptionError, match="upstream hints need the network once; offline, use the task's own"):
        runtime.check(TrialRequest(task, "sample", record="r0", hint_level="upstream:1+2"))


def test_nanogpt_upstream_hints_are_llm_speedrunners_files(tmp_path: Path) -> None:
    import hashlib

    from tests.conftest import upstream_checkout

    checkout = upstream_checkout("llm-speedrunner", tmp_path)
    task = load_task(REPO / "tasks" / "speedrun" / "nanogpt-speedrun.yaml").manifest
    assert isinstance(task, SpeedrunTask)
    checked = 0
    for record in task.records[1:]:
        upstream = record.hints.upstream
        assert upstream is not None, record.id
        for level in range(4):
            url = upstream.at_level(level)
            assert url is not None, (record.id, level)
            path = url.url.split("/bfde801f7cef707e85a2d8b64b5ee89d9d5f20b5/", 1)[1]
            assert hashlib.sha256((checkout / path).read_bytes()).hexdigest() == url.sha256, url.url
            checked += 1
    assert checked == 4 * (len(task.records) - 1)


def test_report_gives_fsr_per_record_transition_with_a_seed_bootstrap(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from runner.reports import build_report, display_tables, load_trials
    from runner.results import Lock, write_result

    fsrs = {("r0", "r1"): [0.2, 0.4, 0.6], ("r1", "r2"): [0.9, 0.9, 0.9], ("r2", "r3"): [0.7]}
    for (record, following), values in fsrs.items():
        for seed, value in enumerate(values):
            trial_id = f"micro-chain@{'d' * 12}/command-record-{record}-hint-1+2/seed-{seed}"
            details = SpeedrunDetails(record=record, next_record=following, hint_level=2, hints="1+2", fsr=value)
            write_result(tmp_path / trial_id, TrialResult(
                trial_id=trial_id, task_id="micro-chain", task_version="1.0.0", task_digest="d" * 64, kind="speedrun",
                agent="command", agent_label=f"command-record-{record}-hint-1+2", seed=seed, backend="local",
                status="ok", score=value, higher_is_better=True, started_at=datetime(2026, 1, 1, tzinfo=UTC),
                duration_s=1.0, details=details, lock=Lock(backend="local", benchsmith="0.1.0"),
            ))  # fmt: skip
    report = build_report(load_trials(tmp_path).frame, rounds=200)
    rows = report.fsr.set_index("transition").to_dict("index")
    assert set(rows) == {"r0 -> r1", "r1 -> r2", "r2 -> r3"}
    first, second = rows["r0 -> r1"], rows["r1 -> r2"]
    assert first["hints"] == "1+2" and first["n"] == 3 and first["mean"] == pytest.approx(0.4)
    assert 0.2 <= first["ci_lower"] < 0.4 < first["ci_upper"] <= 0.6  # resampled over the three seeds
    assert second["ci_lower"] == pytest.approx(0.9) and second["ci_upper"] == pytest.approx(0.9)
    # the displayed table: one seed has no interval to resample, rather than a zero-width one
    table = next(table for table in display_tables(report) if table.key == "fsr")
    shown = {row[2]: row for row in table.rows}
    assert shown["r0 -> r1"][-1].startswith("[0.") and shown["r2 -> r3"][-1] == "one seed"
    assert table.caption is not None and "--seeds" in table.caption
