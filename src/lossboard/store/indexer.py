"""Fill a store from log directories, parsing only what is new since the last pass.

Files are grouped into runs exactly as `lossboard.load` groups them (`lossboard.sources.logdir`).
For each file the store keeps a `SourceState`: how far it was read and the parser (with the
UTF-8 decoder's state) to continue from there, saved as plain data (`parser_state`: never
pickle, so a row of the store can never run code). A state that cannot be read back (another
version's, damaged, planted) is never trusted: the file's run is read again from its start,
with a problem saying so. A pass compares each file with it:

* unchanged: skipped; grown: parsed from the stored offset with the stored parser;
* truncated, replaced or rewritten (`lossboard.sources.tail`), an earlier file of a stitched
  run grown, files of the run added before others or gone, the run renamed: the run is
  reset and indexed again from its files;
* new: indexed; a new later file of a stitched run is a resume at its first point, the event
  `lossboard.sources.stitch.resume_point` infers (event files and ``lossboard run``
  directories are merged without inferred resumes, as `stitch` does).

Every batch (at most ``batch_bytes`` read or ``max_points`` points) is committed with its new
position in one `Store.apply`, so an indexer killed at any moment restarts where the last
commit left it. An unfinished last line waits in the stored parser; it is flushed when the
pass is final (`index_paths`) or the file has been idle for ``idle_s`` in `Indexer.watch`, and
such a file, if it grows after all, is indexed again with its run.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> summary = index_paths(SQLiteStore(":memory:"), ["logs/"])  # doctest: +SKIP
    >>> print(summary)  # doctest: +SKIP
    indexed 3 runs: 5 files read, 12.0 MB, 410,220 points
"""

from __future__ import annotations

import codecs
import copy
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from lossboard.errors import InputError, UnknownFormatError
from lossboard.model import RESUME, Columns, FileProblem, Item, Point
from lossboard.sources import logdir, tail
from lossboard.sources.collect import RunCollector
from lossboard.sources.detect import HEAD_BYTES
from lossboard.sources.formats import FORMATS
from lossboard.sources.reader import open_regular, resolve_format
from lossboard.sources.rundir import logged_format, run_info, run_meta
from lossboard.sources.stitch import _CONCURRENT_FORMATS, resume_point
from lossboard.store import base, parser_state

LOCK = "lossboard-index"
FEED_BYTES = 1 << 20  # bytes handed to a parser at once, as the reader does
# The store's own files, should a user put it beside the logs: never logs.


class _Found(NamedTuple):
    """A log file and its format: what `logdir` groups into runs."""

    path: str
    format: str


@dataclass
class _Plan:
    """One run of this pass: its name, its files in stitch order, its ``run.json``."""

    name: str
    members: list[_Found]
    info: dict | None

    @property
    def concurrent(self) -> bool:
        """Files written side by side (event files, ``lossboard run``): none resumes another."""
        return self.info is not None or any(m.format in _CONCURRENT_FORMATS for m in self.members)

    @property
    def path(self) -> str:
        """Where the run lives, its identity in the store: the directory of files written side
        by side, else the first file (a directory may hold several stitched or single-file runs)."""
        first = self.members[0].path
        return str(Path(first).parent) if self.concurrent else first


@dataclass
class _Source:
    """A file being indexed: its parser, decoder and what the store knows of it."""

    found: _Found
    ordinal: int
    parser: Any
    decoder: Any  # codecs incremental decoder; None for binary formats and parsers fed bytes
    needs_resume: bool  # a later file of a stitched run whose resume is not emitted yet
    closed: bool = False  # the parser was closed: more bytes mean reading it again

    def feed(self, data: bytes) -> list[Item]:
        """The parser fed ``data`` as `reader.parse_file` feeds it: decoded text, or the bytes
        themselves for binary formats and parsers with ``feed_bytes`` (tables: no decode)."""
        if self.decoder is not None:
            return self.parser.feed(self.decoder.decode(data))
        return getattr(self.parser, "feed_bytes", self.parser.feed)(data)


@dataclass
class Summary:
    """What one pass did, for the one line `lossboard index` prints per pass."""

    runs: int = 0
    files_read: int = 0
    bytes_read: int = 0
    points: int = 0
    reset: list[str] = field(default_factory=list)  # runs indexed again from their files
    failures: list[InputError] = field(default_factory=list)  # files that are not logs
    locked: bool = False  # another indexer holds the store: nothing was done

    def __str__(self) -> str:
        if self.locked:
            return "another indexer is writing to this store; nothing done"
        text = (
            f"indexed {_count_of(self.runs, 'run')}: {_count_of(self.files_read, 'file')} read, "
            f"{self.bytes_read / 1e6:.1f} MB, {_count_of(self.points, 'point')}"
        )
        if self.reset:
            text += f"; re-indexed {', '.join(self.reset)}"
        if self.failures:
            text += f"; {_count_of(len(self.failures), 'file')} skipped"
        return text


def _count_of(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


class _Restart(Exception):
    """A file of the run changed under us: reset the run and read all its files again."""


def index_paths(store: base.Store, paths: Sequence[str | Path], **options: Any) -> Summary:
    """Index the logs at ``paths`` into ``store`` once, to the end of every file.

    Options are those of `Indexer`.
    """
    return Indexer(store, paths, **options).run_pass(final=True)


class Indexer:
    """Indexes ``paths`` into ``store``, one `run_pass` at a time; keeps parsers between passes."""

    def __init__(
        self,
        store: base.Store,
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        batch_bytes: int = 8 << 20,
        max_points: int = 1_000_000,
        idle_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[Summary, int], None] | None = None,
    ) -> None:
        self.store = store
        # called after each run of a pass with what the pass has committed so far and how many
        # runs it has: a progress bar; `summary` is that same object, for an interrupted pass
        self.progress = progress
        self.summary = Summary()
        self.paths = [Path(p).absolute() for p in paths]
        self.format = format
        self.max_points = max_points
        self._clock = clock
        self._idle_s = idle_s
        self._tail = tail.Tail(max_bytes=batch_bytes, idle_s=idle_s, clock=clock)
        self._live: dict[str, _Source] = {}
        self._notes: dict[str, FileProblem] = {}  # by path: said with the file's next batch

    def watch(
        self,
        *,
        interval_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        passes: int | None = None,
        report: Callable[[Summary], None] = print,
        say: Callable[[str], None] = print,
        max_backoff_s: float = 60.0,
    ) -> None:
        """Index, wait ``interval_s``, index what changed, and so on (``passes`` times, or until
        interrupted). Files idle for ``idle_s`` get their last unfinished line flushed.

        A store that cannot be reached (`base.StoreUnavailable`: a PostgreSQL server restarting)
        is said once, then tried again after a wait that doubles up to ``max_backoff_s``; what
        was committed stays, and each file goes on from its last committed position.
        """
        done, backoff_s, down = 0, interval_s, False
        while passes is None or done < passes:
            started = self._clock()
            try:
                report(self.run_pass(final=False))
                wait_s, backoff_s, down = interval_s, interval_s, False
            except base.StoreUnavailable as error:
                if not down:
                    say(f"{error}; trying again every {max_backoff_s:g} s at most")
                wait_s, backoff_s, down = backoff_s, min(max_backoff_s, 2 * backoff_s), True
            done += 1
            if passes is None or done < passes:
                sleep(max(0.0, wait_s - (self._clock() - started)))

    def run_pass(self, *, final: bool) -> Summary:
        """Index what changed since the last pass; ``final`` flushes every parser's last line."""
        summary = self.summary = Summary()
        with self.store.lock(LOCK) as taken:
            if not taken:
                summary.locked = True
                return summary
            stored = {s.path: s for s in self.store.sources()}
            plans, failures = _plan(self.paths, self.format, stored)
            summary.failures = failures if final else [f for f in failures if not self._just_started(f)]
            for plan in plans:
                self._index_run(plan, stored, summary, final=final)
                summary.runs += 1
                if self.progress is not None:
                    self.progress(summary, len(plans))
        return summary

    def _just_started(self, failure: InputError) -> bool:
        """A file no format recognises yet while it is short and still growing: a run that has
        just started. Watching waits quietly for more text instead of calling it unknown."""
        if not isinstance(failure, UnknownFormatError):
            return False
        try:
            stat = os.stat(failure.path)
        except OSError:
            return False
        return stat.st_size < HEAD_BYTES and time.time() - stat.st_mtime < self._idle_s

    # -- one run ----------------------------------------------------------------------------
    def _index_run(
        self, plan: _Plan, stored: dict[str, base.SourceState], summary: Summary, *, final: bool
    ) -> None:
        if not self._resume_run(plan, stored):
            self._reset(plan, stored, summary)
        try:
            self._read_run(plan, summary, final=final)
        except _Restart:
            self._reset(plan, stored, summary)
            try:
                self._read_run(plan, summary, final=final)
            except _Restart:
                pass  # changed again while being read: what is committed is consistent; next pass
        status = plan.info.get("status") if plan.info else None
        if isinstance(status, str):
            self.store.set_status(plan.path, status, name=plan.name)

    def _resume_run(self, plan: _Plan, stored: dict[str, base.SourceState]) -> bool:
        """Set up each file's parser and cursor from the store; False if the run must start over."""
        runs = {plan.path} | {stored[m.path].run for m in plan.members if m.path in stored}
        ours = [s for s in stored.values() if s.run in runs]
        paths = [m.path for m in plan.members]
        if any(s.run != plan.path or s.path not in paths or paths.index(s.path) != s.ordinal for s in ours):
            return False  # regrouped, reordered, or a file gone
        last = max((s.ordinal for s in ours), default=-1)
        for ordinal, found in enumerate(plan.members):
            state = stored.get(found.path)
            if state is None:
                self._tail.forget(found.path)
                self._live.pop(found.path, None)
                continue
            now = tail.stat_file(found.path)
            changed = now is None or (now.size, now.inode, now.mtime_ns) != (
                state.size,
                state.inode,
                state.mtime_ns,
            )
            if changed and ordinal < last and not plan.concurrent:
                return False  # an earlier file of a stitched run changed
            if not self._restore(found, ordinal, state):
                return False
        return True

    def _restore(self, found: _Found, ordinal: int, state: base.SourceState) -> bool:
        """The file's parser as the store left it: the live one if still in step, else loaded from its saved state."""
        live = self._live.get(found.path)
        cursor = self._tail.cursor(found.path)
        if (
            live is not None
            and cursor is not None
            and cursor.offset == state.offset
            and cursor.inode == state.inode
        ):
            return True
        if state.state is None:  # the parser could not be saved: read the run again
            self._tail.forget(found.path)
            self._live.pop(found.path, None)
            return state.offset == 0
        try:
            saved = parser_state.load(state.state, found.format)
        except parser_state.OtherParsers:
            return False  # saved before an upgrade: read the file again, nothing is wrong with it
        except parser_state.StateError as error:
            self._notes[found.path] = FileProblem(
                found.path, 0, f"the index's saved parser state cannot be used ({error}); file read again from its start"
            )
            return False
        decoder = _decoder(found.format, saved.parser)
        if decoder is not None and saved.decoder is not None:
            decoder.setstate(saved.decoder)
        elif decoder is None and saved.decoder is not None and saved.decoder[0]:
            return False  # bytes of a character held by the decoder of an older indexer: read again
        self._live[found.path] = _Source(found, ordinal, saved.parser, decoder, saved.needs_resume, saved.closed)
        self._tail.follow(found.path, tail.Cursor(state.offset, state.inode, saved.check))
        return True

    def _reset(self, plan: _Plan, stored: dict[str, base.SourceState], summary: Summary) -> None:
        runs = {plan.path} | {stored[m.path].run for m in plan.members if m.path in stored}
        for run in sorted(runs):
            self.store.reset_run(run)
        for found in plan.members:
            self._tail.forget(found.path)
            self._live.pop(found.path, None)
            stored.pop(found.path, None)
        summary.reset.append(plan.name)

    def _read_run(self, plan: _Plan, summary: Summary, *, final: bool) -> None:
        for ordinal, found in enumerate(plan.members):
            source = self._live.get(found.path)
            if source is None:
                parser = FORMATS[found.format].Parser()
                source = self._live[found.path] = _Source(
                    found,
                    ordinal,
                    parser,
                    _decoder(found.format, parser),
                    needs_resume=ordinal > 0 and not plan.concurrent and self._has_points(plan.path),
                )
            finish, read = final, False
            for change in self._tail.poll([found.path]):
                if change.kind in tail.RESTARTS or (source.closed and change.kind == tail.GROWN):
                    raise _Restart(change.kind)
                if change.kind == tail.IDLE:
                    finish = True
                elif change.data:
                    read = True
                    self._feed(plan, source, change, summary)
            summary.files_read += read
            if finish and not source.closed:
                self._finish(plan, source, summary)

    def _has_points(self, run: str) -> bool:
        """Whether the run at path ``run`` holds points: a new later file then resumes it."""
        host = self.store.host
        return any(info.points for info in self.store.list_runs() if (info.host, info.path) == (host, run))

    # -- batches ----------------------------------------------------------------------------
    def _feed(self, plan: _Plan, source: _Source, change: tail.Change, summary: Summary) -> None:
        """Parse one chunk the tail read, committing a batch per ``max_points`` points."""
        collector, points = RunCollector(source.found.path), 0
        data, fed = change.data, 0
        while fed < len(data):
            piece = data[fed : fed + FEED_BYTES]
            fed += len(piece)
            items = source.feed(piece)
            collector.add(items)
            points += _count(items)
            if points >= self.max_points and fed < len(data):
                check = data[fed - tail.CHECK_BYTES : fed] if fed >= tail.CHECK_BYTES else b""
                self._commit(plan, source, collector, change.stat, offset=change.offset + fed, check=check)
                summary.points += points
                collector, points = RunCollector(source.found.path), 0
        cursor = self._tail.cursor(source.found.path)
        check = cursor.check if cursor is not None else b""
        self._commit(plan, source, collector, change.stat, offset=change.offset + fed, check=check)
        summary.points += points
        summary.bytes_read += len(data)

    def _finish(self, plan: _Plan, source: _Source, summary: Summary) -> None:
        """Flush what the parser holds back (a last line without newline), if anything."""
        closing = copy.deepcopy((source.parser, source.decoder))
        parser, decoder = closing
        items = parser.feed(decoder.decode(b"", final=True)) if decoder is not None else []
        items += parser.close()
        if not items:
            return
        collector = RunCollector(source.found.path)
        collector.add(items)
        source.parser, source.decoder, source.closed = parser, decoder, True
        cursor = self._tail.cursor(source.found.path)
        stat = tail.stat_file(source.found.path)
        if cursor is None or stat is None:  # removed meanwhile: the next pass resets its run
            return
        self._commit(plan, source, collector, stat, offset=cursor.offset, check=cursor.check)
        summary.points += _count(items)

    def _commit(
        self,
        plan: _Plan,
        source: _Source,
        collector: RunCollector,
        stat: tail.FileStat | None,
        *,
        offset: int,
        check: bytes,
    ) -> None:
        series = list(collector.series().values())
        resumes = [e for e in collector.events if e.kind == RESUME]
        if source.needs_resume and series:
            resumes.insert(0, resume_point(series, source.found.path))
            source.needs_resume = False
        stat = stat or tail.FileStat(offset, 0, 0)
        batch = base.Batch(
            source=base.SourceState(
                path=source.found.path,
                run=plan.path,
                run_name=plan.name,
                format=source.found.format,
                ordinal=source.ordinal,
                size=stat.size,
                inode=stat.inode,
                mtime_ns=stat.mtime_ns,
                offset=offset,
                state=_saved(source, check),
            ),
            columns=[base.Columns(s.tag, s.source_tag, s.step, s.epoch, s.wall_time, s.value) for s in series],
            resumes=resumes,
            events=[e for e in collector.events if e.kind != RESUME],
            media=collector.media,
            problems=[*filter(None, [self._notes.pop(source.found.path, None)]), *collector.problems],
            meta={**collector.meta, **(run_meta(plan.info) if plan.info else {})},
        )
        self.store.apply(batch)


def _saved(source: _Source, check: bytes) -> bytes | None:
    """The parser and decoder state to continue from, or None for a parser holding what
    `parser_state` cannot save (its run is then read again from the start when it grows)."""
    decoder_state = source.decoder.getstate() if source.decoder is not None else None
    try:
        return parser_state.dump(
            parser_state.Saved(
                source.found.format, source.parser, decoder_state, source.needs_resume, source.closed, check
            )
        )
    except parser_state.StateError:
        return None


def _decoder(format: str, parser: Any) -> Any:
    """A UTF-8 decoder for a parser fed text; None for one fed bytes (binary, ``feed_bytes``)."""
    if FORMATS[format].binary or hasattr(parser, "feed_bytes"):
        return None
    return codecs.getincrementaldecoder("utf-8")("replace")


def _count(items: list[Item]) -> int:
    return sum(len(item.step) if type(item) is Columns else type(item) is Point for item in items)


# -- finding the runs -------------------------------------------------------------------------
def _plan(
    paths: Sequence[Path], format: str | None, stored: dict[str, base.SourceState]
) -> tuple[list[_Plan], list[InputError]]:
    """The runs under ``paths``, grouped as `logdir.load_paths` groups them, and the failures."""
    def identify(file: Path) -> _Found:
        return _Found(str(file), _format_of(file, format, stored.get(str(file))))

    located, failures = logdir.locate(paths, identify)
    plans = [
        _Plan(name, list(members), run_info(Path(members[0].path).parent))
        for name, members in logdir.group_runs(located, None)
    ]
    return plans, failures


def _format_of(path: Path, format: str | None, state: base.SourceState | None) -> str:
    """The stored format of a file seen before (same inode), else the one detected now."""
    stat = tail.stat_file(str(path))
    if state is not None and stat is not None and stat.inode == state.inode:
        return state.format
    # only a regular file is opened: one swapped for a FIFO since the walk must not block us
    with open_regular(path) as file:
        return resolve_format(path, format or logged_format(path), file)
