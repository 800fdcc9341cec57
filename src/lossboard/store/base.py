"""The store contract: what every backend keeps and how it answers. This docstring is the spec.

Keys and data
-------------
A store holds **runs**, each identified by where it lives: its ``path`` (the run's directory,
or its first file where a directory holds several runs) and, in a team store, the ``host`` that
indexed it; never by its name. Writers address a run by its path (`SourceState.run`). Its
``name`` is what `lossboard.sources.logdir` derives from the path; readers address a run by its
**display name**, that name made unique across the store by the nearest folder of the path
that differs (`lossboard.store.names`: ``projA/baseline``, ``projB/baseline``). A run has
metadata (``str -> str``), a ``status``, its **sources** (the files it was indexed from, in
stitch order: ``ordinal`` 0, 1, ...), and its **series**, each identified by
``(run, tag, source_tag)``: the canonical ``tag`` is a grouping label that several series may
share, told apart by the name the framework printed. A series is ``step`` (int64), ``epoch``,
``wall_time``, ``value`` (float64), sorted by step with one value per step. NaN and +-inf round-trip exactly in ``value``; in
``epoch`` and ``wall_time`` NaN means unknown. Every point is kept: nothing is sampled away
on write. Runs also hold **events**, **media** (references, not bytes), and **problems**
(file, line, message).

Series are stored as **chunks**: up to `CHUNK_POINTS` consecutive points of one series in one
row, each column as raw little-endian bytes, with the chunk's first/last step and its value
min/max, and beside them the **summary levels** (`lossboard.store._levels`): records of each
block of 32, 64, ... 2,048 points of a chunk and of 1, 2, ... 32 whole chunks (count, first,
last, minimum, maximum and first NaN), kept up to date by every write. Reading a million points
is then a few hundred rows, and appends touch one chunk and one group of summaries. Each chunk
and summary row carries a CRC-32 checked on every read: damaged bytes are an error naming the
store and series, never data.

Writing (the indexer, one source file at a time)
------------------------------------------------
`Store.apply` is atomic: a batch's points, events, media, problems, metadata and the source's
new read position (`SourceState`) commit together or not at all, so an indexer killed at any
moment restarts from the last committed position and never duplicates or loses a point.
Within a batch, in order: each resume event first drops the run's points from the resumed
epoch on (by step where the series has no epochs; see `lossboard.sources.collect.cut_before`),
then points are merged into their series: a step the series already has takes the new value
(the later source wins). `Store.reset_run` deletes a run's data and sources, to re-index it
when one of its files was truncated, rotated or replaced.

Two indexers pointed at the same sources must not both index them: `Store.lock` takes a
named lock for the whole indexing pass (SQLite: a lock row under ``BEGIN IMMEDIATE``;
PostgreSQL: ``pg_try_advisory_lock``, waiting briefly for a holder that was just killed) and
yields whether it was taken. `set_status` of a run the store does not hold yet creates it.
`sources` and `source_state` list only the files of this store's ``host``: in a team store
each machine indexes its own files, and two machines' runs at the same path stay two runs.

Errors
------
A backend turns every error of its database driver into one `StoreError` line naming the store (never a password); `StoreUnavailable` where a later try may work (a
PostgreSQL server restarting: the store reopens its connection at the next call).

Reading
-------
`list_runs` (cheap: metadata and counts; ``name_regex`` as `re.search`), `runs_held` (which of
some display names the store holds, one indexed query: what a request checks its names by), `list_tags`,
`read_series` (one series by label, and by source tag where several share the label: a label
alone that names several is a `lossboard.errors.UsageError` listing their source tags; raw, or
downsampled to ``buckets`` buckets), `read_many` (every series of many ``(run, label)``
pairs, exactly as `read_series` reads each, in three statements whatever their number: the
series, their extents (for a step range only), then every chunk and summary row they need;
PostgreSQL reads whole series in one; ``times`` names the time columns to read: True both,
``"epoch"`` the epochs, False neither, the others NaN), `read_events`, `read_media`
(by run, and by tag and step range where given), `read_problems`. Downsampling is deterministic
and never hides a spike: the step range is cut into ``buckets`` equal parts and each non-empty
part keeps its first and last point and the points holding its minimum and maximum value (M4),
in step order without repeats; NaN is no extreme, and a bucket holding NaN keeps its first NaN
besides, so at most ``5 * buckets`` points. From 32 points a bucket on average the read takes
the coarsest summary level with at least ``buckets`` blocks in the range, so its cost follows
the buckets, not the series; bucket edges then move to that level's block edges (finer blocks,
then single points, towards the range's ends): every point is still in exactly one bucket and
each bucket keeps the real first, last, minimum, maximum and first NaN *of the points it
covers*, a bucket reaching at most one block past its equal part. ``total_points`` always says
how many points the range holds. ``step_range`` and ``time_range`` include both ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, TypeVar

import numpy as np

from lossboard.errors import LossboardError, UsageError
from lossboard.model import Event, FileProblem, Media, Series

SCHEMA_VERSION = 10
CHUNK_POINTS = 4096


Times = bool | Literal["epoch"]  # the time columns a read takes: both (True), epochs only, or neither


def time_columns(times: Times) -> tuple[bool, bool]:
    """Whether a read with ``times`` takes epochs, and wall times."""
    if times not in (True, False, "epoch"):
        raise UsageError(f"times must be True, False or 'epoch', not {times!r}")
    return times is not False, times is True


C = TypeVar("C")  # Series or SeriesData


def without_times(columns: C, times: Times) -> C:
    """``columns`` (a `Series` or `SeriesData`) with the time columns ``times`` leaves out
    unknown (NaN, fresh arrays)."""
    epochs, walls = time_columns(times)
    if epochs and walls:
        return columns
    unknown = np.full(len(columns.step), np.nan)
    return replace(columns, epoch=columns.epoch if epochs else unknown, wall_time=unknown)


@dataclass(frozen=True)
class SourceState:
    """Where indexing of one file stands: enough to continue it, or to see it was replaced."""

    path: str
    run: str  # the run's path: its identity (see the module docstring)
    format: str
    ordinal: int  # the file's place in its run's stitch order
    size: int  # bytes of the file when last read
    inode: int  # a different inode at the same path: the file was replaced
    mtime_ns: int
    offset: int  # bytes consumed by the parser so far
    state: bytes | None = None  # the parser and decoder, as `parser_state` JSON, to continue from offset
    run_name: str | None = None  # the run's name, for people (None: the last part of its path)

    @property
    def name(self) -> str:
        return self.run_name or run_name_of(self.run)


@dataclass
class Columns:
    """One series' points in a batch, columns of equal length."""

    tag: str  # the canonical label
    source_tag: str  # with ``tag``, the series' identity
    step: np.ndarray  # int64
    epoch: np.ndarray  # float64, NaN unknown
    wall_time: np.ndarray  # float64, NaN unknown
    value: np.ndarray  # float64


@dataclass
class Batch:
    """What one indexing step of one source adds, applied atomically with its new state."""

    source: SourceState
    columns: list[Columns] = field(default_factory=list)  # one per (tag, source_tag)
    resumes: list[Event] = field(default_factory=list)  # applied before the points
    events: list[Event] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInfo:
    name: str  # the display name: unique in the store, for people and for reading
    formats: tuple[str, ...]
    sources: tuple[str, ...]
    meta: dict[str, str]
    status: str
    tags: int
    points: int
    first_step: int | None
    last_step: int | None
    updated: float  # wall time of the last batch applied, seconds since the Unix epoch
    path: str = ""  # with ``host``, the run's identity: its directory or first file
    host: str = ""  # the machine that indexed it, in a team store; "" in an SQLite store
    modified: float | None = None  # newest modification time of its files as last read (the data's age)

    @property
    def data_time(self) -> float:
        """When the run's data last changed: its files' newest modification, else the last batch."""
        return self.modified if self.modified is not None else self.updated


@dataclass(frozen=True)
class TagInfo:
    run: str
    tag: str
    source_tag: str
    points: int
    first_step: int
    last_step: int
    last_value: float


@dataclass
class SeriesData:
    """Columns of one (run, tag), raw or downsampled, and how many points the range holds."""

    run: str
    tag: str
    source_tag: str
    step: np.ndarray
    epoch: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray
    total_points: int

    @classmethod
    def of(cls, run: str, tag: str, source_tag: str, series: Series, total_points: int) -> SeriesData:
        return cls(run, tag, source_tag, series.step, series.epoch, series.wall_time, series.value, total_points)


class StoreError(LossboardError):
    """The store itself failed (a damaged file, a refused query): one line naming the store."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now (a server restarting, a file busy): a later try may work."""


def one_series(run: str, tag: str, found: Sequence[tuple[int, str]]) -> tuple[int, str]:
    """The one ``(id, source_tag)`` of the series labelled ``tag``; several are a `UsageError`."""
    if len(found) > 1:
        names = ", ".join(repr(source_tag) for _, source_tag in found)
        raise UsageError(
            f"run {run!r} has {len(found)} series labelled {tag!r} (source tags {names}); name one by its source tag"
        )
    return found[0]


def run_name_of(path: str) -> str:
    """The name of a run known only by its path: its last part."""
    return path.rstrip("/").rpartition("/")[2] or path


class Store(Protocol):
    """An index of runs; `lossboard.store.sqlite.SQLiteStore` and
    `lossboard.store.postgres.PostgresStore` implement it and pass the same contract tests."""

    host: str  # the part of a run's identity the store adds: "" (SQLite) or this machine's name

    def close(self) -> None: ...

    # -- writing ------------------------------------------------------------------------
    def source_state(self, path: str) -> SourceState | None: ...

    def sources(self) -> list[SourceState]: ...

    def apply(self, batch: Batch) -> None: ...

    def reset_run(self, run: str) -> None: ...  # by path

    def set_status(self, run: str, status: str, *, name: str | None = None) -> None: ...  # by path

    def lock(self, name: str) -> AbstractContextManager[bool]: ...

    # -- reading ------------------------------------------------------------------------
    def list_runs(self, name_regex: str | None = None) -> list[RunInfo]: ...

    def runs_held(self, names: Sequence[str]) -> set[str]: ...  # those of ``names`` that are display names here

    def list_tags(self, runs: Sequence[str]) -> list[TagInfo]: ...

    def read_series(
        self,
        run: str,
        tag: str,
        *,
        source_tag: str | None = None,
        step_range: tuple[int, int] | None = None,
        time_range: tuple[float, float] | None = None,
        buckets: int | None = None,
    ) -> SeriesData | None: ...

    def read_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        step_range: tuple[int, int] | None = None,
        buckets: int | None = None,
        times: Times = True,
    ) -> dict[tuple[str, str, str], SeriesData]: ...  # every series of each (run, label), as read_series would;
    # ``times`` False leaves epochs and wall times unread (NaN), "epoch" the wall times: a chart takes what it shows

    def read_events(self, runs: Sequence[str]) -> Iterator[tuple[str, Event]]: ...

    def read_problems(self, runs: Sequence[str]) -> Iterator[tuple[str, FileProblem]]: ...

    def read_media(
        self, runs: Sequence[str], tags: Sequence[str] | None = None, *, steps: tuple[int, int] | None = None
    ) -> Iterator[tuple[str, Media]]: ...
