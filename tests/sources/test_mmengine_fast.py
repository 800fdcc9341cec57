"""mmengine's evaluation lines on the fast path: validation progress lines and mmdet's
``bbox_mAP_copypaste`` lines are kinds that give nothing but their place (`_mmdet_text`'s
blank layouts), so a chunk reads none of them one by one, and an odd one among them reads as
the general path (``Parser(fast=False)``) reads it, whatever the chunks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.sources.formats import FORMATS
from tests.sources.helpers import canonical, every, expand, parse_cut

LOG = "mmengine-log"
_STAMP = "2023/06/07 10:01:59 - mmengine - INFO - "
_TRAIN = (_STAMP + "Epoch(train) [{epoch:>3}][{it:>3}/100]  lr: 1.0000e-02  eta: 1 day, 2:03:04  "
          "time: 0.{it:04d}  loss: {loss:.4f}")
_PROGRESS = _STAMP + "Epoch(val) [{epoch}][{it:>3}/50]    eta: 0:00:0{digit}  time: 0.05{digit}1  memory: 300"
_COPYPASTE = _STAMP + "bbox_mAP_copypaste: 0.{digit}56 0.189 -1.000"
_SUMMARY = _STAMP + "Epoch(val) [{epoch}][50/50]    coco/bbox_mAP: 0.{digit}560  coco/bbox_mAP_50: 0.1890"

# a progress line the general path reads otherwise (or where its epoch's digits move), as
# wide up to its "]    eta: " as the others, which are found by that text at its place
ODD_PROGRESS = [
    _STAMP + "Epoch(val) [{epoch}][{it:>5}0]    eta: 0:00:01  time: 0.0501",  # a longer epoch to learn
    _STAMP + "Epoch(val) {blank}  [{it:>3}/50]    eta: 0:00:01  time: 0.0501",  # no epoch: the last training step
    _STAMP + "Epoch(val) [{epoch}][{it:>3}/50]    eta: 0:00:01  loss: 0.5000",  # a value
    _STAMP + "Epoch(test)[{epoch}][{it:>3}/50]    eta: 0:00:01  time: 0.0501",  # another split
    _STAMP + "Epoch(val) [{epoch}][{it:>3}/50]    eta: 0:00:01  time: 0.0501  caf\u00e9: x",  # not ASCII
    _STAMP + "Epoch(val) [{epoch}{epoch}][{it:>3}/50]    eta: 0:00:01  time: 0.0501",  # another epoch width
]
# a copypaste line the general path reads otherwise
ODD_COPYPASTE = [
    _STAMP + "bbox_mAP_copypaste: 0.1 Saving checkpoint at 3 epochs",
    _STAMP + "bbox_mAP_copypaste: Epoch(val) [1][50/50]  coco/bbox_mAP: 0.5000",
    _STAMP + "bbox_mAP_copypaste: Iter(val) [50/50]  coco/bbox_mAP: 0.5000",
]
# a script's print, read at the place of the format's line before it
OTHERS = ["loss: 0.5", "acc = 3", "Epoch 2: accuracy 0.25"]


@st.composite
def evaluations(draw) -> str:
    """Epochs of a few training lines, then validation progress lines, a copypaste line and
    the summary, with an odd line or a print between them now and then."""
    lines = []
    for epoch in range(draw(st.integers(1, 3)), draw(st.integers(10, 24))):
        lines += [_TRAIN.format(epoch=epoch, it=it, loss=epoch / it) for it in range(10, 31, 10)]
        for it in range(10, 10 * draw(st.integers(1, 5)) + 1, 10):
            odd = draw(st.integers(0, 5)) == 0
            line = draw(st.sampled_from(ODD_PROGRESS)) if odd else _PROGRESS
            lines.append(line.format(epoch=epoch, it=it, digit=it % 10, blank=" " * len(str(epoch))))
            if draw(st.integers(0, 3)) == 0:
                lines.append(draw(st.sampled_from(OTHERS)))
        odd = draw(st.integers(0, 20)) == 0
        lines.append(draw(st.sampled_from(ODD_COPYPASTE)) if odd else _COPYPASTE.format(digit=epoch % 10))
        if draw(st.integers(0, 10)) == 0:
            lines.append(draw(st.sampled_from(OTHERS)))
        lines.append(_SUMMARY.format(epoch=epoch, digit=epoch % 10))
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(text=evaluations(), chunk=st.sampled_from([None, 100_000, 4_096, 1_500]), as_bytes=st.booleans())
def test_evaluation_lines_read_as_the_general_path_reads_them_whatever_the_chunks(text: str, chunk, as_bytes: bool) -> None:
    fed = text.encode() if as_bytes else text
    fast = parse_cut(LOG, fed, every(chunk, fed))
    assert canonical(expand(fast)) == canonical(expand(parse_cut(LOG, text, [], fast=False)))


def _clean_evaluations(odd_progress: str | None = None, odd_copypaste: str | None = None) -> str:
    """Fourteen epochs of training lines, progress lines, prints, a copypaste line and the
    summary; epoch 11's last progress line or its copypaste line the odd one given."""
    lines = []
    for epoch in range(1, 15):
        lines += [_TRAIN.format(epoch=epoch, it=it, loss=epoch / it) for it in range(10, 31, 10)]
        lines += [_PROGRESS.format(epoch=epoch, it=it, digit=it % 10) for it in range(10, 51, 10)]
        if odd_progress and epoch == 11:
            lines[-1] = odd_progress.format(epoch=epoch, it=50, blank="  ")
        copypaste = odd_copypaste if odd_copypaste and epoch == 11 else _COPYPASTE.format(digit=epoch % 10)
        lines += [*OTHERS, copypaste, _SUMMARY.format(epoch=epoch, digit=epoch % 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("odd_progress", "odd_copypaste"), [
    (None, None), *((odd, None) for odd in ODD_PROGRESS), *((None, odd) for odd in ODD_COPYPASTE),
])
def test_an_odd_evaluation_line_among_clean_ones_reads_as_the_general_path_reads_it(odd_progress, odd_copypaste) -> None:
    """One odd line leaves its chunk's lines of that kind to the general path; read in bulk,
    it would mean something else (a print after a run of progress lines is read where the
    run's last line sits: its epoch, of one or two digits, and its split)."""
    text = _clean_evaluations(odd_progress, odd_copypaste)
    for chunk in (None, 4_096):
        fast = parse_cut(LOG, text, every(chunk, text))
        assert canonical(expand(fast)) == canonical(expand(parse_cut(LOG, text, [], fast=False)))


class _CountingLines(FORMATS[LOG].Parser):
    """mmengine's parser counting the lines it reads one by one."""

    def __init__(self) -> None:
        super().__init__()
        self.read_alone: list[str] = []

    def _one_by_one(self, first: int, lines: list[str], items: list) -> None:
        self.read_alone += lines
        super()._one_by_one(first, lines, items)


def test_no_evaluation_line_of_a_clean_log_is_read_one_by_one() -> None:
    """Each kind is learned from the first chunk's lines and read in bulk: progress and
    copypaste lines as training lines and summaries are, in each of the two chunks."""
    lines = []
    for epoch in range(1, 41):
        lines += [_TRAIN.format(epoch=epoch, it=it, loss=epoch / it) for it in range(10, 101, 10)]
        lines += [_PROGRESS.format(epoch=epoch, it=it, digit=it % 10) for it in range(10, 51, 10)]
        lines += [_COPYPASTE.format(digit=epoch % 10), _SUMMARY.format(epoch=epoch, digit=epoch % 10)]
    text = "\n".join(lines) + "\n"
    parser = _CountingLines()
    half = len(text) // 2
    items = parser.feed(text[:half]) + parser.feed(text[half:]) + parser.close()
    assert canonical(expand(items)) == canonical(expand(parse_cut(LOG, text, [], fast=False)))
    assert parser.read_alone == []


_TRAIN_OF = (_STAMP + "Epoch(train) [{epoch:>3}][{it:>3}/{total}]  lr: 1.0000e-02  eta: 1 day, 2:03:04  "
             "time: 0.{it:04d}  loss: {loss:.4f}")


@st.composite
def _epochs(draw) -> str:
    """Epochs as the bench's log prints them (training lines, progress lines, a copypaste line,
    the summary), from epoch 0 or later, whose length wanders (the clock keeps the longest),
    which go back now and then (a resume), whose summaries may hold a training series (``lr``),
    with a print between them now and then."""
    lines, epoch, total = [], draw(st.integers(0, 2)), 100
    lr = draw(st.sampled_from([0, 1, 10]))  # summaries holding "lr": none, each, one in ten
    for _ in range(draw(st.integers(24, 48))):
        total = max(50, total + draw(st.sampled_from([0, 0, 0, 10, -10])))
        lines += [_TRAIN_OF.format(epoch=epoch, it=it, total=total, loss=(epoch + 1) / it) for it in range(10, 41, 10)]
        lines += [_PROGRESS.format(epoch=epoch, it=it, digit=it % 10) for it in range(10, 10 * draw(st.integers(1, 5)) + 1, 10)]
        summary = _SUMMARY.format(epoch=epoch, digit=epoch % 10)
        lines += [_COPYPASTE.format(digit=epoch % 10), summary + ("  lr: 0.0100" if lr and draw(st.integers(1, lr)) == 1 else "")]
        if draw(st.integers(0, 19)) == 0:
            lines.append(draw(st.sampled_from(OTHERS)))
        epoch = max(0, epoch + draw(st.sampled_from([1] * 29 + [0, -1])))
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None)
@given(text=_epochs(), chunk=st.sampled_from([1_500, 12_000, 16_384, 25_000]))
def test_chunks_of_evaluation_and_training_lines_only_read_as_the_general_path_reads_them(text: str, chunk) -> None:
    """A chunk of training, progress, copypaste and summary lines only is read at once
    (`TextParser._read_whole`): the clock as its training lines leave it before each summary,
    and the prints of the next chunk where its last line placed them; or run by run where
    training goes back, a summary shares a series with training, or two kinds of summary.
    (A kind wants 8 lines in a chunk: chunks of some 10 epochs, after the first.)"""
    fast = parse_cut(LOG, text, every(chunk, text))
    assert canonical(expand(fast)) == canonical(expand(parse_cut(LOG, text, [], fast=False)))


class _CountingRuns(FORMATS[LOG].Parser):
    """mmengine's parser counting the runs it reads one at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.runs = 0

    def _run(self, *args) -> bool:
        self.runs += 1
        return super()._run(*args)


@pytest.mark.parametrize("last", ["summary", "copypaste", "progress", "training"])
def test_a_clean_logs_chunks_after_the_first_are_read_at_once(last: str) -> None:
    """Four kinds an epoch, and no run read one at a time once the first chunk has told the
    log's first epoch, whichever kind ends a chunk: a print after it is read where that chunk
    left the lines after it."""
    lines = [line for line in _clean_evaluations().split("\n")[:-1] if line not in OTHERS]
    ends = {"summary": "coco/bbox_mAP: 0.", "copypaste": "copypaste", "progress": "][ 50/50]", "training": "][ 30/100]"}
    cut = max(at for at, line in enumerate(lines[:-8]) if ends[last] in line) + 1
    parts = ["\n".join(part) + "\n" for part in (lines[:20], lines[20:cut], [OTHERS[0], *lines[cut:]])]
    parser = _CountingRuns()
    items = parser.feed(parts[0])
    runs = parser.runs
    items += parser.feed(parts[1])
    assert runs > 0 and parser.runs == runs
    items += parser.feed(parts[2]) + parser.close()
    assert canonical(expand(items)) == canonical(expand(parse_cut(LOG, "".join(parts), [], fast=False)))


def _epochs_log(totals: dict[int, int], epochs: list[int], summary: str = "") -> tuple[str, list[int]]:
    """The bench's four kinds an epoch for each of ``epochs`` (its length from ``totals``: the
    last key at or before it; its first training line at iteration 0, where the summary before
    sits), a print after the third from last, and cuts every ten epochs, at an epoch's start."""
    lines, cuts = [], []
    for at, epoch in enumerate(epochs):
        if at and at % 10 == 0:
            cuts.append(len("\n".join(lines)) + 1)
        total = totals[max(key for key in totals if key <= epoch)]
        lines += [_TRAIN_OF.format(epoch=epoch, it=it, total=total, loss=(epoch + 1) / (it + 1)) for it in range(0, 41, 10)]
        lines += [_PROGRESS.format(epoch=epoch, it=it, digit=it % 10) for it in range(10, 51, 10)]
        lines += [_COPYPASTE.format(digit=epoch % 10), _SUMMARY.format(epoch=epoch, digit=epoch % 10) + summary]
        if at == len(epochs) - 3:
            lines.append(OTHERS[2])  # "Epoch 2: ...": read as the log counts its epochs
    return "\n".join(lines) + "\n", cuts


@pytest.mark.parametrize(("totals", "epochs", "summary", "at_once"), [
    ({0: 100, 17: 120}, list(range(1, 40)), "", 2),  # a longer epoch inside a chunk read at once
    ({0: 120, 17: 90}, list(range(1, 40)), "", 2),  # a shorter one: the clock keeps the longer
    ({0: 100}, [*range(1, 21), *range(13, 30)], "", 1),  # a resume at a chunk's start (epoch 13 again)
    ({0: 100}, [*range(1, 17), *range(15, 40)], "", 1),  # a resume inside a chunk
    ({0: 100}, list(range(0, 40)), "", 2),  # epochs counted from 0 (the first chunk tells)
    ({0: 100}, list(range(1, 40)), "  lr: 0.0100", 0),  # summaries holding a training series
])
def test_chunks_read_at_once_mean_what_their_runs_mean(totals: dict[int, int], epochs: list[int], summary: str,
                                                         at_once: int) -> None:
    """`TextParser._read_whole` against the general path where the clock changes inside a
    chunk, training goes back at or inside one, the first epoch is 0, and summaries share a
    series with training (a summary's step is the next epoch's first): the chunks after the
    first (which tells the first epoch) read at once unless that happens in them, and a print
    after them is read where they left the lines after, its epoch counted as the log counts."""
    text, cuts = _epochs_log(totals, epochs, summary)
    parser = _CountingRuns()
    items, start, whole = [], 0, 0
    for cut in [*cuts, len(text)]:
        runs = parser.runs
        items += parser.feed(text[start:cut])
        whole += cut < len(text) and parser.runs == runs
        start = cut
    items += parser.close()
    assert canonical(expand(items)) == canonical(expand(parse_cut(LOG, text, [], fast=False)))
    assert whole == at_once
