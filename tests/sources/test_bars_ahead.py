"""The runs `Bars.read_ahead` reads together from a chunk's bytes, and the blocks `Bars.flush`
cuts of them, give what reading every redraw on its own gives (``Parser(fast=False)``), in the
cases the generated logs of test_prints_fast rarely draw; a chunk's lines cut around their
redraws are its lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Point, Problem
from lossboard.sources.formats import FORMATS, tqdm
from lossboard.sources.formats._lines import LineSplitter
from tests.sources.helpers import canonical, expand
from tests.sources.test_prints_fast import _assert_same


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_runs_that_start_with_a_count_of_zero_come_as_one_block_a_series(name: str) -> None:
    # a bar drawn twice at 0 before its first update: each line's run read ahead starts with a
    # state that gives nothing, so the runs of the chunk's lines do not stand in a row in its
    # matrix, and their one block is gathered from it
    def line(epoch: int) -> str:
        counts = [0, 0, *range(1, 11)]
        return "\r" + "\r".join(
            f"Epoch {epoch}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss={n / 100:.2f}]" for n in counts
        ) + "\n"

    items = _assert_same("".join(line(epoch) for epoch in range(1, 5)), name=name)
    assert len([item for item in items if type(item) is Columns and item.source_tag == "loss"]) == 1
    loss = [(p.step, p.value) for p in expand(items) if type(p) is Point and p.source_tag == "loss"]
    assert loss == [((epoch - 1) * 10 + n, float(f"{n / 100:.2f}")) for epoch in range(1, 5) for n in range(1, 11)]


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.sampled_from(["\r", "\n", "a", " ", "\u00e9", "\u2588"]), max_size=80))
def test_lines_cut_around_their_redraws_are_the_lines_split_at_each_newline(text: str) -> None:
    assert tqdm._split_lines(text) == text.split("\n")


@pytest.mark.parametrize("name", ["prints", "tqdm"])
@pytest.mark.parametrize("cut", [400, 413, 425])
def test_a_line_the_splitter_cuts_reads_the_same_when_a_chunk_before_holds_its_start(name: str, cut: int) -> None:
    # the second line's last state runs on past the splitter's limit; the chunk after the cut is
    # shorter than the limit, but the start the chunk before left open makes its first line
    # longer: the bytes are read as text, and the splitter cuts the line on both paths
    def bar(epoch: int, states: int) -> str:
        return "\r" + "\r".join(
            f"Epoch {epoch}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss={n / 100:.2f}]" for n in range(states)
        )

    data = f"{bar(1, 2)}\n{bar(2, 1)} {'x' * 350}\n{bar(3, 2)}\n".encode()
    found = []
    for fast in (True, False):
        parser = FORMATS[name].Parser(fast=fast)
        parser._splitter = LineSplitter(raw=True, live_redraws=True, max_line_chars=300)
        found.append(parser.feed_bytes(data[:cut]) + parser.feed_bytes(data[cut:]) + parser.close())
    assert canonical(found[0]) == canonical(found[1])
    assert [item.line for item in found[1] if type(item) is Problem] == [2]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_line_whose_first_state_is_of_another_bar_reads_its_run_with_the_bar_of_the_run(name: str) -> None:
    # the run read ahead starts after the line's first state, here a warm-up bar not begun: the
    # run is the epoch bar's, not the warm-up's that reading the first state makes the latest
    def state(desc: str, n: int) -> str:
        return f"{desc}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss={n / 100:.2f}]"

    lines = (f"\r{state(f'Warmup {epoch}', 0)}\r" + "\r".join(state(f"Epoch {epoch}", n) for n in range(1, 11)) for epoch in (1, 2))
    _assert_same("\n".join(lines) + "\n", name=name)
