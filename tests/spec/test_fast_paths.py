"""What the fast paths keep: `import spec` loads no model until one is asked for, the catalogue walk finds what a
recursive glob found, and tags are read as YAML reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import spec
from spec import iter_manifests
from spec._yaml import read_yaml


def test_importing_spec_loads_no_model_and_every_name_loads_on_use() -> None:
    code = (
        "import json, sys, spec\n"
        "before = sorted(m for m in ('pydantic', 'ruamel', 'spec._base', 'spec._loader') if m in sys.modules)\n"
        "spec.iter_manifests, spec.default_tasks_dir\n"
        "after_catalogue = 'pydantic' in sys.modules\n"
        "values = {name: type(getattr(spec, name)).__name__ for name in spec.__all__}\n"
        "print(json.dumps([before, after_catalogue, 'pydantic' in sys.modules, len(values)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    before, after_catalogue, after_all, count = json.loads(done.stdout)
    assert (before, after_catalogue, after_all, count) == ([], False, True, len(spec.__all__))


def test_every_public_name_is_eager_or_lazy_exactly_once() -> None:
    lazy = spec._LAZY
    assert set(lazy) <= set(spec.__all__)
    assert all(spec._LAZY_NAMES[module].count(name) == 1 for name, module in lazy.items())
    assert all(name in vars(spec) for name in set(spec.__all__) - set(lazy))  # the rest are imported eagerly
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spec.nope  # noqa: B018


def _globbed(root: Path) -> list[Path]:
    """What the catalogue walk found before it was one `os.walk`: a recursive glob, minus YAML in task folders."""
    candidates = sorted(path for suffix in (".yaml", ".yml") for path in root.rglob(f"*{suffix}"))
    task_dirs = {path.with_suffix("") for path in candidates}
    return [path for path in candidates if not any(parent in task_dirs for parent in path.parents)]


def test_the_catalogue_walk_finds_what_a_recursive_glob_found(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    for name in (
        "a/one.yaml", "a/one/config.yaml", "a/one/deep/data.yml", "a/two.yml", "a/two/inner.yaml", "b-c/three.yaml",
        "b/four.yaml", "b/x.yaml.yaml", ".hidden/five.yaml", "notes.txt", "b/four/four.yaml",
    ):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("id: x\n")
    (root / "b" / "x.yaml").mkdir()  # a folder with a manifest's name: globbed as well
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.yaml").write_text("id: x\n")
    (root / "link").symlink_to(outside)  # a recursive glob does not descend links to folders
    found = list(iter_manifests(root))
    assert found == _globbed(root)
    assert root / "b-c" / "three.yaml" in found and root / "a" / "one" / "config.yaml" not in found
    assert list(iter_manifests(Path("tasks"))) == _globbed(Path("tasks"))


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("a: !<tag:yaml.org,2002:st%72> x\n", {"a": "x"}),
        ("a: !<tag:yaml.org,2002:%69nt> 7\n", {"a": 7}),
        ("a: !!int '5'\n", {"a": 5}),
        ("a: 0x1F\nb: 1e3\nc: .inf\nd: ~\ne: true\nf: 2001-12-14\n", None),
    ],
)
def test_tags_are_read_as_yaml_reads_them(text: str, data: dict[str, object] | None) -> None:
    document = read_yaml(text.encode())
    assert document.issues == []
    if data is not None:
        assert document.data == data
    else:
        assert document.data == {"a": 31, "b": 1000.0, "c": float("inf"), "d": None, "e": True, "f": "2001-12-14"}
    assert read_yaml(b"a: !<tag:example.com,2000:x> 1\n").issues[0].code == "yaml.unknown-tag"
