"""Export in long form: exact CSV header, NaN and infinities kept, unknowns empty."""

from __future__ import annotations

import csv
import io
import math
import struct

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.errors import UsageError
from lossboard.model import Run, Series
from lossboard.views.export import export


def make_run() -> Run:
    nan = math.nan
    loss = Series("train/loss", "loss", np.array([0, 1, 2]), np.array([0.0, 1.0, nan]),
                  np.array([1.7e9, nan, 1.7e9 + 60]), np.array([0.5, nan, math.inf]))
    acc = Series("val/accuracy", "val_acc", np.array([1]), np.array([1.0]), np.array([nan]), np.array([-math.inf]))
    return Run("exp,1", ["a.log"], ["keras-stdout"], {"val/accuracy": acc, "train/loss": loss})


def exported(fmt: str) -> bytes:
    out = io.BytesIO()
    export([make_run()], out, fmt=fmt)
    return out.getvalue()


def test_csv_header_and_rows() -> None:
    rows = list(csv.reader(io.StringIO(exported("csv").decode())))
    assert rows[0] == ["run", "tag", "source_tag", "step", "epoch", "wall_time", "value"]
    assert rows[1:] == [
        ["exp,1", "train/loss", "loss", "0", "0.0", "1700000000.0", "0.5"],
        ["exp,1", "train/loss", "loss", "1", "1.0", "", "nan"],
        ["exp,1", "train/loss", "loss", "2", "", "1700000060.0", "inf"],
        ["exp,1", "val/accuracy", "val_acc", "1", "1.0", "", "-inf"],
    ]


def test_csv_reads_back_with_pandas_including_nan_and_infinity() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(io.BytesIO(exported("csv")))
    assert frame["value"].isna().tolist() == [False, True, False, False]
    assert frame["value"].tolist()[2] == math.inf and frame["value"].tolist()[3] == -math.inf


def test_json_has_the_same_rows_with_non_finite_values_as_strings() -> None:
    rows = orjson.loads(exported("json"))
    assert [r["value"] for r in rows] == [0.5, "nan", "inf", "-inf"]
    assert rows[1]["wall_time"] is None and rows[2]["epoch"] is None
    assert set(rows[0]) == {"run", "tag", "source_tag", "step", "epoch", "wall_time", "value"}


def test_parquet_keeps_nan_infinity_and_nulls() -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(io.BytesIO(exported("parquet"))).to_pydict()
    values = table["value"]
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2] == math.inf
    assert table["epoch"][2] is None and table["wall_time"][1] is None
    assert table["step"] == [0, 1, 2, 1]


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="csv, json, parquet"):
        export([make_run()], io.BytesIO(), fmt="xlsx")


floats = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), floats, floats, floats), min_size=1, max_size=40),
       st.text(min_size=1, max_size=12))
def test_every_value_reads_back_exactly_from_csv_and_json(rows: list, name: str) -> None:
    steps = sorted({row[0] for row in rows})
    rows = [next(row for row in rows if row[0] == step) for step in steps]
    step, epoch, wall, value = (np.array(column) for column in zip(*rows))
    series = Series("train/loss", name, step.astype(np.int64), epoch, wall, value)
    run = Run(name, [], [], [series])
    out = io.BytesIO()
    export([run], out, fmt="csv")
    parsed = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))[1:]
    assert [r[:4] for r in parsed] == [[name, "train/loss", name, str(s)] for s in steps]
    for text, expected in zip((r[6] for r in parsed), value.tolist()):
        assert struct.pack("<d", float(text)) == struct.pack("<d", expected) or (text == "nan" and expected != expected)
    for text, expected in zip((r[4] for r in parsed), epoch.tolist()):
        assert (text == "" and expected != expected) or float(text) == expected
    out = io.BytesIO()
    export([run], out, fmt="json")
    back = orjson.loads(out.getvalue())
    for row, e, w, v in zip(back, epoch.tolist(), wall.tolist(), value.tolist()):
        assert row["epoch"] == (e if math.isfinite(e) else None)
        assert row["wall_time"] == (w if math.isfinite(w) else None)
        assert row["value"] == (v if math.isfinite(v) else repr(v))


def _long_run(points: int) -> Run:
    rng = np.random.default_rng(12)
    value = rng.standard_normal(points) * 10.0 ** rng.integers(-12, 12, points)
    value[::997] = math.nan
    epoch = np.floor(np.arange(points) / 1000.0)
    epoch[5::1001] = math.nan
    series = Series("train/loss", "loss", np.arange(points, dtype=np.int64) * 3, epoch, np.full(points, math.nan), value)
    return Run("long", [], [], [series])


def test_csv_and_json_of_a_series_longer_than_a_block_read_back_bit_for_bit() -> None:
    run = _long_run(70_000)  # past the 65,536 points formatted at a time
    (series,) = run.series.values()
    out = io.BytesIO()
    export([run], out, fmt="csv")
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))[1:]
    assert [int(r[3]) for r in rows] == series.step.tolist()
    assert np.array_equal(np.array([float(r[6]) for r in rows]), series.value, equal_nan=True)
    assert [r[4] for r in rows[5:1007:1001]] == ["", ""] and {r[5] for r in rows} == {""}
    out = io.BytesIO()
    export([run], out, fmt="json")
    back = orjson.loads(out.getvalue())
    values = np.array([math.nan if row["value"] == "nan" else row["value"] for row in back])
    assert np.array_equal(values, series.value, equal_nan=True)


def test_parquet_is_written_a_row_group_at_a_time_and_keeps_every_row() -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    long = _long_run(1_100_000)
    out = io.BytesIO()
    export([long, make_run()], out, fmt="parquet")
    file = pq.ParquetFile(io.BytesIO(out.getvalue()))
    assert file.metadata.num_row_groups == 2  # 2**20 rows, then the rest of both runs
    table = file.read().to_pydict()
    assert len(table["step"]) == 1_100_000 + 4
    assert table["step"][:3] == [0, 3, 6] and table["step"][-4:] == [0, 1, 2, 1]
    assert table["run"][0] == "long" and table["run"][-1] == "exp,1"
