"""Score a TorchScript digit classifier on the dev or test images (protected: a pristine copy is always used).

    python evaluate.py --split dev --artefact model.pt --public /data
    python evaluate.py --split test --artefact model.pt --public /data --private DIR   (after the agent stops)

The artefact is a TorchScript module (`torch.jit.save`) mapping a float tensor of shape (N, 1, 28, 28), pixel
intensities scaled to [0, 1], to class scores of shape (N, 10). Prints one JSON object as its last line:
`accuracy` (the primary metric, higher is better) and `nll` (mean negative log-likelihood of the softmax of the
scores, in nats).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import benchsmith_guard as guard  # the runner puts it beside this file in /task
import numpy as np
import pandas as pd
import torch

BATCH = 500


def load_split(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    frame = pd.read_csv(path)
    pixels = frame[[f"pixel_{k}" for k in range(784)]].to_numpy(dtype=np.float32, copy=True) / 255.0
    return torch.from_numpy(pixels).reshape(-1, 1, 28, 28), torch.tensor(frame["label"].to_numpy(), dtype=torch.long)


def evaluate(artefact: Path, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    torch.manual_seed(0)
    try:
        model = torch.jit.load(str(artefact), map_location="cpu")
    except Exception as error:  # any load failure is the artefact's
        sys.exit(f"invalid: {artefact} is not a TorchScript module (save it with torch.jit.save): {error}")
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(images), BATCH):
            try:
                scores = model(images[start : start + BATCH])
            except Exception as error:
                sys.exit(f"invalid: the model failed on a batch of shape (N, 1, 28, 28): {error}")
            if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (len(images[start : start + BATCH]), 10):
                shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
                sys.exit(f"invalid: the model must return scores of shape (N, 10), got {shape}")
            outputs.append(scores.float())
    scores = torch.cat(outputs)
    if not torch.isfinite(scores).all():
        sys.exit("invalid: the model returned NaN or infinite scores")
    accuracy = (scores.argmax(dim=1) == labels).float().mean().item()
    nll = torch.nn.functional.cross_entropy(scores, labels).item()
    return {"accuracy": accuracy, "nll": nll}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--artefact", type=Path, default=Path("model.pt"))
    parser.add_argument("--public", type=Path, default=Path("/data"))
    parser.add_argument("--private", type=Path, help="folder holding test.csv (test split only)")
    args = parser.parse_args()
    if args.split == "test" and args.private is None:
        sys.exit("--split test needs --private")
    if not args.artefact.is_file():
        sys.exit(f"invalid: {args.artefact} does not exist; save your model there with torch.jit.save")
    torch.set_num_threads(2)
    folder = args.public if args.split == "dev" else args.private
    images, labels = load_split(folder / f"{args.split}.csv")
    # TorchScript can read files (torch.from_file): watch the hidden test data while the model runs.
    hidden = guard.private_folder(args.public, args.private)
    watch = guard.AccessWatch(hidden) if hidden is not None else None
    result = evaluate(args.artefact, images, labels)
    if watch is not None and watch.touched():
        sys.exit(f"invalid: the model opened the hidden test data in {hidden} while it was being evaluated")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
