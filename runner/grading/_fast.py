"""The fast path: a well-formed submission for a metric with a vectorised formulation, graded without pandas.

Arrow's multithreaded CSV reader and a sort of the ids packed into integers check and align a million rows
in a few tenths of a second, and `runner.metrics.vectorised_score` scores them with numpy alone. Anything
this path does not reproduce exactly (a malformed file, a missing id, an unusual column type) returns None,
and the reference path (pandas, the registered metric) grades the submission, giving the same messages as
ever.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def _memory_pool() -> pa.MemoryPool:
    """jemalloc where this pyarrow has it: reading a million-row file through Arrow's default allocator
    (mimalloc) cost a third of a second of system time on the development machine, jemalloc a fifteenth."""
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


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
        table = pv.read_csv(path, convert_options=options, memory_pool=_memory_pool())
    except (pa.ArrowException, OSError):
        return None
    names = [name.strip() for name in table.column_names]
    if len(set(names)) != len(names):
        return None
    return table.rename_columns(names)


_MAX_ID_BYTES = 64

# Word masks keeping an id's first k bytes (k = 0..8) of a big-endian 64-bit word: the rest is past its end.
_KEEP = np.array([0] + [((1 << (8 * k)) - 1) << (8 * (8 - k)) for k in range(1, 9)], dtype=np.uint64)


def _unaligned(buffer: NDArray[np.uint8], count: int, offset: int, stride: int) -> NDArray[np.uint64]:
    """`count` 64-bit words read from `buffer`, the first at byte `offset`, then every `stride` bytes."""
    return np.ndarray((count,), np.uint64, buffer=buffer, offset=offset, strides=(stride,))


class _Chunk:
    """One Arrow chunk of ids, read in place from its buffers: no Python object per id, and no copy of the
    text (concatenating the chunks' text costs more than reading it)."""

    def __init__(self, array: pa.Array) -> None:
        import pyarrow as pa

        offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
        rows = array.offset + len(array) + 1
        offsets = np.frombuffer(array.buffers()[1], dtype=offset_type, count=rows)[array.offset :]
        self.widths = np.diff(offsets)
        self.data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        self.count, self.width = len(self.widths), int(self.widths[0])
        self.uniform = bool((self.widths == self.width).all())
        self.starts = None if self.uniform else (offsets[:-1] - offsets[0]).astype(np.int64)

    def block(self, skip: int, out: NDArray[np.uint64]) -> None:
        """Bytes skip..skip+7 of every id, as `_Ids.block` says, into `out`."""
        if self.uniform:
            if skip >= self.width:
                out[:] = 0
                return
            # The ids whose eight bytes lie within the text are read in place; the last few, from a padded copy.
            inside = min(self.count, max(0, (len(self.data) - skip - 8) // self.width + 1))
            if inside:
                out[:inside] = _unaligned(self.data, inside, skip, self.width)
            if inside < self.count:
                tail = np.zeros((self.count - inside) * self.width + 8, np.uint8)
                tail[: len(tail) - 8] = self.data[inside * self.width :]
                out[inside:] = _unaligned(tail, self.count - inside, skip, self.width)
        else:
            assert self.starts is not None
            where = self.starts + skip
            inside = int(np.searchsorted(where, len(self.data) - 8, side="right"))
            if inside:
                out[:inside] = _unaligned(self.data, len(self.data) - 7, 0, 1)[where[:inside]]
            if inside < self.count:
                begin = int(self.starts[inside])
                tail = np.zeros(len(self.data) - begin + 8, np.uint8)
                tail[: len(tail) - 8] = self.data[begin:]
                where = np.minimum(where[inside:] - begin, len(tail) - 8)  # ids shorter than skip: masked below
                out[inside:] = _unaligned(tail, len(tail) - 7, 0, 1)[where]
        if np.little_endian:
            out.byteswap(inplace=True)
        if self.uniform:
            out &= _KEEP[min(self.width - skip, 8)]
        else:
            out &= _KEEP[np.clip(self.widths - skip, 0, 8)]


class _Ids:
    """An id column as 64-bit words of its UTF-8 text."""

    def __init__(self, chunks: list[_Chunk]) -> None:
        self.chunks = chunks
        self.count = sum(chunk.count for chunk in chunks)
        self.width = max(int(chunk.widths.max()) for chunk in chunks)

    def block(self, block: int, words: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """Bytes 8b..8b+7 of every id as one big-endian integer per id, zero past the id's end, into `words`:
        zero padding keeps the ids' byte order (the order of Python's `sorted` on the text), as no id contains
        a NUL. Through unaligned 64-bit views of the text, nothing per byte: ids of one width (the usual
        case), one strided copy; others, one gather."""
        start = 0
        for chunk in self.chunks:
            chunk.block(8 * block, words[start : start + chunk.count])
            start += chunk.count
        return words


def _id_bytes(column: pa.ChunkedArray) -> _Ids | None:
    """The ids' text in place. None for an empty id, one longer than 64 bytes or one holding a NUL byte
    (which the zero padding of `_Ids.block` would confuse with its end)."""
    chunks = [_Chunk(array) for array in column.chunks if len(array)]
    for chunk in chunks:
        if int(chunk.widths.min()) == 0 or int(chunk.widths.max()) > _MAX_ID_BYTES or not bool(chunk.data.all()):
            return None
    return _Ids(chunks) if chunks else None


def _packed(column: _Ids, other: _Ids) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Both id columns as (n, words) unsigned 64-bit keys that order and compare exactly as the ids do.

    Only the bits that differ between ids are kept: of each byte position, the bits from its highest
    varying bit down (above that, every id in either column has the same bits there), packed most
    significant first. A position every id shares costs nothing (`t3_`, the `_0` of `0001_01`), a digit
    four bits, so most Kaggle ids fit one word, which numpy sorts as plain integers, many times faster
    than it sorts text.
    """
    sides = (column, other)
    blocks = (max(column.width, other.width) + 7) // 8
    keys: tuple[list[NDArray[np.uint64]], list[NDArray[np.uint64]]] = ([], [])
    # One buffer of each kind per side, reused block after block: fresh memory costs a page fault per page.
    current = [np.zeros(side.count, np.uint64) for side in sides]
    scratch = [np.empty(side.count, np.uint64) for side in sides]
    buffers = [np.empty(side.count, np.uint64) for side in sides]
    used = 0
    for block in range(blocks):
        words = (sides[0].block(block, buffers[0]), sides[1].block(block, buffers[1]))
        first = words[0][0]
        varying = 0
        for word, changes in zip(words, scratch, strict=True):
            varying |= int(np.bitwise_or.reduce(np.bitwise_xor(word, first, out=changes)))
        for byte in range(8):
            shift = 8 * (7 - byte)
            bits = ((varying >> shift) & 0xFF).bit_length()
            if not bits:
                continue
            if used + bits > 64:
                for side in (0, 1):
                    keys[side].append(current[side])
                    current[side] = np.zeros_like(current[side])
                used = 0
            for side in (0, 1):
                field = np.right_shift(words[side], np.uint64(shift), out=scratch[side])
                field &= np.uint64((1 << bits) - 1)
                current[side] <<= np.uint64(bits)
                current[side] |= field
            used += bits
    for side in (0, 1):
        keys[side].append(current[side])
    if len(keys[0]) == 1:
        return current[0].reshape(-1, 1), current[1].reshape(-1, 1)
    return np.column_stack(keys[0]), np.column_stack(keys[1])


def _as_text(keys: NDArray[np.uint64]) -> NDArray[Any]:
    """One value per id that compares as the id does, for fast vectorised equality and order tests: the key
    itself when it is one word, else the words big-endian as one fixed-width bytes value."""
    if keys.shape[1] == 1:
        return keys[:, 0]
    big_endian = np.ascontiguousarray(keys.astype(">u8"))
    return big_endian.view(f"S{8 * keys.shape[1]}").ravel()


def _sort_order(keys: NDArray[np.uint64]) -> NDArray[np.intp]:
    """Positions that sort the ids (first word most significant)."""
    if keys.shape[1] == 1:  # not stable: equal ids make the alignment fail whatever their order
        return np.argsort(keys[:, 0], kind="quicksort")
    return np.lexsort([keys[:, i] for i in reversed(range(keys.shape[1]))])


def _increasing(text: NDArray[Any]) -> bool:
    return bool((text[1:] > text[:-1]).all())


def _alignment(ids: pa.ChunkedArray, wanted: pa.ChunkedArray) -> NDArray[np.int64] | bool | None:
    """Submission row for each answer row: True when they are already in the same order, None when the ids
    are not the answers' ids once each (or too long: the reference path handles those).

    Sort-based rather than hash-based: Arrow's string hash table degrades badly on Kaggle's short
    structured ids (`0001_01`), and sorting also tells whether each id occurs once.
    """
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
    return positions


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
    if any(column.null_count for column in predictions):
        return None
    truth = [answers.column(column) for column in answers.column_names if column != spec.id_column]
    order = None if isinstance(alignment, bool) else alignment
    return vectorised_score(metric.name, truth, predictions, dict(metric.params), order=order)
