"""The fast paths' index helpers against the plain Python they stand for."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lossboard.sources.formats._offsets import holds_at, ranges


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 20)), max_size=30))
def test_ranges_are_each_range_counted_out_in_turn(spans: list[tuple[int, int]]) -> None:
    firsts = np.array([first for first, _ in spans], dtype=np.int64)
    sizes = np.array([size for _, size in spans], dtype=np.int64)
    expected = [number for first, size in spans for number in range(first, first + size)]
    assert ranges(firsts, sizes).tolist() == expected


@given(st.binary(max_size=64), st.binary(min_size=1, max_size=6), st.data())
def test_holds_at_is_a_slice_compare_at_each_offset(data: bytes, needle: bytes, draw: st.DataObject) -> None:
    last = len(data) - len(needle)
    offsets = draw.draw(st.lists(st.integers(0, last), max_size=10)) if last >= 0 else []
    found = holds_at(data, np.array(offsets, dtype=np.intp), needle) if offsets else []
    assert list(found) == [data[at : at + len(needle)] == needle for at in offsets]


def test_holds_at_tells_a_nul_from_the_end_of_the_text() -> None:
    # fixed-width byte strings drop trailing NULs when compared: "a\0" and "a" must still differ
    assert holds_at(b"a\x00b", np.array([0, 1]), b"a\x00").tolist() == [True, False]
    assert holds_at(b"ab\x00", np.array([1]), b"b ").tolist() == [False]
