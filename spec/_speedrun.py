"""The speedrun kind: a chain of training-speed records, a target to reach, and the rules of timing.

The contract a record script follows, and what the runner measures, is in docs/speedrun.md.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import StrictModel, require_unique
from ._fields import PYTHON_NAME_PATTERN, Duration, Sha256, Slug, TaskPath, duration_seconds
from ._task import _TaskBase

Clock = Literal["process_cpu", "wall"]
References = Literal["retime", "interleaved"]
HintLevel = Literal["pseudocode", "description", "paper"]
HINT_LEVELS: tuple[HintLevel, ...] = ("pseudocode", "description", "paper")
"""Hint levels 1, 2 and 3 in order (level 0 is no hint)."""
DIFF_LEVEL = "diff"
"""The level-0 hint as upstream names it: the full diff from the record's script to the next record's."""
UPSTREAM_PREFIX = "upstream:"
"""A hint selection starting with this takes the upstream hint files (`SpeedrunHints.upstream`)."""


@dataclass(frozen=True)
class HintSelection:
    """Which hints a speedrun trial gets: levels (0 = the diff, 1-3 as HINT_LEVELS) from our files or upstream's.

    Written `0` (none), `2`, `1+2`, `1+2+3`, `diff`, `diff+1`, ...; prefixed `upstream:` for the upstream files.
    Combined levels are given together, lowest first, as llm-speedrunner evaluates them (`level_[12]_*.txt`).
    """

    levels: tuple[int, ...] = ()
    upstream: bool = False

    @classmethod
    def parse(cls, text: str) -> HintSelection:
        """The selection `text` names; ValueError with a one-line reason when it names none."""
        body = text.strip()
        upstream = body.startswith(UPSTREAM_PREFIX)
        body = body.removeprefix(UPSTREAM_PREFIX)
        if body in ("0", "none", ""):
            if upstream:
                raise ValueError(f"hint selection {text!r}: name the upstream levels, e.g. upstream:1+2")
            return cls()
        names = {DIFF_LEVEL: 0, "1": 1, "2": 2, "3": 3}
        parts = body.split("+")
        if any(part not in names for part in parts) or len(set(parts)) != len(parts):
            raise ValueError(
                f"hint selection {text!r}: expected 0 (none), levels 1-3 and {DIFF_LEVEL} joined by +, e.g. 1+2 or "
                f"{DIFF_LEVEL}+1, optionally prefixed {UPSTREAM_PREFIX}"
            )
        return cls(tuple(sorted(names[part] for part in parts)), upstream)

    @property
    def text(self) -> str:
        """The canonical written form (`0`, `1+2`, `diff+3`, `upstream:1+2`)."""
        if not self.levels:
            return "0"
        body = "+".join(DIFF_LEVEL if level == 0 else str(level) for level in self.levels)
        return f"{UPSTREAM_PREFIX}{body}" if self.upstream else body

    @property
    def slug(self) -> str:
        """The form used in trial folder names (no colon)."""
        return self.text.replace(":", "-")

    @property
    def highest(self) -> int:
        """The highest numbered level given (0 for none or the diff alone)."""
        return max(self.levels, default=0)


TokenDtype = Literal["uint8", "uint16", "int32", "int64"]
TOKEN_BYTES: dict[str, int] = {"uint8": 1, "uint16": 2, "int32": 4, "int64": 8}
PYTHON_MODULE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$"


class SpeedrunTarget(StrictModel):
    """What a run must reach: the evaluator's value on the fixed validation slice against a threshold."""

    metric: str = Field(
        min_length=1, description="Name of the value the task's evaluator (`metric.script`) returns, e.g. `val_loss`."
    )
    threshold: float = Field(description="Value the run must reach (a value equal to it counts as reached).")
    higher_is_better: bool = Field(
        default=False, description="Direction of the target metric; must agree with `metric.higher_is_better`."
    )

    def reached(self, value: float) -> bool:
        """Whether `value` reaches the threshold in this target's direction."""
        return value >= self.threshold if self.higher_is_better else value <= self.threshold


class SpeedrunProtocol(StrictModel):
    """How the runner times a training script. Only training is timed: evaluation runs afterwards, untimed."""

    clock: Clock = Field(
        default="process_cpu",
        description="process_cpu: user + system CPU seconds of the script's process and the children it waits "
        "for (robust on a shared machine; use with threads: 1); wall: elapsed seconds (for GPU chains, where CPU "
        "time does not measure the work).",
    )
    seeds: int = Field(default=3, ge=1, le=100, description="Timed runs per measurement (seeds 0..n-1).")
    threads: int = Field(
        default=1, ge=1, le=1024, description="CPU threads the script may use (OMP/MKL/torch thread variables)."
    )
    gpus: int = Field(default=0, ge=0, le=64, description="GPUs the script uses (0 for CPU chains).")
    references: References = Field(
        default="retime",
        description="Where a trial's reference times for records R and R+1 come from. retime: this machine's "
        "retime file (`runner speedrun retime`), else the manifest's; interleaved: the trial also times R and R+1 "
        "itself, seed by seed, alternating with the agent's script, so that load on a shared machine slows all three "
        "alike (a trial then does three times the timed work).",
    )
    preload: list[str] = Field(
        default_factory=list,
        description="Modules imported before the clock starts (untimed warm-up), e.g. `[torch]`; the script runs "
        "in a process forked after these imports.",
    )
    launcher: TaskPath | None = Field(
        default=None,
        description="A Python file of the task's that the timer runs as `__main__` in place of `train.py`, to run "
        "scripts written for another launcher (e.g. `torchrun`) under the contract; it finds the script to run in "
        "`SPEEDRUN_RECORD_SCRIPT` (its path in the working folder) and is mounted read-only, out of the agent's "
        "reach. Its time counts as the script's.",
    )
    time_limit: Duration = Field(default="10m", description="Wall-clock limit of one timed run.")
    eval_time_limit: Duration = Field(default="5m", description="Wall-clock limit of one evaluation.")

    @field_validator("preload")
    @classmethod
    def _module_names(cls, modules: list[str]) -> list[str]:
        bad = [name for name in modules if re.fullmatch(PYTHON_MODULE_PATTERN, name) is None]
        if bad:
            raise ValueError(f"not Python module names: {', '.join(bad)}")
        return modules

    @property
    def time_limit_s(self) -> float:
        """The per-run limit in seconds."""
        return duration_seconds(self.time_limit)

    @property
    def eval_time_limit_s(self) -> float:
        """The per-evaluation limit in seconds."""
        return duration_seconds(self.eval_time_limit)


class SpeedrunHardware(StrictModel):
    """The reference hardware the records' times were measured on."""

    description: str = Field(min_length=1, description="Human description, e.g. `8x NVIDIA H100 80GB SXM`.")
    cpu: str | None = Field(default=None, description="CPU model name.")
    cpus: int | None = Field(default=None, ge=1, description="CPU cores used.")
    gpu: str | None = Field(default=None, description="GPU model name.")
    gpus: int = Field(default=0, ge=0, description="GPUs used.")


class SpeedrunValidation(StrictModel):
    """The fixed validation slice: a flat token file the evaluator reads whole."""

    file: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="File name of the evaluation slice in the prepared private/ folder. It must not be among the "
        "public files the timed script reads (a script could memorise it); a public dev slice of the same length "
        "under the same name is fine.",
    )
    tokens: int = Field(gt=0, description="Number of tokens in the slice; a file of another length is an error.")
    dtype: TokenDtype = Field(default="uint16", description="Token type of the flat binary file (little-endian).")
    sha256: Sha256 | None = Field(
        default=None,
        description="SHA-256 of the prepared private slice; a preparation giving another slice is an error, so "
        "the target cannot move silently.",
    )
    constant: str | None = Field(
        default=None,
        pattern=PYTHON_NAME_PATTERN,
        description="Name under which record scripts declare the slice length (e.g. `VAL_TOKENS`); a submitted "
        "script assigning it another integer is a rule violation.",
    )

    @property
    def size_bytes(self) -> int:
        """Size of the slice file in bytes."""
        return self.tokens * TOKEN_BYTES[self.dtype]


class CausalProbe(StrictModel):
    """The saved model must be a causal language model: `forward(idx[B, T]) -> logits[B, T, vocab]` where the
    logits at position t depend only on tokens 0..t. The runner probes it before the evaluator scores it."""

    context: int = Field(
        ge=2, description="Length T of the probe windows (cut from the validation slice); the model must accept it."
    )
    windows: int = Field(default=4, ge=1, le=64, description="Random windows probed, each at a random position t.")
    tolerance: float = Field(
        default=1e-4,
        gt=0,
        description="Largest allowed change of logits[:, :t+1], relative to their largest magnitude (plus this "
        "value absolute), when the tokens after t are replaced.",
    )


class SpeedrunInvariants(StrictModel):
    """What the runner checks around every timed run."""

    validation: SpeedrunValidation = Field(description="The fixed validation slice.")
    causal_lm: CausalProbe | None = Field(
        default=None,
        description="Set for chains whose models are token language models: the runner checks the saved model "
        "cannot see future tokens (changing tokens after position t must not change logits up to t); a model "
        "that can is a rule violation. Without it, a model that copies the next input token scores a near-zero "
        "loss with no training.",
    )
    data: dict[str, Sha256] = Field(
        default_factory=dict,
        description="Public data files by name and their SHA-256; pinned files must match after preparation, in "
        "the agent's workspace and after every timed run. Every public file is checked against the prepared "
        "copy in any case.",
    )


class ScriptUrl(StrictModel):
    """A record script fetched from the web (by prepare, when there is a network), checked by its SHA-256."""

    url: str = Field(pattern=r"^https?://\S+$", description="HTTP(S) address of the script.")
    sha256: Sha256 = Field(description="SHA-256 of the script; a mismatch is an error.")


class UpstreamHints(StrictModel):
    """The upstream benchmark's hint files for one record, on the web, each checked by its SHA-256."""

    diff: ScriptUrl | None = Field(default=None, description="Level 0: the full diff of the change.")
    pseudocode: ScriptUrl | None = Field(default=None, description="Level 1: pseudocode of the change.")
    description: ScriptUrl | None = Field(default=None, description="Level 2: a text description of the change.")
    paper: ScriptUrl | None = Field(default=None, description="Level 3: a mini-paper explaining the change.")

    def at_level(self, level: int) -> ScriptUrl | None:
        """The hint file of level 0..3 (None when absent)."""
        return self.diff if level == 0 else getattr(self, HINT_LEVELS[level - 1])


class SpeedrunHints(StrictModel):
    """Hints describing the change from the previous record to this one, at three levels of detail.

    Level 0, the full diff, needs no file: the runner computes it from the two records' scripts.
    """

    pseudocode: TaskPath | None = Field(default=None, description="Level 1: pseudocode of the change.")
    description: TaskPath | None = Field(default=None, description="Level 2: a text description of the change.")
    paper: TaskPath | None = Field(default=None, description="Level 3: a mini-paper explaining the change.")
    upstream: UpstreamHints | None = Field(
        default=None,
        description="The upstream benchmark's own hint files (fetched when there is a network, for "
        "`--hint-level upstream:...`); the files above stay the offline default.",
    )

    def at_level(self, level: int) -> str | None:
        """The hint file of level 1..3 (None when absent or level 0)."""
        return None if level == 0 else getattr(self, HINT_LEVELS[level - 1])


class SpeedrunRecord(StrictModel):
    """One record of a speedrun chain."""

    id: Slug = Field(description="Record identifier, unique in the chain.")
    date: datetime.date | None = Field(default=None, description="When the record was set (YYYY-MM-DD).")
    script: TaskPath | None = Field(default=None, description="The record's training script in the task folder.")
    script_url: ScriptUrl | None = Field(
        default=None, description="The record's training script on the web (instead of `script`)."
    )
    time_s: float = Field(
        gt=0, description="Mean time to reach the target on the reference hardware, in seconds of `protocol.clock`."
    )
    time_std_s: float = Field(default=0.0, ge=0, description="Standard deviation of the time over the seeds.")
    seeds: int = Field(default=1, ge=1, description="Number of timed runs the mean and deviation are over.")
    summary: str = Field(default="", description="One-line summary of the change from the previous record.")
    hints: SpeedrunHints = Field(
        default_factory=SpeedrunHints,
        description="Hints describing the change from the previous record to this one (what an agent starting "
        "from the previous record is given).",
    )

    @model_validator(mode="after")
    def _one_script(self) -> SpeedrunRecord:
        if self.script is not None and self.script_url is not None:
            raise ValueError("give either script or script_url, not both")
        if self.script is None and self.script_url is None:
            raise ValueError("a record needs a script or a script_url")
        return self


class SpeedrunTask(_TaskBase):
    """A chain of training-speed records; the agent must recover the next record's speed-up.

    `metric` is the evaluator: `{script: <task>/evaluate.py, higher_is_better: ...}` whose
    `score(submission, answers)` gets the saved model file and the private folder holding the validation slice.
    """

    kind: Literal["speedrun"] = Field(description="Task kind.")
    target: SpeedrunTarget = Field(description="What a run must reach to count.")
    protocol: SpeedrunProtocol = Field(
        default_factory=SpeedrunProtocol, description="How runs are timed: clock, seeds, threads, untimed warm-up."
    )
    hardware: SpeedrunHardware = Field(description="Reference hardware of the records' times.")
    invariants: SpeedrunInvariants = Field(description="Data and validation-slice rules the runner enforces.")
    records: list[SpeedrunRecord] = Field(min_length=2, description="The chain, oldest first.")

    @field_validator("records")
    @classmethod
    def _unique_record_ids(cls, records: list[SpeedrunRecord]) -> list[SpeedrunRecord]:
        require_unique("record ids", [record.id for record in records])
        return records

    @model_validator(mode="after")
    def _directions_agree(self) -> SpeedrunTask:
        if self.target.higher_is_better != self.metric.higher_is_better:
            raise ValueError("target.higher_is_better must equal metric.higher_is_better (the evaluator's direction)")
        return self

    def record(self, record_id: str) -> SpeedrunRecord:
        """The record with `record_id`; KeyError naming the known ids when there is none."""
        for record in self.records:
            if record.id == record_id:
                return record
        raise KeyError(f"no record {record_id!r}; the chain has {', '.join(r.id for r in self.records)}")

    def successor(self, record_id: str) -> SpeedrunRecord | None:
        """The record after `record_id` in the chain (None for the last one)."""
        ids = [record.id for record in self.records]
        index = ids.index(self.record(record_id).id)
        return self.records[index + 1] if index + 1 < len(self.records) else None
