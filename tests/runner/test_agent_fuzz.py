"""Adversarial agents, generated: every trial runs a random script that combines the attacks of issue 13 (forged
results, huge / sparse / special / linked submissions, output floods, disk fill, /tmp writes, sleeping past the
limit, bounded fork bombs, signals, reading host paths) with random sizes and timings, on the local backend.

After every trial: its status is a documented one and never infra_error (nothing an agent does is the runner's
failure), a status other than ok has a reason and no reason holds a runner traceback, and the host's trial folder
holds no more than the quota allows. After the batch: `runner report`'s loader finds exactly the trials the runner
recorded, whatever the agents planted, and no quota mount is left behind.

Seeded; BENCHSMITH_FUZZ_CASES sets the number of behaviours (default 500, several per trial), BENCHSMITH_FUZZ_SEED
the seed. The counts are printed (run with -s to see them) and written to `fuzz-counts.json` in the test's folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import typing
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from runner.reports import load_trials
from runner.results import TrialResult, TrialStatus, iter_results
from runner.trials import RunSettings, TrialRequest, run_batch
from spec import load_task
from tests.conftest import PENGUINS, require_bwrap
from tests.runner.test_trust import forged_record

CASES = int(os.environ.get("BENCHSMITH_FUZZ_CASES", "500"))
SEED = int(os.environ.get("BENCHSMITH_FUZZ_SEED", "13"))
PER_TRIAL = (3, 7)  # behaviours combined in one trial's script
JOBS = 2
MIB = 1024**2
QUOTA_GB = 0.03125  # 32 MiB: small, so that filling it is cheap
QUOTA = int(QUOTA_GB * 1024**3)
TIME_LIMIT = "4s"
LOG_ALLOWANCE = 16 * MIB  # agent.log and the runner's notes: the output caps keep them to a few MiB
STATUSES = set(typing.get_args(TrialStatus))
SUBMISSION = '"$BENCHSMITH_SUBMISSION"'

Behaviour = Callable[[random.Random], tuple[str, str]]
"""A generator: (name, shell fragment). Fragments run in order, each in a subshell whose failure is ignored."""


def forge(rng: random.Random) -> tuple[str, str]:
    """A gold result.json, in the trial-folder layout or not, somewhere the agent can write."""
    trial_id = f"penguins-species@{rng.randbytes(6).hex()}/forger-{rng.randrange(99)}/seed-{rng.randrange(3)}"
    where = rng.choice(["/workspace/code", "/workspace/submission", "/tmp", "/workspace/code/deep/er"])
    layout = rng.random() < 0.6
    path = f"{where}/{trial_id}/result.json" if layout else f"{where}/result.json"
    record = shlex.quote(forged_record(trial_id).model_dump_json())
    return "forge", f"mkdir -p $(dirname {path}) && printf %s {record} > {path}"


def valid_submission(rng: random.Random) -> tuple[str, str]:
    return "valid-submission", f"cp /data/sample_submission.csv {SUBMISSION}"


def huge_submission(rng: random.Random) -> tuple[str, str]:
    size = rng.randrange(1, 3 * QUOTA // MIB)
    return "huge-submission", f"head -c {size}M /dev/zero > {SUBMISSION}"


def sparse_submission(rng: random.Random) -> tuple[str, str]:
    size = rng.choice(["1500M", "100G", f"{rng.randrange(1, 4000)}M"])
    return "sparse-submission", f"cp /data/sample_submission.csv {SUBMISSION}; truncate -s {size} {SUBMISSION}"


def special_submission(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["fifo", "dir", "socket-ish", "empty"])
    fragment = {
        "fifo": f"rm -rf {SUBMISSION}; mkfifo {SUBMISSION}",
        "dir": f"rm -rf {SUBMISSION}; mkdir -p {SUBMISSION}/x",
        "socket-ish": f'rm -rf {SUBMISSION}; python3 -c "import socket,sys; socket.socket(socket.AF_UNIX)'
        f'.bind(sys.argv[1])" {SUBMISSION}',
        "empty": f": > {SUBMISSION}",
    }[kind]
    return f"special-submission-{kind}", fragment


def linked_submission(rng: random.Random) -> tuple[str, str]:
    target = rng.choice(["/etc/passwd", "/data/sample_submission.csv", "/proc/self/environ", "/task/description.md",
                         "../../../../etc/hostname", "/workspace/code/real.csv"])  # fmt: skip
    kind = rng.choice(["symlink", "hardlink"])
    if kind == "hardlink":
        return "hardlinked-submission", (
            f"cp /data/sample_submission.csv /workspace/code/real.csv; rm -f {SUBMISSION}; "
            f"ln /workspace/code/real.csv {SUBMISSION}"
        )
    return (
        "symlinked-submission",
        f"cp /data/sample_submission.csv /workspace/code/real.csv; rm -f {SUBMISSION}; ln -s {target} {SUBMISSION}",
    )


def flood(rng: random.Random) -> tuple[str, str]:
    size = rng.randrange(1, 24)
    stream = rng.choice(["", " >&2"])
    return "stdout-flood", f"head -c {size}M /dev/zero | tr '\\0' x{stream}"


def fill_disk(rng: random.Random) -> tuple[str, str]:
    size = rng.randrange(1, 2 * QUOTA // MIB)
    where = rng.choice(["/workspace/code", "/workspace/submission", "/tmp"])
    return "disk-fill", f"dd if=/dev/zero of={where}/fill-{rng.randrange(9)} bs=1M count={size} status=none"


def tmp_write(rng: random.Random) -> tuple[str, str]:
    return "tmp-write", f"echo scratch > /tmp/x-{rng.randrange(99)} && cat /tmp/x-* > /dev/null"


def sleep_past(rng: random.Random) -> tuple[str, str]:
    return "sleep-past-limit", f"sleep {rng.choice([5, 8, 30])}"


def fork_bomb(rng: random.Random) -> tuple[str, str]:
    count = rng.randrange(10, 800)  # past the process cap, sometimes
    linger = rng.choice([0, 1, 60])
    return "fork-bomb", f"i=0; while [ $i -lt {count} ]; do (sleep {linger} &) 2>/dev/null; i=$((i+1)); done"


def signal(rng: random.Random) -> tuple[str, str]:
    fragment = rng.choice([
        "kill -TERM $$", "kill -KILL $$", "kill -KILL -1", "kill -TERM $PPID", "kill -SEGV $$",
        "trap '' TERM INT HUP; sleep 1", "kill -STOP $$",
    ])  # fmt: skip
    return "signal", fragment


def read_host(rng: random.Random) -> tuple[str, str]:
    path = rng.choice(["/proc/self/mountinfo", "/proc/1/cmdline", "/etc/shadow", "/root", "/home", "/proc/mounts",
                       "/sys/fs/cgroup", "/run", "/var/log"])  # fmt: skip
    return "read-host", f"cat {path} > /workspace/code/seen 2>/dev/null || ls -la {path} > /workspace/code/seen"


def memory(rng: random.Random) -> tuple[str, str]:
    size = rng.choice([10, 100, 2000])  # MiB; the limit is 1 GiB
    return "memory", f'python3 -c "b = bytearray({size} * 1024 * 1024)" 2>/dev/null'


def exit_code(rng: random.Random) -> tuple[str, str]:
    return "exit", f"exit {rng.choice([0, 1, 2, 97, 137, 255])}"


BEHAVIOURS: list[tuple[Behaviour, float]] = [
    (forge, 3), (valid_submission, 3), (huge_submission, 1), (sparse_submission, 1), (special_submission, 1),
    (linked_submission, 1), (flood, 1.5), (fill_disk, 1.5), (tmp_write, 1), (sleep_past, 0.3), (fork_bomb, 0.6),
    (signal, 0.6), (read_host, 1), (memory, 0.5), (exit_code, 0.5),
]  # fmt: skip


def _script(rng: random.Random) -> tuple[list[str], str]:
    generators, weights = zip(*BEHAVIOURS, strict=True)
    chosen = rng.choices(generators, weights=weights, k=rng.randint(*PER_TRIAL))
    names, fragments = zip(*(generate(rng) for generate in chosen), strict=True)
    # `exit` and signals must end the script (they are the agent's last word); the rest is ignored when it fails.
    body = "; ".join(f"({fragment}) 2>/dev/null" if not fragment.startswith(("exit", "kill", "trap")) else fragment
                     for fragment in fragments)  # fmt: skip
    return list(names), f"cd /workspace/code; {body}"


def _allocated(folder: Path) -> int:
    """Bytes the host really holds for a folder: allocated blocks, links not followed, sparse holes not counted."""
    total = 0
    for root, folders, files in os.walk(folder):
        for name in (*folders, *files):
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_blocks * 512
    return total


def _mounted_under(folder: Path) -> list[str]:
    text = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if str(folder) in line]


def test_generated_adversarial_agents(tmp_path: Path) -> None:
    require_bwrap()
    rng = random.Random(SEED)
    task = load_task(PENGUINS)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(
        update={"time_limit": TIME_LIMIT, "memory_gb": 1, "cpus": 1, "disk_gb": QUOTA_GB}
    )
    runs = tmp_path / "runs"
    settings = RunSettings(runs_dir=runs, backend="local", cache_root=tmp_path / "cache")
    requests: list[TrialRequest] = []
    behaviours: dict[str, list[str]] = {}
    total = 0
    while total < CASES:
        names, script = _script(rng)
        request = TrialRequest(task, "command", args=(script,), seed=len(requests) % 3)
        requests.append(request)
        behaviours[request.key.trial_id] = names
        total += len(names)

    problems: list[str] = []

    def check(result: TrialResult | None, how: str) -> None:
        if result is None or how != "ran":
            problems.append(f"a trial was {how} without a result")
            return
        folder = runs / result.trial_id
        where = f"{result.trial_id} ({', '.join(behaviours[result.trial_id])})"
        if result.status not in STATUSES or result.status == "infra_error":
            problems.append(f"{where}: status {result.status}: {result.reason}")
        if result.status != "ok" and not result.reason:
            problems.append(f"{where}: status {result.status} without a reason")
        if "Traceback (most recent call last)" in (result.reason or ""):
            problems.append(f"{where}: a traceback in the reason: {result.reason}")
        held = _allocated(folder)
        if held > 2 * QUOTA + LOG_ALLOWANCE:  # the quota workspace, the kept submission (bounded by it), the logs
            problems.append(f"{where}: the host holds {held / MIB:.1f} MiB for the trial folder")

    report = run_batch(requests, settings, jobs=JOBS, on_done=check)
    recorded = {result.trial_id: result for result in report.results}
    statuses = Counter(result.status for result in recorded.values())
    seen = Counter(name.split("-submission")[0] + ("-submission" if "-submission" in name else "")
                   for names in behaviours.values() for name in names)  # fmt: skip
    tracebacks = sum("Traceback (most recent call last)" in (r.reason or "") for r in recorded.values())
    durations = sorted(result.duration_s for result in recorded.values())
    counts = {"cases": total, "trials": len(requests), "statuses": dict(sorted(statuses.items())),
              "behaviours": dict(sorted(seen.items())), "tracebacks": tracebacks, "seed": SEED,
              "trial_s": {"median": durations[len(durations) // 2] if durations else None,
                          "max": durations[-1] if durations else None}}  # fmt: skip
    print(json.dumps(counts, indent=2))
    (tmp_path / "fuzz-counts.json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")

    assert not problems, "\n".join(problems[:20])
    assert len(recorded) == len(requests) and not report.lost and not report.busy
    # Only the runner's own records are read, whatever the agents planted in their workspaces.
    planted = sum(1 for path in runs.rglob("result.json") if "workspace" in path.parts)
    assert planted > 0  # the agents did plant forgeries
    loaded = load_trials(runs)
    assert sorted(loaded.frame["trial_id"]) == sorted(recorded) and not loaded.skipped
    assert {result.trial_id: result for _, result in iter_results(runs)} == recorded
    assert not _mounted_under(runs), _mounted_under(runs)
