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
