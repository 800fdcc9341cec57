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
from lossboard.model import RESUME, Event, Item, Meta, Point, Problem
from lossboard.sources.formats._caffe_fast import LOSS_LINE, Block, Layout, Records, output_tag
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number, number
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats._plain_bytes import PlainBytesFeed, is_plain
from lossboard.sources.formats.sniffers.caffe import sniff as sniff

NAME = "caffe"

_GLOG = re.compile(r"[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d(?:\.\d+)?) +\d+ ([\w.+-]+):\d+\] (.*)")
_ITER_LOSS = re.compile(r"Iteration (\d+)(?: \(([^)]*)\))?, loss = (\S*)")
_ITERS_PER_SEC = re.compile(r"(\S+) iter/s")
_TESTING = re.compile(r"Iteration (\d+), Testing net \(#(\d+)\)")
_LR = re.compile(r"Iteration (\d+), lr = (\S*)")
_OUTPUT = re.compile(r"(Train|Test) net output #\d+: (\S+) = (\S*)")
_SOLVER_PARAM = re.compile(r"(\w+): (.+)")

_FAST_MIN_LINES = 64  # fewer lines than this are parsed one by one
_MAX_RECORD_LINES = 64  # the most lines a display record or test block learned from may have
_TEST_LINE = ", Testing net (#"  # text only a test block's first line has
_LOSS_BYTES, _TEST_BYTES = LOSS_LINE.encode(), _TEST_LINE.encode()
_FAST_MIN_TESTS = 16  # fewer test blocks than this in a piece are parsed line by line
_MAX_OTHER_LINES = 16  # a piece with up to this many lines in no record is read around them (`Parser._around`)
_PIECE_BYTES = 1 << 20  # the fast path reads a chunk in pieces of this size (`Parser._fast_blocks`)
_SOLVER, _NET = "solver", "net"  # the parameter dumps: the solver's is read, the net's is noise

_BASE_YEAR = 1972
_YEAR_NOTE = f"unknown: glog prints none; wall times are placed in {_BASE_YEAR} (+1 per new year)"


class Parser(PlainBytesFeed, LineParser):
    """Caffe glog lines in, points out; tracks the iteration a test or raw output belongs to.

    ``fast=False`` parses every line on its own (tests compare both paths). Fed bytes
    (`feed_bytes`), plain lines after the first glog line reach the fast path undecoded.
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
        self._layout: Layout | None = None  # of the display records
        self._test_layout: Layout | None = None  # of the test blocks
        self._buffer: np.ndarray | None = None  # of the last piece read fast (`Block`)

    def feed(self, text: str) -> list[Item]:
        if self.takes_plain():  # whole lines as one string: no list of lines at all
            taken = self._splitter.feed_block(text)
            if taken is not None:
                items = self._cut_problems()
                first, block = taken
                data = block.encode("utf-8", "surrogatepass")
                self._fast_blocks(first, data, len(data), "surrogatepass", items)
                return items
        return super().feed(text)

    def takes_plain(self) -> bool:
        """The fast path starts after the first glog line (the set-up before it is read line
        by line)."""
        return self._fast and self._started

    def read_plain(self, data: bytes, end: int) -> list[Item] | None:
        if not (self._fast and is_plain(data, end, self._splitter.max_line_chars)):
            return None
        items: list[Item] = []
        start = self._set_up(data, end, items)
        if start:
            data, end = data[start:end], end - start
        first = self._splitter.next_line  # the lines are counted as read
        self._splitter.skip(self._fast_blocks(first, data, end, "replace", items))  # bad bytes replaced, as the reader does
        return items

    def _set_up(self, data: bytes, end: int, items: list[Item]) -> int:
        """Parse the lines of ``data[:end]`` up to the first glog line one by one (the fast
        path starts after it), decoded as the reader decodes them; where the rest starts."""
        at = 0
        while not self._started and at < end:
            stop = data.index(b"\n", at) + 1
            line = data[at : stop - 1].decode("utf-8", "replace").removesuffix("\r")  # plain: CRLF as LF
            self._line(self._splitter.skip(1), line, items)
            at = stop
        return at

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        start = 0
        while not self._started and start < len(lines):  # the fast path starts after the first glog line
            self._line(first + start, lines[start], items)
            start += 1
        if start:
            first, lines = first + start, lines[start:]
        if self._fast and len(lines) >= _FAST_MIN_LINES:
            data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
            self._fast_blocks(first, data, len(data), "surrogatepass", items)
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
            tag, step = output_tag(name, None), self._iteration
        elif self._test is not None:
            step, split = self._test
            tag = output_tag(name, split)
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

    def _fast_blocks(self, first: int, data: bytes, end: int, errors: str, items: list[Item]) -> int:
        """`_fast_block` of the whole lines ``data[:end]`` (UTF-8, lines left to the line-by-line
        path decoded with ``errors``) in pieces of about `_PIECE_BYTES`, each cut before a
        record's loss line, into ``items``; how many lines they were.

        A piece costs ~80 numpy calls whatever its size, so the reader's 1 MB chunk is read
        whole: 128 KB pieces cost a quarter more CPU. (They were chosen when each chunk also
        came as a decoded ``str`` and its copies: glibc gave those megabytes back to the system
        and faulted them in again for the next chunk. Fed bytes, a load now takes a few hundred
        page faults whatever the piece size.)
        """
        if data.find(b"\r", 0, end) >= 0:
            data = data[:end].replace(b"\r\n", b"\n")
            end = len(data)
        at, lines = 0, 0
        while at < end:
            cut = data.find(_LOSS_BYTES, at + _PIECE_BYTES, end)
            stop = data.rfind(b"\n", at, cut) + 1 if cut >= 0 else 0
            if stop <= at:
                stop = end
            block = Block(data, at, stop, errors, self._buffer)
            self._buffer = block.buffer  # for the next piece: this one's records are read below
            items.extend(self._fast_block(first + lines, block))
            lines += block.count
            at = stop
        return lines

    def _fast_block(self, first: int, block: Block) -> list[Item]:
        """The records of the whole lines of ``block`` (the first numbered ``first``), all their
        display records and test blocks read as one matrix each.

        Runs of display records and test blocks are read together (`_caffe_fast`); every other
        line, and records whose dates or iterations do not continue where the parser stands, are
        parsed on their own in order. The records' values are emitted as one block per series,
        after the lines parsed on their own unless one of those touches the same series or is an
        event.
        """
        fits = block.count >= _FAST_MIN_LINES and block.find(b"\r") < 0
        display = self._read(block, test=False) if fits else None
        if display is None:
            items: list[Item] = []
            self._lines(first, block.lines(0, block.count), items)
            return items
        tests = self._read(block, test=True)
        return self._take(first, block, display, tests)

    def _take(self, first: int, block: Block, display: Records, tests: Records | None, *, parts: bool = True) -> list[Item]:
        """The items of ``block`` whose display records (and test blocks) are read: at once if
        they continue where the parser stands, else run by run."""
        others = _uncovered(block.count, display, tests)
        if not len(others) and self._whole(block, display, tests):
            display.emit(items := [])
            if tests is not None:
                tests.emit(items)
            return items
        if parts and 0 < len(others) <= _MAX_OTHER_LINES:
            return self._around(first, block, display, tests, others.tolist())
        firsts, dates, matrix = display.firsts, display.dates, display.matrix
        size = display.layout.lines
        months = dates[:, 0]
        iterations = matrix[:, 0]
        # dates and iterations that only go up across all runs need one check per run below
        rising = _rises(months, iterations)
        items = []
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
            self._between(first, block, done, start, display, tests, items)
            fits = (
                first_months[run] >= self._month
                and first_steps[run] >= self._previous
                and (rising or _rises(months[record * size : stop_record * size], iterations[record:stop_record]))
            )
            if fits:
                display.take(record, stop_record, self._year)
                self._iteration = last_steps[run]
                self._stand_after(last_steps[run], None, last_months[run])
            else:  # a restart or a new year inside: the line-by-line path says so
                self._on_their_own(first, block, start, stop, display, tests, items)
            done = stop
        self._between(first, block, done, block.count, display, tests, items)
        display.emit(items)
        if tests is not None:
            tests.emit(items)
        return items

    def _around(self, first: int, block: Block, display: Records, tests: Records | None, others: list[int]) -> list[Item]:
        """`_take` of the stretches of ``block`` between ``others`` (lines in no record: a
        snapshot, a print), each on its own, and each of ``others`` parsed on its own, in order:
        one such line does not send every run of records of the piece through Python."""
        items: list[Item] = []
        start = 0
        for other in [*others, block.count]:
            if start < other:
                low, high = np.searchsorted(display.firsts, [start, other]).tolist()
                part = display.part(low, high, start)
                if part is None:  # test blocks alone
                    self._lines(first + start, block.lines(start, other), items)
                else:
                    test_part = None
                    if tests is not None:
                        low, high = np.searchsorted(tests.firsts, [start, other]).tolist()
                        test_part = tests.part(low, high, start)
                    items.extend(self._take(first + start, block.part(start, other), part, test_part, parts=False))
            if other < block.count:
                self._lines(first + other, block.lines(other, other + 1), items)
            start = other + 1
        return items

    def _whole(self, block: Block, display: Records, tests: Records | None) -> bool:
        """Take every record of ``block`` at once, its lines being all display records and test
        blocks, if their dates and iterations only go up from where the parser stands; False,
        with nothing taken, if not."""
        # each line's month and each record's iteration in the order of the lines: placed, not sorted
        months = np.empty(block.count, dtype=np.int64)
        steps = np.empty(block.count)
        firsts = np.zeros(block.count, dtype=bool)
        for records in (display, tests):
            if records is not None:
                months[records.line_indexes] = records.dates[:, 0]
                steps[records.firsts] = records.matrix[:, 0]
                firsts[records.firsts] = True
        steps = steps[firsts]
        if steps[0] < self._previous or months[0] < self._month or not _rises(months, steps):
            return False
        display.take(0, len(display.firsts), self._year)
        self._iteration = previous = int(display.matrix[-1, 0])
        test = None
        if tests is not None:
            tests.take(0, len(tests.firsts), self._year)
            if tests.firsts[-1] > display.firsts[-1]:  # the piece ends in a test block
                previous = int(tests.matrix[-1, 0])
                test = (previous, tests.layout.split)
        self._stand_after(previous, test, int(months[-1]))
        return True

    def _between(
        self, first: int, block: Block, start: int, stop: int, display: Records, tests: Records | None, items: list[Item]
    ) -> None:
        """Lines ``start`` to ``stop`` of ``block``, between runs of display records: their
        test blocks read from ``tests`` where they continue where the parser stands, the rest
        parsed on their own."""
        if tests is not None and start < stop:
            size = tests.layout.lines
            low, high = np.searchsorted(tests.firsts, [start, stop - size + 1]).tolist()
            for record in range(low, high):
                at = int(tests.firsts[record])
                self._on_their_own(first, block, start, at, display, tests, items)
                if not self._test_block(tests, record):
                    self._on_their_own(first, block, at, at + size, display, tests, items)
                start = at + size
        self._on_their_own(first, block, start, stop, display, tests, items)

    def _test_block(self, tests: Records, record: int) -> bool:
        """Take test block ``record`` of ``tests`` if it continues where the parser stands, as
        its ``Testing net`` line and outputs would leave the parser; False if not."""
        size = tests.layout.lines
        months = tests.dates[record * size : record * size + size, 0].tolist()
        step = int(tests.matrix[record, 0])
        if step < self._previous or months[0] < self._month or months != sorted(months):
            return False  # a restart or a new year: the line-by-line path says so
        tests.take(record, record + 1, self._year)
        self._stand_after(step, (step, tests.layout.split), months[-1])
        return True

    def _stand_after(self, previous: int, test: tuple[int, str] | None, month: int) -> None:
        """Where records read in bulk leave the parser, as their lines would: the last step
        seen, the test running (if they end in a test block) and the last line's month."""
        self._previous, self._test, self._month = previous, test, month
        self._dump = None
        self._training = True

    def _on_their_own(
        self, first: int, block: Block, start: int, stop: int, display: Records, tests: Records | None, items: list[Item]
    ) -> None:
        """Parse lines ``start`` to ``stop`` of ``block`` one by one; the records read so far go
        out first when what these lines give must come after them."""
        if start >= stop:
            return
        parsed: list[Item] = []
        self._lines(first + start, block.lines(start, stop), parsed)
        if display.touched_by(parsed) or (tests is not None and tests.touched_by(parsed)):
            display.emit(items)
            if tests is not None:
                tests.emit(items)
        items.extend(parsed)

    def _read(self, block: Block, *, test: bool) -> Records | None:
        """The display records (or test blocks) of ``block``; the layout is learned again once
        when the known one does not fit. Fewer than `_FAST_MIN_TESTS` test blocks are left to
        the line-by-line path: a bulk read costs about what parsing ten of them does."""
        for _ in range(2):
            layout = self._test_layout if test else self._layout
            if layout is None:
                layout = self._learn(block, _TEST_LINE if test else LOSS_LINE)
                if layout is None or (layout.split is not None) != test:
                    return None
            records = layout.find(block)
            few = test and len(records[0]) < _FAST_MIN_TESTS
            if few and block.occurrences(_TEST_BYTES) < _FAST_MIN_TESTS:
                return None
            found = None if few else layout.read(block, records)  # many test blocks of another layout: learn it
            if test:
                self._test_layout = None if found is None else layout
            else:
                self._layout = None if found is None else layout
            if found is not None:
                return Records(layout, *found, self._year)
        return None

    def _learn(self, block: Block, marker: str, tries: int = 4) -> Layout | None:
        """The layout of the first whole record in ``block`` of glog lines that fits one:
        from a line with ``marker`` (a loss line, a ``Testing net`` line) up to the next line
        that has it or is not a ``net output`` line."""
        found = marker.encode()
        at = block.find(found)
        for _ in range(tries):
            if at < 0:
                return None
            start = int(np.searchsorted(block.ends, at))
            record = block.lines(start, min(start + _MAX_RECORD_LINES, block.count))
            end = next((i for i, line in enumerate(record[1:], 1) if marker in line or "net output #" not in line), None)
            if end is not None and marker == LOSS_LINE and ", lr = " in record[end] and marker not in record[end]:
                end += 1  # the display record's lr line
            if end is not None and all(_GLOG.match(line) for line in record[:end]):
                layout = Layout.learn(record[:end])
                if layout is not None:
                    return layout
            at = block.find(found, at + 1)
        return None


def _uncovered(count: int, *found: Records | None) -> np.ndarray:
    """The lines (of ``count``) in none of the records ``found``."""
    covered = np.zeros(count, dtype=bool)
    for records in found:
        if records is not None:
            covered[records.line_indexes] = True
    return np.flatnonzero(~covered)


def _rises(months: np.ndarray, iterations: np.ndarray) -> bool:
    """Whether dates (by month) and iterations never go back: no new year, no restart."""
    return bool((np.diff(months) >= 0).all() and (np.diff(iterations) >= 0).all())


@lru_cache(maxsize=4096)
def _minute_start(year: int, month: int, day: int, hour: int, minute: int) -> int:
    """``calendar.timegm`` of a minute; a log's lines share few of them."""
    return calendar.timegm((year, month, day, hour, minute, 0))

