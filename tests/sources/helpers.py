"""Helpers for parser tests: run a parser over text or a file, pick points out of the result."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lossboard.model import Columns, Event, Item, Point, Problem
from lossboard.sources.collect import RunCollector
from lossboard.sources.formats import FORMATS


def parse_text(name: str, text: str, chunk: int | None = None) -> list[Item]:
    """Every record the ``name`` parser gives for ``text``, fed whole or in ``chunk``-sized pieces."""
    parser = FORMATS[name].Parser()
    items: list[Item] = []
    step = chunk or max(1, len(text))
    for start in range(0, len(text), step):
        items.extend(parser.feed(text[start : start + step]))
    items.extend(parser.close())
    return expand(items)


def expand(items: list[Item]) -> list[Item]:
    """`Columns` blocks as the `Point` records they stand for, so tests compare values, not
    how a fast path happened to group them."""
    return [p for item in items for p in (item.points() if type(item) is Columns else (item,))]


def parse_path(name: str, path: Path) -> list[Item]:
    # bytes, not read_text(): universal newlines would turn every "\r" redraw into a line end
    return parse_text(name, path.read_bytes().decode("utf-8", errors="replace"))


def points(items: list[Item], tag: str | None = None) -> list[Point]:
    return [i for i in items if type(i) is Point and (tag is None or i.tag == tag)]


def values(items: list[Item], tag: str) -> list[float]:
    return [p.value for p in points(items, tag)]


def events(items: list[Item], kind: str | None = None) -> list[Event]:
    return [i for i in items if type(i) is Event and (kind is None or i.kind == kind)]


def problems(items: list[Item]) -> list[Problem]:
    return [i for i in items if type(i) is Problem]


def canonical(items: list[Item]) -> tuple:
    """What a parse means, whatever path produced it: the series, events, problems and meta
    the collector makes of the records. A fast path that emits one series' block after
    another and a line-by-line path that interleaves them mean the same."""
    collector = RunCollector("log")
    collector.add(items)
    found = collector.series()
    shared = found.shared_labels()
    series = {  # by canonical tag, or by (tag, source_tag) where several series share one
        key if s.tag in shared else s.tag:
        (s.source_tag, s.step.tolist(), *(_comparable(c) for c in (s.epoch, s.wall_time, s.value)))
        for key, s in found.items()
    }
    return series, collector.events, collector.problems, collector.meta


def _comparable(column: np.ndarray) -> list:
    return ["nan" if value != value else value for value in column.tolist()]


def parse_cut(name: str, text: str | bytes, cuts: Iterable[int], **options) -> list[Item]:
    """Every record the ``name`` parser (made with ``options``, e.g. ``fast=False``) gives for
    ``text`` fed in pieces ending at ``cuts``: text to ``feed``, bytes to ``feed_bytes`` (the
    reader's path, where a cut may fall inside a character)."""
    parser = FORMATS[name].Parser(**options)
    feed = parser.feed_bytes if isinstance(text, bytes) else parser.feed
    items: list[Item] = []
    start = 0
    for cut in sorted({min(cut, len(text)) for cut in cuts}) + [len(text)]:
        items.extend(feed(text[start:cut]))
        start = cut
    return items + parser.close()


def every(chunk: int | None, text: str | bytes) -> range:
    """The cuts that feed ``text`` ``chunk`` characters (or bytes) at a time; None: at once."""
    return range(chunk, len(text), chunk) if chunk else range(0)


def with_lines_after(log: Path, out: Path, added: dict[str, list[str]]) -> Path:
    """``log`` written to ``out`` with ``added[key]`` printed right after the first line
    containing each key, as a training script's prints land between a framework's lines."""
    lines = []
    for line in log.read_text().splitlines():
        lines.append(line)
        for key in list(added):
            if key in line:
                lines.extend(added.pop(key))
    if added:
        raise ValueError(f"no line of {log} holds {sorted(added)}")
    out.write_text("\n".join(lines) + "\n")
    return out
