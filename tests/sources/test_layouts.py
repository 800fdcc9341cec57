"""The scans `_layouts.SpanCache` learns once per layout read digits only as ``\\d``: spans
learned on one line, cut from a line that differs only in its ASCII digits, give what the scan
of that line gives. Checked under hypothesis with lines built from the pieces the grammars
read (names with digits, counters, lists, Unicode digits, numbers of any width)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.sources.formats import _grammars
from lossboard.sources.formats._layouts import SpanCache, layout

_PIECES = [
    "Epoch [1/25], ", "Step [10/161], ", "Loss: 0.5517", "Training Loss: 4.6271", ", Accuracy: 5.74%", " | ",
    "Acc@1: 76.1", "top5=0.93", "3D loss: 2.486E+00", "Train Epoch: 3 ", "epoch=1 batch=20 ", "lr for next epoch: 0.05",
    "Dice per class: 0.94, 0.93, 0.77", "iter 1200 ", "global_step: 7 ", "val_loss=nan", "loss: n/a", "x=1e-3",
    "Epoch 3/10", "=== Epoch 2 ===", "Epoch: 106", "٣", "name=resnet ", "(7774/10000)", " ", ":", "=", ",", "0",
]
_line = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join)


@st.composite
def _two_lines(draw: st.DrawFn) -> tuple[str, str]:
    """A line and the same line with its ASCII digits redrawn."""
    line = draw(_line)
    other = "".join(draw(st.sampled_from("0123456789")) if c in "0123456789" else c for c in line)
    return line, other


@settings(max_examples=400, deadline=None)
@given(lines=_two_lines())
def test_spans_learned_on_one_line_read_any_line_of_its_layout(lines: tuple[str, str]) -> None:
    line, other = lines
    assert layout(line) == layout(other)
    pairs = _grammars._scan_pairs(line)
    if pairs is not None:
        cut = [(other[a:b], other[c:d], other[e:f]) for a, b, c, d, e, f in pairs]
        assert cut == _grammars._found_pairs(other)
    else:
        assert _grammars._scan_pairs(other) is None
    assert _grammars._scan_counters(line) == _grammars._scan_counters(other)
    assert _grammars._scan_epoch_header(line) == _grammars._scan_epoch_header(other)


def test_a_layout_differs_where_a_line_differs_in_anything_but_ascii_digits() -> None:
    assert layout("Loss: 0.51") == layout("Loss: 9.99")
    assert layout("Loss: 0.51") != layout("Loss: 0.5a")
    assert layout("top1: 3") == layout("top5: 3")  # the name is cut from the line, not the layout
    assert layout("step ٣") != layout("step ٤")  # other digits are text


def test_a_cache_scans_once_per_layout() -> None:
    scanned = []
    cache = SpanCache(lambda line: scanned.append(line) or ((0, 1),))
    for line in ("Loss: 0.5", "Loss: 0.7", "Loss: 1.25", "Loss: 0.6"):
        cache(line)
    assert scanned == ["Loss: 0.5", "Loss: 1.25"]
