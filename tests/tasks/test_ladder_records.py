"""Every task of the generated catalogues carries a ladder record for its current bytes, and the ladder found that
it discriminates (MLE-Smith's third verification layer), as the record's own intervals show."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec import load_task, task_digest
from validators import VERIFICATION_FILE, VerificationRecord

TASKS = Path(__file__).resolve().parents[2] / "tasks"
LADDERED = [
    "generated",
    "generated-images",
    "generated-timeseries",
    "generated-text",
    "generated-audio",
    "generated-ranking",
]


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
        # The verdict follows from the recorded intervals: the strongest rung leads the weakest beyond noise, and
        # no stronger rung is significantly worse than a weaker one.
        names = [rung.agent for rung in ladder.rungs]
        lead = next(gap for gap in ladder.gaps if (gap.weaker, gap.stronger) == (names[0], names[-1]))
        assert lead.low > 0, f"{path.name}: the recorded lead [{lead.low}, {lead.high}] is within noise"
        assert all(gap.high >= 0 for gap in ladder.gaps), f"{path.name}: a recorded gap is inverted"
        assert len(ladder.gaps) == len(names) * (len(names) - 1) // 2
