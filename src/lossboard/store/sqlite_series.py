"""A series in the SQLite store: points merged into its chunks and summary levels on write,
and many series read back (downsampled) in at most three statements.

`lossboard.store.sqlite.SQLiteStore` calls these inside its transactions and snapshots; the
tables are docs/store-schema.md's ``chunks`` and ``summaries``.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from lossboard.model import Event, Series
from lossboard.sources.collect import cut_before
from lossboard.store import _chunks, _levels, _many
from lossboard.store.base import CHUNK_POINTS, SeriesData, Times


def read(
    db: sqlite3.Connection,
    found: list[_many.Found],
    step_range: tuple[int, int] | None,
    buckets: int | None,
    *,
    times: Times = True,
) -> dict[tuple[str, str, str], SeriesData]:
    """``found`` series in two statements after their lookup (one for the whole series):
    extents, then every row they need."""
    return _many.read(
        found, step_range, buckets, times=times,
        extents_of=lambda ids, lo, hi: db.execute(_EXTENTS, (json.dumps(ids), lo, hi)),
        rows_of=lambda wanted, lo, hi, epochs, walls: db.execute(_READ, (json.dumps(wanted), lo, hi, epochs, walls)),
    )


# each series' chunks overlapping the range: bounds and the points of those wholly inside,
# from the index `summaries_extent` alone (level 1: a row a chunk)
_EXTENTS = """
SELECT tag_id, MIN(first_step), MAX(last_step), COALESCE(SUM(count) FILTER (WHERE first_step >= ?2 AND last_step <= ?3), 0)
FROM summaries WHERE tag_id IN (SELECT value FROM json_each(?1)) AND level = 1
  AND last_step >= ?2 AND first_step <= ?3 GROUP BY tag_id
"""


# the rows `_many.answer` reads: ?1 is a JSON list of [tag_id, level, whole] (`_many.fetches`),
# ?2 and ?3 the step range, ?4 and ?5 whether the summaries' epochs and wall times are wanted
# (their blobs, stored after the records', are otherwise never read); the primary keys find
# them by (tag_id, level, first_step)
_READ = """
WITH wanted(tag_id, level, whole) AS (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))
SELECT 0, c.tag_id, c.first_step, c.last_step, c.count, c.step, c.epoch, c.wall_time, c.value, c.checksum,
  NULL, NULL
FROM wanted w JOIN chunks c ON c.tag_id = w.tag_id
WHERE w.level = 0 AND c.last_step >= ?2 AND c.first_step <= ?3
  AND (w.whole OR NOT (c.first_step >= ?2 AND c.last_step <= ?3))
UNION ALL
SELECT s.level, s.tag_id, s.first_step, s.last_step, s.count, NULL, CASE WHEN ?4 THEN s.epochs END,
  CASE WHEN ?5 THEN s.wall_times END, s.points, s.checksum, s.epochs_checksum, s.wall_times_checksum
FROM wanted w JOIN summaries s ON s.tag_id = w.tag_id AND s.level = w.level
WHERE w.level > 0 AND s.last_step >= ?2 AND s.first_step <= ?3
  AND (w.whole OR NOT (s.first_step >= ?2 AND s.last_step <= ?3))
"""


def merge_series(db: sqlite3.Connection, run_id: int, new: Series) -> None:
    """Merge ``new`` into its series by rewriting only the tail of chunks it reaches.

    The tail is every chunk ending at or after ``new``'s first step, plus the last chunk
    while it is not full: appending then rewrites one chunk, not the series.
    """
    row = db.execute(
        "SELECT id, points, first_step FROM tags WHERE run_id = ? AND tag = ? AND source_tag = ?",
        (run_id, new.tag, new.source_tag),
    ).fetchone()
    if row is None:
        tag_id = db.execute(
            "INSERT INTO tags (run_id, tag, source_tag, points, first_step, last_step) "
            "VALUES (?, ?, ?, 0, 0, 0)",
            (run_id, new.tag, new.source_tag),
        ).lastrowid
        points, first_step = 0, int(new.step[0])
    else:
        tag_id, points, first_step = row
    tail = db.execute(
        "SELECT first_step, count, step, epoch, wall_time, value, checksum FROM chunks WHERE tag_id = ?1 "
        "AND (last_step >= ?2 OR (count < ?3 AND first_step = (SELECT MAX(first_step) FROM chunks "
        "WHERE tag_id = ?1))) ORDER BY first_step",
        (tag_id, int(new.step[0]), CHUNK_POINTS),
    ).fetchall()
    merged = _chunks.merge(_chunks.decode(new.tag, new.source_tag, [r[2:] for r in tail]), new)
    if tail:
        db.execute("DELETE FROM chunks WHERE tag_id = ? AND first_step >= ?", (tag_id, tail[0][0]))
    _write_chunks(db, tag_id, merged)
    _rebuild_groups(db, tag_id, int(merged.step[0]))
    points += len(merged) - sum(r[1] for r in tail)
    _update_tag(db, tag_id, merged, points=points, first_step=min(first_step, int(merged.step[0])))


def cut_run(db: sqlite3.Connection, run_id: int, resume: Event) -> None:
    """Drop every series' points and the events from the resumed epoch (or step) on, as
    `cut_before` and the stitcher do.

    Chunks before the first dropped point stay as they are; the rest are rewritten.
    """
    db.execute(
        "DELETE FROM events WHERE run_id = ?1 AND CASE WHEN epoch IS NOT NULL AND ?2 IS NOT NULL "
        "THEN epoch >= ?2 ELSE step >= ?3 END",
        (run_id, resume.epoch, int(resume.step)),
    )
    tags = db.execute("SELECT id, tag, source_tag FROM tags WHERE run_id = ?", (run_id,)).fetchall()
    for tag_id, tag, source_tag in tags:
        rows = db.execute(
            "SELECT first_step, count, step, epoch, wall_time, value, checksum FROM chunks WHERE tag_id = ? "
            "ORDER BY first_step",
            (tag_id,),
        ).fetchall()
        series = _chunks.decode(tag, source_tag, [row[2:] for row in rows])
        kept = cut_before(series, resume)
        if len(kept) == len(series):
            continue
        if not len(kept):
            db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))  # its chunks cascade
            continue
        # kept is series minus some points, in order: they agree up to the first point dropped
        differs = np.flatnonzero(series.step[: len(kept)] != kept.step)
        dropped = int(differs[0]) if len(differs) else len(kept)
        starts = np.cumsum([0] + [row[1] for row in rows])
        chunk = int(np.searchsorted(starts, dropped, side="right")) - 1
        db.execute("DELETE FROM chunks WHERE tag_id = ? AND first_step >= ?", (tag_id, rows[chunk][0]))
        _write_chunks(db, tag_id, kept.take(slice(int(starts[chunk]), None)))
        _rebuild_groups(db, tag_id, rows[chunk][0])
        _update_tag(db, tag_id, kept, points=len(kept), first_step=int(kept.step[0]))


def _write_chunks(db: sqlite3.Connection, tag_id: int, series: Series) -> None:
    rows = _chunks.chunk_rows(series)
    db.executemany(
        "INSERT INTO chunks (tag_id, first_step, last_step, count, value_min, value_max, step, epoch, "
        "wall_time, value, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(tag_id, *row[:5], *row.blobs) for row in rows],
    )
    db.executemany(SUMMARY_INSERT, [(tag_id, 1, *row[:3], *row.level1) for row in rows])


def _rebuild_groups(db: sqlite3.Connection, tag_id: int, since: int) -> None:
    """Bring a series' summary levels 2 and up up to date after its chunks changed from ``since`` on."""
    rows = _levels.rebuild_groups(lambda sql, params: db.execute(sql, params).fetchall(), tag_id, since)
    db.executemany(
        SUMMARY_INSERT,
        [(tag_id, level, *row) for level, row in rows],
    )


SUMMARY_INSERT = (
    "INSERT INTO summaries (tag_id, level, first_step, last_step, count, points, checksum, epochs, epochs_checksum, "
    "wall_times, wall_times_checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _update_tag(db: sqlite3.Connection, tag_id: int, tail: Series, *, points: int, first_step: int) -> None:
    """Set a series' counts; ``tail`` ends where the series ends."""
    last_value = float(tail.value[-1])
    db.execute(
        "UPDATE tags SET points = ?, first_step = ?, last_step = ?, last_value = ? WHERE id = ?",
        (
            points,
            first_step,
            int(tail.step[-1]),
            None if np.isnan(last_value) else last_value,
            tag_id,
        ),
    )
