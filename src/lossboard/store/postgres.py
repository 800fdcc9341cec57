"""The PostgreSQL store: one index shared by a team, filled and read from many machines.

Same tables as the SQLite store (schema in ``docs/store.md``), kept in their own PostgreSQL
schema ``lossboard`` so they never meet another application's tables in a shared database.
Chunks are loaded with ``COPY ... (FORMAT BINARY)`` and read back in binary, so a million-point
series is a few hundred BYTEA rows in one query. `PostgresStore.apply` is one transaction; the
tag row is locked (``FOR UPDATE``) while its chunks are merged, so indexers on different
machines can write different runs at once. `PostgresStore.lock` is a session advisory lock
held on a connection of its own, released when the pass ends or its process dies.

    >>> store = PostgresStore("postgresql://alice@db.example/lossboard")  # doctest: +SKIP
    >>> [run.name for run in store.list_runs("^resnet")]  # doctest: +SKIP
    ['resnet-1', 'resnet-2']

Needs psycopg 3: ``pip install 'lossboard[postgres]'``.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import lossboard
from lossboard.errors import LossboardError, UsageError
from lossboard.model import Event, FileProblem, Media
from lossboard.store import _chunks, _many
from lossboard.store._guard import first_line, guard
from lossboard.store.base import (
    SCHEMA_VERSION,
    Batch,
    RunInfo,
    SeriesData,
    SourceState,
    StoreError,
    StoreUnavailable,
    TagInfo,
    Times,
    one_series,
    run_name_of,
)
from lossboard.store.postgres_schema import LOCK_SPACE, MIGRATIONS, name_runs
from lossboard.store.postgres_series import BLOBS, cut, merge, read, read_whole
from lossboard.store.urls import redact

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError as exc:
    raise ImportError("the PostgreSQL store needs psycopg: pip install 'lossboard[postgres]'") from exc

_SCHEMA = "lossboard"
_CONNECT_TIMEOUT_S = 10
_LOCK_GRACE_MS = 500  # how long a refused lock waits for a holder that was killed

def _explain(store: PostgresStore, error: Exception) -> StoreError:
    """A PostgreSQL error as one line naming the database (never the password) and what to do."""
    reason = redact(first_line(error), store._url)
    if isinstance(error, _chunks.CorruptChunk):
        return StoreError(
            f"the PostgreSQL {store._where}: {reason}: a row was damaged; delete the run's rows or the "
            "schema 'lossboard' and run 'lossboard index' again: the logs are the truth"
        )
    if isinstance(error, psycopg.OperationalError):  # the server went away (restart, network)
        return StoreUnavailable(
            f"lost the connection to the PostgreSQL {store._where} ({reason}); it is reopened at the next try"
        )
    return StoreError(f"the PostgreSQL {store._where} failed: {reason}")


_guarded = guard((psycopg.Error, _chunks.CorruptChunk), _explain)


def describe(url: str) -> str:
    """Where a URL points, for messages: database, host, port and user, never the password.

    >>> describe("postgresql://alice:secret@db.example:5433/team")
    "database 'team' on db.example:5433 as alice"
    """
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise LossboardError(
            f"not a PostgreSQL URL ({redact(str(error).strip(), url)}); expected postgresql://user@host:port/database"
        ) from None
    user = params.get("user")
    dbname = params.get("dbname") or user or "(the user's default)"
    where = f"database {dbname!r} on {params.get('host') or 'localhost'}:{params.get('port') or 5432}"
    return f"{where} as {user}" if user else where


class PostgresStore:
    """An index in a PostgreSQL database, created (or migrated) on first connection.

    ``url`` is a libpq URL, ``postgresql://user:password@host:port/database``; the password
    may also come from ``PGPASSWORD`` or ``~/.pgpass``. ``clock`` gives the wall time stamped
    on each batch (the run's ``updated``).
    """

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        self._url = url
        self._where = describe(url)
        self.host = socket.gethostname()  # a team store: two machines' runs at one path are two runs
        self._clock = clock
        self._connection = self._connect()
        try:
            self._prepare()
        except BaseException:
            self._connection.close()
            raise

    @_guarded
    def _prepare(self) -> None:
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
        self._conn.execute(f"SET search_path TO {_SCHEMA}")
        self._migrate()

    @property
    def _conn(self) -> psycopg.Connection:
        """The connection, opened again if the server dropped it (a restart): the next call
        after an outage works without the caller doing anything."""
        if self._connection.broken or self._connection.closed:
            self._connection.close()
            self._connection = self._connect()
            self._connection.execute(f"SET search_path TO {_SCHEMA}")
        return self._connection

    def _connect(self) -> psycopg.Connection:
        params = conninfo_to_dict(self._url)
        params.setdefault("connect_timeout", _CONNECT_TIMEOUT_S)
        try:
            return psycopg.connect(**params, autocommit=True)
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            reason = redact(reason, self._url)
            if params.get("password"):
                reason = reason.replace(str(params["password"]), "***")
            raise StoreUnavailable(
                f"cannot connect to the PostgreSQL {self._where}: {reason}; "
                "check that the server runs and that the URL (--store) is right"
            ) from None

    def _migrate(self) -> None:
        with self._conn.transaction():
            # one migrator at a time, even across machines
            self._conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext('schema'))", (LOCK_SPACE,))
            exists = self._conn.execute("SELECT to_regclass('schema_version')").fetchone()[0]
            found = (
                self._conn.execute("SELECT version, lossboard FROM schema_version").fetchone()
                if exists
                else None
            )
            version, writer = found or (0, "")
            if version > SCHEMA_VERSION:
                raise LossboardError(
                    f"the lossboard index in the PostgreSQL {self._where} has schema version {version}, "
                    f"written by lossboard {writer}; lossboard {lossboard.__version__} reads up to version "
                    f"{SCHEMA_VERSION}. Upgrade to lossboard {writer} or later "
                    "(pip install -U 'lossboard[postgres]'), or index into another database"
                )
            for migrate in MIGRATIONS[version:]:
                migrate(self._conn)
            if version < SCHEMA_VERSION:
                self._conn.execute(
                    "UPDATE schema_version SET version = %s, lossboard = %s",
                    (SCHEMA_VERSION, lossboard.__version__),
                )

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded
    def drop_everything(self) -> None:
        """Delete every run and its data, keeping the schema: a fresh index, fast (for tests)."""
        self._conn.execute("TRUNCATE runs, sources, tags, chunks, summaries, events, media, problems, meta CASCADE")

    # -- writing ------------------------------------------------------------------------
    @_guarded
    def source_state(self, path: str) -> SourceState | None:
        found = self._source_states(" AND s.path = %s", (path,))
        return found[0] if found else None

    @_guarded
    def sources(self) -> list[SourceState]:
        return self._source_states("", ())

    def _source_states(self, where: str, params: tuple) -> list[SourceState]:
        rows = self._conn.execute(
            'SELECT s.path, r.path, s.format, s.ordinal, s.size, s.inode, s.mtime_ns, s."offset", s.state, r.name'
            f" FROM sources s JOIN runs r ON r.id = s.run_id WHERE s.host = %s{where}"
            " ORDER BY r.path, s.ordinal, s.path",
            (self.host, *params),
        ).fetchall()
        return [
            SourceState(path, run, fmt, ordinal, size, int(inode), mtime, offset, state, name)
            for path, run, fmt, ordinal, size, inode, mtime, offset, state, name in rows
        ]

    @_guarded
    def apply(self, batch: Batch) -> None:
        source = batch.source
        with self._conn.transaction(), self._conn.cursor() as cur:
            run_id = self._run_id(cur, source.run, source.name)
            cur.execute(
                'INSERT INTO sources (host, path, run_id, format, ordinal, size, inode, mtime_ns, "offset", state)'
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (host, path) DO UPDATE SET"
                " run_id = EXCLUDED.run_id, format = EXCLUDED.format, ordinal = EXCLUDED.ordinal,"
                " size = EXCLUDED.size, inode = EXCLUDED.inode, mtime_ns = EXCLUDED.mtime_ns,"
                ' "offset" = EXCLUDED."offset", state = EXCLUDED.state',
                (
                    self.host,
                    source.path,
                    run_id,
                    source.format,
                    source.ordinal,
                    source.size,
                    source.inode,
                    source.mtime_ns,
                    source.offset,
                    source.state,
                ),
            )
            for resume in batch.resumes:
                cut(cur, run_id, resume)
            for columns in batch.columns:
                if len(columns.step):
                    merge(cur, run_id, _chunks.from_columns(columns))
            cur.executemany(
                "INSERT INTO events (run_id, kind, step, epoch, wall_time, text) VALUES (%s, %s, %s, %s, %s, %s)",
                [(run_id, *event) for event in _events(batch)],
            )
            cur.executemany(
                "INSERT INTO media (run_id, kind, tag, step, wall_time, data) VALUES (%s, %s, %s, %s, %s, %s)",
                [(run_id, m.kind, m.tag, m.step, m.wall_time, json.dumps(m.data)) for m in batch.media],
            )
            cur.executemany(
                "INSERT INTO problems (run_id, path, line, message) VALUES (%s, %s, %s, %s)",
                [(run_id, p.path, p.line, p.message) for p in batch.problems],
            )
            cur.executemany(
                "INSERT INTO meta (run_id, key, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value",
                [(run_id, key, value) for key, value in batch.meta.items()],
            )

    def _run_id(self, cur: psycopg.Cursor, path: str, name: str | None, *, stamp: bool = True) -> int:
        """The id of the run at ``path``, created if new and renamed if ``name`` changed (every
        display name then brought up to date); ``stamp``: marked as updated now."""
        found = cur.execute(
            "UPDATE runs SET updated = CASE WHEN %s THEN %s ELSE updated END"
            " WHERE host = %s AND path = %s RETURNING id, name",
            (stamp, self._clock(), self.host, path),
        ).fetchone()
        if found is not None and name in (None, found[1]):
            return found[0]
        if found is None:
            name = name or run_name_of(path)
            run_id = cur.execute(
                "INSERT INTO runs (host, path, name, display, updated) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (host, path) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                (self.host, path, name, name, self._clock() if stamp else 0.0),
            ).fetchone()[0]
        else:
            run_id = found[0]
            cur.execute("UPDATE runs SET name = %s WHERE id = %s", (name, run_id))
        name_runs(cur)
        return run_id

    @_guarded
    def reset_run(self, run: str) -> None:
        with self._conn.transaction(), self._conn.cursor() as cur:
            if cur.execute("DELETE FROM runs WHERE host = %s AND path = %s", (self.host, run)).rowcount:
                name_runs(cur)

    @_guarded
    def set_status(self, run: str, status: str, *, name: str | None = None) -> None:
        with self._conn.transaction(), self._conn.cursor() as cur:
            run_id = self._run_id(cur, run, name, stamp=False)
            cur.execute("UPDATE runs SET status = %s WHERE id = %s", (status, run_id))

    @contextmanager
    @_guarded
    def lock(self, name: str) -> Iterator[bool]:
        """Try to take the named lock on a connection of its own; yields whether it was taken.

        A session advisory lock: it outlives the transactions of `apply` and is released when
        the block ends or when the holder's connection dies (a killed indexer frees it). A lock
        held by another session is waited for briefly (`_LOCK_GRACE_MS`), the time the server
        takes to end the session of a holder killed just before.
        """
        conn = self._connect()
        key = (LOCK_SPACE, name)
        try:
            taken = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()[0]
            if not taken:
                # a killed holder's session ends a moment after its process: wait that moment
                conn.execute(f"SET lock_timeout = {_LOCK_GRACE_MS}")
                try:
                    conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
                    taken = True
                except psycopg.errors.LockNotAvailable:
                    pass
            try:
                yield taken
            finally:
                if taken and not conn.broken:
                    # explicitly: the server ends a closed session a moment later, still holding the lock
                    conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
        finally:
            conn.close()

    # -- reading ------------------------------------------------------------------------
    @_guarded
    def list_runs(self, name_regex: str | None = None) -> list[RunInfo]:
        try:
            pattern = re.compile(name_regex) if name_regex is not None else None
        except re.error as error:
            raise UsageError(f"run name filter {name_regex!r} is not a regular expression: {error}") from None
        runs = self._conn.execute(
            "SELECT r.id, r.display, r.status, r.updated, count(t.id), coalesce(sum(t.points), 0),"
            " min(t.first_step), max(t.last_step), r.path, r.host"
            " FROM runs r LEFT JOIN tags t ON t.run_id = r.id GROUP BY r.id ORDER BY r.display"
        ).fetchall()
        runs = [row for row in runs if pattern is None or pattern.search(row[1])]
        ids = [row[0] for row in runs]
        sources: dict[int, list[tuple[str, str]]] = {run_id: [] for run_id in ids}
        modified: dict[int, float] = {}
        for run_id, path, fmt, mtime_ns in self._conn.execute(
            "SELECT run_id, path, format, mtime_ns FROM sources WHERE run_id = ANY(%s) ORDER BY ordinal, path",
            (ids,),
        ):
            sources[run_id].append((path, fmt))
            modified[run_id] = max(modified.get(run_id, 0.0), mtime_ns / 1e9)
        meta: dict[int, dict[str, str]] = {run_id: {} for run_id in ids}
        for run_id, key, value in self._conn.execute(
            "SELECT run_id, key, value FROM meta WHERE run_id = ANY(%s) ORDER BY key", (ids,)
        ):
            meta[run_id][key] = value
        return [
            RunInfo(
                name,
                tuple(fmt for _, fmt in sources[run_id]),
                tuple(path for path, _ in sources[run_id]),
                meta[run_id],
                status,
                tags,
                int(points),
                first_step,
                last_step,
                updated,
                path,
                host,
                modified.get(run_id),
            )
            for run_id, name, status, updated, tags, points, first_step, last_step, path, host in runs
        ]

    @_guarded
    def runs_held(self, names: Sequence[str]) -> set[str]:
        rows = self._conn.execute("SELECT display FROM runs WHERE display = ANY(%s)", (list(names),))
        return {name for (name,) in rows}

    @_guarded
    def list_tags(self, runs: Sequence[str]) -> list[TagInfo]:
        rows = self._conn.execute(
            "SELECT r.display, t.tag, t.source_tag, t.points, t.first_step, t.last_step, t.last_value"
            " FROM tags t JOIN runs r ON r.id = t.run_id WHERE r.display = ANY(%s)"
            " ORDER BY array_position(%s::text[], r.display), t.tag, t.source_tag",
            (list(runs), list(runs)),
        ).fetchall()
        return [TagInfo(*row) for row in rows]

    @_guarded
    def read_series(
        self,
        run: str,
        tag: str,
        *,
        source_tag: str | None = None,
        step_range: tuple[int, int] | None = None,
        time_range: tuple[float, float] | None = None,
        buckets: int | None = None,
    ) -> SeriesData | None:
        rows = self._conn.execute(
            "SELECT t.id, t.source_tag, t.first_step, t.last_step, t.points FROM tags t JOIN runs r"
            " ON r.id = t.run_id WHERE r.display = %s AND t.tag = %s AND (%s::text IS NULL OR t.source_tag = %s)"
            " ORDER BY t.source_tag",
            (run, tag, source_tag, source_tag),
        ).fetchall()
        if not rows:
            return None
        tag_id, source_tag = one_series(run, tag, [row[:2] for row in rows])
        if buckets is not None and time_range is None:
            with self._conn.cursor(binary=True) as cur:
                found = read(cur, [_many.Found(tag_id, run, tag, source_tag, *rows[0][2:])], step_range, buckets)
            return found[run, tag, source_tag]
        query = f"SELECT {BLOBS} FROM chunks WHERE tag_id = %s"
        params: tuple = (tag_id,)
        if step_range is not None:
            query += " AND last_step >= %s AND first_step <= %s"
            params += tuple(step_range)
        with self._conn.cursor(binary=True) as cur:
            rows = cur.execute(query + " ORDER BY first_step", params).fetchall()
        series = _chunks.decode(tag, source_tag, rows)
        return SeriesData.of(run, tag, source_tag, *_chunks.select(series, step_range, time_range, buckets))

    @_guarded
    def read_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        step_range: tuple[int, int] | None = None,
        buckets: int | None = None,
        times: Times = True,
    ) -> dict[tuple[str, str, str], SeriesData]:
        unique = list(dict.fromkeys(map(tuple, pairs)))
        with self._conn.cursor(binary=True) as cur:
            if step_range is None:  # one round trip
                return read_whole(cur, unique, buckets, times=times)
            found = [
                _many.Found(*row)
                for row in cur.execute(
                    "SELECT t.id, r.display, t.tag, t.source_tag, t.first_step, t.last_step, t.points"
                    " FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS w(run, tag, place)"
                    " JOIN runs r ON r.display = w.run JOIN tags t ON t.run_id = r.id AND t.tag = w.tag"
                    " ORDER BY w.place, t.source_tag",
                    ([run for run, _ in unique], [tag for _, tag in unique]),
                ).fetchall()
            ]
            return read(cur, found, step_range, buckets, times=times)

    @_guarded
    def read_events(self, runs: Sequence[str]) -> Iterator[tuple[str, Event]]:
        rows = self._conn.execute(
            "SELECT r.display, e.kind, e.step, e.epoch, e.wall_time, e.text FROM events e"
            " JOIN runs r ON r.id = e.run_id WHERE r.display = ANY(%s)"
            " ORDER BY array_position(%s::text[], r.display), e.step, e.id",
            (list(runs), list(runs)),
        )
        for name, *event in rows:
            yield name, Event(*event)

    @_guarded
    def read_media(
        self, runs: Sequence[str], tags: Sequence[str] | None = None, *, steps: tuple[int, int] | None = None
    ) -> Iterator[tuple[str, Media]]:
        query = (
            "SELECT r.display, m.kind, m.tag, m.step, m.wall_time, m.data FROM media m"
            " JOIN runs r ON r.id = m.run_id WHERE r.display = ANY(%s) AND m.step BETWEEN %s AND %s"
        )
        params: tuple = (list(runs), *(steps or _many.WHOLE))
        if tags is not None:
            query += " AND m.tag = ANY(%s)"
            params += (list(tags),)
        order = " ORDER BY array_position(%s::text[], r.display), m.tag, m.step, m.id"
        for name, kind, tag, step, wall_time, data in self._conn.execute(
            query + order, (*params, list(runs))
        ):
            yield name, Media(kind, tag, step, wall_time, json.loads(data))

    @_guarded
    def read_problems(self, runs: Sequence[str]) -> Iterator[tuple[str, FileProblem]]:
        rows = self._conn.execute(
            "SELECT r.display, p.path, p.line, p.message FROM problems p"
            " JOIN runs r ON r.id = p.run_id WHERE r.display = ANY(%s)"
            " ORDER BY array_position(%s::text[], r.display), p.id",
            (list(runs), list(runs)),
        )
        for name, *problem in rows:
            yield name, FileProblem(*problem)


def _events(batch: Batch) -> list[Event]:
    """The batch's events to keep: its resumes first, each once even when also listed as an event."""
    return [*batch.resumes, *(event for event in batch.events if event not in batch.resumes)]
