"""The nanogpt-1gpu chain's launcher: runs one llm-speedrunner NanoGPT record script on one GPU, on a shortened
budget, and saves the model it trained. The runner's timer runs this file (the manifest's `protocol.launcher`) in
place of `train.py`; the record scripts themselves are upstream's, unchanged.

1. torchrun's environment for a single process (RANK = LOCAL_RANK = 0, WORLD_SIZE = 1, a free port on the loopback;
   gloo and NCCL bound to `lo`, as the sandbox has no network and no resolvable hostname) and the variables the
   scripts read their data from. The records in the chain accumulate gradients over
   `batch_size // (device_batch_size * world_size)` micro-batches, so one GPU trains on upstream's global batch.
2. The shortened budget: the script's `Hyperparameters` dataclass is created with `num_iterations`, `warmup_iters`
   and `warmdown_iters` multiplied by FRACTION (rounded, at least 1), so the learning-rate schedule keeps its shape,
   and `val_loss_every = 0` (the script validates once, at its last step, as upstream's last step does).
3. The model save the contract asks for: the script's `raw_model` (the unwrapped GPT) is traced to TorchScript as
   `forward(idx[B, T]) -> logits[B, T, vocab]` at `$SPEEDRUN_MODEL`.

Standard library and torch only: it runs inside the trial sandbox, read-only.
"""

import dataclasses
import os
import runpy
import socket
import sys
from pathlib import Path

FRACTION = 1 / 64
"""The share of each record's own upstream training budget (its iterations) that a 1-GPU run trains for."""
SCALED = ("num_iterations", "warmup_iters", "warmdown_iters")
CONTEXT = 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment() -> None:
    data = os.environ["SPEEDRUN_DATA"]
    os.environ.update({
        "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
        # The sandbox has no network and no resolvable hostname: gloo and NCCL bind to the loopback interface.
        "GLOO_SOCKET_IFNAME": "lo", "NCCL_SOCKET_IFNAME": "lo",
        "NANOGPT_TRAIN_FILES": f"{data}/fineweb10B/fineweb_train_*.bin",
        "NANOGPT_VAL_FILES": f"{data}/fineweb10B/fineweb_val_*.bin",
        "NANOGPT_VAL_TOKENS": os.environ["SPEEDRUN_VAL_TOKENS"],
    })  # fmt: skip


def _shorten(cls: type) -> None:
    for name in SCALED:
        value = cls.__dict__.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:  # no warm-up stays none
            setattr(cls, name, max(1, round(value * FRACTION)))
    if "val_loss_every" in cls.__dict__:
        cls.val_loss_every = 0


def _patch_dataclass() -> None:
    """Make `@dataclass` shorten the class named Hyperparameters before its defaults are fixed."""
    original = dataclasses.dataclass

    def dataclass(cls=None, /, **options):  # type: ignore[no-untyped-def]
        def wrap(klass):  # type: ignore[no-untyped-def]
            if klass.__name__ == "Hyperparameters":
                _shorten(klass)
            return original(klass, **options)

        return wrap if cls is None else wrap(cls)

    dataclasses.dataclass = dataclass  # type: ignore[assignment]


def _save(scope: dict[str, object]) -> None:
    import torch

    gpt = scope.get("raw_model")
    if not isinstance(gpt, torch.nn.Module):
        raise SystemExit("the record script left no `raw_model` (the unwrapped GPT) to save")

    class Logits(torch.nn.Module):
        """forward(idx) -> logits; the records return full logits only when given targets."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            return self.model(idx, idx, True)[0]

    device = next(gpt.parameters()).device
    example = torch.zeros((2, CONTEXT), dtype=torch.long, device=device)
    with torch.no_grad():
        traced = torch.jit.trace(Logits(gpt.eval()), example, check_trace=False)
    torch.jit.save(traced, os.environ["SPEEDRUN_MODEL"])


def main() -> None:
    script = os.environ.get("SPEEDRUN_RECORD_SCRIPT", "train.py")
    _environment()
    _patch_dataclass()
    sys.argv = [script]
    sys.path.insert(0, str(Path.cwd()))  # the script's helper modules, as `python train.py` would find them
    scope = runpy.run_path(script, run_name="__main__")
    _save(scope)


if __name__ == "__main__":
    main()
