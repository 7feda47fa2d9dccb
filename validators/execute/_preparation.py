"""The task prepares at all, and prepares the same bytes every time."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check


@task_check(
    "prepare",
    layer="execute",
    codes=("prepare.failed",),
    description="Preparation runs (in a subprocess with a time limit for scripts) and writes private answers.",
)
def check_prepare(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError

    from ._kit import KitNotApplicable, kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError) and not isinstance(kit, KitNotApplicable):
        yield task.problem("prepare.failed", f"preparation failed: {kit}", kit.field or ("prepare",))


@task_check(
    "determinism",
    layer="execute",
    codes=("determinism.differs",),
    description="Preparing twice in fresh folders gives byte-identical public and private files.",
)
def check_determinism(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError, prepare_into

    from ._kit import KitNotApplicable, kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError) and not isinstance(kit, KitNotApplicable):
        return
    with tempfile.TemporaryDirectory(prefix="benchsmith-det-") as scratch:
        try:
            first = prepare_into(task, Path(scratch) / "first")
            second = prepare_into(task, Path(scratch) / "second")
        except PreparationError as error:
            yield task.problem("determinism.differs", f"a second preparation failed: {error}", ("prepare",))
            return
    differing = sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))
    if differing:
        yield task.problem(
            "determinism.differs",
            f"two preparations gave different {', '.join(differing[:5])}; seed every random step "
            "(split seed, numpy/sklearn random_state) and write files in a fixed order",
            ("prepare",),
        )
