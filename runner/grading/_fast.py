"""The fast path: a well-formed submission for a metric with a vectorised formulation, graded without pandas.

Arrow's multithreaded CSV reader and a sort of the ids packed into integers check and align a million rows
in about a second, and `runner.metrics.vectorised_score` scores them with numpy alone. Anything this path
does not reproduce exactly (a malformed file, a missing id, an unusual column type) returns None, and the
reference path (pandas, the registered metric) grades the submission, giving the same messages as ever.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from runner.metrics import has_vectorised, vectorised_score
from spec import AnyTask, NamedMetric

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

# pandas' default missing-value strings and boolean spellings, so that both readers see the same cells.
_NA_STRINGS = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip
_TRUE = ["True", "TRUE", "true"]
_FALSE = ["False", "FALSE", "false"]


def _read(path: Path, id_column: str) -> pa.Table | None:
    import pyarrow as pa
    import pyarrow.csv as pv

    options = pv.ConvertOptions(
        column_types={id_column: pa.string()},
        null_values=_NA_STRINGS,
        true_values=_TRUE,
        false_values=_FALSE,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    try:
        table = pv.read_csv(path, convert_options=options)
    except (pa.ArrowException, OSError):
        return None
    names = [name.strip() for name in table.column_names]
    if len(set(names)) != len(names):
        return None
    return table.rename_columns(names)


_MAX_ID_BYTES = 64
IdBytes = tuple["NDArray[np.uint8]", "NDArray[np.int64]", "NDArray[np.int64]"]
"""(UTF-8 bytes of all ids, where each id starts, its width)."""


def _id_bytes(column: pa.ChunkedArray) -> IdBytes | None:
    """The ids as views of Arrow's buffers, no Python object per id. None for an empty id or one longer than
    64 bytes."""
    import pyarrow as pa

    ids = column.combine_chunks()
    offset_type = np.int64 if pa.types.is_large_string(ids.type) else np.int32
    offsets = np.frombuffer(ids.buffers()[1], dtype=offset_type, count=ids.offset + len(ids) + 1)[ids.offset :]
    widths = np.diff(offsets).astype(np.int64)
    if not len(widths) or int(widths.min()) == 0 or int(widths.max()) > _MAX_ID_BYTES:
        return None
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, (offsets[:-1] - offsets[0]).astype(np.int64), widths


def _byte_at(column: IdBytes, position: int) -> NDArray[np.uint8]:
    """Every id's byte at `position`, 0 past its end: zero padding keeps the ids' byte order (the order of
    Python's `sorted` on the text), as no id contains a NUL."""
    data, starts, widths = column
    values = data[np.minimum(starts + position, len(data) - 1)]
    values[widths <= position] = 0
    return values


def _packed(column: IdBytes, other: IdBytes) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Both id columns as (n, words) unsigned 64-bit keys that order and compare exactly as the ids do.

    Each byte position is re-coded by the rank of its byte among those the position holds in either
    column, in as few bits as that takes, and the codes are packed most significant first: a position every
    id shares costs nothing (`t3_`, the `_0` of `0001_01`), a digit four bits. Most Kaggle ids then fit one
    word, which numpy sorts as plain integers, many times faster than it sorts text.
    """
    width = max(int(column[2].max()), int(other[2].max()))
    words: list[list[NDArray[np.uint64]]] = [[], []]
    current = [np.zeros(len(column[2]), np.uint64), np.zeros(len(other[2]), np.uint64)]
    used = 0
    for position in range(width):
        values = (_byte_at(column, position), _byte_at(other, position))
        present = np.zeros(256, dtype=bool)
        for part in values:
            present[part] = True
        distinct = int(present.sum())
        if distinct == 1:
            continue
        bits = (distinct - 1).bit_length()
        if used + bits > 64:
            for side in (0, 1):
                words[side].append(current[side])
                current[side] = np.zeros_like(current[side])
            used = 0
        rank = (np.cumsum(present) - 1).astype(np.uint64)
        for side in (0, 1):
            current[side] = (current[side] << np.uint64(bits)) | rank[values[side]]
        used += bits
    for side in (0, 1):
        words[side].append(current[side])
    return np.column_stack(words[0]), np.column_stack(words[1])


def _as_text(keys: NDArray[np.uint64]) -> NDArray[np.bytes_]:
    """One fixed-width bytes value per id (the words big-endian), for fast vectorised equality and order tests."""
    big_endian = np.ascontiguousarray(keys.astype(">u8"))
    return big_endian.view(f"S{8 * keys.shape[1]}").ravel()


def _sort_order(keys: NDArray[np.uint64]) -> NDArray[np.intp]:
    """Positions that sort the ids (first word most significant)."""
    if keys.shape[1] == 1:
        return np.argsort(keys[:, 0], kind="stable")
    return np.lexsort([keys[:, i] for i in reversed(range(keys.shape[1]))])


def _increasing(text: NDArray[np.bytes_]) -> bool:
    return bool((text[1:] > text[:-1]).all())


def _alignment(ids: pa.ChunkedArray, wanted: pa.ChunkedArray) -> pa.Array | bool | None:
    """Submission row for each answer row: True when they are already in the same order, None when the ids
    are not the answers' ids once each (or too long: the reference path handles those).

    Sort-based rather than hash-based: Arrow's string hash table degrades badly on Kaggle's short
    structured ids (`0001_01`), and sorting also tells whether each id occurs once.
    """
    import pyarrow as pa

    raw, wanted_raw = _id_bytes(ids), _id_bytes(wanted)
    if raw is None or wanted_raw is None:
        return None
    keys, wanted_keys = _packed(raw, wanted_raw)
    text, wanted_text = _as_text(keys), _as_text(wanted_keys)
    if _increasing(wanted_text):
        if bool((text == wanted_text).all()):
            return True
        wanted_by_id: NDArray[np.intp] | None = None
        wanted_sorted = wanted_text
    else:
        wanted_by_id = _sort_order(wanted_keys)
        wanted_sorted = wanted_text[wanted_by_id]
    by_id = _sort_order(keys)
    ranked = text[by_id]
    if not bool((ranked == wanted_sorted).all()) or not _increasing(ranked):
        return None
    positions = np.empty(len(text), dtype=np.int64)
    if wanted_by_id is None:
        positions[:] = by_id
    else:
        positions[wanted_by_id] = by_id
    # From the buffer: pa.array(ndarray) imports pandas, whose import costs more than the whole grade.
    return pa.Array.from_buffers(pa.int64(), len(positions), [None, pa.py_buffer(positions)])


def _is_text(column: pa.ChunkedArray) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def fast_score(task: AnyTask, submission: Path, answers_path: Path) -> float | None:
    """The submission's score when it is well formed and the metric has a vectorised formulation; else None."""
    metric, spec = task.metric, task.submission
    if not isinstance(metric, NamedMetric) or spec is None or metric.params or not has_vectorised(metric.name):
        return None
    answers = _read(answers_path, spec.id_column)
    if answers is None or spec.id_column not in answers.column_names:
        return None
    frame = _read(submission, spec.id_column)
    if frame is None or sorted(frame.column_names) != sorted([spec.id_column, *spec.columns]):
        return None
    ids, wanted = frame.column(spec.id_column), answers.column(spec.id_column)
    if len(ids) != len(wanted) or ids.null_count or wanted.null_count or not (_is_text(ids) and _is_text(wanted)):
        return None  # a header cell with spaces around the id column's name escapes the forced text type
    alignment = _alignment(ids, wanted)
    if alignment is None:
        return None
    predictions = [frame.column(column) for column in spec.columns]
    if alignment is not True:
        predictions = [column.take(alignment) for column in predictions]
    if any(column.null_count for column in predictions):
        return None
    truth = [answers.column(column) for column in answers.column_names if column != spec.id_column]
    return vectorised_score(metric.name, truth, predictions, dict(metric.params))
