"""Entry points name a function that exists, and packaged datasets name a provider that exists.

Nothing is imported: the module an entry point names is found on disk (in its `import_path`, else where the
installed package lives) and read as source, so a check never runs task or upstream code. A package that is not
installed here is a warning, not an error: the task may run where it is.
"""

from __future__ import annotations

import ast
import importlib.util
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from runner.datasets import DatasetError, ProviderInfo, parse_reference, provider_info, providers
from spec import AnyTask, EntrypointMetric, EntrypointPrepare, LoadedTask, PackagedSource, Problem, entrypoint_root

from .._registry import CheckContext, task_check

FieldPath = tuple[str | int, ...]


def _entrypoints(manifest: AnyTask) -> Iterator[tuple[FieldPath, str, str | None]]:
    """(field path, entry point, import_path) of every entry point the manifest names."""
    if isinstance(manifest.metric, EntrypointMetric):
        yield ("metric", "entrypoint"), manifest.metric.entrypoint, manifest.metric.import_path
    if isinstance(manifest.prepare, EntrypointPrepare):
        yield ("prepare", "entrypoint"), manifest.prepare.entrypoint, manifest.prepare.import_path
    for name, baseline in manifest.baselines.items():
        if baseline.entrypoint is not None:
            yield ("baselines", name, "entrypoint"), baseline.entrypoint, None


def _top_level(top: str, root: Path | None) -> list[Path] | None:
    """Where the top-level package (or module) `top` lives: in `root` first, as Python would look; else installed."""
    if root is not None:
        if (root / top).is_dir():
            return [root / top]
        if (root / f"{top}.py").is_file():
            return [root / f"{top}.py"]
    try:
        spec = importlib.util.find_spec(top)  # a top-level name is found without running any of its code
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations is not None:
        return [Path(location) for location in spec.submodule_search_locations]
    return [Path(spec.origin)] if spec.origin else None


def _module_file(locations: list[Path], parts: list[str]) -> Path | None:
    """The source file of submodule `parts` below the package `locations` (a folder per namespace portion)."""
    if not parts:
        for location in locations:
            if location.is_file():
                return location
            if (location / "__init__.py").is_file():
                return location / "__init__.py"
        return None
    for location in locations:
        folder = location.joinpath(*parts[:-1])
        for candidate in (folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _binds(tree: ast.Module, name: str) -> bool:
    """Whether the module's top level defines, assigns or imports `name` (or star-imports, which may)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                return True
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                if alias.name == "*" or (alias.asname or alias.name.split(".")[0]) == name:
                    return True
    return False


def _parsed(source: Path) -> ast.Module | Exception:
    """The module's syntax tree, or why it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # upstream code's own warnings (invalid escapes) are not ours to report
            return ast.parse(source.read_bytes(), filename=str(source))
    except (OSError, SyntaxError, ValueError) as error:
        return error


@task_check(
    "entrypoints",
    codes=("entrypoint.import-path-missing", "entrypoint.package-missing", "entrypoint.module-missing",
           "entrypoint.syntax-error", "entrypoint.function-missing"),
    description="Every entry point's module exists (in its import_path or the installed package) and defines it.",
)  # fmt: skip
def check_entrypoints(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    if manifest is None:
        return
    for field_path, entrypoint, import_path in _entrypoints(manifest):
        module, _, function = entrypoint.partition(":")
        root = entrypoint_root(import_path, task.path)
        if root is not None and not root.is_dir():
            yield task.problem(
                "entrypoint.import-path-missing",
                f"import_path {root} is not a folder, so {entrypoint} cannot be imported; put the checkout back "
                "or import the task again from where it is now",
                (*field_path[:-1], "import_path"),
            )
            continue
        top, *parts = module.split(".")
        locations = context.remember(("top-level", top, root), partial(_top_level, top, root))
        if locations is None:
            yield task.problem(
                "entrypoint.package-missing",
                f"package `{top}` is not installed here, so {entrypoint} cannot be checked or run on this machine; "
                f"install `{top}` (or give the entry point an import_path) where the task runs",
                field_path,
                severity="warning",
            )
            continue
        source = _module_file(locations, parts)
        if source is None:
            where = root if root is not None else locations[0]
            yield task.problem(
                "entrypoint.module-missing", f"module {module} of {entrypoint} is not in {where}", field_path
            )
            continue
        if source.suffix != ".py":
            continue  # a compiled module: nothing to read
        tree = context.remember(("module-source", source), partial(_parsed, source))
        if not isinstance(tree, ast.Module):
            yield task.problem(
                "entrypoint.syntax-error", f"{source} (module of {entrypoint}) does not parse: {tree}", field_path
            )
            continue
        if not _binds(tree, function):
            yield task.problem(
                "entrypoint.function-missing",
                f"{source} defines no `{function}` (entry point {entrypoint})",
                field_path,
            )


def _installed(info: ProviderInfo) -> bool:
    return info.installed


@task_check(
    "dataset-providers",
    codes=("source.unknown-provider", "source.provider-not-installed"),
    description="Every `dataset: <provider>:<name>` source names a registered provider, installed here.",
)
def check_dataset_providers(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    if manifest is None:
        return
    known = providers()
    for index, source in enumerate(manifest.sources):
        if not isinstance(source, PackagedSource):
            continue
        field_path: FieldPath = ("sources", index, "dataset")
        try:
            provider, _ = parse_reference(source.dataset)
        except DatasetError as error:
            yield task.problem("source.unknown-provider", str(error), field_path)
            continue
        if provider not in known:
            yield task.problem(
                "source.unknown-provider",
                f"no dataset provider {provider!r}; the providers are: {', '.join(known)}",
                field_path,
            )
            continue
        info = provider_info(provider)
        if not context.remember(("provider-installed", provider), partial(_installed, info)):
            yield task.problem(
                "source.provider-not-installed",
                f"provider {provider!r} needs the package `{info.package}`, not installed here: pip install {info.pip}",
                field_path,
                severity="warning",
            )
