"""Baseline: a small two-layer CNN trained for 3 epochs with Adam, saved as TorchScript to the artefact path.

    python train.py                 # writes model.pt (or $BENCHSMITH_ARTEFACT)
    $BENCHSMITH_VALIDATE            # its accuracy on the dev images

Edit freely: the architecture, the training, the data (train.csv and the labelled dev.csv in /data). The
evaluator only needs a TorchScript module mapping (N, 1, 28, 28) images in [0, 1] to (N, 10) class scores.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

SEED = 0
EPOCHS = 3
BATCH = 64

torch.manual_seed(SEED)
torch.set_num_threads(2)
data = Path(os.environ.get("BENCHSMITH_DATA", "/data"))


def load(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    frame = pd.read_csv(data / f"{name}.csv")
    pixels = frame[[f"pixel_{k}" for k in range(784)]].to_numpy(dtype=np.float32, copy=True) / 255.0
    return torch.from_numpy(pixels).reshape(-1, 1, 28, 28), torch.tensor(frame["label"].to_numpy(), dtype=torch.long)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


images, labels = load("train")
dev_images, dev_labels = load("dev")
model = Net()
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
generator = torch.Generator().manual_seed(SEED)
for epoch in range(EPOCHS):
    model.train()
    order = torch.randperm(len(images), generator=generator)
    for start in range(0, len(images), BATCH):
        batch = order[start : start + BATCH]
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.inference_mode():
        accuracy = (model(dev_images).argmax(1) == dev_labels).float().mean().item()
    print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}, dev accuracy {accuracy:.4f}")

artefact = Path(os.environ.get("BENCHSMITH_ARTEFACT", "model.pt"))
torch.jit.save(torch.jit.script(model.eval()), str(artefact))
print(f"saved {artefact}")
