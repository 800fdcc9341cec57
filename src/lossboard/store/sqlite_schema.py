"""The SQLite store's tables, and the migrations that bring an older file to the current schema.

docs/store-schema.md describes the tables; `MIGRATIONS` holds one function per version step,
run by `lossboard.store.sqlite.SQLiteStore` in one transaction with foreign keys off (so a
table copied to change its key does not cascade its drop).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from lossboard.store import _chunks
from lossboard.store.names import renamed
from lossboard.store.sqlite_series import SUMMARY_INSERT

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    lossboard TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'unknown',
    updated REAL NOT NULL DEFAULT 0
);
CREATE TABLE sources (
    path TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    size INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    state BLOB
);
CREATE INDEX sources_run ON sources(run_id, ordinal);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    source_tag TEXT NOT NULL,
    points INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    last_value REAL,
    UNIQUE (run_id, tag)
);
CREATE TABLE chunks (
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    count INTEGER NOT NULL,
    value_min REAL,
    value_max REAL,
    step BLOB NOT NULL,
    epoch BLOB NOT NULL,
    wall_time BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (tag_id, first_step)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL,
    wall_time REAL,
    text TEXT NOT NULL
);
CREATE INDEX events_run ON events(run_id, step);
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    tag TEXT NOT NULL,
    step INTEGER NOT NULL,
    wall_time REAL,
    data TEXT NOT NULL
);
CREATE INDEX media_run ON media(run_id, tag, step);
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX problems_run ON problems(run_id);
CREATE TABLE meta (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE locks (
    name TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    acquired REAL NOT NULL
);
"""


def _migrate_to_v1(db: sqlite3.Connection) -> None:
    # statement by statement: executescript would commit the migration's transaction first
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate_to_v2(db: sqlite3.Connection) -> None:
    """Version 2 added each chunk's block M4 (``chunk_blocks``); version 6 replaced it with the
    summary levels, so the table is made and left empty on the way."""
    db.execute(
        "CREATE TABLE chunk_blocks ("
        "tag_id INTEGER NOT NULL, first_step INTEGER NOT NULL, points BLOB NOT NULL, "
        "PRIMARY KEY (tag_id, first_step), FOREIGN KEY (tag_id, first_step) "
        "REFERENCES chunks (tag_id, first_step) ON DELETE CASCADE)"
    )


def _migrate_to_v3(db: sqlite3.Connection) -> None:
    """Version 3 saves parser states as JSON: the pickled ones are dropped, never unpickled,
    so their files are read again from the start."""
    db.execute("UPDATE sources SET state = NULL")


_TABLES_V4 = {
    # a run is identified by where it lives, not by its name; ``display`` is the name made unique
    "runs": """(
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        display TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'unknown',
        updated REAL NOT NULL DEFAULT 0,
        UNIQUE (host, path)
    )""",
    "sources": """(
        host TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        format TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        size INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        state BLOB,
        PRIMARY KEY (host, path)
    )""",
    # a series is (run, tag, source_tag): two printed names sharing a label stay two series
    "tags": """(
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        source_tag TEXT NOT NULL,
        points INTEGER NOT NULL,
        first_step INTEGER NOT NULL,
        last_step INTEGER NOT NULL,
        last_value REAL,
        UNIQUE (run_id, tag, source_tag)
    )""",
}
_COPY_V4 = {
    # an existing run's path is its first file: no run is lost; the indexer re-reads a run
    # whose path it now derives otherwise (a directory of event files)
    "runs": "SELECT id, '', COALESCE((SELECT s.path FROM sources s WHERE s.run_id = runs.id "
    "ORDER BY s.ordinal LIMIT 1), name), name, name, status, updated FROM runs",
    "sources": 'SELECT \'\', path, run_id, format, ordinal, size, inode, mtime_ns, "offset", state FROM sources',
    "tags": "SELECT * FROM tags",
}


def _migrate_to_v4(db: sqlite3.Connection) -> None:
    """Version 4 keys runs by path and series by source tag; SQLite changes a key by copying
    the table (foreign keys are off meanwhile, see `SQLiteStore._upgrade`)."""
    for table, columns in _TABLES_V4.items():
        db.execute(f"CREATE TABLE {table}_v4 {columns}")
        db.execute(f"INSERT INTO {table}_v4 {_COPY_V4[table]}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_v4 RENAME TO {table}")
    db.execute("CREATE INDEX runs_display ON runs(display)")
    db.execute("CREATE INDEX sources_run ON sources(run_id, ordinal)")
    db.execute("ALTER TABLE locks ADD COLUMN renewed REAL NOT NULL DEFAULT 0")
    # a checksum per chunk and per block M4, so damaged bytes are detected, never read as data
    db.execute("ALTER TABLE chunks ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE chunk_blocks ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0")
    chunks = db.execute("SELECT tag_id, first_step, step, epoch, wall_time, value FROM chunks").fetchall()
    db.executemany(
        "UPDATE chunks SET checksum = ? WHERE tag_id = ? AND first_step = ?",
        [(_chunks.checksum(*blobs), tag_id, first) for tag_id, first, *blobs in chunks],
    )
    blocks = db.execute("SELECT tag_id, first_step, points FROM chunk_blocks").fetchall()
    db.executemany(
        "UPDATE chunk_blocks SET checksum = ? WHERE tag_id = ? AND first_step = ?",
        [(_chunks.checksum(points), tag_id, first) for tag_id, first, points in blocks],
    )
    name_runs(db)


def _migrate_to_v5(db: sqlite3.Connection) -> None:
    """Version 5 added the summary table; version 6 fills it."""
    db.execute(
        "CREATE TABLE summaries ("
        "tag_id INTEGER NOT NULL, level INTEGER NOT NULL, first_step INTEGER NOT NULL, "
        "last_step INTEGER NOT NULL, count INTEGER NOT NULL, points BLOB NOT NULL, checksum INTEGER NOT NULL, "
        "PRIMARY KEY (tag_id, level, first_step), FOREIGN KEY (tag_id, first_step) "
        "REFERENCES chunks (tag_id, first_step) ON DELETE CASCADE)"
    )
    db.execute("CREATE INDEX summaries_chunk ON summaries(tag_id, first_step)")


def _migrate_to_v6(db: sqlite3.Connection) -> None:
    """Version 6 kept summary records (`lossboard.store._levels`) in place of the block M4 and
    the two M4 levels; version 7 changed their layout and computes them, so none are made here."""
    db.execute("DROP TABLE chunk_blocks")
    db.execute("DELETE FROM summaries")
    # bounds and counts from the indexes alone: a row's first page also holds its blob's start,
    # so reading them from the rows touches a page per chunk
    db.execute("CREATE INDEX summaries_extent ON summaries(tag_id, level, first_step, last_step, count)")
    db.execute("CREATE INDEX chunks_extent ON chunks(tag_id, first_step, last_step)")


def _migrate_to_v7(db: sqlite3.Connection) -> None:
    """Version 7 stored records without their NaN point (a list of the few blocks holding one
    follows them) at a factor of 2 between levels; version 8 changed their layout again and
    computes them, so none are made here."""
    db.execute("DELETE FROM summaries")


def _migrate_to_v8(db: sqlite3.Connection) -> None:
    """Version 8 stored a record's steps and values apart from its epochs and wall times (in
    ``times``); version 9 stores those two apart as well and computes the levels."""
    db.execute("DELETE FROM summaries")
    db.execute("ALTER TABLE summaries ADD COLUMN times BLOB NOT NULL DEFAULT x''")
    db.execute("ALTER TABLE summaries ADD COLUMN times_checksum INTEGER NOT NULL DEFAULT 0")


def _migrate_to_v9(db: sqlite3.Connection) -> None:
    """Version 9 stores a record's epochs (``epochs``) apart from its wall times
    (``wall_times``), after its steps and values in the row, so a chart against steps reads its
    tooltip's epochs without the wall times: every series' levels computed from its chunks."""
    db.execute("DELETE FROM summaries")
    db.execute("ALTER TABLE summaries RENAME COLUMN times TO epochs")
    db.execute("ALTER TABLE summaries RENAME COLUMN times_checksum TO epochs_checksum")
    db.execute("ALTER TABLE summaries ADD COLUMN wall_times BLOB NOT NULL DEFAULT x''")
    db.execute("ALTER TABLE summaries ADD COLUMN wall_times_checksum INTEGER NOT NULL DEFAULT 0")
    for (tag_id,) in db.execute("SELECT id FROM tags").fetchall():
        chunks = db.execute(
            "SELECT first_step, last_step, count, step, epoch, wall_time, value, checksum FROM chunks "
            "WHERE tag_id = ? ORDER BY first_step",
            (tag_id,),
        )
        db.executemany(SUMMARY_INSERT, [(tag_id, level, *row) for level, row in _chunks.summary_rows(chunks)])


# MIGRATIONS[n] takes a database from schema version n to n + 1 (0: an empty file)
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_to_v1,
    _migrate_to_v2,
    _migrate_to_v3,
    _migrate_to_v4,
    _migrate_to_v5,
    _migrate_to_v6,
    _migrate_to_v7,
    _migrate_to_v8,
    _migrate_to_v9,
    lambda db: None,  # version 10 changed how PostgreSQL stores summary rows; SQLite's are as they were
]


def name_runs(db: sqlite3.Connection) -> None:
    """Make every run's display name unique again, after a run was added, renamed or deleted."""
    rows = db.execute("SELECT id, host, path, name, display FROM runs ORDER BY id").fetchall()
    db.executemany("UPDATE runs SET display = ? WHERE id = ?", renamed(rows))
