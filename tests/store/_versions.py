"""Shared by the migration tests of both backends: stores of older schema versions, built by
the migrations that made them, and filled with rows as that version wrote them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from lossboard.store import _chunks
from lossboard.store.base import Batch, Columns, SeriesData, SourceState, Store

SPIKE, DIVERGED = 7, 30_001


def wavy_series() -> Columns:
    """50,000 points (13 chunks) with a spike and a NaN."""
    step = np.arange(50_000)
    value = np.sin(step / 300.0)
    value[[SPIKE, DIVERGED]] = [50.0, np.nan]
    return Columns("train/loss", "loss", step, np.full(len(step), np.nan), step * 0.5, value)


def put_wavy_series(store: Store) -> SeriesData:
    """`wavy_series` as run ``a``; its M4 read into 100 buckets."""
    store.apply(Batch(SourceState("a.csv", "a", "csv", 0, 1, 1, 1, 1), columns=[wavy_series()]))
    return store.read_series("a", "train/loss", buckets=100)


def assert_same_read(store: Store, before: SeriesData) -> None:
    after = store.read_series("a", "train/loss", buckets=100)
    assert after.total_points == before.total_points == 50_000
    for name in ("step", "epoch", "wall_time", "value"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    assert {SPIKE, DIVERGED} <= set(after.step.tolist())


def old_store(url: str, version: int) -> None:
    """Make the store at ``url`` an empty one of schema ``version``, as that version left it."""
    if url.startswith("sqlite:///"):
        from lossboard.store.sqlite_schema import MIGRATIONS

        db = sqlite3.connect(url[len("sqlite://"):], isolation_level=None)
        for migrate in MIGRATIONS[:version]:
            migrate(db)
        db.execute("DELETE FROM schema_version")
        db.execute("INSERT INTO schema_version VALUES (?, 'old')", (version,))
        db.close()
        return
    import psycopg

    from lossboard.store.postgres_schema import MIGRATIONS

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS lossboard CASCADE")
        conn.execute("CREATE SCHEMA lossboard")
        conn.execute("SET search_path TO lossboard")
        for migrate in MIGRATIONS[:version]:
            migrate(conn)
        conn.execute("UPDATE schema_version SET version = %s", (version,))


def sql(url: str, statement: str, params: Sequence = ()) -> list[tuple]:
    """Run one statement (``?`` placeholders) on the store's tables, as its owner could."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite://"):], isolation_level=None)
        try:
            cursor = db.execute(statement, params)
            return cursor.fetchall()
        finally:
            db.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path TO lossboard")
        cursor = conn.execute(statement.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def put_old_series(url: str, run: str, source: str, columns: Columns, *, version: int) -> None:
    """A run with one source file and one series, written as schema ``version`` (1 to 3) did:
    without checksums."""
    [(run_id,)] = sql(url, "INSERT INTO runs (name) VALUES (?) RETURNING id", (run,))
    sql(url, 'INSERT INTO sources (path, run_id, format, ordinal, size, inode, mtime_ns, "offset") '
             "VALUES (?, ?, 'csv', 0, 1, 1, 1, 1)", (source, run_id))
    series = _chunks.from_columns(columns)
    [(tag_id,)] = sql(
        url, "INSERT INTO tags (run_id, tag, source_tag, points, first_step, last_step, last_value) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (run_id, series.tag, series.source_tag, len(series), int(series.step[0]), int(series.step[-1]),
         float(series.value[-1])),
    )
    for row in _chunks.chunk_rows(series):
        sql(url, "INSERT INTO chunks (tag_id, first_step, last_step, count, value_min, value_max, step, epoch, "
                 "wall_time, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (tag_id, *row[:5], *row.blobs[:4]))
        if version >= 2:  # block M4 came with version 2 (unread: version 6 drops it), checksums with 4
            sql(url, "INSERT INTO chunk_blocks (tag_id, first_step, points) VALUES (?, ?, ?)",
                (tag_id, row.first_step, b"block M4"))
