"""Tiny-GPT speedrun, record 2: rotary position embeddings.

As record 1, with the learned position table replaced by rotary embeddings of queries and keys (NanoGPT record 2).

Trains for a fixed number of steps and saves the model as TorchScript; the runner evaluates it on the
validation slice (docs/speedrun.md).
"""
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
BATCH, STEPS = 32, 420
LR, WARMUP, COOLDOWN_FRACTION = 3e-3, 50, 0.3

with open(os.path.join(DATA, "train.bin"), "rb") as handle:
    train = torch.frombuffer(bytearray(handle.read()), dtype=torch.uint8)
generator = torch.Generator().manual_seed(SEED)
offsets = torch.arange(CONTEXT + 1)


def get_batch(context: int) -> tuple[torch.Tensor, torch.Tensor]:
    starts = torch.randint(len(train) - context - 1, (BATCH, 1), generator=generator)
    chunk = train[starts + offsets[: context + 1]].long()
    return chunk[:, :-1], chunk[:, 1:]


class Rotary(nn.Module):
    def __init__(self, head_dim: int) -> None:
        super().__init__()
        inverse = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        angles = torch.outer(torch.arange(CONTEXT).float(), inverse)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.size(-2)
        cos, sin = self.cos[:t], self.sin[:t]
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


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
        self.rotary = Rotary(DIM // HEADS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, c // self.heads).transpose(1, 3).unbind(2)
        q, k = self.rotary(q), self.rotary(k)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        self.head.weight = self.embed.weight
        for parameter in self.parameters():
            if parameter.dim() == 2:
                nn.init.normal_(parameter, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def lr_factor(step: int) -> float:
    if step < WARMUP:
        return (step + 1) / WARMUP
    cooldown = int(COOLDOWN_FRACTION * STEPS)
    return min(1.0, (STEPS - step) / cooldown)


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
