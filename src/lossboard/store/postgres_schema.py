"""The PostgreSQL store's tables (schema ``lossboard``), and the migrations that bring an older
database to the current schema.

docs/store-schema.md describes the tables; `MIGRATIONS` holds one function per version step,
run by `lossboard.store.postgres.PostgresStore` in one transaction under an advisory lock.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import psycopg

from lossboard.store import _chunks, postgres_series
from lossboard.store.names import renamed

LOCK_SPACE = 0x6C6F7373  # "loss": the first key of every lossboard advisory lock

_SCHEMA_V1 = """
    CREATE TABLE schema_version (version integer NOT NULL, lossboard text NOT NULL);
    CREATE TABLE runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'unknown',
        updated double precision NOT NULL DEFAULT 0
    );
    CREATE TABLE sources (
        path text PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        format text NOT NULL,
        ordinal integer NOT NULL,
        size bigint NOT NULL,
        inode numeric NOT NULL,
        mtime_ns bigint NOT NULL,
        "offset" bigint NOT NULL,
        state bytea
    );
    CREATE INDEX sources_run ON sources (run_id, ordinal);
    CREATE TABLE tags (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        tag text NOT NULL,
        source_tag text NOT NULL,
        points bigint NOT NULL DEFAULT 0,
        first_step bigint,
        last_step bigint,
        last_value double precision,
        UNIQUE (run_id, tag)
    );
    CREATE TABLE chunks (
        tag_id bigint NOT NULL REFERENCES tags ON DELETE CASCADE,
        first_step bigint NOT NULL,
        last_step bigint NOT NULL,
        count integer NOT NULL,
        value_min double precision,
        value_max double precision,
        step bytea NOT NULL,
        epoch bytea NOT NULL,
        wall_time bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (tag_id, first_step)
    );
    -- raw float bytes hardly compress; skipping pglz makes both writing and reading faster
    ALTER TABLE chunks ALTER step SET STORAGE EXTERNAL, ALTER epoch SET STORAGE EXTERNAL,
        ALTER wall_time SET STORAGE EXTERNAL, ALTER value SET STORAGE EXTERNAL;
    CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        kind text NOT NULL,
        step bigint NOT NULL,
        epoch double precision,
        wall_time double precision,
        text text NOT NULL
    );
    CREATE INDEX events_run ON events (run_id, id);
    CREATE TABLE media (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        kind text NOT NULL,
        tag text NOT NULL,
        step bigint NOT NULL,
        wall_time double precision,
        data text NOT NULL
    );
    CREATE INDEX media_run ON media (run_id, id);
    CREATE TABLE problems (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        path text NOT NULL,
        line integer NOT NULL,
        message text NOT NULL
    );
    CREATE INDEX problems_run ON problems (run_id, id);
    CREATE TABLE meta (
        run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
        key text NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    INSERT INTO schema_version VALUES (0, '');
"""
def _migrate_to_v2(conn: psycopg.Connection) -> None:
    """Version 2 added each chunk's block M4 (``chunk_blocks``); version 6 replaced it with the
    summary levels, so the table is made and left empty on the way."""
    conn.execute(
        "CREATE TABLE chunk_blocks (tag_id bigint NOT NULL, first_step bigint NOT NULL, points bytea NOT NULL,"
        " PRIMARY KEY (tag_id, first_step),"
        " FOREIGN KEY (tag_id, first_step) REFERENCES chunks ON DELETE CASCADE)"
    )


# MIGRATIONS[v] brings a database from schema version v to v + 1; an empty database is version 0
MIGRATIONS: tuple[Callable[[psycopg.Connection], object], ...] = (
    lambda conn: conn.execute(_SCHEMA_V1),
    _migrate_to_v2,
    # version 3 saves parser states as JSON: pickled ones are dropped unread, their files read again
    lambda conn: conn.execute("UPDATE sources SET state = NULL"),
    lambda conn: _migrate_to_v4(conn),
    lambda conn: _migrate_to_v5(conn),
    lambda conn: _migrate_to_v6(conn),
    # version 7 stored records without their NaN point; version 8 changed their layout again and computes them
    lambda conn: conn.execute("DELETE FROM summaries"),
    lambda conn: _migrate_to_v8(conn),
    lambda conn: _migrate_to_v9(conn),
    lambda conn: _migrate_to_v10(conn),
)


def _migrate_to_v4(conn: psycopg.Connection) -> None:
    """Version 4 keys runs by (host, path) and series by source tag.

    An existing run's path is its first file, and its host the machine that migrates: no run
    is lost; a run whose path the indexer now derives otherwise is read again.
    """
    host = socket.gethostname()
    conn.execute("ALTER TABLE runs ADD COLUMN host text NOT NULL DEFAULT '', ADD COLUMN path text, ADD COLUMN display text")
    conn.execute(
        "UPDATE runs SET host = %s, display = name, path = coalesce((SELECT s.path FROM sources s"
        " WHERE s.run_id = runs.id ORDER BY s.ordinal LIMIT 1), name)",
        (host,),
    )
    conn.execute(
        "ALTER TABLE runs ALTER path SET NOT NULL, ALTER display SET NOT NULL, DROP CONSTRAINT runs_name_key,"
        " ADD UNIQUE (host, path);"
        " CREATE INDEX runs_display ON runs (display);"
        " ALTER TABLE sources ADD COLUMN host text NOT NULL DEFAULT '';"
        " ALTER TABLE tags DROP CONSTRAINT tags_run_id_tag_key, ADD UNIQUE (run_id, tag, source_tag)"
    )
    conn.execute("UPDATE sources SET host = %s", (host,))
    conn.execute("ALTER TABLE sources DROP CONSTRAINT sources_pkey, ADD PRIMARY KEY (host, path)")
    # a checksum per chunk and per block M4, so damaged bytes are detected, never read as data
    conn.execute(
        "ALTER TABLE chunks ADD COLUMN checksum bigint NOT NULL DEFAULT 0;"
        " ALTER TABLE chunk_blocks ADD COLUMN checksum bigint NOT NULL DEFAULT 0"
    )
    for table, columns in (("chunks", "step, epoch, wall_time, value"), ("chunk_blocks", "points")):
        with conn.cursor(binary=True) as read:
            rows = read.execute(f"SELECT tag_id, first_step, {columns} FROM {table}").fetchall()
        conn.cursor().executemany(
            f"UPDATE {table} SET checksum = %s WHERE tag_id = %s AND first_step = %s",
            [(_chunks.checksum(*blobs), tag_id, first) for tag_id, first, *blobs in rows],
        )
    name_runs(conn)


def _migrate_to_v5(conn: psycopg.Connection) -> None:
    """Version 5 added the summary table; version 6 fills it."""
    conn.execute(
        "CREATE TABLE summaries (tag_id bigint NOT NULL, level smallint NOT NULL, first_step bigint NOT NULL,"
        " last_step bigint NOT NULL, count integer NOT NULL, points bytea NOT NULL, checksum bigint NOT NULL,"
        " PRIMARY KEY (tag_id, level, first_step),"
        " FOREIGN KEY (tag_id, first_step) REFERENCES chunks ON DELETE CASCADE);"
        " CREATE INDEX summaries_chunk ON summaries (tag_id, first_step)"
    )


def _migrate_to_v6(conn: psycopg.Connection) -> None:
    """Version 6 kept summary records (`lossboard.store._levels`) in place of the block M4 and
    the two M4 levels; version 7 changed their layout and computes them, so none are made here."""
    # records are read far more often than written: stored as they are, never compressed; media
    # are found by tag and step (one image of a slider), not by reading every record of a run
    conn.execute(
        "DROP TABLE chunk_blocks; DELETE FROM summaries; ALTER TABLE summaries ALTER points SET STORAGE EXTERNAL;"
        " CREATE INDEX media_tag_step ON media (run_id, tag, step)"
    )


def _migrate_to_v8(conn: psycopg.Connection) -> None:
    """Version 8 stored a record's steps and values apart from its epochs and wall times (in
    ``times``); version 9 stores those two apart as well and computes the levels. Version 7
    (records without their NaN point, a factor of 2 between levels) left its levels to it."""
    conn.execute(
        "DELETE FROM summaries; ALTER TABLE summaries ADD COLUMN times bytea NOT NULL DEFAULT '',"
        " ADD COLUMN times_checksum bigint NOT NULL DEFAULT 0, ALTER times SET STORAGE EXTERNAL"
    )


def _migrate_to_v9(conn: psycopg.Connection) -> None:
    """Version 9 stores a record's epochs (``epochs``) apart from its wall times
    (``wall_times``), both out of line as the records are, so a chart against steps reads its
    tooltip's epochs without the wall times: every series' levels computed from its chunks."""
    conn.execute(
        "DELETE FROM summaries; ALTER TABLE summaries RENAME COLUMN times TO epochs;"
        " ALTER TABLE summaries RENAME COLUMN times_checksum TO epochs_checksum;"
        " ALTER TABLE summaries ADD COLUMN wall_times bytea NOT NULL DEFAULT '',"
        " ADD COLUMN wall_times_checksum bigint NOT NULL DEFAULT 0, ALTER wall_times SET STORAGE EXTERNAL"
    )
    for (tag_id,) in conn.execute("SELECT id FROM tags ORDER BY id").fetchall():
        with conn.cursor(binary=True) as read:
            chunks = read.execute(
                "SELECT first_step, last_step, count, step, epoch, wall_time, value, checksum FROM chunks"
                " WHERE tag_id = %s ORDER BY first_step",
                (tag_id,),
            ).fetchall()
        postgres_series.write_summaries(conn.cursor(), tag_id, _chunks.summary_rows(chunks))


# the largest row PostgreSQL keeps whole in its table (8 KB pages); rows above it are moved out
# of line (TOAST) from their largest blob on, each fetched by a lookup of its own
INLINE_ROW_BYTES = 8160


def _migrate_to_v10(conn: psycopg.Connection) -> None:
    """Version 10 keeps a summary row of up to `INLINE_ROW_BYTES` in the table: a long series'
    coarse rows (32 records: 4.4 KB) were each moved out of line (past 2 KB), so a 16 M-point read
    made 123 out-of-line fetches. Rows that now fit are written again, as fresh values (a row
    updated to the same blob keeps its out-of-line copy)."""
    conn.execute(
        f"ALTER TABLE summaries SET (toast_tuple_target = {INLINE_ROW_BYTES});"
        " UPDATE summaries SET points = points || ''::bytea, epochs = epochs || ''::bytea,"
        " wall_times = wall_times || ''::bytea"
        f" WHERE octet_length(points) + octet_length(epochs) + octet_length(wall_times) < {INLINE_ROW_BYTES - 100}"
    )


def name_runs(conn: psycopg.Connection | psycopg.Cursor) -> None:
    """Make every run's display name unique again, after a run was added, renamed or deleted;
    one transaction at a time (the lock), so two machines adding runs see each other's."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext('run names'))", (LOCK_SPACE,))
    rows = conn.execute("SELECT id, host, path, name, display FROM runs ORDER BY id").fetchall()
    changes = renamed(rows)
    if changes:
        cursor = conn if isinstance(conn, psycopg.Cursor) else conn.cursor()
        cursor.executemany("UPDATE runs SET display = %s WHERE id = %s", changes)
