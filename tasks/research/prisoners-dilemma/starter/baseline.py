"""The baseline: tit for tat (cooperate first, then copy the opponent's last move), written to the artefact path.

Run it from the workspace: `python baseline.py`, then score it on the dev tournament with `$BENCHSMITH_VALIDATE`.
"""

import os
from pathlib import Path

TIT_FOR_TAT = '''"""Tit for tat: cooperate first, then copy the opponent's last move."""


def strategy(history: list[tuple[int, int]]) -> int:
    if not history:
        return 0
    return history[-1][1]
'''

artefact = Path(os.environ.get("BENCHSMITH_ARTEFACT", "strategy.py"))
artefact.write_text(TIT_FOR_TAT, encoding="utf-8")
print(f"wrote tit for tat to {artefact}")
