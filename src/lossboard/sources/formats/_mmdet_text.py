"""mmcv and mmengine text logs: one head and its ``name: value`` pairs per logged line.

The two formats (``mmdet-log``: mmcv's TextLoggerHook, ``name: value`` after a tab,
``, ``-separated; ``mmengine-log``: mmengine's LoggerHook, two spaces between pairs, one
between the learning rates, names with spaces such as ``coco/AP (M)``) differ only in what they
sniff; `TextParser` reads both. Names, heads and steps are `_mmdet`'s.

Long runs of training lines and of ``Epoch(val)`` summaries go through `_pair_runs` (a
layout learned from one line of each, all the numbers of a chunk's lines of it read at once,
`Columns` out); validation progress lines and mmdet's copypaste lines, which give nothing but
where the lines after them sit, are checked in bulk and not read (blank layouts).
``TextParser(fast=False)`` reads every line on its own, and any run that does not fit exactly
is read that way too.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import CHECKPOINT, RESUME, Event, Item, Point
from lossboard.sources.formats import _coco, _pair_runs
from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._mmdet import PAIR, SPLITS, Clock, find_head, tag_of
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats._pipeline import LinePipeline

# the logging prefix: "2023/03/01 12:00:00 - mmengine - INFO - ", "2021-03-04 12:00:00,123 - mmdet"
_STAMP = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d) (\d\d):(\d\d):(\d\d)")
_ETA = re.compile(_pair_runs.ETA)
_MILLIS = re.compile(r"[.,]\d+")  # mmcv's ",123" after the time
_STAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_COPYPASTE = "_copypaste: "  # mmdet's line of the numbers the summary gives
# CheckpointHook: "Saving checkpoint at 5 epochs", "Saving checkpoint at 5000 iterations"
_CHECKPOINT = re.compile(r"Saving checkpoint at (\d+) (epochs|iterations)")
_EXACT = 2**53  # counters above this do not survive a float64
_VAL_HEAD = "Epoch(val)["  # how a validation layout starts, spaces dropped
_MAX_PROGRESS_SHAPES = 512  # shapes of validation progress lines remembered as checked
_NOTHING = ()  # what `_read_blank` makes of copypaste lines, which give nothing


class TextParser(_pair_runs.RunParser):
    """mmcv and mmengine text logs: one head and its ``name: value`` pairs per line.

    Validation progress lines (``Epoch(val) [1][ 5/28]`` with only timings) give nothing,
    and neither does mmdet's ``bbox_mAP_copypaste`` line, which has no head (nor the COCO
    summary pycocotools prints: the same numbers). A value of -1 (COCO's "not applicable")
    is kept as the value it is. ``Saving checkpoint at 5 epochs`` is a checkpoint event at
    the end of that epoch.

    Every other line after the first logged one (before it: the environment and config dump)
    - a script's ``print``, a ``logging`` record, a tqdm bar - goes to the line pipeline of
    mixed output, told the epoch, step and split of the last logged line: a
    ``print`` after a validation summary is read at the end of that epoch, as the summary is.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__(fast=fast)
        self._clock = Clock()
        self._stamp = ("", None)  # the last prefix time read and its wall time
        self._others = LinePipeline()  # the lines OpenMMLab's logger did not print
        # shapes (digits as 0) of validation progress lines, and where their epoch is
        self._epoch_spans: dict[bytes, tuple[int, int]] = {}

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        for number, line in enumerate(lines, first):
            if "Epoch" in line or "Iter" in line:  # cheap test before the regex
                head = find_head(line)
                if head is not None:
                    items.extend(self._line(number, head, line))
                    continue
            elif "Saving checkpoint" in line:
                items.extend(self._checkpoint(line))
                continue
            if self._others.context.step is None:  # the environment and config dump
                continue
            if _COPYPASTE not in line and _coco.SUMMARY.match(line) is None:
                self._others.line(number, line, items)

    # ---- fast path ---------------------------------------------------------------------------

    def _layout_of(self, line: str) -> tuple[_pair_runs.Layout, str] | None:
        if "Epoch" not in line and "Iter" not in line:
            return _copypaste_layout(line)
        head = find_head(line)
        return None if head is None else _learn_layout(line, head)

    def _read_blank(
        self, layout: _pair_runs.Layout, marker: str, text: bytes, starts: np.ndarray, stamps: np.ndarray | None
    ) -> object | None:
        """Copypaste lines (`_NOTHING`), or validation progress lines (`_Progress`), when
        `_one_by_one` would read nothing of them but their place; None: read them one by one.
        A copypaste line (``marker`` names it) gives nothing unless it holds a head or a
        checkpoint. A progress line gives nothing but its place when `_epoch_span` finds it in
        a line of its shape (digits as 0: the head and the names are where they were, and
        whether a name gives a value does not depend on its digits), each shape checked once."""
        if marker.endswith(_COPYPASTE):
            return None if b"Epoch" in text or b"Iter" in text or b"Saving checkpoint" in text else _NOTHING
        if not text.isascii():  # then a line's bytes are its characters (`_line_at`)
            return None
        shapes = text.translate(MASK).split(b"\n")
        known = self._epoch_spans
        spans = {}
        for shape in set(shapes):
            span = known.get(shape) or _epoch_span(_line_at(text, starts, shapes.index(shape)))
            if span is None:
                return None
            spans[shape] = span
        if len(known) + len(spans) > _MAX_PROGRESS_SHAPES:
            known.clear()
        known.update(spans)
        return _Progress(text, starts, shapes, spans)

    def _prepare(self, layout: _pair_runs.Layout, stamps: np.ndarray | None, matrix: np.ndarray) -> tuple | None:
        """The numbers and the wall times of every line of a layout in a chunk, and for
        training lines their steps (`_chunk_steps`); None: read them one by one, as when a
        counter is too large for a float64 to hold exactly."""
        walls = None if stamps is None else _wall_times(stamps)
        if (stamps is not None and walls is None) or matrix[:, : layout.counters].max() >= _EXACT:
            return None
        return matrix, walls, None if layout.pieces[0].endswith(_VAL_HEAD) else _chunk_steps(layout, matrix)

    def _run(self, layout: _pair_runs.Layout, prepared: tuple, start: int, stop: int, items: list[Item]) -> bool:
        """Consecutive lines of one layout at once, as `_line` reads them one by one."""
        if not layout.width:  # copypaste or validation progress lines: nothing to read
            return prepared is _NOTHING or self._progress_run(prepared, start, stop)
        kind, walls = prepared[0], None if prepared[1] is None else prepared[1][start:stop]
        if prepared[2] is None:
            return self._validation_run(layout, kind, start, stop, walls, items)
        rows = _pair_runs.Rows(kind, start, stop, _columns(layout.names, layout.counters, tags.TRAIN), kind[:0, 0], None, walls)
        return self._training_run(layout, prepared[2], rows, items)

    def _training_run(self, layout: _pair_runs.Layout, steps_of: _Steps, rows: _pair_runs.Rows, items: list[Item]) -> bool:
        """Training lines; False (and nothing changed) when training went back (a resume,
        whose event goes between the lines)."""
        clock, start, stop = self._clock, rows.start, rows.stop
        lengths = steps_of.lengths
        # the clock's length is at least every length of the chunk's lines before (each one read
        # raised it): the chunk's steps are the clock's unless it knows a longer epoch than these
        if lengths is not None and clock.length > lengths[start]:
            steps_of = _chunk_steps(layout, rows.matrix[start:stop], clock.length)
            lengths, start, stop = steps_of.lengths, 0, stop - start
        steps = steps_of.steps
        back = steps_of.back
        if steps[start] < clock.last or bisect_left(back, start) < bisect_left(back, stop - 1) or steps[stop - 1] >= _EXACT:
            return False  # a resume: its event goes between the lines
        if lengths is not None:
            clock.length, clock.exact = int(lengths[stop - 1]), True
        clock.last = int(steps[stop - 1])
        fractions = None if steps_of.fractions is None else steps_of.fractions[start:stop]
        items.append(rows._replace(steps=steps[start:stop].astype(np.int64), epochs=fractions))
        if lengths is not None:
            epochs = rows.matrix[rows.start : rows.stop, 0]
            self._others.place(int(steps[start]), int(epochs[0]), None)  # the first epoch sets the base
            self._others.place(int(steps[stop - 1]), int(epochs[-1]), None)
        else:
            self._others.place(int(steps[stop - 1]), None, None)
        return True

    def _validation_run(
        self, layout: _pair_runs.Layout, kind: np.ndarray, start: int, stop: int, walls: np.ndarray | None,
        items: list[Item],
    ) -> bool:
        """Validation summaries ``Epoch(val) [e][i/N]``: each sits at the end of its epoch, as
        `Clock.after_epoch` says."""
        clock = self._clock
        epochs = kind[start:stop, 0]
        if epochs.max() * clock.length >= _EXACT:
            return False
        steps = (epochs * clock.length).astype(np.int64) if clock.length else np.full(stop - start, clock.last)
        items.append(_pair_runs.Rows(kind, start, stop, _columns(layout.names, layout.counters, tags.VAL), steps, epochs, walls))
        self._place_validation([int(kind[start, 0]), int(kind[stop - 1, 0])])
        return True

    def _read_whole(self, kinds: list[tuple[_pair_runs.Layout, np.ndarray, object]], items: list[Item]) -> bool:
        """A chunk of training lines of one layout (epochs printed), validation summaries of
        at most one, and validation progress and copypaste lines, read at once as `_run` reads
        each run of them: one `Rows` of the training lines, one of the summaries (each at its
        epoch's end by the clock the training lines before it left), and the lines after the
        chunk placed where its last run places them. False, having changed nothing, when
        training goes back, a step would not survive a float64, training and summaries share a
        series, or the log's first epoch is not known yet (then every run's place counts): run
        by run. Four runs an epoch cut a chunk into some 330, whose Python (a call, records and
        places, a group in `blocks` each) was a sixth of a load."""
        training = summaries = None
        progress = []  # (rows, `_Progress`) of each kind of progress lines
        for kind in kinds:
            layout, rows, prepared = kind
            if not layout.width:
                if prepared is not _NOTHING:
                    progress.append((rows, prepared))
            elif prepared[2] is None and summaries is None:
                summaries = kind
            elif prepared[2] is None or training is not None or prepared[2].lengths is None:
                return False
            else:
                training = kind
        clock = self._clock
        start = _TrainingClock(None, None, clock.length, clock.last)  # the clock as the chunk starts
        if self._others.context.epoch_base is None or clock.last >= _EXACT:
            return False
        found, at_end = [], start  # the Rows; the clock after the training lines
        if training is not None:
            layout, rows, (matrix, walls, steps_of) = training
            if clock.length > steps_of.lengths[0]:  # a longer epoch known before: as `_training_run` does
                steps_of = _chunk_steps(layout, matrix, clock.length)
            steps = steps_of.steps
            if steps_of.back or steps[0] < clock.last or steps[-1] >= _EXACT:
                return False
            columns = _columns(layout.names, layout.counters, tags.TRAIN)
            found.append(_pair_runs.Rows(matrix, 0, len(steps), columns, steps.astype(np.int64), steps_of.fractions, walls))
            at_end = _TrainingClock(rows, steps_of, int(steps_of.lengths[-1]), int(steps[-1]))
        if summaries is not None:
            layout, rows, (matrix, walls, _) = summaries
            epochs = matrix[:, 0]
            lengths, lasts = at_end.at(rows, start)
            columns = _columns(layout.names, layout.counters, tags.VAL)
            shared = found and {c[1:] for c in columns} & {c[1:] for c in found[0].columns}
            if (epochs * lengths).max() >= _EXACT or shared:
                return False
            steps = np.where(lengths > 0, epochs * lengths, lasts).astype(np.int64)
            found.append(_pair_runs.Rows(matrix, 0, len(epochs), columns, steps, epochs, walls))
        items.extend(found)
        clock.length, clock.last = at_end.length, at_end.last
        clock.exact = clock.exact or training is not None
        # the lines after the chunk sit where the last line that places them does
        ends = [(int(rows[-1]), lines.epoch(len(rows) - 1)) for rows, lines in progress]
        ends += [(int(kind[1][-1]), int(kind[2][0][-1, 0])) for kind in (training, summaries) if kind is not None]
        if ends:
            line, epoch = max(ends)
            if training is not None and line == training[1][-1]:
                self._others.place(clock.last, epoch, None)
            else:
                lengths, lasts = at_end.at(np.array([line]), start)
                self._others.place(epoch * int(lengths[0]) if lengths[0] else int(lasts[0]), epoch, tags.VAL)
        return True

    def _progress_run(self, progress: _Progress, start: int, stop: int) -> bool:
        """Validation progress lines (`_read_blank`), which give nothing but their place."""
        self._place_validation([progress.epoch(start), progress.epoch(stop - 1)])
        return True

    def _place_validation(self, epochs: list[int]) -> None:
        """Where the lines after a run of validation lines sit, as `_line` places them one by
        one: the first line's epoch, then the last's (the end of each)."""
        for epoch in dict.fromkeys(epochs):
            self._others.place(self._clock.after_epoch(epoch), epoch, tags.VAL)

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._others.finish(items)
        return items

    def _checkpoint(self, line: str) -> list[Item]:
        match = _CHECKPOINT.search(line)
        if match is None:
            return []
        count = int(match[1])
        if match[2] == "epochs":
            step, epoch = self._clock.after_epoch(count), float(count)
        else:
            step, epoch = count, None
        return [Event(CHECKPOINT, step, epoch, self._wall_time(line[: match.start()]), match[0])]

    def _line(self, number: int, head: re.Match, line: str) -> list[Item]:
        kind, mode, epoch_text, it_text, total_text = head.groups()
        split = SPLITS[mode]
        epoch = int(epoch_text) if epoch_text else None
        it = int(it_text)
        wall = self._wall_time(line[: head.start()])
        items: list[Item] = []
        if split == tags.TRAIN:
            if total_text and epoch is not None:
                self._clock.learn(int(total_text))
            step, fraction, resumed = self._clock.train(epoch, it)
            if resumed:
                items.append(Event(RESUME, step, fraction, wall))
        elif epoch is not None:  # validation after an epoch
            if total_text is None:  # 2.x prints the train epoch's length here
                self._clock.learn(it)
            step, fraction = self._clock.after_epoch(epoch), float(epoch)
        else:  # iteration-based validation, or a test run
            step = it if kind == "Iter" and total_text is None else self._clock.last
            fraction = None
        self._others.place(step, epoch, None if split == tags.TRAIN else split)
        for name, text in PAIR.findall(line, head.end()):
            tag = tag_of(name, split)
            if tag is None:
                continue
            try:
                items.append(Point(tag, name, step, float(text), fraction, wall))
            except ValueError:
                items.append(bad_number(number, f"{name}: ", text))
        return items


    def _wall_time(self, prefix: str) -> float | None:
        """The logging prefix's time as seconds since the epoch, read as local time."""
        match = _STAMP.search(prefix)
        if match is None:
            return None
        if match[0] != self._stamp[0]:  # a log prints many lines per second
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            base = _hour_base(year, month, day, hour)
            self._stamp = (match[0], None if base is None else base + (minute * 60 + second))
        return self._stamp[1]


def _learn_layout(line: str, head: re.Match) -> tuple[_pair_runs.Layout, str] | None:
    """The layout of a training or validation line and the text that marks its kind (the
    head's ``Epoch(train)``; a validation line's text from its head's end to its first value),
    or None for a line of another split, without a printed length, or with an ETA of another
    shape. A validation progress line's layout is blank: it gives nothing (`_epoch_span`)."""
    kind, mode, epoch, _, total = head.groups()
    is_validation = kind == "Epoch" and mode == "val"
    if (mode not in (None, "train") and not is_validation) or total is None:
        return None
    first = PAIR.search(line, head.end())
    if is_validation and first is not None and _epoch_span(line) is not None:
        # progress and summary lines share the head: the first name tells them apart
        return _pair_runs.Layout.blank(), line[line.rindex("]", 0, head.end()) : first.start(2)]
    stamp = _STAMP.match(line)
    if stamp is None and _STAMP.search(line, 0, head.start()):
        return None
    skip = stamp.end() if stamp else 0
    millis = _MILLIS.match(line, skip) if stamp else None
    skip = millis.end() if millis else skip  # sliced off with the time; the wall time has no millis
    cut = ""  # the ETA, the one text a line holds between its pairs that is not a value
    spans = [head.span(group) for group in (3, 4, 5) if head[group] is not None]
    names = []
    for pair in PAIR.finditer(line, head.end()):
        if pair[1] != "eta":
            spans.append(pair.span(2))
            names.append(pair[1])
        elif _ETA.match(line, pair.start(2)) is None:
            return None
        else:
            cut = _pair_runs.ETA_CUT
    layout = _pair_runs.Layout.learn(line, spans, names, skip=skip, cut=cut)
    if layout is None or not names:
        return None
    if is_validation:
        return layout, line[line.rindex("]", 0, head.end()) : first.start(2)]
    # what only training lines hold: "Epoch(train)", or mmcv's "Epoch [" ("Epoch(val) [" is not)
    marker = f"{kind}({mode})" if mode else line[head.start() : line.index("[", head.start()) + 1]
    return layout, marker


def _epoch_span(line: str) -> tuple[int, int] | None:
    """Where the epoch is in ``line`` when `TextParser._one_by_one` reads it as a validation
    progress line: a head with an epoch and its length (no epoch length to learn), no name
    that gives a value; else None."""
    head = find_head(line)
    if head is None or SPLITS[head[2]] != tags.VAL or head[3] is None or head[5] is None:
        return None
    if any(tag_of(name, tags.VAL) is not None for name, _ in PAIR.findall(line, head.end())):
        return None
    return head.span(3)


class _Progress(NamedTuple):
    """A chunk's validation progress lines, joined in ``text`` (each starting at ``starts``),
    each line's ``shape`` (digits as 0) and where a line of each shape holds its epoch."""

    text: bytes
    starts: np.ndarray
    shapes: list[bytes]
    spans: dict[bytes, tuple[int, int]]

    def epoch(self, index: int) -> int:
        start, end = self.spans[self.shapes[index]]
        at = int(self.starts[index])
        return int(self.text[at + start : at + end])


def _copypaste_layout(line: str) -> tuple[_pair_runs.Layout, str] | None:
    """The blank layout of mmdet's ``bbox_mAP_copypaste`` lines (the summary's numbers again,
    which give nothing), and its name and ``_copypaste: `` as its marker."""
    end = line.find(_COPYPASTE)
    if end < 0:
        return None
    return _pair_runs.Layout.blank(), line[line.rfind(" ", 0, end) + 1 : end + len(_COPYPASTE)]


def _line_at(text: bytes, starts: np.ndarray, index: int) -> str:
    """Line ``index`` of ASCII lines joined by ``\\n`` (each starting at ``starts``)."""
    end = int(starts[index + 1]) - 1 if index + 1 < len(starts) else len(text)
    return text[int(starts[index]) : end].decode("ascii")


class _Steps(NamedTuple):
    """The steps of a chunk's training lines of one layout, as `Clock.train` gives them: the
    epoch length so far (None: ``Iter`` lines, whose step is the iteration), steps, fractional
    epochs, and where a step goes back (before the line after)."""

    lengths: np.ndarray | None
    steps: np.ndarray
    fractions: np.ndarray | None
    back: list[int]


def _chunk_steps(layout: _pair_runs.Layout, matrix: np.ndarray, known: int = 0) -> _Steps:
    """The steps of training lines (``matrix`` rows), for a clock whose epoch length is
    ``known`` before them; computed once per chunk, a run's are a slice whenever the clock
    then knows no longer epoch than the chunk's lines before the run."""
    if layout.counters == 3:  # Epoch [e][i/N]: learn(N), then the step in the epoch
        epochs, its, totals = matrix[:, :3].T
        lengths = np.maximum.accumulate(np.maximum(np.maximum(totals, its), known))
        steps = (epochs - 1) * lengths + its
        fractions = epochs - 1 + its / lengths
    else:  # Iter [i/N]: the step is i
        lengths, steps, fractions = None, matrix[:, 0], None
    return _Steps(lengths, steps, fractions, np.flatnonzero(np.diff(steps) < 0).tolist())


class _TrainingClock(NamedTuple):
    """The clock's epoch length and last step as a chunk's training lines (``rows``, their
    `_Steps`) leave it after the last of them: `at` gives them after the training lines
    before any line of the chunk, where ``before`` (a clock without rows) gives them for a
    line before all."""

    rows: np.ndarray | None
    steps: _Steps | None
    length: int
    last: int

    def at(self, lines: np.ndarray, before: _TrainingClock) -> tuple[np.ndarray, np.ndarray]:
        """(epoch length, last step) as float arrays at each of ``lines`` (rising)."""
        if self.rows is None:
            return np.full(len(lines), float(before.length)), np.full(len(lines), float(before.last))
        after = np.searchsorted(self.rows, lines) - 1  # the training line before each
        return (np.where(after >= 0, self.steps.lengths[after], before.length),
                np.where(after >= 0, self.steps.steps[after], before.last))


@lru_cache(maxsize=64)
def _columns(names: tuple[str, ...], counters: int, split: str) -> tuple[tuple[int, str, str], ...]:
    """(column, tag, name) of each value of a layout that ``split`` keeps."""
    found = ((column, tag_of(name, split), name) for column, name in enumerate(names, counters))
    return tuple((column, tag, name) for column, tag, name in found if tag is not None)


@lru_cache(maxsize=1024)
def _hour_base(year: int, month: int, day: int, hour: int) -> float | None:
    """The local time of an hour's start as seconds since the epoch (None: no clock holds it)."""
    try:
        return time.mktime((year, month, day, hour, 0, 0, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _wall_times(codes: np.ndarray) -> np.ndarray | None:
    """`TextParser._wall_time` of each line's leading date and time (the first 19 bytes of its
    stamp, a row of ``codes``), computed for a whole run: one clock call per hour. None when
    one is not a date and time."""
    if codes.shape[1] < 19:
        return None
    separators = codes[:, [4, 7]]
    dashes = ((separators == 45) | (separators == 47)).all(axis=1)  # "-" or "/" (np.isin took 30 times as long)
    if not (dashes & (codes[:, 13] == 58) & (codes[:, 16] == 58) & (codes[:, 10] == 32)).all():
        return None
    digits = codes[:, _STAMP_DIGITS].astype(np.int64) - 48
    if ((digits < 0) | (digits > 9)).any():
        return None
    year, month, day, hour, minute, second = (digits[:, i] * 10 + digits[:, i + 1] for i in (2, 4, 6, 8, 10, 12))
    year += (digits[:, 0] * 10 + digits[:, 1]) * 100
    hours = ((year * 100 + month) * 100 + day) * 100 + hour
    starts = [0, *(np.flatnonzero(np.diff(hours)) + 1).tolist()]
    bases = [_hour_base(int(year[i]), int(month[i]), int(day[i]), int(hour[i])) for i in starts]
    if None in bases:
        return None
    lengths = np.diff([*starts, len(codes)])
    return np.repeat(np.array(bases, dtype=np.float64), lengths) + (minute * 60 + second)
