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
  (``base_lr``, ``lr_policy``, ...); the net prototxt dumps and all other lines are noise.
* An iteration number lower than one already seen (a restart appended to the same log) ->
  `Event` RESUME at that iteration.

Wall time: glog prints month, day and time but no year (and local time, no zone). Records
get ``wall_time`` = that month/day/time read as UTC in 1972 (the first leap year after 1970,
so 29 February exists), one year later after each December -> January wrap. Differences
between points are exact and the printed date and time read back unchanged; the year is a
placeholder, which the ``wall_time_year`` `Meta` says.
"""

from __future__ import annotations

import calendar
import re

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Meta, Point, Problem
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number, number

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

_BASE_YEAR = 1972
_YEAR_NOTE = f"unknown: glog prints none; wall times are placed in {_BASE_YEAR} (+1 per new year)"


def sniff(head: str, filename: str) -> float:
    """Caffe's own glog lines (solver.cpp, net.cpp, caffe.cpp) are unmistakable."""
    return 0.95 if _SNIFF.search(head) else 0.0


class Parser(LineParser):
    """Caffe glog lines in, points out; tracks the iteration a test or raw output belongs to."""

    def __init__(self) -> None:
        super().__init__()
        self._iteration = 0  # the iteration of the last "Iteration N, loss" line
        self._previous = -1  # the iteration of the previous loss or test line, to spot a restart
        self._test: tuple[int, str] | None = None  # (iteration, split) of the running test
        self._in_solver_params = False
        self._depth = 0  # brace depth inside the solver parameter dump
        self._year = _BASE_YEAR
        self._month = 0
        self._started = False

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number_, line in enumerate(lines, first):
            glog = _GLOG.match(line) if line[:1] in "IWEF" else None
            if glog is None:
                if self._in_solver_params:
                    self._solver_param(line, items)
                continue
            self._in_solver_params = False
            if not self._started:
                self._started = True
                items += [Meta("framework", "caffe"), Meta("wall_time_year", _YEAR_NOTE)]
            message = glog[7]
            if "Iteration " in message:
                self._iteration_line(number_, glog, message, items)
            elif "net output #" in message:
                self._output_line(number_, glog, message, items)
            elif message.startswith("Initializing solver from parameters"):
                self._in_solver_params, self._depth = True, 0
        return items

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
            tag, step = tags.canonical(name, tags.BATCH), self._iteration
        elif self._test is not None:
            step, split = self._test
            tag = tags.canonical(name, tags.VAL)
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
        seconds = calendar.timegm((self._year, month, day, int(glog[3]), int(glog[4]), 0))
        return seconds + float(glog[5])
