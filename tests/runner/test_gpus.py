"""GPU awareness with a fake `nvidia-smi` on PATH: detection, trials never sharing a GPU, fail-fast before prepare."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from runner.executors import ExecutorError, get_executor
from runner.hardware import Gpu, GpuPool, GpuShortage, check_gpu_needs, detect_gpus
from runner.trials import RunSettings, TrialRequest
from spec import Resources, load_task
from tests.conftest import CURATED, REPO, RUNNER, require_bwrap

MANIFEST = CURATED / "penguins-species.yaml"
# What nvidia-smi prints for the runner's query; the second name holds a comma, as some product names do.
TWO_GPUS = "0, NVIDIA H100 80GB HBM3, 81559 MiB\n1, NVIDIA A10, 24GB PCIe, 23028 MiB\n"


def fake_nvidia_smi(folder: Path, output: str, exit_code: int = 0) -> Path:
    """Write an executable `nvidia-smi` that answers the runner's query (and only it) with `output`."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" != "--query-gpu=index,name,memory.total" ] || [ "$2" != "--format=csv,noheader" ]; then\n'
        '  echo "unexpected arguments: $*" >&2; exit 64\nfi\n'
        f"cat <<'EOF'\n{output}EOF\nexit {exit_code}\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


@pytest.fixture
def two_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = fake_nvidia_smi(tmp_path / "bin", TWO_GPUS)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def _request(seed: int, command: str, **resources: object) -> TrialRequest:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(update=resources)
    return TrialRequest(task, "command", seed=seed, args=(command,))


def test_detects_gpus_from_nvidia_smi(two_gpus: Path) -> None:
    gpus = detect_gpus()
    assert [gpu.index for gpu in gpus] == ["0", "1"]
    assert gpus[0].name == "NVIDIA H100 80GB HBM3" and gpus[1].name == "NVIDIA A10, 24GB PCIe"
    assert gpus[0].memory_gb == pytest.approx(81559 / 1024) and gpus[1].memory_gb == pytest.approx(23028 / 1024)


def test_no_gpu_when_nvidia_smi_is_missing_or_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert detect_gpus() == []
    failing = fake_nvidia_smi(tmp_path / "failing", "NVIDIA-SMI has failed to communicate with the driver\n", 9)
    monkeypatch.setenv("PATH", str(failing))
    assert detect_gpus() == []


def test_pool_never_gives_one_gpu_to_two_trials_unless_both_share() -> None:
    pool = GpuPool([Gpu("0", "A", 80.0), Gpu("1", "B", 24.0)])
    whole = Resources(gpu="required")
    first, second = pool.acquire(whole), pool.acquire(whole)
    assert first is not None and second is not None and {*first.ids, *second.ids} == {"0", "1"}
    stop = threading.Event()
    stop.set()
    assert pool.acquire(whole, stop) is None  # both taken: it would wait, and stop says give up
    pool.release(first)
    third = pool.acquire(whole, stop)
    assert third is not None and third.ids == first.ids
    pool.release(second)
    pool.release(third)
    half = Resources(gpu="required", gpu_fraction=0.5)
    sharers = [pool.acquire(half, stop) for _ in range(4)]
    assert all(grant is not None and len(grant.ids) == 1 for grant in sharers)
    assert sorted(grant.ids[0] for grant in sharers if grant) == ["0", "0", "1", "1"]
    assert pool.acquire(half, stop) is None and pool.acquire(whole, stop) is None


def test_pool_honours_the_memory_floor_and_optional_gpus() -> None:
    pool = GpuPool([Gpu("0", "A", 80.0), Gpu("1", "B", 24.0)])
    big = pool.acquire(Resources(gpu="required", gpu_min_vram_gb=40))
    assert big is not None and big.ids == ("0",)
    assert GpuPool([]).acquire(Resources(gpu="optional")) is not None  # no GPU at all: runs on the CPU
    with pytest.raises(GpuShortage):
        GpuPool([]).acquire(Resources(gpu="required"))


def test_check_names_the_task_and_the_gpus_found() -> None:
    gpus = [Gpu("0", "NVIDIA A10", 24.0)]
    check_gpu_needs([("fits", Resources(gpu="required")), ("cpu", Resources())], gpus, backend="local")
    check_gpu_needs([("optional", Resources(gpu="optional", gpu_count=4))], gpus, backend="local")
    with pytest.raises(GpuShortage) as raised:
        check_gpu_needs([("big", Resources(gpu="required", gpu_count=2))], gpus, backend="local")
    assert "task big requires 2 GPU(s)" in str(raised.value) and "0: NVIDIA A10, 24 GiB" in str(raised.value)
    with pytest.raises(GpuShortage, match="at least 40 GiB"):
        check_gpu_needs([("vram", Resources(gpu="required", gpu_min_vram_gb=40))], gpus, backend="local")


def test_gpu_fraction_needs_one_gpu() -> None:
    with pytest.raises(ValidationError, match="gpu_fraction given but gpu is 'none'"):
        Resources(gpu_fraction=0.5)
    with pytest.raises(ValidationError, match="gpu_count above 1"):
        Resources(gpu="required", gpu_count=2, gpu_fraction=0.5)


def test_local_executor_gives_each_trial_its_own_gpu(tmp_path: Path, two_gpus: Path) -> None:
    require_bwrap()
    command = 'echo "gpus=[$CUDA_VISIBLE_DEVICES]"; sleep 1; cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
    requests = [_request(seed, command, gpu="required", cpus=0.5) for seed in range(4)]
    requests.append(_request(9, command, cpus=0.5))  # wants no GPU: sees none
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    report = get_executor("local").run(requests, settings, jobs=4, on_done=None)
    assert len(report.results) == 5 and all(result.status == "ok" for result in report.results), report
    seen: list[tuple[float, float, str]] = []
    for request, result in zip(requests, sorted(report.results, key=lambda r: r.seed), strict=True):
        log = (request.key.folder(settings.runs_dir) / "logs" / "agent.log").read_text()
        [ids] = re.findall(r"gpus=\[([^\]]*)\]", log)
        if request.seed == 9:
            assert ids == ""
            continue
        assert ids in {"0", "1"}
        start = result.started_at.timestamp()
        seen.append((start, start + result.duration_s, ids))
    # Four one-GPU trials at once on two GPUs: any two that overlapped in time had different GPUs.
    for index, (start, end, gpu) in enumerate(seen):
        for other_start, other_end, other_gpu in seen[index + 1 :]:
            if start < other_end and other_start < end:
                assert gpu != other_gpu


def test_a_task_needing_more_gpus_than_exist_fails_before_prepare(tmp_path: Path, two_gpus: Path) -> None:
    task = tmp_path / "tasks"
    (task / "curated").mkdir(parents=True)
    for path in CURATED.glob("penguins-species*"):
        target = task / "curated" / path.name
        if path.is_dir():
            subprocess.run(["cp", "-r", str(path), str(target)], check=True)
        else:
            target.write_text(path.read_text().replace("gpu: none", "gpu: required, gpu_count: 3"), encoding="utf-8")
    command = [*RUNNER, "exec", str(task / "curated" / "penguins-species.yaml"), "--backend", "local", "--runs-dir",
               str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    for executor in ("local", "ray"):
        completed = subprocess.run([*command, "--executor", executor], capture_output=True, text=True, cwd=REPO,
                                   env={**os.environ, "COLUMNS": "300"}, timeout=120)  # fmt: skip
        assert completed.returncode == 2, completed.stderr
        message = " ".join(completed.stderr.split())
        assert "task penguins-species requires 3 GPU(s) but this machine has 2" in message
        assert "1: NVIDIA A10, 24GB PCIe, 22 GiB" in message
        assert not (tmp_path / "cache").exists() and not (tmp_path / "runs").exists()  # nothing prepared or run
    with pytest.raises(ExecutorError, match="requires 3 GPU"):
        get_executor("local").check([_request(0, "true", gpu="required", gpu_count=3)], "local")
