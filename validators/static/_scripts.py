"""Task scripts define the functions the runner calls, with the right parameters.

Checked by parsing, never by importing: a task's code does not run in the static layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from spec import LoadedTask, Problem
from spec._yaml import FieldPath

from .._registry import CheckContext, task_check
from ._paths import escape_reason

# Script kind → (field path of the reference, function name, parameter names).
_CONTRACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "prepare": ("prepare", ("raw", "public", "private")),
    "metric": ("score", ("submission", "answers")),
}


def _script_references(task: LoadedTask) -> Iterator[tuple[FieldPath, str, str, tuple[str, ...]]]:
    manifest = task.manifest
    if manifest is None:
        return
    for section in ("prepare", "metric"):
        script = getattr(getattr(manifest, section), "script", None)
        if isinstance(script, str):
            function, parameters = _CONTRACTS[section]
            yield (section, "script"), script, function, parameters


def _positional_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    return [argument.arg for argument in [*arguments.posonlyargs, *arguments.args]]


def _check_script(
    task: LoadedTask, field_path: FieldPath, path: Path, function_name: str, parameters: tuple[str, ...]
) -> Iterator[Problem]:
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as error:
        yield Problem(
            code="script.syntax-error", severity="error", file=str(path), line=error.lineno or None,
            column=error.offset or None, path=None, message=f"Python syntax error: {error.msg}",
        )  # fmt: skip
        return
    except (OSError, ValueError) as error:
        yield task.problem("script.unreadable", f"cannot read {path}: {error}", field_path)
        return
    definitions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function_name
    ]
    if not definitions:
        signature = f"def {function_name}({', '.join(parameters)})"
        yield task.problem(
            "script.missing-function",
            f"{path.name} must define `{signature}` at module level",
            field_path,
        )
        return
    function = definitions[-1]
    names = _positional_names(function)
    takes_varargs = function.args.vararg is not None
    if isinstance(function, ast.AsyncFunctionDef) or (
        names[: len(parameters)] != list(parameters) and not takes_varargs
    ):
        yield Problem(
            code="script.wrong-signature", severity="error", file=str(path), line=function.lineno,
            column=function.col_offset + 1, path=None,
            message=f"`{function_name}` must be a plain function taking ({', '.join(parameters)}); "
            f"it takes ({', '.join(names)})",
        )  # fmt: skip
        return
    required_extra = len(names) - len(parameters) - len(function.args.defaults)
    if required_extra > 0:
        yield Problem(
            code="script.wrong-signature", severity="error", file=str(path), line=function.lineno,
            column=function.col_offset + 1, path=None,
            message=f"`{function_name}` has required parameters beyond ({', '.join(parameters)}); give them defaults",
        )  # fmt: skip


@task_check(
    "scripts",
    codes=("script.syntax-error", "script.missing-function", "script.wrong-signature", "script.unreadable"),
    description="A prepare script defines prepare(raw, public, private); a metric script defines "
    "score(submission, answers).",
)
def check_scripts(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    for field_path, reference, function_name, parameters in _script_references(task):
        path = task.path.parent / reference
        # Missing or escaping paths are the paths check's problems; reading them here would only repeat it.
        if escape_reason(reference, task.task_dir, task.path.parent) is None and path.is_file():
            yield from _check_script(task, field_path, path, function_name, parameters)
