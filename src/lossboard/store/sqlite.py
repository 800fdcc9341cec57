"""The embedded store: one SQLite file, zero setup, one writer and many readers in other processes.

The file is in WAL mode, so readers in other processes see the last committed batch while an
indexer writes the next one. Every write is one ``BEGIN IMMEDIATE`` transaction: a batch and
its source's read position commit together or not at all. The schema is docs/store-schema.md;
its version is checked on open: an older file is migrated forward, a newer one refused.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> store = SQLiteStore(":memory:")
    >>> store.list_runs()
    []

The indexing lock (`SQLiteStore.lock`) is a row of the ``locks`` table naming the owner's
host and process id, with a lease its holder renews with every batch it applies. A row is
stale and taken over when its process is gone (same host, pid not running) or when its lease
is older than `LOCK_LEASE_S`, so an indexer killed with SIGKILL never blocks the next one, not
even in a container where its pid now belongs to another process, nor on another host.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import numpy as np

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
from lossboard.store.sqlite_schema import MIGRATIONS, name_runs
from lossboard.store.sqlite_series import cut_run, merge_series, read

_URL_PREFIX = "sqlite://"
_BUSY_TIMEOUT_MS = 30_000  # a reader or the next indexer waits this long for a writer's commit
# a lock whose holder has not renewed it (every batch does) for this long is stale, whatever
# its pid says: in a container a killed indexer's pid is soon another process's
LOCK_LEASE_S = 600.0
_MAX_VARIABLES = 999  # SQLite's smallest default limit of ? in one statement
# a page cache that holds a 1 M-point series (32 MB of chunks): below it, every read of the
# series goes back to the file and takes several times longer; it fills only as pages are read
_CACHE_KIB = 64 * 1024

def _connect(target: str, *, create: bool) -> tuple[sqlite3.Connection, bool]:
    """Open and configure a connection: WAL, synchronous NORMAL, foreign keys, busy timeout;
    and whether it is read-only.

    A reader (``create=False``) of a file it cannot write (a read-only mount, another user's
    index) opens it read-only, and where SQLite cannot even keep its shared-memory file beside
    it, as immutable: readable, never written, never migrated.
    """
    read_only = False
    if target != ":memory:":
        path = Path(target).expanduser()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise LossboardError(f"{path}: no lossboard index here; build one with 'lossboard index LOGDIR'")
        read_only = not create and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        target = str(path)
    try:
        db = _open(target, read_only)
        db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        if not read_only:
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    except sqlite3.Error as error:
        raise LossboardError(f"{target}: cannot open the SQLite index: {error}") from None
    return db, read_only


def _open(target: str, read_only: bool) -> sqlite3.Connection:
    # isolation_level None: transactions are begun explicitly (BEGIN IMMEDIATE), never implicitly
    if not read_only:
        return sqlite3.connect(target, isolation_level=None)
    uri = "file:" + quote(str(Path(target).absolute()))
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # WAL needs its -shm: fails here
        return db
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)


def _explain(store: SQLiteStore, error: Exception) -> StoreError:
    """An SQLite error as one line naming the file and what to do."""
    reason = first_line(error)
    if isinstance(error, _chunks.CorruptChunk):
        return StoreError(
            f"{store.path}: {reason}: the index file was damaged; move it away and run 'lossboard index' "
            "again: the logs are the truth and nothing is lost"
        )
    if isinstance(error, sqlite3.OperationalError) and "locked" in reason:
        return StoreUnavailable(f"{store.path}: the SQLite index is busy ({reason}); try again when the other writer is done")
    if isinstance(error, sqlite3.DatabaseError) and ("malformed" in reason or "not a database" in reason):
        return StoreError(
            f"{store.path}: the SQLite index is damaged ({reason}); move it away and run 'lossboard index' "
            "again: the logs are the truth and nothing is lost"
        )
    if "readonly" in reason or "read-only" in reason:
        return StoreError(f"{store.path}: the SQLite index cannot be written ({reason}); check its permissions and disk")
    return StoreError(f"{store.path}: the SQLite index failed: {reason}")


_guarded = guard((sqlite3.Error, _chunks.CorruptChunk), _explain)


def path_of(url: str | Path) -> str:
    """The file a store URL names: a path, ``sqlite:///abs/path`` or ``:memory:``."""
    text = str(url)
    if text.startswith(_URL_PREFIX):
        text = text[len(_URL_PREFIX) :]
    elif "://" in text:
        raise UsageError(f"{text}: not an SQLite store URL; expected sqlite:///path/to/index.db or a path")
    if not text:
        raise UsageError(f"{url}: the SQLite store URL names no file; expected sqlite:///path/to/index.db")
    return text


class SQLiteStore:
    """The `lossboard.store.base.Store` contract on one SQLite file (or ``":memory:"``)."""

    @_guarded
    def __init__(
        self, path_or_url: str | Path, *, create: bool = True, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path_of(path_or_url)
        self.host = ""  # one machine's file: a run is its path (a team shares PostgreSQL instead)
        self._clock = clock
        self._held: set[str] = set()  # tokens of the locks this store holds, renewed with each batch  # the ``updated`` time of a run
        self._db, self.read_only = _connect(self.path, create=create)
        self._upgrade()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------
    def _upgrade(self) -> None:
        """Refuse a newer schema; migrate an older one forward, one version at a time.

        The version is read first without the write lock, so opening a current index to read
        it never waits for an indexer (nor needs write access).
        """
        version = self._version()
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise LossboardError(
                f"{self.path}: this index has schema version {version} and is read-only here; run "
                f"'lossboard index' once where it can be written to migrate it to version {SCHEMA_VERSION}"
            )
        # a migration that copies a table must not cascade its DROP; SQLite ignores this
        # pragma inside a transaction, so it is set around it, and the keys checked before commit
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            with self._transaction() as db:
                version = self._version()  # again: another process may have migrated meanwhile
                for migrate in MIGRATIONS[version:]:
                    migrate(db)
                if version < SCHEMA_VERSION:
                    db.execute("DELETE FROM schema_version")
                    db.execute(
                        "INSERT INTO schema_version (version, lossboard) VALUES (?, ?)",
                        (SCHEMA_VERSION, lossboard.__version__),
                    )
                broken = db.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise LossboardError(f"{self.path}: migrating the index broke {len(broken)} references; nothing changed")
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _version(self) -> int:
        """The file's schema version (0: none yet); a newer one than this lossboard's is refused."""
        db = self._db
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone():
            return 0
        row = db.execute("SELECT version, lossboard FROM schema_version").fetchone()
        if row is None:
            return 0
        version, writer = row
        if version > SCHEMA_VERSION:
            raise LossboardError(
                f"{self.path}: this index has schema version {version}, written by lossboard "
                f"{writer}; lossboard {lossboard.__version__} reads up to version {SCHEMA_VERSION}. "
                f"Upgrade to lossboard {writer} or later (pip install -U lossboard), or index "
                "into another store"
            )
        return version

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in it sees the same commit, whatever writers do."""
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("COMMIT")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at its start so two writers never deadlock."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------
    @_guarded
    def source_state(self, path: str) -> SourceState | None:
        row = self._db.execute(_SELECT_SOURCES + " AND s.path = ?", (self.host, path)).fetchone()
        return None if row is None else _source_state(row)

    @_guarded
    def sources(self) -> list[SourceState]:
        rows = self._db.execute(_SELECT_SOURCES + " ORDER BY r.path, s.ordinal, s.path", (self.host,))
        return [_source_state(row) for row in rows]

    @_guarded
    def apply(self, batch: Batch) -> None:
        source = batch.source
        with self._transaction() as db:
            run_id = _run_id(db, self.host, source.run, source.name)
            db.execute(
                'INSERT INTO sources (host, path, run_id, format, ordinal, size, inode, mtime_ns, "offset", '
                "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (host, path) DO UPDATE SET run_id = excluded.run_id, "
                "format = excluded.format, ordinal = excluded.ordinal, size = excluded.size, "
                'inode = excluded.inode, mtime_ns = excluded.mtime_ns, "offset" = excluded."offset", '
                "state = excluded.state",
                (self.host, source.path, run_id, source.format, source.ordinal, source.size, _signed(source.inode))
                + (source.mtime_ns, source.offset, source.state),
            )
            for resume in batch.resumes:
                cut_run(db, run_id, resume)
            for columns in batch.columns:
                new = _chunks.from_columns(columns)
                if len(new):
                    merge_series(db, run_id, new)
            events = list(batch.resumes) + [event for event in batch.events if event not in batch.resumes]
            db.executemany(
                "INSERT INTO events (run_id, kind, step, epoch, wall_time, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, e.kind, int(e.step), e.epoch, e.wall_time, e.text) for e in events],
            )
            db.executemany(
                "INSERT INTO media (run_id, kind, tag, step, wall_time, data) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, m.kind, m.tag, int(m.step), m.wall_time, json.dumps(m.data)) for m in batch.media],
            )
            db.executemany(
                "INSERT INTO problems (run_id, path, line, message) VALUES (?, ?, ?, ?)",
                [(run_id, p.path, p.line, p.message) for p in batch.problems],
            )
            db.executemany(
                "INSERT INTO meta (run_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                [(run_id, key, value) for key, value in batch.meta.items()],
            )
            db.execute("UPDATE runs SET updated = ? WHERE id = ?", (self._clock(), run_id))
            for token in self._held:  # every batch renews the lease of the locks held
                db.execute("UPDATE locks SET renewed = ? WHERE token = ?", (self._clock(), token))

    @_guarded
    def reset_run(self, run: str) -> None:
        with self._transaction() as db:
            if db.execute("DELETE FROM runs WHERE host = ? AND path = ?", (self.host, run)).rowcount:
                name_runs(db)

    @_guarded
    def set_status(self, run: str, status: str, *, name: str | None = None) -> None:
        with self._transaction() as db:
            run_id = _run_id(db, self.host, run, name)
            db.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))

    @contextmanager
    @_guarded
    def lock(self, name: str) -> Iterator[bool]:
        """Hold the indexing lock ``name`` for the block; yields False if another live owner has it."""
        token, host, pid = uuid.uuid4().hex, socket.gethostname(), os.getpid()
        with self._transaction() as db:
            row = db.execute("SELECT host, pid, renewed FROM locks WHERE name = ?", (name,)).fetchone()
            taken = (
                row is None
                or (row[0] == host and not _is_running(row[1]))
                or self._clock() - row[2] > LOCK_LEASE_S  # its holder stopped renewing: gone
            )
            if taken:
                now = self._clock()
                db.execute(
                    "INSERT OR REPLACE INTO locks (name, token, host, pid, acquired, renewed) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, token, host, pid, now, now),
                )
                self._held.add(token)
        try:
            yield taken
        finally:
            if taken:
                self._held.discard(token)
                with self._transaction() as db:
                    db.execute("DELETE FROM locks WHERE name = ? AND token = ?", (name, token))

    # -- reading ------------------------------------------------------------------------
    @_guarded
    def list_runs(self, name_regex: str | None = None) -> list[RunInfo]:
        pattern = _compile(name_regex)
        with self._snapshot() as db:
            rows = db.execute(
                "SELECT r.id, r.display, r.status, r.updated, COUNT(t.id), COALESCE(SUM(t.points), 0), "
                "MIN(t.first_step), MAX(t.last_step), r.path, r.host FROM runs r "
                "LEFT JOIN tags t ON t.run_id = r.id GROUP BY r.id ORDER BY r.display"
            ).fetchall()
            rows = [row for row in rows if pattern is None or pattern.search(row[1])]
            sources: dict[int, list[tuple[str, str]]] = {row[0]: [] for row in rows}
            modified: dict[int, float] = {}
            meta: dict[int, dict[str, str]] = {row[0]: {} for row in rows}
            for run_id, path, fmt, mtime_ns in db.execute(
                "SELECT run_id, path, format, mtime_ns FROM sources ORDER BY ordinal, path"
            ):
                if run_id in sources:
                    sources[run_id].append((path, fmt))
                    modified[run_id] = max(modified.get(run_id, 0.0), mtime_ns / 1e9)
            for run_id, key, value in db.execute("SELECT run_id, key, value FROM meta ORDER BY key"):
                if run_id in meta:
                    meta[run_id][key] = value
        return [
            RunInfo(
                name=name,
                formats=tuple(fmt for _, fmt in sources[run_id]),
                sources=tuple(path for path, _ in sources[run_id]),
                meta=meta[run_id],
                status=status,
                tags=tags,
                points=points,
                first_step=first,
                last_step=last,
                updated=updated,
                path=path,
                host=host,
                modified=modified.get(run_id),
            )
            for run_id, name, status, updated, tags, points, first, last, path, host in rows
        ]

    @_guarded
    def runs_held(self, names: Sequence[str]) -> set[str]:
        rows = self._db.execute(
            "SELECT display FROM runs WHERE display IN (SELECT value FROM json_each(?))", (json.dumps(list(names)),)
        )
        return {name for (name,) in rows}

    @_guarded
    def list_tags(self, runs: Sequence[str]) -> list[TagInfo]:
        found: dict[str, list[TagInfo]] = {}
        for names in _batched(list(dict.fromkeys(runs))):
            marks = ", ".join("?" * len(names))
            rows = self._db.execute(
                "SELECT r.display, t.tag, t.source_tag, t.points, t.first_step, t.last_step, t.last_value "
                f"FROM tags t JOIN runs r ON r.id = t.run_id WHERE r.display IN ({marks}) "
                "ORDER BY t.tag, t.source_tag",
                names,
            )
            for run, tag, source_tag, points, first, last, last_value in rows:
                value = np.nan if last_value is None else last_value  # SQLite keeps NaN as NULL
                found.setdefault(run, []).append(TagInfo(run, tag, source_tag, points, first, last, value))
        return [info for run in dict.fromkeys(runs) for info in found.get(run, [])]

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
        with self._snapshot() as db:
            rows = db.execute(
                "SELECT t.id, t.source_tag, t.first_step, t.last_step, t.points FROM tags t JOIN runs r "
                "ON r.id = t.run_id WHERE r.display = ?1 AND t.tag = ?2 AND (?3 IS NULL OR t.source_tag = ?3) "
                "ORDER BY t.source_tag",
                (run, tag, source_tag),
            ).fetchall()
            if not rows:
                return None
            tag_id, source_tag = one_series(run, tag, [row[:2] for row in rows])
            if buckets is not None and time_range is None:
                found = _many.Found(tag_id, run, tag, source_tag, *rows[0][2:])
                return read(db, [found], step_range, buckets)[run, tag, source_tag]
            lo, hi = step_range if step_range is not None else _many.WHOLE
            blobs = db.execute(
                "SELECT step, epoch, wall_time, value, checksum FROM chunks "
                "WHERE tag_id = ? AND last_step >= ? AND first_step <= ? ORDER BY first_step",
                (tag_id, lo, hi),
            )
            kept, total = _chunks.select(_chunks.decode(tag, source_tag, blobs), step_range, time_range, buckets)
        return SeriesData.of(run, tag, source_tag, kept, total)

    @_guarded
    def read_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        step_range: tuple[int, int] | None = None,
        buckets: int | None = None,
        times: Times = True,
    ) -> dict[tuple[str, str, str], SeriesData]:
        with self._snapshot() as db:
            found = [
                _many.Found(*row)
                for row in db.execute(
                    "SELECT t.id, r.display, t.tag, t.source_tag, t.first_step, t.last_step, t.points FROM json_each(?) w "
                    "JOIN runs r ON r.display = w.value ->> 0 JOIN tags t ON t.run_id = r.id AND t.tag = w.value ->> 1 "
                    "ORDER BY w.key, t.source_tag",
                    (json.dumps([list(pair) for pair in dict.fromkeys(map(tuple, pairs))]),),
                )
            ]
            return read(db, found, step_range, buckets, times=times)

    @_guarded
    def read_events(self, runs: Sequence[str]) -> Iterator[tuple[str, Event]]:
        for run in dict.fromkeys(runs):
            rows = self._db.execute(
                "SELECT e.kind, e.step, e.epoch, e.wall_time, e.text "
                "FROM events e JOIN runs r ON r.id = e.run_id "
                "WHERE r.display = ? ORDER BY e.step, e.id",
                (run,),
            ).fetchall()
            for row in rows:
                yield run, Event(*row)

    @_guarded
    def read_media(
        self, runs: Sequence[str], tags: Sequence[str] | None = None, *, steps: tuple[int, int] | None = None
    ) -> Iterator[tuple[str, Media]]:
        lo, hi = steps or _many.WHOLE
        for run in dict.fromkeys(runs):
            rows = self._db.execute(
                "SELECT m.kind, m.tag, m.step, m.wall_time, m.data "
                "FROM media m JOIN runs r ON r.id = m.run_id "
                "WHERE r.display = ?1 AND (?2 IS NULL OR m.tag IN (SELECT value FROM json_each(?2))) "
                "AND m.step BETWEEN ?3 AND ?4 ORDER BY m.tag, m.step, m.id",
                (run, None if tags is None else json.dumps(list(tags)), lo, hi),
            ).fetchall()
            for kind, media_tag, step, wall_time, data in rows:
                yield run, Media(kind, media_tag, step, wall_time, json.loads(data))

    @_guarded
    def read_problems(self, runs: Sequence[str]) -> Iterator[tuple[str, FileProblem]]:
        """The problems indexing met in ``runs``' files, in the order they were found."""
        for run in dict.fromkeys(runs):
            rows = self._db.execute(
                "SELECT p.path, p.line, p.message FROM problems p JOIN runs r ON r.id = p.run_id "
                "WHERE r.display = ? ORDER BY p.id",
                (run,),
            ).fetchall()
            for row in rows:
                yield run, FileProblem(*row)


_SELECT_SOURCES = (
    'SELECT s.path, r.path, s.format, s.ordinal, s.size, s.inode, s.mtime_ns, s."offset", s.state, r.name '
    "FROM sources s JOIN runs r ON r.id = s.run_id WHERE s.host = ?"
)


def _signed(inode: int) -> int:
    """An inode as SQLite's signed 64-bit INTEGER: some file systems use all 64 bits."""
    return inode - 2**64 if inode >= 2**63 else inode


def _source_state(row: tuple) -> SourceState:
    path, run, fmt, ordinal, size, inode, mtime_ns, offset, state, name = row
    return SourceState(path, run, fmt, ordinal, size, inode % 2**64, mtime_ns, offset, state, name)


def _run_id(db: sqlite3.Connection, host: str, path: str, name: str | None) -> int:
    """The id of the run at ``path``, created if new and renamed if ``name`` changed; every
    display name is brought up to date when either happens."""
    row = db.execute("SELECT id, name FROM runs WHERE host = ? AND path = ?", (host, path)).fetchone()
    if row is not None and name in (None, row[1]):
        return row[0]
    if row is None:
        name = name or run_name_of(path)
        run_id = db.execute(
            "INSERT INTO runs (host, path, name, display) VALUES (?, ?, ?, ?)", (host, path, name, name)
        ).lastrowid
    else:
        run_id = row[0]
        db.execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))
    name_runs(db)
    return run_id


def _compile(name_regex: str | None) -> re.Pattern[str] | None:
    if name_regex is None:
        return None
    try:
        return re.compile(name_regex)
    except re.error as error:
        raise UsageError(f"run name filter {name_regex!r} is not a regular expression: {error}") from None


def _batched(items: list[str], size: int = _MAX_VARIABLES) -> Iterator[list[str]]:
    """Slices short enough to bind as ``?`` parameters of one statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
