"""detectron2 text log (``log.txt`` or the console): CommonMetricPrinter lines and eval tables.

What it looks like::

    [07/11 14:22:23 d2.utils.events]:  eta: 0:10:00  iter: 19  total_loss: 2.036  loss_cls: 0.7261  time: 0.3156  data_time: 0.0131  lr: 0.000399  max_mem: 2345M
    [07/11 14:30:02 d2.evaluation.testing]: copypaste: Task: bbox
    [07/11 14:30:02 d2.evaluation.testing]: copypaste: AP,AP50,AP75,APs,APm,APl
    [07/11 14:30:02 d2.evaluation.testing]: copypaste: 40.2151,61.0234,43.8120,24.2100,43.5000,52.0000

``iter`` is the step and names become the same tags as in ``metrics.json`` (see
`detectron2_json.tag_of`), so the two files of one run line up; ``max_mem: 2345M`` becomes
``perf/max_mem_mb`` and ``eta`` is dropped (a duration, not a measurement). The three
``copypaste`` lines give ``val/bbox/AP``... at the last printed iteration. Loss values are
window medians, the same numbers ``metrics.json`` holds, so they keep the ``train`` split.
The timestamp has no year, so no wall time is taken from it.

Other lines. detectron2's own loggers (``d2.*``, ``fvcore``) print timings, dataset and
augmentation settings (``max_size=1333``) and evaluation tables: those lines give nothing.
Every other line after the first metrics line (before it: the environment, config and model
dumps) - a script's ``print``, a record of its own logger or of the ``detectron2`` logger that
``train_net.py`` uses, a tqdm bar - goes, without detectron2's prefix, to the line pipeline
of mixed output at the last printed iteration: ``val_loss: 0.31`` after the ``copypaste``
lines is a ``val/loss`` point at the iteration the evaluation ran after.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Point, Problem
from lossboard.sources.formats import _coco, _pair_runs
from lossboard.sources.formats._numbers import bad_number, float_matrix, json_list
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats.detectron2_json import tag_of
from lossboard.sources.formats.sniffers.detectron2_log import sniff as sniff

NAME = "detectron2-log"

_ITER = re.compile(r"\biter: (\d+)\s")
_METRICS = "iter: "  # what every metrics line holds: the marker of their layout
_PAIR = re.compile(r"([A-Za-z_][\w/.\[\]-]*): (\S+)")
_COPYPASTE = "copypaste: "
# the four bytes before the colon of "iter: " and of "copypaste: ", as words
_HEADS = np.frombuffer(b"iteraste", dtype="<u4")
_COLON = ord(":")
_COPYPASTE_BYTES = _COPYPASTE.encode()
_SEPARATORS = b"\x1c\x1d\x1e\x1f"  # white space to `str.strip`, not to `bytes.strip`
# "[11/16 03:15:21] d2.utils.events INFO: " (log.txt), "[07/11 14:22:23 d2.utils.events]: " (console)
_PREFIX = re.compile(r"\[\d\d/\d\d \d\d:\d\d:\d\d(?:\] ([\w.]+) [A-Z]+|\s([\w.]+)\]):\s*")
_OWN_LOGGERS = ("d2.", "fvcore")
_EXACT = 2**53  # iterations above this do not survive a float64
# what the fast path takes off before reading numbers: the time a line starts with, the ETA
_LINE_TIME = re.compile(r"\[\d\d/\d\d \d\d:\d\d:\d\d")
# what `_LINE_TIME` matches, "[11/16 03:15:21": where its digits are, where the rest is and what
_LINE_TIME_WIDTH = 15
_LINE_TIME_DIGITS = [1, 2, 4, 5, 7, 8, 10, 11, 13, 14]
_LINE_TIME_MARKS = [0, 3, 6, 9, 12]
_LINE_TIME_CODES = [ord(char) for char in "[/ ::"]
_DIGIT = re.compile(r"\d")


class Parser(_pair_runs.RunParser):
    """Keeps the last iteration (for RESUME and eval placement) and the copypaste table state.

    Long runs of metrics lines go through `_pair_runs` (all their numbers read at once), and
    so do the lines of detectron2's own loggers in between (evaluation progress: only checked,
    as they give nothing); ``fast=False`` reads every line on its own.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__(fast=fast)
        self._last = -1
        self._task = ""
        self._columns: list[str] = []
        self._others = LinePipeline()  # the lines detectron2 did not print

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        for number, line in enumerate(lines, first):
            if _METRICS in line:
                match = _ITER.search(line)
                if match:
                    items.extend(self._metrics(number, int(match[1]), line[match.end() :]))
                    continue
            elif _COPYPASTE in line:
                items.extend(self._copypaste(number, line.partition(_COPYPASTE)[2].strip()))
                continue
            if self._others.context.step is None:  # environment, config and model dumps
                continue
            prefix = _PREFIX.match(line)
            if prefix is None:
                if _coco.SUMMARY.match(line) is None:
                    self._others.line(number, line, items)
            elif not (prefix[1] or prefix[2]).startswith(_OWN_LOGGERS):
                self._others.line(number, line[prefix.end() :], items)

    def _layout_of(self, line: str) -> tuple[_pair_runs.Layout, str] | None:
        """A metrics line's layout: the iteration, then the values after it; or the blank
        layout of a line of detectron2's own loggers that gives nothing (evaluation progress)."""
        match = _ITER.search(line) if _METRICS in line else None
        if match is None:
            if _COPYPASTE in line:
                return _table_layout_of(line)
            # the dumps before the first metrics line are no kind worth learning (nothing is read
            # there anyway); a first chunk's progress lines after it are, once its kind is learned
            if self._others.context.step is None and _METRICS not in self._layouts:
                return None
            return _blank_layout_of(line)
        spans, names = [match.span(1)], []
        for pair in _PAIR.finditer(line, match.end()):
            if pair[1] == "eta":
                return None
            value_end = pair.end(2) - (pair[1] == "max_mem" and pair[2].endswith("M"))
            spans.append((pair.start(2), value_end))
            names.append(pair[1])
        # from "iter:" on: the general path reads nothing before it, so the time, logger and
        # ETA need no pieces, nor the ETA's shapes a check (its width moves the marker)
        at = match.start()
        layout = _pair_runs.Layout.learn(line[at:], [(start - at, end - at) for start, end in spans], names, from_marker=True)
        return None if layout is None else (layout, _METRICS)

    def _read_blank(
        self, layout: _pair_runs.Layout, marker: str, text: bytes, starts: np.ndarray, stamps: np.ndarray | None
    ) -> object | None:
        """Lines whose ``marker`` (a logger's name and what it logs up to a digit, or up to
        ``copypaste: ``) each hold right after their time (`Chunk.holding` found them there):
        copypaste tables (`_tables`), or
        lines of detectron2's own loggers, of which the general path reads nothing unless
        they hold a metrics pair or a copypaste table (`_holds_a_head`), `_PREFIX` finding
        their logger where their time is a time. Half the cost of telling each line's shape
        (a translate, a split, a dict), as these lines were checked before."""
        if marker.endswith(_COPYPASTE):
            return _tables(text, layout.skip + len(marker.encode("utf-8", "surrogatepass")))
        if _holds_a_head(text) or (stamps is not None and not _is_line_time(stamps)):
            return None
        return _NOTHING

    def _prepare(self, layout: _pair_runs.Layout, stamps: np.ndarray | None, matrix: np.ndarray) -> tuple | None:
        """The numbers, the iterations and where an iteration goes back, for the whole chunk
        (None: read it line by line, as when an iteration is too large for a float64)."""
        steps = matrix[:, 0]
        if steps.max() >= _EXACT:
            return None
        return matrix, steps.astype(np.int64), np.flatnonzero(np.diff(steps) < 0).tolist()

    def _run(self, layout: _pair_runs.Layout, prepared: tuple, start: int, stop: int, items: list[Item]) -> bool:
        """Metrics lines read at once, as `_metrics` reads them; False when the iteration goes
        back (a resume, whose event goes between lines)."""
        if not layout.width:  # copypaste tables, or lines of detectron2's own loggers: nothing to read
            return prepared is _NOTHING or self._tables_run(prepared, start, stop, items)
        matrix, steps, back = prepared
        goes_back = bisect_left(back, start) < bisect_left(back, stop - 1)  # between two of these lines
        if goes_back or steps[start] < self._last:
            return False
        items.append(_pair_runs.Rows(matrix, start, stop, _columns(layout.names), steps[start:stop]))
        self._last = int(steps[stop - 1])
        self._tell_others(self._last, None)
        return True

    def _read_whole(self, kinds: list[tuple[_pair_runs.Layout, np.ndarray, object]], items: list[Item]) -> bool:
        """A chunk of metrics lines, progress lines and copypaste tables only, read as `_run`
        reads each run of them: the metrics lines as one `Rows` when no iteration goes back,
        each group of tables (`_tables`) as one at the iterations they ran after (the last
        metrics line before each, or the last before the chunk). False when another kind is
        there, a table is cut by the chunk's end or split by another line, or the iteration
        is too large for an int64. An evaluation every 25 lines cut a chunk into some 270
        runs, whose Python (a call, a record and a group in `blocks` each) was a tenth of a load."""
        metrics = tables = None
        for layout, rows, prepared in kinds:
            if layout.width:
                metrics = layout, rows, prepared
            elif prepared is not _NOTHING:
                if tables is not None:
                    return False
                tables = rows, prepared
        if metrics is not None:
            layout, metric_rows, (matrix, steps, back) = metrics
            if back or steps[0] < self._last:
                return False
        if tables is not None:
            table_rows, found = tables
            heads = table_rows[::3]  # each table's task line: its header and values lines follow it
            if len(found) * 3 != len(table_rows) or self._last >= 2**63 or (table_rows[2::3] - heads != 2).any():
                return False
            ran_after = np.full(len(heads), max(self._last, 0))
            if metrics is not None:
                before = np.searchsorted(metric_rows, heads) - 1  # the metrics line before each table
                ran_after = np.where(before >= 0, steps[before], ran_after)
            groups: dict[int, list[int]] = {}  # a matrix of tables -> its tables, in its rows' order
            for table in range(len(heads)):
                groups.setdefault(id(found[3 * table].matrix), []).append(table)
            for group in groups.values():
                first = found[3 * group[0]]
                items.append(_pair_runs.Rows(first.matrix, 0, len(group), first.columns, ran_after[group]))
            self._task, self._columns = found[3 * len(heads) - 3].task, []
        if metrics is not None:
            items.append(_pair_runs.Rows(matrix, 0, len(steps), _columns(layout.names), steps))
            self._last = int(steps[-1])
        if tables is not None and (metrics is None or table_rows[-1] > metric_rows[-1]):
            self._tell_others(int(ran_after[-1]), tags.VAL)
        elif metrics is not None:
            self._tell_others(self._last, None)
        return True

    def _tables_run(self, tables: dict[int, _Table], start: int, stop: int, items: list[Item]) -> bool:
        """Consecutive copypaste tables (their lines ``start:stop`` of the chunk's), as
        `_copypaste` reads them line by line: each at the last iteration; False when one was
        not read (`_tables`) or the iteration is too large for an int64."""
        at = range(start, stop, 3)
        if (stop - start) % 3 or not all(line in tables for line in at) or self._last >= 2**63:
            return False
        step = np.array([max(self._last, 0)])
        for line in at:
            table = tables[line]
            items.append(_pair_runs.Rows(table.matrix, table.row, table.row + 1, table.columns, step))
        self._tell_others(int(step[0]), tags.VAL)
        self._task, self._columns = table.task, []
        return True

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._others.finish(items)
        return items

    def _tell_others(self, step: int, split: str | None) -> None:
        """The iteration of the last detectron2 line, for the lines it did not print."""
        others = self._others
        others.context.step, others.context.split = step, split
        others.progress.train_step = step

    def _metrics(self, number: int, step: int, rest: str) -> list[Item]:
        items: list[Item] = []
        if step < self._last:
            items.append(Event(RESUME, step))
        self._last = step
        self._tell_others(step, None)
        for name, text in _PAIR.findall(rest):
            if name == "eta":
                continue
            try:
                value = float(text.removesuffix("M") if name == "max_mem" else text)
            except ValueError:
                items.append(bad_number(number, f"{name}: ", text))
                continue
            items.append(Point(_tag(name), name, step, value))
        return items

    def _copypaste(self, number: int, text: str) -> list[Item]:
        """Task line, then header line, then values line: the values line emits the points."""
        if text.startswith("Task: "):
            self._task, self._columns = text[6:].strip(), []
            return []
        if not self._columns:
            self._columns = text.split(",")
            return []
        cells = text.split(",")
        columns, self._columns = self._columns, []
        if len(cells) != len(columns):
            return [Problem(number, f"{len(cells)} values for {len(columns)} columns; skipped")]
        items: list[Item] = []
        step = max(self._last, 0)
        self._tell_others(step, tags.VAL)
        for column, cell in zip(columns, cells):
            name = f"{self._task}/{column.strip()}"
            try:
                items.append(Point(_tag(name), name, step, float(cell)))
            except ValueError:
                items.append(bad_number(number, name, cell))
        return items


def _is_line_time(stamps: np.ndarray) -> bool:
    """Whether each row of ``stamps`` (the bytes a line starts with, as a layout skips them)
    is a time as `_LINE_TIME` and `_PREFIX` want it: ``[`` and two digits each for month,
    day, hours, minutes and seconds (how many digits `_pair_runs` leaves to its reader)."""
    if stamps.shape[1] != _LINE_TIME_WIDTH:
        return False
    digits = stamps[:, _LINE_TIME_DIGITS]
    return bool(((digits >= 48) & (digits <= 57)).all() and (stamps[:, _LINE_TIME_MARKS] == _LINE_TIME_CODES).all())


_NOTHING = ()  # what `_read_blank` makes of lines that give nothing


class _Table(NamedTuple):
    """A copypaste table read in bulk: its values are row ``row`` of ``matrix`` (shared by
    a chunk's tables of one task and header), and its task (`Parser._copypaste`)."""

    matrix: np.ndarray
    row: int
    columns: tuple[tuple[int, str, str], ...]
    task: str


def _tables(text: bytes, offset: int) -> dict[int, _Table] | None:
    """The copypaste tables of a chunk's lines holding ``copypaste: `` (joined in ``text``,
    a table's text from ``offset`` of each line), by the line each starts at: three lines each
    (task, header, values), as `Parser._copypaste` reads them. The chunk's ends may cut a
    table: its lines in this chunk (the first ones before a task line, the last ones after the
    last whole table) are left to be read one by one. None when any other table
    is not read so (all are read one by one): a line holds ``iter: `` (a metrics line to the
    general path) or ``copypaste: `` twice; a task line is not one, a header is; a count of
    values is not the header's; a value orjson does not read as `float` does (``1.``,
    ``nan``, ``-0``); or a byte `str.strip` and `bytes.strip` take differently."""
    lines = text.split(b"\n")
    if (b"iter: " in text or text.count(_COPYPASTE_BYTES) != len(lines) or not text.isascii()
            or any(byte in text for byte in _SEPARATORS)):
        return None
    cells = [line[offset:].strip() for line in lines]
    first = next((at for at, cell in enumerate(cells) if cell.startswith(b"Task: ")), None)
    if first is None:
        return None
    whole = cells[first : first + (len(cells) - first) // 3 * 3]  # the tables the chunk holds whole
    tasks, headers, values = whole[0::3], whole[1::3], whole[2::3]
    if not all(task.startswith(b"Task: ") for task in tasks) or any(header.startswith(b"Task: ") for header in headers):
        return None  # (a values line that is a task line is no number to orjson)
    if any(value.count(b",") != header.count(b",") for header, value in zip(headers, values)):
        return None
    joined = b",".join(values)
    flat = json_list(b"[%s]" % joined, joined.count(b",") + 1)
    if flat is None or (b"-" in joined and any(type(number) is int for number in flat)):
        return None
    groups: dict[tuple[bytes, bytes], list[int]] = {}  # (task, header) -> its tables
    for table, key in enumerate(zip(tasks, headers)):
        groups.setdefault(key, []).append(table)
    ends = np.cumsum([value.count(b",") + 1 for value in values]).tolist()
    found = {}
    for (task, header), tables in groups.items():
        width = header.count(b",") + 1
        numbers = [number for table in tables for number in flat[ends[table] - width : ends[table]]]
        matrix = float_matrix(numbers, len(tables), width)
        name = task[6:].strip().decode()
        for row, table in enumerate(tables):
            found[first + 3 * table] = _Table(matrix, row, _table_columns(name, header.decode()), name)
    return found


@lru_cache(maxsize=64)
def _table_columns(task: str, header: str) -> tuple[tuple[int, str, str], ...]:
    """(column, tag, name) of each value of a copypaste table, named as `Parser._copypaste` names them."""
    return tuple((column, _tag(name), name) for column, name in enumerate(f"{task}/{cell.strip()}" for cell in header.split(",")))


def _holds_a_head(text: bytes) -> bool:
    """Whether ``text`` may hold ``iter: `` or `_COPYPASTE`: the four bytes before each colon
    compared as a word, at a third of the cost of two substring searches (whose last byte, a
    space, is in every few bytes)."""
    colons = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == _COLON)
    words = np.ndarray((len(text) - 3,), "<u4", text, strides=(1,))[colons[colons >= 4] - 4]
    return bool(((words == _HEADS[0]) | (words == _HEADS[1])).any())


def _blank_layout_of(line: str) -> tuple[_pair_runs.Layout, str] | None:
    """The layout of a line of detectron2's own loggers (``Inference done 11/3334. ...``),
    which gives nothing, and its text from the logger to the first digit."""
    prefix = _PREFIX.match(line)
    time = _LINE_TIME.match(line)
    if prefix is None or time is None or not (prefix[1] or prefix[2]).startswith(_OWN_LOGGERS):
        return None
    digit = _DIGIT.search(line, prefix.end())
    marker = line[time.end() : digit.start() if digit else len(line)]
    return _pair_runs.Layout.blank(skip=time.end()), marker


def _table_layout_of(line: str) -> tuple[_pair_runs.Layout, str] | None:
    """The layout of a copypaste line after a time, and its text from there to ``copypaste: ``."""
    time = _LINE_TIME.match(line)
    if time is None:
        return None
    return _pair_runs.Layout.blank(skip=time.end()), line[time.end() : line.index(_COPYPASTE) + len(_COPYPASTE)]


@lru_cache(maxsize=1024)  # every value of every metrics and copypaste line read one by one
def _tag(name: str) -> str:
    return "perf/max_mem_mb" if name == "max_mem" else tag_of(name)


@lru_cache(maxsize=64)
def _columns(names: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """(column, tag, name) of each value of a metrics layout (the iteration is column 0)."""
    return tuple((column, _tag(name), name) for column, name in enumerate(names, 1))
