"""Overhead of a trial of a do-nothing agent, against bare baselines measured in the same run.

- docker: a `runner` trial (sandbox start, agent, grading, result.json) vs a bare `docker run --rm <image> true`
  (target ratio ≤ 1.5);
- local: a trial on the bubblewrap backend vs a bare local subprocess (`true`) (target overhead ≤ 0.3 s).
The do-nothing agent is the `command` agent running `true`, on a small bundled task (prepared beforehand).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from runner.environments import EnvironmentSpec
from runner.preparation import prepare_task
from runner.sandboxes import get_backend
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task

REPO = Path(__file__).resolve().parent.parent
TASK = REPO / "tests" / "fixtures" / "tasks" / "curated" / "penguins-species.yaml"


def _median_seconds(action: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _trial_seconds(backend: str, repeats: int, cache: Path) -> float:
    task = load_task(TASK)
    prepare_task(task, cache_root=cache)
    counter = iter(range(10_000))

    def one() -> None:
        settings = RunSettings(runs_dir=Path(tempfile.mkdtemp(prefix="bench-runs-")), backend=backend, cache_root=cache)
        result = run_trial(TrialRequest(task, "command", seed=next(counter), args=("true",)), settings)
        assert result.status == "invalid_submission", result.reason  # the agent did nothing: graded, not crashed

    one()  # warm-up: environment/image and caches
    return _median_seconds(one, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))

    bare_local = _median_seconds(lambda: subprocess.run(["true"], check=True), arguments.repeats)
    local = _trial_seconds("local", arguments.repeats, cache)
    print(f"local: trial {local:.3f} s, bare subprocess {bare_local:.4f} s, overhead {local - bare_local:.3f} s "
          f"(target ≤ 0.3 s: {'meets' if local - bare_local <= 0.3 else 'MISSES'})")  # fmt: skip

    reason = get_backend("docker").availability()
    if reason is not None:
        print(f"docker: skipped ({reason})")
        return
    from runner.images import ensure_task_image

    image = ensure_task_image(EnvironmentSpec())
    bare_docker = _median_seconds(
        lambda: subprocess.run(["docker", "run", "--rm", image, "true"], check=True, capture_output=True),
        arguments.repeats,
    )
    docker = _trial_seconds("docker", arguments.repeats, cache)
    print(f"docker: trial {docker:.3f} s, bare `docker run --rm` {bare_docker:.3f} s, ratio {docker / bare_docker:.2f} "
          f"(target ≤ 1.5: {'meets' if docker / bare_docker <= 1.5 else 'MISSES'})")  # fmt: skip


if __name__ == "__main__":
    main()
