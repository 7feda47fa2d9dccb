"""TASK arguments resolve from a manifest path, a task folder or an id."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec import TaskNotFoundError, default_tasks_dir, installed_catalogue, iter_manifests, resolve_task
from tests.conftest import REPO


def test_manifest_path_folder_and_id_resolve_to_the_same_file(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    assert resolve_task(str(manifest)) == manifest
    assert resolve_task(str(catalogue / "curated" / "wine-cultivar")) == manifest
    assert resolve_task("wine-cultivar", tasks_dir=catalogue) == manifest


def test_unknown_and_ambiguous_ids_say_what_was_tried(catalogue: Path) -> None:
    with pytest.raises(TaskNotFoundError, match="no task 'nope'"):
        resolve_task("nope", tasks_dir=catalogue)
    twin = catalogue / "other" / "wine-cultivar.yaml"
    twin.parent.mkdir()
    twin.write_text((catalogue / "curated" / "wine-cultivar.yaml").read_text())
    with pytest.raises(TaskNotFoundError, match="ambiguous"):
        resolve_task("wine-cultivar", tasks_dir=catalogue)


def test_yaml_inside_a_task_folder_is_not_a_manifest(catalogue: Path) -> None:
    (catalogue / "curated" / "wine-cultivar" / "config.yaml").write_text("not: a manifest\n")
    found = {path.name for path in iter_manifests(catalogue)}
    assert "config.yaml" not in found
    assert "wine-cultivar.yaml" in found


def test_default_tasks_dir_prefers_the_working_directory(tmp_path: Path) -> None:
    assert default_tasks_dir(tmp_path) == installed_catalogue()
    assert installed_catalogue() == REPO / "tasks"
    (tmp_path / "tasks").mkdir()
    assert default_tasks_dir(tmp_path) == tmp_path / "tasks"
