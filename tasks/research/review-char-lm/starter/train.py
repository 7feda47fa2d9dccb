"""Baseline: count character trigrams of the training reviews and save them for lm/model.py.

    python train.py          # writes lm/counts.json (the artefact is the whole lm/ folder)
    $BENCHSMITH_VALIDATE     # bits per character on the dev reviews

Each line of train.txt is one review; the line break that ends it is a symbol to predict too.
"""

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

ORDER = 3  # characters per n-gram: the model conditions on the ORDER - 1 previous characters

data = Path(os.environ.get("BENCHSMITH_DATA", "/data"))
vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))
reviews = (data / "train.txt").read_text(encoding="utf-8").splitlines(keepends=True)

counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
for review in reviews:
    for position, char in enumerate(review):
        # Contexts never reach back past the start of the review: every review is scored on its own.
        for length in range(min(ORDER - 1, position) + 1):
            counts[review[position - length : position]][char] += 1

artefact = Path(os.environ.get("BENCHSMITH_ARTEFACT", "lm"))
artefact.mkdir(parents=True, exist_ok=True)
model_code = Path(__file__).resolve().parent / "lm" / "model.py"
if model_code.resolve() != (artefact / "model.py").resolve():
    shutil.copyfile(model_code, artefact / "model.py")
(artefact / "counts.json").write_text(json.dumps({"order": ORDER, "vocab": vocab, "counts": counts}), encoding="utf-8")
print(f"counted {sum(map(len, reviews))} characters in {len(reviews)} reviews into {len(counts)} contexts")
