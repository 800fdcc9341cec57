"""Parse a command's output while it runs: detect the format, count points, keep the last values.

`lossboard run` feeds every chunk it captures to a `LiveParser`. Until the format is known the
parser holds the head of the output (at most `HEAD_BYTES`) and sniffs it with
`lossboard.sources.detect.detect` once it holds `SETTLE_LINES` lines, again each time the
line count doubles, and at the end; then it parses the head and everything after it with that
format's incremental ``Parser``. Output that no format recognises within a full window (a
download bar, a stack of warnings) is dropped and the next window is sniffed, up to
`MAX_WINDOWS` windows, so a noisy start does not hide the training log that follows.

Memory stays constant whatever the output size: only the head window, one count and one last
value per tag are kept. The complete output is in ``output.log``; ``lossboard.load`` reads it.

>>> live = LiveParser()
>>> live.feed(b"Epoch 1/2\\n224s - loss: 3.5508 - acc: 0.2966 - val_loss: 1.4529 - val_acc: 0.5808\\n")
>>> live.close()
>>> live.format, live.series["val/accuracy"].last
('keras-stdout', 0.5808)
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

from lossboard.errors import InputError
from lossboard.model import Columns, Item, Point, Problem
from lossboard.sources.detect import HEAD_BYTES, detect
from lossboard.sources.formats import FORMATS

SETTLE_LINES = 20
MAX_WINDOWS = 16
_FILENAME = "output.log"  # what detection is told the output is called: a neutral name


@dataclass
class SeriesSummary:
    """What a live run knows of one series: how many points and the latest one."""

    points: int
    last: float
    last_step: int


class LiveParser:
    """Feed the bytes of a growing output in chunks of any size, then `close` it once.

    ``format`` is the detected format id (None until detected, or if nothing matched),
    ``series`` maps each canonical tag to its `SeriesSummary`, ``problems`` counts the
    lines the parser could not use. It never raises: a parser that fails stops, keeps what
    it counted and says why in ``failure``.
    """

    def __init__(self) -> None:
        self.format: str | None = None
        self.series: dict[str, SeriesSummary] = {}
        self.problems = 0
        self.failure: str | None = None
        self._head = bytearray()
        self._next_try = SETTLE_LINES
        self._windows = 1
        self._parser: Any = None
        self._decoder: Any = None

    def feed(self, data: bytes) -> None:
        try:
            if self._parser is not None:
                self._add(self._parser.feed(self._decode(data)))
            elif self._windows <= MAX_WINDOWS:
                self._head += data
                self._sniff(final=False)
        except Exception as error:  # a parser bug must not stop the run it watches
            self._fail(error)

    def close(self) -> None:
        try:
            if self._parser is None and self._head and self._windows <= MAX_WINDOWS:
                self._sniff(final=True)
            if self._parser is not None:
                if self._decoder is not None:
                    self._add(self._parser.feed(self._decoder.decode(b"", final=True)))
                self._add(self._parser.close())
                self._parser = None
        except Exception as error:
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        """Stop parsing, keep what was counted, and say why in ``failure``."""
        self.failure = f"{self.format or 'detection'} parser failed: {type(error).__name__}: {error}"
        self._parser = None
        self._head = bytearray()
        self._windows = MAX_WINDOWS + 1

    def summary(self) -> dict[str, Any]:
        """The detected format, the problem count and each series' summary, for run.json."""
        return {
            "format": self.format,
            "problems": self.problems,
            "parse_failure": self.failure,
            "series": {
                tag: {"points": s.points, "last": s.last, "last_step": s.last_step}
                for tag, s in sorted(self.series.items())
            },
        }

    def _sniff(self, *, final: bool) -> None:
        head = self._head
        is_full = len(head) >= HEAD_BYTES
        # Sniffing costs a pass over the window, so retry only as the line count doubles.
        if not (final or is_full or head.count(b"\n") >= self._next_try):
            return
        self._next_try = 2 * max(self._next_try, head.count(b"\n"))
        try:
            name = detect(bytes(head), _FILENAME)
        except InputError:
            if is_full:
                self._windows += 1
                self._next_try = SETTLE_LINES
                head.clear()
            return
        self._start(name)

    def _start(self, name: str) -> None:
        self.format = name
        self._parser = FORMATS[name].Parser()
        if not FORMATS[name].binary:
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        head, self._head = bytes(self._head), bytearray()
        self._add(self._parser.feed(self._decode(head)))

    def _decode(self, data: bytes) -> Any:
        return data if self._decoder is None else self._decoder.decode(data)

    def _add(self, items: list[Item]) -> None:
        series = self.series
        for item in items:
            kind = type(item)
            if kind is Point:
                count, value, step = 1, item.value, item.step
            elif kind is Columns:
                count = len(item.step)
                if not count:
                    continue
                value, step = float(item.value[-1]), int(item.step[-1])
            else:
                self.problems += kind is Problem
                continue
            known = series.get(item.tag)
            if known is None:
                series[item.tag] = SeriesSummary(count, value, step)
            else:
                known.points += count
                known.last, known.last_step = value, step
