"""The bulk paths - redrawn bars (`Bars.redrawn`) and runs of print lines of one layout
(`LinePipeline.lines`) - give exactly what reading every redraw and every line on its own gives
(``Parser(fast=False)`` of the ``prints`` and ``tqdm`` formats): on every text file of the
corpus, on the logs of real tqdm, Lightning and hand-written loops in tests/sources/data, and
under hypothesis on generated bar lines (values that are not numbers, bars that change or go
back, text glued after a bar, blank redraws) and generated print lines (counters that go back,
dates that are no dates, numbers orjson or float refuse, headers between runs) cut into chunks
anywhere."""

from __future__ import annotations

import io
import itertools
import math
import random
import re
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Event, Item, Point
from lossboard.sources.collect import RunCollector
from lossboard.sources.formats import FORMATS, _bar_runs
from lossboard.sources.formats._numbers import decimal_at, decimals, digit_reader
from tests.conftest import CORPUS, DATA
from tests.sources.helpers import canonical, expand

_TEXT_SUFFIXES = (".log", ".out", ".txt", ".csv", ".json")
_CORPUS_FILES = sorted(
    str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*") if path.suffix in _TEXT_SUFFIXES
)
_DATA_FILES = sorted(
    str(path.relative_to(DATA)) for folder in ("mixed", "tqdm", "lightning") for path in (DATA / folder).glob("*.log")
)


def _parse(text: str | bytes, fast: bool, cuts: list[int] = (), name: str = "prints") -> tuple[list[Item], tuple]:
    """The records of ``text`` cut at ``cuts``; bytes go to ``feed_bytes`` as the reader gives
    them (cut anywhere, inside a character too)."""
    parser = FORMATS[name].Parser(fast=fast)
    feed = parser.feed_bytes if isinstance(text, bytes) else parser.feed
    items: list[Item] = []
    bounds = sorted({min(cut, len(text)) for cut in cuts})
    for start, end in zip([0, *bounds], [*bounds, len(text)]):
        items.extend(feed(text[start:end]))
    items.extend(parser.close())
    return items, tuple(getattr(parser, count, None) for count in ("unread", "read", "headers", "bars"))


def _assert_same(text: str, cuts: list[int] = (), name: str = "prints", data: bytes | None = None) -> list[Item]:
    """The fast path, fed text and (for a parser that takes them) the bytes ``data`` (``text``
    encoded unless given), cut at ``cuts``, gives what the general path gives."""
    fast, fast_counts = _parse(text, True, cuts, name)
    general, general_counts = _parse(text, False, (), name)
    assert canonical(fast) == canonical(general)
    assert fast_counts == general_counts
    assert _by_series(fast) == _by_series(general)
    if hasattr(FORMATS[name].Parser, "feed_bytes"):
        read, read_counts = _parse(text.encode() if data is None else data, True, cuts, name)
        assert canonical(read) == canonical(general)
        assert read_counts == general_counts
        assert _by_series(read) == _by_series(general)
    return fast


def _by_series(items: list[Item]) -> dict[tuple[str, str], list[tuple]]:
    """Every point of each series in the order the parser gave it (NaN equal to itself):
    stricter than `canonical`, where a later point at the same step hides an earlier one."""
    found: dict[tuple[str, str], list[tuple]] = {}
    for point in expand(items):
        if type(point) is Point:
            value = "nan" if math.isnan(point.value) else point.value
            found.setdefault((point.tag, point.source_tag), []).append((point.step, value, point.epoch, point.wall_time))
    return found


@pytest.mark.parametrize("name", ["prints", "tqdm"])
@pytest.mark.parametrize("relative", _CORPUS_FILES)
def test_every_corpus_text_file_reads_the_same_on_both_paths(corpus: Path, relative: str, name: str) -> None:
    data = (corpus / relative).read_bytes()
    _assert_same(data.decode("utf-8", errors="replace"), name=name, data=data)


@pytest.mark.parametrize("name", ["prints", "tqdm"])
@pytest.mark.parametrize("relative", _DATA_FILES)
def test_logs_of_real_bars_read_the_same_on_both_paths(relative: str, name: str) -> None:
    data = (DATA / relative).read_bytes()
    _assert_same(data.decode("utf-8", errors="replace"), name=name, data=data)


@pytest.mark.parametrize("relative", _DATA_FILES)
def test_bytes_of_real_bars_in_chunks_cut_inside_characters_read_as_the_general_path(relative: str) -> None:
    # "\u2588" (tqdm's bar glyph) is three bytes: chunks of 1,001 bytes cut through them (and
    # through lines), chunks of 10,007 bytes hold whole lines; a bad byte in a bar is read as the
    # reader decodes it (one U+FFFD)
    data = (DATA / relative).read_bytes()
    bar = data.find(b"%|", len(data) // 2) + 2  # a bar in the second half (or the file's start)
    for sample in (data, data[:bar] + b"\xff" + data[bar:]):
        text = sample.decode("utf-8", errors="replace")
        for size in (1001, 10007):
            _assert_same(text, list(range(size, len(sample), size)), "tqdm", sample)


def test_a_long_redrawn_bar_is_read_as_blocks(corpus: Path) -> None:
    # file 41: "Epoch 1/25 [Train]" redrawn on one line, each state with its running loss
    text = (corpus / "mixed-tqdm-print/touhou_resnet152_logging_tqdm_train_head.out").read_bytes().decode()
    blocks = [item for item in _assert_same(text) if type(item) is Columns]
    assert {block.source_tag for block in blocks} >= {"loss", "it/s"}


def test_text_before_the_first_redraw_is_read_before_the_run_after_it() -> None:
    # the header sets epoch 4, then the bar's redraws (of epoch 1) set it back: "Loss" is epoch 1's
    states = "\r".join(f"Epoch 1: {n}%|#| {n}/10 [00:01<00:02, 3.2it/s, loss=0.{n}]" for n in range(1, 10))
    text = f"\rEpoch 1:   0%|#| 0/10 [00:00<?, ?it/s]\nEpoch [4]\r{states}\nLoss: 0.5\n"
    items = expand(_assert_same(text))
    assert [(p.step, p.epoch) for p in items if type(p) is Point and p.source_tag == "Loss"] == [(9, 1.0)]


def test_chunks_without_redraws_cut_at_any_two_places_read_the_same_on_both_paths() -> None:
    # such a chunk is read as one text from the end of the line the chunk before left open: a
    # chunk with no "\n", a CRLF cut between its two bytes, a cut in a line of any layout
    text = (
        "epoch=1 step=2 loss=0.5\r\nepoch=1 step=3 loss=0.25\nepoch=1 step=4 loss=0.125\n"
        "Checkpoint saved to model_1.pth\nepoch 1: val_loss: 0.75\nepoch=2 step=5 loss=0.0625\n"
    )
    for first in range(0, len(text), 3):
        for second in range(first, len(text), 5):
            points = expand(_assert_same(text, [first, second]))
            loss = [(p.step, p.value) for p in points if type(p) is Point and p.source_tag == "loss"]
            assert loss == [(2, 0.5), (3, 0.25), (4, 0.125), (5, 0.0625)]


def test_a_bar_of_the_next_epoch_on_the_same_line_is_a_bar_of_its_own() -> None:
    # masked, "Epoch 2" is "Epoch 1", and its count does not go down from epoch 1's last 0: the
    # run of epoch 1's bar must stop where epoch 2's starts all the same
    def states(epoch: int, counts: list[int]) -> str:
        return "".join(f"\rEpoch {epoch}: {n}%|#| {n}/10 [00:01<00:02, 3.2it/s, loss=0.{9 - n}]" for n in counts)

    text = f"{states(1, [0, 0, 0])}{states(2, [0, 1, 2, 3, 4])}\n"
    points = expand(_assert_same(text, name="tqdm"))
    loss = [(p.step, p.value, p.epoch) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(n, float(f"0.{9 - n}"), 2 + n / 10) for n in range(1, 5)]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_state_of_another_bar_inside_the_run_that_ends_a_line_starts_a_bar_of_its_own(name: str) -> None:
    # every state fits the layout of the last one ("Epoch 0" masked), but the third is epoch 1's
    # bar: the line's run cannot be read as epoch 2's, and each change of bar starts a count
    def state(epoch: int, n: int) -> str:
        return f"Epoch {epoch}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss=0.{n}]"

    text = "\r".join([state(2, 1), state(2, 2), state(1, 3), state(2, 4), state(2, 5)]) + "\n"
    points = expand(_assert_same(text, name=name))
    loss = [(p.step, p.value, p.epoch) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(1, 0.1, 2.1), (2, 0.2, 2.2), (5, 0.3, 1.3), (9, 0.4, 2.4), (10, 0.5, 2.5)]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_state_of_another_bar_in_a_line_read_ahead_from_its_digits_starts_a_bar_of_its_own(name: str) -> None:
    # the first chunk's line teaches the layout's templates, so the next chunk's line is read
    # ahead from its digits; its third state is epoch 1's bar ("Epoch 0" masked, as epoch 4's)
    def state(epoch: int, n: int) -> str:
        return f"Epoch {epoch}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss=0.{n}]"

    first = "\r".join(state(3, n) for n in range(1, 6)) + "\n"
    second = "\r".join([state(4, 1), state(4, 2), state(1, 3), state(4, 4), state(4, 5)]) + "\n"
    points = expand(_assert_same(first + second, [len(first)], name))
    loss = [(p.step, p.value, p.epoch) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(n, n / 10, 3 + n / 10) for n in range(1, 6)] + [
        (6, 0.1, 4.1), (7, 0.2, 4.2), (10, 0.3, 1.3), (14, 0.4, 4.4), (15, 0.5, 4.5)
    ]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_state_whose_description_has_a_longer_epoch_in_a_line_read_ahead_starts_a_bar_of_its_own(name: str) -> None:
    # "Epoch 44" holds epoch 4's digit where "Epoch 4" has it, and both are "Epoch #": only the
    # bytes around the digit (its template, learned from the first chunk) tell them apart
    def state(epoch: int, n: int) -> str:
        return f"Epoch {epoch}: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss=0.{n}]"

    first = "\r".join(state(44, n) for n in range(1, 6)) + "\n" + "\r".join(state(3, n) for n in range(1, 6)) + "\n"
    second = "\r".join([state(4, 1), state(4, 2), state(44, 3), state(4, 4), state(4, 5)]) + "\n"
    points = expand(_assert_same(first + second, [len(first)], name))
    loss = [(p.step, p.value, p.epoch) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(n, n / 10, 44 + n / 10) for n in range(1, 6)] + [(5 + n, n / 10, 3 + n / 10) for n in range(1, 6)] + [
        (11, 0.1, 4.1), (12, 0.2, 4.2), (15, 0.3, 44.3), (19, 0.4, 4.4), (20, 0.5, 4.5)
    ]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_states_as_wide_whose_points_stand_elsewhere_are_each_read_by_their_own_template(name: str) -> None:
    # "32.5it/s" and "3.25it/s" differ only in where the point is, and the bar's fill is the
    # same: a state read ahead takes the template of the state before it of its width only
    # when the two are alike but for their digits
    rates = ["3.25", "32.5", "3.25", "32.5", "3.25", "32.5"]
    states = [f"Epoch 2:  {n}0%|###       | {n}/10 [00:01<00:02, {rate}it/s, loss=0.{n}]" for n, rate in enumerate(rates)]
    text = "\r" + "\r".join(states) + "\n"
    points = expand(_assert_same(text, name=name))
    read = [(p.step, p.value) for p in points if type(p) is Point and p.tag == "perf/its_per_sec"]
    assert read == [(n, float(rate)) for n, rate in enumerate(rates) if n > 0]


def test_a_line_of_more_states_than_are_masked_at_a_time_is_read_by_each_states_template() -> None:
    # 9,000 states of one width, masked a block at a time: the first state of each block must be
    # compared with the last of the block before (here every state's template is another's)
    rates = ["3.25", "32.5"] * 4500
    states = [f"Epoch 2:  50%|###       | {n}/9999 [00:01<00:02, {rate}it/s, loss=0.5]" for n, rate in enumerate(rates, 1000)]
    assert len(states) * len(states[0]) > 2 * _bar_runs._BLOCK_BYTES
    text = "\r" + "\r".join(states) + "\n"
    points = expand(_assert_same(text, name="tqdm"))
    read = [(p.step, p.value) for p in points if type(p) is Point and p.tag == "perf/its_per_sec"]
    assert read == [(n, float(rate)) for n, rate in enumerate(rates, 1000)]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_state_without_a_digit_reader_inside_a_run_read_ahead_is_read_as_printed(name: str) -> None:
    # 16 digits are more than a float64 holds exactly: the state at count 3 has no digit reader
    # (its layout is the others', digits aside), so the line's run cannot be read from its
    # digits, and that state gives its loss and its rate as the general path does
    states = [f"Epoch 2:  {n}0%|###       | {n}/10 [00:01<00:02, 3.25it/s, loss={loss}]"
              for n, loss in [(0, "0.5"), (3, "0.1234567890123456"), (4, "0.4"), (5, "0.5")]]
    text = "\r" + "\r".join(states) + "\n"
    points = expand(_assert_same(text, name=name))
    loss = [(p.step, p.value) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(3, 0.1234567890123456), (4, 0.4), (5, 0.5)]
    assert [p.step for p in points if type(p) is Point and p.tag == "perf/its_per_sec"] == [3, 4, 5]


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_a_description_that_shows_v_num_does_not_make_the_bar_lightnings(name: str) -> None:
    # a bar is Lightning's when its postfix shows ``v_num`` (its points one step earlier); a
    # run read ahead looked for it in the whole last state, description included
    states = [f"v_num=1: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:01<00:02, 3.25it/s, loss=0.{n}]" for n in range(6)]
    text = "\r".join(states) + "\n"
    points = expand(_assert_same(text, name=name))
    loss = [(p.step, p.value) for p in points if type(p) is Point and p.source_tag == "loss"]
    assert loss == [(n, float(f"0.{n}")) for n in range(1, 6)]


def _real_tqdm_epochs(epochs: int, batches: int, colour: str | None = None) -> str:
    """What tqdm itself writes to a file for a loop of ``epochs`` bars that set a postfix
    ``loss`` every batch and redraw at every update, on a clock that ticks 0.01 s a look: every
    rate then prints 10 it/s or more (one under 10 is padded, its layout learned apart, and a
    busy machine's stall made the test's blocks depend on it)."""
    from tqdm import tqdm

    out = io.StringIO()
    with mock.patch("tqdm.std.time", itertools.count(1.0, 0.01).__next__):
        for epoch in range(epochs):
            options = {"file": out, "mininterval": 0, "miniters": 1, "ascii": True, "colour": colour}
            with tqdm(total=batches, desc=f"Epoch {epoch}", **options) as bar:
                for batch in range(batches):
                    bar.set_postfix(loss=(batch % 8) / 8, refresh=False)
                    bar.update(1)
    return out.getvalue()


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_the_runs_of_a_chunks_lines_of_real_tqdm_bars_come_as_one_block_a_series(name: str) -> None:
    text = _real_tqdm_epochs(6, 40)
    items = _assert_same(text, name=name)
    blocks = [item for item in items if type(item) is Columns and item.source_tag == "loss"]
    assert len(blocks) == 1  # the five lines after the first (which teaches the layout) read together
    # from the log: each redraw with a count above 0 shows the loss set before it, at the
    # epoch's bars before it plus its count
    shown = re.findall(r"Epoch (\d): +\d+%\|[#0-9 ]*\| (\d+)/40 \[[^]]*loss=([0-9.]+)\]", text)
    expected = [(int(epoch) * 40 + int(n), float(loss)) for epoch, n, loss in shown if int(n) > 0]
    loss = [(p.step, p.value) for p in expand(items) if type(p) is Point and p.source_tag == "loss"]
    assert {step for step, _ in expected} == set(range(1, 6 * 40 + 1)) and loss == expected


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_the_done_redraws_of_the_line_a_chunk_leaves_open_are_read_ahead_with_its_lines(name: str) -> None:
    # bytes cut inside the fourth bar line: its redraws before the cut are read at once (a live
    # view shows them), with the three lines before, one block a series
    data = _real_tqdm_epochs(6, 40).encode()
    ends = [at for at, byte in enumerate(data) if byte == ord("\n")]
    cut = (ends[2] + ends[3]) // 2
    parser = FORMATS[name].Parser()
    first, second = parser.feed_bytes(data[:cut]), parser.feed_bytes(data[cut:])
    # and the rest of the line with the next lines: its first state alone, then one block
    for items in (first, second):
        assert len([item for item in items if type(item) is Columns and item.source_tag == "loss"]) == 1
    general, _ = _parse(data.decode(), False, (), name)
    assert canonical(first + second + parser.close()) == canonical(general)


def test_the_bar_lines_of_a_chunk_between_print_lines_come_as_one_block_a_series() -> None:
    # per epoch a header, a bar line and print lines of other series: the bars' runs join
    # across the print lines (their blocks only stand between), and read as the general path
    bars = _real_tqdm_epochs(6, 40).split("\n")[:-1]
    text = "".join(
        f"Epoch [{epoch}]\n{bar}\n" + "".join(f"INFO:root:Epoch [{epoch}/6], Step [{step}/40], Loss: 0.{step}\n" for step in (10, 20, 30))
        for epoch, bar in enumerate(bars)
    )
    items = _assert_same(text)
    assert len([item for item in items if type(item) is Columns and item.source_tag == "loss"]) == 1
    assert len([item for item in items if type(item) is Columns and item.source_tag == "Loss"]) == 1


def test_lines_drawn_with_escapes_and_backspaces_fed_as_bytes_read_as_drawn() -> None:
    # ``colour=`` wraps the bar's glyphs in ESC codes; a backspace in the last line's last state
    # turns the loss of its final redraw "0.875" into "0.5": the line is drawn, not read as written
    text = _real_tqdm_epochs(3, 40, colour="green")
    assert "\x1b[32m" in text and text.endswith("loss=0.875]\n")
    text = text[: -len("875]\n")] + "875\x08\x08\x085]  \n"
    loss = [(p.step, p.value) for p in expand(_assert_same(text, name="tqdm")) if type(p) is Point and p.source_tag == "loss"]
    assert loss[-3:] == [(119, 0.75), (120, 0.875), (120, 0.5)]  # close() draws the last state again
    # the prints format too, and a print line with a backspace among the bar lines: all drawn,
    # though the chunks are read without looking for backspaces when they have none
    _assert_same(text + "Train Loss: 0.9\x08\x08\x085 | Dice: 0.5\n" + text)


# ---- generated bar lines -------------------------------------------------------------------

_DESCS = ["Epoch 3/25 [Train]", "Epoch 3/25 [Val]", "train", "Epoch 12", "Validation DataLoader 0", "a|b", "Ep: 1"]
_NAMES = ["loss", "acc", "v_num", "val_loss", "train_acc_step", "train_acc_epoch", "lr"]
_VALUES = ["0.512", "1", "1e-3", "nan", "None", "?", "-inf", "2.5E+01", "00.1", "1.", "x", "+3"]
# the last three padded to width, as tqdm pads a rate under 10
_RATES = [
    "19.0it/s", "1.50s/it", "?it/s", "3.2batch/s", "0it/s", "12.41s/batch", "7it/s", " 6.61it/s", "  7.5it/s", " 1.50s/it"
]


@st.composite
def _bar_line(draw: st.DrawFn) -> str:
    """One physical line of redraws: mostly one bar counting up, with any of the ways a real
    log departs from that drawn in."""
    desc = draw(st.sampled_from(_DESCS))
    names = draw(st.lists(st.sampled_from(_NAMES), max_size=3))
    total = draw(st.sampled_from([10, 500, 0]))
    states = []
    n = draw(st.integers(0, 3))
    for _ in range(draw(st.integers(0, 30))):
        n += draw(st.sampled_from([0, 1, 1, 2, -3]))  # a redraw at the same count, a restart
        n = max(n, 0)
        rate = draw(st.sampled_from(_RATES[:1] * 6 + _RATES))
        postfix = "".join(f", {name}={draw(st.sampled_from(_VALUES[:3] * 8 + _VALUES))}" for name in names)
        state = f"{desc}: {min(n, 999) % 101:3d}%|{'#' * (n % 11):<10}| {n}/{total} [00:01<00:02, {rate}{postfix}]"
        state += draw(st.sampled_from(["", "", "", "  ", " Epoch [1/2], Loss: 0.5", "\n"]))
        states.append(draw(st.sampled_from([state] * 8 + ["", "  ", "Epoch [4]", f"{desc}: 3it [00:01, 2it/s]"])))
    first = draw(st.sampled_from(["", "", "Epoch [4]", "2025-05-14 16:02:53,777 - INFO - "]))
    return first + "\r" + "\r".join(states) + draw(st.sampled_from(["\n", "\r\n", "\r\n\n"]))


_LOG = st.lists(
    st.one_of(
        _bar_line(),
        st.sampled_from(["Epoch [2]\n", "INFO:root:Epoch [1/6], Step [10/161], Loss: 0.55\n", "Loss: 0.5\n", "\n"]),
    ),
    max_size=5,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_LOG, cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=4))
def test_generated_bar_lines_cut_anywhere_read_the_same_on_both_paths(text: str, cuts: list[int]) -> None:
    _assert_same(text, cuts)
    _assert_same(text, cuts, "tqdm")


# ---- generated print lines -----------------------------------------------------------------

# lines a script prints every few steps; "{c}" is a counter, "{v}" a value, "{d}" a day
_PRINTS = [
    "INFO:root:Epoch [{c}/{c}], Step [{c}/{c}], Loss: {v}",
    "epoch={c} step={c} loss={v} acc={v} lr={v}",
    "step {c}: loss={v}",
    "2025-05-{d} 16:02:53,777 - train - INFO - Epoch [{c}/{c}], Step [{c}/{c}], Loss: {v}",
    "[07:18:39] Epoch {c} | Step {c}/{c} | Avg Loss: {v} | Accuracy: {v}%",
    "epoch={c} batch={c} loss={v}",
    "Train Loss: {v} | Dice: {v}",
    "epoch {c}: val_loss: {v}, val_acc: {v}",
    "global_step={c} Validation Loss: {v}",
    "iter {c} lr {v} loss {v}",
    "Epoch {c} loss {v} acc {v}",
    "Dice per class: {v}, {v}",
    "2025-05-{d} 16:02:53,777 - train - INFO - Epoch [{c}/{c}], Training Loss: {v}, Accuracy: {v}%",
    "Val Loss:   {v} | Dice: {v}",
    "2025-05-{d} 16:02:53,778 - train - INFO - Checkpoint saved to checkpoint/model_{c}.pth",
]
_OTHER_LINES = [
    "Epoch [3]", "Validation:", "", "  ", "Namespace(lr=0.1, batch_size=50)", "Checkpoint saved to model_1.pth",
    "Saving the model.", "2025-05-14 16:02:53,777 - train - INFO - Saving the model.",
]
# mostly numbers of one width, so that lines share a layout; now and then one orjson or float refuses
_PRINTED = ["0.5123", "1.2500", "9.9999", "0.0001", "1e-05", "nan", "05", "1.", "+3", "-0.25", "x", "12%"]


@st.composite
def _print_block(draw: st.DrawFn) -> str:
    """A few lines of one print statement, numbers drawn anew for each (counters mostly going up,
    sometimes back: a resume), or a line of another kind."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(_OTHER_LINES)) + "\n"
    template = draw(st.sampled_from(_PRINTS))
    lines = []
    counter = draw(st.integers(10, 20))
    for _ in range(draw(st.integers(1, 8))):
        counter = max(0, counter + draw(st.sampled_from([1, 1, 1, 2, 2, 0, 10, -5])))
        lines.append(_printed(template, counter, lambda choices: draw(st.sampled_from(choices))))
    return "".join(f"{line}\n" for line in lines)


def _printed(template: str, counter: int, pick: Callable[[list], Any]) -> str:
    """``template`` (of `_PRINTS`) filled in: its counters mostly ``counter``, values and days
    chosen by ``pick`` from a list."""
    pieces = template.split("{")
    line = pieces[0]
    for piece in pieces[1:]:
        field, rest = piece[0], piece[2:]
        if field == "c":
            value = str(pick([counter] * 20 + [0, 1, 10**17]))
        elif field == "v":
            value = pick(_PRINTED[:4] * 20 + _PRINTED)
        else:
            value = pick(["14"] * 6 + ["15", "32"])
        line += value + rest
    return line


@settings(max_examples=40, deadline=None)
@given(
    templates=st.lists(st.sampled_from(_PRINTS), min_size=1, max_size=4),
    seed=st.integers(0, 2**32),
    cuts=st.lists(st.integers(0, 40_000), max_size=3),
)
def test_long_generated_stretches_read_from_their_digits_read_the_same_on_both_paths(
    templates: list[str], seed: int, cuts: list[int]
) -> None:
    # 256 lines and more, a few layouts in runs of any length with headers and bars among them:
    # the numbers are read from each layout's digits (`_print_runs._by_digits`), the wall times
    # once per distinct stamp (`_walls`), the lines found by their runs (`_lines_by_layout`)
    rng = random.Random(seed)
    lines, counter = [], 10
    while len(lines) < 400:
        counter += rng.choice([1, 1, 2, 10, -5])
        kind = rng.randrange(12)
        if kind == 0:
            lines.append(f"Epoch [{counter}]")
        elif kind == 1:
            lines.append(f"\rEpoch {counter}: 50%|#####     | 5/10 [00:01<00:01, 4.2it/s, loss=0.{counter}]")
        else:
            template = rng.choice(templates)
            lines += [_printed(template, counter + i, rng.choice) for i in range(rng.choice([1, 1, 3, 25]))]
    _assert_same("".join(f"{line}\n" for line in lines), cuts)


def test_steps_beyond_64_bits_are_problems_on_both_paths_not_a_crash() -> None:
    # epoch x epoch length past int64: the general path reports each value; the fast path must
    # neither wrap the product in int64 nor hand the collector an array of Python ints
    huge = 10**10  # its square is not in int64
    wide = "".join(f"[07:18:39] Epoch {huge} | Step {i}/{huge} | Avg Loss: 0.{i}\n" for i in range(1, 25))
    after = "".join(f"Train Loss: 0.{i} | Dice: 0.5\n" for i in range(1, 25))  # placed by the step before
    collector = RunCollector("log")
    collector.add(_assert_same(wide + "Validation\n" + after))
    skipped = [p.message for p in collector.problems if "outside 64-bit integers" in p.message]
    assert len(skipped) == 24 + 2 * 24  # every value of both layouts
    assert not any(len(s) for s in collector.series().values())


@settings(max_examples=300, deadline=None)
@given(blocks=st.lists(st.one_of(_print_block(), _bar_line()), max_size=12), cuts=st.lists(st.integers(0, 4000), max_size=4))
def test_generated_print_lines_cut_anywhere_read_the_same_on_both_paths(blocks: list[str], cuts: list[int]) -> None:
    _assert_same("".join(blocks), cuts)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_numbers_of_one_layout_read_from_their_digits_are_what_float_reads(data: st.DataObject) -> None:
    # lines of one layout: the same sign, point and exponent at the same bytes, any digits
    sign, exponent_sign = data.draw(st.sampled_from(["", "-", "+"])), data.draw(st.sampled_from(["", "-", "+"]))
    whole, fraction = data.draw(st.integers(0, 9)), data.draw(st.sampled_from([None, 0, 1, 3, 8]))
    exponent = data.draw(st.sampled_from([None, 1, 2, 3]))
    assume(whole or fraction)

    def digits(count: int) -> str:
        return data.draw(st.text("0123456789", min_size=count, max_size=count))

    printed = []
    for _ in range(data.draw(st.integers(1, 6))):
        text = sign + digits(whole) + ("" if fraction is None else "." + digits(fraction))
        printed.append(text + ("" if exponent is None else "e" + exponent_sign + digits(exponent)))
    decimal = decimal_at(printed[0].encode(), 4)
    if decimal is None:
        assert whole + (fraction or 0) > 15  # more digits than a float64 holds exactly
        return
    lines = np.frombuffer("".join(f"lr: {text}\n" for text in printed).encode(), np.uint8).reshape(len(printed), -1)
    read = decimals(lines, decimal)
    if read is None:  # orjson refuses ("05e400"): the lines go one by one
        return
    assert [repr(value) for value in read.tolist()] == [repr(float(text)) for text in printed]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_plain_decimals_of_one_template_read_by_one_matrix_product_are_what_float_reads(data: st.DataObject) -> None:
    # bar states of one template: each number keeps its sign, width and point, any digits
    shapes = data.draw(
        st.lists(st.tuples(st.sampled_from(["", "-", "+"]), st.integers(0, 9), st.sampled_from([None, 0, 1, 4, 8])),
                 min_size=1, max_size=4)
    )
    assume(all(whole or fraction for _, whole, fraction in shapes))

    def digits(count: int) -> str:
        return data.draw(st.text("0123456789", min_size=count, max_size=count))

    rows = []
    for _ in range(data.draw(st.integers(1, 6))):
        rows.append([sign + digits(whole) + ("" if fraction is None else "." + digits(fraction))
                     for sign, whole, fraction in shapes])
    texts = ["\rEpoch 1: " + ", ".join(f"v={number}" for number in row) + "]" for row in rows]
    spans, at = [], len("\rEpoch 1: ")
    for number in rows[0]:
        spans.append((at + 2, at + 2 + len(number)))
        at += len(number) + 4
    reader = digit_reader(texts[0].encode(), spans)
    if reader is None:
        assert any(whole + (fraction or 0) > 15 for _, whole, fraction in shapes)  # beyond a float64's digits
        return
    data_bytes = "".join(texts).encode()
    starts = np.flatnonzero(np.frombuffer(data_bytes, np.uint8) == ord("\r"))
    read = reader.read(np.frombuffer(data_bytes, np.uint8), starts)
    assert [[repr(value) for value in row] for row in read.tolist()] == [[repr(float(n)) for n in row] for row in rows]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_row_of_states_unlike_the_row_before_is_found(data: st.DataObject) -> None:
    # rows of states of one width, most a copy of the row before, some changed at any byte:
    # each changed row must be found (a row found that did not change costs a look-up only)
    width = data.draw(st.integers(1, 20))
    rows = [data.draw(st.binary(min_size=width, max_size=width))]
    for _ in range(data.draw(st.integers(1, 30))):
        row = bytearray(rows[-1])
        for at in data.draw(st.lists(st.integers(0, width - 1), max_size=2)):
            row[at] ^= data.draw(st.integers(1, 255))
        rows.append(bytes(row))
    found = _bar_runs._rows_unlike_the_row_before(np.frombuffer(b"".join(rows), np.uint8).reshape(-1, width))
    changed = [at for at in range(len(rows) - 1) if rows[at + 1] != rows[at]]
    assert set(changed) <= set(found.tolist()) <= set(range(len(rows) - 1))
    assert found.tolist() == sorted(set(found.tolist()))


def test_a_long_stretch_whose_digits_are_read_by_arithmetic_reads_as_the_general_path() -> None:
    # 256 lines and more: each layout's numbers are read from its digits a column at a time
    # (`_numbers.decimals`), the learning rate's 1e-31 by orjson, a column with a nan line by line
    rng = random.Random(12)
    lines, step = [], 0
    for epoch in range(1, 31):
        for _ in range(12):
            step += 10
            loss = rng.choice(["0.5123", "1.2500", "-0.0000", "+3.1000", "07.5000"] * 20 + ["nan"])
            lr = rng.choice(["6.65e-31", "1.00e-03", "2.50E+02"])
            lines.append(f"epoch={epoch:02d} step={step:04d} loss={loss} acc=0.{rng.randrange(10**4):04d} lr={lr}")
        lines.append(f"epoch {epoch:02d}: val_loss: {rng.uniform(0, 2):.4f}, val_acc: -{rng.random():.3f}")
    items = _assert_same("".join(f"{line}\n" for line in lines), cuts=[9_000, 20_000])
    assert sum(len(item.step) for item in items if type(item) is Columns) > 256


def test_a_run_of_print_lines_is_read_as_blocks_at_the_steps_its_counters_give() -> None:
    # "Epoch [e/E], Step [s/S]" counts steps within an epoch: step = (e - 1) * 161 + s
    text = "".join(f"INFO:root:Epoch [2/6], Step [{s}/161], Loss: 0.{s}\n" for s in range(10, 100, 10))
    items = _assert_same(text)
    assert [type(item) for item in items] == [Columns]
    assert [(p.step, p.value) for p in expand(items)] == [(161 + s, float(f"0.{s}")) for s in range(10, 100, 10)]


def test_lines_printed_once_an_epoch_between_runs_are_read_in_the_same_blocks() -> None:
    # an epoch summary takes the last step a line set, a print with no counter the last step
    # and epoch, a line with a digit and no value is listed as unread; once their layouts are
    # known (the second epoch at the latest), all without a Point each
    def epoch(e: int, step: int) -> str:
        return (
            f"epoch={e} step={step} loss=0.5\nepoch={e} step={step + 10} loss=0.4\n"
            f"epoch {e}: val_loss: 0.6, val_acc: 0.7\nCheckpoint saved to model_{e}.pth\n"
            f"Train Loss: 0.35 | Dice: 0.8\n"
        )

    text = epoch(1, 10) + epoch(2, 30)
    items = _assert_same(text)
    assert all(point.step < 30 for point in items if type(point) is Point)  # the second epoch: blocks
    found = {(p.source_tag, p.step, p.epoch, p.value) for p in expand(items)}
    assert found == {
        ("loss", 10, 1.0, 0.5), ("loss", 20, 1.0, 0.4), ("loss", 30, 2.0, 0.5), ("loss", 40, 2.0, 0.4),
        ("val_loss", 20, 1.0, 0.6), ("val_acc", 20, 1.0, 0.7), ("val_loss", 40, 2.0, 0.6), ("val_acc", 40, 2.0, 0.7),
        ("Train Loss", 20, 1.0, 0.35), ("Dice", 20, 1.0, 0.8), ("Train Loss", 40, 2.0, 0.35), ("Dice", 40, 2.0, 0.8),
    }
    assert _parse(text, True)[1][0] == [4, 9]  # unread: the checkpoint lines


def test_a_resume_inside_a_run_of_print_lines_is_an_event_between_them() -> None:
    text = "".join(f"epoch=1 step={s} loss=0.5\n" for s in (10, 20, 30, 40, 20, 30, 40))
    items = _assert_same(text)
    assert sum(type(item) is Event for item in items) == 1


def test_long_lines_and_long_bar_states_read_the_same_on_both_paths() -> None:
    # the bulk paths keep each layout whole in a cache: beyond a few KB they step aside
    note = "x" * 5000
    prints = "".join(f"epoch=1 step={s} loss=0.5 note={note}\n" for s in (10, 20, 30, 40))
    states = "\r".join(f"Epoch 1: {n}%|#| {n}/10 [00:01<00:02, 3.2it/s, loss=0.{n}, note={note}]" for n in range(1, 9))
    items = _assert_same(f"{prints}\r{states}\n")
    assert [p.step for p in expand(items) if type(p) is Point and p.source_tag == "loss"][:4] == [10, 20, 30, 40]


def _slowing_tqdm_epochs(epochs: int, batches: int) -> str:
    """What tqdm writes for bars whose loop slows down halfway through each epoch (a clock that
    ticks 0.005 s a look, then 0.2 s): every line's rate goes from above 10 it/s to below,
    where tqdm pads it to its width (``20.00it/s``, then `` 6.61it/s``)."""
    from tqdm import tqdm

    out = io.StringIO()
    clock = [1.0]
    with mock.patch("tqdm.std.time", lambda: clock[0]):
        for epoch in range(epochs):
            options = {"file": out, "mininterval": 0, "miniters": 1, "ascii": True}
            with tqdm(total=batches, desc=f"Epoch {epoch}", **options) as bar:
                for batch in range(batches):
                    clock[0] += 0.005 if batch < batches // 2 else 0.2
                    bar.set_postfix(loss=(batch % 8) / 8, refresh=False)
                    bar.update(1)
    return out.getvalue()


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_lines_whose_rate_drops_below_10_per_second_come_as_one_block_a_series(name: str) -> None:
    """A rate padded to its width is the same layout as one that is not: the runs of every line
    after the first are read ahead together, not each by the bar's regex."""
    text = _slowing_tqdm_epochs(6, 40)
    assert re.search(r", \d\d\.\d\dit/s", text) and re.search(r",  \d\.\d\dit/s", text)  # both widths drawn
    items = _assert_same(text, name=name)
    blocks = [item for item in items if type(item) is Columns and item.source_tag == "loss"]
    assert len(blocks) == 1


@pytest.mark.parametrize("name", ["prints", "tqdm"])
def test_runs_of_bars_named_with_more_digits_in_the_same_chunk_come_in_the_same_block(name: str) -> None:
    """``Epoch 9`` and ``Epoch 10`` are one kind of bar whose descriptions differ in length: each
    line's states are checked against its own description, and all of them read ahead."""
    text = _real_tqdm_epochs(12, 40)
    items = _assert_same(text, name=name)
    blocks = [item for item in items if type(item) is Columns and item.source_tag == "loss"]
    assert len(blocks) == 1
    loss = [p.step for p in expand(items) if type(p) is Point and p.source_tag == "loss"]
    assert set(loss) == set(range(1, 12 * 40 + 1))  # a point at every count above 0, as printed
