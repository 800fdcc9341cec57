"""The one read API every view uses: runs, tags, series, events and media out of a `Store`.

Views never talk to a backend: they call these functions, which work the same over SQLite and
PostgreSQL, read many runs x tags at once, and check what a user can get wrong (a bad name
regex, zero buckets) before the database sees it. `load_runs` turns an index back into the
`lossboard.model.Run` objects that the figures, the export and the inspect report take, so
they draw from an index exactly as from files.

>>> from lossboard.store.sqlite import SQLiteStore  # doctest: +SKIP
>>> store = SQLiteStore("lossboard.db")  # doctest: +SKIP
>>> runs = [info.name for info in list_runs(store, name_regex="^resnet")]  # doctest: +SKIP
>>> series = read_series(store, runs=runs, tags=["val/accuracy"], buckets=2000)  # doctest: +SKIP
>>> series["resnet-1", "val/accuracy", "Validation-accuracy"].total_points  # doctest: +SKIP
20000

Runs are named by their display name (`RunInfo.name`: unique in the store, ``projA/baseline``
where two runs are both called ``baseline``); `RunInfo.path` says where each lives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lossboard.errors import UsageError
from lossboard.model import Event, FileProblem, Media, Run, Series
from lossboard.store.base import RunInfo, SeriesData, Store, TagInfo, Times, without_times


def list_runs(store: Store, *, name_regex: str | Sequence[str] | None = None) -> list[RunInfo]:
    """Every run with its metadata, counts and path; with ``name_regex`` (one pattern or
    several), only the runs whose display name one of them finds (``re.search``)."""
    patterns = [name_regex] if isinstance(name_regex, str) else list(name_regex or ())
    if not patterns:
        return store.list_runs(None)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise UsageError(f"run name filter {pattern!r} is not a regular expression: {error}") from None
    return store.list_runs("|".join(f"(?:{pattern})" for pattern in patterns))


def missing_runs(store: Store, names: Sequence[str]) -> list[str]:
    """Those of ``names`` that are no run's display name, in order: one indexed query, for a
    request to check the names it was given without listing every run."""
    held = store.runs_held(list(dict.fromkeys(names)))
    return [name for name in names if name not in held]


def list_tags(store: Store, runs: Sequence[str]) -> list[TagInfo]:
    """The series of ``runs``: one `TagInfo` per (run, tag, source_tag) with its counts and last value."""
    return store.list_tags(list(runs))


def read_series(
    store: Store,
    *,
    runs: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    step_range: tuple[int, int] | None = None,
    time_range: tuple[float, float] | None = None,
    buckets: int | None = None,
    times: Times = True,
) -> dict[tuple[str, str, str], SeriesData]:
    """The series of ``runs`` labelled one of ``tags`` (None: all), keyed by (run, tag,
    source_tag) in that order: every series sharing a label comes back, apart.

    Runs and labels the store does not hold are left out. ``buckets`` downsamples each series to at most
    ``4 * buckets`` points (each bucket's first, last, min and max: spikes stay visible);
    ``total_points`` always counts the points in the range. ``times`` says which time columns
    to read: True both, ``"epoch"`` the epochs only (a chart against steps or epochs, whose
    tooltip shows the epoch), False neither (a chart against steps without it). Those left out
    are NaN; a downsampled read fetches only the blobs of the columns it takes.
    """
    _check_read(step_range, time_range, buckets)
    names = [info.name for info in store.list_runs(None)] if runs is None else list(runs)
    if time_range is None and tags is not None:  # the store finds the series itself: one request
        pairs = [(run, tag) for run in dict.fromkeys(names) for tag in sorted(set(tags))]
        return store.read_many(pairs, step_range=step_range, buckets=buckets, times=times)
    wanted = None if tags is None else set(tags)
    infos = [info for info in store.list_tags(names) if wanted is None or info.tag in wanted]
    if time_range is None:
        return read_series_of(store, infos, step_range=step_range, buckets=buckets, times=times)
    result = {}
    for info in infos:
        data = store.read_series(
            info.run, info.tag, source_tag=info.source_tag, step_range=step_range, time_range=time_range,
            buckets=buckets,
        )
        if data is not None:
            result[info.run, info.tag, info.source_tag] = without_times(data, times)
    return result


def read_series_of(
    store: Store,
    infos: Sequence[TagInfo],
    *,
    step_range: tuple[int, int] | None = None,
    buckets: int | None = None,
    times: Times = True,
) -> dict[tuple[str, str, str], SeriesData]:
    """`read_series` of the series `list_tags` gave, for a caller that has them already: every
    series in at most three statements, downsampled together."""
    _check_read(step_range, None, buckets)
    pairs = list(dict.fromkeys((info.run, info.tag) for info in infos))
    read = store.read_many(pairs, step_range=step_range, buckets=buckets, times=times)
    return {key: read[key] for key in ((info.run, info.tag, info.source_tag) for info in infos) if key in read}


def _check_read(
    step_range: tuple[int, int] | None, time_range: tuple[float, float] | None, buckets: int | None
) -> None:
    if buckets is not None and buckets < 1:
        raise UsageError(f"buckets must be at least 1, not {buckets}")
    for name, bounds in (("step_range", step_range), ("time_range", time_range)):
        if bounds is not None and bounds[0] > bounds[1]:
            raise UsageError(f"{name} must be (first, last) with first <= last, not {bounds}")


def read_events(store: Store, runs: Sequence[str]) -> dict[str, list[Event]]:
    """The events of each of ``runs`` (resumes, learning-rate changes, ...), by run."""
    found: dict[str, list[Event]] = {run: [] for run in runs}
    for run, event in store.read_events(list(runs)):
        found[run].append(event)
    return found


def read_media(
    store: Store,
    runs: Sequence[str],
    *,
    tags: Sequence[str] | None = None,
    step_range: tuple[int, int] | None = None,
) -> dict[str, list[Media]]:
    """The media references (images, histograms, text, ...) of each of ``runs``, by run; with
    ``tags``, of those tags only, and with ``step_range`` (both ends included), of those steps."""
    found: dict[str, list[Media]] = {run: [] for run in runs}
    for run, media in store.read_media(list(runs), None if tags is None else list(tags), steps=step_range):
        found[run].append(media)
    return found


def read_problems(store: Store, runs: Sequence[str]) -> dict[str, list[FileProblem]]:
    """What indexing could not read in each of ``runs``' files (path, line, message), by run."""
    found: dict[str, list[FileProblem]] = {run: [] for run in runs}
    for run, problem in store.read_problems(list(runs)):
        found[run].append(problem)
    return found


def load_runs(
    store: Store,
    *,
    runs: Sequence[str] | None = None,
    name_regex: str | Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    buckets: int | None = None,
) -> list[Run]:
    """The indexed runs as `Run` objects, for the views that draw and export runs.

    ``runs`` names them (None: all, or those ``name_regex`` finds); ``tags`` limits their
    series; ``buckets`` downsamples them (None keeps every point).
    """
    infos = list_runs(store, name_regex=name_regex)
    if runs is not None:
        wanted = set(runs)
        infos = [info for info in infos if info.name in wanted]
    names = [info.name for info in infos]
    events, media = read_events(store, names), read_media(store, names, tags=tags)
    problems = read_problems(store, names)
    loaded = {
        name: Run(name, list(info.sources), list(info.formats), events=events[name], media=media[name],
                  problems=problems[name], meta=dict(info.meta))
        for name, info in zip(names, infos)
    }
    for (name, tag, source_tag), data in read_series(store, runs=names, tags=tags, buckets=buckets).items():
        loaded[name].series.add(Series(tag, source_tag, data.step, data.epoch, data.wall_time, data.value))
    return list(loaded.values())
