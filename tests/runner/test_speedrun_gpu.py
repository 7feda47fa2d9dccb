"""GPU speedrun paths without a GPU: the local sandbox binds the NVIDIA device nodes, docker asks for the GPUs, and
the nanogpt-1gpu launcher runs torchrun-style record scripts under the trial contract (a fake `nvidia-smi` and fake
device nodes stand in for the hardware), on a copy of the micro chain and against the real upstream record scripts."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import shutil
import sys
import types
from pathlib import Path

import pytest

from runner.preparation import prepare_task
from runner.results import SpeedrunDetails
from runner.sandboxes import SandboxSpec, get_backend
from runner.speedrun import read_retime, retime_chain
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import SpeedrunTask, load_task
from tests.conftest import FIXTURES, REPO, replace_in, require_bwrap, upstream_checkout
from tests.runner.test_gpus import TWO_GPUS, fake_nvidia_smi

LAUNCHER = REPO / "tasks" / "speedrun" / "nanogpt-1gpu" / "launch.py"
MANIFEST_1GPU = REPO / "tasks" / "speedrun" / "nanogpt-1gpu.yaml"

# A record script written for `torchrun` the way the NanoGPT records are: it reads the launcher's variables, sets up
# the process group, takes its budget from a `Hyperparameters` dataclass, leaves the unwrapped model in `raw_model`
# and saves nothing; its GPT returns full logits only when given targets. It checks what the launcher must provide.
TORCHRUN_RECORD = """
import glob, os
from dataclasses import dataclass
import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

@dataclass
class Hyperparameters:
    input_bin: str = os.environ["NANOGPT_TRAIN_FILES"]
    val_tokens: int = int(os.environ["NANOGPT_VAL_TOKENS"])
    num_iterations: int = {iterations}
    warmup_iters: int = 0
    warmdown_iters: int = 640
    val_loss_every: int = 125

args = Hyperparameters()
assert (args.num_iterations, args.warmup_iters, args.warmdown_iters) == ({iterations} // 64, 0, 10), args
assert args.val_loss_every == 0 and args.val_tokens == 4096, args
assert args.input_bin.endswith("/fineweb10B/fineweb_train_*.bin"), args.input_bin
assert os.path.exists("/dev/nvidia0") and os.path.exists("/dev/nvidiactl"), os.listdir("/dev")
dist.init_process_group(backend="gloo")
assert (dist.get_rank(), dist.get_world_size(), int(os.environ["LOCAL_RANK"])) == (0, 1, 0)

class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(32, 32)

    def forward(self, idx, targets=None, return_logits=True):
        logits = self.table(idx)
        if targets is None:
            return logits[:, [-1], :], None
        return logits, F.cross_entropy(logits.view(-1, 32), targets.view(-1))

torch.manual_seed(int(os.environ["SPEEDRUN_SEED"]))
data = torch.from_numpy(np.fromfile(os.environ["SPEEDRUN_DATA"] + "/train.bin", dtype=np.uint8).astype(np.int64))
raw_model = GPT()
optimizer = torch.optim.Adam(raw_model.parameters(), lr=0.1)
for step in range(args.num_iterations * 6):
    index = torch.randint(0, len(data) - 1, (1, 512))
    _, loss = raw_model(data[index], data[index + 1])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
dist.destroy_process_group()
"""


@pytest.fixture
def gpu_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `nvidia-smi` on PATH and fake NVIDIA device nodes where the local backend looks for them."""
    folder = fake_nvidia_smi(tmp_path / "bin", TWO_GPUS)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    devices = tmp_path / "dev"
    devices.mkdir()
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "null-not-a-gpu"):
        (devices / name).write_text("")
    monkeypatch.setattr("runner.sandboxes._local._GPU_DEVICE_DIR", devices)
    return devices


def _spec(root: Path, **gpu: object) -> SandboxSpec:
    folders = {name: root / name for name in ("task", "data", "code", "submission")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return SandboxSpec(
        trial_id="gpu", task_dir=folders["task"], data_dir=folders["data"], code_dir=folders["code"],
        submission_dir=folders["submission"], submission_file="model.pt", memory_gb=0.5, time_limit_s=60, **gpu,  # type: ignore[arg-type]
    )  # fmt: skip


def test_local_sandbox_binds_the_nvidia_devices_only_for_gpu_trials(tmp_path: Path, gpu_host: Path) -> None:
    require_bwrap()
    show = ["sh", "-c", 'ls /dev; echo "visible=[$CUDA_VISIBLE_DEVICES]"']
    with get_backend("local").open(_spec(tmp_path / "gpu", gpu="required", gpus=1, gpu_ids=("1",))) as sandbox:
        result = sandbox.run(show, timeout_s=30)
    assert result.ok, result.stderr
    seen = result.stdout.split()
    assert {"nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"} <= set(seen) and "null-not-a-gpu" not in seen
    assert "visible=[1]" in seen  # the executor's assignment: CUDA hides the other GPU
    with get_backend("local").open(_spec(tmp_path / "cpu")) as sandbox:
        result = sandbox.run(show, timeout_s=30)
    assert result.ok and not [name for name in result.stdout.split() if name.startswith("nvidia")]


class _Engine:
    """A docker client that answers `info()` only: the runtimes it lists decide what the backend asks for."""

    def __init__(self, runtimes: list[str]) -> None:
        self.runtimes = runtimes

    def info(self) -> dict[str, object]:
        return {"Runtimes": {name: {} for name in self.runtimes}}


def test_docker_asks_the_nvidia_runtime_for_the_trials_gpus(tmp_path: Path) -> None:
    from runner.sandboxes import SandboxUnavailable
    from runner.sandboxes._docker import DockerBackend

    backend, nvidia = DockerBackend(), _Engine(["nvidia", "runc"])
    [assigned] = backend._device_requests(nvidia, _spec(tmp_path, gpu="required", gpus=1, gpu_ids=("1",)))
    assert assigned.device_ids == ["1"] and assigned.capabilities == [["gpu"]]
    [counted] = backend._device_requests(nvidia, _spec(tmp_path, gpu="required", gpus=2))
    assert counted.count == 2 and counted.capabilities == [["gpu"]]
    assert backend._device_requests(nvidia, _spec(tmp_path)) == []
    assert backend._device_requests(_Engine(["runc"]), _spec(tmp_path, gpu="optional", gpus=1)) == []
    with pytest.raises(SandboxUnavailable, match="nvidia runtime"):
        backend._device_requests(_Engine(["runc"]), _spec(tmp_path, gpu="required", gpus=1))


def _torchrun_chain(root: Path) -> Path:
    """The micro chain, turned into a one-GPU chain run through the nanogpt-1gpu launcher with torchrun scripts."""
    ignore = shutil.ignore_patterns("__pycache__", "*.retime.json")
    shutil.copytree(FIXTURES / "speedrun", root, ignore=ignore)
    folder = root / "micro-chain"
    shutil.copyfile(LAUNCHER, folder / "launch.py")
    for record, iterations in (("r0", 6400), ("r2", 3200)):
        (folder / "records" / f"{record}.py").write_text(TORCHRUN_RECORD.replace("{iterations}", str(iterations)))
    manifest = root / "micro-chain.yaml"
    replace_in(manifest, "seeds: 2, threads: 1,", "seeds: 1, threads: 1, gpus: 1, launcher: micro-chain/launch.py,")
    replace_in(manifest, "resources: {cpus: 2,", "resources: {gpu: required, gpu_count: 1, cpus: 2,")
    text = manifest.read_text()
    start, end = text.index("  - id: r1\n"), text.index("  - id: r2\n")
    manifest.write_text(text[:start] + text[end:])  # r0 -> r2: both records are torchrun scripts
    return manifest


def test_launcher_runs_torchrun_scripts_under_the_contract_and_retime_measures_them(
    tmp_path: Path, gpu_host: Path
) -> None:
    require_bwrap()
    manifest = _torchrun_chain(tmp_path / "chain")
    loaded = load_task(manifest)
    assert isinstance(loaded.manifest, SpeedrunTask) and loaded.manifest.protocol.launcher == "micro-chain/launch.py"
    prepared = prepare_task(loaded, cache_root=tmp_path / "cache")
    written, _, outcomes = retime_chain(loaded, prepared, tmp_path / "retime", seeds=1)
    failures = [run.reason for outcome in outcomes for run in outcome.runs if run.failure]
    assert [(o.record.id, o.entry is not None) for o in outcomes] == [("r0", True), ("r2", True)], failures
    assert written == manifest.with_name("micro-chain.retime.json")
    retime = read_retime(manifest)  # the manifest's path: the retime file lies beside it
    assert retime is not None
    [machine] = retime.machines.values()
    assert machine.fingerprint.gpus == ["NVIDIA H100 80GB HBM3", "NVIDIA A10, 24GB PCIe"]  # the fake nvidia-smi
    retimed = machine.records
    assert set(retimed) == {"r0", "r2"} and retimed["r2"].mean_s < retimed["r0"].mean_s  # r2 trains half the steps
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    result = run_trial(TrialRequest(loaded, "baseline", record="r0"), settings)
    assert result.status == "ok", result.reason
    details = result.details
    assert isinstance(details, SpeedrunDetails) and details.reached and details.reference_source == "retime"


def test_a_script_that_leaves_no_model_to_save_fails_with_the_reason(tmp_path: Path, gpu_host: Path) -> None:
    require_bwrap()
    manifest = _torchrun_chain(tmp_path / "chain")
    replace_in(manifest.parent / "micro-chain" / "records" / "r2.py", "raw_model = GPT()", "model = GPT()")
    replace_in(manifest.parent / "micro-chain" / "records" / "r2.py", "raw_model.", "model.")
    replace_in(manifest.parent / "micro-chain" / "records" / "r2.py", "raw_model(", "model(")
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    result = run_trial(TrialRequest(load_task(manifest), "baseline", record="r0"), settings)
    reason = result.reason or ""
    assert result.status == "invalid_submission" and "left no `raw_model`" in reason, reason  # the script's own words
    assert "GLOO_SOCKET_IFNAME" not in reason, reason  # the launcher bound gloo to the loopback: no fallback warning


def _launcher_namespace() -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "nanogpt_1gpu_launcher"}
    exec(compile(LAUNCHER.read_text(), str(LAUNCHER), "exec"), namespace)
    return namespace


def test_upstream_record_scripts_fit_the_launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each record of the chain, as llm-speedrunner ships it: one GPU accumulates the global batch, the launcher
    shortens its Hyperparameters to 1/64, finds `raw_model`, and its GPT returns logits given targets."""
    checkout = upstream_checkout("llm-speedrunner", tmp_path)
    task = load_task(MANIFEST_1GPU).manifest
    assert isinstance(task, SpeedrunTask) and task.protocol.gpus == 1 and task.protocol.launcher is not None
    launcher = _launcher_namespace()
    for variable in ("NANOGPT_TRAIN_FILES", "NANOGPT_VAL_FILES"):
        monkeypatch.setenv(variable, "unused")
    monkeypatch.setenv("NANOGPT_VAL_TOKENS", str(task.invariants.validation.tokens))
    budgets = {}
    for record in task.records:
        assert record.script_url is not None
        path = checkout / record.script_url.url.split("/bfde801f7cef707e85a2d8b64b5ee89d9d5f20b5/", 1)[1]
        source = path.read_bytes()
        assert hashlib.sha256(source).hexdigest() == record.script_url.sha256, record.id
        tree = ast.parse(source)
        classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        assigned = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
                    if isinstance(t, ast.Name)}  # fmt: skip
        assert "raw_model" in assigned, record.id
        forward = next(f for f in classes["GPT"].body if isinstance(f, ast.FunctionDef) and f.name == "forward")
        assert [a.arg for a in forward.args.args] == ["self", "idx", "targets", "return_logits"], record.id
        module = ast.Module(body=[ast.parse("from dataclasses import dataclass").body[0], classes["Hyperparameters"]],
                            type_ignores=[])  # fmt: skip
        # dataclasses looks the class's module up in sys.modules (to resolve its annotations): give it a real one
        record_module = types.ModuleType(f"record_{record.id.replace('-', '_')}")
        record_module.os = os  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, record_module.__name__, record_module)
        original = dataclasses.dataclass
        launcher["_patch_dataclass"]()  # type: ignore[operator]
        try:
            exec(compile(module, str(path), "exec", dont_inherit=True), record_module.__dict__)
        finally:
            dataclasses.dataclass = original
        # as the script does: its data settings (val_tokens, input_bin) are plain class attributes, not fields
        args = record_module.Hyperparameters()
        assert args.val_loss_every == 0 and args.batch_size % args.device_batch_size == 0, record.id
        assert args.val_tokens % (args.device_batch_size * args.sequence_length) == 0, record.id
        budgets[record.id] = (args.num_iterations, args.warmup_iters, args.warmdown_iters)
    assert budgets == {
        "r04-muon-improvements": (97, 0, 28),
        "r05-modern-arch": (80, 0, 23),
        "r08-untied-head": (72, 0, 20),
        "r09-value-embed-skips": (50, 0, 14),
    }
