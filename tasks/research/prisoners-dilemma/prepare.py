"""Split the tournament file into the dev tournament (public) and the test tournament (private).

Both use the same opponents, payoffs, noise and match lengths; they differ in their seeds and in the number of
matches against each opponent.
"""

import json
from pathlib import Path

SHARED = ("payoffs", "noise", "rounds", "opponents")


def prepare(raw: Path, public: Path, private: Path) -> None:
    tournament = json.loads((raw / "tournament.json").read_text(encoding="utf-8"))
    for split, folder in (("dev", public), ("test", private)):
        config = {key: tournament[key] for key in SHARED} | tournament[split]
        (folder / f"{split}.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
