"""Stitch the files of one run, in order: for overlapping epochs the later file wins.

A run stopped and resumed from an earlier checkpoint writes a second file that starts at the
checkpoint's epoch. Everything the earlier files hold from that epoch (or step) on is
replaced by the later file, and the resume point is kept as an event for the plots.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossboard.model import RESUME, Event, Run, Series, SeriesKey, SeriesMap
from lossboard.sources.collect import cut_before, last_per_step
from lossboard.sources.reader import ParsedFile

_CONCURRENT_FORMATS = frozenset({"lossboard", "tfevents"})  # files of one directory side by side, as TensorBoard reads them


def resume_point(series: Sequence[Series], source: str) -> Event:
    """Where a later file takes over: the first epoch (when known) and the first step of its
    measured series.

    Optimizer settings (`_is_setting`) do not count: a resumed file prints them before
    training reaches its position (the initial lr of its command line, a scheduler catching
    up with ``Update[2001]: Change learning rate to ...`` before the first ``Epoch[4]`` line),
    and taking the place from them made the file start at epoch 0 and wipe the earlier files.
    Events and metadata are not series, so they never count either. A file that holds
    nothing but settings takes over where they start.
    """
    series = [s for s in series if not _is_setting(s)] or series
    epochs = [s.epoch[~np.isnan(s.epoch)] for s in series]
    known = [e.min() for e in epochs if len(e)]
    first_epoch = float(min(known)) if known else None
    first_step = int(min(s.step.min() for s in series))
    return Event(RESUME, first_step, first_epoch, None, f"resumed in {source}")


def _is_setting(series: Series) -> bool:
    """An optimizer setting (``opt/lr``): printed ahead of the place in training it applies from."""
    return series.tag.startswith("opt/")


def stitch(name: str, files: Sequence[ParsedFile], *, resumes: bool = True) -> Run:
    """One run from its files in order, later files winning where they overlap.

    ``resumes=False`` is for files written side by side by one run (a ``lossboard run``
    directory's output and event files): none of them is a resume of another.
    """
    run = Run(name=name, sources=[f.path for f in files], formats=[f.format for f in files])
    merged: dict[SeriesKey, Series] = {}
    for file in files:
        collector = file.collector
        later = collector.series()
        if file.format in _CONCURRENT_FORMATS or not resumes:
            # several writers share a log directory at once: only their own purge_step
            # (a resume event) hides what earlier files logged
            for resume in (e for e in collector.events if e.kind == RESUME):
                merged = {key: cut_before(s, resume) for key, s in merged.items()}
                run.events = [e for e in run.events if not _after(e, resume)]
        elif merged and later:
            resume = resume_point(list(later.values()), file.path)
            merged = {key: cut_before(s, _per_series(resume, later.get(key))) for key, s in merged.items()}
            run.events = [e for e in run.events if not _after(e, resume)]
            run.events.append(resume)
        for key, series in later.items():
            merged[key] = last_per_step(merged[key].append(series)) if key in merged else series
        run.events.extend(collector.events)
        run.media.extend(collector.media)
        run.problems.extend(collector.problems)
        run.meta.update(collector.meta)
    run.series = SeriesMap(s for s in merged.values() if len(s))
    run.events.sort(key=lambda e: (e.step if e.epoch is None else e.epoch, e.step))
    return run


def _per_series(resume: Event, later: Series | None) -> Event:
    """A series cut by step uses the later file's first step of the same series if it has one."""
    if later is None or not len(later):
        return resume
    return resume._replace(step=int(later.step.min()))


def _after(event: Event, resume: Event) -> bool:
    if event.epoch is not None and resume.epoch is not None:
        return event.epoch >= resume.epoch
    return event.step >= resume.step
