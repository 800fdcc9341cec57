"""Line splitting: chunk boundaries, line endings, and progress-bar redraws."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossboard.sources.formats._lines import LineSplitter, redraws, render


def split_all(text: str, cuts: list[int], raw: bool = False) -> list[tuple[int, str]]:
    return _feed(LineSplitter(raw=raw), text, cuts)


def _feed(splitter: LineSplitter, text: str, cuts: list[int]) -> list[tuple[int, str]]:
    """Every numbered line ``splitter`` gives for ``text`` fed in pieces cut at ``cuts``."""
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


# -- the line cap: memory bounded, time linear, whatever the line lengths ------------------


def split_capped(text: str, cuts: list[int], *, raw: bool, cap: int) -> tuple[list[tuple[int, str]], list[int]]:
    """`split_all` with a line cap: the lines, and the numbers of the lines that were cut."""
    splitter = LineSplitter(raw=raw, max_line_chars=cap)
    return _feed(splitter, text, cuts), splitter.cut_lines


def _cut_stretches(line: str, cap: int) -> str:
    return "\r".join(stretch[:cap] for stretch in line.split("\r"))


def test_a_line_over_the_cap_is_cut_and_numbered_and_the_next_line_is_read() -> None:
    text = "a=1\n" + "x" * 50 + "\nb=2\n"
    for cuts in ([], [7, 20, 33], list(range(1, len(text)))):
        assert split_capped(text, cuts, raw=False, cap=10) == ([(1, "a=1"), (2, "x" * 10), (3, "b=2")], [2])


def test_a_long_redrawn_line_of_short_redraws_is_not_cut() -> None:
    bar = "".join(f"\r{i}/300 [=>]" for i in range(300)) + "\n"
    lines, cut = split_capped(bar, list(range(0, len(bar), 7)), raw=False, cap=40)
    assert (lines, cut) == ([(1, "299/300 [=>]")], [])


def test_raw_mode_hands_out_the_redraws_of_an_unfinished_line_before_its_newline() -> None:
    splitter = LineSplitter(raw=True, max_line_chars=40)
    seen: list[str] = []
    for i in range(300):  # a bar that never ends its line: its states must not pile up
        first, lines = splitter.feed(f"\r{i}/300 [=>]")
        seen.extend(state for line in lines for state in redraws(line))
        assert first == 1
    assert "200/300 [=>]" in seen


def test_the_part_of_a_cut_line_beyond_the_cap_is_skipped_up_to_the_next_redraw() -> None:
    text = "\r" + "y" * 100 + "\rok\n"
    assert split_capped(text, list(range(0, len(text), 9)), raw=True, cap=10) == ([(1, "\r" + "y" * 10 + "\rok")], [1])


@given(
    lines=st.lists(st.text(alphabet="ab\b\r\x1b[m", max_size=30), max_size=6),
    ending=st.sampled_from(["\n", "\r\n"]),
    cap=st.integers(1, 8),
    data=st.data(),
)
def test_capped_lines_do_not_depend_on_chunking(lines: list[str], ending: str, cap: int, data: st.DataObject) -> None:
    text = ending.join(lines)
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=8))
    drawn, _ = split_capped(text, cuts, raw=False, cap=cap)
    # the oracle: split whole, cut every stretch between "\r" to the cap, draw
    whole = text.split("\n")
    if not whole[-1]:  # after the last "\n": not a line
        whole.pop()
    expected = [render(_cut_stretches(line[:-1] if line.endswith("\r") else line, cap)) for line in whole]
    assert [line for _, line in drawn] == expected
    states = [state for _, line in split_capped(text, cuts, raw=True, cap=cap)[0] for state in redraws(line)]
    assert states == [
        state for line in whole for state in redraws(_cut_stretches(line[:-1] if line.endswith("\r") else line, cap))
    ]


def test_a_long_line_drawn_in_parts_cannot_make_an_escape_sequence_of_its_pieces() -> None:
    """Found by hypothesis: "[[a", then "\x1b[" drawn over it, left "\x1b[a" on the screen;
    drawn again at the end it read as a colour code and the line came out empty."""
    text = "[[a\r\x1b[\r"
    assert split_capped(text, [], raw=False, cap=3)[0] == [(1, "[[a")]  # the lone ESC is not shown
