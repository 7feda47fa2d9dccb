"""Raw sources into a folder of files: `raw/<source name>.<ext>`, every checksum verified."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from pathlib import Path, PurePosixPath

from spec import AnyTask, FileSource, KaggleSource, PackagedSource, Source, UrlSource

from ._errors import PreparationError

DOWNLOAD_TIMEOUT_S = 60


def raw_file_name(source: Source) -> str:
    """The file a source becomes inside raw/: packaged tables are CSV, files keep their suffix."""
    if isinstance(source, PackagedSource):
        return f"{source.name}.csv"
    if isinstance(source, UrlSource):
        suffix = "".join(PurePosixPath(source.url.split("?", 1)[0]).suffixes[-2:])
        return f"{source.name}{suffix}"
    if isinstance(source, FileSource):
        return f"{source.name}{''.join(PurePosixPath(source.file).suffixes[-2:])}"
    return source.name


def _verify(data: bytes, expected: str | None, what: str, field: tuple[str | int, ...], hint: str = "") -> None:
    if expected is None:
        return
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise PreparationError(
            f"{what} has changed since the manifest pinned it: sha256 is {actual} but the manifest pins "
            f"{expected}; {hint + '; ' if hint else ''}if the change is intended, "
            f"update the sha256 and bump the task version",
            field,
        )


def _packaged(source: PackagedSource, field: tuple[str | int, ...]) -> bytes:
    from runner.datasets import DatasetError, dataset_csv_bytes, dataset_drift_hint

    try:
        data = dataset_csv_bytes(source.dataset)
    except DatasetError as error:
        raise PreparationError(f"source {source.name!r}: {error}", (*field, "dataset")) from None
    what = f"source {source.name!r} ({source.dataset})"
    _verify(data, source.sha256, what, (*field, "sha256"), dataset_drift_hint(source.dataset) if source.sha256 else "")
    return data


def _download(source: UrlSource, field: tuple[str | int, ...]) -> bytes:
    try:
        with urllib.request.urlopen(source.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data: bytes = response.read()
    except (OSError, ValueError) as error:
        raise PreparationError(
            f"source {source.name!r}: cannot download {source.url}: {error}; without network, put the file in the "
            f"task folder and use `file:` with the same sha256",
            (*field, "url"),
        ) from None
    _verify(data, source.sha256, f"source {source.name!r} ({source.url})", (*field, "sha256"))
    return data


def _kaggle(
    source: KaggleSource,
    field: tuple[str | int, ...],
    raw: Path,
    files: Path | None,
    downloads: Path | None,
    zip_md5: str | None,
) -> None:
    """Fill raw/ with what Kaggle serves for the competition: the given files, a kept zip, or a fresh download."""
    from ._kaggle import download_competition, extract_zip, link_tree

    origin = files
    if origin is None:
        if downloads is None:
            raise PreparationError(
                f"source {source.name!r} is Kaggle competition {source.kaggle!r} and no files were given: run "
                f"`runner prepare <task> --raw PATH` with the files Kaggle serves, or with network and Kaggle "
                f"credentials `runner prepare <task>` downloads them",
                (*field, "kaggle"),
            )
        origin = downloads / source.kaggle / f"{source.kaggle}.zip"
        if not origin.is_file():
            origin = download_competition(source.kaggle, origin.parent)
    if origin.is_dir():
        link_tree(origin, raw)
        return
    if not origin.is_file():
        raise PreparationError(f"source {source.name!r}: no such file or folder: {origin}", (*field, "kaggle"))
    if zip_md5 is not None:
        from ._mlebench import md5

        actual = md5(origin)
        if actual != zip_md5:
            raise PreparationError(
                f"source {source.name!r}: {origin} has MD5 {actual} but MLE-bench's checksums.yaml pins {zip_md5}: "
                f"the competition's data changed on Kaggle or the file is damaged; "
                + ("give Kaggle's file" if files is not None else f"delete {origin} to download it again"),
                (*field, "kaggle"),
            )
    extract_zip(origin, raw)


def materialize_sources(
    task: AnyTask,
    manifest_path: Path,
    raw: Path,
    *,
    kaggle_files: Path | None = None,
    kaggle_downloads: Path | None = None,
    kaggle_zip_md5: str | None = None,
) -> dict[str, Path]:
    """Write every source of `task` into `raw/`; returns source name → file.

    A Kaggle source's files land in raw/ itself, as the competition's own preparer expects them: from
    `kaggle_files` (a folder of the files or the zip Kaggle serves) when given, else from the zip kept in
    `kaggle_downloads/<slug>/`, downloaded there first when missing; a zip is checked against `kaggle_zip_md5`.
    """
    raw.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for index, source in enumerate(task.sources):
        field: tuple[str | int, ...] = ("sources", index)
        target = raw / raw_file_name(source)
        if isinstance(source, KaggleSource):
            _kaggle(source, field, raw, kaggle_files, kaggle_downloads, kaggle_zip_md5)
            written[source.name] = raw
            continue
        if isinstance(source, PackagedSource):
            target.write_bytes(_packaged(source, field))
        elif isinstance(source, UrlSource):
            target.write_bytes(_download(source, field))
        else:
            origin = manifest_path.parent / source.file
            try:
                data = origin.read_bytes()
            except OSError as error:
                raise PreparationError(
                    f"source {source.name!r}: cannot read {origin}: {error}", (*field, "file")
                ) from None
            _verify(data, source.sha256, f"source {source.name!r} ({source.file})", (*field, "sha256"))
            shutil.copyfile(origin, target)
        written[source.name] = target
    return written
