#!/usr/bin/env bash
# GPU check of the nanogpt-1gpu speedrun chain (tasks/speedrun/nanogpt-1gpu.yaml): the parts no CPU test can run.
#
#   scripts/gpu-check.sh stage              (here, once) copy the chain's upstream record scripts, found by the
#                                           manifest's sha256 in ../shared/upstream/llm-speedrunner.tar.gz, to
#                                           build/gpu-check/records/ (git-ignored; CC-BY-NC: never commit them)
#   scripts/gpu-check.sh run [RECORD ...]   (on a GPU machine) run each record (default: all four) through the
#                                           chain's launcher on one GPU, time it, and score its saved model with the
#                                           chain's evaluator; a line of JSON per record on stdout and in
#                                           $OUT/gpu-check.jsonl (when $OUT is set), each run's log in $OUT/RECORD.log
#   scripts/gpu-check.sh retime             (on a GPU machine with the project installed, bubblewrap or Docker with
#                                           the NVIDIA runtime, and a network or NANOGPT_FINEWEB_DIR) the real thing:
#                                           `runner validate --execute` and `runner speedrun retime` of the chain
#
# `run` needs python3 with torch and numpy and a CUDA GPU, nothing else (no network, no project install, no
# sandbox), so it fits a lent device machine (see /work/.library/device): after `stage` here, call its `run` with
#   carry: ["build/gpu-check"], timeout_s: 590,
#   command: scripts/gpu-check.sh run r04-muon-improvements r09-value-embed-skips
# (about 2-4 minutes a record at the chain's 1/64 budget on one H100, plus the machine's start: two records fit a
# 15-minute lease, four may not). The data are SYNTHETIC token shards made on the machine (the real FineWeb shards
# are 200 MB each and the device machine has no network): segments of 16 tokens where each token after the first
# is a fixed function of the one before, so a model that trains goes well below ln(50257) = 10.8 nats; the target
# 5.0 on FineWeb is not checked. The times are real: a step's cost does not depend on the token values. They
# differ from a trial's in that `import torch` is timed here and not there (protocol.preload), and the device's
# torch is not the manifest's pinned torch==2.7.1.
#
# Variables: GPU_CHECK_FRACTION (default: the launcher's 1/64) shortens the records further for a quick smoke run;
# GPU_CHECK_RECORD_TIMEOUT (seconds, default 480) stops one record's run; PYTHON (default python3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAGED=${GPU_CHECK_STAGED:-$ROOT/build/gpu-check/records}
TASK="$ROOT/tasks/speedrun/nanogpt-1gpu"
MANIFEST="$ROOT/tasks/speedrun/nanogpt-1gpu.yaml"
PYTHON=${PYTHON:-python3}

stage() {
    local python="$ROOT/.nox/tests/bin/python"
    [ -x "$python" ] || python=python3
    mkdir -p "$STAGED"
    "$python" - "$MANIFEST" "$ROOT/../shared/upstream/llm-speedrunner.tar.gz" "$STAGED" <<'EOF'
import hashlib, sys, tarfile
from pathlib import Path
import yaml

manifest, tarball, staged = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
wanted = {r["script_url"]["sha256"]: r["id"] for r in yaml.safe_load(manifest.read_text())["records"]}
with tarfile.open(tarball) as archive:
    for member in archive:
        if member.isfile() and member.name.endswith(".py"):
            data = archive.extractfile(member).read()
            record = wanted.pop(hashlib.sha256(data).hexdigest(), None)
            if record is not None:
                (staged / f"{record}.py").write_bytes(data)
                print(f"staged {record} <- {member.name}")
if wanted:
    sys.exit(f"{tarball} holds no script with the sha256 of: {', '.join(wanted.values())}")
EOF
}

run() {
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader
    "$PYTHON" - "$TASK" "$STAGED" "$@" <<'EOF'
import importlib.util, json, os, subprocess, sys, time
from pathlib import Path
import numpy as np
import torch

task, staged, chosen = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
assert torch.cuda.is_available(), "no CUDA GPU visible to torch"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}", flush=True)
records = chosen or sorted(p.stem for p in staged.glob("*.py"))
missing = [r for r in records if not (staged / f"{r}.py").is_file()]
assert records and not missing, f"not staged: {missing or 'any'}; run `scripts/gpu-check.sh stage` here first"
out = Path(os.environ["OUT"]) if os.environ.get("OUT") else None
work = Path("/tmp/gpu-check")
VOCAB, SEGMENT, VAL_TOKENS = 50257, 16, 10_485_760


def tokens(count: int, seed: int) -> np.ndarray:
    """Segments of SEGMENT tokens: a random first token, then next = (7919 * previous + 13) mod VOCAB."""
    rows = -(-count // SEGMENT)
    grid = np.empty((rows, SEGMENT), dtype=np.int64)
    grid[:, 0] = np.random.default_rng(seed).integers(0, VOCAB, rows)
    for column in range(1, SEGMENT):
        grid[:, column] = (7919 * grid[:, column - 1] + 13) % VOCAB
    return grid.reshape(-1)[:count].astype(np.uint16)


def shard(path: Path, values: np.ndarray) -> None:
    header = np.zeros(256, dtype=np.int32)
    header[:3] = (20240520, 1, len(values))
    with path.open("wb") as handle:
        handle.write(header.tobytes())
        handle.write(values.tobytes())


data, private = work / "data", work / "private"
(data / "fineweb10B").mkdir(parents=True, exist_ok=True)
private.mkdir(parents=True, exist_ok=True)
shard(data / "fineweb10B" / "fineweb_train_000001.bin", tokens(32 * 2**20, 1))
shard(data / "fineweb10B" / "fineweb_val_000000.bin", tokens(VAL_TOKENS + 2**16 + 1, 2))
tokens(VAL_TOKENS, 3).tofile(private / "val_slice.bin")

# The launcher as the timer runs it, with an optional shorter budget: FRACTION is read when Hyperparameters is made.
LAUNCH = (
    "import importlib.util, os, sys\n"
    "spec = importlib.util.spec_from_file_location('launch', sys.argv[1])\n"
    "launch = importlib.util.module_from_spec(spec); spec.loader.exec_module(launch)\n"
    "from fractions import Fraction\n"
    "launch.FRACTION = float(Fraction(os.environ.get('GPU_CHECK_FRACTION') or launch.FRACTION))\n"
    "launch.main()\n"
)
spec = importlib.util.spec_from_file_location("evaluate", task / "evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)
failed = 0
for record in records:
    folder = work / record
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_bytes((staged / f"{record}.py").read_bytes())
    model = folder / "model.pt"
    model.unlink(missing_ok=True)
    env = os.environ | {
        "SPEEDRUN_DATA": str(data), "SPEEDRUN_MODEL": str(model), "SPEEDRUN_SEED": "0",
        "SPEEDRUN_VAL_TOKENS": str(VAL_TOKENS), "SPEEDRUN_RECORD_SCRIPT": "train.py", "SPEEDRUN_THREADS": "8",
        "OMP_NUM_THREADS": "8", "PYTHONUNBUFFERED": "1",
    }
    log = (out or folder) / f"{record}.log"
    started = time.monotonic()
    try:
        with log.open("w") as handle:
            code = subprocess.run([sys.executable, "-c", LAUNCH, str(task / "launch.py")], cwd=folder, env=env,
                                  stdout=handle, stderr=subprocess.STDOUT,
                                  timeout=float(os.environ.get("GPU_CHECK_RECORD_TIMEOUT", 480))).returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
    result = {"record": record, "exit_code": code, "wall_s": round(time.monotonic() - started, 1),
              "fraction": os.environ.get("GPU_CHECK_FRACTION") or "1/64", "model_saved": model.is_file()}
    if model.is_file():
        started = time.monotonic()
        result["val_loss_synthetic"] = round(evaluate.score(model, private), 4)
        result["eval_s"] = round(time.monotonic() - started, 1)
    else:
        failed += 1
        result["log_tail"] = log.read_text(errors="replace")[-2000:]
    line = json.dumps(result)
    print(line, flush=True)
    if out is not None:
        with (out / "gpu-check.jsonl").open("a") as handle:
            handle.write(line + "\n")
sys.exit(1 if failed else 0)
EOF
}

retime() {
    local runner=${RUNNER:-runner}
    "$runner" validate "$MANIFEST" --execute
    "$runner" speedrun retime "$MANIFEST"
}

case "${1:-}" in
    stage) stage ;;
    run) shift; run "$@" ;;
    retime) retime ;;
    *) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0" >&2; exit 64 ;;
esac
