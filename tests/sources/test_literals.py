"""The shared cut-and-convert step of the fast paths reads numbers only: anything else makes
the records not fit, so the line-by-line path reads them and reports what it must. Numbers read
from their digits (`read_decimals`) are `float`'s to the bit, or left to the caller."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.sources.formats._literals import (
    DECIMAL_WIDTH,
    Marks,
    cut_pieces,
    read_decimals,
    read_marked,
    read_numbers,
)

PIECES = ["Epoch[", "] Batch [", "]\tSpeed: ", " samples/sec\taccuracy=", ""]


def _read(values: list[str]):
    text = "\n".join(f"Epoch[0] Batch [{20 * (i + 1)}]\tSpeed: 100.5 samples/sec\taccuracy={v}" for i, v in enumerate(values))
    return read_numbers(text, PIECES, cut_pieces(PIECES), len(values))


def test_records_of_numbers_fit() -> None:
    assert _read(["0.5", "-1e-05"]).tolist() == [[0, 20, 100.5, 0.5], [0, 40, 100.5, -1e-05]]


@pytest.mark.parametrize("value", ["true", "null", '"0.5"', "[0.5]", "nan", "0.5x"])
def test_a_value_that_is_no_printed_number_does_not_fit(value: str) -> None:
    assert _read(["0.5", value]) is None


# ---- read_marked: plain decimals, a skeleton check and one translate to JSON -----------------

LINE = "INFO:root:Epoch[{}] Batch [{}]\tSpeed: {} samples/sec\taccuracy={}\ttop_k_accuracy_5={}\tcross-entropy={}"
NEW_PIECES = LINE.split("{}")  # the pieces `_mxnet_fast` learns from such a line
MARKS = Marks(NEW_PIECES)


def _marked(records: list[list[str]], line: str = LINE, marks: Marks = MARKS):
    text = "\n".join(line.format(*numbers) for numbers in records)
    return read_marked(text.encode(), marks, len(records))


def test_the_digit_of_a_name_is_read_as_a_number_of_its_own_and_every_gap_becomes_one_comma() -> None:
    assert MARKS.usable and MARKS.marked == [] and MARKS.literals == [(4, 5)]
    records = [["3", "20", "1782.19", "0.125795", "0.184114", "1.607873"], ["3", "40", "994.57", "0.5", "1", "0.0"]]
    assert _marked(records).tolist() == [[float(n) for n in record] for record in records]


@pytest.mark.parametrize(
    "changed",
    [
        LINE.replace("top_k_accuracy_5", "top_k_accuracy_3"),  # the digit of a name
        LINE.replace("top_k_accuracy_5", "top_k_accuracy_05"),
        LINE.replace("top_k_accuracy_5", "top_k_accuracy_5.0"),  # equal as a number, not as a name
        LINE.replace("top_k_accuracy_5", "top_k_accuracy_55"),
        LINE.replace("top_k_accuracy_5", "top_k_accuracy_"),
        LINE.replace("cross-entropy", "cross-entropy2"),  # a digit where the layout has none
        LINE.replace("accuracy=", "acc=", 1),  # another name
        "7" + LINE,  # digits before the head or after the tail are not in the skeleton
        LINE + " 7",
        LINE.replace("\tSpeed", "\t\x01Speed"),  # a byte used as a marker
    ],
)
def test_a_record_with_other_literal_text_does_not_fit(changed: str) -> None:
    good = ["3", "20", "1782.19", "0.125795", "0.184114", "1.607873"]
    assert _marked([good, good]) is not None
    assert read_marked((LINE.format(*good) + "\n" + changed.format(*good)).encode(), MARKS, 2) is None


@pytest.mark.parametrize("value", ["", ".", "1.", ".5", "007", "1.2.3", "-1", "1e-05", "nan", "0.5x", "1,5"])
def test_a_value_that_is_not_a_plain_json_decimal_does_not_fit(value: str) -> None:
    assert _marked([["3", "20", "1.5", "0.5", value, "0.1"]] * 2) is None


def test_a_run_of_skeletons_is_compared_whole_with_the_skeleton_repeated() -> None:
    """The skeleton of a run is compared with a kept repetition of the record's (from the longest
    run so far): a run shorter or longer than its records, or with one byte changed, is no run
    of them, whichever run came first."""
    marks = Marks(NEW_PIECES)
    line = b"INFO:root:Epoch[] Batch []\tSpeed:  samples/sec\taccuracy=\ttop_k_accuracy_=\tcross-entropy="
    assert marks.is_skeleton(line, 1)
    assert marks.is_skeleton(line + b"\n" + line + b"\n" + line, 3)
    assert marks.is_skeleton(line + b"\n" + line, 2)  # a prefix of the repetition kept
    assert not marks.is_skeleton(line + b"\n" + line, 3)  # a record short
    assert not marks.is_skeleton(line + b"\n" + line, 1)
    assert not marks.is_skeleton(line + b"\n" + line[:-1] + b"x", 2)
    assert not marks.is_skeleton(line + b"\n" + line + b"\n", 2)


def test_layouts_that_cannot_be_read_so_say_it() -> None:
    assert not Marks(["Epoch[", "]", "5", "x"]).usable  # a piece that is a digit
    assert not Marks(["Epoch[", "] Batch[", "]\trank0 "]).usable  # a digit in the tail
    assert not Marks(["Epoch[", "", "x"]).usable  # two numbers with nothing between


_DECIMAL = st.one_of(
    st.integers(0, 10**12).map(str),
    st.builds("{}.{}".format, st.integers(0, 10**6), st.text("0123456789", min_size=1, max_size=12)),
)
_ANY = st.one_of(_DECIMAL, _DECIMAL, st.sampled_from(["", ".", "1.", "-0.5", "1e-05", "nan", "007", "0.5.1"]))
_PIECE = st.text(st.sampled_from("ab_=: \t[]-/5.,"), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECE, min_size=1, max_size=5), st.data())
def test_read_marked_gives_exactly_the_printed_numbers_or_nothing(inner, data) -> None:
    pieces = ["head[", *inner, "]"]
    marks = Marks(pieces)
    if not marks.usable:
        return
    rows = data.draw(st.lists(st.lists(_ANY, min_size=len(inner) + 1, max_size=len(inner) + 1), min_size=1, max_size=6))
    text = "\n".join("".join(p + n for p, n in zip(pieces, row)) + pieces[-1] for row in rows)
    read = read_marked(text.encode(), marks, len(rows))
    plain = all(_is_json_decimal(n) for row in rows for n in row)
    if plain:
        assert read is not None and read.tolist() == [[float(n) for n in row] for row in rows]
    else:
        assert read is None


def _is_json_decimal(text: str) -> bool:
    return re.fullmatch(r"(0|[1-9][0-9]*)(\.[0-9]+)?", text) is not None


# ---- read_decimals: plain decimals from their digits, the rest left to the caller ------------


def _decimals(texts: list[str], before: str) -> tuple[list[float | None], list[bool]]:
    """`read_decimals` of ``texts``, each right-aligned in its window after ``before`` (what
    precedes a number on its line: digits and signs too)."""
    windows = np.array([list((before * DECIMAL_WIDTH + text).encode()[-DECIMAL_WIDTH:]) for text in texts], np.uint8)
    values, fits = read_decimals(windows.reshape(-1, DECIMAL_WIDTH), np.array([len(text.encode()) for text in texts]))
    return values.tolist(), fits.tolist()


def _same_float(text: str, value: float) -> bool:
    return struct.pack("d", float(text)) == struct.pack("d", value)  # -0.0 is not 0.0


def _reads_exactly(text: str) -> bool:
    """Whether `read_decimals` must read ``text``: a sign, digits and a point, whose digits
    (the point as a 0) make an integer below 2**53, in `DECIMAL_WIDTH` bytes."""
    plain = re.fullmatch(r"-?[0-9]*\.?[0-9]*", text) and re.search("[0-9]", text)
    return bool(plain) and len(text) <= DECIMAL_WIDTH and int(text.lstrip("-").replace(".", "0")) < 2**53


@pytest.mark.parametrize(
    "text",
    ["0.000669056", "715780", "-0.5", "-0", "-0.0", "1.", ".5", "007", "00.50", "0", "123456789012345",
     "12345678.9012345", "9007199254740991", "89999999999999.9", "2.3016", "1234567.12345678", "-123456789012345"],
)
def test_a_plain_decimal_is_read_as_float_reads_it(text: str) -> None:
    values, fits = _decimals([text, text], "loss = 1-")
    assert fits == [True, True] and all(_same_float(text, value) for value in values)


@pytest.mark.parametrize(
    "text",
    ["", "-", ".", "-.", "1.2.3", "--1", "1-2", "+1", "1e5", "1.5e-05", "nan", "-inf", " 1", "1 ", "1_0", "0x1",
     "9007199254740993", "99999999999999.9", "-1234567890123456", "\u0661", "12345678901234567"],
)
def test_what_is_no_plain_decimal_below_2_53_is_left_to_the_caller(text: str) -> None:
    values, fits = _decimals(["0.25", text, "3"], "Iteration 9")
    assert fits == [True, False, True] and values[::2] == [0.25, 3.0]


_PLAIN = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", "", "-"]),
    st.text("0123456789", max_size=16),
    st.sampled_from(["", ".", "."]),
    st.text("0123456789", max_size=16),
).map(lambda text: text[:DECIMAL_WIDTH + 1])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PLAIN, _PLAIN, st.text("0123456789.-+eE_ n", max_size=18)), min_size=1, max_size=40),
       st.text("0123456789.- =x", min_size=1, max_size=3))
def test_read_decimals_gives_floats_to_the_bit_or_leaves_the_number(texts: list[str], before: str) -> None:
    values, fits = _decimals(texts, before)
    for text, value, read in zip(texts, values, fits):
        assert read == _reads_exactly(text), text
        assert not read or _same_float(text, value), text
