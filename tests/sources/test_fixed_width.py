"""`_fixed_width`: lines that print each number in the same columns (the PyTorch ImageNet
example's meters) read as columns of digits give exactly the numbers printed - as ``float``
reads them, and as the line-by-line path reads the lines - or give up (None), whatever the
padding, signs, exponents and widths of the lines."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns
from lossboard.sources.formats import FORMATS, _fixed_width, _pair_runs
from tests.sources.helpers import canonical, expand


def _layout_and_read(lines: list[str], spans: list[tuple[int, int]], names: list[str]):
    layout = _pair_runs.Layout.learn(lines[0], spans, names)
    if layout is None:
        return None
    return layout.read(*_pair_runs.Chunk.of_lines(lines).joined(np.arange(len(lines))))


# numbers as a format with a width prints them, and a few it would not (a sign, a space inside)
PRINTED = st.one_of(
    st.floats(-1e3, 1e4, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.floats(1e-9, 1e9).map(lambda v: f"{v:.4e}"),
    st.floats(-1e3, 1e3).map(lambda v: f"{v:.2e}"),
    st.integers(0, 99_999).map(str),
    st.sampled_from(["-0", "01", "1.", ".5", "+2", "007"]),
)
NAMES = st.sampled_from(["Time", "Loss", "Acc@1", "Acc@5", "lr:", "(", "x1 y", "/"])


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_lines_of_one_width_give_the_numbers_printed_or_nothing(data) -> None:
    """Each number right-aligned in a width of its own on every line: what `Layout.read`
    gives (by columns when it can) is every number as ``float`` reads it, sign of zero
    included, or None."""
    names = data.draw(st.lists(NAMES, min_size=1, max_size=4))
    widths = data.draw(st.lists(st.integers(1, 12), min_size=len(names) + 1, max_size=len(names) + 1))
    rows = data.draw(st.lists(st.lists(PRINTED, min_size=len(names) + 1, max_size=len(names) + 1), min_size=2, max_size=8))
    lines, spans = [], []
    for row in rows:
        line = "Epoch: ["
        for name, width, value in zip(["", *names], widths, row):
            line += f"{name} " if name else ""
            padded = f"{value:>{width}}"
            if not lines:
                spans.append((len(line) + len(padded) - len(value), len(line) + len(padded)))
            line += padded
        lines.append(line + "]")
    read = _layout_and_read(lines, spans, names)
    if read is not None:
        assert [[*map(repr, row)] for row in read[1].tolist()] == [[repr(float(v)) for v in row] for row in rows]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_columns_give_the_numbers_a_reader_of_the_lines_sees_or_nothing(data) -> None:
    """Straight to `numbers`, lines of one layout whose numbers may hold a space, or touch the
    name before them where the padding is used up (``Time100.5``): a matrix only when every
    line's numbers are numbers after a space (or a bracket), as printed."""
    names = data.draw(st.lists(st.sampled_from(["Time", "Acc@1", "(", "lr:"]), min_size=1, max_size=3))
    widths = data.draw(st.lists(st.integers(1, 8), min_size=len(names), max_size=len(names)))
    seps = data.draw(st.lists(st.sampled_from([" ", ""]), min_size=len(names), max_size=len(names)))
    values = st.one_of(PRINTED, st.sampled_from(["1 .5", "1 0", "10 ", " 5.0", "2.5 "]))
    rows = data.draw(st.lists(st.lists(values, min_size=len(names), max_size=len(names)), min_size=2, max_size=6))
    cells = [[f"{name}{sep}{value:>{width}}" for name, sep, width, value in zip(names, seps, widths, row)] for row in rows]
    lines = ["x " + "\t".join(row) for row in cells]
    if len({len(line) for line in lines}) > 1:
        return
    pieces = (b"x", *(b"\t" + name.encode() for name in names[1:]), b"")
    pieces = (b"x" + names[0].encode(), *pieces[1:])
    found = _fixed_width.numbers("\n".join(lines).encode(), len(lines), pieces)
    matrix = None if found is None else found.matrix

    def read(name: str, cell: str) -> float | None:
        text = cell[len(name):]
        if not (text.startswith(" ") or name.endswith("(")) or " " in text.strip():
            return None
        try:
            return float(text)
        except ValueError:
            return None

    if matrix is not None:
        expected = [[read(name, cell) for name, cell in zip(names, row)] for row in cells]
        assert [[*map(repr, row)] for row in matrix.tolist()] == [[*map(repr, row)] for row in expected]


def _imagenet_lines(epoch: int, batches: range, losses: list[float]) -> list[str]:
    """Training lines as the ImageNet example's ProgressMeter prints them."""
    return [f"Epoch: [{epoch}][{batch:4d}/5005]\tTime {0.3 + batch / 1e4:6.3f} ({0.35:6.3f})\tLoss {loss:.4e} ({loss:.4e})"
            f"\tAcc@1 {batch / 50:6.2f} ({batch / 60:6.2f})" for batch, loss in zip(batches, losses)]


def _numbers_of(line: str) -> list[float]:
    """The numbers of a training line, read by hand: the counters, then each meter's two."""
    counters, _, meters = line.partition("]\t")
    found = [*counters.replace("Epoch: [", "").replace("][", " ").replace("/", " ").split()]
    for meter in meters.split("\t"):
        value, average = meter.split(None, 1)[1].split("(")
        found += [value, average.rstrip(")")]
    return [float(number) for number in found]


def test_the_imagenet_examples_lines_are_read_as_columns() -> None:
    """Counters padded to four digits, losses on both sides of 1 (e+00, e-01), accuracies up
    to 100.00: one width, read by columns, as printed."""
    lines = _imagenet_lines(3, range(0, 5005, 10), [2.5 / (1 + b % 7) for b in range(0, 5005, 10)])
    text, _ = _pair_runs.Chunk.of_lines(lines).joined(np.arange(len(lines)))
    layout, _ = FORMATS["pytorch"].Parser()._layout_of(lines[0])
    read = _fixed_width.numbers(text, len(lines), tuple(piece.encode() for piece in layout.pieces))
    assert read is not None
    assert read.matrix.tolist() == [_numbers_of(line) for line in lines]


# a change to one line of a run: a sign, a number wider than its format, a digit in a name
CHANGES = [
    lambda line: re.sub(r"Time +\S+", "Time -0.100", line),
    lambda line: re.sub(r"Time +\S+", "Time 120.500", line),
    lambda line: line.replace("Acc@1", "Acc@2"),
    lambda line: line.replace("e-0", "e+0").replace("e+00 (", "e-01 (", 1),
]


@pytest.mark.parametrize("chunk", [None, 65_536, 4_096])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_imagenet_runs_read_the_same_on_both_paths(chunk: int | None, data) -> None:
    """The example's lines with losses drawn on both sides of 1, a line changed now and then:
    the fast parse (by columns where it can) means what the line by line one means."""
    losses = data.draw(st.lists(st.floats(1e-3, 50), min_size=40, max_size=40))
    lines = []
    for epoch in range(data.draw(st.integers(1, 3))):
        lines += [*_imagenet_lines(epoch, range(0, 400, 10), losses), f" * Acc@1 {epoch + 50:.3f} Acc@5 {epoch + 80:.3f}"]
    changes = data.draw(st.integers(0, 3))
    for _ in range(changes):
        at = data.draw(st.integers(0, len(lines) - 2))
        lines[at] = data.draw(st.sampled_from(CHANGES))(lines[at])
    text = "\n".join(lines) + "\n"
    parsers = {fast: FORMATS["pytorch"].Parser(fast=fast) for fast in (True, False)}
    step = chunk or len(text)
    got = {fast: [item for at in range(0, len(text), step) for item in parser.feed(text[at : at + step])] + parser.close()
           for fast, parser in parsers.items()}
    assert canonical(expand(got[True])) == canonical(expand(got[False]))
    if not changes:  # a line that does not fit leaves its kind's lines of the chunk to the general path
        assert sum(len(item.step) for item in got[True] if type(item) is Columns) > len(lines)


@pytest.mark.parametrize("odd", ["Time1000.300 ( 0.350)", "Time   0.3 0 ( 0.350)", "Time  1 .300 ( 0.350)", "Time   0.300  (0.350)"])
def test_a_line_that_only_its_shape_shares_is_not_read_by_columns(odd: str) -> None:
    """A number that used up the space after its name, a space inside a number, a space
    gone between two pieces: as wide as the others, digits and spaces where theirs are, and
    still no line of theirs (the caller reads such runs another way)."""
    lines = [f"Time {t:7.3f} ( 0.350)" for t in (0.3, 0.31, 12.5)]
    pieces = (b"Time", b"(", b")")
    read = _fixed_width.numbers("\n".join(lines).encode(), len(lines), pieces)
    assert read is not None and read.matrix.tolist() == [[0.3, 0.35], [0.31, 0.35], [12.5, 0.35]]
    assert len(odd) == len(lines[0])
    assert _fixed_width.numbers("\n".join([*lines, odd]).encode(), len(lines) + 1, pieces) is None


@pytest.mark.parametrize("at", [1, 1_000, 2_999])
def test_a_line_of_other_text_anywhere_in_a_long_run_is_not_read_by_columns(at: int) -> None:
    """A run of many kilobytes (its shape compared with its first line's a block at a time),
    one of whose lines has a letter of a name changed, near the start, in a later block or
    last: not read by columns, whether the run's lines are of one width or of two."""
    for widths in ((7,), (7, 8)):
        lines = [f"Time {n % 1000 / 7:{widths[n // 700 % len(widths)]}.3f} ( 0.350)" for n in range(3_000)]
        for odd in (False, True):
            if odd:
                lines[at] = lines[at].replace("Time", "Tide")
            chunk = _pair_runs.Chunk.of_lines(lines)
            text, starts = chunk.joined(np.arange(len(lines)))
            read = _fixed_width.numbers_by_shape(text, starts, (b"Time", b"(", b")"))
            if odd:
                assert read is None
            else:
                assert read is not None and read.matrix[:, 0].tolist() == [float(line.split()[1]) for line in lines]
