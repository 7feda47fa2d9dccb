"""benchsmith's speedrun evaluation driver: runs inside a sandbox the agent never touched; standard library only.

It loads the task's evaluator by path and calls `score(model, answers)`; the value goes to stdout on one line
tagged with a secret the runner wrote to stdin, so nothing the model prints can pass for it. When the task declares
`invariants.causal_lm`, it first checks that the saved TorchScript model cannot see future tokens (torch is then
imported here; the task's environment has it, since its models are TorchScript).
"""

import array
import importlib.util
import json
import math
import os
import random
import sys
from pathlib import Path

_TYPECODES = {"uint8": "B", "uint16": "H", "int32": "i", "int64": "q"}


def causality_violation(model_path: Path, slice_path: Path, dtype: str, context: int, windows: int,
                        tolerance: float) -> str | None:  # fmt: skip
    """Why the model at `model_path` is not causal, or None when every probe passed.

    For random windows of the validation slice and a random position t in each, the tokens after t are replaced
    by other tokens of the slice; the logits up to t must not change by more than `tolerance` (relative to their
    largest magnitude, plus `tolerance` absolute). Positions and replacements come from the OS's entropy, so a
    model cannot be tuned to them.
    """
    import torch

    tokens = array.array(_TYPECODES[dtype])
    tokens.frombytes(slice_path.read_bytes())
    if sys.byteorder != "little":
        tokens.byteswap()
    if len(tokens) < context:
        return f"the validation slice has {len(tokens)} tokens, fewer than the probe's context {context}"
    draw = random.SystemRandom()
    model = torch.jit.load(str(model_path), map_location="cpu")
    model.eval()
    for window in range(windows):
        start = draw.randrange(len(tokens) - context + 1)
        original = torch.tensor([list(tokens[start : start + context])], dtype=torch.int64)
        position = draw.randrange(context - 1)
        changed = original.clone()
        changed[0, position + 1 :] = torch.tensor(
            [tokens[draw.randrange(len(tokens))] for _ in range(context - position - 1)], dtype=torch.int64
        )
        with torch.no_grad():
            before, after = model(original), model(changed)
        if not isinstance(before, torch.Tensor) or before.dim() != 3 or before.shape[:2] != original.shape:
            shape = tuple(before.shape) if isinstance(before, torch.Tensor) else type(before).__name__
            return f"the model must map tokens [B, T] to logits [B, T, vocab]; for [1, {context}] it gave {shape}"
        seen_before, seen_after = before[:, : position + 1].float(), after[:, : position + 1].float()
        scale = float(seen_before.abs().max()) if seen_before.numel() else 0.0
        change = float((seen_before - seen_after).abs().max())
        if not change <= tolerance * (1.0 + scale):
            return (
                f"the model is not causal: changing the tokens after position {position} of a {context}-token "
                f"window changed the logits at positions 0..{position} by up to {change:.3g} (tolerance "
                f"{tolerance:g} relative); a language model may only look at earlier tokens (probe {window + 1} "
                f"of {windows})"
            )
    return None


def main() -> None:
    secret = sys.stdin.readline().strip()
    answers = Path(os.environ["SPEEDRUN_ANSWERS"])
    if "SPEEDRUN_CAUSAL_CONTEXT" in os.environ:
        violation = causality_violation(
            Path(os.environ["SPEEDRUN_MODEL"]), answers / os.environ["SPEEDRUN_VALIDATION_FILE"],
            os.environ["SPEEDRUN_VALIDATION_DTYPE"], int(os.environ["SPEEDRUN_CAUSAL_CONTEXT"]),
            int(os.environ["SPEEDRUN_CAUSAL_WINDOWS"]), float(os.environ["SPEEDRUN_CAUSAL_TOLERANCE"]),
        )  # fmt: skip
        if violation is not None:
            sys.stdout.write("\n" + secret + " " + json.dumps({"value": None, "violation": violation}) + "\n")
            sys.stdout.flush()
            return
    evaluator = os.environ["SPEEDRUN_EVALUATOR"]
    spec = importlib.util.spec_from_file_location("benchsmith_speedrun_evaluator", evaluator)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load the evaluator {evaluator}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(evaluator).parent))
    spec.loader.exec_module(module)
    value = float(module.score(Path(os.environ["SPEEDRUN_MODEL"]), answers))
    report = {"value": value if math.isfinite(value) else None}
    sys.stdout.write("\n" + secret + " " + json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
