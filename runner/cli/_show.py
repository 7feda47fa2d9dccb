"""`runner show TRIAL`: one trial in the terminal: result, timings, usage, events, the agent log's tail, the tree."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.text import Text

from ._app import app, stdout, usage_error
from ._results import ListFormat

if TYPE_CHECKING:
    from rich.tree import Tree

    from runner.viewer import Excerpt, TreeNode, TrialView

_CAP_STYLE = "bold black on yellow"


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} s"


def _field(name: str, value: str, style: str = "") -> None:
    line = Text(f"{name:<10}", style="bold")
    line.append(value, style=style)
    stdout.print(line, soft_wrap=True)


def _excerpt_lines(excerpt: Excerpt, lines: int) -> Text:
    """The last `lines` lines of an excerpt, the sandbox's output-cap notes highlighted."""
    text = Text()
    for piece, is_cap in excerpt.segments():
        text.append(piece, style=_CAP_STYLE if is_cap else "")
    kept = list(text.split("\n", allow_blank=True))
    if kept and not kept[-1].plain:
        kept = kept[:-1]
    shown = kept[-lines:] if lines > 0 else []
    result = Text()
    hidden = len(kept) - len(shown)
    if hidden or excerpt.cut_before:
        cut = [f"{hidden} earlier line(s)"] if hidden else []
        cut += [f"{excerpt.cut_before} earlier bytes"] if excerpt.cut_before else []
        earlier = " and ".join(cut)
        result.append(f"[… {earlier} not shown]\n", style="dim")
    result.append(Text("\n").join(shown))
    return result


def _tree(view: TrialView) -> Tree:
    from rich.tree import Tree

    root = Tree(Text(f"solution tree: {len(view.tree)} node(s)" + (f", submitted {view.best}" if view.best else "")))

    def label(node: TreeNode) -> Text:
        record = node.record
        text = Text(f"{node.id} {record.get('kind', '?')} ", style="bold" if node.id == view.best else "")
        if node.score is not None and not record.get("buggy"):
            text.append(f"score {node.score:g}", style="green")
        else:
            text.append(f"failed ({record.get('error') or 'no score'})", style="red")
        text.append(f"  {record.get('input_tokens', 0)}/{record.get('output_tokens', 0)} tokens", style="dim")
        return text

    def add(parent: Tree, node: TreeNode) -> None:
        branch = parent.add(label(node))
        for child in node.children:
            add(branch, child)

    for node in view.tree:
        if node.parent is None or node.parent not in {other.id for other in view.tree}:
            add(root, node)
    return root


def _print_node(node: TreeNode) -> None:
    for title, excerpt in (
        ("prompt", node.prompt),
        ("reply", node.reply),
        ("code", node.code),
        ("output", node.output),
    ):
        stdout.rule(Text(f"{node.id} {title}"))
        if excerpt is None:
            stdout.print(Text("(none)", style="dim"))
        else:
            stdout.print(_excerpt_lines(excerpt, 10_000), soft_wrap=True)


def _print_view(view: TrialView, lines: int) -> None:
    result, summary = view.trial.result, view.summary
    stdout.print(Text(result.trial_id, style="bold"), soft_wrap=True)
    ok = result.status == "ok"
    _field("status", result.status, "green" if ok else "red")
    if result.reason:
        _field("reason", result.reason)
    graded = "not graded" if result.score is None else f"score {result.score:g}"
    extras = [f"medal {result.medal}"] if result.medal else []
    if result.normalized_score is not None:
        extras.append(f"normalized {result.normalized_score:.3f}")
    if result.percentile is not None:
        extras.append(f"beats {result.percentile:.0%} of the leaderboard")
    _field("result", graded + (f" ({', '.join(extras)})" if extras else ""))
    _field(
        "agent", f"{result.agent} (label {result.agent_label})" + (f", model {result.model}" if result.model else "")
    )
    _field(
        "time",
        f"started {result.started_at:%Y-%m-%d %H:%M:%S} UTC, {result.duration_s:.1f} s, "
        f"{result.attempts} attempt(s), backend {result.backend}",
    )
    usage = result.usage
    cost = "unknown cost" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    _field("usage", f"{usage.calls} model call(s), {usage.input_tokens} in / {usage.output_tokens} out tokens, {cost}")
    if summary.counts:
        _field(
            "events",
            f"{summary.commands} command(s) ({summary.failed_commands} failed, {summary.command_s:.1f} s), "
            f"{summary.model_calls} model call(s), sandbox start {_seconds(summary.sandbox_startup_s)}, "
            f"grading {'none' if summary.grading_s is None else _seconds(summary.grading_s)}"
            + (f"; {summary.bad_lines} unreadable line(s)" if summary.bad_lines else ""),
        )
    else:
        _field("events", "no event log (a trial recorded before event logs were written)", "dim")
    _field("folder", str(view.trial.folder))
    if view.tree:
        stdout.print()
        stdout.print(_tree(view))
    stdout.print()
    if view.log is None:
        stdout.print(Text("no agent log", style="dim"))
    else:
        stdout.rule(Text(f"agent.log ({view.log.size} bytes; the sandbox's output cap is highlighted)"))
        for note in view.earlier_caps:
            stdout.print(Text.assemble("earlier in the log: ", (note, _CAP_STYLE)), soft_wrap=True)
        stdout.print(_excerpt_lines(view.log, lines), soft_wrap=True)


@app.command("show")
def show(
    trial: Annotated[
        str,
        typer.Argument(
            help="A trial folder, or a trial id (`task@digest/label/seed-N`, the digest optional) with --runs-dir."
        ),
    ],
    runs_dir: Annotated[Path | None, typer.Option(help="Runs folder to look the trial id up in.")] = Path("runs"),
    lines: Annotated[int, typer.Option(help="Lines of the agent log's tail to print.", min=0)] = 40,
    node: Annotated[
        str | None, typer.Option(help="Print this node of the llm agent's tree in full (prompt, reply, code, output).")
    ] = None,
    output: Annotated[
        ListFormat, typer.Option("--format", help="text, or json (the result, the event summary and the tree).")
    ] = ListFormat.text,
) -> None:
    """Show one trial: result, status and reason, timings, usage and cost, its event log in figures, the llm
    agent's solution tree and the agent log's tail."""
    from runner.viewer import TrialNotFound, find_trial, load_trial, row

    try:
        found = find_trial(trial, runs_dir)
    except TrialNotFound as error:
        raise usage_error(escape(str(error))) from None
    view = load_trial(found)
    if output is ListFormat.csv:
        raise usage_error("--format csv: `runner show` prints text or json; `runner results --format csv` lists")
    if output is ListFormat.json:
        document = {
            **row(found),
            "events": asdict(view.summary),
            "tree": [node_.record for node_ in view.tree],
            "best_node": view.best,
        }
        print(json.dumps(document, indent=2, default=str))
        return
    if node is not None:
        chosen = next((candidate for candidate in view.tree if candidate.id == node), None)
        if chosen is None:
            known = ", ".join(candidate.id for candidate in view.tree) or "none: not an llm-agent trial"
            raise usage_error(f"--node {escape(node)!r}: no such node; the tree has {escape(known)}")
        _print_node(chosen)
        return
    _print_view(view, lines)
