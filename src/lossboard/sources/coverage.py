"""Which lines of a text log gave no value: how a user sees what lossboard missed.

A line that carries a number is *read* when one of its numbers is a value that the parse of
its file gave (as printed, or as a percentage of it), when it names what one of the file's
events names (a checkpoint's file), or when it is a header: it names a counter (epoch, step,
iteration, batch), a number in it is an epoch or step of the parse, and it holds no
``name: number`` pair but for a counter's (``Epoch: 106``, ``Epoch 3/10``, ``[Epoch 4] Validation:``). Numbers that say when and where a line was printed
(timestamps, dates, glog's thread and source location) do not count. Every other number-bearing line is *unread*: it may hold a metric
no grammar knows, or be noise (a timing, an ETA, a config dump). `inspect` reports the share of
read lines per file and, with ``--unread``, the unread ones grouped by shape (numbers replaced
by ``#``), so one line per kind of miss. Whole-document and binary formats (JSON documents,
event files) are structured, not lines: they are not scanned.

The scan is a second streaming pass over the file, keeping memory to the groups it reports.
The patterns look at which characters are digits, never at which digits, so lines alike but
for their digits (a log's lines, epoch after epoch) are matched once: a `_Layout` holds where
such a line's numbers are, whether it may be a header, and its shape.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from lossboard.model import Event, Run, Series
from lossboard.sources.formats import FORMATS
from lossboard.sources.formats._lines import DocumentParser, render
from lossboard.sources.reader import parse_file


class _Compiled(NamedTuple):
    """One pattern compiled twice: for any text, and with ``re.ASCII`` for ASCII text, where
    it matches the same and runs about twice as fast (no Unicode tables for ``\\d``, ``\\w``)."""

    any: re.Pattern[str]
    ascii: re.Pattern[str]

    @classmethod
    def of(cls, pattern: str, flags: int = 0) -> _Compiled:
        return cls(re.compile(pattern, flags), re.compile(pattern, flags | re.ASCII))

    def on(self, text: str) -> re.Pattern[str]:
        return self.ascii if text.isascii() else self.any


_NUMBER = _Compiled.of(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])|\b(?:nan|inf)\b", re.I)
# numbers that say when and where a line was printed, not what was measured: timestamps, dates,
# glog's thread id and source location, `file.py:42` and `file.py[line:42]`
_STAMPS = (
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\]"
    r"|\b\d{4}[-/]\d\d[-/]\d\d\b"
    r"|\b\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?\b"
)
_NOT_MEASURED = _Compiled.of(_STAMPS + r"|[\w/.-]+\.(?:py|cpp|cc|cu|h|hpp|c)(?::\d+|\[line:\d+\])")
# a line that names no source file (no ".py", ".c", ".h") has only the stamps to remove, and
# the source-path alternative, tried at every word, is most of the pattern's cost
_STAMPS_ONLY = _Compiled.of(_STAMPS)

# what varies inside one kind of line besides numbers: a progress bar's filling; and for the
# shape, any run of digits (glued to a unit or not: "100it", "0.79it/s")
_BAR = re.compile(r"\|[^|]*\||\[[=>.\s]*\]")
_DIGIT_RUN = re.compile(r"\d+(?:[.,]\d+)*")
# "name: 0.5" or "name=0.5": a measurement-shaped pair, unless the name is a counter's
_PAIR = re.compile(r"([A-Za-z_][\w@/ .()-]*?)\s*[:=]\s*[-+]?\.?\d")
_COUNTERS = frozenset({"epoch", "step", "iter", "iteration", "batch", "global_step"})
_COUNTER_WORD = re.compile(r"epoch|step|iter|batch", re.I)
_CHUNK_BYTES = 1 << 20
_ZEROS = bytes.maketrans(b"123456789", b"000000000")  # a line's layout: its ASCII digits as zeros
_LAYOUTS_KEPT = 1 << 14  # a file of ever new layouts starts the table again past this many
_MAX_LINE = 4096  # characters of a line kept for the report and the number search
_EXAMPLES = 3  # line numbers kept per shape


@dataclass
class Shape:
    """Unread lines of one shape: how many, the first line, and where the first few are."""

    shape: str
    example: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """What the parse of a file gave, to recognise the lines it came from."""

    values: set[float]
    positions: set[float]  # epochs and steps
    event_words: set[str]


@dataclass
class Coverage:
    """How many number-bearing lines of one file were read, and the shapes of the others."""

    path: str
    numbered: int = 0
    read: int = 0
    shapes: dict[str, Shape] = field(default_factory=dict)

    @property
    def unread(self) -> int:
        return self.numbered - self.read

    @property
    def share_read(self) -> float:
        return 1.0 if not self.numbered else self.read / self.numbered


def is_line_format(format: str) -> bool:
    """Whether files of ``format`` are read line by line (and so can be scanned)."""
    known = FORMATS.get(format)
    return known is not None and not known.binary and not issubclass(known.Parser, DocumentParser)


def run_coverage(run: Run) -> list[Coverage]:
    """The coverage of each line-based source file of ``run``, each against its own parse.

    A run of one file is that file's parse; a stitched run lacks what later files replaced,
    which the earlier file still read, so each of its files is parsed again on its own."""
    if len(run.sources) == 1:
        if not is_line_format(run.formats[0]):
            return []
        return [scan(run.sources[0], _known(run.series.values(), run.events))]
    found = []
    for path, fmt in zip(run.sources, run.formats):
        if is_line_format(fmt):
            collector = parse_file(path, fmt).collector
            found.append(scan(path, _known(collector.series().values(), collector.events)))
    return found


def scan(path: str, known: Known) -> Coverage:
    """Stream ``path`` and sort its number-bearing lines into read and unread."""
    coverage = Coverage(path)
    layouts: dict[bytes, _Layout] = {}
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    number = 0
    with open(path, "rb") as file:
        while True:
            chunk = file.read(_CHUNK_BYTES)
            text = pending + decoder.decode(chunk, final=not chunk)
            lines = text.split("\n")
            pending = lines.pop() if chunk else ""
            for line in lines:
                number += 1
                _classify(coverage, number, line, known, layouts)
            if len(pending) > _MAX_LINE * 16:  # one endless line: keep its tail only
                pending = pending[-_MAX_LINE:]
            if not chunk:
                break
    return coverage


class _Layout(NamedTuple):
    """What the patterns find in every line that is ``shown`` but for its digits."""

    numbers: tuple[tuple[int, int], ...]  # where its measured numbers are
    header: bool  # names a counter, and each ``name: number`` pair in it is a counter's
    shape: str  # how `inspect --unread` groups it

    @classmethod
    def of(cls, shown: str) -> _Layout:
        not_measured = _not_measured(shown)
        # blanked to the same length, the numbers keep their places in the shown line
        blanked = not_measured.sub(lambda stamp: " " * len(stamp[0]), shown)
        numbers = tuple(found.span() for found in _NUMBER.on(shown).finditer(blanked))
        measured = not_measured.sub(" ", shown)
        header = bool(_COUNTER_WORD.search(measured)) and all(
            name.strip().lower() in _COUNTERS for name in _PAIR.findall(measured)
        )
        shape = _BAR.sub("|bar|", _DIGIT_RUN.sub("#", not_measured.sub("", shown)))
        return cls(numbers, header, shape)


def _layout(shown: str, layouts: dict[bytes, _Layout]) -> _Layout:
    key = shown.encode().translate(_ZEROS)  # bytes: a table lookup a byte, where str's is a dict's
    layout = layouts.get(key)
    if layout is None:
        if len(layouts) >= _LAYOUTS_KEPT:
            layouts.clear()
        layout = layouts[key] = _Layout.of(shown)
    return layout


def _classify(coverage: Coverage, number: int, line: str, known: Known, layouts: dict[bytes, _Layout]) -> None:
    shown = render(line[-_MAX_LINE:] if len(line) > _MAX_LINE else line).strip()
    layout = _layout(shown, layouts)
    if not layout.numbers:
        return
    coverage.numbered += 1
    if _is_read(shown, layout, known):
        coverage.read += 1
        return
    group = coverage.shapes.get(layout.shape)
    if group is None:
        group = coverage.shapes[layout.shape] = Shape(layout.shape, shown)
    group.count += 1
    if len(group.lines) < _EXAMPLES:
        group.lines.append(number)


def _not_measured(line: str) -> re.Pattern[str]:
    """`_NOT_MEASURED` for ``line``: what it matches there, compiled for the least work."""
    names_source = ".py" in line or ".c" in line or ".h" in line
    return (_NOT_MEASURED if names_source else _STAMPS_ONLY).on(line)


def _is_read(shown: str, layout: _Layout, known: Known) -> bool:
    # last first: a line names its counters and timings before its values, and a number that is
    # no value is tried as a percentage twice
    if any(_is_value(shown[start:end], known.values) for start, end in reversed(layout.numbers)):
        return True
    if known.event_words and any(word.strip("\"'") in known.event_words for word in shown.split()):
        return True
    return layout.header and any(float(shown[start:end]) in known.positions for start, end in layout.numbers)


def _is_value(text: str, values: set[float]) -> bool:
    number = float(text)
    return number in values or (number / 100) in values or _rounded(number / 100) in values


def _rounded(value: float) -> float:
    return float(f"{value:.10g}")


def _known(series_list: Iterable[Series], events: list[Event]) -> Known:
    """Every value of the series (also rounded as a percentage-to-fraction parse would give
    it), their epochs and steps, and the longest word of each event's text (a checkpoint's
    file name)."""
    values: set[float] = set()
    positions: set[float] = set()
    for series in series_list:
        values.update(series.value[~np.isnan(series.value)].tolist())
        epochs = series.epoch[~np.isnan(series.epoch)]
        positions.update(epochs[epochs == np.floor(epochs)].tolist())  # a header names a whole epoch
        positions.update(series.step.tolist())
    values.update(_rounded(v) for v in list(values) if math.isfinite(v))
    words = {max(event.text.split(), key=len) for event in events if event.text.strip()}
    return Known(values, positions, words)
