"""The tiny-GPT evaluator: mean cross-entropy (nats per character) of a saved TorchScript model on the val slice.

The slice is cut into non-overlapping windows of CONTEXT tokens; every position of every window is scored, so the
first characters of a window are predicted with little context, the same for every model.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

CONTEXT = 64
VOCAB = 27
BATCH = 64


def score(submission: str | Path, answers: str | Path) -> float:
    torch.set_num_threads(1)
    model = torch.jit.load(str(submission), map_location="cpu")
    model.eval()
    data = torch.frombuffer(bytearray((Path(answers) / "val.bin").read_bytes()), dtype=torch.uint8).long()
    windows = (len(data) - 1) // CONTEXT
    inputs = data[: windows * CONTEXT].view(windows, CONTEXT)
    targets = data[1 : windows * CONTEXT + 1].view(windows, CONTEXT)
    total = 0.0
    with torch.no_grad():
        for start in range(0, windows, BATCH):
            logits = model(inputs[start : start + BATCH])
            if logits.shape[-1] != VOCAB or logits.shape[:2] != inputs[start : start + BATCH].shape:
                raise ValueError(f"model returned logits of shape {tuple(logits.shape)}; expected [B, T, {VOCAB}]")
            total += F.cross_entropy(
                logits.float().reshape(-1, VOCAB), targets[start : start + BATCH].reshape(-1), reduction="sum"
            ).item()
    return total / (windows * CONTEXT)
