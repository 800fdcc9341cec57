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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from lossboard.errors import UsageError
from lossboard.model import Run

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


def _rows(runs: Sequence[Run]) -> Iterator[tuple[str, str, str, list, list, list, list]]:
    for run in runs:
        for s in run.series.values():
            yield run.name, s.tag, s.source_tag, s.step.tolist(), s.epoch.tolist(), s.wall_time.tolist(), s.value.tolist()


def _text(value: float) -> str:
    """A float as CSV text: shortest round-trip repr, empty when unknown (NaN)."""
    return "" if value != value else repr(value)


def write_csv(runs: Sequence[Run], out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for name, tag, source_tag, steps, epochs, walls, values in _rows(runs):
        writer.writerows(
            (name, tag, source_tag, step, _text(epoch), _text(wall), repr(value))
            for step, epoch, wall, value in zip(steps, epochs, walls, values)
        )
    text.flush()
    text.detach()


def _json_value(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def write_json(runs: Sequence[Run], out: IO[bytes]) -> None:
    import orjson

    out.write(b"[")
    first = True
    for name, tag, source_tag, steps, epochs, walls, values in _rows(runs):
        rows = [
            {
                "run": name,
                "tag": tag,
                "source_tag": source_tag,
                "step": step,
                "epoch": None if epoch != epoch else epoch,
                "wall_time": None if wall != wall else wall,
                "value": _json_value(value),
            }
            for step, epoch, wall, value in zip(steps, epochs, walls, values)
        ]
        if not rows:
            continue
        body = orjson.dumps(rows)[1:-1]
        out.write(body if first else b"," + body)
        first = False
    out.write(b"]\n")


def write_parquet(runs: Sequence[Run], out: IO[bytes]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise UsageError("parquet export needs pyarrow: pip install 'lossboard[parquet]'") from exc
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    for run in runs:
        for s in run.series.values():
            count = len(s)
            columns["run"].append(pa.array([run.name] * count, pa.string()))
            columns["tag"].append(pa.array([s.tag] * count, pa.string()))
            columns["source_tag"].append(pa.array([s.source_tag] * count, pa.string()))
            columns["step"].append(pa.array(s.step, pa.int64()))
            columns["epoch"].append(pa.array(s.epoch, pa.float64(), mask=np.isnan(s.epoch)))
            columns["wall_time"].append(pa.array(s.wall_time, pa.float64(), mask=np.isnan(s.wall_time)))
            columns["value"].append(pa.array(s.value, pa.float64()))
    types = {"step": pa.int64(), "epoch": pa.float64(), "wall_time": pa.float64(), "value": pa.float64()}
    table = pa.table(
        {
            name: pa.chunked_array(chunks, types.get(name, pa.string()))
            for name, chunks in columns.items()
        }
    )
    pq.write_table(table, out)


def open_output(path: str | None) -> IO[bytes]:
    """The file at ``path`` (parents created), or standard output for ``None`` or ``-``."""
    if path in (None, "-"):
        return sys.stdout.buffer
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return open(target, "wb")
