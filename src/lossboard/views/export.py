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


def _texts(column: np.ndarray, non_finite: Callable[[float], str]) -> list[str]:
    """Each number's shortest round-trip text, formatted in C by orjson (ryu) for the whole
    block; ``non_finite(x)`` where it is NaN or infinite, which JSON (and so orjson) lacks.

    orjson writes ``0.00001`` where `repr` writes ``1e-05``: other digits of the same
    shortest round trip, so every value reads back bit for bit.
    """
    if not len(column):
        return []
    if np.isnan(column).all():  # an unknown column: the wall time of most text logs
        return [non_finite(math.nan)] * len(column)
    texts = orjson.dumps(np.ascontiguousarray(column), option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode().split(",")
    for index in np.flatnonzero(~np.isfinite(column)).tolist():
        texts[index] = non_finite(float(column[index]))
    return texts


def _csv_float(x: float) -> str:
    """An unknown (NaN) epoch or wall time is empty; an infinite one is ``inf``."""
    return "" if x != x else repr(x)


def write_csv(runs: Sequence[Run], out: IO[bytes]) -> None:
    """Rows formatted a block at a time: the run and tags once per series (quoted as CSV needs),
    the numbers by `_texts`, which never need quoting."""
    out.write((",".join(COLUMNS) + "\n").encode())
    prefixes: dict[tuple[str, str, str], str] = {}
    for run, series, part in _blocks(runs):
        key = (run.name, series.tag, series.source_tag)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _csv_fields(key)
        columns = (
            _texts(series.step[part], str),
            _texts(series.epoch[part], _csv_float),
            _texts(series.wall_time[part], _csv_float),
            _texts(series.value[part], repr),
        )
        rows = map(",".join, zip(repeat(prefix), *columns))
        out.write(("\n".join(rows) + "\n").encode())


def _csv_fields(fields: tuple[str, ...]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(fields)  # quotes a field holding \r or \n
    return line.getvalue()[:-2]


def _json_null(x: float) -> str:
    return "null"


def _json_string(x: float) -> str:
    """JSON has no NaN: a non-finite value is the string ``"nan"``, ``"inf"`` or ``"-inf"``."""
    return f'"{x!r}"'


def write_json(runs: Sequence[Run], out: IO[bytes]) -> None:
    """An array of row objects, formatted a block at a time like the CSV."""
    out.write(b"[")
    first = True
    for run, series, part in _blocks(runs):
        head = b'{"run":%b,"tag":%b,"source_tag":%b,"step":' % (
            orjson.dumps(run.name), orjson.dumps(series.tag), orjson.dumps(series.source_tag))
        pieces = (
            repeat(head.decode()), _texts(series.step[part], str),
            repeat(',"epoch":'), _texts(series.epoch[part], _json_null),
            repeat(',"wall_time":'), _texts(series.wall_time[part], _json_null),
            repeat(',"value":'), _texts(series.value[part], _json_string), repeat("}"),
        )
        body = ",".join(map("".join, zip(*pieces)))
        out.write((body if first else "," + body).encode())
        first = False
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
