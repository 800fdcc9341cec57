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
"""

from __future__ import annotations

import re

from lossboard.model import RESUME, Event, Item, Point, Problem
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats.detectron2_json import tag_of

NAME = "detectron2-log"

_ITER = re.compile(r"\biter: (\d+)\s")
_PAIR = re.compile(r"([A-Za-z_][\w/.\[\]-]*): (\S+)")
_COPYPASTE = "copypaste: "


def sniff(head: str, filename: str) -> float:
    if "d2." in head and ("iter: " in head or _COPYPASTE in head) and _ITER.search(head):
        return 1.0
    return 0.0


class Parser(LineParser):
    """Keeps the last iteration (for RESUME and eval placement) and the copypaste table state."""

    def __init__(self) -> None:
        super().__init__()
        self._last = -1
        self._task = ""
        self._columns: list[str] = []

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            if "iter: " in line:
                match = _ITER.search(line)
                if match:
                    items.extend(self._metrics(number, int(match[1]), line[match.end() :]))
            elif _COPYPASTE in line:
                items.extend(self._copypaste(number, line.partition(_COPYPASTE)[2].strip()))
        return items

    def _metrics(self, number: int, step: int, rest: str) -> list[Item]:
        items: list[Item] = []
        if step < self._last:
            items.append(Event(RESUME, step))
        self._last = step
        for name, text in _PAIR.findall(rest):
            if name == "eta":
                continue
            try:
                value = float(text.removesuffix("M") if name == "max_mem" else text)
            except ValueError:
                items.append(bad_number(number, f"{name}: ", text))
                continue
            tag = "perf/max_mem_mb" if name == "max_mem" else tag_of(name)
            items.append(Point(tag, name, step, value))
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
        for column, cell in zip(columns, cells):
            name = f"{self._task}/{column.strip()}"
            try:
                items.append(Point(tag_of(name), name, step, float(cell)))
            except ValueError:
                items.append(bad_number(number, name, cell))
        return items
