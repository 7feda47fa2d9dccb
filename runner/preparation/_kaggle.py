"""A Kaggle competition's data: downloaded with the `kaggle` package, or the files the user already has.

The download goes through the official client, so its own settings apply (credentials in `~/.kaggle/kaggle.json` or
`KAGGLE_USERNAME`/`KAGGLE_KEY`, `KAGGLE_API_TOKEN`, proxies through `HTTPS_PROXY`). Every failure becomes one
sentence that says what to do; the rules error, which only a person can clear, names the page where they clear it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import zipfile
from pathlib import Path

from ._errors import PreparationError

KAGGLE_EXTRA = "pip install 'benchsmith[kaggle]'"
_RULES_HINT = "You must accept this competition"


def rules_url(slug: str) -> str:
    """The page where a signed-in Kaggle user accepts a competition's rules."""
    return f"https://www.kaggle.com/competitions/{slug}/rules"


def _offline_hint(slug: str) -> str:
    return (
        f"or put the files Kaggle serves for {slug} (its zip, or the folder it unzips to) somewhere and run "
        f"`runner prepare <task> --raw PATH`"
    )


def _status(error: BaseException) -> int | None:
    """The HTTP status of a client error: `requests` errors carry a response, the older client's an attribute."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) if response is not None else getattr(error, "status", None)
    return status if isinstance(status, int) else None


def _explain(error: BaseException, slug: str) -> str:
    text = " ".join(str(error).split())
    status = _status(error)
    body = getattr(getattr(error, "response", None), "text", "") or getattr(error, "body", "") or ""
    if _RULES_HINT in text or _RULES_HINT in str(body):
        return (
            f"Kaggle refuses the data of {slug!r} until you accept the competition's rules: open {rules_url(slug)}, "
            f"sign in with the account whose API credentials you use, click 'I Understand and Accept', then run again"
        )
    if status == 401:
        return (
            f"Kaggle rejected the API credentials (HTTP 401): make a new token at https://www.kaggle.com/settings "
            f"and put it in ~/.kaggle/kaggle.json (or KAGGLE_USERNAME and KAGGLE_KEY), {_offline_hint(slug)}"
        )
    if status == 403:
        return f"Kaggle refused the download of {slug!r} (HTTP 403: {text[:200]}); check {rules_url(slug)}"
    if status == 404:
        return f"Kaggle has no competition {slug!r} (HTTP 404); check the task's `kaggle:` slug"
    if status is not None:
        return f"Kaggle answered HTTP {status} for {slug!r}: {text[:200]}"
    return f"cannot reach Kaggle to download {slug!r} ({type(error).__name__}: {text[:200]}); {_offline_hint(slug)}"


def download_competition(slug: str, folder: Path) -> Path:
    """Download competition `slug`'s files (one zip) into `folder` with the `kaggle` package; returns the zip."""
    captured = io.StringIO()
    try:
        # The client prints its own help and calls exit() when it has no credentials, even on import.
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
    except ImportError as error:
        if (error.name or "").partition(".")[0] in ("kaggle", "kagglesdk"):
            raise PreparationError(
                f"downloading {slug!r} from Kaggle needs the kaggle package: `{KAGGLE_EXTRA}`; {_offline_hint(slug)}"
            ) from None
        raise PreparationError(
            f"the kaggle package is installed but does not import ({error}): `{KAGGLE_EXTRA}` installs what it "
            f"needs; {_offline_hint(slug)}"
        ) from None
    except (Exception, SystemExit):
        raise PreparationError(
            f"no Kaggle API credentials to download {slug!r}: put your token in ~/.kaggle/kaggle.json (or set "
            f"KAGGLE_USERNAME and KAGGLE_KEY; https://www.kaggle.com/settings makes one), {_offline_hint(slug)}"
        ) from None
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        with contextlib.redirect_stdout(captured):
            api.competition_download_files(slug, path=str(partial), quiet=True)
    except (Exception, SystemExit) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise PreparationError(_explain(error, slug)) from None
    archives = sorted(partial.glob("*.zip"))
    if len(archives) != 1:
        found = ", ".join(path.name for path in partial.iterdir()) or "nothing"
        shutil.rmtree(partial, ignore_errors=True)
        raise PreparationError(f"Kaggle's download of {slug!r} gave {found}, not one zip file")
    target = folder / f"{slug}.zip"
    archives[0].replace(target)
    shutil.rmtree(partial, ignore_errors=True)
    return target


def extract_zip(archive: Path, into: Path) -> None:
    """Unpack a zip as Kaggle serves it; `extractall` keeps every member inside `into`."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(into)
    except (zipfile.BadZipFile, OSError) as error:
        raise PreparationError(f"cannot unpack {archive}: {error}") from None


def link_tree(origin: Path, into: Path) -> None:
    """Make `into` hold `origin`'s files without copying their bytes where the file system allows (hard links)."""

    def link_or_copy(source: str, destination: str) -> None:
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)

    try:
        shutil.copytree(origin, into, copy_function=link_or_copy, dirs_exist_ok=True)
    except (OSError, shutil.Error) as error:
        raise PreparationError(f"cannot take the raw files from {origin}: {error}") from None


def raw_for(slug: str, names: tuple[str, ...], given: Path, only_task: bool) -> Path:
    """Where in `--raw PATH` one competition's files are.

    `PATH/<name>/raw/` (an MLE-bench data folder), `PATH/<name>/` or `PATH/<name>.zip` for any of the competition's
    names (Kaggle slug, MLE-bench id, task id), so that one folder serves several tasks; else, for a single task,
    `PATH` itself (the folder Kaggle's zip unpacks to, or the zip).
    """
    if given.is_dir():
        for name in dict.fromkeys((slug, *names)):
            for candidate in (given / name / "raw", given / name, given / f"{name}.zip"):
                if candidate.is_dir() or candidate.is_file():
                    return candidate
    if only_task and given.exists():
        return given
    if not given.exists():
        raise PreparationError(f"--raw {given}: no such file or folder")
    raise PreparationError(
        f"--raw {given} holds no {slug}/ folder or {slug}.zip; with several tasks, put each competition's files "
        f"in a folder named after it"
    )
