"""Tiny-GPT speedrun, record 0: the baseline.

A GPT-2-style character model: learned position embeddings, LayerNorm, GELU, a head tied to the token
embedding, AdamW with a linear warm-up and cosine decay to 10%, as in nanoGPT / llm.c.

Trains for a fixed number of steps and saves the model as TorchScript; the runner evaluates it on the
validation slice (docs/speedrun.md).
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
VAL_TOKENS = 32768  # length of the validation slice, fixed by the task
DATA = os.environ.get("SPEEDRUN_DATA", "data")
MODEL_PATH = os.environ.get("SPEEDRUN_MODEL", "model.pt")
SEED = int(os.environ.get("SPEEDRUN_SEED", "0"))
torch.set_num_threads(int(os.environ.get("SPEEDRUN_THREADS", "1")))
torch.manual_seed(SEED)

VOCAB, CONTEXT = 27, 64
DIM, LAYERS, HEADS = 64, 2, 4
BATCH, STEPS = 32, 1600
LR, WARMUP, FINAL_LR_FRACTION = 1e-3, 100, 0.1

with open(os.path.join(DATA, "train.bin"), "rb") as handle:
    train = torch.frombuffer(bytearray(handle.read()), dtype=torch.uint8)
generator = torch.Generator().manual_seed(SEED)
offsets = torch.arange(CONTEXT + 1)


def get_batch(context: int) -> tuple[torch.Tensor, torch.Tensor]:
    starts = torch.randint(len(train) - context - 1, (BATCH, 1), generator=generator)
    chunk = train[starts + offsets[: context + 1]].long()
    return chunk[:, :-1], chunk[:, 1:]


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.heads = HEADS
        self.ln1 = nn.LayerNorm(DIM)
        self.ln2 = nn.LayerNorm(DIM)
        self.qkv = nn.Linear(DIM, 3 * DIM, bias=False)
        self.proj = nn.Linear(DIM, DIM, bias=False)
        self.fc = nn.Linear(DIM, 4 * DIM, bias=False)
        self.out = nn.Linear(4 * DIM, DIM, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, c // self.heads).transpose(1, 3).unbind(2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.positions = nn.Embedding(CONTEXT, DIM)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        self.head.weight = self.embed.weight
        for parameter in self.parameters():
            if parameter.dim() == 2:
                nn.init.normal_(parameter, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embed(idx) + self.positions(torch.arange(idx.size(1)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def lr_factor(step: int) -> float:
    if step < WARMUP:
        return (step + 1) / WARMUP
    progress = (step - WARMUP) / (STEPS - WARMUP)
    return FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress))


model = GPT()
optimizers: list[torch.optim.Optimizer] = [
    torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.0)
]
for optimizer in optimizers:
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"]
for step in range(STEPS):
    inputs, targets = get_batch(CONTEXT)
    loss = F.cross_entropy(model(inputs).reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] * lr_factor(step)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

model.eval()
torch.jit.save(torch.jit.script(model), MODEL_PATH)
