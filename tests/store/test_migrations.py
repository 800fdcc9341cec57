"""Every older schema version migrates forward on both backends without losing a run."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np

from lossboard.store import _chunks
from lossboard.store._levels import LEVEL_POINTS
from lossboard.store.base import SCHEMA_VERSION
from lossboard.store.indexer import index_paths
from lossboard.store.sqlite import SQLiteStore
from lossboard.store.urls import open_store

from ._indexing import assert_store_equals_load, mxnet_epoch
from ._versions import assert_same_read, old_store, put_old_series, put_wavy_series, sql, wavy_series


class _Payload:
    """Unpickling this makes a directory: the proof that a state was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def test_a_version_1_index_gains_every_summary_level_for_its_chunks(store_url: str) -> None:
    with SQLiteStore(":memory:") as fresh:
        want = put_wavy_series(fresh)
    old_store(store_url, 1)
    put_old_series(store_url, "a", "/logs/a.csv", wavy_series(), version=1)
    store = open_store(store_url)
    try:
        assert_same_read(store, want)
        # level 1 beside each of the 13 chunks, every coarser level one row over the one group
        assert sql(store_url, "SELECT level, count(*) FROM summaries GROUP BY level ORDER BY level") == [
            (1, 13)] + [(level, 1) for level in range(2, len(LEVEL_POINTS))]
    finally:
        store.close()


def test_a_version_2_store_drops_its_pickled_states_unread(store_url: str, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "train.log"
    log.write_text("".join(mxnet_epoch(epoch, 0.5) for epoch in range(3)))
    old_store(store_url, 2)
    marker = tmp_path / "owned"
    columns = wavy_series()
    put_old_series(store_url, "logs", str(log), columns, version=2)
    sql(store_url, "UPDATE sources SET state = ?, \"offset\" = 10", (pickle.dumps(_Payload(marker)),))
    store = open_store(store_url)
    try:
        assert [state.state for state in store.sources()] == [None]
        assert not marker.exists()
        index_paths(store, [logs])
        assert not marker.exists()
        assert_store_equals_load(store, logs)
    finally:
        store.close()


def test_a_version_3_store_keys_its_runs_by_path_and_keeps_every_run(store_url: str) -> None:
    old_store(store_url, 3)
    columns = wavy_series()
    put_old_series(store_url, "projA/baseline", "/data/projA/baseline/train.log", columns, version=3)
    put_old_series(store_url, "baseline", "/data/projB/baseline/train.log", columns, version=3)
    sql(store_url, "INSERT INTO runs (name, status) VALUES ('pending', 'running')")
    store = open_store(store_url)
    try:
        runs = {info.name: info for info in store.list_runs()}
        assert {name: (info.path, info.points, info.status) for name, info in runs.items()} == {
            "projA/baseline": ("/data/projA/baseline/train.log", 50_000, "unknown"),
            "baseline": ("/data/projB/baseline/train.log", 50_000, "unknown"),
            "pending": ("pending", 0, "running"),
        }
        got = store.read_series("baseline", "train/loss")
        np.testing.assert_array_equal(got.value, columns.value)
        # the new keys: a second series under the same label, a run at another path with the same name
        store.apply(_batch("/data/projC/baseline/train.log", "baseline", columns.step[:3], "Loss/train"))
        store.apply(_batch("/data/projB/baseline/train.log", "baseline", columns.step[:3], "train_loss"))
        assert sorted(info.name for info in store.list_runs()) == [
            "pending", "projA/baseline", "projB/baseline", "projC/baseline"]
        assert [t.source_tag for t in store.list_tags(["projB/baseline"])] == ["loss", "train_loss"]
    finally:
        store.close()


def _batch(run: str, name: str, steps: np.ndarray, source_tag: str):
    from lossboard.store.base import Batch, Columns, SourceState

    nan = np.full(len(steps), np.nan)
    return Batch(SourceState(run, run, "csv", 0, 1, 1, 1, 1, None, name),
                 columns=[Columns("train/loss", source_tag, steps, nan, nan, steps * 1.0)])


def _read_the_fixture(name: str, tmp_path: Path) -> Path:
    """A fixture index of tests/store/data (see its README), read as that file states, then
    left at the current schema version."""
    path = tmp_path / "index.db"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "data" / name).read_bytes()))
    step = np.arange(20_000) * 5
    value = (step % 1000) * 0.001
    value[[1234, 15_000]] = [50.0, np.nan]
    with SQLiteStore(path) as store:
        assert [info.name for info in store.list_runs()] == ["a", "b"]
        raw = store.read_series("a", "train/loss")
        np.testing.assert_array_equal(raw.step, step)
        assert raw.value.tobytes() == value.tobytes()
        np.testing.assert_array_equal(raw.wall_time, 1.7e9 + step * 0.25)
        for buckets in (1, 7, 100, 1_000):
            down = store.read_series("a", "train/loss", buckets=buckets)
            assert down.total_points == 20_000
            assert {1234 * 5, 15_000 * 5, 0, 99_995} <= set(down.step.tolist())  # spike, first NaN, ends
        assert store.read_series("b", "val/accuracy", buckets=10).total_points == 300
    assert sql(f"sqlite:///{path}", "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    return path


def test_a_schema_5_file_written_by_the_previous_release_reads_as_written(tmp_path: Path) -> None:
    """schema5.db.gz was written by lossboard's schema-5 code: its block M4 and two M4 levels
    give way to the summary records, and every point stays."""
    path = _read_the_fixture("schema5.db.gz", tmp_path)
    assert sql(f"sqlite:///{path}", "SELECT name FROM sqlite_master WHERE name = 'chunk_blocks'") == []


def test_a_schema_6_file_gets_records_of_every_level_in_the_new_layout(tmp_path: Path) -> None:
    """schema6.db.gz was written by lossboard's schema-6 code (seven levels of records with their
    NaN point inline): its summaries are all rewritten, so no row of the old layout is ever read."""
    path = _read_the_fixture("schema6.db.gz", tmp_path)
    # run a: 5 chunks, one group; run b: 1 chunk, one group
    assert sql(f"sqlite:///{path}", "SELECT level, count(*) FROM summaries GROUP BY level ORDER BY level") == [
        (1, 6)] + [(level, 2) for level in range(2, len(LEVEL_POINTS))]


def test_a_schema_7_file_gets_its_records_times_stored_apart(tmp_path: Path) -> None:
    """schema7.db.gz was written by lossboard's schema-7 code (a record's four points whole, 136
    bytes): every level is rewritten with steps and values, epochs and wall times apart."""
    _assert_times_stored_apart(_read_the_fixture("schema7.db.gz", tmp_path))


def test_a_schema_8_file_gets_its_records_epochs_and_wall_times_stored_apart(tmp_path: Path) -> None:
    """schema8.db.gz was written by lossboard's schema-8 code (a record's epochs and wall times
    together in one blob): every level is rewritten with the two apart."""
    _assert_times_stored_apart(_read_the_fixture("schema8.db.gz", tmp_path))


def _assert_times_stored_apart(path: Path) -> None:
    """Every level holds its records in schema 9's layout, and a read leaving out some time
    columns gives the same steps, values (and epochs) as one of every column."""
    url = f"sqlite:///{path}"
    assert sql(url, "SELECT level, count(*) FROM summaries GROUP BY level ORDER BY level") == [
        (1, 6)] + [(level, 2) for level in range(2, len(LEVEL_POINTS))]
    for records, epochs, walls in sql(url, "SELECT points, epochs, wall_times FROM summaries"):
        count = int.from_bytes(records[:8], "little")  # then 72 bytes a record, 24 a NaN; its epochs 32 and 8
        nans, rest = divmod(len(records) - 8 - 72 * count, 24)
        assert rest == 0 and len(epochs) == len(walls) == 32 * count + 8 * nans
    with SQLiteStore(path) as store:
        whole = store.read_many([("a", "train/loss")], buckets=100)["a", "train/loss", "loss"]
        bare = store.read_many([("a", "train/loss")], buckets=100, times=False)["a", "train/loss", "loss"]
        tooltip = store.read_many([("a", "train/loss")], buckets=100, times="epoch")["a", "train/loss", "loss"]
    for read in (bare, tooltip):
        assert read.step.tolist() == whole.step.tolist() and read.value.tobytes() == whole.value.tobytes()
        assert np.isnan(read.wall_time).all()
    assert np.isnan(bare.epoch).all() and tooltip.epoch.tobytes() == whole.epoch.tobytes()
    np.testing.assert_array_equal(whole.epoch, whole.step / 5000)
    np.testing.assert_array_equal(whole.wall_time, 1.7e9 + whole.step / 4)

def _in_line_levels(url: str) -> list[int]:
    """The summary levels whose records PostgreSQL keeps in the table (an out-of-line blob's
    stored size is its bytes alone; an in-line one adds its header)."""
    rows = sql(url, "SELECT DISTINCT level FROM summaries WHERE pg_column_size(points) > octet_length(points)"
                    " ORDER BY level")
    return [level for (level,) in rows]


def test_a_schema_9_postgres_store_moves_its_small_summary_rows_into_the_table(postgres_url: str) -> None:
    import psycopg

    from lossboard.store import postgres_series

    with SQLiteStore(":memory:") as fresh:
        want = put_wavy_series(fresh)
    old_store(postgres_url, 9)
    [(run_id,)] = sql(postgres_url, "INSERT INTO runs (path, name, display) VALUES ('/logs/a', 'a', 'a') RETURNING id")
    with psycopg.connect(postgres_url) as conn:  # the series as schema 9's code wrote it
        conn.execute("SET search_path TO lossboard")
        postgres_series.merge(conn.cursor(), run_id, _chunks.from_columns(wavy_series()))
    # 13 chunks: levels 6 and 7 hold 52 and 26 records (3.5 to 7 KB a row), and the last chunk's
    # level 1 holds 27 (its 848 points): out of line at schema 9
    assert _in_line_levels(postgres_url) == [8, 9, 10, 11, 12, 13]
    store = open_store(postgres_url)
    try:
        assert_same_read(store, want)
    finally:
        store.close()
    assert _in_line_levels(postgres_url) == [1, 6, 7, 8, 9, 10, 11, 12, 13]
