"""The data model: what a parser emits (Point or Columns, Event, Problem, Meta) and what a
load returns (Series, Run).

Parsers emit one small record per value; `Run` holds them as columns. A series is keyed by
its canonical tag ``split/metric`` (see `lossboard.tags`); the name the framework printed is
kept as ``source_tag``. Values are floats and NaN and +-inf are values, not errors. Unknown
epochs and wall times are NaN in columns and None in records.
"""

from __future__ import annotations

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


@dataclass
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


@dataclass(frozen=True)
class FileProblem:
    """A `Problem` with the file it came from; `str()` reads as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Run:
    """One training run: its series by tag, the events, and where it came from."""

    name: str
    sources: list[str]
    formats: list[str]  # the format of each source, in the same order
    series: dict[str, Series] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return sorted(self.series)

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
