"""Caffe training logs, written through glog by ``caffe train``.

Every line Caffe itself prints starts with a glog prefix (severity, month, day, time, thread,
source line)::

    I0711 14:22:25.854327  1274 solver.cpp:228] Iteration 100, loss = 0.232917
    I0711 14:22:25.854377  1274 solver.cpp:244]     Train net output #0: loss = 0.232917 (* 1 = 0.232917 loss)
    I0711 14:22:25.854387  1274 sgd_solver.cpp:106] Iteration 100, lr = 0.00992565
    I0711 14:22:32.056936  1274 solver.cpp:337] Iteration 500, Testing net (#0)
    I0711 14:22:33.123492  1274 solver.cpp:404]     Test net output #0: accuracy = 0.9726

What becomes what:

* ``Iteration N, loss = X`` (also the final ``solver.cpp:317`` line, and the newer
  ``Iteration N (2.3 iter/s, 43.4s/100 iters), loss = X``) -> ``train/loss`` at step N. Caffe
  averages it over the solver's ``average_loss`` iterations; the iter/s figure of the newer
  line -> ``perf/iters_per_sec``.
* ``Train net output #k: name = X (* w = Xw loss)`` -> ``train_batch/<name>``: the raw value of
  the one batch at that iteration (the first number, before the loss weight), kept apart from
  the smoothed ``train/loss`` like every batch-level value.
* ``Iteration N, Testing net (#0)`` then ``Test net output #k: name = v`` -> ``val/<name>`` at
  step N; a second test net (#1) goes to ``val_net1/<name>``.
* ``Iteration N, lr = X`` -> ``opt/lr``.
* The solver parameters dumped after ``Initializing solver from parameters:`` -> `Meta`
  (``base_lr``, ``lr_policy``, ...); the net prototxt dumps and Caffe's other glog lines
  (``net.cpp``, ``data_layer.cpp``: shapes, memory, layer set-up) are noise.
* Lines Caffe did not print (a Python layer's or a wrapping script's ``print``, a
  ``logging`` record, a tqdm bar, a glog line from a ``.py`` file) go to the line pipeline of
  mixed output (`_pipeline.LinePipeline`) at the iteration of the last ``Iteration N`` line, as
  test values while a test net runs: ``val_f1: 0.93`` printed after ``Iteration 500, Testing
  net (#0)`` is a ``val/f1`` point at step 500.
* An iteration number lower than one already seen (a restart appended to the same log) ->
  `Event` RESUME at that iteration.

Wall time: glog prints month, day and time but no year (and local time, no zone). Records
get ``wall_time`` = that month/day/time read as UTC in 1972 (the first leap year after 1970,
so 29 February exists), one year later after each December -> January wrap. Differences
between points are exact and the printed date and time read back unchanged; the year is a
placeholder, which the ``wall_time_year`` `Meta` says.

Runs of display records (loss, ``Train net output``, lr lines) are read a chunk at a time by
`_caffe_fast`; everything else, and records that do not fit it exactly, line by line here
(``Parser(fast=False)`` reads every line so).
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
import numpy as np

from lossboard import tags
from lossboard.model import RESUME, Columns, Event, Item, Meta, Point, Problem
from lossboard.sources.formats._caffe_fast import LOSS_LINE, Block, Layout, wall_times
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number, number
from lossboard.sources.formats._pipeline import LinePipeline

NAME = "caffe"

_GLOG = re.compile(r"[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d(?:\.\d+)?) +\d+ ([\w.+-]+):\d+\] (.*)")
_ITER_LOSS = re.compile(r"Iteration (\d+)(?: \(([^)]*)\))?, loss = (\S*)")
_ITERS_PER_SEC = re.compile(r"(\S+) iter/s")
_TESTING = re.compile(r"Iteration (\d+), Testing net \(#(\d+)\)")
_LR = re.compile(r"Iteration (\d+), lr = (\S*)")
_OUTPUT = re.compile(r"(Train|Test) net output #\d+: (\S+) = (\S*)")
_SOLVER_PARAM = re.compile(r"(\w+): (.+)")
_SNIFF = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ (?:solver|sgd_solver|caffe|net)\.cpp:\d+\]", re.M
)

_FAST_MIN_LINES = 64  # fewer lines than this are parsed one by one
_PIECE_CHARS = 1 << 17  # the fast path reads a chunk in pieces of this size (`Parser._fast_blocks`)
_SOLVER, _NET = "solver", "net"  # the parameter dumps: the solver's is read, the net's is noise

_BASE_YEAR = 1972
_YEAR_NOTE = f"unknown: glog prints none; wall times are placed in {_BASE_YEAR} (+1 per new year)"


def sniff(head: str, filename: str) -> float:
    """Caffe's own glog lines (solver.cpp, net.cpp, caffe.cpp) are unmistakable."""
    return 0.95 if _SNIFF.search(head) else 0.0


class Parser(LineParser):
    """Caffe glog lines in, points out; tracks the iteration a test or raw output belongs to.

    ``fast=False`` parses every line on its own (tests compare both paths).
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._iteration = 0  # the iteration of the last "Iteration N, loss" line
        self._previous = -1  # the iteration of the previous loss or test line, to spot a restart
        self._test: tuple[int, str] | None = None  # (iteration, split) of the running test
        self._dump: str | None = None  # SOLVER or NET: inside the parameter dump after such a line
        self._depth = 0  # brace depth inside the solver parameter dump
        self._year = _BASE_YEAR
        self._month = 0
        self._started = False
        self._training = False  # an "Iteration N" line was seen: other lines have a step
        self._others = LinePipeline()  # the lines Caffe did not print
        self._fast = fast
        self._layout: Layout | None = None

    def feed(self, text: str) -> list[Item]:
        if self._fast and self._started:  # whole lines as one string: no list of lines at all
            taken = self._splitter.feed_block(text)
            if taken is not None:
                items = self._cut_problems()
                items.extend(self._fast_blocks(*taken))
                return items
        return super().feed(text)

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        start = 0
        while not self._started and start < len(lines):  # the fast path starts after the first glog line
            self._line(first + start, lines[start], items)
            start += 1
        if start:
            first, lines = first + start, lines[start:]
        if self._fast and len(lines) >= _FAST_MIN_LINES:
            items.extend(self._fast_blocks(first, "\n".join(lines) + "\n"))
        else:
            self._lines(first, lines, items)
        return items

    def _lines(self, first: int, lines: list[str], items: list[Item]) -> None:
        for line_no, line in enumerate(lines, first):
            self._line(line_no, line, items)

    def _line(self, line_no: int, line: str, items: list[Item]) -> None:
        glog = _GLOG.match(line) if line[:1] in "IWEF" else None
        if glog is None:
            if self._dump == _SOLVER:
                self._solver_param(line, items)
            elif self._dump is None:
                self._other(line_no, line, items)
            return
        self._dump = None
        if not self._started:
            self._started = True
            items += [Meta("framework", "caffe"), Meta("wall_time_year", _YEAR_NOTE)]
        message = glog[7]
        if "Iteration " in message:
            self._iteration_line(line_no, glog, message, items)
        elif "net output #" in message:
            self._output_line(line_no, glog, message, items)
        elif message.startswith("Initializing solver from parameters"):
            self._dump, self._depth = _SOLVER, 0
        elif message.startswith("Initializing net from parameters"):
            self._dump = _NET
        elif not glog[6].endswith(".cpp"):  # glog-style logging of the script (train.py:42])
            self._other(line_no, line, items)

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._others.finish(items)
        return items

    def _other(self, line_no: int, line: str, items: list[Item]) -> None:
        """A line Caffe did not print (a Python layer's or a wrapping script's ``print``, a
        ``logging`` record, a tqdm bar): read by the line pipeline at the iteration Caffe is at,
        as a test value while a test net runs. Before the first iteration there is no step to
        put a value at, so a config printed then stays unread."""
        if self._training:
            others = self._others
            testing = self._test is not None
            # Caffe's iterations are the training steps: a script's validation bar sits there too
            step = self._test[0] if testing else self._iteration
            others.context.step = others.progress.train_step = step
            others.context.split = tags.VAL if testing else None
        self._others.line(line_no, line, items)

    def _solver_param(self, line: str, items: list[Item]) -> None:
        """One ``key: value`` of the solver dump; nested ``{ }`` blocks are skipped."""
        stripped = line.strip()
        if stripped.endswith("{"):
            self._depth += 1
        elif stripped == "}":
            self._depth = max(0, self._depth - 1)
        elif self._depth == 0:
            param = _SOLVER_PARAM.fullmatch(stripped)
            if param:
                items.append(Meta(param[1], param[2].strip('"')))

    def _iteration_line(self, line: int, glog: re.Match, message: str, items: list[Item]) -> None:
        self._test = None
        self._training = True
        match = _ITER_LOSS.search(message)
        if match:
            step = int(match[1])
            self._restart_check(step, glog, items)
            self._iteration = step
            wall = self._wall_time(glog)
            value = number(match[3])
            if value is None:
                items.append(bad_number(line, "loss =", match[3]))
            else:
                items.append(Point("train/loss", "loss", step, value, None, wall))
            speed = _ITERS_PER_SEC.search(match[2] or "")
            per_sec = number(speed[1]) if speed else None
            if per_sec is not None:
                items.append(Point("perf/iters_per_sec", "iter/s", step, per_sec, None, wall))
            return
        match = _TESTING.search(message)
        if match:
            step = int(match[1])
            self._restart_check(step, glog, items)
            self._test = (step, tags.VAL if match[2] == "0" else f"val_net{match[2]}")
            return
        match = _LR.search(message)
        if match:
            value = number(match[2])
            if value is None:
                items.append(bad_number(line, "lr =", match[2]))
            else:
                step = int(match[1])
                items.append(Point("opt/lr", "lr", step, value, None, self._wall_time(glog)))

    def _output_line(self, line: int, glog: re.Match, message: str, items: list[Item]) -> None:
        match = _OUTPUT.search(message)
        if match is None:
            return
        value = number(match[3])
        if value is None:
            items.append(bad_number(line, f"{match[2]} =", match[3]))
            return
        name = match[2]
        if match[1] == "Train":
            tag, step = _canonical(name, tags.BATCH), self._iteration
        elif self._test is not None:
            step, split = self._test
            tag = _canonical(name, tags.VAL)
            if split != tags.VAL:
                tag = f"{split}/{tags.metric_of(tag)}"
        else:
            items.append(Problem(line, "a test output with no 'Testing net' line before; skipped"))
            return
        items.append(Point(tag, name, step, value, None, self._wall_time(glog)))

    def _restart_check(self, step: int, glog: re.Match, items: list[Item]) -> None:
        if step < self._previous:
            text = f"iteration {step} after {self._previous}"
            items.append(Event(RESUME, step, None, self._wall_time(glog), text))
        self._previous = step

    def _wall_time(self, glog: re.Match) -> float | None:
        month, day = int(glog[1]), int(glog[2])
        if not 1 <= month <= 12:
            return None
        if month < self._month:
            self._year += 1  # December -> January: glog's date has no year to tell us
        self._month = month
        return _minute_start(self._year, month, day, int(glog[3]), int(glog[4])) + float(glog[5])

    # ---- fast path ---------------------------------------------------------------------------

    def _fast_blocks(self, first: int, text: str) -> list[Item]:
        """`_fast_block` of ``text`` in pieces of about `_PIECE_CHARS`, each cut before a
        record's loss line.

        The bulk reads hold a few times their text in temporaries; freed, megabytes of them
        make glibc give the memory back to the system and fault it in again for the next
        chunk, which cost a third of the CPU time of 1 MB pieces.
        """
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        items: list[Item] = []
        at = 0
        while at < len(text):
            cut = text.find(LOSS_LINE, at + _PIECE_CHARS)
            end = text.rfind("\n", at, cut) + 1 if cut >= 0 else 0
            if end <= at:
                end = len(text)
            block = Block(text[at:end] if at or end < len(text) else text)
            items.extend(self._fast_block(first, block))
            first += block.count
            at = end
        return items

    def _fast_block(self, first: int, block: Block) -> list[Item]:
        """The records of the whole lines of ``block`` (the first numbered ``first``), all their
        display records read as one matrix.

        Runs of display records are read together (`_caffe_fast`); every other line, and a run
        whose dates or iterations do not continue where the parser stands, is parsed on its own
        in order. The runs' values are emitted as one block per series, after the lines parsed
        on their own unless one of those touches the same series or is an event.
        """
        read = self._read_records(block) if block.count >= _FAST_MIN_LINES and b"\r" not in block.data else None
        if read is None:
            items: list[Item] = []
            self._lines(first, block.lines(0, block.count), items)
            return items
        firsts, dates, matrix = read
        size = self._layout.lines
        year = self._year
        walls = wall_times(dates, year)
        months = dates[:, 0]
        iterations = matrix[:, 0]
        # dates and iterations that only go up across all runs need one check per run below
        rising = _rises(months, iterations)
        items = []
        runs: list[tuple[int, int, np.ndarray]] = []  # (first, stop record, walls of its lines) to emit
        done = 0  # lines before `done` are parsed
        # each run's first and last line, record, month and iteration, as Python numbers
        breaks = (np.flatnonzero(np.diff(firsts) != size) + 1).tolist()
        run_records = [0, *breaks]
        run_ends = np.array([*breaks, len(firsts)]) - 1  # the run's last record
        starts, stops = firsts[run_records].tolist(), (firsts[run_ends] + size).tolist()
        first_months, last_months = months[np.array(run_records) * size].tolist(), months[run_ends * size + size - 1].tolist()
        first_steps, last_steps = iterations[run_records].astype(np.int64).tolist(), iterations[run_ends].astype(np.int64).tolist()
        for run, record in enumerate(run_records):
            start, stop, stop_record = starts[run], stops[run], int(run_ends[run]) + 1
            self._between(first, block, done, start, matrix, runs, items)
            line_at, line_stop = record * size, stop_record * size
            fits = (
                first_months[run] >= self._month
                and first_steps[run] >= self._previous
                and (rising or _rises(months[line_at:line_stop], iterations[record:stop_record]))
            )
            if fits:
                run_walls = walls[line_at:line_stop]
                if self._year != year:  # a line parsed on its own began a new year
                    run_walls = wall_times(dates[line_at:line_stop], self._year)
                runs.append((record, stop_record, run_walls))
                self._month = last_months[run]
                self._iteration = self._previous = last_steps[run]
                self._test = self._dump = None
                self._training = True
            else:  # a restart or a new year inside: the line-by-line path says so
                self._between(first, block, start, stop, matrix, runs, items)
            done = stop
        self._between(first, block, done, block.count, matrix, runs, items)
        self._emit(matrix, runs, items)
        return items

    def _between(
        self, first: int, block: Block, start: int, stop: int, matrix: np.ndarray, runs: list, items: list[Item]
    ) -> None:
        """Parse lines ``start`` to ``stop`` of ``block`` on their own; the runs read so far go
        out first when what these lines give must come after them."""
        if start == stop:
            return
        parsed: list[Item] = []
        self._lines(first + start, block.lines(start, stop), parsed)
        series = self._layout.tags
        if runs and any(type(item) is Event or (type(item) in (Point, Columns) and item.tag in series) for item in parsed):
            self._emit(matrix, runs, items)
        items.extend(parsed)

    def _read_records(self, block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """`Layout.read` of ``block``; the layout is learned again once when the known one
        does not fit."""
        for _ in range(2):
            if self._layout is None:
                self._layout = self._learn(block)
                if self._layout is None:
                    return None
            read = self._layout.read(block)
            if read is not None:
                return read
            self._layout = None  # another layout from here on (a restart with other outputs)?
        return None

    def _learn(self, block: Block, tries: int = 4) -> Layout | None:
        """The layout of the first whole record in ``block`` of glog lines that fits one,
        from a loss line to the next."""
        data, marker = block.data, LOSS_LINE.encode()
        at = data.find(marker)
        for _ in range(tries):
            following = data.find(marker, at + 1) if at >= 0 else -1
            if following < 0:
                return None
            start, stop = np.searchsorted(block.ends, [at, following]).tolist()
            record = block.lines(start, stop)
            if all(_GLOG.match(line) for line in record) and (layout := Layout.learn(record)) is not None:
                return layout
            at = following
        return None

    def _emit(self, matrix: np.ndarray, runs: list[tuple[int, int, np.ndarray]], items: list[Item]) -> None:
        """The values of the records of ``runs``, one block per series; empties ``runs``."""
        if not runs:
            return
        if len(runs) == 1:
            (start, stop, walls), = runs
            matrix = matrix[start:stop]
        else:
            matrix = np.concatenate([matrix[start:stop] for start, stop, _ in runs])
            walls = np.concatenate([walls for _, _, walls in runs])
        runs.clear()
        size = self._layout.lines
        steps = matrix[:, 0].astype(np.int64)
        for column, step_column, tag, name, line in self._layout.columns:
            at = steps if step_column == 0 else matrix[:, step_column].astype(np.int64)
            items.append(Columns(tag, name, at, matrix[:, column], None, walls[line::size]))


def _rises(months: np.ndarray, iterations: np.ndarray) -> bool:
    """Whether dates (by month) and iterations never go back: no new year, no restart."""
    return bool((np.diff(months) >= 0).all() and (np.diff(iterations) >= 0).all())


@lru_cache(maxsize=4096)
def _minute_start(year: int, month: int, day: int, hour: int, minute: int) -> int:
    """``calendar.timegm`` of a minute; a log's lines share few of them."""
    return calendar.timegm((year, month, day, hour, minute, 0))


_canonical = lru_cache(maxsize=1024)(tags.canonical)  # a log prints few names, many times
