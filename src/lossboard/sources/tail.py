"""Follow log files as they grow: only the new bytes of each file, and notice when one was
truncated, replaced or rewritten, so the caller can start that file over.

A `Tail` keeps a `Cursor` per file (how far it was read, the file's inode, the last bytes
before that point). Each `Tail.poll` looks at the files it is given and yields a `Change` per
new chunk of bytes, or one that says why a file must be read again from the start:

* ``size < offset``: the file was **truncated** (a log rewritten by a restarted job);
* another inode at the same path: the file was **replaced** (rotation, ``mv new old``);
* the bytes before ``offset`` differ from those read: the file was **rewritten** in place
  (truncated and written again past the old size between two polls);
* a path without a cursor is **new** and read from its first byte.

A file that is gone when it is read (saved over through a temporary file, deleted), or is no
longer a regular file, is **removed**: the tail forgets it and never raises for it.

A file that stops growing is reported **idle** once, after ``idle_s`` seconds of the
injected clock: the caller may then flush what the parser still holds (a last line without
its newline). No threads: the caller decides when to poll.

    >>> tail = Tail(max_bytes=4)
    >>> [(c.kind, c.data) for c in tail.poll(["train.log"])]  # doctest: +SKIP
    [('new', b'loss'), ('grown', b'=1\\n')]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from lossboard.errors import InputError
from lossboard.sources.reader import open_regular

NEW = "new"
GROWN = "grown"
TRUNCATED = "truncated"
REPLACED = "replaced"
REWRITTEN = "rewritten"
REMOVED = "removed"
IDLE = "idle"
RESTARTS = frozenset({TRUNCATED, REPLACED, REWRITTEN})  # the file must be read from byte 0

CHECK_BYTES = 64  # kept from before the offset to see an in-place rewrite


class FileStat(NamedTuple):
    size: int
    inode: int
    mtime_ns: int


def stat_file(path: str) -> FileStat | None:
    """Size, inode and mtime of ``path``, or None when it is gone (or cannot be reached)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileStat(st.st_size, st.st_ino, st.st_mtime_ns)


@dataclass
class Cursor:
    """How far one file was read: ``offset`` bytes of the file with ``inode``, ending in ``check``."""

    offset: int = 0
    inode: int | None = None
    check: bytes = b""


class Change(NamedTuple):
    """What `Tail.poll` saw of one file: new bytes at ``offset``, or a reason to start over."""

    path: str
    kind: str
    offset: int = 0
    data: bytes = b""
    stat: FileStat | None = None


class Tail:
    """Cursors over files and a `poll` that yields what is new in them.

    Assumptions: writers append; a file that shrinks, changes inode or changes before the
    offset is a new file under the old name, never a continuation. The cursor moves as each
    chunk is yielded, so a consumer that commits a chunk and is killed restarts from its own
    record (`follow`) rather than from the tail's.
    """

    def __init__(
        self, *, max_bytes: int = 8 << 20, idle_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_bytes = max_bytes
        self.idle_s = idle_s
        self._clock = clock
        self._cursors: dict[str, Cursor] = {}
        self._quiet_since: dict[str, float | None] = {}  # None: idle already reported

    def follow(self, path: str, cursor: Cursor) -> None:
        """Continue ``path`` from ``cursor`` (a position the caller committed earlier)."""
        self._cursors[path] = cursor
        self._quiet_since[path] = self._clock()

    def forget(self, path: str) -> None:
        """Treat ``path`` as new at the next poll."""
        self._cursors.pop(path, None)
        self._quiet_since.pop(path, None)

    def cursor(self, path: str) -> Cursor | None:
        return self._cursors.get(path)

    def poll(self, paths: Iterable[str]) -> Iterator[Change]:
        """Changes of ``paths``, in order, each file read to its current end in chunks."""
        for path in paths:
            yield from self._poll_file(path)

    def _poll_file(self, path: str) -> Iterator[Change]:
        cursor = self._cursors.get(path)
        stat = stat_file(path)
        if stat is None:
            if cursor is not None:
                yield from self._removed(path)
            return
        if cursor is None:
            cursor = self._cursors[path] = Cursor(0, stat.inode)
            kind = NEW
        else:
            try:
                reason = _restart_reason(path, cursor, stat)
            except (OSError, InputError):
                yield from self._removed(path)
                return
            if reason is not None:
                self._cursors[path] = Cursor(0, stat.inode)
                self._quiet_since[path] = self._clock()
                yield Change(path, reason, 0, b"", stat)
                return
            kind = GROWN
        if stat.size == cursor.offset:
            yield from self._idle(path, stat)
            return
        yield from self._read(path, cursor, kind)

    def _removed(self, path: str) -> Iterator[Change]:
        self.forget(path)
        yield Change(path, REMOVED)

    def _read(self, path: str, cursor: Cursor, kind: str) -> Iterator[Change]:
        try:
            file = open_regular(path)
        except (OSError, InputError):  # gone since the stat, or now a FIFO: never block on it
            yield from self._removed(path)
            return
        with file:
            stat = _fstat(file.fileno())
            if stat.inode != cursor.inode:  # replaced between the stat and the open
                self._cursors[path] = Cursor(0, stat.inode)
                yield Change(path, REPLACED, 0, b"", stat)
                return
            file.seek(cursor.offset)
            while True:
                data = file.read(self.max_bytes)
                if not data:
                    break
                offset = cursor.offset
                cursor.check = (cursor.check + data)[-CHECK_BYTES:]
                cursor.offset += len(data)
                self._quiet_since[path] = self._clock()
                yield Change(path, kind, offset, data, _fstat(file.fileno()))
                kind = GROWN

    def _idle(self, path: str, stat: FileStat) -> Iterator[Change]:
        since = self._quiet_since.setdefault(path, self._clock())
        if since is not None and self._clock() - since >= self.idle_s:
            self._quiet_since[path] = None
            yield Change(path, IDLE, stat.size, b"", stat)


def _restart_reason(path: str, cursor: Cursor, stat: FileStat) -> str | None:
    if stat.inode != cursor.inode:
        return REPLACED
    if stat.size < cursor.offset:
        return TRUNCATED
    if cursor.check and _bytes_before(path, cursor.offset, len(cursor.check)) != cursor.check:
        return REWRITTEN
    return None


def _bytes_before(path: str, offset: int, count: int) -> bytes:
    with open_regular(path) as file:
        file.seek(offset - count)
        return file.read(count)


def _fstat(fd: int) -> FileStat:
    st = os.fstat(fd)
    return FileStat(st.st_size, st.st_ino, st.st_mtime_ns)
