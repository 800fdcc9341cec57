"""Which lines of a text log gave no value: how a user sees what lossboard missed.

A line that carries a number is *read* when one of its numbers is a value that the parse of
its file gave (as printed, or as a percentage of it), or when it names what one of the file's
events names (a checkpoint's file). Numbers that say when and where a line was printed
(timestamps, dates, glog's thread and source location) do not count. Every other number-bearing line is *unread*: it may hold a metric
no grammar knows, or be noise (a timing, an ETA, a config dump). `inspect` reports the share of
read lines per file and, with ``--unread``, the unread ones grouped by shape (numbers replaced
by ``#``), so one line per kind of miss. Whole-document and binary formats (JSON documents,
event files) are structured, not lines: they are not scanned.

The scan is a second streaming pass over the file, so it costs about what the parse did and
keeps memory to the groups it reports.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lossboard.model import Event, Run, Series
from lossboard.sources.formats import FORMATS
from lossboard.sources.formats._lines import DocumentParser, render
from lossboard.sources.reader import parse_file

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])|\b(?:nan|inf)\b", re.I)
# numbers that say when and where a line was printed, not what was measured: timestamps, dates,
# glog's thread id and source location, `file.py:42` and `file.py[line:42]`
_NOT_MEASURED = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\]"
    r"|\b\d{4}[-/]\d\d[-/]\d\d\b"
    r"|\b\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?\b"
    r"|[\w/.-]+\.(?:py|cpp|cc|cu|h|hpp|c)(?::\d+|\[line:\d+\])"
)
# what varies inside one kind of line besides numbers: a progress bar's filling
_BAR = re.compile(r"\|[^|]*\||\[[=>.\s]*\]")
_CHUNK_BYTES = 1 << 20
_MAX_LINE = 4096  # characters of a line kept for the report and the number search
_EXAMPLES = 3  # line numbers kept per shape


@dataclass
class Shape:
    """Unread lines of one shape: how many, the first line, and where the first few are."""

    shape: str
    example: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


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
    module = FORMATS.get(format)
    return (
        module is not None
        and not getattr(module, "BINARY", False)
        and not issubclass(module.Parser, DocumentParser)
    )


def run_coverage(run: Run) -> list[Coverage]:
    """The coverage of each line-based source file of ``run``, each against its own parse
    (a stitched run lacks what later files replaced, which the earlier file still read)."""
    found = []
    for path, fmt in zip(run.sources, run.formats):
        if is_line_format(fmt):
            collector = parse_file(path, fmt).collector
            found.append(scan(path, _known_values(collector.series().values()), _event_words(collector.events)))
    return found


def scan(path: str, values: set[float], event_words: set[str]) -> Coverage:
    """Stream ``path`` and sort its number-bearing lines into read and unread."""
    coverage = Coverage(path)
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
                _classify(coverage, number, line, values, event_words)
            if len(pending) > _MAX_LINE * 16:  # one endless line: keep its tail only
                pending = pending[-_MAX_LINE:]
            if not chunk:
                break
    return coverage


def _classify(coverage: Coverage, number: int, line: str, values: set[float], event_words: set[str]) -> None:
    shown = render(line[-_MAX_LINE:] if len(line) > _MAX_LINE else line).strip()
    found = _NUMBER.findall(_NOT_MEASURED.sub(" ", shown))
    if not found:
        return
    coverage.numbered += 1
    if any(_is_value(text, values) for text in found) or (
        event_words and any(word.strip("\"'") in event_words for word in shown.split())
    ):
        coverage.read += 1
        return
    shape = _BAR.sub("|bar|", _NUMBER.sub("#", _NOT_MEASURED.sub("", shown)))
    group = coverage.shapes.get(shape)
    if group is None:
        group = coverage.shapes[shape] = Shape(shape, shown)
    group.count += 1
    if len(group.lines) < _EXAMPLES:
        group.lines.append(number)


def _is_value(text: str, values: set[float]) -> bool:
    number = float(text)
    return number in values or (number / 100) in values or _rounded(number / 100) in values


def _rounded(value: float) -> float:
    return float(f"{value:.10g}")


def _event_words(events: list[Event]) -> set[str]:
    """The longest word of each event's text: a checkpoint's file name, a rate."""
    return {max(event.text.split(), key=len) for event in events if event.text.strip()}


def _known_values(series_list: Iterable[Series]) -> set[float]:
    """Every value of the series, also rounded as a percentage-to-fraction parse would give it."""
    known: set[float] = set()
    for series in series_list:
        values = series.value
        known.update(values[~(values != values)].tolist())  # NaN is never "in" a set: dropped
    known.update(_rounded(v) for v in list(known) if math.isfinite(v))
    return known
