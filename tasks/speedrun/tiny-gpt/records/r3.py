"""Tiny-GPT speedrun, record 3: the Muon optimizer for the hidden matrices.

As record 2, with the 2-D weights inside the blocks updated by Muon (momentum orthogonalised by a Newton-Schulz
iteration, NanoGPT records 3-4); embeddings and norms keep AdamW.

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
BATCH, STEPS = 32, 230
LR, WARMUP, COOLDOWN_FRACTION = 3e-3, 50, 0.3
MUON_LR, MUON_MOMENTUM = 0.02, 0.95

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


def orthogonalise(g: torch.Tensor, iterations: int = 5) -> torch.Tensor:
    # Quintic Newton-Schulz iteration: pushes every singular value of g towards 1 without an SVD.
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / (g.norm() + 1e-7)
    transposed = x.size(0) > x.size(1)
    if transposed:
        x = x.T
    for _ in range(iterations):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if transposed else x


class Muon(torch.optim.Optimizer):
    """SGD with Nesterov momentum whose update is orthogonalised, for 2-D hidden weights."""

    def __init__(self, params: list[torch.Tensor], lr: float, momentum: float) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if "buffer" not in state:
                    state["buffer"] = torch.zeros_like(p.grad)
                buffer = state["buffer"]
                buffer.mul_(group["momentum"]).add_(p.grad)
                update = orthogonalise(p.grad.add(buffer, alpha=group["momentum"]))
                p.add_(update, alpha=-group["lr"] * max(1.0, p.size(0) / p.size(1)) ** 0.5)


def lr_factor(step: int) -> float:
    if step < WARMUP:
        return (step + 1) / WARMUP
    cooldown = int(COOLDOWN_FRACTION * STEPS)
    return min(1.0, (STEPS - step) / cooldown)


model = GPT()
hidden = [p for p in model.blocks.parameters() if p.dim() == 2]
hidden_ids = {id(p) for p in hidden}
others = [p for p in model.parameters() if id(p) not in hidden_ids]
optimizers: list[torch.optim.Optimizer] = [
    torch.optim.AdamW(others, lr=LR, betas=(0.9, 0.95), weight_decay=0.0),
    Muon(hidden, lr=MUON_LR, momentum=MUON_MOMENTUM),
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
