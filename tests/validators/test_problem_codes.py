"""Every problem code any check or the loader can emit is documented in docs/problems.md."""

from __future__ import annotations

import re

from spec import LOADER_CODES
from tests.conftest import REPO
from validators import LADDER_CODES, catalogue_checks, task_checks
from validators._registry import ENGINE_CODES


def _documented() -> set[str]:
    text = (REPO / "docs" / "problems.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9.-]+)` \|", text, flags=re.MULTILINE))


def test_every_emitted_code_is_documented() -> None:
    emitted = set(LOADER_CODES) | set(ENGINE_CODES) | set(LADDER_CODES)
    for check in [*task_checks(), *catalogue_checks()]:
        emitted.update(check.codes)
    assert emitted - _documented() == set()


def test_no_documented_code_is_stale() -> None:
    emitted = set(LOADER_CODES) | set(ENGINE_CODES) | set(LADDER_CODES)
    for check in [*task_checks(), *catalogue_checks()]:
        emitted.update(check.codes)
    assert _documented() - emitted == set()
