"""`plain_lines`: the test that sends a run of lines the bytes way, walked in pieces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossboard.sources.formats import _plain_bytes
from lossboard.sources.formats._lines import LineSplitter
from lossboard.sources.formats._plain_bytes import plain_lines

_BITS = st.sampled_from([b"0.5", b",", b"\t", b"\r", b"\n", b"\r\n", b"\x08", b"\x1b[0m", b"\xc3\xa9", b" "])


def _whole(data: bytes) -> int | None:
    """The test over the whole run at once, as it read before it went piece by piece."""
    if b"\x08" in data or b"\x1b" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    return data.count(b"\n")


@given(bits=st.lists(_BITS, max_size=60), piece=st.integers(1, 9))
def test_pieces_give_what_the_whole_run_gives(bits: list[bytes], piece: int) -> None:
    data = b"".join(bits) + b"\n"  # a run of complete lines
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_plain_bytes, "_PIECE", piece)  # a "\r\n" or a "\x1b" across every kind of cut
        lines = plain_lines(data + b"tail\r", len(data), 1 << 20)  # what follows `end` is not looked at
    assert lines == _whole(data)
    if lines is not None:  # the splitter gives those lines as they are
        text = data.decode("utf-8")
        assert LineSplitter().feed(text)[1] == text.replace("\r\n", "\n").split("\n")[:-1]


def test_a_line_the_splitter_would_cut_is_not_plain() -> None:
    assert plain_lines(b"a" * 100 + b"\n", 101, 64) is None
    assert plain_lines(b"a" * 20 + b"\n", 21, 64) == 1
