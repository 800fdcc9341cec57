"""Helpers for parser tests: run a parser over text or a file, pick points out of the result."""

from __future__ import annotations

from pathlib import Path

from lossboard.model import Event, Item, Point, Problem
from lossboard.sources.formats import FORMATS


def parse_text(name: str, text: str, chunk: int | None = None) -> list[Item]:
    """Every record the ``name`` parser gives for ``text``, fed whole or in ``chunk``-sized pieces."""
    parser = FORMATS[name].Parser()
    items: list[Item] = []
    step = chunk or max(1, len(text))
    for start in range(0, len(text), step):
        items.extend(parser.feed(text[start : start + step]))
    items.extend(parser.close())
    return items


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
