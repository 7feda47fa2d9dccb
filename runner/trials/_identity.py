"""Deterministic names for trials: the same (task digest, agent, arguments, model, seed) is the same folder."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path


def agent_label(agent: str, model: str | None, args: tuple[str, ...]) -> str:
    """`agent[-model][-argshash]`: two command agents with different commands never share a folder."""
    parts = [agent]
    if model:
        parts.append(re.sub(r"[^A-Za-z0-9._-]+", "_", model))
    if args:
        parts.append(hashlib.sha256(json.dumps(list(args)).encode()).hexdigest()[:8])
    return "-".join(parts)


@dataclass(frozen=True)
class TrialKey:
    """One trial: an agent configuration on one task digest with one seed."""

    task_id: str
    digest: str
    agent: str
    model: str | None
    args: tuple[str, ...]
    seed: int
    variant: str = ""

    @property
    def label(self) -> str:
        """The agent label (folder name); a speedrun trial's record and hint level are part of it."""
        label = agent_label(self.agent, self.model, self.args)
        return f"{label}-{self.variant}" if self.variant else label

    @property
    def trial_id(self) -> str:
        """`<task>@<digest12>/<agent label>/seed-<n>`."""
        return f"{self.task_id}@{self.digest[:12]}/{self.label}/seed-{self.seed}"

    def folder(self, runs_dir: Path) -> Path:
        """Where this trial's result, logs and submission live."""
        return runs_dir / self.trial_id
