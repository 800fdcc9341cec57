"""Write runs as data files in long format: one row per (run, tag, step).

CSV columns are exactly ``run,tag,source_tag,step,epoch,wall_time,value``; an unknown epoch
or wall time is empty and a non-finite value is written ``nan``, ``inf`` or ``-inf``. JSON is
an array of objects with the same keys, where an unknown field is ``null`` and a non-finite
value is the string ``"nan"``, ``"inf"`` or ``"-inf"`` (JSON has no NaN). Parquet keeps NaN
and infinities as floats and unknown fields as nulls. TensorBoard event files are a directory
of runs, not a stream: `lossboard.views.export_tfevents`.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from lossboard.errors import UsageError
from lossboard.model import Run, Series

COLUMNS = ("run", "tag", "source_tag", "step", "epoch", "wall_time", "value")
EXPORT_FORMATS = ("csv", "json", "parquet")


def export(runs: Sequence[Run], out: IO[bytes], *, fmt: str) -> None:
    """Write ``runs`` to the binary stream ``out`` in ``fmt`` (csv, json or parquet)."""
    if fmt == "csv":
        write_csv(runs, out)
    elif fmt == "json":
        write_json(runs, out)
    elif fmt == "parquet":
        write_parquet(runs, out)
    elif fmt == "tfevents":
        raise UsageError("tfevents export writes a directory, not a stream: "
                         "use lossboard.views.export_tfevents.write_tfevents(runs, out_dir)")
    else:
        raise UsageError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")


_BLOCK = 1 << 16  # points formatted at a time: text for a block, never for a whole series


def _blocks(runs: Sequence[Run]) -> Iterator[tuple[Run, Series, slice]]:
    """Every series of every run, in `_BLOCK`-point slices."""
    for run in runs:
        for series in run.series.values():
            for start in range(0, len(series), _BLOCK):
                yield run, series, slice(start, start + _BLOCK)


def _texts(column: np.ndarray, non_finite: Callable[[float], bytes]) -> list[bytes] | bytes:
    """Each number's shortest round-trip text, formatted in C by orjson (ryu) for the whole
    block; ``non_finite(x)`` where it is NaN or infinite, which JSON (and so orjson) lacks.
    A column of NaN only (the wall time of most text logs) is the one text all its rows share.

    orjson writes ``0.00001`` where `repr` writes ``1e-05``: other digits of the same
    shortest round trip, so every value reads back bit for bit.
    """
    if len(column) and np.isnan(column).all():
        return non_finite(math.nan)
    texts = orjson.dumps(np.ascontiguousarray(column), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")
    for index in np.flatnonzero(~np.isfinite(column)).tolist():
        texts[index] = non_finite(float(column[index]))
    return texts


def _rows(pieces: list[bytes | list[bytes]], separator: bytes) -> bytes:
    """The rows of a block joined by ``separator``: each row the ``pieces`` in order, a `bytes`
    piece the same in every row and a list one text a row. Neighbouring shared pieces are
    merged first, so a row joins as few pieces as its varying columns need."""
    merged: list[bytes | list[bytes]] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        else:
            merged.append(piece)
    # the shared text at a row's ends goes into the separator: the rows join one piece fewer
    first = merged.pop(0) if isinstance(merged[0], bytes) else b""
    last = merged.pop() if isinstance(merged[-1], bytes) else b""
    columns = [repeat(piece) if isinstance(piece, bytes) else piece for piece in merged]
    return first + (last + separator + first).join(map(b"".join, zip(*columns))) + last


def _csv_float(x: float) -> bytes:
    """An unknown (NaN) epoch or wall time is empty; an infinite one is ``inf``."""
    return b"" if x != x else repr(x).encode()


def _repr(x: float) -> bytes:
    return repr(x).encode()


def write_csv(runs: Sequence[Run], out: IO[bytes]) -> None:
    """Rows formatted a block at a time: the run and tags once per series (quoted as CSV needs),
    the numbers by `_texts`, which never need quoting."""
    out.write((",".join(COLUMNS) + "\n").encode())
    prefixes: dict[tuple[str, str, str], bytes] = {}
    for run, series, part in _blocks(runs):
        key = (run.name, series.tag, series.source_tag)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _csv_fields(key).encode()
        pieces = [
            prefix + b",", _texts(series.step[part], _repr),
            b",", _texts(series.epoch[part], _csv_float),
            b",", _texts(series.wall_time[part], _csv_float),
            b",", _texts(series.value[part], _repr), b"\n",
        ]
        out.write(_rows(pieces, b""))


def _csv_fields(fields: tuple[str, ...]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(fields)  # quotes a field holding \r or \n
    return line.getvalue()[:-2]


def _json_null(x: float) -> bytes:
    return b"null"


def _json_string(x: float) -> bytes:
    """JSON has no NaN: a non-finite value is the string ``"nan"``, ``"inf"`` or ``"-inf"``."""
    return b'"%r"' % x


def write_json(runs: Sequence[Run], out: IO[bytes]) -> None:
    """An array of row objects, formatted a block at a time like the CSV."""
    out.write(b"[")
    separator = b""
    for run, series, part in _blocks(runs):
        head = b'{"run":%b,"tag":%b,"source_tag":%b,"step":' % (
            orjson.dumps(run.name), orjson.dumps(series.tag), orjson.dumps(series.source_tag))
        pieces = [
            head, _texts(series.step[part], _repr),
            b',"epoch":', _texts(series.epoch[part], _json_null),
            b',"wall_time":', _texts(series.wall_time[part], _json_null),
            b',"value":', _texts(series.value[part], _json_string), b"}",
        ]
        out.write(separator + _rows(pieces, b","))
        separator = b","
    out.write(b"]\n")


_ROW_GROUP = 1 << 20  # parquet rows written at a time: memory bounded whatever the runs hold


def write_parquet(runs: Sequence[Run], out: IO[bytes]) -> None:
    """Row groups of up to `_ROW_GROUP` rows, each written as soon as it is full."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise UsageError("parquet export needs pyarrow: pip install 'lossboard[parquet]'") from exc
    types = {"step": pa.int64(), "epoch": pa.float64(), "wall_time": pa.float64(), "value": pa.float64()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    with pq.ParquetWriter(out, schema) as writer:
        pending: list = []
        rows = 0
        for run in runs:
            for s in run.series.values():
                for start in range(0, len(s), _ROW_GROUP):
                    part = slice(start, start + _ROW_GROUP)
                    pending.append(_parquet_batch(pa, schema, run.name, s, part))
                    rows += pending[-1].num_rows
                    if rows >= _ROW_GROUP:
                        writer.write_table(pa.Table.from_batches(pending, schema))
                        pending, rows = [], 0
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema))


def _parquet_batch(pa, schema, run_name: str, s: Series, part: slice):
    """One slice of a series as a record batch; unknown epochs and wall times are nulls."""
    epoch, wall = s.epoch[part], s.wall_time[part]
    # one string repeated: taken from a one-element array in C, not a list of `count` strs
    repeat_first = pa.array(np.zeros(len(epoch), np.int32))
    return pa.record_batch(
        [
            pa.array([run_name], pa.string()).take(repeat_first),
            pa.array([s.tag], pa.string()).take(repeat_first),
            pa.array([s.source_tag], pa.string()).take(repeat_first),
            pa.array(s.step[part], pa.int64()),
            pa.array(epoch, pa.float64(), mask=np.isnan(epoch)),
            pa.array(wall, pa.float64(), mask=np.isnan(wall)),
            pa.array(s.value[part], pa.float64()),
        ],
        schema=schema,
    )


def open_output(path: str | None) -> IO[bytes]:
    """The file at ``path`` (parents created), or standard output for ``None`` or ``-``."""
    if path in (None, "-"):
        return sys.stdout.buffer
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return open(target, "wb")
