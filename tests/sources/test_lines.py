"""Line splitting: chunk boundaries, line endings, and progress-bar redraws."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossboard.sources.formats._lines import LineSplitter, redraws, render


def split_all(text: str, cuts: list[int], raw: bool = False) -> list[tuple[int, str]]:
    splitter = LineSplitter(raw=raw)
    out: list[tuple[int, str]] = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        first, lines = splitter.feed(text[start:cut])
        out.extend(enumerate(lines, first))
        start = cut
    first, lines = splitter.close()
    out.extend(enumerate(lines, first))
    return out


def test_lf_and_crlf_both_end_lines_and_numbers_count_newlines() -> None:
    assert split_all("a\r\nb\nc", []) == [(1, "a"), (2, "b"), (3, "c")]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    # the "\r" ends one chunk and the "\n" starts the next (httpx's LineDecoder case)
    assert split_all("epoch,loss\r\n0,1.5\r\n", [11]) == [(1, "epoch,loss"), (2, "0,1.5")]


def test_no_newline_at_end_of_file_still_gives_the_last_line() -> None:
    assert split_all("x=1\ny=2", [5]) == [(1, "x=1"), (2, "y=2")]


def test_carriage_return_redraw_shows_the_final_state() -> None:
    line = "1/3 [=>....] - loss: 0.9\r2/3 [===>..] - loss: 0.7\r3/3 [======] - loss: 0.5"
    assert split_all(line + "\n", []) == [(1, "3/3 [======] - loss: 0.5")]


def test_backspaces_erase_like_a_terminal() -> None:
    # Keras 2 erases the previous bar with backspaces before drawing the next one
    assert render("10/20 [==>]" + "\b" * 11 + "20/20 [===]") == "20/20 [===]"


def test_ansi_colour_codes_are_removed() -> None:
    assert render("\x1b[1m5/5\x1b[0m \x1b[32m━━━━\x1b[0m loss: 0.1") == "5/5 ━━━━ loss: 0.1"


def test_shorter_redraw_leaves_the_tail_of_the_longer_one_as_a_terminal_would() -> None:
    assert render("abcdef\rxy") == "xycdef"


def test_redraws_keeps_every_state() -> None:
    assert redraws("a 10%\rb 50%\r\x1b[0mc 100%") == ["a 10%", "b 50%", "c 100%"]


def test_raw_mode_keeps_carriage_returns_but_drops_the_crlf_one() -> None:
    assert split_all("a\rb\r\nc\n", [], raw=True) == [(1, "a\rb"), (2, "c")]


@given(
    lines=st.lists(st.text(alphabet="ab=\t\b\r\x1b[m1", max_size=12), max_size=8),
    ending=st.sampled_from(["\n", "\r\n"]),
    data=st.data(),
)
def test_chunking_never_changes_the_lines(lines: list[str], ending: str, data: st.DataObject) -> None:
    text = ending.join(lines)
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=6))
    assert split_all(text, cuts) == split_all(text, [])


@pytest.mark.parametrize("raw", [False, True])
def test_empty_input_gives_no_lines(raw: bool) -> None:
    assert split_all("", [], raw=raw) == []


def _terminal(line: str) -> str:
    """A naive terminal, one character at a time: the oracle for `render`."""
    screen: list[str] = []
    col = 0
    for char in line:
        if char == "\r":
            col = 0
        elif char == "\b":
            col = max(0, col - 1)
        else:
            screen[col : col + 1] = [char]
            col += 1
    return "".join(screen).rstrip()


@given(st.text(alphabet="ab \r\b", max_size=40))
def test_render_matches_a_terminal(line: str) -> None:
    assert render(line) == _terminal(line)
