"""The catalogue's speedrun chains (tasks/speedrun/): valid manifests, a tiny-GPT corpus that prepares to the pinned
bytes. (The evaluators need torch, which CI does not install; `runner exec` on the tiny chain exercises them.)"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from runner.preparation import prepare_task
from spec import SpeedrunTask, load_task
from validators import validate_paths

SPEEDRUN = Path(__file__).resolve().parents[2] / "tasks" / "speedrun"


def _manifest(task_id: str) -> SpeedrunTask:
    manifest = load_task(SPEEDRUN / f"{task_id}.yaml").manifest
    assert isinstance(manifest, SpeedrunTask)
    return manifest


def test_speedrun_catalogue_is_valid() -> None:
    report = validate_paths([SPEEDRUN])
    assert report.ok, report.model_dump_json(indent=2)
    assert {task.id for task in report.tasks} >= {"tiny-gpt", "nanogpt-speedrun"}


def test_every_tiny_gpt_record_is_faster_than_the_last_by_three_sigma() -> None:
    records = _manifest("tiny-gpt").records
    assert len(records) >= 6
    for previous, record in itertools.pairwise(records):
        margin = previous.time_s - record.time_s
        assert margin >= 3 * math.hypot(previous.time_std_s, record.time_std_s), (previous.id, record.id)
        assert record.hints.pseudocode and record.hints.description and record.hints.paper, record.id


def test_nanogpt_chain_keeps_the_public_record_table() -> None:
    task = _manifest("nanogpt-speedrun")
    assert task.target.threshold == 3.28
    assert task.resources.gpu == "required" and task.resources.gpu_count == 8
    minutes = [record.time_s / 60 for record in task.records]
    assert len(minutes) >= 21
    assert minutes[0] == 45 and minutes[20] == pytest.approx(2.933)
    assert all(later <= earlier for earlier, later in itertools.pairwise(minutes))
    assert all(record.script_url is not None for record in task.records)


def test_tiny_gpt_prepares_to_the_pinned_files(tmp_path: Path) -> None:
    task = _manifest("tiny-gpt")
    prepared = prepare_task(load_task(SPEEDRUN / "tiny-gpt.yaml"), cache_root=tmp_path)
    for name, digest in task.invariants.data.items():
        assert prepared.files[f"public/{name}"] == digest, name
    validation = task.invariants.validation
    assert (prepared.private / validation.file).stat().st_size == validation.size_bytes
    assert max((prepared.public / "train.bin").read_bytes()) < 27
