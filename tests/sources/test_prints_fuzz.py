"""The ``prints`` pipeline under hypothesis: garbage, bytes cut anywhere, NaN and infinities,
bytes that are not UTF-8. The same stream must always give the same records and the same
unread lines, whatever the chunks."""

from __future__ import annotations

import codecs
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Point
from lossboard.sources.formats import FORMATS

# pieces of the lines the pipeline reads, so random joins reach every grammar
_FRAGMENTS = [
    "2025-05-14 16:02:53,777 - train - INFO - ", "INFO:root:", "I0711 14:22:23.125147  1274 solver.cpp:228] ",
    "[07:18:39] ", "Node[0] ", "train.py[line:175] ", "[DEBUG] ", "2025-04-26 21:55:25,178|    INFO| ",
    "Epoch 1/25 [Train]:  40%|####      | 4/10 [00:01<00:02,  3.2it/s, loss=4.6271, last_nan_iter=None]",
    "Epoch 1/25 [Val]: 100%|##########| 3/3 [00:00<00:00, val_loss=4.47]", "Validating: 12it [00:00, 3.5it/s]",
    "Epoch [1/25], Training Loss: 4.6271, Validation Loss: 4.4707, Accuracy: 5.74%",
    "Train: STEP 50 - EPOCH 1/1000 | 3D loss: 2.486E+00 | lr: 1.020E-05", "Epoch [4]", "Epoch: 106", "Epoch 0/69",
    "Epoch [1/6], Step [10/161], Loss: 0.5517", "Training Loss: 4.290 | Acc: 4.360% (2180/50000)",
    "learning rate is 0.1", "train Loss: 0.61 Acc: 0.81", "Validation:", "Epoch 1 loss 2.1 acc 0.4 val_loss nan",
    "Namespace(lr=0.1, resume=False)", "per class: 0.9, 0.8", "loss: n/a", "step=5 loss=-inf", "----------",
    "\r", "\n", "\r\n", "\b\b", "\x1b[91m", "\x1b[0m", "nan", "inf", "1e400", ":", "=", "|", "[", "]", " ",
]

_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=50).map("".join),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6)), max_size=50).map("".join),
)


def _parse(chunks: list[str]) -> tuple[list, list[int]]:
    parser = FORMATS["prints"].Parser()
    items = [item for chunk in chunks for item in parser.feed(chunk)]
    items.extend(parser.close())
    return _comparable(items), parser.unread


def _comparable(items: list) -> list:
    """Records with NaN made equal to itself, so two parses can be compared."""
    return [
        item._replace(value="nan") if type(item) is Point and math.isnan(item.value) else item for item in items
    ]


def _cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)])]


@settings(max_examples=150, deadline=None)
@given(text=_text, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_chunks_cut_anywhere_give_the_same_records_and_unread_lines(text: str, cuts: list[int]) -> None:
    whole = _parse([text])
    assert _parse(_cut(text, cuts)) == whole
    for item in whole[0]:
        if type(item) is Point:
            assert type(item.step) is int and item.source_tag and "/" in item.tag, item


@settings(max_examples=80, deadline=None)
@given(
    data=st.lists(st.one_of(st.sampled_from([f.encode() for f in _FRAGMENTS]), st.binary(max_size=6)), max_size=40)
    .map(b"".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_bytes_that_are_not_utf8_cut_anywhere_decode_and_parse_the_same(data: bytes, cuts: list[int]) -> None:
    # as the reader does: an incremental decoder that replaces what is not UTF-8
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pieces = [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)])]
    chunks = [decoder.decode(piece) for piece in pieces] + [decoder.decode(b"", final=True)]
    assert _parse(chunks) == _parse([data.decode("utf-8", errors="replace")])


@settings(max_examples=100, deadline=None)
@given(
    value=st.floats(allow_nan=True, allow_infinity=True),
    epoch=st.integers(min_value=0, max_value=10**6),
    prefix=st.sampled_from(["", "INFO:root:", "2025-01-01 12:00:00 - INFO - ", "[07:18:39] "]),
)
def test_every_float_python_prints_comes_back_exactly(value: float, epoch: int, prefix: str) -> None:
    text = f"{prefix}Epoch {epoch}: loss: {value!r}, val_acc={value}\n"
    [loss, acc] = [item for item in _parse([text])[0] if type(item) is Point]
    expected = "nan" if math.isnan(value) else value
    assert (loss.tag, loss.value, loss.step, loss.epoch) == ("train/loss", expected, epoch, float(epoch))
    assert (acc.tag, acc.value) == ("val/accuracy", expected)
