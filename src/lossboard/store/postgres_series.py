"""A series in the PostgreSQL store: points merged into its chunks and summary levels on write,
and many series read back (downsampled) in at most three statements with binary results.

`lossboard.store.postgres.PostgresStore` calls these inside its transactions; the tables are
docs/store-schema.md's ``chunks`` and ``summaries``, written with binary ``COPY``.
"""

from __future__ import annotations

import bisect

import numpy as np
import psycopg

from lossboard.model import Event, Series
from lossboard.sources.collect import cut_before
from lossboard.store import _chunks, _levels, _many
from lossboard.store.base import CHUNK_POINTS, SeriesData, Times, time_columns

_COPY_CHUNKS = (
    "COPY chunks (tag_id, first_step, last_step, count, value_min, value_max, step, epoch, wall_time, value,"
    " checksum) FROM STDIN (FORMAT BINARY)"
)
_CHUNK_TYPES = ["int8", "int8", "int8", "int4", "float8", "float8", "bytea", "bytea", "bytea", "bytea", "int8"]
BLOBS = "step, epoch, wall_time, value, checksum"
_COPY_SUMMARIES = (
    "COPY summaries (tag_id, level, first_step, last_step, count, points, checksum, epochs, epochs_checksum,"
    " wall_times, wall_times_checksum)"
    " FROM STDIN (FORMAT BINARY)"
)
_SUMMARY_TYPES = ["int8", "int2", "int8", "int8", "int4", "bytea", "int8", "bytea", "int8", "bytea", "int8"]



def merge(cur: psycopg.Cursor, run_id: int, new: Series) -> None:
    """Merge sorted points into their series, rewriting only the chunks they touch."""
    tag_id, last_step = _tag_for_update(cur, run_id, new.tag, new.source_tag)
    lo, hi = int(new.step[0]), int(new.step[-1])
    if last_step is not None and lo > last_step:
        # an append: the last chunk takes new points while it has room
        cur.execute(
            f"SELECT first_step, {BLOBS} FROM chunks WHERE tag_id = %s AND count < %s"
            " AND first_step = (SELECT max(first_step) FROM chunks WHERE tag_id = %s)",
            (tag_id, CHUNK_POINTS, tag_id),
        )
    else:
        cur.execute(
            f"SELECT first_step, {BLOBS} FROM chunks WHERE tag_id = %s AND last_step >= %s"
            " AND first_step <= %s ORDER BY first_step",
            (tag_id, lo, hi),
        )
    touched = cur.fetchall()
    old = _chunks.decode(new.tag, new.source_tag, [row[1:] for row in touched])
    _replace_chunks(cur, tag_id, [row[0] for row in touched], _chunks.merge(old, new))

def _tag_for_update(
    cur: psycopg.Cursor, run_id: int, tag: str, source_tag: str
) -> tuple[int, int | None]:
    """The tag's id and last step, its row locked until commit so merges never interleave."""
    return cur.execute(
        "INSERT INTO tags (run_id, tag, source_tag) VALUES (%s, %s, %s)"
        " ON CONFLICT (run_id, tag, source_tag) DO UPDATE SET source_tag = EXCLUDED.source_tag"
        " RETURNING id, last_step",
        (run_id, tag, source_tag),
    ).fetchone()

def cut(cur: psycopg.Cursor, run_id: int, resume: Event) -> None:
    """Drop every series' points and the events from the resumed epoch (or step) on, as a
    plain load does."""
    cur.execute(
        "DELETE FROM events WHERE run_id = %(run)s AND CASE WHEN epoch IS NOT NULL"
        " AND %(epoch)s::float8 IS NOT NULL THEN epoch >= %(epoch)s ELSE step >= %(step)s END",
        {"run": run_id, "epoch": resume.epoch, "step": int(resume.step)},
    )
    tags = cur.execute(
        "SELECT id, tag, source_tag FROM tags WHERE run_id = %s ORDER BY id FOR UPDATE", (run_id,)
    ).fetchall()
    for tag_id, tag, source_tag in tags:
        rows = cur.execute(
            f"SELECT first_step, {BLOBS} FROM chunks WHERE tag_id = %s ORDER BY first_step", (tag_id,)
        ).fetchall()
        series = _chunks.decode(tag, source_tag, [row[1:] for row in rows])
        kept = cut_before(series, resume)
        if len(kept) == len(series):
            continue
        # rewrite from the chunk holding the first lost point on; the chunks before it stay
        first_lost = series.step[np.isin(series.step, kept.step, invert=True)][0]
        firsts = [row[0] for row in rows]
        start = firsts[bisect.bisect_right(firsts, first_lost) - 1]
        _replace_chunks(cur, tag_id, firsts[firsts.index(start) :], _steps_from(kept, start))

def _replace_chunks(cur: psycopg.Cursor, tag_id: int, doomed: list[int], series: Series) -> None:
    """Delete chunks (by first step), write ``series`` as new chunks, refresh the tag's summary."""
    if doomed:
        cur.execute("DELETE FROM chunks WHERE tag_id = %s AND first_step = ANY(%s)", (tag_id, doomed))
    if len(series):
        rows = _chunks.chunk_rows(series)
        with cur.copy(_COPY_CHUNKS) as copy:
            copy.set_types(_CHUNK_TYPES)
            for row in rows:
                copy.write_row((tag_id, *row[:5], *row.blobs))
        write_summaries(cur, tag_id, [(1, _levels.Row(*row[:3], *row.level1)) for row in rows])
    changed = doomed + ([int(series.step[0])] if len(series) else [])
    if changed:
        write_summaries(cur, tag_id, _levels.rebuild_groups(_query(cur), tag_id, min(changed)))
    summary = cur.execute(
        "SELECT sum(count), min(first_step), max(last_step) FROM chunks WHERE tag_id = %s", (tag_id,)
    ).fetchone()
    if summary[0] is None:
        cur.execute("DELETE FROM tags WHERE id = %s", (tag_id,))
        return
    last = cur.execute(
        "SELECT substring(value FROM octet_length(value) - 7) FROM chunks"
        " WHERE tag_id = %s ORDER BY first_step DESC LIMIT 1",
        (tag_id,),
    ).fetchone()[0]
    cur.execute(
        "UPDATE tags SET points = %s, first_step = %s, last_step = %s, last_value = %s WHERE id = %s",
        (*summary, float(np.frombuffer(last, dtype="<f8")[0]), tag_id),
    )

def write_summaries(cur: psycopg.Cursor, tag_id: int, rows: list[tuple[int, _levels.Row]]) -> None:
    with cur.copy(_COPY_SUMMARIES) as copy:
        copy.set_types(_SUMMARY_TYPES)
        for level, row in rows:
            copy.write_row((tag_id, level, *row))


def read(
    cur: psycopg.Cursor,
    found: list[_many.Found],
    step_range: tuple[int, int] | None,
    buckets: int | None,
    *,
    times: Times = True,
) -> dict[tuple[str, str, str], SeriesData]:
    """``found`` series in two statements after their lookup: extents, then every row they need
    (binary results: the blobs arrive as bytes, never as hex text). Several series' rows are
    streamed, so libpq holds a row at a time rather than the whole result, which it would map
    afresh every request (34 MB for 80 series of 200 k points); one series' rows come with the
    statement psycopg prepares after a few runs, which `stream` would plan every time."""
    fetch = cur.stream if len(found) > 1 else cur.execute
    return _many.read(
        found, step_range, buckets, times=times,
        extents_of=lambda ids, lo, hi: cur.execute(_EXTENTS, {"ids": ids, "lo": lo, "hi": hi}).fetchall(),
        rows_of=lambda wanted, lo, hi, epochs, walls: fetch(_READ, {
            "ids": [w[0] for w in wanted], "levels": [w[1] for w in wanted], "whole": [w[2] for w in wanted],
            "lo": lo, "hi": hi, "epochs": epochs, "walls": walls,
        }),
    )


# each series' chunks overlapping the range: bounds and the points of those wholly inside (level 1: a row a chunk)
_EXTENTS = """
SELECT tag_id, min(first_step), max(last_step),
  coalesce(sum(count) FILTER (WHERE first_step >= %(lo)s AND last_step <= %(hi)s), 0)::int8
FROM summaries WHERE tag_id = ANY(%(ids)s::int8[]) AND level = 1
  AND last_step >= %(lo)s AND first_step <= %(hi)s GROUP BY tag_id
"""

# the rows `_many.answer` reads of the series `wanted` names, with ``{found}`` after each row;
# the summaries' epochs and wall times only when wanted (never detoasted otherwise); the
# primary keys find them by (tag_id, level, first_step)
_ROWS = """
SELECT 0::int2, c.tag_id, c.first_step, c.last_step, c.count, c.step, c.epoch, c.wall_time, c.value, c.checksum,
  NULL::int8, NULL::int8{found}
FROM wanted w JOIN chunks c ON c.tag_id = w.tag_id
WHERE w.level = 0 AND c.last_step >= %(lo)s AND c.first_step <= %(hi)s
  AND (w.whole OR NOT (c.first_step >= %(lo)s AND c.last_step <= %(hi)s))
UNION ALL
SELECT s.level, s.tag_id, s.first_step, s.last_step, s.count, NULL, CASE WHEN %(epochs)s::bool THEN s.epochs END,
  CASE WHEN %(walls)s::bool THEN s.wall_times END, s.points, s.checksum, s.epochs_checksum, s.wall_times_checksum{found}
FROM wanted w JOIN summaries s ON s.tag_id = w.tag_id AND s.level = w.level
WHERE w.level > 0 AND s.last_step >= %(lo)s AND s.first_step <= %(hi)s
  AND (w.whole OR NOT (s.first_step >= %(lo)s AND s.last_step <= %(hi)s))
"""

# the rows `_many.fetches` names
_READ = (
    "WITH wanted AS (SELECT * FROM unnest(%(ids)s::int8[], %(levels)s::int2[], %(whole)s::bool[]) AS w(tag_id, level, whole))"
    + _ROWS.format(found="")
)

# every row of whole series found by (run, label), each with its series and rank (`_many.read_whole`):
# the lookup and the rows in one statement. A series' level is `_levels.level_for` its points: how
# many of the levels' `_thresholds` they reach (none given: 0, a raw read).
_WHOLE = """
WITH wanted AS (
  SELECT t.id AS tag_id, r.display, t.tag, t.source_tag, t.first_step, t.last_step, t.points::int8,
    row_number() OVER (ORDER BY w.place, t.source_tag) AS rank, true AS whole,
    coalesce(width_bucket(t.points::numeric, %(thresholds)s::numeric[]), 0) AS level
  FROM unnest(%(runs)s::text[], %(tags)s::text[]) WITH ORDINALITY AS w(run, tag, place)
  JOIN runs r ON r.display = w.run JOIN tags t ON t.run_id = r.id AND t.tag = w.tag
)""" + _ROWS.format(found=", w.tag_id, w.display, w.tag, w.source_tag, w.first_step, w.last_step, w.points, w.rank")


def read_whole(
    cur: psycopg.Cursor, pairs: list[tuple[str, str]], buckets: int | None, *, times: Times = True
) -> dict[tuple[str, str, str], SeriesData]:
    """The whole series of ``pairs`` (run, label) in one statement: their lookup and every row
    they need, so a request is one round trip to the server. Several pairs' rows are streamed
    (`read`)."""
    epochs, walls = time_columns(times)
    lo, hi = _many.WHOLE
    fetch = cur.stream if len(pairs) > 1 else cur.execute
    rows = fetch(_WHOLE, {
        "runs": [run for run, _ in pairs], "tags": [tag for _, tag in pairs], "thresholds": _thresholds(buckets),
        "lo": lo, "hi": hi, "epochs": epochs, "walls": walls,
    })
    return _many.read_whole(rows, buckets, times=times)


def _thresholds(buckets: int | None) -> list[int] | None:
    """The points a series needs for each summary level from 1 (`_levels.level_for`: ``buckets``
    whole blocks of it), ascending, exact (numeric in the statement, never overflowing); None for
    a raw read."""
    return None if buckets is None else [buckets * size for size in _levels.LEVEL_POINTS[1:]]


def _query(cur: psycopg.Cursor) -> _levels.Query:
    """`_levels`' statements (``?`` placeholders) on this cursor."""

    def run(statement: str, params: tuple) -> list:
        cur.execute(statement.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    return run


def _steps_from(series: Series, first_step: int) -> Series:
    """The points of a sorted series from ``first_step`` on."""
    start = int(np.searchsorted(series.step, first_step))
    return Series(
        series.tag,
        series.source_tag,
        series.step[start:],
        series.epoch[start:],
        series.wall_time[start:],
        series.value[start:],
    )
