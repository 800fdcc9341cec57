"""A chunk's print lines read as one stretch around the bar lines and epoch headers among them
(`_print_waits`), compared with reading every redraw and every line on its own
(``Parser(fast=False)``): mixed output as corpus files 41, 43 and 44 print it, a series the
bars and the prints both give, headers and bars that read the context (a prefix, a split set,
a bar that names no epoch, text glued after a bar), and a bar still being drawn at a chunk's
end, under hypothesis and cut into chunks anywhere."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Point
from tests.sources.helpers import expand
from tests.sources.test_prints_fast import _assert_same, _parse

_BATCHES = 40  # per epoch; the step lines print every 10


def _bar(epoch: int, desc: str = "Epoch {e}/9 [Train]", name: str = "loss") -> str:
    """A bar redrawn on one line, every 4 batches; the loss shows the count and the epoch."""
    return "\r" + "\r".join(
        f"{desc.format(e=epoch)}: {n * 100 // _BATCHES:3d}%|{'#' * (n // 4):<10}| {n}/{_BATCHES} "
        f"[00:01<00:02, 19.{n % 10}it/s, {name}=0.{n:02d}{epoch}]"
        for n in range(0, _BATCHES + 1, 4)
    ) + "\n"


def _epoch(epoch: int, *, header: str = "Epoch [{e}]", desc: str = "Epoch {e}/9 [Train]",
           bar_name: str = "loss", print_name: str = "Loss", steps: bool = True, after_header: str = "") -> str:
    """One epoch of a script's output, as bench/textlogs/mixed.py writes it: a header, a bar
    redrawn on one line, step lines, a logging summary, two prints and a checkpoint line."""
    step_lines = "".join(
        f"INFO:root:Epoch [{epoch}/9], Step [{s}/{_BATCHES}], {print_name}: 0.{s}{epoch}\n" for s in range(10, _BATCHES + 1, 10)
    )
    return (
        f"\n{header.format(e=epoch)}\n{after_header}\n{_bar(epoch, desc, bar_name)}{step_lines if steps else ''}"
        f"2025-05-14 16:02:53,777 - train - INFO - Epoch [{epoch}/9], Training Loss: 0.{epoch}5, Accuracy: 5{epoch}.25%\n"
        f"Train Loss: 0.{epoch}1 | Dice: 0.{epoch}2\nVal Loss:   0.{epoch}3 | Dice: 0.{epoch}4\n"
        f"2025-05-14 16:02:53,778 - train - INFO - Checkpoint saved to checkpoint/model_{epoch}.pth\n"
    )


def _points(items: list, source_tag: str) -> list[tuple]:
    return [(p.step, p.epoch, p.value) for p in expand(items) if type(p) is Point and p.source_tag == source_tag]


def test_the_print_lines_of_epochs_between_bars_and_headers_come_as_one_block_a_series() -> None:
    text = "".join(_epoch(e) for e in range(1, 7))
    _parse(text, True)  # the layouts are learned when they repeat: from here on, known
    items = _assert_same(text)
    assert len([item for item in items if type(item) is Columns and item.source_tag == "Loss"]) == 1
    # from the log: a step line is at (epoch - 1) * 40 + step, epoch + step / 40; the summary
    # and the prints after it at the epoch's last step line, at the epoch the summary names
    assert _points(items, "Loss") == [
        ((e - 1) * 40 + s, e + s / 40, float(f"0.{s}{e}")) for e in range(1, 7) for s in (10, 20, 30, 40)
    ]
    assert _points(items, "Training Loss") == [(e * 40, float(e), float(f"0.{e}5")) for e in range(1, 7)]
    assert _points(items, "Train Loss") == [(e * 40, float(e), float(f"0.{e}1")) for e in range(1, 7)]
    # the bar's redraws: its count on top of the epochs before, the count 0 giving nothing
    assert _points(items, "loss")[:2] == [(4, 1.1, 0.041), (8, 1.2, 0.081)]
    assert _parse(text, True)[1][0] == [12 * e for e in range(1, 7)]  # unread: the checkpoint lines


def test_headers_and_bars_between_prints_set_the_epoch_and_step_the_prints_after_them_read() -> None:
    # a print before the bar reads the header's epoch and the step the bar before reached; a
    # print after the bar the bar's step and the epoch its description names (7, not the header's)
    text = "".join(
        f"Epoch [{e}]\nVal Loss: 0.{e}3 | Dice: 0.{e}4\n{_bar(e, desc='Epoch 7')}Train Loss: 0.{e}1 | Dice: 0.{e}2\n"
        for e in (2, 3, 4)
    )
    _parse(text, True)
    items = _assert_same(text)
    # before any step the first print is at its epoch as the step
    assert _points(items, "Val Loss") == [(2, 2.0, 0.23), (40, 3.0, 0.33), (80, 4.0, 0.43)]
    assert _points(items, "Train Loss") == [(40, 7.0, 0.21), (80, 7.0, 0.31), (120, 7.0, 0.41)]


def test_a_series_the_bars_and_the_prints_both_give_keeps_the_order_of_the_log() -> None:
    # "loss=" on the bar and "loss:" on the step lines: one series, its points as printed
    text = "".join(_epoch(e, print_name="loss") for e in range(1, 5))
    _parse(text, True)
    items = _assert_same(text)
    assert [step for step, _, _ in _points(items, "loss")] == [
        (e - 1) * 40 + n for e in range(1, 5) for n in [*range(4, 41, 4), 10, 20, 30, 40]
    ]


# ---- generated ---------------------------------------------------------------------------

_HEADERS = ["Epoch [{e}]"] * 6 + ["INFO:root:Epoch [{e}]", "Epoch {e}/9", "Validation:", "Epoch {e}\r", "Epoch [0]"]
_DESCS = ["Epoch {e}/9 [Train]"] * 6 + ["train", "Epoch {e}/9 [Val]", "Epoch 1"]
# text glued after a bar line's last redraw, before its first or as the prefix of its last
_GLUED = [None] * 6 + [
    ("]\n", "] Epoch [1/9], Step [10/40], Loss: 0.5\n"),
    ("\n\r", "\n2025-05-14 16:02:53,777 - INFO - \r"),
    ("]\r", "]\r2025-05-14 16:02:53,777 - INFO - "),
]


@st.composite
def _mixed_output(draw: st.DrawFn) -> str:
    """Epochs as `_epoch` prints them, each with any of the ways a header or a bar line may
    read the context, or a series the bars and the prints share, with or without step lines
    (the prints then read the bar's step), now and then an epoch again (a resume); the last
    bar maybe still being drawn."""
    epochs = [draw(st.sampled_from(["", "Train Loss: 0.5 | Dice: 0.5\n" * 2]))]  # before any epoch: unread
    epoch = 0
    for _ in range(draw(st.integers(1, 6))):
        epoch = max(1, epoch + draw(st.sampled_from([1] * 8 + [-1])))
        text = _epoch(
            epoch,
            header=draw(st.sampled_from(_HEADERS)),
            desc=draw(st.sampled_from(_DESCS)),
            bar_name=draw(st.sampled_from(["loss"] * 3 + ["Loss"])),
            steps=draw(st.sampled_from([True, True, False])),
            after_header=draw(st.sampled_from(["", f"Accuracy: 0.{epoch}6\n"])),
        )
        glued = draw(st.sampled_from(_GLUED))
        if glued:  # the bar line is the first with "\n\r"; its last redraws end in "0.36<e>]", "0.40<e>]"
            old, new = glued
            count = {"]\n": "0.40", "]\r": "0.36"}.get(old, "")
            text = text.replace(f"{count}{epoch}{old}" if count else old, f"{count}{epoch}{new}" if count else new, 1)
        epochs.append(text)
    text = "".join(epochs)
    if draw(st.booleans()):  # a bar being drawn: no newline yet
        text += "\rEpoch 9/9 [Train]:  10%|#         | 4/40 [00:01<00:02, 19.4it/s, loss=0.5]\rEpoch 9/9 [Train]:  20%|##"
    return text


@settings(max_examples=200, deadline=None)
@given(text=_mixed_output(), cuts=st.lists(st.integers(0, 12_000), max_size=4))
def test_generated_mixed_output_cut_anywhere_reads_as_the_general_path(text: str, cuts: list[int]) -> None:
    _assert_same(text, cuts)


def test_a_bar_that_names_no_epoch_leaves_the_epoch_the_prints_before_it_set() -> None:
    # "train" began before any epoch was known: its redraws set the step, not the epoch, so
    # the prints after its second line read the epoch of the summary lines before it (3)
    def states(counts: range) -> str:
        return "".join(f"\rtrain: {n * 10:3d}%|{'#' * n:<10}| {n * 4}/40 [00:01<00:02, 19.4it/s, loss=0.{n}]" for n in counts) + "\n"

    summary = "Epoch [3/9], Training Loss: 0.3, Accuracy: 53.25%\n" * 2
    text = states(range(1, 3)) + "Epoch [2]\n" + summary + states(range(3, 5)) + "Train Loss: 0.2 | Dice: 0.1\n" * 2
    _parse(text, True)
    items = _assert_same(text)
    assert _points(items, "Train Loss") == [(16, 3.0, 0.2), (16, 3.0, 0.2)]
