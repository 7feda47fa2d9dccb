"""Every task of the generated catalogues the solver ladder has covered carries a ladder record for its current
bytes, and the ladder found that it discriminates (MLE-Smith's third verification layer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec import load_task, task_digest
from validators import VERIFICATION_FILE, VerificationRecord

TASKS = Path(__file__).resolve().parents[2] / "tasks"
LADDERED = ["generated-images", "generated-timeseries", "generated-text", "generated-audio", "generated-ranking"]


@pytest.mark.parametrize("folder", LADDERED)
def test_every_task_has_a_discriminating_ladder_record_at_its_digest(folder: str) -> None:
    catalogue = TASKS / folder
    manifests = sorted(catalogue.glob("*.yaml"))
    assert manifests, f"{folder} has no tasks"
    record = VerificationRecord.model_validate_json((catalogue / VERIFICATION_FILE).read_text(encoding="utf-8"))
    for path in manifests:
        task = load_task(path)
        assert task.manifest is not None
        ladder = record.ladders.get(task.manifest.id)
        assert ladder is not None, f"{path.name}: no ladder record; run `runner ladder tasks/{folder}`"
        assert ladder.task_digest == task_digest(task.path, task.manifest, task.raw or None), (
            f"{path.name}: the ladder ran on other bytes; run `runner ladder tasks/{folder}` again"
        )
        assert ladder.verdict == "discriminates", f"{path.name}: {ladder.verdict} ({ladder.problems})"
        scores = [rung.score for rung in ladder.rungs]
        assert len(scores) >= 3 and all(score is not None for score in scores)
