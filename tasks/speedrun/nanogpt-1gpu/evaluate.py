"""The NanoGPT evaluator: mean cross-entropy of a saved TorchScript GPT on the fixed FineWeb validation slice.

The slice (10,485,760 GPT-2 tokens, the amount the record scripts validate on) is scored in non-overlapping rows of
1024 tokens on the first GPU, in bfloat16 autocast, as the records' own validation loop does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SEQUENCE = 1024
ROWS = 16


def score(submission: str | Path, answers: str | Path) -> float:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torch.jit.load(str(submission), map_location=device)
    model.eval()
    tokens = torch.from_numpy(np.fromfile(Path(answers) / "val_slice.bin", dtype=np.uint16).astype(np.int64))
    rows = (len(tokens) - 1) // SEQUENCE
    inputs = tokens[: rows * SEQUENCE].view(rows, SEQUENCE)
    targets = tokens[1 : rows * SEQUENCE + 1].view(rows, SEQUENCE)
    total = 0.0
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
        for start in range(0, rows, ROWS):
            logits = model(inputs[start : start + ROWS].to(device)).float()
            total += F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), targets[start : start + ROWS].to(device).reshape(-1), reduction="sum"
            ).item()
    return total / (rows * SEQUENCE)
