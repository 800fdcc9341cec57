"""The data model: what a parser emits (Point or Columns, Event, Problem, Meta) and what a
load returns (Series, Run).

Parsers emit one small record per value; `Run` holds them as columns. A series is identified
by what was written: its ``source_tag`` (the name the framework or the user printed) together
with its canonical tag ``split/metric`` (see `lossboard.tags`), which says the stream it came
from (a batch line, a validation line) and groups like with like. Two different printed names
are two series, always, even when they share a canonical tag (``Loss/train`` and ``train_loss``
are both ``train/loss``). Values are floats and NaN and +-inf are values, not errors. Unknown
epochs and wall times are NaN in columns and None in records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import numpy as np

if TYPE_CHECKING:
    import pandas


class Point(NamedTuple):
    """One value of one series, as a parser emits it."""

    tag: str
    source_tag: str
    step: int
    value: float
    epoch: float | None = None
    wall_time: float | None = None


class Columns(NamedTuple):
    """Many values of one series at once: what a fast path emits instead of a `Point` each.

    ``step`` is int64, the others float64; ``epoch`` and ``wall_time`` may be None when
    unknown for every value.
    """

    tag: str
    source_tag: str
    step: np.ndarray
    value: np.ndarray
    epoch: np.ndarray | None = None
    wall_time: np.ndarray | None = None

    def points(self) -> list[Point]:
        """The same values as one `Point` each (for tests and small consumers)."""
        count = len(self.step)
        epochs = self.epoch.tolist() if self.epoch is not None else [None] * count
        walls = self.wall_time.tolist() if self.wall_time is not None else [None] * count
        return [
            Point(self.tag, self.source_tag, step, value, epoch, wall)
            for step, value, epoch, wall in zip(self.step.tolist(), self.value.tolist(), epochs, walls)
        ]


class Event(NamedTuple):
    """Something that happened at a step: a resume, a learning-rate change, a checkpoint."""

    kind: str
    step: int
    epoch: float | None = None
    wall_time: float | None = None
    text: str = ""


class Problem(NamedTuple):
    """A line the parser could not use; the caller decides whether to warn or stop."""

    line: int
    message: str


class Media(NamedTuple):
    """A non-scalar record at a step: an image, histogram, text, hyper-parameters, a PR curve.

    ``data`` is plain JSON-like: an image names its file beside the log (``{"path": ...}``),
    a histogram holds its bucket limits and counts, text its string.
    """

    kind: str  # "image", "histogram", "text", "hparams", "pr_curve"
    tag: str
    step: int
    wall_time: float | None
    data: dict


class Meta(NamedTuple):
    """A fact about the run the log reveals (framework, network, hyper-parameter)."""

    key: str
    value: str


Item = Union[Point, Columns, Event, Problem, Media, Meta]

RESUME = "resume"
LR_CHANGE = "lr_change"
CHECKPOINT = "checkpoint"
EARLY_STOP = "early_stop"


@dataclass(repr=False)
class Series:
    """One metric of one run as columns, sorted by step, one value per step."""

    tag: str
    source_tag: str
    step: np.ndarray  # int64
    epoch: np.ndarray  # float64, NaN where unknown
    wall_time: np.ndarray  # float64 seconds since the Unix epoch, NaN where unknown
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.step)

    def __repr__(self) -> str:
        if not len(self):
            return f"<Series {self.tag!r} ({self.source_tag!r}): empty>"
        return (
            f"<Series {self.tag!r} ({self.source_tag!r}): {len(self):,} points, steps "
            f"{int(self.step[0])}-{int(self.step[-1])}, last value {float(self.value[-1]):.6g}>"
        )

    @property
    def has_epochs(self) -> bool:
        return bool(len(self.epoch)) and not np.isnan(self.epoch).all()

    def take(self, index: np.ndarray | slice) -> Series:
        """The points at ``index`` (a slice gives views, an index array copies)."""
        return Series(
            self.tag, self.source_tag, self.step[index], self.epoch[index], self.wall_time[index],
            self.value[index],
        )

    def append(self, later: Series) -> Series:
        """This series' points followed by ``later``'s, unsorted: callers decide who wins."""
        return Series(
            self.tag,
            self.source_tag,
            np.concatenate([self.step, later.step]),
            np.concatenate([self.epoch, later.epoch]),
            np.concatenate([self.wall_time, later.wall_time]),
            np.concatenate([self.value, later.value]),
        )


class SeriesKey(NamedTuple):
    """What identifies a series within a run: its canonical tag and the name it was printed as."""

    tag: str
    source_tag: str


class SeriesMap(Mapping[SeriesKey, Series]):
    """A run's series by `SeriesKey`, in key order; a plain string finds a series by name.

    ``series["val/accuracy"]`` is the one series with that canonical tag, else the one printed
    with that name (``series["Validation-accuracy"]``). A name that fits several series is a
    `KeyError` listing them: the caller picks one by its `SeriesKey` or with `find`.
    """

    def __init__(self, series: Iterable[Series] = ()) -> None:
        self._by_key: dict[SeriesKey, Series] = {}
        for item in series:
            self.add(item)

    def add(self, series: Series) -> None:
        """Add ``series``, replacing the one with the same key."""
        self._by_key[SeriesKey(series.tag, series.source_tag)] = series

    def find(self, name: str) -> list[Series]:
        """The series whose canonical tag is ``name``, or else whose source tag is."""
        by_tag = [s for key, s in sorted(self._by_key.items()) if key.tag == name]
        return by_tag or [s for key, s in sorted(self._by_key.items()) if key.source_tag == name]

    @property
    def labels(self) -> list[str]:
        """The canonical tags, each once, sorted."""
        return sorted({key.tag for key in self._by_key})

    def shared_labels(self) -> dict[str, list[str]]:
        """Canonical tags that several series share, with their source tags."""
        shared: dict[str, list[str]] = {}
        for key in sorted(self._by_key):
            shared.setdefault(key.tag, []).append(key.source_tag)
        return {tag: names for tag, names in shared.items() if len(names) > 1}

    def __getitem__(self, key: SeriesKey | tuple[str, str] | str) -> Series:
        if isinstance(key, tuple):
            return self._by_key[SeriesKey(*key)]
        found = self.find(key)
        if len(found) == 1:
            return found[0]
        if not found:
            raise KeyError(key)
        names = ", ".join(repr(s.source_tag) for s in found)
        raise KeyError(f"{key!r} names {len(found)} series (printed as {names}); pick one with SeriesKey")

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return bool(self.find(key))
        return isinstance(key, tuple) and SeriesKey(*key) in self._by_key

    def __iter__(self) -> Iterator[SeriesKey]:
        return iter(sorted(self._by_key))

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return f"<SeriesMap of {len(self)} series: {', '.join(self.labels[:6])}{', ...' if len(self.labels) > 6 else ''}>"


@dataclass(frozen=True)
class FileProblem:
    """A `Problem` with the file it came from; `str()` reads as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(repr=False)
class Run:
    """One training run: its series by tag, the events, and where it came from."""

    name: str
    sources: list[str]
    formats: list[str]  # the format of each source, in the same order
    series: SeriesMap = field(default_factory=SeriesMap)  # a dict or list of series is turned into one
    events: list[Event] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.series, SeriesMap):  # a dict or a list of series
            given = self.series.values() if isinstance(self.series, Mapping) else self.series
            self.series = SeriesMap(given)

    @property
    def tags(self) -> list[str]:
        """The canonical tags of the run's series, each once, sorted."""
        return self.series.labels

    def __repr__(self) -> str:
        points = sum(len(s) for s in self.series.values())
        return (
            f"<Run {self.name!r}: {len(self.series)} series, {points:,} points, "
            f"{len(self.sources)} file{'s' if len(self.sources) != 1 else ''}>"
        )

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per series with its points and last value."""
        from html import escape  # only notebooks ask: a load does not pay for it

        rows = "".join(
            f"<tr><td>{escape(s.tag)}</td><td>{escape(s.source_tag)}</td><td>{len(s):,}</td>"
            f"<td>{int(s.step[-1]) if len(s) else ''}</td><td>{float(s.value[-1]):.6g}</td></tr>"
            for s in self.series.values()
            if len(s)
        )
        return (
            f"<p><b>{escape(self.name)}</b> ({', '.join(sorted(set(self.formats)))})</p>"
            "<table><tr><th>tag</th><th>printed as</th><th>points</th><th>last step</th>"
            f"<th>last value</th></tr>{rows}</table>"
        )

    def to_pandas(self) -> pandas.DataFrame:
        """Every series in long form: run, tag, source_tag, step, epoch, wall_time, value."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Run.to_pandas needs pandas: pip install 'lossboard[pandas]'") from exc
        frames: list[Any] = [
            pd.DataFrame(
                {
                    "run": self.name,
                    "tag": s.tag,
                    "source_tag": s.source_tag,
                    "step": s.step,
                    "epoch": s.epoch,
                    "wall_time": s.wall_time,
                    "value": s.value,
                }
            )
            for s in self.series.values()
        ]
        if not frames:
            columns = ["run", "tag", "source_tag", "step", "epoch", "wall_time", "value"]
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)


class Runs(list[Run]):
    """The runs a load returns: a list, with a short repr and a table in notebooks."""

    def __repr__(self) -> str:
        return "[" + ", ".join(map(repr, self)) + "]"

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(run.name)}</td><td>{escape(', '.join(sorted(set(run.formats))))}</td>"
            f"<td>{len(run.series)}</td><td>{sum(len(s) for s in run.series.values()):,}</td>"
            f"<td>{escape(', '.join(run.tags[:8]))}{' ...' if len(run.tags) > 8 else ''}</td></tr>"
            for run in self
        )
        return (
            "<table><tr><th>run</th><th>format</th><th>series</th><th>points</th><th>tags</th></tr>"
            f"{rows}</table>"
        )
