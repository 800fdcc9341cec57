"""The block reader of the table formats (`_table_arrow`, through pyarrow) gives exactly what
the row-by-row reader gives (``Parser(fast=False)``): on every table of the corpus and the
fixtures, and on generated tables with bad cells, quotes, blank lines, NaN/inf, huge counters,
restarts and headers written again, fed in any chunks, as text (`feed`) and as the file's bytes
(`feed_bytes`, the reader's path), bad UTF-8 and characters cut by a chunk included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Item
from tests.sources.helpers import canonical, expand, parse_cut

pytest.importorskip("pyarrow")

TABLES = ("csv", "keras-csv", "lightning-csv", "yolo")
CORPUS_DIRS = {"csv-epoch": "csv", "tsv-epoch": "csv", "keras-csvlogger": "keras-csv", "lightning": "lightning-csv",
               "yolo": "yolo"}


def _same(name: str, text: str, cuts: list[int] = ()) -> list[Item]:
    fast = parse_cut(name, text, cuts, fast=True)
    # repr: an event at epoch NaN equals itself only as text
    expected = repr(canonical(parse_cut(name, text, (), fast=False)))
    assert repr(canonical(expand(fast))) == expected
    assert repr(canonical(expand(parse_cut(name, text.encode(), cuts)))) == expected
    return fast


def _same_bytes(name: str, data: bytes, cuts: list[int] = ()) -> list[Item]:
    """`feed_bytes` gives what the row reader gives on the text the reader would decode."""
    fast = parse_cut(name, data, cuts)
    expected = parse_cut(name, data.decode("utf-8", errors="replace"), (), fast=False)
    assert repr(canonical(expand(fast))) == repr(canonical(expected))
    return fast


def test_every_corpus_table_reads_the_same_both_ways(corpus: Path) -> None:
    checked = 0
    for path in sorted(corpus.rglob("*")):
        name = CORPUS_DIRS.get(path.relative_to(corpus).parts[0])
        if name is None or not path.is_file() or path.suffix in (".md", ".py"):
            continue
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        _same(name, text)
        _same(name, text, cuts=list(range(0, len(text), 997)))
        _same_bytes(name, data, cuts=list(range(0, len(data), 997)))
        checked += 1
    assert checked >= 10


def test_the_fixture_tables_read_the_same_both_ways(data: Path) -> None:
    for relative, name in (("tables/keras_training.log", "keras-csv"), ("tables/lightning_metrics.csv", "lightning-csv"),
                           ("lightning/rich_metrics.csv", "lightning-csv")):
        _same(name, (data / relative).read_text())


def test_a_long_clean_table_is_read_in_blocks() -> None:
    text = "step,loss,acc\n" + "".join(f"{i},{i / 7!r},{1 / (i + 1)!r}\n" for i in range(5000))
    items = _same("csv", text, cuts=[1000, 50_000])
    assert any(type(item) is Columns for item in items)


def test_one_bad_row_among_many_is_named_by_its_line_and_the_rest_still_read_in_blocks() -> None:
    rows = [f"{i},{i / 3!r}" for i in range(3000)]
    rows[1700] = "1700,oops"
    text = "step,loss\n" + "\n".join(rows) + "\n"
    items = _same("csv", text)
    (problem,) = [item for item in items if type(item).__name__ == "Problem"]
    assert problem.line == 1702  # the header is line 1, row i is line i + 2
    assert sum(len(item.step) for item in items if type(item) is Columns) > 2900


def test_a_line_past_the_cap_in_a_long_table_is_cut_and_named_as_by_the_row_reader() -> None:
    rows = [f"{i},{i / 3!r}" for i in range(4000)]
    rows[2500] = "2500," + "9" * (1 << 20) + ",x"
    text = "step,loss\n" + "\n".join(rows) + "\n"
    items = _same("csv", text, cuts=list(range(0, len(text), 1 << 20)))
    assert [item.line for item in items if type(item).__name__ == "Problem"][:1] == [2502]


# generated tables ---------------------------------------------------------------------------

_NAMES = st.sampled_from(["loss", "acc", "val_loss", "lr", "train_loss_step", "time", "note", "metrics/mAP50(B)",
                          "x/lr0", "epoch time", ""])
_COUNTERS = st.sampled_from([["epoch"], ["step"], ["epoch", "step"], ["step", "epoch"], [], ["e", "epoch"]])
_CELLS = st.one_of(
    st.integers(-3, 40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "", "NA", "nan", "-nan", "inf", "-Infinity", "+1.5", " 2.5 ", "1_0", "abc", "1.93G", "29/29",
                     "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e300", "3.0", "٣",
                     '"1.5"', '"a,b"', "\t7", "0x10", ".5", "5.", "1\r2", "3\x08", "\x1b[1m4"]),
)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[str, str, list[int]]:
    name = draw(st.sampled_from(TABLES))
    delimiter = draw(st.sampled_from([",", "\t"]))
    header = draw(_COUNTERS) + draw(st.lists(_NAMES, min_size=1, max_size=4))
    width = len(header)
    clean_counters = st.integers(0, 50).map(str)

    def row() -> st.SearchStrategy[str]:
        regular = st.lists(st.one_of(clean_counters, _CELLS), min_size=width, max_size=width)
        odd = st.lists(_CELLS, min_size=0, max_size=width + 2)
        return st.one_of(regular, regular, regular, odd).map(delimiter.join)

    lines = draw(st.lists(st.one_of(row(), st.sampled_from(["", "  ", delimiter.join(header)])), max_size=30))
    # long runs of clean rows, so that blocks are read whole and halved around the odd ones
    if draw(st.booleans()):
        start = draw(st.integers(0, 40))
        clean = [delimiter.join([str(start + i)] * min(width, 1) + [repr(i / 9)] * (width - 1)) for i in range(150)]
        lines[draw(st.integers(0, len(lines))):0] = clean
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join([delimiter.join(header), *lines]) + draw(st.sampled_from(["", ending]))
    cuts = draw(st.lists(st.integers(0, len(text)), max_size=4))
    return name, text, cuts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_generated_tables_read_the_same_both_ways(table: tuple[str, str, list[int]]) -> None:
    name, text, cuts = table
    _same(name, text, cuts)


def test_a_colour_code_cut_by_a_chunk_boundary_is_drawn_on_both_paths() -> None:
    """Found by hypothesis: the start of an escape sequence held from the chunk before reached
    the fast reader undrawn, which then called the cell no number."""
    _same("csv", "epoch,loss\nepoch,loss\n0,0\n0,\x1b[1m4\n0,0", [29])


_ODD_BYTES = st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\x00", "é".encode(), "٣".encode(),
                              b"\r", b"\r\n", b"\n"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables(), st.lists(st.tuples(st.integers(0, 10**6), _ODD_BYTES), max_size=4), st.data())
def test_generated_table_bytes_with_bad_utf8_read_as_the_row_reader_reads_their_text(
    table: tuple[str, str, list[int]], odd: list[tuple[int, bytes]], draw: st.DataObject
) -> None:
    name, text, _ = table
    data = text.encode()
    for at, piece in odd:  # bad or multi-byte characters anywhere, a chunk may cut them
        at %= len(data) + 1
        data = data[:at] + piece + data[at:]
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=5))
    _same_bytes(name, data, cuts)


def test_a_table_read_from_disk_gives_the_row_readers_series(tmp_path: Path) -> None:
    """`parse_file` hands a table its bytes in the parser's own chunk size."""
    from lossboard.sources.reader import parse_file

    rows = "".join(f"{i},{i / 7!r},,caf\u00e9\r\n" for i in range(300_000))  # 9 MB: three chunks
    path = tmp_path / "metrics.csv"
    path.write_bytes(("step,loss,acc,note\r\n" + rows).encode())
    series = parse_file(path, "csv").collector.series()
    (loss,) = series.values()
    assert loss.step.tolist() == list(range(300_000))
    assert loss.value[299_999] == 299_999 / 7
